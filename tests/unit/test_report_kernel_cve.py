"""The report a user reads (`hostaudit audit --facts`, JSON) on the recorded lab snapshot changed only in its kernel
version: Copy Fail is present on 6.18.21 with the containers that reach it, absent on 6.18.22."""

from __future__ import annotations

import json

import pytest

from tests.lab import run_hostaudit
from tests.unit.conftest import SNAPSHOTS

COPY_FAIL = "kernel.cve_2026_31431"


def report_for_kernel(tmp_path, release: str) -> dict:
    facts = json.loads((SNAPSHOTS / "lab" / "planted.json").read_text(encoding="utf-8"))
    facts["host"]["kernel_release"] = release
    path = tmp_path / f"facts-{release}.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    done = run_hostaudit("audit", "--facts", str(path), "--format", "json", check_codes=(0, 1))
    return json.loads(done.stdout)


def copy_fail_escapes(report: dict) -> list[str]:
    return sorted(e["subject"]["name"] for e in report["escapes"]
                  if any(p["technique"].startswith("CVE-2026-31431") and p["kind"] == "direct" for p in e["paths"]))


@pytest.mark.parametrize(("release", "present"), [("6.18.21", True), ("6.18.22", False)])
def test_copy_fail_in_the_report(tmp_path, release, present):
    report = report_for_kernel(tmp_path, release)
    (finding,) = [f for f in report["findings"] if f["check_id"] == COPY_FAIL]
    assert finding["status"] == ("fail" if present else "pass")
    assert report["checks"][COPY_FAIL]["severity"] == "critical"
    if present:
        reaching = finding["evidence"]["reachable_containers"]
        # AF_ALG is open in every default profile: every workload container of the lab reaches it
        assert sorted(reaching) == sorted(c["name"] for c in report["containers"]) and "no-seccomp" in reaching
        assert finding["detail"].startswith("vulnerable kernel (6.18.21); reachable from containers ")
        assert copy_fail_escapes(report) == sorted(reaching)
    else:
        assert copy_fail_escapes(report) == []
