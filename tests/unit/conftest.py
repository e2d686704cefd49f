"""Fixtures for tests of pure check logic over recorded snapshots."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostaudit import catalog, engine
from hostaudit.collectors import CollectContext
from hostaudit.model import CollectorState, CollectorStatus, Result, Snapshot
from tests import check_gate
from tests.unit.live_host.sitecustomize import REFUSAL, LiveHostCollect, guarded, live_root

SNAPSHOTS = Path(__file__).parent / "fixtures" / "snapshots"
LIVE_HOST_GUARD = Path(__file__).parent / "live_host"


def pytest_configure(config: pytest.Config) -> None:
    """Record what every check function returns; a run of the whole directory fails for any automated check that
    never returned both `fail` and `pass`, and for any evidence key of hostaudit.evidence its writer never wrote
    (tests/check_gate.py)."""
    check_gate.record_check_functions()
    config.pluginmanager.register(check_gate.Gate(
        Path(__file__).parent, check_gate.unit_gaps,
        "checks never seen both failing and passing, or never writing the evidence keys they declare"))


def _refuse() -> None:
    raise LiveHostCollect(REFUSAL)


def _live_proc() -> bool:
    """Whether the collectors' /proc is this machine's (no host root, or one whose /proc links to it)."""
    from hostaudit.collectors._fs import host_path

    return os.path.realpath(host_path("/proc")) == "/proc"


@pytest.fixture(autouse=True)
def never_the_live_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """No unit test collects from the machine it runs on: `engine.collect` (the CLI's collect path too) refuses a
    context without a fixture root, here and in every Python subprocess (tests/unit/live_host/sitecustomize.py),
    and a collection context never lists this machine's processes (`CollectContext.processes`)."""
    import hostaudit.collectors

    monkeypatch.setattr(engine, "collect", guarded(engine.collect, live_root, _refuse))
    monkeypatch.setattr(hostaudit.collectors, "process_table",
                        guarded(hostaudit.collectors.process_table, _live_proc, _refuse))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, (str(LIVE_HOST_GUARD),
                                                                    os.environ.get("PYTHONPATH")))))


def recorded_program(folder: Path) -> str:
    """A `hostaudit` for the nightly job that runs the installed one on the recorded lab snapshot (`--facts`), so
    that the cron line runs as written without auditing this machine."""
    from hostaudit import schedule

    program = folder / "bin" / "hostaudit"
    program.parent.mkdir(parents=True)
    installed = schedule.installed_program(sys.executable, "hostaudit")
    program.write_text(f'#!/bin/sh\nexec {installed} "$@" --facts {SNAPSHOTS / "lab" / "planted.json"}\n')
    program.chmod(0o755)
    return str(program)


def context_without_processes(**fields) -> CollectContext:
    """A collection context whose process table is empty: the collector under test never lists this machine's
    processes (another user's fake daemon, or one whose /proc blocks)."""
    ctx = CollectContext(**fields)
    ctx.__dict__["processes"] = ()
    return ctx


def load(name: str) -> Snapshot:
    return engine.load_snapshot(SNAPSHOTS / name)


def results_by_subject(check_id: str, snapshot: Snapshot) -> dict[str, Result]:
    """Run one check through the engine (so `needs` and error handling apply) and index results by subject name."""
    check = catalog.load()[check_id]
    results = engine.evaluate_check(check, snapshot)
    assert not engine.checks_raised({check_id: results}), f"{check_id} raised: {results}"
    return {r.subject.name: r for r in results}


def with_collector_error(snapshot: Snapshot, name: str, message: str = "simulated failure") -> Snapshot:
    collectors = {**snapshot.collectors, name: CollectorStatus(name, CollectorState.ERROR, message)}
    return dataclasses.replace(snapshot, collectors=collectors)


def replace_container(snapshot: Snapshot, name: str, **changes) -> Snapshot:
    """The snapshot with one Docker container's declared facts changed (its /proc view dropped)."""
    containers = tuple(dataclasses.replace(c, **changes) if c.name == name else c for c in snapshot.containers)
    key = next(c.key for c in snapshot.containers if c.name == name)
    runtime = {k: v for k, v in snapshot.runtime.items() if k != key}
    return dataclasses.replace(snapshot, containers=containers, runtime=runtime)


def in_pod(snapshot: Snapshot, name: str, cgroup_limits: dict | None = None, kubelet_config: dict | None = None,
           **changes) -> Snapshot:
    """The snapshot with one container moved into a CRI pod whose cgroup holds `cgroup_limits`, on a node whose
    kubelet reads `kubelet_config` (no kubelet when None)."""
    from hostaudit.model import ConfigFile, CriFacts, KubeletFacts, Pod, PodRef, Presence

    ref = PodRef("shop", "web", name, "sandbox-1")
    snapshot = replace_container(snapshot, name, pod=ref, **changes)
    pod = Pod("shop", "web", "sandbox-1", None, (), (), cgroup_parent="/kubepods/podu",
              cgroup_limits=cgroup_limits or {})
    cri = CriFacts("unix:///run/containerd/containerd.sock", "test", "containerd", "1.6.20", "v1", (), (pod,))
    kubelet = None if kubelet_config is None else KubeletFacts(
        1, ("kubelet", "--config", "/k.yaml"), {"config": "/k.yaml"},
        ConfigFile("/k.yaml", Presence.PRESENT, data=kubelet_config))
    return dataclasses.replace(snapshot, cri=cri, kubelet=kubelet)


def assert_unknown_without_docker(check_id: str, snapshot: Snapshot) -> None:
    """A container check answers `unknown` for Docker's containers when they could not be listed."""
    results = results_by_subject(check_id, with_collector_error(snapshot, "containers", "docker: unreachable"))
    assert results["docker containers"].status.value == "unknown"
    assert results["docker containers"].evidence == {"collector.containers": "docker: unreachable"}


@pytest.fixture(scope="session")
def lab_snapshot() -> Snapshot:
    return load("lab/planted.json")


@pytest.fixture
def run_check():
    return results_by_subject


def root_only_folder() -> Path:
    """A new directory whose whole chain only root can write (under /root); the test is skipped where there is
    none. Configuration files root's daemons name, and the code root's scheduled jobs run, are trusted only in such
    places, and pytest's own tmp_path lies under the world-writable /tmp."""
    import tempfile

    from hostaudit.collectors._fs import root_only

    if not Path("/root").is_dir() or root_only("/root") is not None:
        pytest.skip("no directory chain only root can write (run as root)")
    return Path(tempfile.mkdtemp(dir="/root", prefix="hostaudit-test-"))


@pytest.fixture()
def root_tmp_path():
    """A new root-only directory (`root_only_folder`), removed after the test."""
    import shutil

    folder = root_only_folder()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def root_installation():
    """The `hostaudit` console script of a wheel built from this checkout and installed by pip into a virtual
    environment in a root-only directory (its dependencies from the interpreter running the tests): what
    install-cron and install-watch accept wherever the checkout lies (CI may clone it under /tmp)."""
    import shutil

    folder = root_only_folder()
    checkout = Path(__file__).resolve().parents[2]
    venv = folder / "venv"
    for command in ([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
                    [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder / "dist"),
                     str(checkout)]):
        subprocess.run(command, check=True, capture_output=True, timeout=300)
    wheel = next((folder / "dist").glob("hostaudit-*.whl"))
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True, timeout=300)
    yield venv / "bin" / "hostaudit"
    shutil.rmtree(folder, ignore_errors=True)


def run_installed(program: Path | str, *args: str | Path, codes: tuple[int, ...] = (0,)
                  ) -> subprocess.CompletedProcess:
    """Run a `hostaudit` console script from / as root would, without the tests' PYTHONPATH (the live-host guard
    of a checkout, which the installation under test must not be judged by; install-* commands collect nothing)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    argv = [str(program), *map(str, args)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd="/", env=env)
    assert done.returncode in codes, f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done
