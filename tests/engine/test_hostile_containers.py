"""The auditor must never be the escape: one unprivileged container per attack, on a private dockerd and containerd,
audited under `strace -f -e trace=execve`.

Oracles independent of hostaudit: the kernel's record of every execve (strace), a marker file that the planted static
binary writes only when something other than its container runs it, the secret text of a root-only host file, and
the subjects and verdicts of the benign containers audited without the hostile ones.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engine.conftest import needs_engine
from tests.lab import PrivateContainerd, PrivateDocker, busybox_rootfs, lab_dir

pytestmark = needs_engine
HOSTILE_IMAGE = "hostaudit-lab/hostile:1"
UNPRIVILEGED = ("--user", "65534", "--cap-drop", "ALL", "--read-only", "--network", "none", "--cgroupns", "private")
SECRET = "client-key-data: SECRET-KEY-a2f9c1e7"
# A static program that sleeps as its container's init, and when anything else runs it (with any argument) writes
# a marker on the host and prints a forged version, as an attacker's binary would.
FAKE_BINARY = r"""
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (getpid() == 1 && (argc < 2 || argv[1][0] != 'x')) { for (;;) pause(); }
    int fd = open(MARKER, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) { dprintf(fd, "%s run as uid %d\n", argv[0], (int)getuid()); close(fd); }
    printf("containerd github.com/containerd/containerd v9.9.9 forged\n");
    return 0;
}
"""
BENIGN = {"victim-sysadmin": ("--cap-add", "SYS_ADMIN", "--cgroupns", "private"),
          "victim-plain": ("--cgroupns", "private")}


@dataclass
class Lab:
    base: Path
    docker: PrivateDocker
    containerd: PrivateContainerd
    marker: Path
    volume: Path


def _hostile_image(docker: PrivateDocker, marker: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "fake.c"
        source.write_text(FAKE_BINARY)
        binary = Path(tmp) / "fake"
        subprocess.run(["gcc", "-static", "-O1", f'-DMARKER="{marker}"', "-o", str(binary), str(source)], check=True)
        rootfs = busybox_rootfs(Path(tmp) / "rootfs")
        for path in ("usr/bin/containerd", "usr/bin/kubelet", "usr/bin/falco", "usr/sbin/auditd",
                     "usr/bin/containerd-shim-runc-v2", "usr/bin/dockerd"):
            (rootfs / path).parent.mkdir(parents=True, exist_ok=True)
            (rootfs / path).write_bytes(binary.read_bytes())
            (rootfs / path).chmod(0o755)
        tar = subprocess.run(["tar", "-C", str(rootfs), "-c", "."], capture_output=True, check=True).stdout
    docker.docker("import", "-", HOSTILE_IMAGE, input=tar)


def _plant_hostile(lab: Lab, secret_file: Path) -> None:
    docker = lab.docker.docker

    def run(name: str, *argv: str, options: tuple[str, ...] = ()) -> None:
        docker("run", "-d", "--name", name, *UNPRIVILEGED, *options, HOSTILE_IMAGE, *argv)

    # it claims the private containerd's state dir, so the old code took it for that daemon and ran it
    run("fake-containerd", "/usr/bin/containerd", "--state", str(lab.containerd.state))
    run("fake-dockerd", "/usr/bin/dockerd")
    run("fake-kubelet", "/usr/bin/kubelet", "--config", str(secret_file), "--kubeconfig", str(secret_file))
    run("fake-falco", "/usr/bin/falco")
    run("fake-auditd", "/usr/sbin/auditd")
    # a shim whose cwd is a fake bundle in a volume mounted at the same path as on the host
    bundle = lab.volume / "state" / "io.containerd.runtime.v2.task" / "evilns" / "evil"
    run("fake-shim", "/usr/bin/containerd-shim-runc-v2",
        options=("-v", f"{lab.volume}:{lab.volume}", "-w", str(bundle)))


def _plant_duplicate_tasks(containerd: PrivateContainerd) -> None:
    """Two tasks with the same CRI annotations: a harmless one and a privileged one."""
    cri = "io.kubernetes.cri."
    claims = ("--annotation", f"{cri}container-type=container", "--annotation", f"{cri}sandbox-id=twin-sandbox",
              "--annotation", f"{cri}container-name=app", "--annotation", f"{cri}sandbox-name=twin",
              "--annotation", f"{cri}sandbox-namespace=shop")
    containerd.run("twin-harmless", *claims)
    containerd.run("twin-privileged", "--privileged", *claims)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    base = lab_dir("ha-hostile-")
    docker = PrivateDocker(base / "docker")
    containerd = PrivateContainerd(base / "containerd")
    lab = Lab(base, docker, containerd, base / "executed-by-the-audit", base / "volume")
    try:
        docker.start()
        docker.build_image()
        containerd.start()
        containerd.import_image(docker)
        _hostile_image(docker, lab.marker)
        for name, options in BENIGN.items():
            docker.run(name, *options)
        bundle = lab.volume / "state" / "io.containerd.runtime.v2.task" / "evilns" / "evil"
        bundle.mkdir(parents=True)
        bundle.chmod(0o777)
        (bundle / "config.json").write_text(json.dumps({
            "ociVersion": "1.0.2", "process": {"args": ["/x"], "capabilities": {"bounding": ["CAP_SYS_ADMIN"]}},
            "linux": {"namespaces": [{"type": "mount"}]}}))
        yield lab
    finally:
        docker.stop()
        containerd.stop()


def _audit(lab: Lab, out: Path, trace: Path | None = None) -> tuple[dict, dict, subprocess.CompletedProcess]:
    snapshot = out.with_suffix(".snapshot.json")
    args = ["--docker-host", lab.docker.url, "--containerd-state", str(lab.containerd.state), "--timeout", "20"]
    prefix = ["strace", "-f", "-qq", "-e", "trace=execve", "-o", str(trace)] if trace else []
    collected = subprocess.run([*prefix, "hostaudit", "collect", *args, "--out", str(snapshot)],
                               capture_output=True, text=True, timeout=600)
    assert collected.returncode == 0, collected.stderr[-3000:]
    done = subprocess.run(["hostaudit", "audit", "--facts", str(snapshot), "--format", "json", "--output", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return json.loads(snapshot.read_text()), json.loads(out.read_text()), collected


def _verdicts(report: dict, names: tuple[str, ...]) -> dict[str, str]:
    return {v["subject"]["name"]: v["verdict"] for v in report["escapes"] if v["subject"]["name"] in names}


@pytest.fixture(scope="module")
def audited(lab: Lab) -> Iterator[dict]:
    before = _audit(lab, lab.base / "before.json")[1]
    secret_dir = lab.base / "root-only"
    secret_dir.mkdir(mode=0o700)
    secret_file = secret_dir / "kubelet.yaml"
    secret_file.write_text(f"apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n{SECRET}\n")
    secret_file.chmod(0o600)
    _plant_hostile(lab, secret_file)
    # restarted after the fake, the real containerd has the higher pid: a lookup by name meets the fake first
    lab.containerd.stop()
    lab.containerd.start()
    _plant_duplicate_tasks(lab.containerd)
    trace = lab.base / "execve.trace"
    snapshot, report, collected = _audit(lab, lab.base / "after.json", trace)
    yield {"before": before, "snapshot": snapshot, "report": report, "trace": trace.read_text(),
           "texts": json.dumps(snapshot) + json.dumps(report) + collected.stderr}


def _executed(trace: str) -> list[str]:
    return re.findall(r'execve\("([^"]*)"', trace)


def test_nothing_under_proc_or_from_a_container_is_executed(lab, audited):
    executed = _executed(audited["trace"])
    assert executed, "strace recorded no execve at all"
    assert not [p for p in executed if p.startswith("/proc/")], executed
    assert not [p for p in executed if p.startswith((str(lab.base), "/var/lib/docker"))], executed
    assert not lab.marker.exists(), lab.marker.read_text()
    # only the audit itself and root's binaries at fixed system paths
    allowed = ("/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/usr/local/bin/", "/usr/local/sbin/")
    venv = os.path.dirname(os.path.realpath(subprocess.run(["which", "hostaudit"], capture_output=True,
                                                           text=True).stdout.strip()))
    assert all(p.startswith(allowed) or p.startswith(venv) or "python" in p for p in executed), executed


def test_the_reported_containerd_version_is_the_host_binary_not_the_forgery(audited):
    assert "9.9.9" not in audited["texts"] and "forged" not in audited["texts"]
    versions = [instance["version"] for instance in audited["snapshot"]["containerd"]["instances"]]
    host = subprocess.run(["/usr/bin/containerd", "--version"], capture_output=True, text=True).stdout.split()[2]
    assert versions and all(version == host for version in versions), versions


def test_a_container_process_named_kubelet_reads_no_host_file_and_adds_no_kubelet_finding(audited):
    assert SECRET not in audited["texts"] and "SECRET-KEY" not in audited["texts"]
    assert audited["snapshot"].get("kubelet") is None
    assert not [f for f in audited["report"]["findings"] if f["check_id"].startswith("kubelet.")
                and f["status"] == "fail"]


def test_agents_named_in_containers_do_not_count_as_host_detection(audited):
    assert not set(audited["snapshot"]["host"]["runtime_agents"]) & {"falco", "auditd"}
    agent = [f for f in audited["report"]["findings"] if f["check_id"] == "host.no_runtime_detection_agent"]
    assert agent and agent[0]["status"] == "fail"
    assert audited["snapshot"]["audit_rules"]["auditd_running"] is False


def test_a_fake_shim_in_a_volume_adds_no_task(lab, audited):
    assert "evilns" not in audited["texts"]
    assert str(lab.volume) not in json.dumps(audited["snapshot"]["containerd"]["state_dirs"])


def test_two_tasks_with_the_same_annotations_stay_two_subjects(audited):
    twins = [c for c in audited["report"]["containers"] if c["name"].startswith("shop/twin/app")]
    assert len(twins) == 2 and len({c["key"] for c in twins}) == 2
    privileged = [f for f in audited["report"]["findings"] if f["check_id"] == "container.privileged"
                  and f["subject"]["key"] in {c["key"] for c in twins}]
    assert {f["status"] for f in privileged} == {"pass", "fail"}, privileged


def test_the_benign_verdicts_are_unchanged_by_the_hostile_containers(audited):
    names = tuple(BENIGN)
    before = _verdicts(audited["before"], names)
    assert len(before) == len(BENIGN)
    assert _verdicts(audited["report"], names) == before
    assert before["victim-sysadmin"] == "escapable"
