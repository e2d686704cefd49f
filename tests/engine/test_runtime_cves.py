"""Runtime and kernel CVE results on the real lab: the versions reported are those the lab's binaries and daemon
state, and Debian's packaged builds are never a false "vulnerable"."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from tests.engine.conftest import needs_engine
from tests.engine.test_planted_containers import finding
from tests.lab import run_hostaudit

pytestmark = needs_engine


def _binary_version(name: str) -> tuple[str, str]:
    """(path, version) of a host binary, read here independently of hostaudit."""
    path = shutil.which(name) or next(p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p))
    first = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
    words = first.replace(",", "").split()
    return path, words[words.index("version") + 1] if "version" in words else words[2]


def _api_version(lab, component: str) -> str:
    docker, _ = lab
    out = docker.docker("version", "--format", "{{json .Server.Components}}").stdout
    return next(c["Version"] for c in json.loads(out) if c["Name"] == component)


def _package_version(name: str) -> str | None:
    done = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", name], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def test_runc_results_name_the_real_runc_versions(report, lab):
    path, version = _binary_version("runc")
    result = finding(report, "runtime.cve_2024_21626", "host")
    versions = result["evidence"]["versions"]
    assert versions["docker /version Components runc"] == _api_version(lab, "runc")
    host_binaries = {k.removesuffix(" --version"): v for k, v in versions.items() if k.startswith("/")}
    assert version in [v for k, v in host_binaries.items() if os.path.realpath(k) == os.path.realpath(path)]
    package = _package_version("runc") if shutil.which("dpkg-query") else None
    if package and package.startswith(version) and "+ds" in version:  # Debian's runc, as on the lab
        assert result["status"] == "unknown" and result["evidence"]["build"] == "distro"
        assert result["evidence"]["package"] == f"runc {package}"
    assert finding(report, "runtime.cve_2019_5736", "host")["status"] == "pass"


def test_containerd_and_docker_results_name_the_real_versions(report, lab):
    containerd = finding(report, "runtime.cve_2024_40635", "host")["evidence"]
    assert containerd["versions"]["docker /version Components containerd"] == _api_version(lab, "containerd")
    assert "containerd --version (running daemon)" in containerd["versions"]
    engine = finding(report, "runtime.docker_outdated", "docker daemon")
    assert engine["evidence"]["versions"]["docker /version Components Engine"] == _api_version(lab, "Engine")
    assert engine["status"] in ("fail", "unknown")  # 20.10 predates the AuthZ and BuildKit fixes
    authz = finding(report, "runtime.cve_2024_41110", "docker daemon")
    assert authz["status"] == "not_applicable" and authz["evidence"]["reachable_from_containers"] is False


def test_kernel_rows_judge_this_custom_kernel_by_its_upstream_base(report):
    result = finding(report, "kernel.cve_2022_0847", "host")
    assert result["evidence"]["kernel.release"] == os.uname().release
    if os.uname().release.startswith("6.18.44-fc-"):  # an unknown suffix: a vendor kernel, its base 6.18.44 has the fix
        assert result["status"] == "pass" and result["evidence"]["kernel_build"] == "vendor"
    assert result["evidence"]["reachable_from_containers"] is True  # any container reaches Dirty Pipe


def test_kernel_module_facts_are_what_this_host_has(lab, tmp_path):
    """The module facts the host collector records, against /proc/modules and /lib/modules read here."""
    docker, containerd = lab
    out = tmp_path / "facts.json"
    run_hostaudit("collect", "--out", str(out), "--docker-host", docker.url, "--containerd-state",
                  str(containerd.state))
    modules = json.loads(out.read_text(encoding="utf-8"))["host"]["kernel_modules"]
    if os.path.exists("/proc/modules"):
        with open("/proc/modules", encoding="utf-8") as proc:
            assert sorted({line.split()[0] for line in proc if line.strip()}) == modules["loaded"]
    else:
        assert modules["loaded"] == []  # no module support: nothing is or can be loaded
    builtin = f"/lib/modules/{os.uname().release}/modules.builtin"
    assert (modules["builtin"] is None) is (not os.path.exists(builtin))


def test_copy_fail_row_on_this_kernel(report):
    result = finding(report, "kernel.cve_2026_31431", "host")
    assert result["evidence"]["kernel.release"] == os.uname().release
    if os.uname().release == "6.18.44-fc-v657":  # 6.18.22 carries the fix
        assert result["status"] == "pass" and result["evidence"]["assessment"] == "fixed"
