"""Verify a host hardened by the container_hardening role, with pytest-testinfra.

Runs only when a target is named (`--hosts=local://`, `--hosts=ansible://all?ansible_inventory=...`), so a plain
`python -m pytest` never inspects the machine it runs on. What to expect comes from the role's defaults overlaid
with the variables the play used: HOSTAUDIT_VERIFY_VARS lists vars files or playbooks (their play vars), separated
by ':' (later files win), e.g. `HOSTAUDIT_VERIFY_VARS=fix.yml:group_vars/all.yml`. Without it the run is a usage
error (exit 4), never a row of skips. The running system is checked, not only files: `docker info`, a probe
container (container_hardening_probe_image) or the running containers, socket modes, `auditctl -l`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

ROLE = Path(__file__).resolve().parents[2] / "ansible" / "roles" / "container_hardening"


class _VarsLoader(yaml.SafeLoader):
    """Reads Ansible's `!unsafe` strings (hostaudit remediate writes the report's paths so) as plain strings."""


_VarsLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def _vars_of(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(), Loader=_VarsLoader) or {}
    if isinstance(data, list):  # a playbook: its plays' vars and the vars given to the role
        merged: dict[str, Any] = {}
        for play in data:
            merged.update(play.get("vars") or {})
            for role in play.get("roles") or ():
                merged.update(role.get("vars") or {} if isinstance(role, dict) else {})
        return merged
    return data


def role_settings(files: str) -> dict[str, Any]:
    """The role's variables as the play saw them, without the `container_hardening_` prefix."""
    settings = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    for name in filter(None, files.split(":")):
        settings.update(_vars_of(Path(name)))
    return {k.removeprefix("container_hardening_"): v for k, v in settings.items()}


VARS_ENV = "HOSTAUDIT_VERIFY_VARS"


def pytest_collection_modifyitems(config, items):
    if config.getoption("hosts", None):
        if not os.environ.get(VARS_ENV, "").strip(":"):
            raise pytest.UsageError(f"{VARS_ENV} is not set: name the playbook/vars files the role ran with "
                                    f"(e.g. {VARS_ENV}=fix.yml); without them there is nothing to verify")
        return
    skip = pytest.mark.skip(reason="tests/infra verifies a host: run it with --hosts=local:// or --hosts=ansible://...")
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def settings() -> dict[str, Any]:
    return role_settings(os.environ.get(VARS_ENV, ""))


def enabled(settings: dict[str, Any], key: str) -> bool:
    value = settings.get(f"{key}_enabled")
    return value is True or str(value).lower() in ("true", "yes", "1")
