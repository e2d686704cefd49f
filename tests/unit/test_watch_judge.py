"""The watch judges one container at a time over cached host results; the one-shot audit judges every container
of the snapshot at once. Over the recorded lab snapshot (Docker, CRI-less containerd, every planted container) the
two must give each Docker container the same verdict, escape paths and failing checks: the oracle is the full audit
(`engine.audit` over the whole snapshot), a path the watch's per-container snapshot does not take."""

from __future__ import annotations

import pytest

from hostaudit import engine
from hostaudit.model import container_subject
from hostaudit.severity import Severity
from hostaudit.watch import Observation, _joined, host_results, judge

from .conftest import SNAPSHOTS


@pytest.fixture(scope="module")
def planted():
    snapshot = engine.load_snapshot(SNAPSHOTS / "lab" / "planted.json")
    return snapshot, engine.audit(snapshot), host_results(snapshot)


def _observed(snapshot) -> dict[str, Observation]:
    return {container_subject(c).key: Observation("docker:test", "list", container_subject(c).key, c,
                                                  snapshot.runtime.get(c.key)) for c in snapshot.containers}


def test_every_docker_container_gets_the_full_audits_verdict_and_failing_checks(planted):
    snapshot, full, results = planted
    seen = _observed(snapshot)
    assert len(seen) >= 10
    verdicts = {v.subject.key: v for v in full.escapes}
    for key, obs in seen.items():
        got = judge(snapshot, results, obs, _joined(obs.container, seen))
        expected = verdicts[key]
        failing = sorted({f.check.id for f in full.findings if f.subject.key == key and f.failing})
        assert (got.verdict, list(got.paths), list(got.failing)) == (
            expected.verdict, [p.technique for p in expected.paths], failing), key


def test_a_container_joining_anothers_namespaces_is_judged_with_the_one_it_joins(planted):
    snapshot, _, _ = planted
    seen = _observed(snapshot)
    joiners = [o for o in seen.values() if any(m.startswith("container:") for m in o.container.namespaces.values())]
    assert joiners, "the recorded lab has a container joining another's namespaces"
    for obs in joiners:
        named = {m.split(":", 1)[1].lstrip("/") for m in obs.container.namespaces.values()
                 if m.startswith("container:")}
        joined = _joined(obs.container, seen)
        assert named <= {c.name for c in joined} | {c.id for c in joined}, obs.key


def test_fail_on_keeps_only_failing_checks_at_or_above_it(planted):
    snapshot, full, results = planted
    seen = _observed(snapshot)
    severity = {f.check.id: f.severity for f in full.findings}
    for obs in seen.values():
        everything = judge(snapshot, results, obs, _joined(obs.container, seen))
        high = judge(snapshot, results, obs, _joined(obs.container, seen), fail_on=Severity.HIGH)
        assert list(high.failing) == [c for c in everything.failing if severity[c].rank >= Severity.HIGH.rank]
        assert high.verdict == everything.verdict
