from hostaudit.model import Mount, Status
from tests.unit.conftest import assert_unknown_without_docker, replace_container, results_by_subject

CHECK = "container.service_account_token_mounted"
TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount"


def test_token_mount_fails(lab_snapshot):
    mounts = (Mount("/var/lib/kubelet/pods/x/volumes/token", TOKEN, "bind", False),)
    result = results_by_subject(CHECK, replace_container(lab_snapshot, "etc-ro", mounts=mounts))["etc-ro"]
    assert result.status is Status.FAIL
    assert result.evidence == {"mounts.service_account": [TOKEN]}


def test_no_token_passes(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["shop/locked/web"]
    assert result.status is Status.PASS
    assert result.evidence == {"mounts.service_account": []}


def test_unknown_when_docker_cannot_be_listed(lab_snapshot):
    assert_unknown_without_docker(CHECK, lab_snapshot)
