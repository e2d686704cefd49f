"""CNI checks: the pod network plugin."""
