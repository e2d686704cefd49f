"""Docker's tasks are counted once: those in the containerd namespace a root dockerd names (`--containerd-namespace`,
or `containerd-namespace` in its daemon.json) are Docker's, as those in `moby` are; a dockerd another user runs names
none. The dockerds are real processes planted by the test (the kernel says who runs them and in which namespaces);
the collector sees only them, never the rest of the host's process table."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostaudit.collectors import CollectContext, ProcessEntry, containerd, split_cmdline
from hostaudit.model import ContainerdFacts
from tests.hostile_user import hostile_user, pause_program

DOCKER_ID = "d0c4e2" + "0" * 58  # the id Docker's API listed


def planted_task(root_tmp_path: Path, namespace: str) -> Path:
    """A containerd state dir holding one task bundle, `namespace`/DOCKER_ID."""
    bundle = root_tmp_path / "state" / containerd.TASKS / namespace / DOCKER_ID
    bundle.mkdir(parents=True)
    (bundle / "config.json").write_text('{"ociVersion": "1.0.2", "process": {"args": ["/x"]}}')
    return root_tmp_path / "state"


def facts_with(state: Path, dockerd: subprocess.Popen, *infos: dict) -> ContainerdFacts:
    """The containerd collector over `state`, seeing only the planted dockerd (its argv as the kernel shows it) and
    `infos`, as root's dockerds' /info."""
    ctx = CollectContext(containerd_state_dirs=(str(state),))
    argv = split_cmdline(Path(f"/proc/{dockerd.pid}/cmdline").read_text())
    ctx.__dict__["processes"] = (ProcessEntry(dockerd.pid, "dockerd", argv),)
    return containerd.collect(ctx, docker_ids=frozenset({DOCKER_ID}), docker_infos=infos)


@pytest.fixture
def root_dockerd(root_tmp_path) -> Iterator:
    """Start a do-nothing program called dockerd, as root, with the given arguments."""
    started = []

    def start(*args: str) -> subprocess.Popen:
        binary = root_tmp_path / "dockerd"
        binary.write_bytes(pause_program().read_bytes())
        binary.chmod(0o755)
        started.append(subprocess.Popen([str(binary), *args]))
        expected = ("\0".join([str(binary), *args]) + "\0").encode()
        deadline = time.monotonic() + 10
        while Path(f"/proc/{started[-1].pid}/cmdline").read_bytes() != expected:  # until it has exec'd
            assert time.monotonic() < deadline, "the planted dockerd never ran: the test would prove nothing"
            time.sleep(0.01)
        return started[-1]

    yield start
    for process in started:
        process.kill()
        process.wait()


def test_a_root_dockerds_containerd_namespace_flag_makes_its_tasks_dockers(root_tmp_path, root_dockerd):
    """Counted twice before (as docker: and as a raw containerd task): only `moby` was Docker's."""
    facts = facts_with(planted_task(root_tmp_path, "moby2"), root_dockerd("--containerd-namespace", "moby2"))
    assert [c.id for c in facts.containers] == [] and facts.skipped_docker_tasks == 1


def test_a_root_dockerds_daemon_json_namespace_makes_its_tasks_dockers(root_tmp_path, root_dockerd):
    config = root_tmp_path / "daemon.json"
    config.write_text(json.dumps({"containerd-namespace": "moby3"}))
    facts = facts_with(planted_task(root_tmp_path, "moby3"), root_dockerd(f"--config-file={config}"))
    assert [c.id for c in facts.containers] == [] and facts.skipped_docker_tasks == 1


def test_a_users_dockerd_names_no_namespace_of_dockers(root_tmp_path):
    """Anyone can run a process called dockerd with any argv: its namespace hides no task."""
    state = planted_task(root_tmp_path, "moby2")
    with hostile_user() as user:
        fake = user.spawn([str(user.binary("dockerd")), "--containerd-namespace", "moby2"], name="dockerd")
        facts = facts_with(state, fake)
    assert [c.id for c in facts.containers] == [DOCKER_ID] and facts.skipped_docker_tasks == 0


def test_the_default_moby_namespace_stays_dockers(root_tmp_path, root_dockerd):
    facts = facts_with(planted_task(root_tmp_path, "moby"), root_dockerd("--containerd-namespace", "moby2"))
    assert facts.containers == () and facts.skipped_docker_tasks == 1


def _info(containers_namespace: object) -> dict:
    """A /info answer with the `Containerd` object of the Engine API's ContainerdInfo schema (newer APIs than Docker
    20.10's; docs.docker.com/reference/api/engine: Address, Namespaces.Containers, Namespaces.Plugins)."""
    return {"Containerd": {"Address": "/run/containerd/containerd.sock",
                           "Namespaces": {"Containers": containers_namespace, "Plugins": "plugins.moby"}}}


def test_the_namespace_root_dockerds_info_reports_makes_its_tasks_dockers(root_tmp_path, root_dockerd):
    """A namespace neither its argv nor its daemon.json names (Docker may derive one itself): /info says it."""
    state = planted_task(root_tmp_path, "moby-derived")
    dockerd = root_dockerd("--data-root", str(root_tmp_path / "data"))
    assert [c.id for c in facts_with(state, dockerd).containers] == [DOCKER_ID]  # counted twice without it
    facts = facts_with(state, dockerd, _info("moby-derived"))
    assert facts.containers == () and facts.skipped_docker_tasks == 1
    # a second root dockerd's /info counts as much as the first one's
    facts = facts_with(state, dockerd, _info("moby"), _info("moby-derived"))
    assert facts.containers == () and facts.skipped_docker_tasks == 1


def test_an_info_namespace_of_the_wrong_shape_names_none(root_tmp_path, root_dockerd):
    state = planted_task(root_tmp_path, "moby-derived")
    dockerd = root_dockerd("--data-root", str(root_tmp_path / "data"))
    for info in (_info(["moby-derived"]), _info(""), {"Containerd": "moby-derived"}, {"Containerd": None}):
        assert [c.id for c in facts_with(state, dockerd, info).containers] == [DOCKER_ID], info
