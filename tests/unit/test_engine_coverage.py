"""Every container-scope check is proven by an engine test: its id appears in a test of tests/engine/."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostaudit import catalog
from hostaudit.catalog import Scope

ENGINE_TESTS = Path(__file__).resolve().parents[1] / "engine"
CONTAINER_CHECKS = sorted(cid for cid, check in catalog.load().items()
                          if check.meta.scope is Scope.CONTAINER and not check.meta.manual)


def test_there_are_container_checks_to_prove():
    assert "container.privileged" in CONTAINER_CHECKS


@pytest.mark.parametrize("check_id", CONTAINER_CHECKS)
def test_container_check_is_named_by_an_engine_test(check_id):
    sources = [path.read_text() for path in ENGINE_TESTS.glob("test_*.py")]
    assert any(f'"{check_id}"' in text for text in sources), f"no engine test plants a container for {check_id}"
