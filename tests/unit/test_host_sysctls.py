"""The host collector reads sysctls the way the kernel serves them (oracle: the kernel's own /proc/sys files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostaudit.collectors.host import SYSCTLS, _sysctl


@pytest.mark.parametrize("name", [n for n in SYSCTLS if Path("/proc/sys", *n.split(".")).is_file()])
def test_every_readable_sysctl_is_read(name):
    path = Path("/proc/sys", *name.split("."))
    try:
        expected = path.read_text().strip()  # Python reads in small chunks, which the kernel serves
    except OSError:
        pytest.skip(f"{path} unreadable here")
    assert _sysctl(name) == expected


def test_io_uring_sysctls_are_collected():
    assert {"kernel.io_uring_disabled", "kernel.io_uring_group"} <= set(SYSCTLS)
