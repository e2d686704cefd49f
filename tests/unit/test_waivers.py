"""Waivers: loading (every defect a clear error) and applying (identity match, expiry, visibility)."""

from __future__ import annotations

import datetime as dt

import pytest

from hostaudit import engine, waivers
from hostaudit.model import Status

KNOWN = ("container.privileged", "container.docker_socket_mounted", "container.runs_as_root")
TODAY = dt.date(2026, 6, 1)


def write(tmp_path, text: str):
    path = tmp_path / "hostaudit.toml"
    path.write_text(text)
    return path


def entry(check="container.privileged", subject=None, reason="accepted", expires="2026-12-31") -> str:
    lines = ["[[waiver]]", f'check = "{check}"', f'reason = "{reason}"', f"expires = {expires}"]
    if subject is not None:
        lines.append(f'subject = "{subject}"')
    return "\n".join(lines) + "\n"


def test_load_reads_every_field(tmp_path):
    (waiver,) = waivers.load(write(tmp_path, entry(subject="ci-*")), KNOWN)
    assert waiver == waivers.Waiver("container.privileged", "ci-*", "accepted", dt.date(2026, 12, 31))


def test_expiry_may_be_a_quoted_iso_string(tmp_path):
    (waiver,) = waivers.load(write(tmp_path, entry(expires='"2027-01-02"')), KNOWN)
    assert waiver.expires == dt.date(2027, 1, 2)


@pytest.mark.parametrize(("text", "message"), [
    (entry(check="container.nope"), "unknown check id 'container.nope'"),
    (entry(reason=""), "'reason' is required"),
    ('[[waiver]]\ncheck = "container.privileged"\nreason = "r"\n', "'expires' is required"),
    (entry(expires='"next year"'), "ISO date"),
    (entry(subject="label:team"), "label:key=value"),
    (entry() + 'colour = "red"\n', "unknown field(s) colour"),
    ("[[waiver]\n", "not valid TOML"),
    ('waivers = "x"\n', "unknown top-level key(s) waivers"),
])
def test_defects_are_clear_errors_naming_the_file(tmp_path, text, message):
    with pytest.raises(waivers.WaiverError, match=r"hostaudit\.toml") as caught:
        waivers.load(write(tmp_path, text), KNOWN)
    assert message in str(caught.value)


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(waivers.WaiverError, match="cannot read"):
        waivers.load(tmp_path / "absent.toml", KNOWN)


def apply(snapshot, *entries: waivers.Waiver):
    report = engine.audit(snapshot)
    return waivers.apply(report, entries, waivers.labels_by_subject(snapshot), today=TODAY)


def finding(report, check_id, name):
    (found,) = [f for f in report.findings if f.check_id == check_id and f.subject.name == name]
    return found


def test_waived_failure_stays_visible_and_stops_counting(lab_snapshot):
    waiver = waivers.Waiver("container.privileged", "priv", "lab fixture", dt.date(2026, 12, 31))
    before = engine.audit(lab_snapshot)
    after = apply(lab_snapshot, waiver)
    waived = finding(after, "container.privileged", "priv")
    assert waived.status is Status.FAIL and waived.waiver == "lab fixture" and not waived.failing
    assert after.counts()["critical"] == before.counts()["critical"] - 1
    assert after.status_counts()["waived"] == 1


def test_subject_globs_match_names_and_keys_only_for_that_check(lab_snapshot):
    waiver = waivers.Waiver("container.docker_socket_mounted", "docker:host-*", "r", dt.date(2026, 12, 31))
    after = apply(lab_snapshot, waiver)
    assert finding(after, "container.docker_socket_mounted", "host-root").waiver == "r"
    assert finding(after, "container.docker_socket_mounted", "sock").waiver is None
    assert finding(after, "container.host_root_mounted", "host-root").waiver is None


def test_label_subject(lab_snapshot):
    from tests.unit.conftest import replace_container

    snapshot = replace_container(lab_snapshot, "sock", labels={"team": "ci"})
    waiver = waivers.Waiver("container.docker_socket_mounted", "label:team=ci", "r", dt.date(2026, 12, 31))
    after = apply(snapshot, waiver)
    assert finding(after, "container.docker_socket_mounted", "sock").waiver == "r"
    assert finding(after, "container.docker_socket_mounted", "run-dir").waiver is None


def test_waiver_without_subject_covers_every_subject_of_its_check(lab_snapshot):
    after = apply(lab_snapshot, waivers.Waiver("container.runs_as_root", None, "r", dt.date(2026, 12, 31)))
    failures = [f for f in after.findings if f.check_id == "container.runs_as_root" and f.status is Status.FAIL]
    assert failures and all(f.waiver == "r" for f in failures)


def test_expired_waiver_covers_nothing_and_is_reported(lab_snapshot):
    expired = waivers.Waiver("container.privileged", "priv", "old", dt.date(2026, 5, 31))
    after = apply(lab_snapshot, expired)
    assert finding(after, "container.privileged", "priv").failing
    (note,) = [n for n in after.notes if n.startswith("expired waiver")]
    assert "container.privileged|docker:priv" in note and "2026-05-31" in note
    assert after.exit_code(engine_severity("critical")) == 1


def test_unused_waiver_is_noted(lab_snapshot):
    after = apply(lab_snapshot, waivers.Waiver("container.privileged", "nobody", "r", dt.date(2026, 12, 31)))
    assert any(n.startswith("unused waiver: container.privileged on nobody") for n in after.notes)


def engine_severity(name: str):
    from hostaudit.catalog import Severity

    return Severity(name)
