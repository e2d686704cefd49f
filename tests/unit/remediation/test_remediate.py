"""`hostaudit remediate`: the playbook turns on only failed keys; guidance per container and per pod."""

from __future__ import annotations

import json

import pytest
import yaml

from hostaudit import catalog
from hostaudit.remediation import PlaybookOptions, companion_paths, load_report, remediate
from hostaudit.remediation.fixes import fix_for
from hostaudit.remediation.unsafe import load_playbook
from tests.lab import run_hostaudit

HOSTILE = "evil{{ lookup('pipe', 'touch /tmp/pwned') }}\n- hosts: all\n[/x]"


def finding(check_id: str, status: str = "fail", key: str | None = None, kind: str = "daemon",
            subject: str = "daemon", evidence: dict | None = None, waiver: str | None = None, **extra) -> dict:
    return {"check_id": check_id, "status": status, "ansible_key": key, "severity": "high",
            "subject": {"key": subject, "kind": kind, "name": subject}, "evidence": evidence or {},
            "waiver": waiver, "remediation": f"fix {check_id}", **extra}


def container(key: str, name: str, pod: str | None = None, source: str = "docker") -> dict:
    return {"key": key, "name": name, "source": source, "state": "running", "image": "img", "pod": pod}


REPORT = {
    "report_version": 1,
    "findings": [
        finding("daemon.icc_enabled", key="icc", evidence={"icc": True, "source": "daemon.json (/x)"}),
        finding("daemon.live_restore_disabled", key="live_restore"),
        finding("daemon.no_new_privileges_default_off", status="pass", key="no_new_privileges"),
        finding("daemon.iptables_disabled", key="iptables", evidence={"iptables": False, "source": "argv"}),
        finding("daemon.experimental_enabled", key="experimental", waiver="lab only"),
        finding("daemon.userns_remap_disabled", key="userns_remap"),
        finding("daemon.made_up", key="no_such_key{{ x }}"),
        finding("container.privileged", kind="container", subject="docker:" + HOSTILE),
        finding("container.docker_socket_mounted", kind="container", subject="docker:" + HOSTILE,
                evidence={"mount.source": "/var/run/docker.sock", "mount.destination": "/var/run/docker.sock"}),
        finding("container.cap_sys_admin", kind="container", subject="k8s:shop/risky/app"),
        finding("container.capabilities_added", kind="container", subject="k8s:shop/risky/app",
                evidence={"capabilities.beyond_default": ["SYS_ADMIN", "NET_BIND_SERVICE"]}),
        finding("container.host_root_mounted", kind="container", subject="k8s:shop/risky/app",
                evidence={"mount.source": "/", "mount.destination": "/host", "mount.rw": True}),
        finding("container.host_network", kind="container", subject="k8s:shop/risky/(sandbox)"),
        finding("container.runs_as_root", kind="container", subject="k8s:shop/risky/app"),
        finding("container.rootfs_writable", kind="container", subject="k8s:shop/risky/app", waiver="accepted"),
        finding("container.privileged", status="pass", kind="container", subject="docker:hardened"),
    ],
    "containers": [
        container("docker:" + HOSTILE, HOSTILE), container("docker:hardened", "hardened"),
        container("k8s:shop/risky/app", "shop/risky/app", pod="shop/risky", source="containerd"),
        container("k8s:shop/risky/(sandbox)", "shop/risky/(sandbox)", pod="shop/risky", source="containerd"),
    ],
}


@pytest.fixture(scope="module")
def result():
    return remediate(REPORT, PlaybookOptions(daemon_json="/srv/daemon.json", restart_command="systemctl kill x"))


def test_playbook_turns_on_only_failed_unwaived_safe_keys(result):
    play = load_playbook(result.playbook)[0]
    enabled = {k for k, v in play["vars"].items() if k.endswith("_enabled") and v is True}
    assert enabled == {"container_hardening_live_restore_enabled"}
    assert play["vars"]["container_hardening_daemon_json_path"] == "/srv/daemon.json"
    assert play["vars"]["container_hardening_restart_method"] == "command"
    assert play["roles"][0]["role"] == "container_hardening", "the role beside fix.yml, no path of this machine"


def test_keys_left_off_say_why(result):
    reasons = {d.key: d.reason for d in result.decisions if not d.enabled}
    assert "command line" in reasons["iptables"]
    assert "needs iptables" in reasons["icc"], "dockerd refuses icc=false while iptables is off"
    assert "disruptive" in reasons["userns_remap"]
    assert "experimental" not in reasons and "no_new_privileges" not in reasons


def test_role_keys_come_from_the_catalog_never_from_report_text(result):
    """A report's `ansible_key` text is ignored: `daemon.made_up` names a key no check has, and a container finding
    claiming a host key switches nothing on."""
    assert "no_such_key{{ x }}" not in {d.key for d in result.decisions}
    forged = {"findings": [finding("container.privileged", key="live_restore", kind="container", subject="docker:x"),
                           finding("host.no_runtime_detection_agent", key="userns_remap", kind="host",
                                   subject="host")], "containers": []}
    decided = remediate(forged, PlaybookOptions(allow_disruptive=True)).decisions
    expected = {catalog.load()[c].meta.ansible_key for c in ("container.privileged", "host.no_runtime_detection_agent")}
    assert {d.key for d in decided} == expected - {None}
    assert "userns_remap" not in expected and "live_restore" not in expected


def test_icc_is_on_when_iptables_is_not_blocked():
    report = {"findings": [f for f in REPORT["findings"] if f["check_id"] != "daemon.iptables_disabled"]}
    play = load_playbook(remediate(report, PlaybookOptions()).playbook)[0]
    assert play["vars"]["container_hardening_icc_enabled"] is True


def test_disruptive_keys_only_when_allowed():
    done = remediate(REPORT, PlaybookOptions(allow_disruptive=True))
    assert load_playbook(done.playbook)[0]["vars"]["container_hardening_userns_remap_enabled"] is True


def test_report_strings_never_reach_the_playbook(result):
    assert "lookup" not in result.playbook and "no_such_key" not in result.playbook


def test_hostile_container_name_stays_data_in_the_guidance(result):
    guidance = yaml.safe_load(result.containers)
    names = [g["container"] for g in guidance]
    assert names == [HOSTILE]
    changes = {c["check"]: c["change"] for c in guidance[0]["changes"]}
    assert changes["container.privileged"] == "fix container.privileged", "the check's own remediation text"
    # the change names the mount to remove, from the finding's evidence
    assert changes["container.docker_socket_mounted"] == (
        "fix container.docker_socket_mounted (/var/run/docker.sock:/var/run/docker.sock)")


def test_pod_patch_carries_pod_and_container_security_context(result):
    (pod,) = list(yaml.safe_load_all(result.pods))
    assert pod["workload"] == {"namespace": "shop", "kind": "Pod", "name": "risky", "pod": "risky"}
    patch = pod["patch"]["spec"]  # a bare pod (the report names no owner): the pod's own spec
    assert patch["hostNetwork"] is False
    (app,) = patch["containers"]
    assert app["name"] == "app"
    assert app["securityContext"]["runAsNonRoot"] is True
    assert (app["securityContext"]["runAsUser"], app["securityContext"]["runAsGroup"]) == (10000, 10000)
    assert app["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": []}, "nothing is added back"
    assert "readOnlyRootFilesystem" not in app["securityContext"], "a waived finding asks for nothing"
    assert app["volumeMounts"] == [{"mountPath": "/host", "$patch": "delete"}]
    assert pod["remove_host_path_volumes"] == [{"container": "app", "mount_path": "/host", "host_path": "/"}]


def test_every_capability_check_maps_to_a_cap_drop():
    fix = fix_for("container.cap_dac_read_search")
    assert fix.container_context == {"capabilities": {"drop": ["ALL"], "add": []}}
    assert fix_for("container.not_in_the_table") is None


@pytest.mark.parametrize("text", ["not json", "[]", '{"findings": 3}'])
def test_bad_report_is_a_clear_error(tmp_path, text):
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"r\.json"):
        load_report(path)


def test_cli_writes_three_files_and_rejects_bad_input(tmp_path):
    report = tmp_path / "report.json"
    report.write_text(json.dumps(REPORT))
    out = tmp_path / "fix.yml"
    run_hostaudit("remediate", "--from", str(report), "--out", str(out), check_codes=(0,))
    containers, pods = companion_paths(out)
    assert load_playbook(out.read_text())[0]["vars"]["container_hardening_live_restore_enabled"] is True
    assert (out.stat().st_mode & 0o777) == 0o600
    assert yaml.safe_load(containers.read_text())[0]["container"] == HOSTILE
    assert next(yaml.safe_load_all(pods.read_text()))["workload"]["pod"] == "risky"
    bad = run_hostaudit("remediate", "--from", str(tmp_path / "missing.json"), "--out", str(out), check_codes=(2,))
    assert "missing.json" in bad.stderr and "Traceback" not in bad.stderr
    var = run_hostaudit("remediate", "--from", str(report), "--out", str(out), "--var", "nope=1", check_codes=(2,))
    assert "nope" in var.stderr


def test_a_privileged_container_gets_one_change_not_one_per_capability():
    key = "docker:priv"
    caps = [finding(f"container.cap_{c}", kind="container", subject=key) for c in ("sys_admin", "net_admin", "bpf")]
    report = {"findings": [finding("container.privileged", kind="container", subject=key), *caps,
                           finding("container.capabilities_added", kind="container", subject=key),
                           finding("container.host_pid", kind="container", subject=key)],
              "containers": [container(key, "priv")]}
    (guidance,) = yaml.safe_load(remediate(report, PlaybookOptions()).containers)
    assert [c["check"] for c in guidance["changes"]] == ["container.privileged", "container.host_pid"]
    assert guidance["changes"][0]["also_granted_by_privileged"] == [
        "container.cap_bpf", "container.cap_net_admin", "container.cap_sys_admin", "container.capabilities_added"]


def test_targets_come_from_the_report_and_hostile_paths_are_dropped():
    from hostaudit.remediation.targets import target_variables

    def file_finding(check_id: str, path: str, status: str = "fail") -> dict:
        return {"check_id": check_id, "status": status, "subject": {"key": f"file:{path}", "kind": "file",
                                                                    "name": path}}

    report = {"host": {"docker_endpoint": "unix:///srv/docker/d.sock"}, "findings": [
        file_finding("files.daemon_json_permissive_mode", "/srv/docker/daemon.json", "pass"),
        file_finding("files.docker_sock_permissive_mode", "/srv/docker/d.sock"),
        file_finding("files.containerd_sock_wrong_owner", "/srv/containerd/c.sock"),
        file_finding("host.audit_rule_missing_containerd_shim_runc_v2", "/opt/bin/containerd-shim-runc-v2"),
        file_finding("host.audit_rule_missing_docker_data_root", "/srv/docker/data"),
        file_finding("host.audit_rule_missing_dockerd", "relative/dockerd"),
        file_finding("host.audit_rule_missing_runc", "/usr/bin/runc\n-w / -p wa"),
        file_finding("host.audit_rule_missing_etc_docker", "/etc/docker", "pass"),
    ]}
    targets = target_variables(report)
    assert targets.variables == {
        "container_hardening_daemon_json_path": "/srv/docker/daemon.json",
        "container_hardening_docker_host": "unix:///srv/docker/d.sock",
        "container_hardening_docker_socket_permissions_sockets": [
            {"path": "/srv/containerd/c.sock", "owner": "root", "group": "root", "mode": "0660"},
            {"path": "/srv/docker/d.sock", "owner": "root", "group": "docker", "mode": "0660"}],
        "container_hardening_audit_rules_watches": ["/opt/bin/containerd-shim-runc-v2", "/srv/docker/data"],
    }
    assert [line.split(":")[0] for line in targets.refused] == [
        'audit watch path "relative/dockerd"', 'audit watch path "/usr/bin/runc\\n-w / -p wa"'], "said, not dropped"
    options = PlaybookOptions(daemon_json="/etc/docker/other.json", docker_host="unix:///run/d.sock")
    play_vars = load_playbook(remediate(report, options).playbook)[0]["vars"]
    assert play_vars["container_hardening_daemon_json_path"] == "/etc/docker/other.json", "--daemon-json wins"
    assert play_vars["container_hardening_docker_host"] == "unix:///run/d.sock"


def test_keys_left_off_are_recorded_in_the_playbook(result):
    left_off = load_playbook(result.playbook)[0]["vars"]["container_hardening_left_off"]
    assert "command line" in left_off["iptables"] and "needs iptables" in left_off["icc"]
    assert not any("no_such_key" in k for k in left_off)


def test_report_paths_enter_the_playbook_as_unsafe_and_templates_are_refused_aloud():
    """A report value is Ansible data (`!unsafe`), and a path with template or control characters is left out with
    a comment line saying why (the oracle: PyYAML's own reading of the tags)."""
    template = "/tmp/{{ lookup('pipe', 'id') }}"

    def file_finding(check_id: str, path: str) -> dict:
        return {"check_id": check_id, "status": "fail", "subject": {"key": f"file:{path}", "kind": "file",
                                                                    "name": path}}

    report = {"host": {"docker_endpoint": f"unix://{template}"}, "findings": [
        file_finding("files.docker_sock_permissive_mode", "/run/d.sock"),
        file_finding("files.containerd_sock_wrong_owner", template),
        file_finding("host.audit_rule_missing_runc", "/usr/bin/{% if x %}runc{% endif %}"),
        file_finding("host.audit_rule_missing_dockerd", "/usr/bin/../sbin/dockerd")]}
    done = remediate(report, PlaybookOptions())
    nodes = [yaml.compose(done.playbook)]
    tagged = set()
    while nodes:
        node = nodes.pop()
        if isinstance(node, yaml.ScalarNode):
            tagged |= {node.value} if node.tag == "!unsafe" else set()
        else:
            nodes.extend(n for item in node.value for n in (item if isinstance(item, tuple) else (item,)))
    assert "/run/d.sock" in tagged, "the report's socket path is written !unsafe"
    loaded = load_playbook(done.playbook)[0]["vars"]
    (socket,) = loaded["container_hardening_docker_socket_permissions_sockets"]
    assert socket["path"] == "/run/d.sock"
    assert "container_hardening_docker_host" not in loaded and "container_hardening_audit_rules_watches" not in loaded
    assert "lookup" not in yaml.dump(loaded) and "{%" not in yaml.dump(loaded)
    assert len(done.refused) == 4
    comments = [line for line in done.playbook.splitlines() if line.startswith("#   ")]
    assert [c.split(":")[0] for c in comments] == [f"#   {r.split(':')[0]}" for r in done.refused]
    assert any("not normalised" in r for r in done.refused) and any("template" in r for r in done.refused)


def test_ansible_reads_the_playbook_s_own_values_with_their_types():
    """Ansible itself (its YAML loader, the playbook's real consumer) types the vars: a socket's mode stays the
    string '0660'. Tagged `!unsafe` it became the integer 432 and the role chmod'ed the socket 0420."""
    loader = pytest.importorskip("ansible.parsing.yaml.loader")
    report = {"host": {}, "findings": [{"check_id": "files.docker_sock_permissive_mode", "status": "fail",
                                        "subject": {"key": "file:/run/d.sock", "kind": "file", "name": "/run/d.sock"}}]}
    play_vars = loader.AnsibleLoader(remediate(report, PlaybookOptions()).playbook).get_single_data()[0]["vars"]
    (socket,) = play_vars["container_hardening_docker_socket_permissions_sockets"]
    assert (socket["path"], socket["owner"], socket["group"], socket["mode"]) == ("/run/d.sock", "root", "docker",
                                                                                  "0660")
    assert all(isinstance(socket[key], str) for key in ("owner", "group", "mode"))


def _engine(subject: str, endpoint: str, config: str, rootless: bool, owner: str = "root") -> dict:
    return {"kind": "docker", "subject": subject, "endpoint": endpoint, "version": "20.10.24", "owner": owner,
            "uid": 1000 if rootless else 0, "pid": 7, "rootless": rootless, "config_file": config, "error": None}


ROOTLESS_SOCKET = "/run/user/1000/docker.sock"
ENGINES_REPORT = {
    "report_version": 1,
    "engines": [_engine("daemon", "unix:///var/run/docker.sock", "/etc/docker/daemon.json", False),
                _engine(f"daemon:{ROOTLESS_SOCKET}", f"unix://{ROOTLESS_SOCKET}",
                        "/home/alice/.config/docker/daemon.json", True, owner="alice"),
                _engine("daemon:/srv/evil.sock", "unix:///srv/evil.sock", "/etc/{{ lookup('pipe','id') }}", False)],
    "findings": [finding("daemon.live_restore_disabled", key="live_restore", subject=f"daemon:{ROOTLESS_SOCKET}"),
                 finding("daemon.live_restore_disabled", key="live_restore", subject="daemon:/srv/evil.sock"),
                 finding("daemon.live_restore_disabled", status="pass", key="live_restore")],
    "containers": [],
}


def test_a_rootless_engines_keys_are_guidance_for_its_owner_never_applied_as_root():
    result = remediate(ENGINES_REPORT, PlaybookOptions())
    plays = load_playbook(result.playbook)
    assert len(plays) == 1, "neither the rootless engine nor the one with a hostile daemon.json path gets a play"
    assert not {k for k, v in plays[0]["vars"].items() if k.endswith("_enabled") and v is True}
    assert "/home/alice" not in str(plays[0]["vars"].get("container_hardening_daemon_json_path"))
    reason = plays[0]["vars"]["container_hardening_left_off"][f"live_restore ({ROOTLESS_SOCKET})"]
    assert "never applied as root" in reason and "/home/alice/.config/docker/daemon.json" in reason
    assert "systemctl --user restart docker" in reason and '"alice"' in reason
    assert any("{{" in line and "template characters" in line for line in result.refused)
