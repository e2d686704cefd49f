"""Hostile and broken input on a real engine: each case ends in a clear finding or message and an otherwise
complete report, never a traceback."""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
import tarfile
import threading
import time
from pathlib import Path

import pytest

from hostaudit import engine
from hostaudit.collectors import CollectContext
from hostaudit.collectors._docker_http import DockerAPI
from tests.engine.conftest import needs_engine
from tests.lab import IMAGE, PrivateDocker, lab_dir, run_hostaudit

pytestmark = needs_engine

HOSTILE_LABELS = {
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "ansi": "\x1b[31mred\x1b[0m\x1b]0;owned\x07\x1b[2J",
    "newlines": "first\nsecond\r\n- injected: true\n",
    "yaml": "{a: [b, *c]} &anchor !!python/object/apply:os.system ['id'] | > % @ `",
    "[bold]markup[/bold]": "[/x] {{ jinja }} {% raw %}",
    "big": "x" * (1 << 20),
}


@pytest.fixture(scope="module")
def engine_lab():
    """A private dockerd of this module's own, with a container carrying hostile labels."""
    import docker

    base = lab_dir("hh-")
    lab = PrivateDocker(base / "docker")
    try:
        lab.start()
        lab.build_image()
        api = docker.APIClient(base_url=lab.url, version="auto", timeout=60)
        host_config = api.create_host_config(network_mode="none")
        created = api.create_container(IMAGE, name="hostile-.._label", labels=HOSTILE_LABELS, host_config=host_config)
        api.start(created["Id"])
        lab.run("plain", "--network", "none")
        yield lab, api
        api.close()
    finally:
        lab.stop()
        shutil.rmtree(base, ignore_errors=True)


def audit_json(lab: PrivateDocker, *extra: str) -> dict:
    done = run_hostaudit("audit", "--format", "json", "--docker-host", lab.url, *extra)
    return json.loads(done.stdout)


def results(report: dict, subject_name: str) -> dict[str, str]:
    return {f["check_id"]: f["status"] for f in report["findings"] if f["subject"]["name"] == subject_name}


def test_hostile_labels_are_kept_verbatim_and_rendered_safely(engine_lab, tmp_path):
    lab, _ = engine_lab
    facts = tmp_path / "facts.json"
    run_hostaudit("collect", "--docker-host", lab.url, "--out", str(facts))
    snapshot = json.loads(facts.read_text())
    hostile = next(c for c in snapshot["containers"] if c["name"] == "hostile-.._label")
    assert hostile["labels"] == HOSTILE_LABELS

    report = json.loads(run_hostaudit("audit", "--facts", str(facts), "--format", "json").stdout)
    checked = results(report, "hostile-.._label")
    assert checked["container.privileged"] == "pass"
    assert checked["container.runs_as_root"] == "fail"

    text = run_hostaudit("audit", "--facts", str(facts)).stdout
    assert "\x1b" not in text
    assert "hostile-.._label" in text
    page = tmp_path / "report.html"
    run_hostaudit("audit", "--facts", str(facts), "--format", "html", "--output", str(page))
    assert "<script>alert(1)</script>" not in page.read_text()


def test_symlinks_planted_in_a_container_root_are_never_opened(engine_lab, tmp_path):
    lab, api = engine_lab
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    canary = tmp_path / "host-secret"
    canary.write_text("must not be read\n")
    created = api.create_container(IMAGE, name="symlinker", host_config=api.create_host_config(network_mode="none"))
    api.start(created["Id"])
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        for name in ("etc/docker/daemon.json", "run/docker.sock", "etc/shadow-link", "proc-root"):
            link = tarfile.TarInfo(name)
            link.type, link.linkname = tarfile.SYMTYPE, str(canary)
            tar.addfile(link)
    assert api.put_archive(created["Id"], "/", archive.getvalue())
    inspect = api.inspect_container(created["Id"])
    roots = [v for k, v in inspect["GraphDriver"]["Data"].items() if k in ("MergedDir", "UpperDir") and v]
    pid = inspect["State"]["Pid"]
    trace = tmp_path / "trace.txt"
    done = run_hostaudit_traced(trace, "--format", "json", "--docker-host", lab.url)
    report = json.loads(done)
    assert results(report, "symlinker")["container.privileged"] == "pass"
    opened = trace.read_text()
    assert str(canary) not in opened
    for root in [*roots, f"/proc/{pid}/root", f"/proc/{pid}/cwd"]:
        assert root not in opened, f"the audit touched {root}"


def run_hostaudit_traced(trace: Path, *args: str) -> str:
    """`hostaudit audit ARGS` under strace, logging every file-related system call of every thread to `trace`."""
    import subprocess

    command = ["strace", "-f", "-qq", "-e", "trace=%file", "-o", str(trace), "hostaudit", "audit", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return done.stdout


@pytest.fixture
def silent_socket(tmp_path):
    """A unix socket that accepts connections and never answers."""
    path = tmp_path / "silent.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield path
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


def test_a_socket_that_never_answers_costs_one_timeout_not_the_report(silent_socket):
    started = time.monotonic()
    done = run_hostaudit("audit", "--format", "json", "--docker-host", f"unix://{silent_socket}", "--timeout", "2")
    elapsed = time.monotonic() - started
    report = json.loads(done.stdout)
    assert "Traceback" not in done.stderr
    assert elapsed < 60, f"took {elapsed:.1f} s with --timeout 2"
    for name in ("docker_daemon", "containers"):
        status = report["collectors"][name]
        assert status["state"] == "error"
        assert status["duration_s"] < 2 + 1.5, "the second caller must not wait for a second timeout"
        assert re.search(r"docker: unreachable at unix://\S+: no answer", status["message"]), status["message"]
    assert any("no answer" in note for note in report["notes"])
    host_results = [f for f in report["findings"]
                    if report["checks"][f["check_id"]]["scope"] == "host" and f["status"] in ("pass", "fail")]
    assert host_results, "the host checks must still run"
    docker_checks = [f for f in report["findings"] if f["check_id"] == "container.privileged"
                     and f["subject"]["key"].startswith(("docker:", "source:containers"))]
    assert [(f["subject"]["key"], f["status"]) for f in docker_checks] == [("source:containers", "unknown")]


@pytest.fixture
def replaced_config(engine_lab):
    """Swap the private dockerd's daemon.json (read only at start) for something else, restored afterwards."""
    lab, _ = engine_lab
    original = lab.config_file.read_bytes()

    def replace(kind: str) -> None:
        lab.config_file.unlink()
        if kind == "directory":
            lab.config_file.mkdir()
        else:
            lab.config_file.write_text(kind)

    yield replace
    if lab.config_file.is_dir():
        lab.config_file.rmdir()
    lab.config_file.write_bytes(original)


@pytest.mark.parametrize(("content", "reason"), [
    ("directory", "not a regular file"),
    ('{"icc": false,,', "invalid JSON"),
    ('["not", "an", "object"]', "expected a JSON object"),
])
def test_a_broken_daemon_json_is_a_finding(engine_lab, replaced_config, content, reason):
    lab, _ = engine_lab
    replaced_config(content)
    report = audit_json(lab)
    invalid = [f for f in report["findings"] if f["check_id"] == "daemon.config_invalid"]
    assert [f["status"] for f in invalid] == ["fail"]
    assert reason in invalid[0]["evidence"]["error"]
    assert invalid[0]["evidence"]["path"] == str(lab.config_file)
    assert results(report, "plain")["container.privileged"] == "pass"
    assert report["collectors"]["containers"]["state"] == "ok"


def test_a_container_removed_between_list_and_inspect_is_skipped(engine_lab, monkeypatch):
    lab, _ = engine_lab
    lab.run("doomed", "--network", "none")
    listed = DockerAPI.containers

    def list_then_remove(self, *args, **kwargs):
        found = listed(self, *args, **kwargs)
        lab.docker("rm", "-f", "doomed")
        return found

    monkeypatch.setattr(DockerAPI, "containers", list_then_remove)
    snapshot = engine.collect(CollectContext(docker_host=lab.url))
    names = [c.name for c in snapshot.containers]
    assert "doomed" not in names
    assert "plain" in names
    assert snapshot.collectors["containers"].state.value == "ok"
    report = engine.audit(snapshot)
    assert {f.status.value for f in report.findings if f.check_id == "container.privileged"
            and f.subject.name == "plain"} == {"pass"}
