"""modprobe.d parsing and module names, as kmod reads them (modprobe.d(5): `install`, `blacklist`; '-' == '_')."""

from __future__ import annotations

import json
import os

from hostaudit.collectors._modules import module_name, parse_modprobe_conf, read_kernel_modules

CONF = """# Copy Fail mitigation
install algif_aead /bin/false
install esp4 /usr/bin/true   # a no-op install also stops the load
blacklist rxrpc
install af-packet /sbin/modprobe --ignore-install af_packet
blacklist   # malformed: ignored
install nf_tables
"""


def test_install_false_or_true_and_blacklist_block_a_module():
    blocked = parse_modprobe_conf(CONF, "/etc/modprobe.d/hardening.conf")
    assert blocked == {
        "algif_aead": "install /bin/false (/etc/modprobe.d/hardening.conf:2)",
        "esp4": "install /usr/bin/true (/etc/modprobe.d/hardening.conf:3)",
        "rxrpc": "blacklist (/etc/modprobe.d/hardening.conf:4)",
    }  # an install running modprobe loads the module: not a block


def test_module_names_are_normalised():
    assert module_name("kernel/crypto/algif_aead.ko.zst") == "algif_aead"
    assert module_name("af-packet") == "af_packet"


def test_collecting_on_this_host_never_raises_and_tells_absent_from_unreadable():
    found = read_kernel_modules(os.uname().release)
    if not os.path.exists("/proc/modules"):
        assert found.loaded == ()  # a kernel without module support: nothing can be loaded
    if not os.path.exists(f"/lib/modules/{os.uname().release}/modules.builtin"):
        assert found.builtin is None  # cannot tell what is built in


def test_module_facts_round_trip_through_the_snapshot():
    import dataclasses

    from hostaudit import serde
    from hostaudit.model import HostFacts, KernelModules
    from tests.unit.conftest import load

    facts = KernelModules(loaded=("overlay",), builtin=(), available=("algif_aead",),
                          blocked={"algif_aead": "install /bin/false (/etc/modprobe.d/x.conf:1)"})
    host = dataclasses.replace(load("lab/planted.json").host, kernel_modules=facts)
    assert serde.from_jsonable(HostFacts, json.loads(json.dumps(serde.to_jsonable(host)))) == host
