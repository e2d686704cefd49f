"""Every dockerd audited under its own subject (issue 26, part A): a daemon check runs once per dockerd over that
dockerd's own facts, the report lists each engine, and a rootless engine's daemon.json is read only as its user's.

The oracle for the per-daemon results is each recorded daemon audited alone (the weak and the hardened fixture, both
recorded from the lab's real dockerd); for the user's file it is the kernel's ownership of real files."""

from __future__ import annotations

import dataclasses
import json
import os

import pytest

from hostaudit import catalog, engine, escape, fleet
from hostaudit.collectors._fs import read_parsed
from hostaudit.model import DockerEngine, Result, Snapshot, Status, Subject, daemon_subject
from hostaudit.parsers import parse_json_object
from tests.unit.conftest import load

OTHER = DockerEngine("/srv/second/docker.sock", "dockerd -H", 0, 0, "root", 4242)
ROOTLESS = DockerEngine("/run/user/1000/docker.sock", "rootlesskit", 1000, 1000, "alice", 5151)
MAIN = DockerEngine("/var/run/docker.sock", "dockerd default socket", 0, 0, "root", 31473)
DAEMON_CHECKS = sorted(cid for cid, check in catalog.load().items() if cid.startswith("daemon.")
                       and not check.meta.manual)


def _two_daemons() -> tuple[Snapshot, Snapshot, Snapshot]:
    """The weak daemon's snapshot with the hardened daemon running beside it on a socket of its own."""
    weak, hardened = load("daemon/weak-daemon-fails.json"), load("daemon/hardened-daemon-passes.json")
    other = dataclasses.replace(hardened.docker_daemon, engine=OTHER, endpoint=f"unix://{OTHER.socket}")
    both = dataclasses.replace(weak, docker_daemon=dataclasses.replace(weak.docker_daemon, engine=MAIN),
                               other_docker_daemons=(other,))
    return weak, hardened, both


@pytest.mark.parametrize("check_id", DAEMON_CHECKS)
def test_each_daemon_gets_the_results_it_gets_when_audited_alone(check_id):
    weak, hardened, both = _two_daemons()
    check = {check_id: catalog.load()[check_id]}
    alone = {name: [(r.status, r.evidence) for r in engine.evaluate(snapshot, check)[check_id]]
             for name, snapshot in (("weak", weak), ("hardened", hardened))}
    together = engine.evaluate(both, check)[check_id]
    by_key = {}
    for result in together:
        by_key.setdefault(result.subject.key, []).append((result.status, result.evidence))
    assert by_key == {"daemon": alone["weak"], f"daemon:{OTHER.socket}": alone["hardened"]}


def test_the_weak_and_the_hardened_daemon_differ_somewhere():
    """The test above could not tell two daemons apart if their recorded results were the same."""
    weak, hardened, _ = _two_daemons()
    checks = {cid: catalog.load()[cid] for cid in DAEMON_CHECKS}
    differ = [cid for cid in DAEMON_CHECKS
              if [r.status for r in engine.evaluate(weak, checks)[cid]]
              != [r.status for r in engine.evaluate(hardened, checks)[cid]]]
    assert "daemon.icc_enabled" in differ and len(differ) >= 5


def test_a_daemon_whose_api_failed_is_unknown_under_its_own_subject_only():
    _, _, both = _two_daemons()
    broken = dataclasses.replace(both.other_docker_daemons[0], error="docker: unreachable at unix:///srv/x",
                                 info=None, version=None, reachable=False)
    snapshot = dataclasses.replace(both, other_docker_daemons=(broken,))
    results = engine.evaluate(snapshot, {"daemon.icc_enabled": catalog.load()["daemon.icc_enabled"]})
    statuses = {r.subject.key: r.status for r in results["daemon.icc_enabled"]}
    assert statuses == {"daemon": Status.FAIL, f"daemon:{OTHER.socket}": Status.UNKNOWN}


def test_subjects_name_the_socket_pid_and_owner():
    _, _, both = _two_daemons()
    rootless = dataclasses.replace(both.other_docker_daemons[0], engine=ROOTLESS)
    snapshot = dataclasses.replace(both, other_docker_daemons=(both.other_docker_daemons[0], rootless))
    names = {r.subject.key: r.subject.name for r in engine.evaluate(
        snapshot, {"daemon.icc_enabled": catalog.load()["daemon.icc_enabled"]})["daemon.icc_enabled"]}
    assert names["daemon"] == "dockerd /var/run/docker.sock (pid 31473, root)"
    assert names[f"daemon:{ROOTLESS.socket}"] == f"dockerd {ROOTLESS.socket} (pid 5151, rootless, alice uid 1000)"


def test_report_lists_every_engine_and_the_headline_names_them():
    _, _, both = _two_daemons()
    rootless = dataclasses.replace(both.other_docker_daemons[0], engine=ROOTLESS)
    snapshot = dataclasses.replace(both, other_docker_daemons=(rootless,))
    report = engine.audit(snapshot)
    version = both.docker_daemon.version["Version"]
    assert report.host["docker"] == f"{version} (2 daemons: /var/run/docker.sock, rootless uid 1000)"
    assert [(e.subject, e.owner, e.rootless) for e in report.engines] == [
        ("daemon", "root", False), (f"daemon:{ROOTLESS.socket}", "alice", True)]


def test_runc_comes_from_the_host_binary_when_the_api_does_not_name_it():
    lab = load("lab/planted.json")
    version = dict(lab.docker_daemon.version)
    version["Components"] = [c for c in version["Components"] if c.get("Name") != "runc"]
    snapshot = dataclasses.replace(lab, docker_daemon=dataclasses.replace(lab.docker_daemon, version=version))
    assert engine.audit(snapshot, only=("daemon.icc_enabled",)).host["runc"] == lab.host.runtime_binaries[
        "/usr/bin/runc"]


# ---------------------------------------------------------------- escape verdicts


@pytest.mark.parametrize("exposed_first", [True, False])
@pytest.mark.parametrize("exposed_engine", [OTHER, ROOTLESS], ids=["rootful", "rootless"])
def test_an_escape_through_another_daemons_tcp_api_names_that_daemon(exposed_first, exposed_engine):
    """The endpoint's dockerd keeps its API off TCP; another one serves it on every interface without TLS: a bridged
    container reaches it, whatever order the daemons' results come in, and lands as that daemon's owner."""
    ctr = Subject("docker:web", "container", "web")
    exposed = daemon_subject(exposed_engine, main=False)
    tcp = [Result.failed(exposed, {"without_tlsverify": ["0.0.0.0:2375 (argv)"]}),
           Result.passed(daemon_subject(MAIN, main=True), {"tcp_listeners": []})]
    recorded = {"container.host_network": [Result.passed(ctr)],
                "daemon.tcp_without_tls": tcp if exposed_first else tcp[::-1]}
    owners = {exposed.key: "alice"} if exposed_engine.rootless else {}
    (verdict,) = escape.analyse(recorded, owners)
    (path,) = [p for p in verdict.paths if "Docker API on TCP" in p.technique]
    assert exposed.name in path.technique
    if exposed_engine.rootless:
        assert (verdict.verdict, path.kind) == (escape.WEAKENED, escape.CONDITIONAL)
        assert "lands as alice, not host root" in path.technique
    else:
        assert (verdict.verdict, path.kind) == (escape.ESCAPABLE, escape.DIRECT)


# ---------------------------------------------------------------- a rootless user's own daemon.json


def test_a_users_file_is_read_as_theirs(root_tmp_path):
    path = root_tmp_path / "daemon.json"
    path.write_text(json.dumps({"icc": False}))
    os.chown(path, 1000, 1000)
    assert read_parsed(str(path), parse_json_object, owner=1000).data == {"icc": False}


def test_a_file_the_user_does_not_own_is_never_read_in_their_name(root_tmp_path):
    """A user pointing their engine's config at root's file (or anyone else's) gets nothing of it read."""
    path = root_tmp_path / "secret.json"
    path.write_text(json.dumps({"root": "only"}))
    found = read_parsed(str(path), parse_json_object, owner=1000)
    assert found.data is None and "owned by uid 0, not by uid 1000" in found.error


def test_a_symbolic_link_in_the_users_config_is_not_followed(root_tmp_path):
    target = root_tmp_path / "root.json"
    target.write_text(json.dumps({"root": "only"}))
    link = root_tmp_path / "daemon.json"
    link.symlink_to(target)
    os.lchown(link, 1000, 1000)
    found = read_parsed(str(link), parse_json_object, owner=1000)
    assert found.data is None and found.error


# ---------------------------------------------------------------- fleet


def _fleet_report(engines: list[dict], docker_daemon_state: str) -> dict:
    return {"report_version": 2, "host": {"hostname": "h", "docker": "20.10.24"}, "collected_at": "x",
            "collectors": {"docker_daemon": {"state": docker_daemon_state, "message": "docker: no socket at "
                                             "unix:///var/run/docker.sock"}},
            "engines": engines, "containers": [], "checks": {}, "findings": [], "escapes": []}


ENGINE = {"kind": "docker", "subject": "daemon:/srv/d.sock", "endpoint": "unix:///srv/d.sock", "version": "20.10.24",
          "owner": "root", "uid": 0, "pid": 7, "rootless": False, "config_file": "/etc/docker/daemon.json",
          "error": None}


def test_a_host_whose_engines_were_all_read_is_audited_without_a_default_socket(tmp_path):
    (tmp_path / "h.json").write_text(json.dumps(_fleet_report([ENGINE], "skipped")))
    assert fleet.merge([tmp_path / "h.json"])["hosts"][0]["error"] is None


def test_a_host_with_an_engine_not_read_is_not_audited(tmp_path):
    broken = ENGINE | {"error": "docker: unreachable at unix:///srv/d.sock: timed out"}
    (tmp_path / "h.json").write_text(json.dumps(_fleet_report([ENGINE | {"endpoint": "unix:///a"}, broken], "ok")))
    error = fleet.merge([tmp_path / "h.json"])["hosts"][0]["error"]
    assert error.startswith("1 of 2 Docker engines could not be read: unix:///srv/d.sock: docker: unreachable")


def test_the_fleet_counts_failing_findings_per_engine(tmp_path):
    """The report of a host with the weak and the hardened dockerd, as `hostaudit audit --format json` writes it:
    the fleet lists both engines, each with the failures of its own daemon checks."""
    from hostaudit.renderers import json as json_renderer

    _, _, both = _two_daemons()
    report = engine.audit(both)
    (tmp_path / "h.json").write_text(json_renderer.render(report))
    merged = fleet.merge([tmp_path / "h.json"])
    failing = {subject: sum(1 for f in report.findings if f.subject.key == subject and f.failing)
               for subject in ("daemon", f"daemon:{OTHER.socket}")}
    assert failing["daemon"] > failing[f"daemon:{OTHER.socket}"]
    rows = merged["hosts"][0]["engines"]
    assert [(r["endpoint"], r["failing"]) for r in rows] == [
        (f"unix://{MAIN.socket}", failing["daemon"]), (f"unix://{OTHER.socket}", failing[f"daemon:{OTHER.socket}"])]
    assert merged["summary"]["engines"] == 2
    assert merged["summary"]["engines_failing"] == sum(1 for n in failing.values() if n)


@pytest.mark.parametrize("main_default", [False, True])
def test_a_stopped_container_is_judged_by_the_defaults_of_its_own_dockerd(main_default):
    """A created container has no /proc: its no_new_privs is its dockerd's default, that of the dockerd that runs
    it, never the endpoint's (which would pass a container whose own dockerd does not set it)."""
    lab = load("lab/planted.json")

    def with_default(daemon, value: bool, engine: DockerEngine):
        data = {k: v for k, v in (daemon.config.data or {}).items() if k != "no-new-privileges"}
        flags = {k: v for k, v in daemon.flags.items() if k != "no-new-privileges"}
        config = dataclasses.replace(daemon.config, data=data | ({"no-new-privileges": True} if value else {}))
        return dataclasses.replace(daemon, config=config, flags=flags, engine=engine)

    stopped = next(c for c in lab.containers if c.name == "cc-cgroup-parent")
    assert stopped.pid is None and not stopped.no_new_privileges
    main_ctr = dataclasses.replace(stopped, docker_socket=MAIN.socket)
    other_ctr = dataclasses.replace(stopped, docker_socket=OTHER.socket, key=f"docker:{OTHER.socket}:x", name="x")
    snapshot = dataclasses.replace(
        lab, docker_daemon=with_default(lab.docker_daemon, main_default, MAIN),
        other_docker_daemons=(with_default(lab.docker_daemon, not main_default, OTHER),),
        containers=(main_ctr, other_ctr))
    check = {"container.no_new_privileges_unset": catalog.load()["container.no_new_privileges_unset"]}
    results = {r.subject.key: r for r in engine.evaluate(snapshot, check)["container.no_new_privileges_unset"]}
    own = {main_ctr.key: main_default, other_ctr.key: not main_default}
    for key, default in own.items():
        assert results[key].evidence["no_new_privileges.daemon_default"] is default
        assert results[key].status is (Status.PASS if default else Status.FAIL)
