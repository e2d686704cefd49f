"""What the watch writes besides judging: the systemd unit (`install-watch`, verified by systemd-analyze), its
JSON lines file (appended, rotated, 0600, one parseable line per record whatever a container named itself) and its
Prometheus textfile (checked by promtool)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from hostaudit.watch import Judgement, LineOutput, prometheus_text
from tests.unit.conftest import run_installed


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze (Debian systemd) missing")
def test_installed_unit_passes_systemd_analyze_verify(root_installation, tmp_path):
    unit = tmp_path / "hostaudit-watch.service"
    done = run_installed(root_installation, "install-watch", "--path", str(unit), "--prometheus",
                         "/var/lib/node_exporter/watch.prom", "--fail-on", "high", "--docker-host",
                         "unix:///run/docker.sock")
    assert str(unit) in done.stdout and unit.stat().st_mode & 0o777 == 0o644
    checked = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert (checked.returncode, checked.stderr) == (0, ""), checked.stderr  # warnings (unknown keys) included
    text = unit.read_text()
    assert "ProtectSystem=strict" in text and "ReadWritePaths=-/var/lib/node_exporter" in text
    dry = run_installed(root_installation, "install-watch", "--dry-run", "--path", str(tmp_path / "other.service"),
                        "--prometheus", "/var/lib/node_exporter/watch.prom", "--fail-on", "high", "--docker-host",
                        "unix:///run/docker.sock")
    assert text in dry.stdout and not (tmp_path / "other.service").exists()


@pytest.mark.parametrize("option", [("--output", "/var/log/a b"), ("--prometheus", "rel/path"),
                                    ("--docker-host", "unix:///run/x;rm -rf /"), ("--output", "/var/../etc/x")])
def test_a_path_systemd_or_a_shell_would_interpret_is_refused(tmp_path, option):
    done = subprocess.run(["hostaudit", "install-watch", "--path", str(tmp_path / "u.service"), *option],
                          capture_output=True, text=True)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "u.service").exists()


def test_lines_are_appended_rotated_and_private(tmp_path):
    path = tmp_path / "watch.jsonl"
    path.write_text('{"kept": true}\n')
    output = LineOutput(path, max_bytes=2000)
    hostile = "\x1b]52;c;aGk=\x07\u202e\n" + "n" * 300
    for number in range(20):
        output.write({"subject": f"docker:{hostile}", "n": number})
    output.close()
    rotated = tmp_path / "watch.jsonl.1"
    assert path.stat().st_size <= 2000 and rotated.stat().st_size <= 2000
    assert path.stat().st_mode & 0o777 == 0o600
    older, newer = rotated.read_text().splitlines(), path.read_text().splitlines()
    numbers = [json.loads(line)["n"] for line in older + newer if "n" in json.loads(line)]
    assert numbers == sorted(numbers) and numbers[-1] == 19  # nothing reordered; older lines beyond .1 dropped
    for line in older + newer:
        assert not any(ord(c) < 0x20 for c in line) and "\u202e" not in line
    assert json.loads(newer[-1])["subject"].startswith("docker:\x1b]52;c;aGk=\x07")  # escaped, not lost


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian prometheus) missing")
def test_prometheus_text_passes_promtool():
    judged = {"a": Judgement("escapable", ("container.privileged",), ("privileged",)),
              "b": Judgement("contained", (), ())}
    text = prometheus_text(judged, 7, {'docker:/run/"x"\nsock': True, "cri:/run/c.sock": False}, 1_700_000_000.0)
    done = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'hostaudit_watch_containers{verdict="escapable"} 1' in text
    assert "hostaudit_watch_failing_containers 1" in text and "hostaudit_watch_lines_total 7" in text
