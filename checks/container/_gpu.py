"""GPU access through the NVIDIA container toolkit: the one definition the container check and the toolkit CVEs'
reachability share.

A container uses the toolkit when it runs with the NVIDIA runtime, asks for GPUs (`docker run --gpus`, Docker's
DeviceRequests: driver "nvidia", or any driver with the "gpu" capability), carries an NVIDIA OCI hook, or is given
/dev/nvidia* devices.
"""

from __future__ import annotations

from typing import Any

from hostaudit.model import Container


def gpu_access(ctr: Container) -> tuple[bool, dict[str, Any]]:
    """Whether the container goes through the NVIDIA toolkit, and the facts that say so."""
    requests = [r for r in ctr.device_requests if r.startswith("nvidia:") or "gpu" in r.split(":", 1)[-1].split(",")]
    hooks = [h for h in ctr.hooks if "nvidia" in h.rsplit("/", 1)[-1]]
    devices = [d for d in ctr.devices if d.startswith("/dev/nvidia")]
    runtime = "nvidia" in ctr.runtime.lower()
    evidence = {"runtime": ctr.runtime, "device_requests": requests, "hooks.nvidia": hooks, "devices.nvidia": devices}
    return bool(requests or hooks or devices or runtime), evidence
