"""Container can reach a container-runtime API socket."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._mounts import RUNTIME_SOCKETS, mount_exposing
from ._subjects import per_container

META = CheckMeta(
    id="container.docker_socket_mounted",
    title="Container can reach a container-runtime API socket",
    severity=Severity.CRITICAL,
    scope=Scope.CONTAINER,
    cis=("5.32",),
    references=("MITRE ATT&CK T1611",),
    rationale="Whoever can write to the Docker or containerd socket can start a privileged sibling container with "
              "the host's / mounted: host root. Mounting /run or /var/run exposes the socket just the same.",
    remediation="Remove the mount; if the API is truly needed, put an allow-listing proxy in front of it.",
    needs=(),
)


def socket_paths(facts: Snapshot) -> tuple[str, ...]:
    """The sockets this host's daemons really listen on, plus the well-known ones."""
    found = list(RUNTIME_SOCKETS)
    if facts.docker_daemon is not None:
        found += [s.path for s in facts.docker_daemon.sockets]
    if facts.containerd is not None:
        found += [s.path for s in facts.containerd.sockets]
    if facts.cri is not None:
        found.append(facts.cri.endpoint.removeprefix("unix://"))
    return tuple(dict.fromkeys(found))


@register(META)
def evaluate(facts: Snapshot):
    sockets = socket_paths(facts)

    def judge(ctr):
        hit = mount_exposing(ctr, sockets)
        if hit is None:
            return False, {"mounts": [m.source for m in ctr.mounts if m.type == "bind"]}
        mount, socket = hit
        return True, {"mount.source": mount.source, "mount.destination": mount.destination, "mount.rw": mount.rw,
                      "socket": socket}

    return per_container(facts, judge)
