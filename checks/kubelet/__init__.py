"""Kubelet checks: the node agent's API and pod defaults."""
