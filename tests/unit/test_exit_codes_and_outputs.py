"""Exit codes mean one thing (0 clean, 1 findings at --fail-on, 2 usage or bad input, 3 I/O error), each failure is
one line, and an output that is a device or a FIFO is written in place or refused, never replaced. The command is
the installed console script, as a user runs it; the oracles are the kernel (stat, mount, FIFO semantics)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from hostaudit import caps
from tests.unit.conftest import SNAPSHOTS

FACTS = str(SNAPSHOTS / "lab" / "planted.json")


def hostaudit(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["hostaudit", *args], capture_output=True, text=True, timeout=timeout)


def assert_io_error(done: subprocess.CompletedProcess, reason: str) -> None:
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hostaudit: I/O error: ") and reason in lines[0], done.stderr


def test_a_missing_output_directory_is_exit_3_in_one_line(tmp_path):
    assert_io_error(hostaudit("audit", "--facts", FACTS, "--output", str(tmp_path / "nope" / "r.txt")),
                    "No such file or directory")


@pytest.fixture()
def tiny_mount(tmp_path):
    """A 64 KiB tmpfs of our own (root only), unmounted afterwards."""
    target = tmp_path / "mnt"
    target.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(target)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield target
    subprocess.run(["umount", "-l", str(target)], check=False)


def test_a_full_disk_is_exit_3_and_leaves_no_partial_file(tiny_mount):
    done = hostaudit("audit", "--facts", FACTS, "--format", "json", "--output", str(tiny_mount / "r.json"))
    assert_io_error(done, "No space left on device")
    assert os.listdir(tiny_mount) == []


def test_a_read_only_filesystem_is_exit_3(tiny_mount):
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_mount)], check=True)
    assert_io_error(hostaudit("audit", "--facts", FACTS, "--output", str(tiny_mount / "r.txt")),
                    "Read-only file system")


def test_a_character_device_is_written_in_place_not_replaced(tmp_path):
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a private /dev/null: the real one must never be at risk
    for fmt in ("json", "text", "html"):
        done = hostaudit("audit", "--facts", FACTS, "--format", fmt, "--output", str(null))
        assert done.returncode in (0, 1), done.stderr
        assert stat.S_ISCHR(os.stat(null).st_mode) and os.stat(null).st_rdev == os.makedev(1, 3)


def test_a_fifo_is_written_in_place_to_its_reader_and_refused_without_one(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()))  # noqa: SIM115
    reader.start()
    time.sleep(0.2)
    done = hostaudit("audit", "--facts", FACTS, "--format", "json", "--output", str(fifo))
    reader.join(30)
    assert done.returncode in (0, 1) and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(received[0])["report_version"]
    assert_io_error(hostaudit("audit", "--facts", FACTS, "--output", str(fifo), timeout=30), "No such device")


def test_a_directory_as_output_is_refused_with_exit_3(tmp_path):
    assert_io_error(hostaudit("audit", "--facts", FACTS, "--output", str(tmp_path)), "refused")


def test_negative_and_huge_capability_masks_are_read_as_64_bits():
    assert caps.names(-1) == caps.names((1 << 64) - 1)
    assert "SYS_ADMIN" in caps.names(-1) and len(caps.names(1 << 10_000)) == 0
    assert caps.full_mask(10**9) == (1 << 64) - 1


def test_a_snapshot_with_a_negative_capability_mask_is_audited_quickly(tmp_path):
    """It looped forever (22 GB RSS) in caps.names before."""
    snapshot = json.loads(Path(FACTS).read_text(encoding="utf-8"))
    for proc in snapshot["runtime"].values():
        proc["cap_bnd"] = proc["cap_eff"] = -1
    path = tmp_path / "negative.json"
    path.write_text(json.dumps(snapshot))
    started = time.monotonic()
    done = hostaudit("audit", "--facts", str(path), "--format", "json", "--output", str(tmp_path / "r.json"),
                     timeout=60)
    assert done.returncode in (0, 1, 2) and "Traceback" not in done.stderr
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_reader_that_closes_the_pipe_early_is_exit_3_in_one_line(fmt):
    """`hostaudit audit | head -c 10`: a real pipe whose reader leaves after 10 bytes (the report is larger than the
    pipe's buffer). It was exit 1 (json) or 0 (text: the buffered write came back short and the rest was dropped)."""
    auditing = subprocess.Popen(["hostaudit", "audit", "--facts", FACTS, "--format", fmt], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-c", "10"], stdin=auditing.stdout, stdout=subprocess.PIPE)
    auditing.stdout.close()  # only head reads the pipe: when it exits, the pipe has no reader
    assert len(head.communicate(timeout=120)[0]) == 10
    stderr = auditing.stderr.read().decode()
    assert auditing.wait(timeout=120) == 3, stderr
    assert_io_error(subprocess.CompletedProcess([], 3, "", stderr), "reader closed the pipe")


def test_a_fifo_output_whose_reader_leaves_early_is_exit_3_naming_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["head", "-c", "10", str(fifo)], stdout=subprocess.DEVNULL)
    done = hostaudit("audit", "--facts", FACTS, "--format", "json", "--output", str(fifo), timeout=60)
    reader.wait(timeout=30)
    assert_io_error(done, f"{fifo}: Broken pipe")
