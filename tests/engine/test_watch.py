"""`hostaudit watch` on a private dockerd: each container started or created while it runs is reported with the
verdict and failing checks the one-shot audit gives it, a hardened one not at all, a dockerd restart is followed,
and SIGTERM ends it cleanly.

The oracles are the daemon (which containers exist, what it was told to run) and the one-shot
`hostaudit audit --format json` of the same daemon, a separate run of the command."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import HARDENED, needs_engine
from tests.lab import PrivateDocker, lab_dir, run_hostaudit
from tests.watching import Watching, assert_audit_finds_nothing_high, audited

pytestmark = [needs_engine, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]


SLOW_START_S = 8  # how long the `slow` runtime sleeps before creating a container: the daemon's start takes that


@pytest.fixture(scope="module")
def docker() -> Iterator[PrivateDocker]:
    base = lab_dir("hw-")
    base.mkdir(parents=True, exist_ok=True)
    slow = base / "slow-runc"  # runc, but each `create` waits first: a start that holds its container that long
    slow.write_text(f"#!/bin/sh\nfor arg; do [ \"$arg\" = create ] && sleep {SLOW_START_S} && break; done\n"
                    f"exec {shutil.which('runc')} \"$@\"\n")
    slow.chmod(0o700)
    daemon = PrivateDocker(base, extra_args=("--add-runtime", f"slow={slow}"))
    try:
        daemon.start()
        daemon.build_image()
        yield daemon
    finally:
        daemon.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def watching(docker) -> Iterator[Watching]:
    docker.remove_all()
    running = Watching("--docker-host", docker.url)
    try:
        running.wait_following()
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()


def _audit(docker: PrivateDocker) -> dict:
    return json.loads(run_hostaudit("audit", "--format", "json", "--docker-host", docker.url).stdout)


def test_weak_containers_get_the_one_shot_audits_verdict(docker, watching):
    docker.run("w-sysadmin", "--cap-add", "SYS_ADMIN")
    docker.run("w-sock", "-v", f"{docker.socket}:/var/run/docker.sock")
    docker.run("w-priv", "--privileged", create_only=True)  # cannot start here: judged on its `create` event
    lines = {name: watching.wait_for(f"docker:{name}") for name in ("w-sysadmin", "w-sock", "w-priv")}
    assert lines["w-priv"]["event"] == "create"
    report = _audit(docker)
    for name, line in lines.items():
        verdict, failing, paths = audited(report, f"docker:{name}")
        assert (line["verdict"], line["failing"], line["paths"]) == (verdict, failing, paths), name
        assert line["verdict"] == "escapable"
        assert line["engine"] == f"docker:{docker.socket}"
    assert "container.docker_socket_mounted" in lines["w-sock"]["failing"]
    assert "container.privileged" in lines["w-priv"]["failing"]
    assert watching.stop() == 0


def test_hardened_container_gives_no_line_at_fail_on_high(docker):
    docker.remove_all()
    running = Watching("--docker-host", docker.url, "--fail-on", "high")
    try:
        running.wait_following()
        docker.run("w-hardened", *HARDENED)
        docker.run("w-marker", "--cap-add", "SYS_ADMIN")  # started after it: its line proves the first was judged
        marker = running.wait_for("docker:w-marker")
        assert marker["failing"] and all(line["subject"] != "docker:w-hardened" for line in map(json.loads,
                                                                                              running.raw))
        assert_audit_finds_nothing_high(_audit(docker), "docker:w-hardened")
        assert running.stop() == 0
    finally:
        if running.process.poll() is None:
            running.process.kill()


def test_a_dockerd_restart_is_followed_and_a_container_made_meanwhile_is_not_missed(docker, watching):
    docker.run("w-before", "--cap-add", "SYS_ADMIN")
    watching.wait_for("docker:w-before")
    watching.process.send_signal(signal.SIGSTOP)  # the watch cannot reconnect before the container is made
    try:
        docker.restart()
        docker.run("w-after-restart", "--privileged", create_only=True)  # its event is gone: only a re-list finds it
    finally:
        watching.process.send_signal(signal.SIGCONT)
    line = watching.wait_for("docker:w-after-restart")
    assert line["verdict"] == "escapable"
    docker.run("w-later", "-v", f"{docker.socket}:/var/run/docker.sock")
    assert watching.wait_for("docker:w-later")["event"] in ("create", "start")
    watching.wait_following(said="restarted")  # the host facts were collected again (in the background)
    assert watching.stop() == 0


def test_a_slow_start_holds_up_no_other_containers_line(docker, watching):
    """The daemon answers an inspect of a container only once the start it is running ends: while the watch waits
    for one container whose start takes SLOW_START_S, a weak container started meanwhile is still reported at once.
    The oracle is the daemon's own timing: the slow start's end, as the `docker start` of it returns."""
    watching.process.send_signal(signal.SIGSTOP)  # the create event waits, to be read while the start runs
    slow_done: list[float] = []
    slow = threading.Thread(target=lambda: (docker.docker("start", "w-slow"), slow_done.append(time.monotonic())))
    try:
        docker.run("w-slow", *HARDENED, "--runtime", "slow", create_only=True)  # hardened: it gives no line itself
        slow.start()
        time.sleep(1)  # the start is under way: an inspect of w-slow now waits for it
    finally:
        watching.process.send_signal(signal.SIGCONT)
    docker.run("w-quick", "--cap-add", "SYS_ADMIN")
    watching.wait_for("docker:w-quick", timeout=SLOW_START_S * 3)
    quick_line = time.monotonic()
    slow.join(timeout=SLOW_START_S * 6)
    assert slow_done and quick_line < slow_done[0] - 2, "the weak container's line waited for another's start"
    assert watching.stop() == 0


def test_removed_weak_container_is_reported_gone(docker, watching):
    docker.run("w-gone", "--cap-add", "SYS_ADMIN")
    watching.wait_for("docker:w-gone")
    docker.docker("rm", "-f", "w-gone")
    line = watching.wait_for("docker:w-gone", event="destroy")
    assert (line["verdict"], line["failing"]) == (None, [])
    assert watching.stop() == 0


def test_output_file_and_prometheus_file(docker, tmp_path: Path):
    docker.remove_all()
    output, metrics = tmp_path / "watch.jsonl", tmp_path / "watch.prom"
    running = Watching("--docker-host", docker.url, "--output", str(output), "--prometheus", str(metrics))
    try:
        running.wait_following()
        docker.run("w-file", "--cap-add", "SYS_ADMIN")
        ends = time.monotonic() + 30
        while time.monotonic() < ends and not (output.exists() and "w-file" in output.read_text()):
            time.sleep(0.1)
        time.sleep(1.5)  # the Prometheus file is rewritten at most once a second
        assert running.stop() == 0
    finally:
        if running.process.poll() is None:
            running.process.kill()
    line = next(json.loads(raw) for raw in output.read_text().splitlines() if '"docker:w-file"' in raw)
    assert line["verdict"] == "escapable"
    assert output.stat().st_mode & 0o777 == 0o600
    text = metrics.read_text()
    assert 'hostaudit_watch_containers{verdict="escapable"} 1' in text
    assert f'hostaudit_watch_engine_up{{engine="docker:{docker.socket}"}} 1' in text


HOSTILE_NAME = "ev\x1b]52;c;aGk=\x07il\u202egnp.exe\n[red]x" + "y" * 6000
HOSTILE_ID = "f" * 64


class FakeDockerd(threading.Thread):
    """A Docker API on a unix socket that answers like a hostile engine: its first event stream sends one line
    far over the watch's bound, the next one names a container whose name carries terminal escapes, a bidi override,
    a newline and 6000 more characters."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        import socket

        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(16)
        self.streams = 0

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _answer(self, conn, body: object) -> None:
        data = json.dumps(body).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(data), data))

    def _serve(self, conn) -> None:
        with conn:
            pending = b""
            while True:
                while b"\r\n\r\n" not in pending:
                    data = conn.recv(65536)
                    if not data:
                        return
                    pending += data
                head, pending = pending.split(b"\r\n\r\n", 1)
                path = head.split(b" ")[1].decode()
                if path.startswith("/events"):
                    self.streams += 1
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n")
                    line = b"x" * 200_000 if self.streams == 1 else json.dumps(
                        {"Type": "container", "Action": "create", "Actor": {"ID": HOSTILE_ID},
                         "time": int(time.time())}).encode() + b"\n"
                    conn.sendall(b"%x\r\n%s\r\n" % (len(line), line))
                    time.sleep(60)
                    return
                if path.startswith(f"/containers/{HOSTILE_ID}/json"):
                    self._answer(conn, {"Id": HOSTILE_ID, "Name": "/" + HOSTILE_NAME, "Image": "sha256:" + "0" * 64,
                                        "State": {"Status": "created", "Running": False, "Pid": 0},
                                        "Config": {"Image": "x", "Labels": {"\x1b[2J": "\u202e"}},
                                        "HostConfig": {"Privileged": True, "NetworkMode": "none"}})
                elif path.startswith("/containers/json"):
                    self._answer(conn, [])
                elif path == "/_ping":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")
                else:
                    self._answer(conn, {})


def test_hostile_engine_answers_reach_the_output_sanitized_and_bounded():
    base = lab_dir("hf-")
    fake = FakeDockerd(base / "docker.sock")
    fake.start()
    running = Watching("--docker-host", f"unix://{base / 'docker.sock'}")
    try:
        ends = time.monotonic() + 30
        while time.monotonic() < ends and not running.raw:
            time.sleep(0.1)
        assert running.raw, f"no line; stderr: {''.join(running.stderr)[-2000:]}"
        assert len(running.raw) == 1  # the hostile engine's one container, and nothing else
        raw = running.raw[0]
        line = json.loads(raw)
        assert fake.streams >= 2  # the over-long event line broke the first stream; the watch reconnected
        assert running.process.poll() is None
        assert line["verdict"] == "escapable" and "container.privileged" in line["failing"]
        assert not any(ord(c) < 0x20 for c in raw[:-1]) and raw.endswith("\n")  # one line, no raw control
        assert "\u202e" not in raw and "\\u202e" in raw  # the bidi override is written as an escape
        assert line["subject"].startswith("docker:ev\x1b]52;c;aGk=\x07il")  # the data itself is kept, escaped
        assert len(line["subject"]) <= 512 and "sha256" in line["subject"]  # the audit's bounded subject key
        assert running.stop() == 0
    finally:
        if running.process.poll() is None:
            running.process.kill()
        fake.server.close()
        shutil.rmtree(base, ignore_errors=True)


def test_sighup_rereads_waivers_and_host_facts_are_refreshed_on_schedule(docker):
    docker.remove_all()
    base = lab_dir("hh-")
    waivers = base / "waivers.toml"
    waivers.write_text('[[waiver]]\ncheck = "container.privileged"\nsubject = "nobody-here"\nreason = "none"\n'
                       'expires = 2099-01-01\n')
    running = Watching("--docker-host", docker.url, "--waivers", str(waivers), "--host-every", "10")
    try:
        running.wait_following()
        docker.run("w-hup", "--cap-add", "SYS_ADMIN")
        assert "container.cap_sys_admin" in running.wait_for("docker:w-hup")["failing"]
        waivers.write_text('[[waiver]]\ncheck = "container.cap_sys_admin"\nsubject = "w-hup"\nreason = "accepted"\n'
                           'expires = 2099-01-01\n')
        running.process.send_signal(signal.SIGHUP)
        line = running.wait_for("docker:w-hup", event="waivers")
        assert "container.cap_sys_admin" not in line["failing"] and line["failing"]
        waivers.write_text("not toml [")  # a broken file on SIGHUP: the watch keeps the waivers it has
        running.process.send_signal(signal.SIGHUP)
        ends = time.monotonic() + 30
        while not any("(schedule)" in entry for entry in running.stderr) and time.monotonic() < ends:
            time.sleep(0.2)
        assert any("waivers not re-read" in entry for entry in running.stderr)
        assert any("(schedule)" in entry for entry in running.stderr)  # --host-every 10: collected again
        assert running.process.poll() is None and running.lines.empty()  # the same waivers: nothing changed
        started = time.monotonic()
        assert running.stop() == 0 and time.monotonic() - started < 5
    finally:
        if running.process.poll() is None:
            running.process.kill()
        shutil.rmtree(base, ignore_errors=True)
