from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import load, results_by_subject, with_collector_error

CHECK = "daemon.insecure_registries"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def test_flag_and_api_cidr_fail_and_the_loopback_default_is_ignored():
    result = _result(load("daemon/weak-daemon-fails.json"))
    assert result.status is Status.FAIL
    assert result.evidence["configured"] == ["10.0.0.0/8"]
    assert result.evidence["api.insecure_registry_cidrs"] == ["10.0.0.0/8"]


def test_only_the_default_loopback_range_passes():
    result = _result(load("daemon/hardened-daemon-passes.json"))
    assert result.status is Status.PASS
    assert result.evidence["api.insecure_registry_cidrs"] == []
    assert result.evidence["configured"] == []


def test_api_alone_reveals_an_insecure_registry_name(lab_snapshot):
    """A registry configured where we do not look (a drop-in, another config) still shows in /info."""
    registry = {"InsecureRegistryCIDRs": ["127.0.0.0/8"],
                "IndexConfigs": {"registry.lan:5000": {"Name": "registry.lan:5000", "Secure": False}}}
    info = {**lab_snapshot.docker_daemon.info, "RegistryConfig": registry}
    result = _result(with_daemon(lab_snapshot, info=info))
    assert result.status is Status.FAIL
    assert result.evidence["api.insecure_indexes"] == ["registry.lan:5000"]


def test_unknown_when_the_daemon_could_not_be_read(lab_snapshot):
    assert _result(with_collector_error(lab_snapshot, "docker_daemon")).status is Status.UNKNOWN
