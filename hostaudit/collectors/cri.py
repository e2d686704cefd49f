"""The container runtime's CRI v1 API (containerd, CRI-O): every pod sandbox and container the node has, in any state.

Each container's OCI runtime spec and pid come from the verbose status (`info`), so a container that exited or was
never started is audited from the spec it would run with again. Every call has a deadline; labels, annotations and
names are the pods' (hostile) data and are bounded here.
"""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from hostaudit.collectors import CollectContext, CollectorError, CollectorSkipped, PartialFacts
from hostaudit.collectors._budget import budget_seconds, deadline
from hostaudit.collectors._cgroup import limits
from hostaudit.collectors._docker import peer_credentials
from hostaudit.collectors._fs import host_exists, host_path
from hostaudit.collectors.normalize import from_oci
from hostaudit.containerd_config import cri_disabled
from hostaudit.model import Container, CriFacts, KubeletFacts, Pod, PodRef
from hostaudit.parsers import parse_json_object

CRIO_SOCKET = "/var/run/crio/crio.sock"
MAX_ITEMS = 256  # labels/annotations kept per object
MAX_VALUE = 1024  # characters kept per label key or value
MAX_OBJECTS = 5000  # sandboxes or containers read from one runtime
MAX_MESSAGE = 16 << 20  # bytes of one CRI answer (a list of thousands of containers exceeds gRPC's 4 MiB default)
STATUS_WORKERS = 16  # status calls in flight at once
CONTAINER_STATES = {0: "created", 1: "running", 2: "exited", 3: "unknown"}
SANDBOX_STATES = {0: "ready", 1: "notready"}
NODE = 2  # CRI NamespaceMode NODE: the host's namespace
# kubelet copies the pod's labels onto its sandbox; these name the controller that made the pod
_CRONJOB_JOB = re.compile(r"^(?P<cronjob>.+)-\d{8,}$")


def _bounded(mapping: Any) -> dict[str, str]:
    """At most MAX_ITEMS string pairs, each cut to MAX_VALUE characters."""
    out: dict[str, str] = {}
    for key, value in list(dict(mapping).items())[:MAX_ITEMS]:
        out[str(key)[:MAX_VALUE]] = str(value)[:MAX_VALUE]
    return out


def owner_of(pod_name: str, labels: dict[str, str], annotations: dict[str, str]) -> tuple[str, str, str]:
    """(kind, name, source) of the workload that owns a pod, from the labels its controller stamps on it; ("", "",
    source) for a bare or static pod. An inference from labels, which the pod's author can also set."""
    if annotations.get("kubernetes.io/config.source", "api") != "api":
        return "", "", "annotation kubernetes.io/config.source (static pod)"
    job = labels.get("batch.kubernetes.io/job-name") or labels.get("job-name")
    if job:
        cron = _CRONJOB_JOB.match(job)
        if cron:
            return "CronJob", cron.group("cronjob"), "label job-name (scheduled-time suffix)"
        return "Job", job, "label job-name"
    template_hash = labels.get("pod-template-hash")
    if template_hash:
        prefix, found, _ = pod_name.rpartition(f"-{template_hash}-")
        if found:
            return "Deployment", prefix, "label pod-template-hash"
        return "ReplicaSet", pod_name.rsplit("-", 1)[0], "label pod-template-hash"
    if "controller-revision-hash" in labels:
        if "statefulset.kubernetes.io/pod-name" in labels:
            return "StatefulSet", pod_name.rsplit("-", 1)[0], "label statefulset.kubernetes.io/pod-name"
        if "pod-template-generation" in labels:
            return "DaemonSet", pod_name.rsplit("-", 1)[0], "label pod-template-generation"
    return "", "", "no controller label"


def endpoints(ctx: CollectContext, kubelet: KubeletFacts | None) -> list[tuple[str, str]]:
    """(socket path, where it came from) of the CRI runtimes to ask, in order: the option alone when given; else
    the kubelet's endpoint, each containerd whose config keeps CRI on, CRI-O's default socket (`collect` asks the
    first whose server is root)."""
    from hostaudit.collectors.containerd import daemon_views

    if ctx.cri_endpoint:
        return [(ctx.cri_endpoint.removeprefix("unix://"), "--cri-endpoint")]
    found: list[tuple[str, str]] = []
    if kubelet is not None and not ctx.containerd_state_dirs:
        flag = kubelet.flags.get("container-runtime-endpoint")
        data = kubelet.config.data if kubelet.config and kubelet.config.data else {}
        configured = data.get("containerRuntimeEndpoint")
        endpoint = flag or (configured if isinstance(configured, str) else None)
        if endpoint:
            source = "kubelet --container-runtime-endpoint" if flag else "kubelet config containerRuntimeEndpoint"
            found.append((endpoint.removeprefix("unix://"), source))
    for _proc, config, _state, socket in daemon_views(ctx):
        if socket is None or cri_disabled(config.data or {}):
            continue
        if socket not in (f[0] for f in found):
            found.append((socket, f"containerd config {config.path}"))
    if not ctx.containerd_state_dirs and host_exists(CRIO_SOCKET) and CRIO_SOCKET not in (f[0] for f in found):
        found.append((CRIO_SOCKET, "CRI-O default socket"))
    return found


def _info(response: Any) -> dict[str, Any]:
    """The runtime's verbose `info` document (containerd and CRI-O both put it under "info"), {} when unusable."""
    raw = response.info.get("info") if response.info else None
    if not raw:
        return {}
    try:
        return parse_json_object(raw)
    except ValueError:
        return {}


def _pid(info: dict[str, Any], running: bool) -> int | None:
    pid = info.get("pid")
    if running and isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 and host_exists(f"/proc/{pid}"):
        return pid
    return None


def _linux(info: dict[str, Any]) -> dict[str, Any]:
    """The `linux` part of the CRI config kubelet sent (sandbox or container), {} when the runtime gave none."""
    config = info.get("config") if isinstance(info.get("config"), dict) else {}
    return config.get("linux") if isinstance(config.get("linux"), dict) else {}


def _security_context(info: dict[str, Any]) -> dict[str, Any]:
    context = _linux(info).get("security_context")
    return context if isinstance(context, dict) else {}


def _from_status(status: Any, info: dict[str, Any], state: str, running: bool, pod: PodRef, labels: dict[str, str]
                 ) -> Container:
    spec = info.get("runtimeSpec")
    container = from_oci(spec if isinstance(spec, dict) else {}, "k8s.io", status.id, _pid(info, running), state)
    name = f"{pod.namespace}/{pod.name}/{pod.container_name or '(sandbox)'}"
    image = getattr(status, "image", None)
    return replace(container, key=f"k8s:{name}", name=name, pod=pod, labels=labels,
                   image=(image.image[:MAX_VALUE] if image is not None and image.image else container.image),
                   cri_security_context=_security_context(info) if isinstance(info.get("config"), dict) else None)


def _host_ports(config: dict[str, Any]) -> tuple[int, ...]:
    """The non-zero host ports of a sandbox config's port mappings (at most MAX_ITEMS)."""
    mappings = config.get("port_mappings") if isinstance(config.get("port_mappings"), list) else []
    ports = (m.get("host_port") for m in mappings[:MAX_ITEMS] if isinstance(m, dict))
    return tuple(p for p in ports if isinstance(p, int) and not isinstance(p, bool) and p != 0)


def init_containers(timeline: list[tuple[str, str, int, int]]) -> tuple[str, ...]:
    """Names of a pod's init containers from (name, state, started_at, finished_at) of its containers: those that
    exited before another of them started (kubelet starts the app containers only after every init container)."""
    starts = [started for _name, _state, started, _finished in timeline if started]
    return tuple(sorted({name for name, state, _started, finished in timeline
                         if state == "exited" and finished and any(s >= finished for s in starts)}))


def _unique_keys(containers: list[tuple[int, Container]]) -> list[Container]:
    """The newest container of a name keeps its key; older attempts (and recreated pods) get the id appended."""
    seen: set[str] = set()
    out = []
    for _created, ctr in sorted(containers, key=lambda item: (not item[1].running, -item[0], item[1].id)):
        if ctr.key in seen:
            ctr = replace(ctr, key=f"{ctr.key}@{ctr.id[:12]}", name=f"{ctr.name}@{ctr.id[:12]}")
        seen.add(ctr.key)
        out.append(ctr)
    return out


def _fields_end(raw: bytes, limit: int) -> tuple[int, int]:
    """(count, end offset) of the first `limit` top-level fields of a protobuf message's wire bytes (each entry of a
    list answer is one): walked without decoding, so that a list of millions of tiny entries is cut, not built."""
    def varint(pos: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            if pos >= len(raw) or shift > 63:
                raise ValueError("malformed protobuf varint")
            value, shift, pos = value | (raw[pos] & 0x7F) << shift, shift + 7, pos + 1
            if raw[pos - 1] < 0x80:
                return value, pos

    pos = count = 0
    while pos < len(raw) and count < limit:
        tag, pos = varint(pos)
        wire = tag & 7
        if wire == 0:
            _, pos = varint(pos)
        elif wire == 2:
            length, pos = varint(pos)
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > len(raw):
            raise ValueError("truncated protobuf message")
        count += 1
    return count, pos


def _listed(channel: Any, method: str, request: Any, response_type: Any, timeout: float, errors: list[str]) -> Any:
    """A List* answer with at most MAX_OBJECTS entries (more are cut, and said in `errors`), parsed from bytes
    counted before they are decoded."""
    call = channel.unary_unary(f"/runtime.v1.RuntimeService/{method}",
                               request_serializer=type(request).SerializeToString, response_deserializer=None)
    raw = call(request, timeout=timeout)
    count, end = _fields_end(raw, MAX_OBJECTS)
    if end < len(raw):
        errors.append(f"{method}: more than {count} entries, only the first {count} are audited")
    return response_type.FromString(raw[:end])


def _sandbox(response: Any) -> tuple[int, Container, Pod]:
    """(created at, sandbox as a container, pod) from a verbose PodSandboxStatus answer."""
    status, info = response.status, _info(response)
    meta = status.metadata
    ref = PodRef(meta.namespace[:MAX_VALUE], meta.name[:MAX_VALUE], "", status.id)
    labels, annotations = _bounded(status.labels), _bounded(status.annotations)
    state = SANDBOX_STATES.get(status.state, "unknown")
    options = status.linux.namespaces.options
    kind, owner, owner_source = owner_of(ref.name, labels, annotations)
    config = info.get("config") if isinstance(info.get("config"), dict) else {}
    linux, context = _linux(info), _security_context(info)
    sysctls = linux.get("sysctls") if isinstance(linux.get("sysctls"), dict) else {}
    parent = linux.get("cgroup_parent") if isinstance(linux.get("cgroup_parent"), str) else ""
    pod = Pod(
        namespace=ref.namespace, name=ref.name, sandbox_id=status.id, sandbox_key=None, containers=(),
        host_namespaces=tuple(k for k, mode in (("network", options.network), ("pid", options.pid),
                                                ("ipc", options.ipc)) if mode == NODE),
        containerd_namespace="k8s.io", uid=meta.uid[:MAX_VALUE], state=state, owner_kind=kind,
        owner_name=owner, owner_source=owner_source, security_context=context, cgroup_parent=parent[:MAX_VALUE],
        cgroup_limits=limits(parent) if parent else {},
        host_ports=_host_ports(config) if config else None, sysctls=_bounded(sysctls) if config else None)
    return status.created_at, _from_status(status, info, state, status.state == 0, ref, labels), pod


def _read_runtime(socket: str, source: str, timeout: float) -> CriFacts:
    """Every sandbox and container of the runtime at `socket`; all calls end within one time budget (`_budget`),
    the status calls run concurrently, and those not answered by then are named in `errors`."""
    import grpc
    from cri_api.v1 import api_pb2 as pb
    from cri_api.v1 import api_pb2_grpc

    ends = deadline(timeout)

    def left() -> float:
        return max(0.001, min(timeout, ends - time.monotonic()))

    errors: list[str] = []
    options = [("grpc.max_receive_message_length", MAX_MESSAGE)]
    with grpc.insecure_channel(f"unix://{socket}", options=options) as channel:
        runtime = api_pb2_grpc.RuntimeServiceStub(channel)
        try:
            version = runtime.Version(pb.VersionRequest(), timeout=left())
            sandboxes = _listed(channel, "ListPodSandbox", pb.ListPodSandboxRequest(), pb.ListPodSandboxResponse,
                                left(), errors).items
            listed = _listed(channel, "ListContainers", pb.ListContainersRequest(), pb.ListContainersResponse,
                             left(), errors).containers
        except grpc.RpcError as exc:
            raise CollectorError(f"cri: {socket} ({source}): {exc.code().name}: {exc.details()}") from exc
        except ValueError as exc:
            raise CollectorError(f"cri: {socket} ({source}): malformed list answer: {exc}") from exc

        def status(call: Any, request: Any, what: str) -> Any:
            """The answer, or why there is none (an error, or the budget spent before it was asked)."""
            if time.monotonic() >= ends:
                return f"{what}: not asked within the {budget_seconds(timeout):g}s time budget"
            try:
                return call(request, timeout=left())
            except grpc.RpcError as exc:
                return f"{what}: {exc.code().name}"

        with ThreadPoolExecutor(max_workers=STATUS_WORKERS) as pool:
            sandbox_answers = [pool.submit(status, runtime.PodSandboxStatus, pb.PodSandboxStatusRequest(
                pod_sandbox_id=s.id, verbose=True), f"sandbox {s.id[:12]}") for s in sandboxes]
            container_answers = [pool.submit(status, runtime.ContainerStatus, pb.ContainerStatusRequest(
                container_id=c.id, verbose=True), f"container {c.id[:12]}") for c in listed]
            sandbox_answers = [f.result() for f in sandbox_answers]
            container_answers = [f.result() for f in container_answers]
    found: list[tuple[int, Container]] = []
    pods: list[Pod] = []
    for answer in sandbox_answers:
        if isinstance(answer, str):
            errors.append(answer)
            continue
        created, sandbox, pod = _sandbox(answer)
        found.append((created, sandbox))
        pods.append(pod)
    by_sandbox = {p.sandbox_id: p for p in pods}
    timelines: dict[str, list[tuple[str, str, int, int]]] = {}
    for listed_container, answer in zip(listed, container_answers, strict=True):
        if isinstance(answer, str):
            errors.append(answer)
            continue
        status_, info = answer.status, _info(answer)
        pod_of = by_sandbox.get(listed_container.pod_sandbox_id)
        labels = _bounded(status_.labels)
        ref = PodRef(pod_of.namespace if pod_of else labels.get("io.kubernetes.pod.namespace", ""),
                     pod_of.name if pod_of else labels.get("io.kubernetes.pod.name", ""),
                     status_.metadata.name[:MAX_VALUE] or "(unnamed)", listed_container.pod_sandbox_id)
        state = CONTAINER_STATES.get(status_.state, "unknown")
        found.append((status_.created_at, _from_status(status_, info, state, status_.state == 1, ref, labels)))
        timelines.setdefault(listed_container.pod_sandbox_id, []).append(
            (ref.container_name, state, status_.started_at, status_.finished_at))
    containers = _unique_keys(found)
    keys: dict[str, list[str]] = {}
    sandbox_keys: dict[str, str] = {}
    for ctr in containers:
        if ctr.pod and ctr.pod.container_name:
            keys.setdefault(ctr.pod.sandbox_id, []).append(ctr.key)
        elif ctr.pod:
            sandbox_keys[ctr.id] = ctr.key
    pods = [replace(p, sandbox_key=sandbox_keys.get(p.sandbox_id), containers=tuple(sorted(keys.get(p.sandbox_id, ()))),
                    init_containers=init_containers(timelines.get(p.sandbox_id, []))) for p in pods]
    return CriFacts(endpoint=f"unix://{socket}", endpoint_source=source, runtime_name=version.runtime_name[:64],
                    runtime_version=version.runtime_version[:64], api_version=version.runtime_api_version[:16],
                    containers=tuple(containers), pods=tuple(sorted(pods, key=lambda p: (p.namespace, p.name, p.uid))),
                    errors=tuple(errors))


def _root_served(path: str, source: str, timeout: float) -> str | None:
    """None when root serves the socket at `path` (SO_PEERCRED); else why it is not used. Root trusts only root:
    a user's CRI server (named by a kubelet they run, or by mistake) would replace the node's inventory."""
    peer = peer_credentials(path, timeout)
    if peer is None:
        return f"unix://{path} ({source}): no server answering"
    if peer[1] != 0:
        return f"unix://{path} ({source}): served by uid {peer[1]} (pid {peer[0]}), not root: not used"
    return None


def collect(ctx: CollectContext, kubelet: KubeletFacts | None) -> CriFacts:
    """The first CRI runtime found whose server is root; skipped (the containerd collector then reads task
    bundles) when there is none, an error naming each refused socket when there are only others' servers."""
    # a socket the host's configuration names is a host path (read through the host root); --cri-endpoint is taken
    # as given, like --docker-host, and its server must be root too (the sysadmin named a path, not a user)
    found = [(s if src == "--cri-endpoint" else host_path(s), src) for s, src in endpoints(ctx, kubelet)]
    found = [(s, src) for s, src in found if os.path.exists(s)]
    if not found:
        raise CollectorSkipped("cri: no CRI runtime socket found; pods are read from containerd's task bundles "
                               "(running containers only)")
    refused: list[str] = []
    for socket, source in found:
        why = _root_served(socket, source, ctx.cri_timeout)
        if why is None:
            break
        refused.append(why)
    else:
        raise CollectorError("cri: no CRI runtime served by root: " + "; ".join(refused[:5])
                             + "; pods are read from containerd's task bundles (running containers only)")
    try:
        import cri_api.v1.api_pb2  # noqa: F401
    except ImportError as exc:
        raise CollectorError(f"cri: the CRI client (container-runtime-interface-api) cannot be loaded: {exc}") from exc
    facts = _read_runtime(socket, source, ctx.cri_timeout)
    if refused:  # said beside the source used, never silently skipped
        facts = replace(facts, endpoint_source=f"{source} (before it, refused: {'; '.join(refused[:5])})")
    if facts.errors:
        raise PartialFacts(facts, f"cri: {len(facts.errors)} call(s) failed: " + "; ".join(facts.errors[:5]))
    return facts
