"""What a seccomp profile lets a process do: whether `socket(family, ...)` is allowed.

Pure over the OCI `linux.seccomp` object (containerd bundles) or a Docker profile of the same shape. Facts about the
runtimes' built-in default profiles are named here once: moby's profiles/seccomp/default.json allows `socket` only
with a first argument other than 40 (AF_VSOCK), and so denies AF_VSOCK and no other family (AF_ALG, AF_PACKET and
AF_RXRPC stay open).
"""

from __future__ import annotations

from typing import Any

SOCKET_FAMILIES = {17: "AF_PACKET", 33: "AF_RXRPC", 38: "AF_ALG", 40: "AF_VSOCK"}
DOCKER_DEFAULT_DENIED_FAMILIES = frozenset({40})
ALLOWING = ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY")
_COMPARE = {
    "SCMP_CMP_EQ": lambda arg, value, _: arg == value,
    "SCMP_CMP_NE": lambda arg, value, _: arg != value,
    "SCMP_CMP_LT": lambda arg, value, _: arg < value,
    "SCMP_CMP_LE": lambda arg, value, _: arg <= value,
    "SCMP_CMP_GT": lambda arg, value, _: arg > value,
    "SCMP_CMP_GE": lambda arg, value, _: arg >= value,
    "SCMP_CMP_MASKED_EQ": lambda arg, value, two: (arg & value) == two,
}


def family_name(family: int) -> str:
    return SOCKET_FAMILIES.get(family, f"address family {family}")


def _matches(rule: dict[str, Any], family: int) -> bool | None:
    """Whether a `socket` rule applies to socket(family, ...): True, False, or None when it depends on arguments
    the caller chooses (type, protocol)."""
    depends = False
    for arg in rule.get("args") or []:
        compare = _COMPARE.get(str(arg.get("op")))
        if compare is None or not isinstance(arg.get("value"), int):
            return None
        if arg.get("index") != 0:
            depends = True
        elif not compare(family, arg["value"], arg.get("valueTwo") or 0):
            return False
    return None if depends else True


def socket_family_allowed(profile: dict[str, Any] | None, family: int) -> bool | None:
    """Whether `profile` lets a process open a socket of `family`; None when the profile cannot tell.

    A rule that denies only for some type or protocol can be sidestepped (the caller picks them), a rule that
    allows for some can be used; an exact deny wins over an allow, and the default action decides the rest.
    """
    if not isinstance(profile, dict):
        return None
    allowed = denied = False
    for rule in profile.get("syscalls") or []:
        if not isinstance(rule, dict) or "socket" not in (rule.get("names") or []):
            continue
        applies = _matches(rule, family)
        allows = rule.get("action") in ALLOWING
        if applies is True and not allows:
            denied = True
        elif applies is not False and allows:
            allowed = True
    if denied:
        return False
    if allowed:
        return True
    default = profile.get("defaultAction")
    return None if default is None else default in ALLOWING
