"""Container can reach a container-runtime API socket."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import MOUNT_DESTINATION, MOUNT_RW, MOUNT_SOURCE, ROOTLESS_SOCKET_USER
from hostaudit.model import Snapshot

from ._mounts import mount_exposing
from ._subjects import per_container

META = CheckMeta(
    id="container.docker_socket_mounted",
    title="Container can reach a container-runtime API socket",
    severity=Severity.CRITICAL,
    scope=Scope.CONTAINER,
    cis=("5.32",),
    references=("MITRE ATT&CK T1611",),
    rationale="Whoever can write to the Docker, containerd, CRI-O or Podman socket can start a privileged sibling "
              "container with the host's / mounted: host root. Mounting the socket's directory, /run, /var/run or "
              "/ exposes it just the same.",
    remediation="Remove the mount named in the evidence (for a pod: the hostPath volume mounted there); if the API "
                "is truly needed, put an allow-listing proxy in front of it.",
    needs=("sockets",),
)


@register(META)
def evaluate(facts: Snapshot):
    """Judged from the sockets that exist on this host (the sockets collector), each by the mount exposing it."""

    def judge(ctr):
        exposed = []
        for socket in facts.runtime_sockets:
            mount = mount_exposing(ctr, socket.names)
            if mount is not None:
                exposed.append((mount, socket))
        if not exposed:
            return False, {"mounts": [m.source for m in ctr.mounts if m.type == "bind"],
                           "sockets": [s.path for s in facts.runtime_sockets]}
        mount, socket = max(exposed, key=lambda hit: len(hit[0].source.rstrip("/")))
        evidence = {MOUNT_SOURCE.name: mount.source, MOUNT_DESTINATION.name: mount.destination, MOUNT_RW.name: mount.rw,
                    "socket": socket.path, "socket.daemon": socket.daemon,
                    "exposed": [f"{s.path} ({s.daemon}) through {m.source}" for m, s in exposed]}
        rootless = next((e for _, s in exposed for e in facts.docker_engines if e.rootless and e.socket in s.names),
                        None)
        if rootless is not None:
            evidence[ROOTLESS_SOCKET_USER.name] = rootless.user  # the API of a rootless engine: that user's powers
        return True, evidence

    return per_container(facts, judge)
