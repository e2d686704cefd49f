"""Behaviour gates: a check counts as tested only by what its function returned during the run, never by a comment.

The unit suite records every status each check function returns (all calls go through the catalog, so wrapping the
registered functions sees them all) and, on a run of the whole directory, fails for any automated check that never
returned both `fail` and `pass`, and for any evidence key of `hostaudit.evidence` that a check declared to write it
never wrote (or wrote as another type). The engine suite records which container-scope checks failed in a report of
a real daemon (`hostaudit audit --format json` on the lab) and fails for any container check that never did, and for
any check that raised there (`engine.checks_raised`); a check that needs an LSM the host lacks (NEEDS_LSM) is excused.
A run of a subset (paths below the directory, node ids, -k, -m, --lf, -x, deselection) records but does not judge,
and says so in one line of the terminal summary ("behaviour gate NOT RUN ...", with the reason).
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from hostaudit import catalog, engine, evidence, report_file
from hostaudit.catalog import Check, Scope
from hostaudit.model import HOST, Result, Status

RETURNED: dict[str, set[Status]] = defaultdict(set)  # check id -> statuses its own function returned
WROTE: dict[str, dict[str, set[type]]] = defaultdict(lambda: defaultdict(set))  # check id -> evidence key -> types
FAILED_ON_A_REAL_DAEMON: set[str] = set()  # container-scope check ids failing in a real daemon's report
RAISED_ON_A_REAL_DAEMON: set[str] = set()  # check ids whose function raised (engine.checks_raised) in such a report
HOST_LSMS: set[str] = set()  # the LSMs the audited host has (a report's host.lsm)
# Container checks that can only fail where the host enables this LSM (elsewhere they are not_applicable).
NEEDS_LSM = {"container.apparmor_unconfined": "apparmor", "container.selinux_disabled": "selinux"}


def record_check_functions() -> None:
    """Wrap each registered check function so that the statuses it returns are recorded."""
    for check_id, check in catalog.load().items():
        catalog._REGISTRY[check_id] = dataclasses.replace(check, evaluate=_recording(check_id, check.evaluate))


def _recording(check_id: str, function: Callable) -> Callable:
    def evaluate(snapshot):
        results = list(function(snapshot))
        RETURNED[check_id].update(result.status for result in results)
        for result in results:
            for key, value in result.evidence.items():
                WROTE[check_id][key].add(type(value))
        return results

    return evaluate


def record_report(args: tuple[str, ...], stdout: str) -> None:
    """Record the container checks failing, and any check that raised, in the JSON report of `hostaudit audit` run
    on a live daemon."""
    if not args or args[0] != "audit" or "--facts" in args or "json" not in args:
        return
    try:
        document = report_file.check(json.loads(stdout))
        findings = list(report_file.with_checks(document))  # a finding's scope lives in the checks table (v2)
    except (ValueError, KeyError, TypeError):
        return
    FAILED_ON_A_REAL_DAEMON.update(f["check_id"] for f, meta in findings
                                   if f.get("status") == "fail" and meta.get("scope") == Scope.CONTAINER.value)
    results: dict[str, list[Result]] = defaultdict(list)
    for f, _ in findings:
        results[f["check_id"]].append(Result(HOST, Status(f["status"]), detail=f.get("detail", "")))
    RAISED_ON_A_REAL_DAEMON.update(engine.checks_raised(results))
    HOST_LSMS.update(filter(None, str(document.get("host", {}).get("lsm") or "").split(",")))


def automated(scope: Scope | None = None) -> dict[str, Check]:
    return {cid: check for cid, check in catalog.load().items()
            if not check.meta.manual and (scope is None or check.meta.scope is scope)}


def unit_gaps() -> list[str]:
    """Automated checks whose function never returned both fail and pass, then `evidence_gaps`."""
    wanted = {Status.FAIL, Status.PASS}
    return [*(f"{cid}: returned {sorted(s.value for s in RETURNED[cid]) or 'nothing'}, never "
              f"{' and '.join(sorted(s.value for s in wanted - RETURNED[cid]))}"
              for cid in automated() if not wanted <= RETURNED[cid]), *evidence_gaps()]


def evidence_gaps() -> list[str]:
    """Evidence keys other code reads (hostaudit.evidence) that a declared writer never wrote, or wrote with a value
    of another type."""
    gaps = []
    for key in evidence.KEYS:
        for pattern in key.writers:
            writers = [cid for cid in automated() if fnmatchcase(cid, pattern)]
            types = {t for cid in writers for t in WROTE.get(cid, {}).get(key.name, ())}
            wrong = sorted(t.__name__ for t in types if not issubclass(t, key.type))
            if not types:
                gaps.append(f"{pattern}: never wrote the evidence key {key.name}")
            elif wrong:
                gaps.append(f"{pattern}: wrote {key.name} as {', '.join(wrong)}, not {key.type.__name__}")
    return gaps


def engine_gaps() -> list[str]:
    return [*(f"{cid}: raised an error on the real daemon" for cid in sorted(RAISED_ON_A_REAL_DAEMON)),
            *(f"{cid}: never failed on the real daemon" for cid in automated(Scope.CONTAINER)
              if cid not in FAILED_ON_A_REAL_DAEMON and _can_fail_here(cid))]


def _can_fail_here(check_id: str) -> bool:
    lsm = NEEDS_LSM.get(check_id)
    return lsm is None or lsm in HOST_LSMS


class Gate:
    """A pytest plugin judging `gaps` at the end of a run that covered all of `directory`."""

    def __init__(self, directory: Path, gaps: Callable[[], list[str]], what: str) -> None:
        self.directory = directory.resolve()
        self.gaps = gaps
        self.what = what
        self.deselected = False
        self.not_judged: str | None = None  # why the run did not judge the gate (set when the session finishes)
        self.found: list[str] = []  # the gaps a judged run found

    def pytest_deselected(self, items) -> None:
        self.deselected = self.deselected or bool(items)

    def _not_judged(self, session: pytest.Session, exitstatus: int) -> str | None:
        """Why this run does not judge the gate (a subset of the directory, or a run that ended early), or None."""
        option = session.config.option
        if exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            return f"the run ended with exit status {int(exitstatus)}"
        limits = (("-k", option.keyword), ("-m", option.markexpr), ("-x/--maxfail", option.maxfail),
                  ("--lf", getattr(option, "lf", False)), ("--stepwise", getattr(option, "stepwise", False)),
                  ("deselected tests", self.deselected))
        chosen = [flag for flag, value in limits if value]
        if chosen:
            return f"a subset run ({', '.join(chosen)})"
        args = session.config.args or [str(session.config.rootpath)]
        paths = [Path(session.config.invocation_params.dir, arg).resolve() for arg in args if "::" not in arg]
        if len(paths) != len(args) or not any(p == self.directory or p in self.directory.parents for p in paths):
            return f"a subset run ({' '.join(args)})"
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.not_judged = self._not_judged(session, exitstatus)
        if self.not_judged is not None:
            return
        self.found = self.gaps()
        if self.found:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.not_judged is not None:
            terminalreporter.write_sep(
                "=", f"behaviour gate NOT RUN for {self.directory.name}/: {self.not_judged}; {self.what} are not "
                f"judged (run the whole {self.directory.name}/ directory)", yellow=True, bold=True)
        elif self.found:
            terminalreporter.write_sep("=", f"behaviour gate: {len(self.found)} {self.what}", red=True)
            for gap in self.found:
                terminalreporter.write_line(gap)
