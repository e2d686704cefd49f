"""The lab Vagrantfile is valid for Vagrant (no provider is needed to validate it: CI has no hypervisor)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

VAGRANTFILE = Path(__file__).resolve().parents[2] / "Vagrantfile"
pytestmark = pytest.mark.skipif(shutil.which("vagrant") is None,
                                reason="vagrant is not installed (Debian package vagrant; scripts/test.sh installs it)")


def validate(text: str, where: Path) -> subprocess.CompletedProcess:
    where.mkdir()
    (where / "Vagrantfile").write_text(text)
    env = {**os.environ, "VAGRANT_CWD": str(where), "VAGRANT_HOME": str(where / ".vagrant.d"),
           "VAGRANT_CHECKPOINT_DISABLE": "1"}
    return subprocess.run(["vagrant", "validate", "--ignore-provider"], cwd=where, env=env, capture_output=True,
                          text=True, timeout=120)


def test_vagrant_validates_the_lab(tmp_path):
    done = validate(VAGRANTFILE.read_text(), tmp_path / "lab")
    assert done.returncode == 0, done.stdout + done.stderr


def test_validation_catches_a_broken_vagrantfile(tmp_path):
    broken = VAGRANTFILE.read_text().replace("config.vm.box =", "config.vm.boxx =")
    done = validate(broken, tmp_path / "broken")
    assert done.returncode != 0 and "box" in (done.stdout + done.stderr)


def test_lab_plants_weak_containers_and_runs_the_remediation_loop():
    text = VAGRANTFILE.read_text()
    assert 'config.vm.box = "debian/bookworm64"' in text
    for weak in ("--privileged", "--cap-add SYS_ADMIN", "/var/run/docker.sock:/var/run/docker.sock"):
        assert weak in text
    steps = ["hostaudit audit", "hostaudit remediate", "ansible-playbook -i", "--output after.json"]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions), "audit, remediate, apply, re-audit, in that order"
