"""`hostaudit checks list --cis`: every check mapped to the CIS Docker Benchmark, in benchmark order."""

from hostaudit import catalog
from tests.lab import run_hostaudit


def _rows() -> list[list[str]]:
    done = run_hostaudit("checks", "list", "--cis", check_codes=(0,))
    return [line.split() for line in done.stdout.splitlines()]


def _order(cis: str) -> list[int]:
    return [int(part) for part in cis.split(".")]


def test_lists_every_check_with_cis_ids_once():
    listed = [row[0] for row in _rows()]
    expected = {cid for cid, check in catalog.load().items() if check.meta.cis}
    assert sorted(listed) == sorted(expected)


def test_sorted_by_numeric_cis_id_not_as_text():
    lowest = [min(map(_order, row[2].split(","))) for row in _rows()]
    assert lowest == sorted(lowest)
    ids = [row[0] for row in _rows()]
    # as text, 1.1.10 would sort before 1.1.9 and 2.10 before 2.9
    assert ids.index("host.audit_rule_missing_etc_default_docker") > ids.index("host.audit_rule_missing_docker_socket")
    assert ids.index("daemon.cgroup_parent_set") > ids.index("daemon.userns_remap_disabled")


def test_manual_recommendations_are_marked():
    rows = {row[0]: row for row in _rows()}
    assert rows["cis.manual_4_2"][-1] == "(manual)"
    assert rows["daemon.log_level_not_info"][-1] != "(manual)"
