"""runtime.docker_outdated (CIS 1.2.2): the engine against the fixed releases of the CVE data, never the calendar."""

from __future__ import annotations

import dataclasses

import pytest

from hostaudit.model import CollectorState, CollectorStatus, Status

from ...conftest import with_collector_error
from ._variants import with_versions

CHECK = "runtime.docker_outdated"


@pytest.mark.parametrize(("docker", "vulnerable_to"), [
    ("24.0.7", {"CVE-2024-41110", "CVE-2026-34040", "CVE-2024-23651", "CVE-2024-23652", "CVE-2024-23653"}),
    ("25.0.2", {"CVE-2024-41110", "CVE-2026-34040"}),
    ("27.1.1", {"CVE-2026-34040"}),
    ("19.03.0", {"CVE-2019-14271", "CVE-2021-41091", "CVE-2024-41110", "CVE-2026-34040", "CVE-2024-23651",
                 "CVE-2024-23652", "CVE-2024-23653"}),
])
def test_upstream_engine_below_known_fixes_fails(docker, vulnerable_to, run_check, lab_snapshot):
    result = run_check(CHECK, with_versions(lab_snapshot, docker=docker))["docker daemon"]
    assert result.status is Status.FAIL
    assert set(result.evidence["vulnerable_to"]) == vulnerable_to
    assert result.evidence["version"] == docker


def test_eol_branch_names_the_nearest_fixed_release(run_check, lab_snapshot):
    result = run_check(CHECK, with_versions(lab_snapshot, docker="24.0.9"))["docker daemon"]
    assert result.evidence["vulnerable_to"]["CVE-2024-41110"] == "after 24.0.9"  # the record: 24.0 through 24.0.9
    assert result.evidence["vulnerable_to"]["CVE-2024-23651"] == "25.0.2"


@pytest.mark.parametrize("docker", ["29.3.1", "30.0.0", "v29.4.0"])
def test_engine_at_or_above_every_fix_passes(docker, run_check, lab_snapshot):
    result = run_check(CHECK, with_versions(lab_snapshot, docker=docker))["docker daemon"]
    assert result.status is Status.PASS
    assert result.evidence["vulnerable_to"] == {} and result.evidence["version"] == docker


def test_debian_docker_io_below_the_fixes_is_unknown(run_check, lab_snapshot):
    snapshot = with_versions(lab_snapshot, docker="20.10.24+dfsg1", packages={"docker.io": "20.10.24+dfsg1-1+deb12u1"})
    result = run_check(CHECK, snapshot)["docker daemon"]
    assert result.status is Status.UNKNOWN
    assert result.evidence["build"] == "distro" and result.evidence["package"] == "docker.io 20.10.24+dfsg1-1+deb12u1"
    assert result.evidence["distro_build_verify"]["CVE-2024-41110"] == "after 20.10.27"


def test_recorded_lab_engine_is_a_distro_build(run_check, lab_snapshot):
    result = run_check(CHECK, lab_snapshot)["docker daemon"]
    assert result.status is Status.UNKNOWN and result.evidence["version"] == "20.10.24+dfsg1"


def test_unknown_when_the_daemon_collector_failed(run_check, lab_snapshot):
    result = run_check(CHECK, with_collector_error(with_versions(lab_snapshot), "docker_daemon"))["docker daemon"]
    assert result.status is Status.UNKNOWN and result.evidence["failed_collectors"] == ["docker_daemon"]


def test_unknown_when_the_daemon_reports_no_version(run_check, lab_snapshot):
    result = run_check(CHECK, with_versions(lab_snapshot))["docker daemon"]
    assert result.status is Status.UNKNOWN and result.evidence["versions"] == {}


def test_not_applicable_without_docker(run_check, lab_snapshot):
    skipped = {**lab_snapshot.collectors,
               "docker_daemon": CollectorStatus("docker_daemon", CollectorState.SKIPPED, "no docker")}
    snapshot = dataclasses.replace(with_versions(lab_snapshot), docker_daemon=None, collectors=skipped)
    assert run_check(CHECK, snapshot)["docker daemon"].status is Status.NOT_APPLICABLE
