"""Waivers: accepted risks, read from a TOML file, that mark matching failures as waived until they expire.

```toml
[[waiver]]
check = "container.privileged"        # a check id of the catalog
subject = "ci-runner-*"               # optional: a container name or key, a glob, or label:key=value
reason = "CI runner needs nested Docker; isolated VM"
expires = 2026-12-31                  # required, ISO date
```
A waived failure stays in the report, marked with the reason, and no longer counts toward --fail-on. An expired
waiver covers nothing: its failures count again and the report says so. Matching uses the finding's identity
(check id + subject key, or the subject's name and labels), never message text.

Root trusts only root: a waiver file is read only when it, and every directory on the way to it (symlinks
followed), is owned by root (or by the invoking user, when that is not root) and writable by nobody else; a sticky
1777 directory such as /tmp is writable by others, so a file there is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import os
import stat
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hostaudit.inputs import check_depth, read_text
from hostaudit.model import Snapshot, Status
from hostaudit.report import Finding, Report
from hostaudit.trust import others_could_change

DEFAULT_PATHS = (Path("hostaudit.toml"), Path("/etc/hostaudit/waivers.toml"))
FIELDS = {"check", "subject", "reason", "expires"}


class WaiverError(ValueError):
    """A waiver file that cannot be used: unreadable, malformed, or naming an unknown check."""


@dataclass(frozen=True)
class Waiver:
    check_id: str
    subject: str | None
    reason: str
    expires: dt.date

    def describe(self) -> str:
        return f"{self.check_id}" + (f" on {self.subject}" if self.subject else "")

    def covers(self, finding: Finding, labels: dict[str, str]) -> bool:
        """Whether this waiver names the finding's check and subject (any subject when it names none)."""
        if finding.check_id != self.check_id:
            return False
        if self.subject is None:
            return True
        if self.subject.startswith("label:"):
            key, _, value = self.subject[len("label:"):].partition("=")
            return labels.get(key) == value
        return any(fnmatch.fnmatchcase(name, self.subject) for name in (finding.subject.key, finding.subject.name))


class UntrustedWaiverFile(WaiverError):
    """A waiver file that someone other than root (or the invoking user) owns or could rewrite."""


def trusted_uids() -> frozenset[int]:
    """Root, and the invoking user when that is not root (a test, a sysadmin auditing a snapshot on a laptop)."""
    return frozenset({0, os.geteuid()})


def untrusted_reason(path: Path, uids: frozenset[int]) -> str | None:
    """Why `path` cannot be trusted (`trust.others_could_change`: a regular file that it and every directory its
    walk passes through are owned by `uids` and writable by nobody else); None when it can."""
    return others_could_change(os.path.abspath(path), uids, final=stat.S_ISREG, kind="regular file")


def load_trusted(path: Path, known: Iterable[str]) -> tuple[Waiver, ...]:
    """The waivers of `path`, refused with UntrustedWaiverFile unless root (see `trusted_uids`) alone controls it."""
    if not os.path.lexists(path):
        return load(path, known)  # "cannot read": a mistyped name, not a trust question
    reason = untrusted_reason(path, trusted_uids())
    if reason is not None:
        raise UntrustedWaiverFile(f"waiver file {path} refused: {reason} (root trusts only root's files)")
    return load(path, known)


def discover(known: Iterable[str]) -> tuple[tuple[Waiver, ...], tuple[str, ...]]:
    """The waivers of the first trusted default file (./hostaudit.toml, else /etc/hostaudit/waivers.toml), and a
    note for each default file passed over because it is not trusted."""
    refused = []
    for path in DEFAULT_PATHS:
        if not os.path.lexists(path):
            continue
        try:
            return load_trusted(path, known), tuple(refused)
        except UntrustedWaiverFile as exc:
            refused.append(f"{exc}; audited without it")
    return (), tuple(refused)


def _expiry(value: object, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise WaiverError(f"{where}: 'expires' must be an ISO date such as 2026-12-31, not {value!r}")


def _entry(raw: object, where: str, known: Iterable[str]) -> Waiver:
    if not isinstance(raw, dict):
        raise WaiverError(f"{where}: a waiver is a table with check, reason and expires")
    unknown_fields = sorted(set(raw) - FIELDS)
    if unknown_fields:
        allowed = ", ".join(sorted(FIELDS))
        raise WaiverError(f"{where}: unknown field(s) {', '.join(unknown_fields)} (allowed: {allowed})")
    check_id, subject, reason = raw.get("check"), raw.get("subject"), raw.get("reason")
    if not isinstance(check_id, str) or not check_id:
        raise WaiverError(f"{where}: 'check' (a check id) is required")
    if check_id not in set(known):
        raise WaiverError(f"{where}: unknown check id {check_id!r} (see 'hostaudit checks list')")
    if not isinstance(reason, str) or not reason.strip():
        raise WaiverError(f"{where}: 'reason' is required for {check_id}")
    if "expires" not in raw:
        raise WaiverError(f"{where}: 'expires' is required for {check_id}")
    if subject is not None and (not isinstance(subject, str) or not subject):
        raise WaiverError(f"{where}: 'subject' must be a container name, a glob or label:key=value")
    if isinstance(subject, str) and subject.startswith("label:") and "=" not in subject:
        raise WaiverError(f"{where}: a label subject reads label:key=value, not {subject!r}")
    return Waiver(check_id, subject, reason.strip(), _expiry(raw["expires"], where))


def load(path: Path, known: Iterable[str]) -> tuple[Waiver, ...]:
    """The waivers of a file; WaiverError naming the file and entry for anything wrong with it."""
    try:
        data = tomllib.loads(read_text(path, "waiver file"))
        check_depth(data, f"waiver file {path}")
    except tomllib.TOMLDecodeError as exc:
        raise WaiverError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise WaiverError(f"{path}: not valid TOML: nested too deeply") from exc
    except ValueError as exc:
        raise WaiverError(str(exc)) from exc
    extra = sorted(set(data) - {"waiver"})
    if extra:
        raise WaiverError(f"{path}: unknown top-level key(s) {', '.join(extra)}; waivers are [[waiver]] tables")
    entries = data.get("waiver", [])
    if not isinstance(entries, list):
        raise WaiverError(f"{path}: waivers are [[waiver]] tables")
    known = tuple(known)
    return tuple(_entry(raw, f"{path}: waiver {number}", known) for number, raw in enumerate(entries, 1))


def labels_by_subject(snapshot: Snapshot) -> dict[str, dict[str, str]]:
    """Container labels (and OCI annotations) by subject key, for label:key=value subjects."""
    return {c.key: {**c.annotations, **c.labels} for c in snapshot.all_containers}


def apply(report: Report, waivers: tuple[Waiver, ...], labels: dict[str, dict[str, str]],
          today: dt.date | None = None) -> Report:
    """The report with covered failures marked waived, and a note for each expired or unused waiver."""
    if not waivers:
        return report
    today = today or dt.date.today()
    active = [w for w in waivers if w.expires >= today]
    notes = list(report.notes)
    findings = []
    for finding in report.findings:
        failed = finding.status is Status.FAIL
        waiver = next((w for w in active if failed and w.covers(finding, labels.get(finding.subject.key, {}))), None)
        findings.append(dataclasses.replace(finding, waiver=waiver.reason) if waiver else finding)
    for waiver in waivers:
        covered = [f.identity for f in report.findings
                   if f.status is Status.FAIL and waiver.covers(f, labels.get(f.subject.key, {}))]
        if waiver.expires < today:
            notes.append(f"expired waiver: {waiver.describe()} expired on {waiver.expires.isoformat()}; "
                         f"{len(covered)} failure(s) it covered count again" + (f": {', '.join(covered[:5])}"
                                                                                 if covered else ""))
        elif not covered:
            notes.append(f"unused waiver: {waiver.describe()} matches no failing finding")
    return dataclasses.replace(report, findings=tuple(findings), notes=tuple(notes))
