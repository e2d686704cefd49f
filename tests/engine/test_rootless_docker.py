"""A rootless dockerd run by a throw-away user is found from host processes (rootlesskit, its socket's peer uid)
and its containers are judged as rootless: an escape lands as that user, which the verdict says.

The oracle is the daemon itself (`docker info` says rootless; the user's uid from the passwd database)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.lab import ROOTLESS_SCRIPT, PrivateRootlessDocker, lab_dir, run_hostaudit
from tests.watching import Watching, audited

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("rootlesskit", "newuidmap", "setpriv", "useradd"))
    or not os.path.exists(ROOTLESS_SCRIPT), reason="needs root, rootlesskit, uidmap and docker.io's rootless script")


@pytest.fixture(scope="module")
def rootless():
    # the user's own settings, which only this engine reads: live-restore on, and no-new-privileges by default
    lab = PrivateRootlessDocker(lab_dir("hr-"), daemon_json={"live-restore": True, "no-new-privileges": True})
    try:
        try:
            lab.start()
        except RuntimeError as exc:
            pytest.skip(f"a rootless dockerd cannot run on this machine: {exc}")
        lab.import_image()
        lab.docker("create", "--name", "rl-priv", "--privileged", "hostaudit-lab/busybox:1", "sleep", "3600")
        lab.docker("create", "--name", "rl-plain", "--network", "none", "hostaudit-lab/busybox:1", "sleep", "3600")
        running = lab.docker("run", "-d", "--name", "rl-running", "--network", "none", "hostaudit-lab/busybox:1",
                             "sleep", "3600", check=False)
        lab.running = running.returncode == 0
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def report(rootless) -> dict:
    env_docker_host = os.environ.pop("DOCKER_HOST", None)
    try:  # no --docker-host: every dockerd on the host is audited
        return json.loads(run_hostaudit("audit", "--format", "json").stdout)
    finally:
        if env_docker_host is not None:
            os.environ["DOCKER_HOST"] = env_docker_host


def test_the_watch_follows_the_users_engine_and_judges_as_the_audit(rootless, report):
    """`hostaudit watch` with no --docker-host follows every verified dockerd, the user's rootless one too: a
    privileged container the user creates while it runs gets the verdict, failing checks and escape paths the
    one-shot audit gives rl-priv, created the same way (landing as the user, not host root)."""
    env_docker_host = os.environ.pop("DOCKER_HOST", None)
    running = Watching()
    try:
        running.wait_following(said=f"docker:{rootless.socket}: following its events")
        rootless.docker("create", "--name", "rl-watched", "--privileged", "hostaudit-lab/busybox:1", "sleep", "3600")
        line = running.wait_for(f"docker:{rootless.socket}:rl-watched", timeout=60)
        assert (line["verdict"], line["failing"], line["paths"]) == audited(report, f"docker:{rootless.socket}:rl-priv")
        assert line["verdict"] == "weakened"
        assert running.stop() == 0
    finally:
        if env_docker_host is not None:
            os.environ["DOCKER_HOST"] = env_docker_host
        if running.process.poll() is None:
            running.process.kill()
        rootless.docker("rm", "-f", "rl-watched", check=False)


def test_rootless_dockerd_is_found_with_its_user(rootless, report):
    info = json.loads(rootless.docker("info", "--format", "{{json .SecurityOptions}}").stdout)
    assert any("rootless" in option for option in info)
    ours = {c["key"]: c for c in report["containers"] if c["key"].startswith(f"docker:{rootless.socket}:")}
    assert set(ours) >= {f"docker:{rootless.socket}:rl-priv", f"docker:{rootless.socket}:rl-plain"}
    assert {c["owner"] for c in ours.values()} == {rootless.user}


def test_rootless_privileged_container_lands_as_the_user_not_host_root(rootless, report):
    key = f"docker:{rootless.socket}:rl-priv"
    statuses = {f["check_id"]: f["status"] for f in report["findings"] if f["subject"]["key"] == key}
    assert statuses["container.privileged"] == "fail"
    assert statuses["container.rootless_owner_exposed"] == "fail"
    verdict = next(e for e in report["escapes"] if e["subject"]["key"] == key)
    assert verdict["verdict"] == "weakened"
    assert any(f"lands as {rootless.user}, not host root" in p["technique"] for p in verdict["paths"])


def test_running_rootless_container_is_read_from_proc_as_the_users_uid(rootless, report):
    if not rootless.running:
        pytest.skip("containers cannot start under this machine's rootless dockerd")
    key = f"docker:{rootless.socket}:rl-running"
    pid = int(rootless.docker("inspect", "-f", "{{.State.Pid}}", "rl-running").stdout)
    with open(f"/proc/{pid}/status") as status:
        host_uid = next(int(line.split()[2]) for line in status if line.startswith("Uid:"))
    root_check = next(f for f in report["findings"] if f["subject"]["key"] == key
                      and f["check_id"] == "container.runs_as_root")
    assert host_uid == rootless.uid
    assert root_check["evidence"]["user.proc_uid"] == rootless.uid and root_check["status"] == "pass"


def _daemon_results(report: dict, rootless: PrivateRootlessDocker) -> dict[str, dict]:
    """The rootless engine's own daemon results, by check id (its subject is named in the report's engines list)."""
    engine = next(e for e in report["engines"] if e["endpoint"] == rootless.url)
    assert (engine["owner"], engine["uid"], engine["rootless"]) == (rootless.user, rootless.uid, True)
    return {f["check_id"]: f for f in report["findings"] if f["subject"]["key"] == engine["subject"]}


def test_rootless_dockerd_is_judged_by_its_users_own_settings(rootless, report):
    """Issue 26: the user's daemon.json, which the rootless dockerd reads (its /info says live-restore is on), is the
    evidence of that engine's results, never root's /etc/docker/daemon.json."""
    assert rootless.docker("info", "--format", "{{.LiveRestoreEnabled}}").stdout.strip() == b"true"
    results = _daemon_results(report, rootless)
    assert results["daemon.live_restore_disabled"]["status"] == "pass"
    no_new_privileges = results["daemon.no_new_privileges_default_off"]
    assert no_new_privileges["status"] == "pass"
    assert str(rootless.config_file) in no_new_privileges["evidence"]["source"]
    assert f"rootless uid {rootless.uid}" in report["host"]["docker"]
    assert "/etc/docker/daemon.json" not in json.dumps(list(results.values()))
