"""One small report shared by every renderer test, with hostile container-controlled strings.

Built by hand (not from the catalog) so golden files change only when a renderer does. It has a failing, a waived,
an unknown, a not-applicable and a passing finding, a pod, a failed collector, notes, escape verdicts and a baseline.
Regenerate the golden files with `HOSTAUDIT_UPDATE_GOLDEN=1 python -m pytest tests/unit/renderers`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hostaudit import cves
from hostaudit.catalog import CheckMeta, Scope, Severity
from hostaudit.model import CollectorState, CollectorStatus, Status, Subject
from hostaudit.pss import BASELINE, RESTRICTED, ControlResult, PodSecurity
from hostaudit.report import ContainerSummary, EngineSummary, EscapePath, EscapeVerdict, Finding, PodSummary, Report

GOLDEN = Path(__file__).parent / "golden"
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_LABEL = "[/bold]\x1b[31mred\x1b[0m\nsecond line </script>"
HOSTILE_IMAGE = 'evil/"><img src=x onerror=alert(2)>:latest'
FORMULA_NAME = "=cmd|' /C calc'!A0"

HOSTILE = Subject(f"docker:{HOSTILE_NAME}", "container", HOSTILE_NAME)
WEB = Subject("docker:web", "container", "web")
FORMULA = Subject(f"docker:{FORMULA_NAME}", "container", FORMULA_NAME)
APP = Subject("k8s:shop/risky/app", "container", "shop/risky/app", "shop/risky")
SANDBOX = Subject("k8s:shop/risky/(sandbox)", "container", "shop/risky/(sandbox)", "shop/risky")
LOCKED = Subject("k8s:shop/locked/web", "container", "shop/locked/web", "shop/locked")
DAEMON = Subject("daemon", "daemon", "docker daemon")
HOST = Subject("host", "host", "host")


def finding(check_id: str, severity: Severity, subject: Subject, status: Status, evidence: dict, **extra) -> Finding:
    scope = check_id.split(".")[0] if check_id.split(".")[0] in ("container", "daemon") else "host"
    meta = CheckMeta(id=check_id, title=extra.pop("title", f"Title of {check_id}"), severity=severity,
                     scope=Scope(scope), rationale=f"Why {check_id} matters.", remediation=f"How to fix {check_id}.",
                     needs=(), cis=extra.pop("cis", ()), references=extra.pop("references", ()),
                     ansible_key=extra.pop("ansible_key", None))
    return Finding(check=meta, subject=subject, status=status, evidence=evidence, detail=extra.pop("detail", ""),
                   **extra)


def sample_report() -> Report:
    findings = (
        finding("container.privileged", Severity.CRITICAL, HOSTILE, Status.FAIL,
                {"privileged.declared": True, "labels": {"com.example.note": HOSTILE_LABEL}},
                cis=("5.5",), baseline="unchanged", title="Container runs privileged"),
        finding("container.docker_socket_mounted", Severity.CRITICAL, WEB, Status.FAIL,
                {"mount.source": "/var/run/docker.sock", "mount.destination": "/var/run/docker.sock"},
                cis=("5.32",), baseline="new", references=("MITRE ATT&CK T1611",)),
        finding("container.cap_sys_admin", Severity.HIGH, APP, Status.FAIL,
                {"capabilities.has_SYS_ADMIN": True}, cis=("5.4",), baseline="unchanged"),
        finding("container.no_memory_limit", Severity.LOW, SANDBOX, Status.FAIL, {"memory_limit": 0},
                cis=("5.11",), baseline="new"),
        finding("container.runs_as_root", Severity.MEDIUM, FORMULA, Status.FAIL, {"user": "-1+1"}, cis=("4.1",),
                waiver="legacy image, replaced in Q3", baseline="unchanged"),
        finding("container.seccomp_unconfined", Severity.HIGH, LOCKED, Status.UNKNOWN, {"seccomp.proc_mode": None},
                cis=("5.22",), detail="/proc of the container could not be read"),
        finding("container.host_pid", Severity.HIGH, HOSTILE, Status.PASS, {"namespaces.pid": "private"},
                cis=("5.16",)),
        finding("daemon.config_invalid", Severity.HIGH, DAEMON, Status.FAIL,
                {"path": "/etc/docker/daemon.json", "presence": "present", "error": "Expecting value: line 3"},
                baseline="new"),
        finding("daemon.icc_enabled", Severity.MEDIUM, DAEMON, Status.PASS, {"icc": False, "source": "daemon.json"},
                cis=("2.2",)),
        finding("kernel.cve_2022_0847", Severity.CRITICAL, HOST, Status.NOT_APPLICABLE,
                {"kernel_release": "6.1.0-18-amd64"}, detail="kernel is not in the affected range"),
    )
    escapes = (
        EscapeVerdict(HOSTILE, "escapable", (EscapePath("privileged: every capability and device",
                                                        ("container.privileged: privileged.declared=True",)),)),
        EscapeVerdict(WEB, "escapable", (EscapePath("runtime API socket: start a privileged sibling",
                                                    ("container.docker_socket_mounted: /var/run/docker.sock",)),)),
        EscapeVerdict(APP, "weakened", (EscapePath("defence removed: CAP_SYS_ADMIN",
                                                   ("container.cap_sys_admin: capabilities.has_SYS_ADMIN=True",),
                                                   "weakening"),)),
        EscapeVerdict(LOCKED, "contained", ()),
    )
    collectors = {
        "containers": CollectorStatus("containers", CollectorState.OK, "", 0.12),
        "files": CollectorStatus("files", CollectorState.ERROR, "files: permission denied on /etc/docker", 0.01),
        "audit_rules": CollectorStatus("audit_rules", CollectorState.SKIPPED, 'auditctl "not" installed', 0.0),
    }
    containers = (
        ContainerSummary(HOSTILE.key, HOSTILE_NAME, "docker", "running", HOSTILE_IMAGE, None),
        ContainerSummary("docker:web", "web", "docker", "running", "nginx:1.25", None),
        ContainerSummary(FORMULA.key, FORMULA_NAME, "docker", "created", "legacy:1", None),
        ContainerSummary(APP.key, APP.name, "containerd", "running", "", "shop/risky"),
        ContainerSummary(SANDBOX.key, SANDBOX.name, "containerd", "running", "", "shop/risky"),
        ContainerSummary(LOCKED.key, LOCKED.name, "containerd", "running", "", "shop/locked"),
    )
    risky_failing = (ControlResult("hostNamespaces", BASELINE, Status.FAIL, "",
                                   "sandbox shares the host's pid namespace"),
                     ControlResult("hostPathVolumes", BASELINE, Status.FAIL, "app",
                                   f"hostPath volumes: /{HOSTILE_NAME}"))
    locked_unknown = (ControlResult("runAsNonRoot", RESTRICTED, Status.UNKNOWN, "web",
                                    "not observable on a node: runAsNonRoot is enforced by kubelet"),)
    locked_pass = ControlResult("capabilities_baseline", BASELINE, Status.PASS, "web",
                                "securityContext.capabilities.add=[]")
    pods = (
        PodSummary("shop", "risky", "6f1c0a52-0000-4000-8000-000000000001", "ready", "Deployment", "risky", ("pid",),
                   (APP.key,), PodSecurity("privileged", risky_failing, (), risky_failing)),
        PodSummary("shop", "locked", "6f1c0a52-0000-4000-8000-000000000002", "ready", "", "", (), (LOCKED.key,),
                   PodSecurity("baseline", (), locked_unknown, (locked_pass, *locked_unknown), RESTRICTED)),
    )
    return Report(
        report_version=2, hostaudit_version="0.0.0-sample", collected_at="2026-11-23T03:17:00+00:00",
        host={"hostname": "lab-host", "kernel": "6.1.0-18-amd64", "distro": "Debian GNU/Linux 12 (bookworm)",
              "cgroup": "v2", "lsm": "apparmor", "namespace_reference": "/proc/1",
              "docker": "20.10.24+dfsg1 (2 daemons: /var/run/docker.sock, rootless uid 1000)",
              "docker_endpoint": "unix:///var/run/docker.sock", "containerd": "1.6.20~ds1", "runc": "1.1.5+ds1"},
        collectors=collectors, containers=containers, findings=findings, escapes=escapes, pods=pods,
        notes=("files error: permission denied on /etc/docker", "a note with <b>markup</b> and [/bold]"),
        resolved=("container.host_network|docker:old-net",), duration_s=2.5,
        cve_data=cves.data_age("2026-11-23T03:17:00+00:00", "2026-08-01"),
        engines=(EngineSummary("docker", "daemon", "unix:///var/run/docker.sock", "20.10.24+dfsg1", "root", 0, 812,
                               False, "/etc/docker/daemon.json"),
                 EngineSummary("docker", "daemon:/run/user/1000/docker.sock", "unix:///run/user/1000/docker.sock",
                               "20.10.24+dfsg1", 'al"ice', 1000, 5151, True, "/home/alice/.config/docker/daemon.json")),
    )


@pytest.fixture(scope="session")
def sample() -> Report:
    return sample_report()


@pytest.fixture
def golden():
    """Compare rendered text with golden/<name>; rewrite it instead when HOSTAUDIT_UPDATE_GOLDEN=1."""

    def compare(name: str, text: str) -> None:
        path = GOLDEN / name
        if os.environ.get("HOSTAUDIT_UPDATE_GOLDEN") == "1":
            path.write_bytes(text.encode())
        assert path.exists(), f"no golden file {path}: run with HOSTAUDIT_UPDATE_GOLDEN=1 and review it"
        assert text == path.read_bytes().decode(), f"{name} differs from its golden file"

    return compare
