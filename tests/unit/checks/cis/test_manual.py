import re

import pytest

from hostaudit import catalog, engine
from tests.unit.conftest import load

MANUAL = sorted(cid for cid, check in catalog.load().items() if check.meta.manual)
# every row of the family
ROWS = (
    "cis.manual_1_2_1", "cis.manual_2_1", "cis.manual_4_2", "cis.manual_4_3", "cis.manual_4_4",
    "cis.manual_4_5", "cis.manual_4_7", "cis.manual_4_8", "cis.manual_4_9", "cis.manual_4_10", "cis.manual_4_11",
    "cis.manual_4_12", "cis.manual_5_9", "cis.manual_5_23", "cis.manual_5_24", "cis.manual_5_28", "cis.manual_7_1",
    "cis.manual_7_3", "cis.manual_7_4", "cis.manual_7_6", "cis.manual_7_7", "cis.manual_7_8", "cis.manual_7_9",
)


@pytest.mark.parametrize("check_id", ROWS)
def test_row_is_manual_and_named_after_its_cis_id(check_id):
    meta = catalog.load()[check_id].meta
    assert meta.manual
    assert meta.cis == (check_id.removeprefix("cis.manual_").replace("_", "."),)
    assert meta.ansible_key is None


def test_manual_checks_are_never_evaluated():
    results = engine.evaluate(load("lab/planted.json"), catalog.load())
    assert not set(ROWS) & set(results)
    assert "daemon.icc_enabled" in results


def test_no_cis_id_is_both_manual_and_automated():
    checks = catalog.load().values()
    automated = {cis for c in checks if not c.meta.manual for cis in c.meta.cis}
    manual = {cis for c in checks if c.meta.manual for cis in c.meta.cis}
    assert not manual & automated


def test_every_manual_row_is_listed():
    assert set(ROWS) == {cid for cid in MANUAL if cid.startswith("cis.")}
    assert all(re.fullmatch(r"cis\.manual_[0-9_]+", cid) for cid in ROWS)
