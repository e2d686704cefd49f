import dataclasses

import pytest

from hostaudit.model import AuditRule, AuditRulesFacts, FileStat, Presence, Status
from tests.unit.conftest import load, results_by_subject, with_collector_error

# every row of the family, with the object it watches in the audited scenario
ROWS = {
    "host.audit_rule_missing_dockerd": "/usr/sbin/dockerd",
    "host.audit_rule_missing_run_containerd": "/run/containerd",
    "host.audit_rule_missing_docker_data_root": "/var/lib/docker",
    "host.audit_rule_missing_etc_docker": "/etc/docker",
    "host.audit_rule_missing_docker_service": "/lib/systemd/system/docker.service",
    "host.audit_rule_missing_containerd_sock": "/run/containerd/containerd.sock",
    "host.audit_rule_missing_docker_socket": "/lib/systemd/system/docker.socket",
    "host.audit_rule_missing_etc_default_docker": "/etc/default/docker",
    "host.audit_rule_missing_daemon_json": "/etc/docker/daemon.json",
    "host.audit_rule_missing_containerd_config": "/etc/containerd/config.toml",
    "host.audit_rule_missing_containerd": "/usr/bin/containerd",
    "host.audit_rule_missing_containerd_shim": "/usr/bin/containerd-shim",
    "host.audit_rule_missing_containerd_shim_runc_v1": "/usr/bin/containerd-shim-runc-v1",
    "host.audit_rule_missing_containerd_shim_runc_v2": "/usr/bin/containerd-shim-runc-v2",
    "host.audit_rule_missing_runc": "/usr/sbin/runc",
}
SYSCONFIG = "host.audit_rule_missing_etc_sysconfig_docker"


def _with_rules(snapshot, *paths, source="auditctl -l", running=True, unreadable=()):
    rules = tuple(AuditRule(p, "wa", "docker", source) for p in paths)
    return dataclasses.replace(snapshot, audit_rules=AuditRulesFacts(source, rules, running, unreadable))


@pytest.mark.parametrize(("check_id", "path"), sorted(ROWS.items()))
def test_every_object_with_an_exact_rule_passes(check_id, path):
    result = results_by_subject(check_id, load("host/audited-host-passes.json"))[path]
    assert result.status is Status.PASS
    assert result.evidence["rule"]["origin"] == "auditctl -l"


@pytest.mark.parametrize("check_id", sorted(set(ROWS) - {"host.audit_rule_missing_containerd_shim_runc_v2"}))
def test_every_object_without_its_own_rule_fails(check_id):
    result = results_by_subject(check_id, load("host/unaudited-insiders-fail.json"))[ROWS[check_id]]
    assert result.status is Status.FAIL
    assert result.evidence["rule"] is None
    assert result.evidence["audit_rules.source"] == "auditctl -l"


def test_shim_rule_does_not_cover_containerd():
    """docker-bench regression (1.1.14): a rule on /usr/bin/containerd-shim-runc-v2 matched 'containerd' as a
    substring. Here it covers the shim and only the shim."""
    snapshot = load("host/unaudited-insiders-fail.json")
    containerd = results_by_subject("host.audit_rule_missing_containerd", snapshot)["/usr/bin/containerd"]
    shim = results_by_subject("host.audit_rule_missing_containerd_shim_runc_v2", snapshot)[
        "/usr/bin/containerd-shim-runc-v2"]
    assert containerd.status is Status.FAIL
    assert shim.status is Status.PASS
    assert shim.evidence["rule"]["path"] == "/usr/bin/containerd-shim-runc-v2"


def test_a_rule_on_the_real_path_of_a_symlinked_unit_counts():
    snapshot = _with_rules(load("host/audited-host-passes.json"), "/usr/lib/systemd/system/docker.service")
    result = results_by_subject("host.audit_rule_missing_docker_service", snapshot)[
        "/lib/systemd/system/docker.service"]
    assert result.status is Status.PASS
    assert result.evidence["real_path"] == "/usr/lib/systemd/system/docker.service"


def test_a_read_only_watch_does_not_count():
    snapshot = load("host/audited-host-passes.json")
    rules = AuditRulesFacts("auditctl -l", (AuditRule("/etc/docker", "r", "docker", "auditctl -l"),), True)
    result = results_by_subject("host.audit_rule_missing_etc_docker",
                                dataclasses.replace(snapshot, audit_rules=rules))["/etc/docker"]
    assert result.status is Status.FAIL


def test_rules_files_without_auditd_running_fail():
    snapshot = _with_rules(load("host/audited-host-passes.json"), "/etc/docker", source="rules files",
                           running=False)
    result = results_by_subject("host.audit_rule_missing_etc_docker", snapshot)["/etc/docker"]
    assert result.status is Status.FAIL
    assert result.evidence["auditd_running"] is False
    assert result.evidence["rule"]["path"] == "/etc/docker"


def test_unknown_when_the_rules_could_not_be_read():
    snapshot = _with_rules(load("host/audited-host-passes.json"), source="rules files",
                           unreadable=("/etc/audit/rules.d",))
    result = results_by_subject("host.audit_rule_missing_etc_docker", snapshot)["/etc/docker"]
    assert result.status is Status.UNKNOWN
    assert result.evidence["audit_rules.unreadable"] == ["/etc/audit/rules.d"]


def test_absent_object_is_not_applicable():
    result = results_by_subject(SYSCONFIG, load("host/audited-host-passes.json"))["/etc/sysconfig/docker"]
    assert result.status is Status.NOT_APPLICABLE
    assert result.evidence["presence"] == "absent"


def test_data_root_row_follows_the_daemons_data_root(lab_snapshot):
    """The lab daemon runs with --data-root under /tmp: that is the path the row is about."""
    results = results_by_subject("host.audit_rule_missing_docker_data_root", lab_snapshot)
    assert list(results) == [lab_snapshot.docker_daemon.info["DockerRootDir"]]


def test_sysconfig_file_is_judged_when_present():
    path = "/etc/sysconfig/docker"
    present = FileStat(path, "docker_env_file", Presence.PRESENT, mode=0o644, uid=0, gid=0, kind="file")
    snapshot = load("host/audited-host-passes.json")
    snapshot = dataclasses.replace(snapshot, files=(*(f for f in snapshot.files if f.path != path), present))
    assert results_by_subject(SYSCONFIG, snapshot)[path].status is Status.FAIL
    audited = _with_rules(snapshot, *(r.path for r in snapshot.audit_rules.rules), path)
    assert results_by_subject(SYSCONFIG, audited)[path].status is Status.PASS


def test_a_binary_the_files_collector_did_not_record_is_unknown(lab_snapshot):
    files = tuple(f for f in lab_snapshot.files if f.role != "runc_binary")
    result = results_by_subject("host.audit_rule_missing_runc", dataclasses.replace(lab_snapshot, files=files))["host"]
    assert result.status is Status.UNKNOWN
    assert result.evidence["files.role"] == "runc_binary"


def test_unknown_when_the_audit_rules_could_not_be_collected():
    snapshot = with_collector_error(load("host/audited-host-passes.json"), "audit_rules")
    assert results_by_subject("host.audit_rule_missing_dockerd", snapshot)["host"].status is Status.UNKNOWN
