"""Version tokens read from the runtime binaries' `--version` output."""

from __future__ import annotations

import pytest

from hostaudit.collectors._runtime_versions import version_from_output


@pytest.mark.parametrize(("output", "version"), [
    ("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\n", "1.1.5+ds1"),
    ("runc version 1.0.0-rc93\ncommit: 12644e614e25b05da6fd08a38ffa0cfe1903fdec\n", "1.0.0-rc93"),
    ("containerd github.com/containerd/containerd v1.7.13 7c3aca7a610df76212171d200ca3811ff6096eb8\n", "v1.7.13"),
    ("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3\n", "1.6.20~ds1"),
    ("Docker version 20.10.24+dfsg1, build 5d6db84\n", "20.10.24+dfsg1"),
    ("NVIDIA Container Toolkit CLI version 1.16.2\ncommit: a470818ba7d9166be282cd0039dd2fc9b0a34d73\n", "1.16.2"),
])
def test_version_from_output(output, version):
    assert version_from_output(output) == version


@pytest.mark.parametrize("output", ["", "usage: runc [global options]", "\n\n\n\nrunc version 1.1.5"])
def test_no_version_in_output(output):
    assert version_from_output(output) is None


def test_toolkit_found_where_a_configured_runtime_points(root_tmp_path, monkeypatch):
    """The GPU Operator installs the toolkit under /usr/local/nvidia/toolkit and names it in containerd's config."""
    from hostaudit.collectors import _runtime_versions

    toolkit = root_tmp_path / "usr" / "local" / "nvidia" / "toolkit"
    toolkit.mkdir(parents=True)
    for name in ("nvidia-container-runtime", "nvidia-ctk", "unrelated-tool"):
        (toolkit / name).write_text("#!/bin/sh\n")
        (toolkit / name).chmod(0o755)
    monkeypatch.setattr(_runtime_versions, "_configured_paths", lambda: [str(toolkit / "nvidia-container-runtime")])
    found = set(_runtime_versions._candidates().values())
    assert {str(toolkit / "nvidia-container-runtime"), str(toolkit / "nvidia-ctk")} <= found
    assert str(toolkit / "unrelated-tool") not in found


def test_crun_is_found_but_never_run(root_tmp_path, monkeypatch):
    """crun creates a file in /tmp on every start (`--version` too): the audit, which writes nothing, never runs it."""
    from hostaudit.collectors import _runtime_versions

    for name in ("crun", "runc"):
        (root_tmp_path / name).write_text("#!/bin/sh\n")
        (root_tmp_path / name).chmod(0o755)
    monkeypatch.setattr(_runtime_versions, "SYSTEM_DIRS", (str(root_tmp_path),))
    monkeypatch.setattr(_runtime_versions, "_configured_paths", lambda: [str(root_tmp_path / "crun")])
    assert set(_runtime_versions._candidates().values()) == {str(root_tmp_path / "runc")}
    assert _runtime_versions.binaries_not_run() == (str(root_tmp_path / "crun"),)
