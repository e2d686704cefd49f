"""Escape verdicts over recorded results: each technique needs all of its preconditions, never facts."""

from __future__ import annotations

import pytest

from hostaudit import engine, escape
from hostaudit.model import DAEMON, HOST, Result, Status, Subject

CTR = Subject("docker:web", "container", "web")


def results(failing: set[str], passing: set[str] = frozenset(), evidence: dict[str, dict] | None = None,
            host_failing: set[str] = frozenset()) -> dict[str, list[Result]]:
    """Recorded results: `failing`/`passing` on the container, `host_failing` on the host or daemon."""
    evidence = evidence or {}
    found: dict[str, list[Result]] = {}
    for check_id in failing | passing:
        status = Status.FAIL if check_id in failing else Status.PASS
        found[check_id] = [Result(CTR, status, evidence.get(check_id, {"field": "value"}))]
    for check_id in host_failing:
        subject = DAEMON if check_id.startswith("daemon.") else HOST
        found[check_id] = [Result.failed(subject, evidence.get(check_id, {}))]
    return found


def only_verdict(recorded) -> escape.EscapeVerdict:
    (verdict,) = escape.analyse(recorded)
    return verdict


def direct(verdict) -> list[str]:
    return [p.technique for p in verdict.paths if p.kind == escape.DIRECT]


@pytest.mark.parametrize(("failing", "words"), [
    ({"container.docker_socket_mounted"}, "runtime API socket"),
    ({"container.privileged"}, "privileged"),
    ({"container.cgroup_release_agent_writable", "container.cap_sys_admin"}, "release_agent"),
    ({"container.ptrace_host_pid"}, "ptrace"),
    ({"container.cap_dac_read_search", "container.runs_as_root"}, "shocker"),
    ({"container.cap_sys_module", "container.runs_as_root"}, "kernel module"),
    ({"container.usermode_helper_writable"}, "usermode helper"),
    ({"container.block_device_exposed", "container.runs_as_root"}, "raw host device"),
    ({"container.device_cgroup_allow_all", "container.runs_as_root"}, "allow-all"),
    ({"container.lxcfs_writable", "container.runs_as_root"}, "lxcfs"),
])
def test_each_direct_technique_makes_the_container_escapable(failing, words):
    verdict = only_verdict(results(failing))
    assert verdict.verdict == escape.ESCAPABLE
    (technique,) = direct(verdict)
    assert words in technique
    assert verdict.paths[0].kind == escape.DIRECT  # direct paths come first


def test_chain_of_evidence_names_each_check_and_its_evidence():
    recorded = results({"container.cgroup_release_agent_writable", "container.cap_sys_admin",
                        "container.apparmor_unconfined"},
                       evidence={"container.cap_sys_admin": {"capabilities.has_SYS_ADMIN": True}})
    path = only_verdict(recorded).paths[0]
    assert path.evidence[0].startswith("container.cgroup_release_agent_writable: ")
    assert "container.cap_sys_admin: capabilities.has_SYS_ADMIN=True" in path.evidence
    assert any(e.startswith("container.apparmor_unconfined") for e in path.evidence)


def test_a_missing_precondition_leaves_only_a_weakened_container():
    verdict = only_verdict(results({"container.cap_sys_module"}, passing={"container.runs_as_root"}))
    assert verdict.verdict == escape.WEAKENED
    assert direct(verdict) == []
    assert [p.technique for p in verdict.paths] == ["defence removed: container.cap_sys_module"]


@pytest.mark.parametrize(("rw", "outcome"), [(True, escape.ESCAPABLE), (False, escape.WEAKENED)])
def test_host_root_mount_is_an_escape_only_read_write(rw, outcome):
    recorded = results({"container.host_root_mounted"}, evidence={"container.host_root_mounted": {"mount.rw": rw}})
    assert only_verdict(recorded).verdict == outcome


def test_tcp_api_without_tls_is_reached_through_host_network_or_a_non_loopback_listener():
    listener = {"daemon.tcp_without_tls": {"without_tlsverify": ["127.0.0.1:2375 (argv)"]}}
    loopback_only = results(set(), passing={"container.host_network"}, evidence=listener,
                            host_failing={"daemon.tcp_without_tls"})
    assert only_verdict(loopback_only).verdict == escape.CONTAINED
    host_net = results({"container.host_network"}, evidence=listener, host_failing={"daemon.tcp_without_tls"})
    assert "Docker API on TCP" in direct(only_verdict(host_net))[0]
    everywhere = {"daemon.tcp_without_tls": {"without_tlsverify": ["0.0.0.0:2375 (argv)"]}}
    bridge = results(set(), passing={"container.host_network"}, evidence=everywhere,
                     host_failing={"daemon.tcp_without_tls"})
    assert only_verdict(bridge).verdict == escape.ESCAPABLE


def test_kernel_cve_with_its_container_preconditions_is_direct():
    recorded = results({"container.seccomp_unconfined", "container.runs_as_root"},
                       host_failing={"kernel.cve_2022_0492"})
    verdict = only_verdict(recorded)
    assert verdict.verdict == escape.ESCAPABLE
    assert "CVE-2022-0492" in direct(verdict)[0]


def test_kernel_cve_blocked_by_an_lsm_is_not_direct():
    recorded = results({"container.seccomp_unconfined", "container.runs_as_root"},
                       passing={"container.apparmor_unconfined"}, host_failing={"kernel.cve_2022_0492"})
    verdict = only_verdict(recorded)
    assert verdict.verdict == escape.WEAKENED
    assert [p.kind for p in verdict.paths if "cve_2022_0492" in p.technique] == [escape.CONDITIONAL]


def test_netfilter_cve_needs_net_admin_or_a_user_namespace():
    vulnerable = {"kernel.cve_2024_1086"}
    plain = only_verdict(results({"container.runs_as_root"}, host_failing=vulnerable))
    assert plain.paths[0].kind == escape.CONDITIONAL
    net_admin = only_verdict(results({"container.runs_as_root", "container.cap_net_admin"}, host_failing=vulnerable))
    assert net_admin.verdict == escape.ESCAPABLE
    assert direct(net_admin) == ["CVE-2024-1086: nf_tables verdict double free"]


def test_other_runtime_cves_are_conditional_for_root_and_absent_for_non_root():
    root = only_verdict(results({"container.runs_as_root"}, host_failing={"runtime.cve_2024_21626"}))
    assert root.verdict == escape.WEAKENED
    assert root.paths[0].kind == escape.CONDITIONAL and "runtime.cve_2024_21626" in root.paths[0].technique
    non_root = only_verdict(results(set(), passing={"container.runs_as_root"},
                                    host_failing={"runtime.cve_2024_21626"}))
    assert non_root.verdict == escape.CONTAINED and non_root.paths == ()


def _in_host_userns_by_default(recorded: dict[str, list[Result]]) -> dict[str, list[Result]]:
    """container.host_userns as it is for a Docker container of a daemon without userns-remap, or a CRI container:
    not a failure of the container's own, but the container is in the host's user namespace."""
    return {**recorded, "container.host_userns": [Result.not_applicable(CTR, {"namespaces.user.host": True})]}


def test_root_without_user_namespace_is_weakened():
    verdict = only_verdict(_in_host_userns_by_default(results({"container.runs_as_root"})))
    assert verdict.verdict == escape.WEAKENED
    assert "root without a user namespace" in verdict.paths[0].technique


def test_non_root_without_user_namespace_is_contained_whatever_the_runtime():
    """One rule for Docker and CRI: the host-level lack of a user namespace is no per-container failure."""
    recorded = _in_host_userns_by_default(results(set(), passing={"container.runs_as_root"},
                                                  host_failing={"daemon.userns_remap_disabled"}))
    assert only_verdict(recorded).verdict == escape.CONTAINED


def test_defaults_that_remove_no_layer_leave_the_container_contained():
    verdict = only_verdict(results({"container.no_memory_limit", "container.cap_net_raw", "container.no_healthcheck"},
                                   passing={"container.runs_as_root"}))
    assert verdict.verdict == escape.CONTAINED


def test_every_check_id_the_analysis_names_is_in_the_catalog():
    from hostaudit import catalog

    known = set(catalog.load())
    techniques = (*escape.direct_techniques(), *escape.direct_cves().values())
    named = {c for t in techniques for c in (*t.requires, *t.any_of, *t.supporting)}
    named |= set(escape.WEAKENING_CHECKS) | {escape.ROOT}
    assert named - known == set()


def test_recorded_lab_snapshot_verdicts(lab_snapshot):
    verdicts = {v.subject.name: v.verdict for v in engine.audit(lab_snapshot).escapes}
    for name in ("priv", "sysadmin", "sock", "host-root", "ptrace-pid", "shop/risky/app"):
        assert verdicts[name] == escape.ESCAPABLE, name
    # the recording host had no runtime socket under /run (its daemons listened under /tmp): /run:ro exposes none
    for name in ("no-seccomp", "host-net", "etc-ro", "run-dir"):
        assert verdicts[name] == escape.WEAKENED, name
    assert verdicts["hardened"] == escape.CONTAINED
    assert "shop/risky/(sandbox)" not in verdicts


def test_a_partial_selection_gives_no_verdicts(lab_snapshot):
    assert engine.audit(lab_snapshot, only=("container.privileged",)).escapes == ()


ROOTLESS = {"container.rootless_owner_exposed": {"engine.user": "alice", "engine.uid": 1000}}


@pytest.mark.parametrize("failing", [
    {"container.privileged"}, {"container.cap_sys_module", "container.runs_as_root"},
    {"container.host_root_mounted"}, {"container.ptrace_host_pid"},
])
def test_rootless_engine_limits_runtime_techniques_to_its_user(failing):
    evidence = {**ROOTLESS, "container.host_root_mounted": {"mount.rw": True}}
    verdict = only_verdict(results(failing | {"container.rootless_owner_exposed"}, evidence=evidence))
    assert verdict.verdict == escape.WEAKENED and not direct(verdict)
    limited = [p for p in verdict.paths if p.kind == escape.CONDITIONAL]
    assert limited and all("lands as alice, not host root" in p.technique for p in limited)
    assert any(step.startswith("container.rootless_owner_exposed") for step in limited[0].evidence)


def test_a_rootless_container_that_passes_still_lands_as_its_user_at_most():
    verdict = only_verdict(results({"container.host_root_mounted"}, passing={"container.rootless_owner_exposed"},
                                   evidence={**ROOTLESS, "container.host_root_mounted": {"mount.rw": True}}))
    assert not direct(verdict) and verdict.verdict == escape.WEAKENED
    assert any("lands as alice, not host root" in p.technique for p in verdict.paths)


def test_rootful_socket_mounted_in_a_rootless_container_is_still_host_root():
    evidence = {**ROOTLESS, "container.docker_socket_mounted": {"socket": "/run/docker.sock"}}
    verdict = only_verdict(results({"container.docker_socket_mounted", "container.rootless_owner_exposed"},
                                    evidence=evidence))
    assert verdict.verdict == escape.ESCAPABLE and direct(verdict)


def test_rootless_engine_socket_mounted_lands_as_its_user():
    evidence = {"container.docker_socket_mounted": {"socket": "/run/user/1000/docker.sock",
                                                    "socket.rootless_engine_user": "alice"}}
    verdict = only_verdict(results({"container.docker_socket_mounted"}, evidence=evidence))
    assert verdict.verdict == escape.WEAKENED
    assert "lands as alice" in verdict.paths[0].technique


def test_kernel_cve_is_not_limited_by_a_rootless_engine():
    verdict = only_verdict(results({"container.rootless_owner_exposed"}, evidence=ROOTLESS,
                                   host_failing={"kernel.cve_2022_0847"}))
    assert verdict.verdict == escape.ESCAPABLE


@pytest.mark.parametrize(("reachable", "escapes"), [(None, True), (["web", "db"], True), (["db"], False), ([], False)])
def test_kernel_bug_is_a_direct_escape_only_for_the_containers_the_check_names(reachable, escapes):
    evidence = {} if reachable is None else {"reachable_containers": reachable}
    verdict = only_verdict(results({"container.runs_as_root"}, host_failing={"kernel.cve_2026_31431"},
                                   evidence={"kernel.cve_2026_31431": evidence}))
    assert any("Copy Fail" in t for t in direct(verdict)) is escapes


@pytest.mark.parametrize("listener", ["127.0.0.2:2375 (argv)", "localhost:2375 (daemon.json)",
                                      "[::1]:2375 (argv)", "::1:2375 (listening)"])
def test_a_loopback_tcp_api_is_not_reached_from_a_bridge(listener):
    """The collector writes listeners as address:port (source); every loopback spelling stays on the host."""
    loopback = {"daemon.tcp_without_tls": {"without_tlsverify": [listener]}}
    bridge = results(set(), passing={"container.host_network"}, evidence=loopback,
                     host_failing={"daemon.tcp_without_tls"})
    assert only_verdict(bridge).verdict == escape.CONTAINED


def test_root_in_the_hosts_user_namespace_alone_is_weakened():
    verdict = only_verdict(results({"container.runs_as_root", "container.host_userns"}))
    assert verdict.paths[0].technique == "root without a user namespace: container root is host root"
    assert verdict.paths[0].kind == escape.WEAKENING


def test_paths_come_direct_then_conditional_then_weakening_each_with_its_evidence():
    recorded = results({"container.runs_as_root", "container.cap_net_admin", "container.seccomp_unconfined"},
                       evidence={"container.runs_as_root": {"user": "0"}},
                       host_failing={"kernel.cve_2024_1086", "runtime.cve_2024_21626"})
    recorded["kernel.cve_2024_1086"][0].evidence["kernel"] = "6.1.0"
    paths = only_verdict(recorded).paths
    assert [p.kind for p in paths] == sorted((p.kind for p in paths), key=[escape.DIRECT, escape.CONDITIONAL,
                                                                           escape.WEAKENING].index)
    assert [p.kind for p in paths][:2] == [escape.DIRECT, escape.CONDITIONAL]
    assert paths[0].evidence[0] == "kernel.cve_2024_1086: kernel=6.1.0"
    assert paths[1].evidence == ("runtime.cve_2024_21626", "container.runs_as_root: user=0")
    assert paths[-1].kind == escape.WEAKENING


def test_a_long_chain_link_is_cut_at_the_limit():
    recorded = {"container.runs_as_root": [Result.failed(CTR, {"user": "x" * 500})]}
    text = escape.link("container.runs_as_root", escape.Results({k: v[0] for k, v in recorded.items()}, {}))
    assert len(text) == len("container.runs_as_root: ") + 240
    assert text.endswith("x…")
    assert escape.link("container.privileged", escape.Results({}, {})) == "container.privileged"


def test_kernel_cve_blocked_by_selinux_is_not_direct():
    recorded = results({"container.seccomp_unconfined", "container.runs_as_root", "container.apparmor_unconfined"},
                       passing={"container.selinux_disabled"}, host_failing={"kernel.cve_2022_0492"})
    assert only_verdict(recorded).verdict == escape.WEAKENED


def test_a_direct_cve_path_comes_before_a_conditional_one_of_an_earlier_check_id():
    """kernel.cve_2021_4154 (a user namespace is needed: conditional here) sorts before kernel.cve_2022_0847
    (direct): the direct path still leads."""
    paths = only_verdict(results({"container.runs_as_root"},
                                 host_failing={"kernel.cve_2021_4154", "kernel.cve_2022_0847"})).paths
    assert [(p.kind, p.technique.split(":")[0]) for p in paths[:2]] == [
        (escape.DIRECT, "CVE-2022-0847"), (escape.CONDITIONAL, "kernel.cve_2021_4154")]


def test_a_chain_link_joins_the_evidence_keys_with_commas_and_keeps_a_text_of_exactly_the_limit():
    two = escape.Results({"container.runs_as_root": Result.failed(CTR, {"user": "0", "uid_map": "0 0 1"})}, {})
    assert escape.link("container.runs_as_root", two) == "container.runs_as_root: user=0, uid_map=0 0 1"
    exact = escape.Results({"container.runs_as_root": Result.failed(CTR, {"user": "x" * 235})}, {})
    assert escape.link("container.runs_as_root", exact) == "container.runs_as_root: user=" + "x" * 235


def test_a_passing_rootless_check_is_not_a_link_of_the_chain():
    verdict = only_verdict(results({"container.host_root_mounted"}, passing={"container.rootless_owner_exposed"},
                                   evidence={**ROOTLESS, "container.host_root_mounted": {"mount.rw": True}}))
    limited = [p for p in verdict.paths if "lands as alice" in p.technique]
    assert limited and not any(s.startswith("container.rootless_owner_exposed") for p in limited for s in p.evidence)
