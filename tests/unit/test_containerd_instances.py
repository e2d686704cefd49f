"""Each containerd is its own subject, judged from its own config, state dir and socket.

The configs are read by the real reader from files (tests/unit/fixtures/node/containerd/, or written where root alone
can write); the oracle for which value wins is containerd's documented precedence: a command-line flag over the config
file over the built-in default (`containerd --help`: --config, --address, --state)."""

from __future__ import annotations

import dataclasses

from hostaudit.collectors import ProcessEntry
from hostaudit.collectors.containerd import DEFAULT_SOCKET, DEFAULT_STATE, daemon_view, read_config
from hostaudit.model import HOST, ContainerdInstance, Status, containerd_subject
from tests.unit.checks._node import NODE, with_containerd, with_kubelet
from tests.unit.conftest import results_by_subject

PORTS = "containerd.unprivileged_ports_disabled"


def _instance(config: str, socket: str | None, pid: int) -> ContainerdInstance:
    read = read_config(str(NODE / "containerd" / config))
    return ContainerdInstance(pid, read, f"/x/{pid}", socket, "1.6.20", (read.modified_at or 0) + 60)


def _two(lab_snapshot, second: ContainerdInstance):
    node = with_containerd(with_kubelet(lab_snapshot, config="kubeadm-hardened.yaml"), "v2-cri-hardened.toml")
    containerd = dataclasses.replace(node.containerd, instances=(node.containerd.main, second))
    return dataclasses.replace(node, containerd=containerd)


def test_two_containerds_are_each_judged_on_their_own_config(lab_snapshot):
    """Before, only the main containerd's config.toml was read: the stock one beside it was never judged."""
    snapshot = _two(lab_snapshot, _instance("v2-cri-stock.toml", "/run/second/containerd.sock", 4321))
    main = snapshot.containerd.main
    results = results_by_subject(PORTS, snapshot)
    hardened = results[f"containerd pid {main.pid} at {main.socket}"]
    stock = results["containerd pid 4321 at /run/second/containerd.sock"]
    assert (hardened.status, stock.status) == (Status.PASS, Status.FAIL)
    assert hardened.evidence["source"].startswith(main.config.path)
    assert stock.evidence["source"] == "default of containerd 1.6.20"
    assert (stock.evidence["containerd.pid"], stock.subject.kind) == (4321, "containerd")
    assert stock.subject.key == "containerd-daemon:/run/second/containerd.sock"


def test_a_broken_config_is_the_finding_of_its_own_containerd(lab_snapshot):
    snapshot = _two(lab_snapshot, _instance("malformed.toml", None, 4321))
    results = results_by_subject("containerd.config_invalid", snapshot)
    broken = results["containerd pid 4321 at (socket unknown)"]
    assert broken.status is Status.FAIL and broken.evidence["path"].endswith("malformed.toml")
    assert [r.status for name, r in results.items() if name != broken.subject.name] == [Status.PASS]
    assert results_by_subject(PORTS, snapshot)[broken.subject.name].status is Status.UNKNOWN


def test_one_containerd_keeps_the_hosts_subject(lab_snapshot):
    """Baselines and waivers written before instances were told apart name containerd's results `host`."""
    assert containerd_subject(lab_snapshot.containerd, lab_snapshot.containerd.main) == HOST
    result = results_by_subject(PORTS, with_containerd(lab_snapshot, "v2-cri-stock.toml"))["host"]
    assert result.evidence["containerd.socket"] == lab_snapshot.containerd.main.socket


def test_two_containerds_claiming_one_socket_are_told_apart_by_their_pids(lab_snapshot):
    main = lab_snapshot.containerd.main
    twin = dataclasses.replace(main, pid=4321)
    facts = dataclasses.replace(lab_snapshot.containerd, instances=(main, twin))
    keys = {containerd_subject(facts, instance).key for instance in facts.instances}
    assert keys == {f"containerd-daemon:{main.socket}#pid {main.pid}", f"containerd-daemon:{main.socket}#pid 4321"}


def _view(root_tmp_path, config_text: str | None, *flags: str) -> tuple:
    config = root_tmp_path / f"config-{len(list(root_tmp_path.iterdir()))}.toml"  # one file per view
    if config_text is not None:
        config.write_text(config_text)
    return daemon_view(ProcessEntry(1, "containerd", ("containerd", "--config", str(config), *flags)))[1:]


def test_the_socket_and_state_dir_come_from_the_flags_then_the_config_then_the_defaults(root_tmp_path):
    configured = 'version = 2\nstate = "/srv/c/state"\n[grpc]\n  address = "/srv/c/c.sock"\n'
    assert _view(root_tmp_path, configured) == ("/srv/c/state", "/srv/c/c.sock")
    assert _view(root_tmp_path, configured, "--address", "/a.sock", "--state=/s") == ("/s", "/a.sock")
    assert _view(root_tmp_path, None) == (DEFAULT_STATE, DEFAULT_SOCKET)


def test_a_config_that_cannot_be_read_gives_no_socket_or_state_dir(root_tmp_path):
    """Before, its containerd was said to serve the default socket and state dir, which another may well serve."""
    assert _view(root_tmp_path, 'state = "/srv/c/state"\n[grpc\n') == (None, None)
    assert _view(root_tmp_path, "[grpc\n", "--address", "/a.sock") == (None, "/a.sock")


def test_the_headline_names_every_running_containerd(lab_snapshot):
    from hostaudit import engine

    snapshot = _two(lab_snapshot, _instance("v2-cri-stock.toml", "/run/second/containerd.sock", 4321))
    headline = engine.audit(snapshot, only=(PORTS,)).host["containerd"]
    assert headline.startswith("1.6.20 (2 instances: ") and "/run/second/containerd.sock" in headline
    assert engine.audit(lab_snapshot, only=(PORTS,)).host["containerd"] == lab_snapshot.containerd.main.version
