"""Run the real ansible-playbook against this machine (connection local), on private paths only."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROLE = Path(__file__).resolve().parents[2] / "ansible" / "roles" / "container_hardening"
needs_ansible = pytest.mark.skipif(shutil.which("ansible-playbook") is None,
                                   reason="ansible-playbook is not installed (pip install ansible-core)")
needs_engine = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("dockerd", "docker", "busybox")),
    reason="the real engine (docker.io, busybox-static) is not installed")
RECAP = re.compile(r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
                   r"\s+failed=(?P<failed>\d+)", re.MULTILINE)


@dataclass
class PlayRun:
    returncode: int
    output: str
    recap: dict[str, dict[str, int]]

    def changed(self, host: str = "localhost") -> int:
        return self.recap[host]["changed"]


def local_inventory(path: Path, hosts: dict[str, dict] | None = None) -> Path:
    """An inventory of local-connection hosts that use this interpreter (all hosts are this machine)."""
    hosts = hosts or {"localhost": {}}
    common = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    path.write_text(yaml.safe_dump({"all": {"hosts": {name: {**common, **v} for name, v in hosts.items()}}}))
    return path


def ansible_playbook(playbook: Path, inventory: Path, *args: str, timeout: float = 600) -> PlayRun:
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_HOST_KEY_CHECKING": "0",
           "ANSIBLE_LOCAL_TEMP": str(inventory.parent / ".ansible-tmp")}
    done = subprocess.run(["ansible-playbook", "-i", str(inventory), str(playbook), *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=inventory.parent)
    output = done.stdout + done.stderr
    recap = {m["host"]: {k: int(v) for k, v in m.groupdict().items() if k != "host"} for m in RECAP.finditer(output)}
    return PlayRun(done.returncode, output, recap)
