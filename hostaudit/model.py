"""The snapshot of facts, and the results checks return over it.

Every fact type is a frozen dataclass that serializes to JSON through `hostaudit.serde`.
A fact that could not be looked at is never confused with one that is verified absent: see `Presence`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from hostaudit.sanitize import bounded

# Bump with ANY change to the dataclasses below: tests/unit/test_snapshot_schema.py pins their fields per version,
# and a snapshot of another version is refused ("collect again"), never read with silent defaults.
SCHEMA_VERSION = 6


@dataclass(frozen=True)
class Bounds:
    """The inclusive range a stored integer must lie in; `hostaudit.serde` refuses a snapshot outside it."""

    low: int
    high: int


CapMask = Annotated[int, Bounds(0, 2**64 - 1)]  # a capability set as /proc/<pid>/status prints it
Pid = Annotated[int, Bounds(0, 2**22)]  # the kernel's PID_MAX_LIMIT
Port = Annotated[int, Bounds(0, 65535)]
FileMode = Annotated[int, Bounds(0, 0o7777)]  # permission bits (stat.S_IMODE)
Id32 = Annotated[int, Bounds(0, 2**32 - 1)]  # uid, gid
LastCap = Annotated[int, Bounds(0, 63)]  # /proc/sys/kernel/cap_last_cap


class Presence(StrEnum):
    """Whether a file, setting or process was found, verified absent, or could not be looked at."""

    PRESENT = "present"
    ABSENT = "absent"
    UNREADABLE = "unreadable"


class CollectorState(StrEnum):
    OK = "ok"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class CollectorStatus:
    name: str
    state: CollectorState
    message: str = ""
    duration_s: float = 0.0


@dataclass(frozen=True)
class ConfigFile:
    """A configuration file (daemon.json, config.toml): its parsed content, or why there is none."""

    path: str
    presence: Presence
    error: str | None = None
    data: dict[str, Any] | None = None
    modified_at: float | None = None  # mtime (epoch seconds), compared with its daemon's start time


@dataclass(frozen=True)
class FileStat:
    """Mode and owner of a host file that matters to the runtime's security."""

    path: str
    role: str
    presence: Presence
    mode: FileMode | None = None
    uid: Id32 | None = None
    gid: Id32 | None = None
    owner: str | None = None
    group: str | None = None
    kind: str | None = None  # file, dir, socket, symlink, other
    error: str | None = None
    real_path: str | None = None  # the path with every symlink resolved, when it differs


# ---------------------------------------------------------------- host


@dataclass(frozen=True)
class HostFacts:
    hostname: str
    kernel_release: str
    kernel_version: str
    version_signature: str | None
    distro_id: str
    distro_version: str
    distro_name: str
    cap_last_cap: LastCap | None
    cgroup_v2_unified: bool
    cgroup_v1_controllers: tuple[str, ...]
    lsms: tuple[str, ...]
    apparmor_enabled: bool | None
    selinux_mode: str | None  # enforcing / permissive / None when SELinux is not there
    sysctls: dict[str, str | None]
    reference_namespaces: dict[str, str]
    reference_source: str
    reference_cap_bnd: CapMask | None
    running_as_root: bool
    groups: dict[str, tuple[str, ...]]  # group name -> members (incl. users whose primary group it is)
    sudoers_docker: tuple[str, ...] = ()
    runtime_agents: tuple[str, ...] = ()
    mounts: tuple[HostMount, ...] = ()
    runtime_agent_dirs: tuple[str, ...] = ()  # configuration dirs of runtime detection agents (/etc/falco ...)
    sudo_grants: tuple[SudoGrant, ...] = ()
    sudoers_unreadable: tuple[str, ...] = ()  # sudoers files that exist but could not be read
    # container runtime binaries on the host: path -> version read from `<path> --version` (runc, containerd, ...)
    runtime_binaries: dict[str, str] = field(default_factory=dict)
    # distro packages of the runtimes (dpkg status file / rpm): package name -> package version
    runtime_packages: dict[str, str] = field(default_factory=dict)
    # runtime binaries at fixed system paths that are never run, since starting them writes to the host (crun)
    runtime_binaries_not_run: tuple[str, ...] = ()
    kernel_modules: KernelModules | None = None  # None: not collected (a snapshot from an older hostaudit)
    # root's Podman containers.conf and CRI-O crio.conf files that exist, in the order they apply, reduced to the
    # settings that choose the OCI runtime (collectors/_engine_configs.py)
    engine_configs: tuple[ConfigFile, ...] = ()


@dataclass(frozen=True)
class KernelModules:
    """Which kernel modules can be loaded on demand: what closes the exploit path of a kernel CVE. Names use "_"."""

    loaded: tuple[str, ...] | None  # /proc/modules (() when the kernel has no module support); None: unreadable
    builtin: tuple[str, ...] | None  # /lib/modules/<release>/modules.builtin; None when absent or unreadable
    available: tuple[str, ...] | None  # modules.dep (loadable ones); None when absent or unreadable
    # modprobe.d lines that stop a module loading: module -> "install /bin/false (/etc/modprobe.d/x.conf:3)"
    blocked: dict[str, str] = field(default_factory=dict)
    unreadable: tuple[str, ...] = ()  # modprobe.d files that exist but could not be read


@dataclass(frozen=True)
class SudoGrant:
    """A sudoers rule letting a non-root user or %group run docker, dockerd or ALL as root."""

    principal: str  # user name, or %group
    command: str
    origin: str  # file:line


@dataclass(frozen=True)
class HostMount:
    mount_point: str
    fstype: str
    source: str


# ---------------------------------------------------------------- docker daemon


@dataclass(frozen=True)
class SocketInfo:
    path: str
    presence: Presence
    mode: FileMode | None = None
    owner: str | None = None
    group: str | None = None
    daemon: str = ""  # who listens or where it was found: "dockerd (pid 12)", "well-known path"
    aliases: tuple[str, ...] = ()  # other host paths of the same socket (real path, /var/run twin)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.path, *self.aliases)


@dataclass(frozen=True)
class TcpListener:
    address: str
    port: Port
    tls: bool
    tls_verify: bool
    source: str  # argv, daemon.json, listening


@dataclass(frozen=True)
class DockerDaemonFacts:
    endpoint: str
    reachable: bool
    error: str | None
    pid: Pid | None
    argv: tuple[str, ...]
    flags: dict[str, tuple[str, ...]]  # argv flags, long name -> values in order
    config: ConfigFile
    info: dict[str, Any] | None
    version: dict[str, Any] | None
    sockets: tuple[SocketInfo, ...]
    tcp_listeners: tuple[TcpListener, ...]
    rootless: bool
    userns_remap: bool
    image_count: int | None = None  # /info Images
    container_count: int | None = None  # /info Containers
    stopped_container_count: int | None = None  # /info ContainersStopped
    started_at: float | None = None  # the dockerd process's start (epoch seconds)
    proxy_processes: int | None = None  # docker-proxy children of dockerd (userland proxy in force); None: unknown
    engine: DockerEngine | None = None  # the verified dockerd these facts are of; None: the endpoint is not tied to one


@dataclass(frozen=True)
class UntrustedProcess:
    """A host process named like a daemon, agent or kubelet that is not root's own (`collectors.root_doubt`): not
    believed, and nothing its argv names is read. Its argv is the user's to write, so it is not kept."""

    pid: int
    name: str
    uid: int | None
    reason: str


@dataclass(frozen=True)
class DockerEngine:
    """A dockerd on the host and a unix socket it serves; its user is the socket peer's uid (SO_PEERCRED), which
    the kernel gives, not what the process or its environment claims."""

    socket: str
    found_by: str  # "dockerd -H", "daemon.json hosts", "dockerd default socket", "rootlesskit", "tcp listener"
    expected_uid: int  # the uid of the process that named the socket
    uid: int | None = None  # the uid serving it; None when it could not be verified
    user: str = ""
    pid: int | None = None
    error: str | None = None  # why this socket is not counted as that engine's

    @property
    def rootless(self) -> bool:
        return self.error is None and self.uid is not None and self.uid != 0


# ---------------------------------------------------------------- containers


@dataclass(frozen=True)
class Mount:
    source: str
    destination: str
    type: str  # bind, volume, tmpfs, proc, sysfs, ...
    rw: bool
    propagation: str = ""


@dataclass(frozen=True)
class PortBinding:
    container_port: str
    host_ip: str
    host_port: str


@dataclass(frozen=True)
class PodRef:
    namespace: str
    name: str
    container_name: str
    sandbox_id: str


@dataclass(frozen=True)
class Container:
    """A container as its runtime declares it, normalized from Docker inspect or an OCI config.json."""

    key: str  # stable subject key: "docker:<name>" or "containerd:<ns>/<id>" or "k8s:<ns>/<pod>/<container>"
    name: str
    id: str
    source: str  # docker | containerd
    image: str
    state: str  # running, created, exited, paused, ...
    pid: Pid | None
    privileged: bool
    user: str
    cap_add: tuple[str, ...]
    cap_drop: tuple[str, ...]
    bounding_caps: tuple[str, ...] | None  # from an OCI spec; None when derived from cap_add/drop
    seccomp: str  # default, unconfined, custom
    seccomp_profile: dict[str, Any] | None
    apparmor_profile: str
    selinux_label: str
    no_new_privileges: bool
    readonly_rootfs: bool
    mounts: tuple[Mount, ...]
    namespaces: dict[str, str]  # network/pid/ipc/uts/user/cgroup -> "private" | "host" | "container:<x>" | path
    memory_limit: int
    pids_limit: int | None
    cpu_shares: int
    nano_cpus: int
    cgroup_parent: str
    devices: tuple[str, ...]
    device_cgroup_rules: tuple[str, ...]
    masked_paths: tuple[str, ...] | None
    readonly_paths: tuple[str, ...] | None
    restart_policy: str
    restart_max_retries: int
    ports: tuple[PortBinding, ...]
    labels: dict[str, str]
    healthcheck: bool
    runtime: str
    ulimits: tuple[str, ...] = ()
    annotations: dict[str, str] = field(default_factory=dict)
    pod: PodRef | None = None
    namespace: str = ""  # containerd namespace
    network_mode: str = ""  # Docker's HostConfig.NetworkMode as given (default, bridge, host, none, <network>)
    networks: tuple[str, ...] = ()  # Docker networks the container is attached to (NetworkSettings.Networks)
    cpu_quota: int = 0  # Docker HostConfig.CpuQuota / OCI linux.resources.cpu.quota (0: none)
    device_requests: tuple[str, ...] = ()  # Docker DeviceRequests as "driver:capabilities" (e.g. nvidia:gpu)
    hooks: tuple[str, ...] = ()  # OCI hook programs (prestart, createRuntime...) by path
    owner: str = ""  # the user whose engine runs the container ("root"; a user name for a rootless engine)
    owner_uid: int | None = None  # that user's uid on the host; None when not known
    docker_socket: str = ""  # the socket of the verified dockerd that runs it; "" when not Docker's or not verified
    # the container's linux.security_context as kubelet sent it to the CRI runtime (snake_case keys, as the runtime's
    # verbose info holds it); None when the container was not read through CRI
    cri_security_context: dict[str, Any] | None = None

    @property
    def rootless(self) -> bool:
        """Whether the engine runs as an unprivileged user, so container root is that user on the host."""
        return self.owner_uid is not None and self.owner_uid != 0

    @property
    def running(self) -> bool:
        return self.pid is not None and self.pid > 0

    @property
    def is_sandbox(self) -> bool:
        """A pod's sandbox (pause container): folded into its pod, never audited or counted as a container."""
        return self.pod is not None and not self.pod.container_name


@dataclass(frozen=True)
class Pod:
    """A Kubernetes pod as its containerd tasks show it: the sandbox and the containers that joined it."""

    namespace: str
    name: str
    sandbox_id: str
    sandbox_key: str | None  # subject key of the sandbox task; None when only its containers were found
    containers: tuple[str, ...]  # subject keys
    host_namespaces: tuple[str, ...]  # kinds (network, pid, ipc, uts) the sandbox declares shared with the host
    containerd_namespace: str = ""
    uid: str = ""  # the pod's UID (CRI metadata)
    state: str = ""  # CRI sandbox state: ready / notready
    owner_kind: str = ""  # Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob; "" for a bare pod
    owner_name: str = ""
    owner_source: str = ""  # the pod labels or annotations the owner was inferred from
    security_context: dict[str, Any] = field(default_factory=dict)  # pod-level, from the sandbox's CRI config
    # containers that ran to completion before the others started: the pod's init containers (CRI has no role field)
    init_containers: tuple[str, ...] = ()
    cgroup_parent: str = ""  # the pod's cgroup, as kubelet named it (cgroupfs path or systemd slice)
    # limits of the pod's cgroup as the kernel holds them: pids, memory (bytes), cpu_quota (us per period); a key is
    # missing when its file could not be read, and None means unlimited ("max")
    cgroup_limits: dict[str, int | None] = field(default_factory=dict)
    # from the sandbox's CRI config: host ports of its port mappings and its sysctls; None when not read through CRI
    host_ports: tuple[int, ...] | None = None
    sysctls: dict[str, str] | None = None


@dataclass(frozen=True)
class CniConfig:
    """One CNI network configuration file (.conf / .conflist / .json) and the plugin types it chains."""

    path: str
    presence: Presence
    error: str | None = None
    name: str = ""
    plugins: tuple[str, ...] = ()
    bridges: tuple[str, ...] = ()  # bridge names of `bridge` plugins (kube-router's is kube-bridge)


@dataclass(frozen=True)
class CniFacts:
    conf_dirs: tuple[str, ...]
    configs: tuple[CniConfig, ...]
    unreadable_dirs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContainerdInstance:
    """One containerd, judged on its own: a running root containerd with the config, state dir and socket its
    command line and config give it; or, when none runs, the default config the next one would start with."""

    pid: Pid | None  # None: not running
    config: ConfigFile  # its --config, else /etc/containerd/config.toml
    # its --state / --address, else the config's `state` / grpc.address, else /run/containerd(/containerd.sock);
    # None when only a config that cannot be read would say
    state_dir: str | None
    socket: str | None
    version: str | None  # of the binary it runs
    started_at: float | None = None  # its process's start (epoch seconds)


@dataclass(frozen=True)
class ContainerdFacts:
    instances: tuple[ContainerdInstance, ...]  # never empty; the main one first (see `main`)
    state_dirs: tuple[str, ...]  # where tasks were read, each once
    sockets: tuple[SocketInfo, ...]
    containers: tuple[Container, ...]
    skipped_docker_tasks: int
    pods: tuple[Pod, ...] = ()
    cni: CniFacts | None = None  # the main instance's CNI configuration
    skipped_cri_tasks: int = 0  # task bundles of containers the CRI API already described

    @property
    def main(self) -> ContainerdInstance:
        """The instance host-wide checks read (its version, its CNI, the kubelet's cgroup driver against it): the
        standalone containerd on the default socket, else the first standalone one, else the first."""
        return self.instances[0]


@dataclass(frozen=True)
class CriFacts:
    """What the container runtime reports through the CRI v1 API: every pod sandbox and container, in any state."""

    endpoint: str
    endpoint_source: str  # --cri-endpoint, kubelet --container-runtime-endpoint, containerd config, CRI-O default
    runtime_name: str
    runtime_version: str
    api_version: str
    containers: tuple[Container, ...]  # sandboxes (pod.container_name == "") and containers
    pods: tuple[Pod, ...]
    errors: tuple[str, ...] = ()  # calls for single sandboxes or containers that failed


@dataclass(frozen=True)
class PodmanStore:
    """One libpod storage root read for its containers, and whose they are."""

    graph_root: str
    owner: str
    owner_uid: int
    database: str  # the libpod database read (bolt_state.db or db.sql); "" when there is none
    error: str | None = None  # why the database could not be read


@dataclass(frozen=True)
class PodmanFacts:
    stores: tuple[PodmanStore, ...]
    containers: tuple[Container, ...]


# ---------------------------------------------------------------- kubelet


@dataclass(frozen=True)
class KubeletFacts:
    """The kubelet's command line and its --config file (KubeletConfiguration YAML)."""

    pid: Pid | None
    argv: tuple[str, ...]
    flags: dict[str, str]  # long flag name -> last value given
    config: ConfigFile | None  # None when no --config is in use
    started_at: float | None = None  # the kubelet process's start (epoch seconds)


# ---------------------------------------------------------------- runtime (/proc)


@dataclass(frozen=True)
class MountInfo:
    mount_point: str
    root: str
    fstype: str
    source: str
    options: tuple[str, ...]
    super_options: tuple[str, ...]
    propagation: tuple[str, ...]

    @property
    def rw(self) -> bool:
        return "rw" in self.options


@dataclass(frozen=True)
class ProcessFacts:
    """What is really in force for a container's init process, read from /proc/<pid>."""

    pid: Pid
    presence: Presence
    error: str | None = None
    uid: tuple[Id32, ...] = ()
    cap_eff: CapMask | None = None
    cap_prm: CapMask | None = None
    cap_bnd: CapMask | None = None
    seccomp_mode: Annotated[int, Bounds(0, 2)] | None = None  # /proc/<pid>/status Seccomp
    no_new_privs: bool | None = None
    namespaces: dict[str, str] = field(default_factory=dict)
    mounts: tuple[MountInfo, ...] = ()
    cgroups: tuple[str, ...] = ()
    lsm_label: str | None = None
    uid_map: tuple[str, ...] = ()


# ---------------------------------------------------------------- audit rules


@dataclass(frozen=True)
class AuditRule:
    path: str
    permissions: str
    key: str
    origin: str


@dataclass(frozen=True)
class AuditRulesFacts:
    source: str  # auditctl or rules files
    rules: tuple[AuditRule, ...]
    auditd_running: bool
    unreadable: tuple[str, ...] = ()  # rules files that exist but could not be read


# ---------------------------------------------------------------- snapshot


@dataclass(frozen=True)
class Snapshot:
    schema_version: int
    hostaudit_version: str
    collected_at: str
    collectors: dict[str, CollectorStatus]
    host: HostFacts | None = None
    docker_daemon: DockerDaemonFacts | None = None
    containers: tuple[Container, ...] = ()
    containerd: ContainerdFacts | None = None
    runtime: dict[str, ProcessFacts] = field(default_factory=dict)
    files: tuple[FileStat, ...] = ()
    audit_rules: AuditRulesFacts | None = None
    kubelet: KubeletFacts | None = None
    podman: PodmanFacts | None = None
    docker_engines: tuple[DockerEngine, ...] = ()  # every dockerd found from host processes, rootless ones too
    # every verified dockerd other than the one at `docker_daemon`, each read as that one is (empty when narrowed)
    other_docker_daemons: tuple[DockerDaemonFacts, ...] = ()
    runtime_sockets: tuple[SocketInfo, ...] = ()  # container-runtime API sockets that exist on this host
    cri: CriFacts | None = None
    untrusted_processes: tuple[UntrustedProcess, ...] = ()  # named like the host's daemons, but not root's

    @property
    def all_containers(self) -> tuple[Container, ...]:
        """Docker's containers, the CRI runtime's, the containerd tasks neither of them listed, and Podman's."""
        extra = self.containerd.containers if self.containerd else ()
        cri = self.cri.containers if self.cri else ()
        return self.containers + cri + extra + (self.podman.containers if self.podman else ())

    @property
    def docker_daemons(self) -> tuple[DockerDaemonFacts, ...]:
        """Every dockerd audited: the endpoint's first, then the other verified ones."""
        return ((self.docker_daemon,) if self.docker_daemon is not None else ()) + self.other_docker_daemons

    def docker_daemon_of(self, container: Container) -> DockerDaemonFacts | None:
        """The dockerd that runs a Docker container: the one serving its engine's socket (the endpoint's when the
        container names none); None when that dockerd's facts are not in the snapshot, never another's."""
        if not container.docker_socket:
            return self.docker_daemon
        return next((d for d in self.docker_daemons if d.engine is not None
                     and d.engine.socket == container.docker_socket), None)

    @property
    def pods(self) -> tuple[Pod, ...]:
        """Kubernetes pods: as the CRI runtime reports them, else as grouped from containerd's task bundles."""
        return (self.cri.pods if self.cri else ()) + (self.containerd.pods if self.containerd else ())

    def process(self, container: Container) -> ProcessFacts | None:
        """The /proc view of a running container, when it could be read."""
        proc = self.runtime.get(container.key)
        return proc if proc is not None and proc.presence is Presence.PRESENT else None

    def collector_ok(self, name: str) -> bool:
        status = self.collectors.get(name)
        return status is not None and status.state is CollectorState.OK


# ---------------------------------------------------------------- results


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Subject:
    """What a result is about. `key` is the stable identity used by fingerprints, baselines and waivers."""

    key: str
    kind: str  # host, daemon, container, containerd
    name: str
    pod: str | None = None  # "namespace/pod" for a Kubernetes container


HOST = Subject("host", "host", "host")
MAX_NAME = 512  # characters of a subject key or name in a report: a container may name itself anything
DAEMON = Subject("daemon", "daemon", "docker daemon")


def daemon_subject(engine: DockerEngine | None, main: bool) -> Subject:
    """The subject of a dockerd's results, naming its socket, pid and owner: `daemon` for the endpoint the audit
    connected to, `daemon:<socket>` for another."""
    if engine is None:
        return DAEMON
    owner = f"rootless, {engine.user or 'uid'} uid {engine.uid}" if engine.rootless else "root"
    name = bounded(f"dockerd {engine.socket} (pid {engine.pid}, {owner})", MAX_NAME)
    return Subject("daemon" if main else bounded(f"daemon:{engine.socket}", MAX_NAME), "daemon", name)


def containerd_subject(facts: ContainerdFacts, instance: ContainerdInstance) -> Subject:
    """A containerd's results are the host's when it is the only one (the subject key of reports before instances
    were told apart), else its own, named by its socket and pid."""
    if len(facts.instances) == 1:
        return HOST
    running = f"pid {instance.pid}" if instance.pid is not None else "not running"
    socket = instance.socket or "(socket unknown)"
    # two claiming one socket (the later one took it over), or neither known: told apart by their processes
    shared = sum(other.socket == instance.socket for other in facts.instances) > 1
    key = f"containerd-daemon:{socket}" + (f"#{running}" if shared else "")
    return Subject(bounded(key, MAX_NAME), "containerd", bounded(f"containerd {running} at {socket}", MAX_NAME))


def container_subject(container: Container) -> Subject:
    pod = bounded(f"{container.pod.namespace}/{container.pod.name}", MAX_NAME) if container.pod else None
    return Subject(bounded(container.key, MAX_NAME), "container", bounded(container.name, MAX_NAME), pod)


@dataclass(frozen=True)
class Result:
    subject: Subject
    status: Status
    evidence: dict[str, Any] = field(default_factory=dict)
    detail: str = ""

    @classmethod
    def passed(cls, subject: Subject, evidence: dict[str, Any] | None = None, detail: str = "") -> Result:
        return cls(subject, Status.PASS, evidence or {}, detail)

    @classmethod
    def failed(cls, subject: Subject, evidence: dict[str, Any] | None = None, detail: str = "") -> Result:
        return cls(subject, Status.FAIL, evidence or {}, detail)

    @classmethod
    def unknown(cls, subject: Subject, evidence: dict[str, Any] | None = None, detail: str = "") -> Result:
        return cls(subject, Status.UNKNOWN, evidence or {}, detail)

    @classmethod
    def not_applicable(cls, subject: Subject, evidence: dict[str, Any] | None = None, detail: str = "") -> Result:
        return cls(subject, Status.NOT_APPLICABLE, evidence or {}, detail)
