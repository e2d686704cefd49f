"""Whether containerd's config.toml turns the CRI plugin off, as containerd itself reads `disabled_plugins`.

The table was measured on containerd 1.6 (Debian 12) by starting it with each config and asking `ctr plugins ls`
whether the CRI plugin loaded; tests/engine/test_containerd_disabled_plugins.py measures it again on every engine run.
A version 1 config names plugins by their id (`cri`): the URI there disables nothing. A version 2 config takes URIs
only: with `cri` containerd refuses to start (no CRI from it either). Both the checks (`containerd_config.
cri_disabled`) and the CRI collector (which socket it asks) must read it so.
"""

from __future__ import annotations

import tomllib

import pytest

from hostaudit.collectors.cri import endpoints
from hostaudit.containerd_config import cri_disabled
from tests.unit.test_cri_collector import _context

# (config version, the name in disabled_plugins) -> what containerd 1.6 does: CRI "loaded", "disabled", or the config
# "refused" (containerd exits)
CONTAINERD_1_6 = {
    (1, "cri"): "disabled",
    (1, "io.containerd.grpc.v1.cri"): "loaded",
    (1, "zfs"): "loaded",  # another plugin
    (2, "cri"): "refused",
    (2, "io.containerd.grpc.v1.cri"): "disabled",
    (2, "io.containerd.snapshotter.v1.zfs"): "loaded",
}


def config_text(version: int, name: str, socket: str = "/run/hostaudit-none/c.sock") -> str:
    return f'version = {version}\ndisabled_plugins = ["{name}"]\n[grpc]\n  address = "{socket}"\n'


@pytest.mark.parametrize(("version", "name"), sorted(CONTAINERD_1_6))
def test_cri_is_disabled_exactly_when_containerd_disables_it(version, name):
    assert cri_disabled(tomllib.loads(config_text(version, name))) is (CONTAINERD_1_6[version, name] != "loaded")


@pytest.mark.parametrize(("version", "name"), sorted(CONTAINERD_1_6))
def test_the_cri_collector_asks_containerd_unless_it_disabled_cri(root_tmp_path, version, name):
    ctx = _context(root_tmp_path, config_text(version, name, f"{root_tmp_path}/c.sock"),
                   containerd_state_dirs=("/run/containerd",))
    asked = [socket for socket, _source in endpoints(ctx, None)]
    assert asked == ([f"{root_tmp_path}/c.sock"] if CONTAINERD_1_6[version, name] == "loaded" else [])
