"""What a seccomp profile still lets through: the dangerous syscalls and socket families it allows, read from its
rules.

Profiles come in two shapes: the OCI `linux.seccomp` a runtime resolved (containerd's config.json), and Docker's
own JSON (a custom `--security-opt seccomp=` profile), whose rules may depend on the container's capabilities
(`includes`/`excludes`) and the kernel (`minKernel`). Both are read here, so a filter being on never reads as the
filter being good.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hostaudit.caps import normalize as cap_name

# Syscalls that kernel escapes and container breakouts start from.
DANGEROUS = (
    "add_key", "bpf", "clone", "clone3", "delete_module", "finit_module", "init_module", "io_uring_setup",
    "kexec_load", "keyctl", "mount", "open_by_handle_at", "perf_event_open", "pivot_root", "process_vm_writev",
    "ptrace", "request_key", "setns", "umount2", "unshare", "userfaultfd",
)
# Allowed by Docker's and containerd's own default profiles on current kernels: listed, never a failure on their own.
RUNTIME_DEFAULT_ALLOWS = frozenset({"ptrace", "process_vm_writev", "io_uring_setup"})
# Allowed by the runtime defaults; a profile that blocks them is stricter than the default.
STRICTER_THAN_DEFAULT = ("execve", "execveat", "io_uring_setup", "memfd_create", "process_vm_readv",
                         "process_vm_writev", "ptrace")
ALLOW_ACTIONS = frozenset({"SCMP_ACT_ALLOW", "SCMP_ACT_LOG"})
# CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
CLONE_NAMESPACE_FLAGS = 0x7E020000
HOST_ARCHES = frozenset({"amd64", "x86_64", "x32", "x86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"})

# Address families kernel CVEs are reached through, and those Docker's default profile denies: moby's
# profiles/seccomp/default.json allows `socket` only when argument 0 is not 40 (AF_VSOCK); AF_ALG, AF_PACKET and
# AF_RXRPC stay open.
SOCKET_FAMILIES = {17: "AF_PACKET", 33: "AF_RXRPC", 38: "AF_ALG", 40: "AF_VSOCK"}
DOCKER_DEFAULT_DENIED_FAMILIES = frozenset({40})
_COMPARE = {
    "SCMP_CMP_EQ": lambda arg, value, _: arg == value,
    "SCMP_CMP_NE": lambda arg, value, _: arg != value,
    "SCMP_CMP_LT": lambda arg, value, _: arg < value,
    "SCMP_CMP_LE": lambda arg, value, _: arg <= value,
    "SCMP_CMP_GT": lambda arg, value, _: arg > value,
    "SCMP_CMP_GE": lambda arg, value, _: arg >= value,
    "SCMP_CMP_MASKED_EQ": lambda arg, value, two: (arg & value) == two,
}

# Docker's default profile (not in `docker inspect`): what it opens for an added capability, and what it always
# allows on kernels from 4.8 (io_uring until Docker 25).
DOCKER_DEFAULT_ALWAYS = frozenset({"ptrace", "process_vm_writev", "io_uring_setup"})
DOCKER_DEFAULT_BY_CAPABILITY = {
    "SYS_ADMIN": frozenset({"bpf", "clone", "clone3", "mount", "perf_event_open", "setns", "umount2", "unshare"}),
    "DAC_READ_SEARCH": frozenset({"open_by_handle_at"}),
    "SYS_MODULE": frozenset({"delete_module", "finit_module", "init_module"}),
    "SYS_PTRACE": frozenset({"ptrace", "process_vm_writev"}),
    "BPF": frozenset({"bpf"}),
    "PERFMON": frozenset({"perf_event_open"}),
}


@dataclass(frozen=True)
class ProfileView:
    default_action: str
    allowed: tuple[str, ...]  # dangerous syscalls the profile lets through
    stricter: tuple[str, ...]  # syscalls the runtime defaults allow and this profile blocks

    @property
    def allows_by_default(self) -> bool:
        return self.default_action in ALLOW_ACTIONS

    @property
    def weaker_than_default(self) -> tuple[str, ...]:
        return tuple(s for s in self.allowed if s not in RUNTIME_DEFAULT_ALLOWS)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _kernel_at_least(kernel: tuple[int, int, int] | None, wanted: Any) -> bool:
    if not isinstance(wanted, str) or kernel is None:
        return True
    parts = [int(p) for p in wanted.split(".") if p.isdigit()]
    return kernel[:len(parts)] >= tuple(parts)


def _applies(rule: dict[str, Any], caps: frozenset[str], kernel: tuple[int, int, int] | None) -> bool:
    """Docker's conditional rules: `includes` must all hold, `excludes` must all fail (absent = always)."""
    includes = rule.get("includes") if isinstance(rule.get("includes"), dict) else {}
    excludes = rule.get("excludes") if isinstance(rule.get("excludes"), dict) else {}
    if not all(cap_name(c) in caps for c in _strings(includes.get("caps"))):
        return False
    if any(cap_name(c) in caps for c in _strings(excludes.get("caps"))):
        return False
    arches = _strings(includes.get("arches"))
    if arches and not set(arches) & HOST_ARCHES:
        return False
    if set(_strings(excludes.get("arches"))) & HOST_ARCHES:
        return False
    return _kernel_at_least(kernel, includes.get("minKernel"))


def _names(rule: dict[str, Any]) -> list[str]:
    return _strings(rule.get("names")) + ([rule["name"]] if isinstance(rule.get("name"), str) else [])


def _blocks_namespace_flags(args: Any) -> bool:
    """clone allowed only when `flags & CLONE_NEW*` is 0 (Docker's and containerd's rule on argument 0)."""
    for arg in args if isinstance(args, list) else []:
        if not isinstance(arg, dict):
            continue
        value, value_two = arg.get("value"), arg.get("valueTwo", 0)
        if (arg.get("op") == "SCMP_CMP_MASKED_EQ" and arg.get("index") == 0 and isinstance(value, int)
                and value & CLONE_NAMESPACE_FLAGS == CLONE_NAMESPACE_FLAGS and value_two in (0, None)):
            return True
    return False


def syscall_allowed(rules: list[dict[str, Any]], default_action: str, syscall: str) -> bool:
    """Whether the profile lets `syscall` through with some arguments (for clone: with namespace flags)."""
    named = [r for r in rules if syscall in _names(r)]
    unconditional = [r for r in named if not r.get("args")]
    if unconditional:
        return unconditional[0].get("action") in ALLOW_ACTIONS
    conditional_allows = [r for r in named if r.get("action") in ALLOW_ACTIONS]
    if default_action in ALLOW_ACTIONS:
        return True  # argument-filtered blocks leave other arguments to the allowing default
    if syscall == "clone":
        return any(not _blocks_namespace_flags(r.get("args")) for r in conditional_allows)
    return bool(conditional_allows)


def evaluate_profile(profile: dict[str, Any], caps: frozenset[str], kernel: tuple[int, int, int] | None
                     ) -> ProfileView:
    default_action = profile.get("defaultAction") if isinstance(profile.get("defaultAction"), str) else ""
    raw = profile.get("syscalls") if isinstance(profile.get("syscalls"), list) else []
    rules = [r for r in raw if isinstance(r, dict) and _applies(r, caps, kernel)]
    allowed = tuple(s for s in DANGEROUS if syscall_allowed(rules, default_action, s))
    stricter = tuple(s for s in STRICTER_THAN_DEFAULT if not syscall_allowed(rules, default_action, s))
    return ProfileView(default_action, allowed, stricter)


def docker_default(caps: frozenset[str], kernel: tuple[int, int, int] | None, docker_version: tuple[int, ...] | None
                   ) -> ProfileView:
    """Docker's built-in default profile for a container holding `caps`."""
    allowed = set(DOCKER_DEFAULT_ALWAYS if kernel is None or kernel >= (4, 8, 0) else ())
    if docker_version is not None and docker_version >= (25,):
        allowed.discard("io_uring_setup")
    for capability, opened in DOCKER_DEFAULT_BY_CAPABILITY.items():
        if capability in caps:
            allowed |= opened
    return ProfileView("SCMP_ACT_ERRNO", tuple(s for s in DANGEROUS if s in allowed), ())


def family_name(family: int) -> str:
    return SOCKET_FAMILIES.get(family, f"address family {family}")


def _family_rule(rule: dict[str, Any], family: int) -> bool | None:
    """Whether a `socket` rule applies to socket(family, ...): True, False, or None when it also depends on the
    arguments the caller picks (type, protocol)."""
    depends = False
    for arg in rule.get("args") if isinstance(rule.get("args"), list) else []:
        compare = _COMPARE.get(arg.get("op")) if isinstance(arg, dict) else None
        if compare is None or not isinstance(arg.get("value"), int):
            return None
        if arg.get("index") != 0:
            depends = True
        elif not compare(family, arg["value"], arg.get("valueTwo") or 0):
            return False
    return None if depends else True


def socket_family_allowed(profile: dict[str, Any], family: int, caps: frozenset[str],
                          kernel: tuple[int, int, int] | None) -> bool | None:
    """Whether `profile` lets a process open a socket of `family`; None when its rules cannot tell.

    A rule that denies only for some type or protocol is sidestepped (the caller picks them), one that allows for
    some is usable; a deny that always applies wins over an allow, and the default action decides the rest.
    """
    allowed = denied = False
    raw = profile.get("syscalls") if isinstance(profile.get("syscalls"), list) else []
    for rule in (r for r in raw if isinstance(r, dict) and "socket" in _names(r) and _applies(r, caps, kernel)):
        applies = _family_rule(rule, family)
        allows = rule.get("action") in ALLOW_ACTIONS
        denied |= applies is True and not allows
        allowed |= applies is not False and allows
    if denied or allowed:
        return not denied
    default = profile.get("defaultAction")
    return default in ALLOW_ACTIONS if isinstance(default, str) else None
