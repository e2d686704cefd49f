from pathlib import Path

import pytest
import yaml
from hostaudit.checks.daemon.tcp_without_tls import TLS_OPTIONS

from hostaudit.model import Status, TcpListener
from hostaudit.remediation import PlaybookOptions, remediate
from tests.unit.checks.daemon._variants import with_daemon
from tests.unit.conftest import results_by_subject

CHECK = "daemon.tcp_without_tls"
ROLE = Path(__file__).resolve().parents[4] / "ansible" / "roles" / "container_hardening"


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


TLS_VARIABLES = {f"container_hardening_tls_verify_{part}": f"/etc/docker/{part}.pem"
                 for part in ("cacert", "cert", "key")}


def _tls_decision(snapshot):
    """The check's failing result on `snapshot`, and the playbook's decision on the tls_verify key it leads to."""
    result = results_by_subject(CHECK, snapshot)["docker daemon"]
    assert result.status is Status.FAIL
    report = {"findings": [{"check_id": CHECK, "status": "fail", "evidence": result.evidence}]}
    decisions = remediate(report, PlaybookOptions(variables=TLS_VARIABLES)).decisions
    return result, {d.key: d for d in decisions}["tls_verify"]


@pytest.mark.parametrize("option", ["tlsverify", "tlscacert", "tlscert", "tlskey"])
def test_tls_options_on_dockerds_command_line_keep_the_daemon_json_fix_off(lab_snapshot, option):
    """dockerd refuses to start when a directive is both a flag and a daemon.json key: the fix writes the four TLS
    keys, so any of them on the command line leaves the key off, with the reason, rather than stop the daemon (even
    when daemon.json gives another of them)."""
    listeners = (TcpListener("0.0.0.0", 2376, True, False, "argv"),)
    flags = {option: ("false" if option == "tlsverify" else "/x.pem",)}
    snapshot = with_daemon(lab_snapshot, config={"tlsverify": False}, flags=flags, tcp_listeners=listeners)
    result, decision = _tls_decision(snapshot)
    assert result.evidence["source"] == "argv"
    assert not decision.enabled and "command line" in decision.reason


@pytest.mark.parametrize("config", [{"tlsverify": False}, {}])
def test_tls_options_only_in_daemon_json_or_unset_let_the_fix_on(lab_snapshot, config):
    listeners = (TcpListener("0.0.0.0", 2375, False, False, "argv"),)
    snapshot = with_daemon(lab_snapshot, config=config, flags={"host": ("tcp://0.0.0.0:2375",)},
                           tcp_listeners=listeners)
    result, decision = _tls_decision(snapshot)
    in_file = f"daemon.json ({snapshot.docker_daemon.config.path})"
    assert result.evidence["source"] == (in_file if config else "default")
    assert decision.enabled, decision.reason


def test_the_options_weighed_are_those_the_role_writes():
    """The role's own table of the daemon.json names its tls_verify key writes is the oracle."""
    role_vars = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    assert set(TLS_OPTIONS) == set(role_vars["container_hardening__daemon_json_names"]["tls_verify"])
