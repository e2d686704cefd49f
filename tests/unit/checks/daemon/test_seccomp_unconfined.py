import pytest

from hostaudit.model import Status
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import load, results_by_subject

CHECK = "daemon.seccomp_unconfined"


def _result(snapshot):
    return results_by_subject(CHECK, snapshot)["docker daemon"]


def _options(snapshot, *options):
    return with_daemon(snapshot, info={**snapshot.docker_daemon.info, "SecurityOptions": list(options)})


def test_unconfined_profile_fails():
    result = _result(load("daemon/weak-daemon-fails.json"))
    assert result.status is Status.FAIL
    assert result.evidence["profile"] == "unconfined"


def test_seccomp_missing_from_security_options_fails(lab_snapshot):
    result = _result(_options(lab_snapshot, "name=apparmor"))
    assert result.status is Status.FAIL
    assert result.evidence["api.security_options"] == ["name=apparmor"]


@pytest.mark.parametrize("profile", ["builtin", "default"])
def test_builtin_and_default_both_mean_dockers_profile(lab_snapshot, profile):
    """docker-bench regression: Engine 23+ says profile=builtin, which it never recognised."""
    result = _result(_options(lab_snapshot, f"name=seccomp,profile={profile}"))
    assert result.status is Status.PASS
    assert result.evidence["profile"] == profile


def test_custom_profile_passes(lab_snapshot):
    snapshot = _options(with_daemon(lab_snapshot, config={"seccomp-profile": "/etc/docker/seccomp.json"}),
                        "name=seccomp,profile=/etc/docker/seccomp.json")
    result = _result(snapshot)
    assert result.status is Status.PASS
    assert result.evidence["profile"] == "custom"


def test_unknown_without_the_api(lab_snapshot):
    result = _result(with_daemon(lab_snapshot, info=None))
    assert result.status is Status.UNKNOWN
    assert result.evidence["seccomp-profile"] == ""


def test_unconfined_in_daemon_json_fails_even_without_the_api(lab_snapshot):
    result = _result(with_daemon(lab_snapshot, info=None, config={"seccomp-profile": "unconfined"}))
    assert result.status is Status.FAIL
