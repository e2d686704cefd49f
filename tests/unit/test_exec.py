"""Which binaries the audit may run: root's own, at fixed system paths, or where a root-owned host config names them."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostaudit.collectors._exec import run_fixed, trusted_binary

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="ownership rules need root-owned files")
TRUE = shutil.which("true") or "/bin/true"


@pytest.fixture
def root_only_dir() -> Iterator[Path]:
    """A directory that only root can write, like the GPU Operator's /usr/local/nvidia/toolkit."""
    path = Path(tempfile.mkdtemp(dir="/root"))
    try:
        yield path
    finally:
        shutil.rmtree(path)


def copy_of_true(directory: Path, owner: int = 0) -> str:
    target = directory / "nvidia-container-runtime"
    shutil.copy(TRUE, target)
    os.chown(target, owner, owner)
    return str(target)


def test_system_binary_is_trusted_and_runs() -> None:
    assert trusted_binary("/bin/true") == os.path.realpath("/bin/true")
    assert run_fixed("/bin/true") == (0, "")


def test_configured_path_outside_system_dirs_only_when_a_host_config_names_it(root_only_dir: Path) -> None:
    binary = copy_of_true(root_only_dir)
    assert trusted_binary(binary) is None
    assert trusted_binary(binary, host_configured=True) == binary


def test_configured_path_under_a_world_writable_ancestor_is_refused() -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:  # /tmp: anyone may rename what lies below it
        os.chmod(tmp, 0o755)
        assert trusted_binary(copy_of_true(Path(tmp)), host_configured=True) is None


def test_binary_not_owned_by_root_is_refused(root_only_dir: Path) -> None:
    assert trusted_binary(copy_of_true(root_only_dir, owner=65534), host_configured=True) is None


def test_relative_path_is_refused() -> None:
    assert trusted_binary("true", host_configured=True) is None
