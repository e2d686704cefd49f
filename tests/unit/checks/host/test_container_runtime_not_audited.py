import dataclasses

from hostaudit.model import AuditRule, Status
from tests.unit.conftest import results_by_subject, with_collector_error

CHECK = "host.container_runtime_not_audited"


def _audit(snapshot, running=True, paths=(), unreadable=()):
    rules = tuple(AuditRule(p, "wa", "container-runtime", "/etc/audit/rules.d/docker.rules") for p in paths)
    audit = dataclasses.replace(snapshot.audit_rules, auditd_running=running, rules=rules, unreadable=unreadable)
    host = dataclasses.replace(snapshot.host, runtime_binaries={"/usr/bin/dockerd": "20.10.24",
                                                                "/usr/bin/containerd": "1.6.20"})
    return results_by_subject(CHECK, dataclasses.replace(snapshot, audit_rules=audit, host=host))["host"]


def test_auditd_not_running_fails(lab_snapshot):
    result = _audit(lab_snapshot, running=False)
    assert result.status is Status.FAIL
    assert result.evidence["auditd_running"] is False


def test_no_watch_on_sockets_fails_naming_the_group(lab_snapshot):
    configs = (lab_snapshot.docker_daemon.config.path, lab_snapshot.containerd.config.path)
    result = _audit(lab_snapshot, paths=("/usr/bin/dockerd", *configs))
    assert result.status is Status.FAIL
    assert result.evidence["groups_without_any_watch"] == ["sockets"]
    assert result.evidence["unwatched"]["binaries"] == ["/usr/bin/containerd"]


def test_watches_on_binaries_configs_and_sockets_pass(lab_snapshot):
    sockets = [s.path for s in lab_snapshot.docker_daemon.sockets] + [s.path for s in lab_snapshot.containerd.sockets]
    result = _audit(lab_snapshot, paths=("/usr/bin/containerd", "/tmp", *sockets))
    assert result.status is Status.PASS
    assert result.evidence["groups_without_any_watch"] == []
    assert result.evidence["unwatched"]["binaries"] == ["/usr/bin/dockerd"]  # one watch per group is enough


def test_unreadable_rule_files_make_it_unknown(lab_snapshot):
    result = _audit(lab_snapshot, unreadable=("/etc/audit/rules.d/secret.rules",))
    assert result.status is Status.UNKNOWN


def test_unknown_when_audit_rules_could_not_be_read(lab_snapshot):
    result = results_by_subject(CHECK, with_collector_error(lab_snapshot, "audit_rules"))["host"]
    assert result.status is Status.UNKNOWN
