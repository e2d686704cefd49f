"""Two containerd instances on one host, each with its own --config, state dir and socket: each is judged on its own
configuration. The oracle is containerd itself: `containerd --config FILE config dump` prints the settings that
instance runs with (its file merged over the defaults of this containerd), and refuses a file it cannot start with."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostaudit.containerd_config import CRI_V2
from tests.cri_lab import PrivateCri, has_cri_client
from tests.engine.conftest import needs_engine
from tests.lab import PrivateContainerd, lab_dir, run_hostaudit

pytestmark = needs_engine
PORTS = "containerd.unprivileged_ports_disabled"


def _dump(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["containerd", "--config", str(config), "config", "dump"], capture_output=True, text=True,
                          timeout=60)


def _effective(config: Path, key: str) -> object:
    """The CRI setting `key` that containerd says the instance runs with."""
    done = _dump(config)
    assert done.returncode == 0, done.stderr
    return tomllib.loads(done.stdout)["plugins"][CRI_V2][key]


def _audit(*instances: PrivateContainerd, cri: PrivateContainerd | None = None) -> dict:
    base = instances[0].base
    states = [arg for instance in instances for arg in ("--containerd-state", str(instance.state))]
    endpoint = f"unix://{cri.socket}" if cri else f"unix://{base}/no-cri.sock"
    done = run_hostaudit("audit", "--format", "json", "--docker-host", f"unix://{base}/no-docker.sock", *states,
                         "--cri-endpoint", endpoint)
    return json.loads(done.stdout)


def _results(report: dict, check_id: str) -> dict[str, dict]:
    """The check's findings by the socket of the containerd they name."""
    found = [f for f in report["findings"] if f["check_id"] == check_id]
    by_socket = {f["evidence"].get("containerd.socket"): f for f in found}
    assert len(by_socket) == len(found), found
    return by_socket


@pytest.fixture(scope="module")
def two_cri() -> Iterator[tuple[PrivateCri, PrivateCri]]:
    """`strict` lets pods bind low ports and ping unprivileged; `stock` keeps containerd's defaults. A pod (tasks
    with CRI annotations, as kubelet's would have) runs on `strict`, so the CRI settings serve Kubernetes here."""
    if not has_cri_client():
        pytest.skip("needs the CRI client")
    strict = PrivateCri(lab_dir("hacis-"), cri_settings=("enable_unprivileged_ports = true",
                                                         "enable_unprivileged_icmp = true"))
    stock = PrivateCri(lab_dir("hacik-"))
    try:
        strict.start()
        stock.start()
        strict.pod("k8s", "web", {"app": ()})
        yield strict, stock
    finally:
        for instance in (strict, stock):
            instance.stop()
            shutil.rmtree(instance.base, ignore_errors=True)


def test_each_containerd_is_judged_on_its_own_config(two_cri):
    """Before, only one containerd's config.toml was read: the other's settings were never judged."""
    strict, stock = two_cri
    assert _effective(strict.base / "config.toml", "enable_unprivileged_ports") is True
    assert _effective(stock.base / "config.toml", "enable_unprivileged_ports") is False
    report = _audit(strict, stock, cri=strict)
    assert str(strict.socket) in report["host"]["containerd"] and str(stock.socket) in report["host"]["containerd"]
    ports = _results(report, PORTS)
    assert set(ports) == {str(strict.socket), str(stock.socket)}
    passed, failed = ports[str(strict.socket)], ports[str(stock.socket)]
    assert (passed["status"], failed["status"]) == ("pass", "fail")
    assert passed["evidence"]["source"].startswith(f"{strict.base / 'config.toml'}: ")
    assert failed["evidence"]["source"].startswith("default of containerd 1.")
    assert (passed["evidence"]["containerd.pid"], failed["evidence"]["containerd.pid"]) == (strict.pid, stock.pid)
    assert passed["subject"]["key"] != failed["subject"]["key"]
    assert failed["subject"]["kind"] == "containerd" and str(stock.pid) in failed["subject"]["name"]


def test_a_task_is_listed_once_with_two_containerds(two_cri):
    strict, stock = two_cri
    report = _audit(strict, stock, cri=strict)
    names = [c["name"] for c in report["containers"]]
    assert names.count("k8s/web/app") == 1, names


@pytest.fixture
def two_plain() -> Iterator[tuple[PrivateContainerd, PrivateContainerd]]:
    """Two containerds; the second is told its socket and state dir on its command line too, as a unit file may."""
    first, second = PrivateContainerd(lab_dir("haci1-")), PrivateContainerd(lab_dir("haci2-"))
    second.extra_args = ("--address", str(second.socket), "--state", str(second.state))
    try:
        yield first.start(), second.start()
    finally:
        for instance in (first, second):
            instance.stop()
            shutil.rmtree(instance.base, ignore_errors=True)


def test_a_broken_config_of_the_second_containerd_is_its_finding(two_plain):
    """Its file broken after it started: containerd refuses it (it would not start again), the other's is fine."""
    first, second = two_plain
    config = second.base / "config.toml"
    config.write_text(config.read_text() + "[grpc\n")
    assert _dump(config).returncode != 0 and _dump(first.base / "config.toml").returncode == 0
    results = _results(_audit(first, second), "containerd.config_invalid")
    assert (results[str(first.socket)]["status"], results[str(second.socket)]["status"]) == ("pass", "fail")
    assert results[str(second.socket)]["evidence"]["path"] == str(config)
