"""Host facts: kernel, distro, cgroups, LSMs, sysctls, namespaces of reference, groups."""

from __future__ import annotations

import os
import socket
from concurrent.futures import Future, ThreadPoolExecutor

from hostaudit.collectors import CollectContext
from hostaudit.collectors._engine_configs import engine_configs
from hostaudit.collectors._fs import host_isdir, host_root, read_text
from hostaudit.collectors._modules import read_kernel_modules
from hostaudit.collectors._runtime_versions import binaries_not_run, runtime_binaries, runtime_packages
from hostaudit.collectors._sudoers import read_sudoers
from hostaudit.model import HostFacts, HostMount, Presence
from hostaudit.parsers import hex_mask, int_or_none, parse_group_file, parse_mountinfo

SYSCTLS = (
    "kernel.unprivileged_userns_clone", "user.max_user_namespaces", "kernel.apparmor_restrict_unprivileged_userns",
    "kernel.dmesg_restrict", "kernel.kptr_restrict", "kernel.modules_disabled", "kernel.core_pattern",
    "kernel.yama.ptrace_scope", "kernel.unprivileged_bpf_disabled", "kernel.perf_event_paranoid",
    "net.ipv4.ip_forward", "fs.protected_symlinks", "fs.protected_hardlinks", "fs.suid_dumpable",
    "kernel.randomize_va_space", "kernel.sysrq", "fs.binfmt_misc.status", "kernel.io_uring_disabled",
    "kernel.io_uring_group",
)
AGENTS = ("falco", "tetragon", "tracee", "tracee-ebpf", "sysdig", "dragent", "auditd")
AGENT_DIRS = ("/etc/falco", "/etc/tetragon", "/etc/tracee", "/opt/draios")  # runtime detection agents' configs


# a sysctl value is short; the kernel allocates a buffer of the size asked for, and refuses a read as large as
# MAX_READ with ENOMEM (6.18), which would make every sysctl unreadable
SYSCTL_MAX = 4096


def _sysctl(name: str) -> str | None:
    found = read_text("/proc/sys/" + name.replace(".", "/"), limit=SYSCTL_MAX)
    return found.text.strip() if found.text is not None else None


def _lsms() -> tuple[tuple[str, ...], bool | None, str | None]:
    lsm_file = read_text("/sys/kernel/security/lsm")
    lsms = tuple(x for x in (lsm_file.text or "").strip().split(",") if x)
    apparmor = read_text("/sys/module/apparmor/parameters/enabled")
    apparmor_enabled = None if apparmor.presence is Presence.UNREADABLE else (apparmor.text or "").strip() == "Y"
    enforce = read_text("/sys/fs/selinux/enforce")
    selinux = None
    if enforce.text is not None:
        selinux = "enforcing" if enforce.text.strip() == "1" else "permissive"
    return lsms, apparmor_enabled, selinux


def _mountinfo_of_host() -> str:
    """Our own mount table, or through a host root that of the host's init (pid 1, else kthreadd: same namespace)."""
    if host_root() == "/":
        return "/proc/self/mountinfo"
    return next((f"/proc/{pid}/mountinfo" for pid in (1, 2) if read_text(f"/proc/{pid}/mountinfo").text),
                "/proc/1/mountinfo")


def _hostname() -> str:
    """Our host name, or through a host root the host's /etc/hostname (a container has a UTS namespace of its own)."""
    if host_root() == "/":
        return socket.gethostname()
    return (read_text("/etc/hostname").text or "").strip() or socket.gethostname()


def collect(ctx: CollectContext) -> HostFacts:
    with ThreadPoolExecutor(max_workers=1) as pool:
        binaries = pool.submit(runtime_binaries)  # mostly the binaries' own start-up: run while the rest is read
        return _facts(ctx, binaries)


def _facts(ctx: CollectContext, binaries: Future[dict[str, str]]) -> HostFacts:
    import distro

    # from /etc/os-release and the release files only: the default would run `lsb_release` and `uname` from $PATH
    release = distro.LinuxDistribution(root_dir=None if host_root() == "/" else host_root(), include_lsb=False,
                                       include_uname=False, include_oslevel=False)
    uname = os.uname()
    mounts = parse_mountinfo(read_text(_mountinfo_of_host()).text or "")
    v1 = sorted({opt for m in mounts if m.fstype == "cgroup" for opt in m.super_options if opt not in ("rw", "ro")})
    unified = read_text("/sys/fs/cgroup/cgroup.controllers").presence is Presence.PRESENT
    lsms, apparmor_enabled, selinux = _lsms()
    reference = ctx.reference
    signature = read_text("/proc/version_signature").text
    passwd, group = read_text("/etc/passwd").text or "", read_text("/etc/group").text or ""
    agents = sorted({p.name for p in ctx.processes_named(*AGENTS) if p.name in AGENTS})
    hostname = _hostname()
    sudo_grants, sudoers_unreadable = read_sudoers(passwd, group, hostname)
    return HostFacts(
        hostname=hostname,
        kernel_release=uname.release,
        kernel_version=uname.version,
        version_signature=signature.strip() if signature else None,
        distro_id=release.id(),
        distro_version=release.version(),
        distro_name=release.name(pretty=True),
        cap_last_cap=int_or_none(_sysctl("kernel.cap_last_cap")),
        cgroup_v2_unified=unified and not v1,
        cgroup_v1_controllers=tuple(v1),
        lsms=lsms,
        apparmor_enabled=apparmor_enabled,
        selinux_mode=selinux,
        sysctls={name: _sysctl(name) for name in SYSCTLS},
        reference_namespaces=reference.namespaces,
        reference_source=reference.source,
        reference_cap_bnd=hex_mask(reference.cap_bnd_hex),
        running_as_root=os.geteuid() == 0,
        groups=parse_group_file(group, passwd),
        runtime_agents=tuple(agents),
        mounts=tuple(HostMount(m.mount_point, m.fstype, m.source) for m in mounts),
        runtime_agent_dirs=tuple(d for d in AGENT_DIRS if host_isdir(d)),
        sudoers_docker=tuple(sorted({g.principal for g in sudo_grants})),
        sudo_grants=sudo_grants,
        sudoers_unreadable=sudoers_unreadable,
        runtime_binaries=binaries.result(),
        runtime_packages=runtime_packages(),
        runtime_binaries_not_run=binaries_not_run(),
        kernel_modules=read_kernel_modules(uname.release),
        engine_configs=engine_configs(),
    )
