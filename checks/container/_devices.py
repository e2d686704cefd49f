"""Which host devices a container is given, by kind."""

from __future__ import annotations

import re

from hostaudit.model import Container

# Disks, partitions, device-mapper, MD and loop volumes by their usual /dev names.
BLOCK = re.compile(r"^/dev/(sd[a-z]+\d*|vd[a-z]+\d*|xvd[a-z]+\d*|hd[a-z]+\d*|nvme\d+(n\d+)?(p\d+)?|mmcblk\d+(p\d+)?|"
                   r"dm-\d+|md\d+|loop\d+|mapper/.+|disk/.+)$")
MEMORY = ("/dev/mem", "/dev/kmem", "/dev/port")
KMSG = ("/dev/kmsg",)


def exposed(ctr: Container, kind: str) -> list[str]:
    """The container's devices of one kind: block, memory (/dev/mem, kmem, port) or kmsg."""
    if kind == "block":
        return [d for d in ctr.devices if BLOCK.match(d)]
    wanted = MEMORY if kind == "memory" else KMSG
    return [d for d in ctr.devices if d in wanted]
