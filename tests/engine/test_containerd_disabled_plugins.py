"""The table of tests/unit/test_containerd_disabled_plugins.py against containerd itself: for each config, a private
containerd (own root, state and sockets) starts with it, and `ctr plugins ls` says whether the CRI plugin loaded."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.engine.conftest import needs_engine
from tests.lab import _stop, _wait, lab_dir
from tests.unit.test_containerd_disabled_plugins import CONTAINERD_1_6, config_text


def _cri_state(version: int, name: str) -> str:
    """"loaded", "disabled" or "refused" (containerd exits on the config), as containerd 1.6 shows it."""
    base = lab_dir("hadp-")
    socket = base / "c.sock"
    config = base / "config.toml"
    config.write_text(f'root = "{base}/root"\nstate = "{base}/state"\n' + config_text(version, name, str(socket))
                      + f'[ttrpc]\n  address = "{socket}.ttrpc"\n')
    process = subprocess.Popen(["containerd", "--config", str(config)], stdout=(base / "log").open("wb"),
                               stderr=subprocess.STDOUT, start_new_session=True)

    def plugins() -> subprocess.CompletedProcess:
        return subprocess.run(["ctr", "-a", str(socket), "plugins", "ls"], capture_output=True, text=True,
                              timeout=30)

    try:
        _wait(lambda: process.poll() is not None or plugins().returncode == 0, 30, f"containerd on {socket}")
        if process.poll() is not None:
            assert b"invalid disabled plugin" in (base / "log").read_bytes()
            return "refused"
        loaded = any(line.split()[:2] == ["io.containerd.grpc.v1", "cri"] and "ok" in line.split()
                     for line in plugins().stdout.splitlines())
        return "loaded" if loaded else "disabled"
    finally:
        _stop(process.pid)
        shutil.rmtree(base, ignore_errors=True)


@needs_engine
@pytest.mark.parametrize(("version", "name"), sorted(CONTAINERD_1_6))
def test_containerd_disables_cri_as_the_table_says(version, name):
    version_line = subprocess.run(["containerd", "--version"], capture_output=True, text=True).stdout.split()
    if not version_line[2].startswith("1.6."):
        pytest.skip(f"the table is containerd 1.6's; this is {version_line[2]}")
    assert _cri_state(version, name) == CONTAINERD_1_6[version, name]
