"""Severity policy, derived from the escape analysis, and the whole severity table pinned in severities.txt.

Policy (hostaudit/escape.py is the source): a check whose failure alone, in an otherwise default container, satisfies
a direct escape technique is critical; so is a kernel or runtime CVE that is a direct escape from a default container.
The default container is the lab's `cc-restart` as the real dockerd recorded it (`docker run` defaults but for a
restart policy): root, Docker's default capabilities, seccomp and AppArmor profiles.

Any change of a severity is a visible diff of severities.txt: re-pin with `python -m tests.unit.test_severity_policy`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hostaudit import catalog, engine, escape
from hostaudit.catalog import Severity
from hostaudit.model import Result, Status
from tests.unit.conftest import load

PIN = Path(__file__).with_name("severities.txt")
DEFAULT_CONTAINER = "cc-restart"
TECHNIQUES = (*escape.direct_techniques(), *escape.direct_cves().values())


def severity_table() -> dict[str, str]:
    return {cid: check.meta.severity.value for cid, check in catalog.load().items()}


def read_pin() -> dict[str, str]:
    rows = (line.split() for line in PIN.read_text().splitlines() if line and not line.startswith("#"))
    return {cid: severity for cid, severity in rows}


def _default_container() -> dict[str, Result]:
    results = engine.evaluate(load("lab/planted.json"), catalog.load())
    return {cid: r for cid, rs in results.items() for r in rs if r.subject.name == DEFAULT_CONTAINER}


def _escapes_with(default: dict[str, Result], check_id: str) -> list[str]:
    """The direct techniques that hold once `check_id` fails in the default container (conditions on evidence
    taken as met: the question is whether this check can be the only thing standing between it and the host)."""
    subject = next(iter(default.values())).subject
    own = {**default, check_id: Result.failed(subject)}
    results = escape.Results(own, {})
    return [t.name for t in TECHNIQUES if dataclasses.replace(t, when=None).holds(results)]


def must_be_critical() -> dict[str, list[str]]:
    """Check id -> the direct techniques its failure alone opens from a default container."""
    default = _default_container()
    named = {c for t in TECHNIQUES for c in (*t.requires, *t.any_of)}
    return {cid: found for cid in sorted(named) if (found := _escapes_with(default, cid))}


def test_the_default_container_is_not_itself_escapable():
    default = _default_container()
    assert default["container.runs_as_root"].status is Status.FAIL
    assert default["container.privileged"].status is Status.PASS
    results = escape.Results(default, {})
    assert [t.name for t in TECHNIQUES if dataclasses.replace(t, when=None).holds(results)] == []


@pytest.mark.parametrize(("check_id", "techniques"), sorted(must_be_critical().items()))
def test_a_check_that_alone_opens_a_direct_escape_is_critical(check_id, techniques):
    assert catalog.load()[check_id].meta.severity is Severity.CRITICAL, f"{check_id} alone opens {techniques}"


def test_the_policy_covers_the_known_direct_paths():
    """Independent of the derivation: ids the issue and the escape literature name as direct escapes."""
    assert {"container.docker_socket_mounted", "container.privileged", "daemon.tcp_without_tls",
            "container.cap_dac_read_search", "kernel.cve_2022_0847", "kernel.cve_2016_5195",
            "kernel.cve_2020_14386"} <= set(must_be_critical())


def test_every_severity_is_pinned():
    pinned, current = read_pin(), severity_table()
    changed = {cid: f"{pinned.get(cid)} -> {current.get(cid)}" for cid in pinned.keys() | current.keys()
               if pinned.get(cid) != current.get(cid)}
    assert not changed, f"severities differ from {PIN.name} (re-pin after review): {changed}"


def write_pin() -> None:
    lines = [f"{cid} {severity}" for cid, severity in severity_table().items()]
    PIN.write_text("# check id -> severity; reviewed: a change here is a change of policy\n" + "\n".join(lines) + "\n")
    print(f"wrote {PIN}")


if __name__ == "__main__":
    write_pin()
