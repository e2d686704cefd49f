"""Kubernetes-node variants of the lab snapshot, read by the real parsers from files in fixtures/node/."""

from __future__ import annotations

import atexit
import dataclasses
import shutil
import tempfile
from pathlib import Path

from hostaudit.collectors import containerd, kubelet
from hostaudit.collectors._fs import root_only
from hostaudit.model import CollectorState, CollectorStatus, ContainerdFacts, KubeletFacts, Snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "node"


def _root_only_copy() -> Path:
    """The fixtures where root alone could have written them, as root's daemons' configs must be to be read
    (`_fs.root_only`): the checkout itself when it lies in such a place, else a copy under /root made once (a
    checkout under /tmp is anyone's). Where neither can be, the checkout, whose configs are then rightly refused."""
    if root_only(str(FIXTURES)) is None or root_only("/root") is not None:
        return FIXTURES
    copy = Path(tempfile.mkdtemp(dir="/root", prefix="hostaudit-node-fixtures-"))
    atexit.register(shutil.rmtree, copy, True)
    shutil.copytree(FIXTURES, copy / "node", copy_function=shutil.copy2)
    return copy / "node"


NODE = _root_only_copy()


def with_kubelet(snapshot: Snapshot, *args: str, config: str | None = None) -> Snapshot:
    """The snapshot on a node whose kubelet runs with `args` and, when given, --config fixtures/node/kubelet/NAME."""
    argv = ("/usr/bin/kubelet", *args, *(("--config", str(NODE / "kubelet" / config)) if config else ()))
    flags = kubelet.parse_flags(argv)
    facts = KubeletFacts(pid=4242, argv=argv, flags=flags,
                         config=kubelet.read_config(flags["config"]) if "config" in flags else None)
    collectors = {**snapshot.collectors, "kubelet": CollectorStatus("kubelet", CollectorState.OK)}
    return dataclasses.replace(snapshot, kubelet=facts, collectors=collectors)


def with_containerd(snapshot: Snapshot, config: str | None = None, cni: str | None = None,
                    version: str = "1.6.20") -> Snapshot:
    """The snapshot with containerd's config.toml from fixtures/node/containerd/ and a CNI dir from fixtures/node/cni/
    (a directory that does not exist when `cni` is None). containerd started a minute after the file was last
    written, so the file is in force whatever mtime the checkout gave it."""
    current = snapshot.containerd
    path = NODE / "containerd" / (config or "absent.toml")
    read = containerd.read_config(str(path))
    started_at = read.modified_at + 60 if read.modified_at is not None else current.main.started_at
    facts = dataclasses.replace(with_main(current, config=read, version=version, started_at=started_at),
                                cni=containerd.read_cni(str(NODE / "cni" / (cni or "absent"))))
    return dataclasses.replace(snapshot, containerd=facts)


def with_main(facts: ContainerdFacts, **changes) -> ContainerdFacts:
    """containerd's facts with its main instance's fields changed."""
    return dataclasses.replace(facts, instances=(dataclasses.replace(facts.main, **changes), *facts.instances[1:]))


def without_kubelet(snapshot: Snapshot) -> Snapshot:
    collectors = {**snapshot.collectors,
                  "kubelet": CollectorStatus("kubelet", CollectorState.SKIPPED, "kubelet: not running")}
    return dataclasses.replace(snapshot, kubelet=None, collectors=collectors)
