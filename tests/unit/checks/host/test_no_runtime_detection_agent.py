import dataclasses

from hostaudit.model import Status
from tests.unit.conftest import results_by_subject, with_collector_error

CHECK = "host.no_runtime_detection_agent"


def _host(snapshot, **changes):
    host = dataclasses.replace(snapshot.host, **changes)
    return results_by_subject(CHECK, dataclasses.replace(snapshot, host=host))["host"]


def test_no_agent_fails(lab_snapshot):
    result = _host(lab_snapshot)
    assert result.status is Status.FAIL
    assert result.evidence["host.runtime_agents"] == []


def test_falco_running_passes_and_is_the_evidence(lab_snapshot):
    result = _host(lab_snapshot, runtime_agents=("auditd", "falco"), runtime_agent_dirs=("/etc/falco",))
    assert result.status is Status.PASS
    assert result.evidence["host.runtime_agents"] == ["falco"]


def test_installed_but_stopped_agent_still_fails(lab_snapshot):
    result = _host(lab_snapshot, runtime_agents=("auditd",), runtime_agent_dirs=("/etc/tetragon",))
    assert result.status is Status.FAIL
    assert result.evidence["host.runtime_agent_dirs"] == ["/etc/tetragon"]
    assert result.detail == "configured but not running"


def test_unknown_when_the_host_could_not_be_read(lab_snapshot):
    assert results_by_subject(CHECK, with_collector_error(lab_snapshot, "host"))["host"].status is Status.UNKNOWN
