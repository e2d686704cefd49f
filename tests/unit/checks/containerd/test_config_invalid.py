import dataclasses

from hostaudit.model import CollectorState, CollectorStatus, Status
from tests.unit.checks._node import with_containerd
from tests.unit.conftest import results_by_subject, with_collector_error

CHECK = "containerd.config_invalid"


def test_malformed_config_toml_is_a_finding_with_the_parse_error(lab_snapshot):
    result = results_by_subject(CHECK, with_containerd(lab_snapshot, "malformed.toml"))["host"]
    assert result.status is Status.FAIL
    assert "invalid TOML" in result.evidence["error"]
    assert result.evidence["path"].endswith("malformed.toml")


def test_parsed_or_absent_config_passes(lab_snapshot):
    parsed = results_by_subject(CHECK, with_containerd(lab_snapshot, "v2-cri-stock.toml"))["host"]
    assert parsed.status is Status.PASS
    assert parsed.evidence["presence"] == "present"
    absent = results_by_subject(CHECK, with_containerd(lab_snapshot, None))["host"]
    assert (absent.status, absent.evidence["presence"]) == (Status.PASS, "absent")


def test_not_applicable_without_containerd(lab_snapshot):
    collectors = {**lab_snapshot.collectors,
                  "containerd": CollectorStatus("containerd", CollectorState.SKIPPED, "containerd: not running")}
    snapshot = dataclasses.replace(lab_snapshot, containerd=None, collectors=collectors)
    assert results_by_subject(CHECK, snapshot)["host"].status is Status.NOT_APPLICABLE


def test_unknown_when_containerd_could_not_be_read(lab_snapshot):
    """A failed collector is not an absent component: the engine answers unknown, not not_applicable."""
    snapshot = dataclasses.replace(with_collector_error(lab_snapshot, "containerd", "containerd: permission denied"),
                                   containerd=None)
    result = results_by_subject(CHECK, snapshot)["host"]
    assert result.status is Status.UNKNOWN
    assert result.evidence == {"collector.containerd": "containerd: permission denied"}
