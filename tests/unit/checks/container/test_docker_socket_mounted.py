import dataclasses

from hostaudit.model import DockerEngine, Mount, Presence, SocketInfo, Status
from tests.unit.conftest import (
    assert_unknown_without_docker,
    replace_container,
    results_by_subject,
    with_collector_error,
)

CHECK = "container.docker_socket_mounted"
DOCKER_DEFAULT = SocketInfo("/var/run/docker.sock", Presence.PRESENT, daemon="dockerd (pid 1)",
                            aliases=("/run/docker.sock",))
CONTAINERD = SocketInfo("/run/containerd/containerd.sock", Presence.PRESENT, daemon="containerd (pid 2)",
                        aliases=("/var/run/containerd/containerd.sock",))


def _with_sockets(snapshot, *sockets):
    return dataclasses.replace(snapshot, runtime_sockets=(*snapshot.runtime_sockets, *sockets))


def test_socket_bind_mount_fails_with_its_source(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["sock"]
    assert result.status is Status.FAIL
    assert result.evidence["mount.destination"] == "/var/run/docker.sock"
    assert result.evidence["socket"] == result.evidence["mount.source"]
    assert result.evidence["socket.daemon"].startswith("dockerd (pid ")


def test_a_parent_directory_mount_exposes_the_socket(lab_snapshot):
    snapshot = _with_sockets(lab_snapshot, DOCKER_DEFAULT)
    result = results_by_subject(CHECK, snapshot)["run-dir"]
    assert result.status is Status.FAIL
    assert result.evidence["mount.source"] == "/run"
    assert result.evidence["socket"] == "/var/run/docker.sock"
    var_mount = replace_container(snapshot, "hardened", mounts=(Mount("/var", "/v", "bind", False),))
    assert results_by_subject(CHECK, var_mount)["hardened"].evidence["socket"] == "/var/run/docker.sock"


def test_host_root_exposes_only_sockets_that_exist_never_the_default_path(lab_snapshot):
    """The lab's dockerd listens under /tmp: `/` exposes that socket, and no evidence names /var/run/docker.sock,
    which did not exist there (issue 12: evidence named a socket path that did not exist)."""
    result = results_by_subject(CHECK, lab_snapshot)["host-root"]
    assert result.status is Status.FAIL
    named = [result.evidence["socket"], *result.evidence["exposed"]]
    assert not [text for text in named if "/var/run/docker.sock" in text or text.startswith("/run/")]
    assert {s.path for s in lab_snapshot.runtime_sockets} == {result.evidence["socket"]} | {
        text.split(" (")[0] for text in result.evidence["exposed"]}


def test_no_socket_on_the_host_means_nothing_to_expose(lab_snapshot):
    snapshot = dataclasses.replace(lab_snapshot, runtime_sockets=())
    assert results_by_subject(CHECK, snapshot)["host-root"].status is Status.PASS
    assert results_by_subject(CHECK, snapshot)["run-dir"].status is Status.PASS


def test_the_socket_mount_itself_is_named_not_a_wider_mount(lab_snapshot):
    """A pod with / and the containerd socket mounted: the fix names the socket's own mount."""
    mounts = (Mount("/", "/host", "bind", True), Mount("/run/containerd/containerd.sock", "/c.sock", "bind", True))
    snapshot = replace_container(_with_sockets(lab_snapshot, CONTAINERD), "hardened", mounts=mounts)
    result = results_by_subject(CHECK, snapshot)["hardened"]
    assert result.status is Status.FAIL
    assert (result.evidence["mount.source"], result.evidence["mount.destination"]) == (
        "/run/containerd/containerd.sock", "/c.sock")
    assert result.evidence["socket"] == "/run/containerd/containerd.sock"


def test_a_var_run_mount_reaches_a_socket_found_under_run(lab_snapshot):
    mounts = (Mount("/var/run/containerd", "/c", "bind", True),)
    snapshot = replace_container(_with_sockets(lab_snapshot, CONTAINERD), "hardened", mounts=mounts)
    assert results_by_subject(CHECK, snapshot)["hardened"].status is Status.FAIL


def test_similar_names_and_volumes_pass(lab_snapshot):
    mounts = (Mount("/run-data", "/data", "bind", True), Mount("docker.sock", "/x", "volume", True))
    snapshot = _with_sockets(lab_snapshot, DOCKER_DEFAULT)
    result = results_by_subject(CHECK, replace_container(snapshot, "hardened", mounts=mounts))["hardened"]
    assert result.status is Status.PASS
    assert results_by_subject(CHECK, lab_snapshot)["etc-ro"].status is Status.PASS


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)


def test_unknown_when_the_sockets_could_not_be_collected(lab_snapshot):
    results = results_by_subject(CHECK, with_collector_error(lab_snapshot, "sockets"))
    assert {r.status for r in results.values()} == {Status.UNKNOWN}


def test_a_rootless_engines_socket_names_its_user_and_a_rootful_one_does_not(lab_snapshot):
    """The sockets collector lists a rootless dockerd's socket; the engine behind it says whose powers it gives."""
    path = "/run/user/1000/docker.sock"
    rootless = SocketInfo(path, Presence.PRESENT, daemon="dockerd (pid 7, user alice)")
    engine = DockerEngine(path, "rootlesskit", 1000, uid=1000, user="alice", pid=7)
    snapshot = dataclasses.replace(_with_sockets(lab_snapshot, rootless),
                                   docker_engines=(*lab_snapshot.docker_engines, engine))
    mounted = replace_container(snapshot, "hardened", mounts=(Mount("/run/user/1000", "/r", "bind", False),))
    result = results_by_subject(CHECK, mounted)["hardened"]
    assert result.status is Status.FAIL and result.evidence["socket"] == path
    assert result.evidence["socket.rootless_engine_user"] == "alice"
    assert "socket.rootless_engine_user" not in results_by_subject(CHECK, snapshot)["sock"].evidence
