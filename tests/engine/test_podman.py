"""Podman containers, created ones included, are audited subjects with their engine and owner.

The oracle is Podman itself: the containers are made with `podman create` on a private storage root, and
`podman inspect` says what each declares; the audit reads only the storage files (`--podman-root`).
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.lab import PrivatePodman, lab_dir, run_hostaudit

pytestmark = pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed (Debian: podman)")


@pytest.fixture(scope="module")
def podman_lab():
    lab = PrivatePodman(lab_dir("hp-"))
    try:
        lab.import_image()
        lab.create("pm-priv", "--privileged")
        lab.create("pm-sysadmin", "--cap-add", "SYS_ADMIN")
        lab.create("pm-hardened", "--cap-drop", "ALL", "--user", "1000:1000", "--read-only",
                   "--security-opt", "no-new-privileges", "--network", "none")
        yield lab
    finally:
        lab.remove_all()


@pytest.fixture(scope="module")
def podman_report(podman_lab) -> dict:
    done = run_hostaudit("audit", "--format", "json", "--podman-root", str(podman_lab.root),
                         "--docker-host", f"unix://{podman_lab.base}/no-docker.sock")
    return json.loads(done.stdout)


def _status(report: dict, check_id: str, key: str) -> str:
    return next(f["status"] for f in report["findings"] if f["check_id"] == check_id and f["subject"]["key"] == key)


def test_every_created_podman_container_is_a_subject_with_engine_and_owner(podman_lab, podman_report):
    inspected = json.loads(podman_lab.podman("inspect", "pm-priv", "pm-sysadmin", "pm-hardened").stdout)
    assert {c["State"]["Status"] for c in inspected} == {"created"}
    ours = {c["key"]: c for c in podman_report["containers"] if c["source"] == "podman"}
    assert set(ours) == {f"podman:root/{c['Name']}" for c in inspected}
    assert {(c["state"], c["owner"]) for c in ours.values()} == {("created", "root")}
    assert podman_report["collectors"]["podman"]["state"] == "ok"


def test_privileged_and_sys_admin_podman_containers_fail_and_can_escape(podman_lab, podman_report):
    inspected = {c["Name"]: c for c in json.loads(podman_lab.podman("inspect", "pm-priv", "pm-sysadmin").stdout)}
    assert inspected["pm-priv"]["HostConfig"]["Privileged"] is True
    assert "CAP_SYS_ADMIN" in inspected["pm-sysadmin"]["HostConfig"]["CapAdd"]
    assert _status(podman_report, "container.privileged", "podman:root/pm-priv") == "fail"
    assert _status(podman_report, "container.privileged", "podman:root/pm-sysadmin") == "pass"
    assert _status(podman_report, "container.cap_sys_admin", "podman:root/pm-sysadmin") == "fail"
    assert _status(podman_report, "container.cap_sys_admin", "podman:root/pm-hardened") == "pass"
    verdicts = {e["subject"]["key"]: e["verdict"] for e in podman_report["escapes"]}
    assert verdicts["podman:root/pm-priv"] == "escapable"
    assert verdicts["podman:root/pm-hardened"] != "escapable"
    assert verdicts["podman:root/pm-sysadmin"] in ("escapable", "weakened")


def test_the_user_a_created_container_declares_is_the_one_judged(podman_lab, podman_report):
    """Before its first start, libpod's stored spec says uid 0 whatever `--user` was given (the user is resolved
    when the container is initialised): the declared user is the one Podman itself reports."""
    inspected = {c["Name"]: c for c in json.loads(podman_lab.podman("inspect", "pm-hardened", "pm-priv").stdout)}
    assert inspected["pm-hardened"]["Config"]["User"] == "1000:1000"
    assert inspected["pm-priv"]["Config"]["User"] in ("", "root", "0", "0:0")
    assert _status(podman_report, "container.runs_as_root", "podman:root/pm-hardened") == "pass"
    assert _status(podman_report, "container.runs_as_root", "podman:root/pm-priv") == "fail"
