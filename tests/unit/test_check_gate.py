"""The behaviour gates' recorders (tests/check_gate.py), fed the way the engine suite feeds them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostaudit import engine
from hostaudit.renderers import json as json_renderer
from tests import check_gate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_records(monkeypatch):
    monkeypatch.setattr(check_gate, "FAILED_ON_A_REAL_DAEMON", set())
    monkeypatch.setattr(check_gate, "RAISED_ON_A_REAL_DAEMON", set())
    monkeypatch.setattr(check_gate, "HOST_LSMS", set())


def _report(*findings: dict, host: dict | None = None) -> str:
    """A version 2 report: each check's scope in the checks table, findings naming their check."""
    checks = {f["check_id"]: {"scope": f.pop("scope")} for f in findings}
    return json.dumps({"report_version": 2, "checks": checks, "findings": list(findings), "host": host or {}})


def test_a_report_the_json_renderer_wrote_is_read(clean_records, lab_snapshot):
    """The oracle is the real renderer's output: a change of the report format cannot silently empty the gate."""
    report = engine.audit(lab_snapshot, only=("container.privileged", "daemon.icc_enabled"))
    check_gate.record_report(("audit", "--format", "json"), json_renderer.render(report))
    assert sorted(check_gate.FAILED_ON_A_REAL_DAEMON) == ["container.privileged"]


def test_a_container_check_failing_in_a_live_report_is_recorded(clean_records):
    finding = {"check_id": "container.privileged", "status": "fail", "scope": "container", "detail": ""}
    check_gate.record_report(("audit", "--format", "json"), _report(finding))
    assert sorted(check_gate.FAILED_ON_A_REAL_DAEMON) == ["container.privileged"]
    assert "container.privileged: never failed on the real daemon" not in check_gate.engine_gaps()
    assert "container.host_pid: never failed on the real daemon" in check_gate.engine_gaps()


def test_a_check_that_raised_on_the_real_daemon_is_a_gap(clean_records):
    finding = {"check_id": "daemon.icc_enabled", "status": "unknown", "scope": "daemon", "detail": engine.RAISED}
    check_gate.record_report(("audit", "--format", "json"), _report(finding))
    assert check_gate.engine_gaps()[0] == "daemon.icc_enabled: raised an error on the real daemon"


def test_reports_of_saved_snapshots_are_not_a_real_daemon(clean_records):
    finding = {"check_id": "container.privileged", "status": "fail", "scope": "container", "detail": ""}
    check_gate.record_report(("audit", "--facts", "f.json", "--format", "json"), _report(finding))
    assert not check_gate.FAILED_ON_A_REAL_DAEMON


def test_an_lsm_check_is_excused_only_where_the_host_lacks_the_lsm(clean_records):
    gap = "container.apparmor_unconfined: never failed on the real daemon"
    check_gate.record_report(("audit", "--format", "json"), _report(host={"lsm": None}))
    assert gap not in check_gate.engine_gaps()
    check_gate.record_report(("audit", "--format", "json"), _report(host={"lsm": "capability,apparmor"}))
    assert gap in check_gate.engine_gaps()


def test_a_crashing_check_is_unknown_never_silent(lab_snapshot):
    """The engine's promise the gates rely on: a check that raises answers `unknown` with the error, and
    engine.checks_raised names it."""
    from hostaudit import catalog
    from hostaudit.catalog import Check
    from hostaudit.model import Status

    def crash(_snapshot):
        raise KeyError("boom")

    check = Check(catalog.load()["daemon.tcp_without_tls"].meta, crash, __name__)
    results = engine.evaluate_check(check, lab_snapshot)
    assert [(r.status, r.detail, r.evidence) for r in results] == [
        (Status.UNKNOWN, engine.RAISED, {"error": "KeyError: 'boom'"})]
    assert engine.checks_raised({"daemon.tcp_without_tls": results}) == ["daemon.tcp_without_tls"]


GATED_CONFTEST = """
from pathlib import Path

from tests import check_gate


def pytest_configure(config):
    config.pluginmanager.register(check_gate.Gate(Path(__file__).parent, lambda: ["planted gap"], "planted gaps"))
"""


@pytest.fixture
def gated(tmp_path):
    """A directory of two passing tests under a gate that always finds one gap, and a way to run pytest on it."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (suite / "conftest.py").write_text(GATED_CONFTEST)
    (suite / "test_a.py").write_text("def test_one():\n    pass\n\n\ndef test_two():\n    pass\n")

    def run(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(ROOT), os.environ.get("PYTHONPATH", "")))}
        return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120)

    return run


def test_a_whole_run_judges_the_gate(gated):
    done = gated("suite")
    assert done.returncode == 1 and "behaviour gate: 1 planted gaps" in done.stdout and "planted gap" in done.stdout
    assert "NOT RUN" not in done.stdout


@pytest.mark.parametrize(("args", "reason"), [
    (("suite", "-k", "one"), "a subset run (-k, deselected tests)"), (("suite", "-x"), "a subset run (-x/--maxfail)"),
    (("suite/test_a.py",), "a subset run (suite/test_a.py)"),
    (("suite/test_a.py::test_one",), "a subset run (suite/test_a.py::test_one)"),
    (("suite", "--deselect", "suite/test_a.py::test_two"), "a subset run (deselected tests)"),
])
def test_a_subset_run_says_loudly_that_the_gate_did_not_run(gated, args, reason):
    done = gated(*args)
    assert done.returncode == 0, done.stdout
    notice = [line for line in done.stdout.splitlines() if "behaviour gate NOT RUN" in line]
    assert len(notice) == 1 and f"for suite/: {reason}; planted gaps are not judged" in notice[0]
