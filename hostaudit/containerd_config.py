"""Where containerd's config.toml keeps the CRI plugin's settings, in every layout (version 1, 2 and 3)."""

from __future__ import annotations

from typing import Any

CRI_V2 = "io.containerd.grpc.v1.cri"
CRI_V3_RUNTIME = "io.containerd.cri.v1.runtime"  # containerd 2.x splits runtime settings out of the gRPC plugin
DEFAULT_CNI_CONF_DIR = "/etc/cni/net.d"


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def version(data: dict[str, Any]) -> int:
    value = data.get("version", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def cri_section(data: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The CRI plugin's settings and the table they were read from (`plugins."..."`)."""
    plugins = _table(data.get("plugins"))
    layout = version(data)
    if layout >= 3:
        return {**_table(plugins.get(CRI_V2)), **_table(plugins.get(CRI_V3_RUNTIME))}, f'plugins."{CRI_V3_RUNTIME}"'
    if layout == 2:
        return _table(plugins.get(CRI_V2)), f'plugins."{CRI_V2}"'
    return _table(plugins.get("cri")), "plugins.cri"


def cri_disabled(data: dict[str, Any]) -> bool:
    """Whether `disabled_plugins` turns the CRI plugin off, as containerd matches the names: a version 1 config by
    plugin id (`cri`; the URI there disables nothing), later versions by URI (containerd 1.6 refuses to start on a
    bare id there, so no CRI is served either). Measured: tests/engine/test_containerd_disabled_plugins.py."""
    disabled = data.get("disabled_plugins")
    names = {str(n) for n in disabled} if isinstance(disabled, list) else set()
    return bool(names & ({"cri"} if version(data) == 1 else {CRI_V2, "cri", CRI_V3_RUNTIME}))


def default_runtime(section: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The name and options table of the runtime CRI uses for pods that name none (normally `runc`)."""
    containerd = _table(section.get("containerd"))
    name = containerd.get("default_runtime_name")
    name = name if isinstance(name, str) and name else "runc"
    return name, _table(_table(containerd.get("runtimes")).get(name))


def cni_conf_dir(data: dict[str, Any]) -> str:
    conf_dir = _table(cri_section(data)[0].get("cni")).get("conf_dir")
    return conf_dir if isinstance(conf_dir, str) and conf_dir else DEFAULT_CNI_CONF_DIR
