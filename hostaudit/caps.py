"""Linux capability names and bit positions (include/uapi/linux/capability.h)."""

from __future__ import annotations

from functools import lru_cache

CAPABILITIES = (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE",
)

# The set Docker and containerd grant by default (0xa80425fb).
DEFAULT_CAPABILITIES = frozenset({
    "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE",
    "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP",
})


def normalize(name: str) -> str:
    """`cap_sys_admin`, `CAP_SYS_ADMIN` and `SYS_ADMIN` all become `SYS_ADMIN`."""
    upper = name.strip().upper()
    return upper[4:] if upper.startswith("CAP_") else upper


MASK_BITS = 64  # the kernel's capability sets are 64-bit (two u32 words)


@lru_cache(maxsize=1024)
def names(mask: int) -> frozenset[str]:
    """Capability names of a CapEff/CapBnd mask; bits beyond the known table appear as `CAP_<bit>`. Only the 64 bits
    the kernel has are read, so a negative mask (every bit set, in two's complement) is every capability, never a
    loop without end."""
    mask &= (1 << MASK_BITS) - 1
    return frozenset(CAPABILITIES[bit] if bit < len(CAPABILITIES) else f"CAP_{bit}"
                     for bit in range(MASK_BITS) if mask >> bit & 1)


def full_mask(cap_last_cap: int) -> int:
    """Every capability this kernel knows: 2^(cap_last_cap+1) - 1, never a hard-coded constant (bounded to the
    kernel's 64 bits whatever a snapshot claims)."""
    return (1 << max(0, min(cap_last_cap + 1, MASK_BITS))) - 1


@lru_cache(maxsize=1024)  # every check of capabilities asks again for every container, most with the same lists
def declared(cap_add: tuple[str, ...], cap_drop: tuple[str, ...], privileged: bool) -> frozenset[str]:
    """The bounding set Docker would give a container from its CapAdd/CapDrop (ALL handled)."""
    if privileged:
        return frozenset(CAPABILITIES)
    added = {normalize(c) for c in cap_add}
    dropped = {normalize(c) for c in cap_drop}
    base = set() if "ALL" in dropped else set(DEFAULT_CAPABILITIES) - dropped
    if "ALL" in added:
        return frozenset(set(CAPABILITIES) - (dropped - {"ALL"}))
    return frozenset(base | (added - {"ALL"}))
