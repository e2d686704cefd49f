"""containerd: its config.toml, version, sockets, and the OCI bundle of every task under its state dirs."""

from __future__ import annotations

import glob
import os
from typing import Any

from hostaudit.collectors import CollectContext, CollectorSkipped, PartialFacts, ProcessEntry
from hostaudit.collectors._cgroup import limits, pod_cgroup
from hostaudit.collectors._fs import (
    host_exists,
    host_glob,
    host_isdir,
    host_listdir,
    process_started_at,
    read_parsed,
    read_text,
    root_only,
    socket_info,
)
from hostaudit.collectors._runtime_versions import running_binary_version
from hostaudit.collectors.normalize import distinct_subjects, from_oci
from hostaudit.containerd_config import cni_conf_dir
from hostaudit.model import (
    CniConfig,
    CniFacts,
    ConfigFile,
    Container,
    ContainerdFacts,
    ContainerdInstance,
    Pod,
    Presence,
)
from hostaudit.parsers import int_or_none, parse_json_object, parse_toml

DEFAULT_CONFIG = "/etc/containerd/config.toml"
DEFAULT_STATE = "/run/containerd"
DEFAULT_SOCKET = "/run/containerd/containerd.sock"
TASKS = "io.containerd.runtime.v2.task"
DOCKER_NAMESPACE = "moby"  # dockerd's --containerd-namespace default
CNI_SUFFIXES = (".conf", ".conflist", ".json")  # what libcni loads, in file-name order
POD_NAMESPACES = ("network", "pid", "ipc", "uts")


def _flag(argv: tuple[str, ...], *names: str) -> str | None:
    for index, arg in enumerate(argv):
        for name in names:
            if arg == name and index + 1 < len(argv):
                return argv[index + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def read_config(path: str) -> ConfigFile:
    """config.toml parsed, or why not."""
    return read_parsed(path, parse_toml)


def daemon_view(proc: ProcessEntry) -> tuple[ConfigFile, str | None, str | None]:
    """A containerd process's config, state dir and socket, command-line flags taking precedence, then the config,
    then the defaults; a state dir or socket is None (unknown) when only a config that cannot be read would say."""
    config = read_config(_flag(proc.argv, "--config", "-c") or DEFAULT_CONFIG)
    known = config.data is not None or config.presence is Presence.ABSENT
    data = config.data or {}
    grpc = data.get("grpc") if isinstance(data.get("grpc"), dict) else {}
    state = _flag(proc.argv, "--state") or (data.get("state") if isinstance(data.get("state"), str) else None)
    address = _flag(proc.argv, "--address", "-a") or grpc.get("address")
    address = address if isinstance(address, str) else None
    return config, state or (DEFAULT_STATE if known else None), address or (DEFAULT_SOCKET if known else None)


def instances(views: list[tuple[ProcessEntry, ConfigFile, str | None, str | None]]) -> tuple[ContainerdInstance, ...]:
    """One instance per running containerd, the main one first (`ContainerdFacts.main`): standalone ones (not the
    one a dockerd starts under its exec-root) before dockerd's, the one on the default socket first, then by
    socket; when none runs, the default config the next start would read."""
    if not views:
        return (ContainerdInstance(None, read_config(DEFAULT_CONFIG), DEFAULT_STATE, DEFAULT_SOCKET, None),)
    ordered = sorted(views, key=lambda v: (v[1].path.endswith("/containerd/containerd.toml"), v[3] != DEFAULT_SOCKET,
                                           v[3] or "", v[0].pid))
    return tuple(ContainerdInstance(proc.pid, config, state, socket, running_binary_version(proc.pid, "containerd")[0],
                                    process_started_at(proc.pid))
                 for proc, config, state, socket in ordered)


def _task(state_dir: str, config_path: str) -> Container | None:
    bundle = os.path.dirname(config_path)
    namespace, task_id = bundle.rsplit("/", 2)[-2:]
    found = read_text(config_path, follow=False)
    if found.text is None:
        return None
    try:
        spec = parse_json_object(found.text)
    except ValueError:
        return None
    pid = int_or_none((read_text(os.path.join(bundle, "init.pid"), follow=False).text or "").strip())
    alive = pid is not None and host_exists(f"/proc/{pid}")
    return from_oci(spec, namespace, task_id, pid if alive else None, "running" if alive else "stopped")


def unique_subjects(tasks: list[tuple[str, Container]]) -> list[Container]:
    """The tasks, one subject each: tasks whose keys collide (two tasks claiming one pod and container name in their
    annotations, or one namespace/id under two state dirs) keep them only with their own state dir, namespace and
    id appended, so no task's facts ever stand for another's."""
    return distinct_subjects((task, f"{state_dir}/{task.namespace}/{task.id}", f"task {task.namespace}/{task.id}")
                             for state_dir, task in tasks)


def group_pods(containers: list[Container]) -> tuple[Pod, ...]:
    """Kubernetes pods from their tasks' CRI annotations: one per sandbox id, its containers joined to it."""
    pods: dict[tuple[str, str], dict] = {}
    for ctr in containers:
        if ctr.pod is None:
            continue
        pod = pods.setdefault((ctr.namespace, ctr.pod.sandbox_id), {
            "namespace": ctr.pod.namespace, "name": ctr.pod.name, "sandbox": None, "containers": []})
        if ctr.pod.container_name:
            pod["containers"].append(ctr.key)
        else:
            pod["sandbox"] = ctr
    grouped = []
    for (namespace, sandbox_id), pod in sorted(pods.items()):
        sandbox = pod["sandbox"]
        parent = pod_cgroup(sandbox.cgroup_parent) if sandbox else ""  # the pod's cgroup holds its limits
        grouped.append(Pod(
            namespace=pod["namespace"], name=pod["name"], sandbox_id=sandbox_id,
            sandbox_key=sandbox.key if sandbox else None, containers=tuple(sorted(pod["containers"])),
            host_namespaces=tuple(kind for kind in POD_NAMESPACES
                                  if sandbox and sandbox.namespaces.get(kind) == "host"),
            containerd_namespace=namespace, cgroup_parent=parent, cgroup_limits=limits(parent) if parent else {}))
    return tuple(grouped)


def _cni_config(path: str) -> CniConfig:
    found = read_text(path)
    if found.text is None:
        return CniConfig(path, found.presence, found.error)
    try:
        data = parse_json_object(found.text)
    except ValueError as exc:
        return CniConfig(path, Presence.PRESENT, f"{path}: {exc}")
    chain = data.get("plugins") if isinstance(data.get("plugins"), list) else [data]
    plugins = [p for p in chain if isinstance(p, dict)]
    name = data.get("name")
    return CniConfig(
        path, Presence.PRESENT, name=name if isinstance(name, str) else "",
        plugins=tuple(p["type"] for p in plugins if isinstance(p.get("type"), str)),
        bridges=tuple(p["bridge"] for p in plugins if p.get("type") == "bridge" and isinstance(p.get("bridge"), str)))


def read_cni(conf_dir: str) -> CniFacts:
    """The CNI network configurations in `conf_dir`, in the order libcni (and so CRI) picks them."""
    try:
        names = sorted(n for n in host_listdir(conf_dir) if n.endswith(CNI_SUFFIXES))
    except FileNotFoundError:
        return CniFacts((conf_dir,), ())
    except OSError as exc:
        return CniFacts((conf_dir,), (), (f"{conf_dir}: {exc.strerror or exc}",))
    return CniFacts((conf_dir,), tuple(_cni_config(os.path.join(conf_dir, n)) for n in names))


def daemon_views(ctx: CollectContext) -> list[tuple[ProcessEntry, ConfigFile, str | None, str | None]]:
    """Each running containerd with its config, state dir and socket (`daemon_view`); only those of the state dirs
    asked for, when some were (compared as normalized paths: `/x/state/` is `/x/state`; an unknown one is none)."""
    views = [(p, *daemon_view(p)) for p in ctx.processes_named("containerd")]
    if ctx.containerd_state_dirs:
        wanted = {os.path.normpath(d) for d in ctx.containerd_state_dirs}
        views = [v for v in views if v[2] is not None and os.path.normpath(v[2]) in wanted]
    return views


def dockerd_namespace(proc: ProcessEntry) -> str:
    """The containerd namespace a dockerd puts its tasks in: its --containerd-namespace, else its daemon.json's
    `containerd-namespace`, else `moby`."""
    from hostaudit.collectors.docker_engines import daemon_json
    from hostaudit.parsers import parse_dockerd_argv

    flagged = parse_dockerd_argv(list(proc.argv)).get("containerd-namespace", ())
    configured = flagged[-1] if flagged else daemon_json(proc).get("containerd-namespace")
    return configured if isinstance(configured, str) and configured else DOCKER_NAMESPACE


def info_namespace(info: dict[str, Any] | None) -> str | None:
    """The containerd namespace a dockerd's `/info` says its containers run in (`Containerd.Namespaces.Containers`,
    in newer Engine APIs only; Docker 20.10 has no `Containerd` there)."""
    containerd = (info or {}).get("Containerd")
    namespaces = containerd.get("Namespaces") if isinstance(containerd, dict) else None
    name = namespaces.get("Containers") if isinstance(namespaces, dict) else None
    return name if isinstance(name, str) and name else None


def docker_namespaces(ctx: CollectContext, infos: tuple[dict[str, Any], ...] = ()) -> frozenset[str]:
    """The namespaces of Docker's tasks: `moby`, that of each dockerd root runs (`processes_named`), and the one
    each of root's dockerds reports in `infos` (their /info: a namespace argv and daemon.json do not show, such as
    one Docker derives itself). Another user's dockerd is anyone's process called dockerd, its argv anything: it
    names none."""
    found = {DOCKER_NAMESPACE, *map(dockerd_namespace, ctx.processes_named("dockerd")), *map(info_namespace, infos)}
    return frozenset(name for name in found if name)


def collect(ctx: CollectContext, docker_ids: frozenset[str] = frozenset(), cri_ids: frozenset[str] = frozenset(),
            docker_infos: tuple[dict[str, Any], ...] = ()) -> ContainerdFacts:
    """containerd's tasks; those in Docker's namespaces (`docker_namespaces`, with `docker_infos`, the /info of each
    of root's dockerds) that Docker listed (`docker_ids`), and those the CRI API described (`cri_ids`), are counted
    as skipped without reading their bundles."""
    dockers = docker_namespaces(ctx, docker_infos) if docker_ids else frozenset()
    views = daemon_views(ctx)
    if ctx.containerd_state_dirs:
        state_dirs = [os.path.normpath(d) for d in ctx.containerd_state_dirs]
    else:
        # only state dirs a host containerd names: a shim's cwd or a process's claims are never followed
        state_dirs = sorted({v[2] for v in views if v[2]} | (
            {DEFAULT_STATE} if host_isdir(os.path.join(DEFAULT_STATE, TASKS)) else set()))
    # a bundle a user could have written would make their made-up task an audit subject with another's /proc view
    untrusted = [] if ctx.containerd_state_dirs else [r for r in map(_untrusted_tasks, state_dirs) if r]
    state_dirs = [d for d in state_dirs if not any(r.startswith(f"{d}: ") for r in untrusted)]
    if not views and not state_dirs and not host_exists(DEFAULT_CONFIG):
        raise CollectorSkipped("containerd: not running and no configuration found")
    found = instances(views)
    sockets = sorted({instance.socket for instance in found if instance.socket})
    containers = []
    skipped = skipped_cri = 0
    for state_dir in state_dirs:
        for config_path in sorted(host_glob(os.path.join(glob.escape(state_dir), TASKS, "*", "*", "config.json"))):
            namespace, task_id = os.path.dirname(config_path).rsplit("/", 2)[-2:]
            if namespace in dockers and task_id in docker_ids:
                skipped += 1
                continue
            if task_id in cri_ids:
                skipped_cri += 1
                continue
            task = _task(state_dir, config_path)
            if task is not None:
                containers.append((state_dir, task))
    containers = unique_subjects(containers)
    facts = ContainerdFacts(
        instances=found,
        state_dirs=tuple(state_dirs),
        sockets=tuple(socket_info(s) for s in sockets),
        containers=tuple(containers),
        skipped_docker_tasks=skipped,
        skipped_cri_tasks=skipped_cri,
        pods=group_pods(containers),
        cni=read_cni(cni_conf_dir(found[0].config.data or {})),
    )
    unreadable = [reason for reason in map(_unreadable_tasks, state_dirs) if reason]
    problems = ([f"cannot list the tasks in {'; '.join(unreadable)}"] if unreadable else []) + untrusted
    if problems:
        raise PartialFacts(facts, "containerd: " + "; ".join(problems))
    return facts


def _untrusted_tasks(state_dir: str) -> str | None:
    """Why the task bundles under a discovered `state_dir` are not read (a user other than root could write them);
    None when only root can, or there are none."""
    tasks = os.path.join(state_dir, TASKS)
    doubt = root_only(tasks) if host_isdir(tasks) else None
    return f"{state_dir}: not root's alone ({doubt}): its task bundles are not read" if doubt else None


def _unreadable_tasks(state_dir: str) -> str | None:
    """Why the task bundles under `state_dir` cannot be listed (not root, say); None when they can or there are none."""
    try:
        host_listdir(os.path.join(state_dir, TASKS))
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{state_dir}: {exc.strerror or exc}"
    return None
