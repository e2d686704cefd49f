import pytest

from hostaudit.model import Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.device_cgroup_allow_all"


@pytest.mark.parametrize("rule", ["a *:* rwm", "b *:* rw", "a *:* r"])
def test_allow_all_rule_fails(lab_snapshot, rule):
    snapshot = replace_container(lab_snapshot, "etc-ro", device_cgroup_rules=("c 1:3 rwm", rule))
    result = results_by_subject(CHECK, snapshot)["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence["device_cgroup_rules"] == ["c 1:3 rwm", rule]


def test_privileged_docker_container_allows_every_device(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["priv"]
    assert result.status is Status.FAIL
    assert result.evidence["privileged.declared"] is True


@pytest.mark.parametrize("rule", ["c *:* m", "c 10:200 rwm", "b 8:* m"])
def test_narrow_or_mknod_only_rules_pass(lab_snapshot, rule):
    snapshot = replace_container(lab_snapshot, "etc-ro", device_cgroup_rules=(rule,))
    assert results_by_subject(CHECK, snapshot)["etc-ro"].status is Status.PASS


def test_containerd_default_rules_pass(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["shop/locked/web"]
    assert result.status is Status.PASS
    assert "c 136:* rwm" in result.evidence["device_cgroup_rules"]


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
