from hostaudit.model import Status, TcpListener
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import results_by_subject

CHECK = "daemon.tcp_without_tls"


def test_unix_socket_only_passes(lab_snapshot):
    result = results_by_subject(CHECK, lab_snapshot)["docker daemon"]
    assert result.status is Status.PASS
    assert result.evidence == {"tcp_listeners": []}


def test_plain_tcp_and_tls_without_verify_fail(lab_snapshot):
    listeners = (TcpListener("0.0.0.0", 2375, False, False, "argv"), TcpListener("::", 2376, True, False, "listening"))
    result = results_by_subject(CHECK, with_daemon(lab_snapshot, tcp_listeners=listeners))["docker daemon"]
    assert result.status is Status.FAIL
    assert result.evidence["without_tlsverify"] == ["0.0.0.0:2375 (argv)", ":::2376 (listening)"]


def test_tlsverify_passes(lab_snapshot):
    listeners = (TcpListener("0.0.0.0", 2376, True, True, "daemon.json"),)
    assert results_by_subject(CHECK, with_daemon(lab_snapshot, tcp_listeners=listeners))["docker daemon"].status \
        is Status.PASS
