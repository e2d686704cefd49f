"""Container runtime checks: runc, containerd, Docker Engine, BuildKit and NVIDIA toolkit versions."""
