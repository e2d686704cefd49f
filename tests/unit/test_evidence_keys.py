"""Evidence keys read outside their check are declared once (hostaudit.evidence) and read through those declarations.

Whether each declared writer really writes its keys is judged from what the check functions returned during the unit
run (tests/check_gate.py, `evidence_gaps`); these tests hold the readers to the declarations.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hostaudit import catalog, escape, evidence
from hostaudit.model import HOST, Result, Status
from hostaudit.remediation import pods
from tests import check_gate

PACKAGE = Path(evidence.__file__).parent
READERS = (PACKAGE / "escape.py", *sorted((PACKAGE / "remediation").glob("*.py")))


def _literal_evidence_reads(path: Path) -> list[str]:
    """`evidence.get("key")`, `evidence["key"]` and `results.evidence(id).get("key")` with a literal key."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            target, key = node.func.value, node.args[0] if node.args else None
        elif isinstance(node, ast.Subscript):
            target, key = node.value, node.slice
        else:
            continue
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and "evidence" in ast.unparse(target):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_readers_name_evidence_keys_only_through_their_declarations():
    assert [line for path in READERS for line in _literal_evidence_reads(path)] == []


def test_the_literal_read_detector_sees_a_literal_read(tmp_path):
    reader = tmp_path / "reader.py"
    reader.write_text('user = results.evidence("container.x").get("engine.user")\nrw = evidence["mount.rw"]\n')
    assert len(_literal_evidence_reads(reader)) == 2


def test_every_declared_writer_is_a_check():
    ids = catalog.load()
    assert [(k.name, w) for k in evidence.KEYS for w in k.writers if not any(k.written_by(i) for i in ids)] == []
    assert len({k.name for k in evidence.KEYS}) == len(evidence.KEYS)


def test_escape_refuses_a_key_from_a_check_not_declared_to_write_it():
    result = Result(HOST, Status.FAIL, {"mount.rw": True})
    results = escape.Results({"container.privileged": result, "container.host_root_mounted": result}, {})
    assert results.read(evidence.MOUNT_RW, "container.host_root_mounted") is True
    with pytest.raises(ValueError, match=r"container\.privileged is not declared to write the evidence key mount\.rw"):
        results.read(evidence.MOUNT_RW, "container.privileged")


def test_a_value_of_another_type_reads_as_absent():
    assert evidence.MOUNT_RW.read({"mount.rw": "yes"}) is None
    assert evidence.MOUNT_SOURCE.read({"mount.source": ["/"]}) is None
    listeners = ["0.0.0.0:2375 (argv)"]
    assert evidence.TCP_WITHOUT_TLSVERIFY.read({"without_tlsverify": listeners}) == listeners


def test_pods_read_host_mounts_from_the_checks_that_write_both_ends():
    assert set(pods.HOST_PATH_CHECKS) <= set(evidence.MOUNT_SOURCE.writers) & set(evidence.MOUNT_DESTINATION.writers)


def test_the_gate_names_a_writer_that_never_wrote_its_key(monkeypatch):
    monkeypatch.setattr(check_gate, "WROTE", {"container.docker_socket_mounted": {"socket.rootless_engine_user": {int}},
                                              "kernel.cve_2022_0847": {"reachable_containers": {list}}})
    gaps = check_gate.evidence_gaps()
    assert "container.docker_socket_mounted: wrote socket.rootless_engine_user as int, not str" in gaps
    assert "container.host_root_mounted: never wrote the evidence key mount.rw" in gaps
    assert not any(gap.startswith("kernel.cve_*") for gap in gaps)
