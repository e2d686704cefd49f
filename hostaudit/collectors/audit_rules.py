"""Linux audit watch rules, from `auditctl -l` when it can be asked, else from the rules files."""

from __future__ import annotations

import os

from hostaudit.collectors import CollectContext
from hostaudit.collectors._exec import run_fixed, trusted_binary
from hostaudit.collectors._fs import host_glob, host_isdir, host_path, read_text
from hostaudit.model import AuditRule, AuditRulesFacts, Presence
from hostaudit.parsers import parse_audit_rules

RULE_FILES = ("/etc/audit/audit.rules", "/etc/audit/rules.d/*.rules")
RULE_DIRS = ("/etc/audit", "/etc/audit/rules.d")
AUDITCTL = ("/usr/sbin/auditctl", "/sbin/auditctl")


def _loaded() -> str | None:
    """The rules loaded in the kernel, as `auditctl -l` lists them (the host's own auditctl only)."""
    for path in AUDITCTL:
        if trusted_binary(path):
            ran = run_fixed(path, "-l", timeout=5)
            return ran[1] if ran and ran[0] == 0 else None
    return None


def collect(ctx: CollectContext) -> AuditRulesFacts:
    loaded = _loaded()
    unreadable: list[str] = []
    if loaded is not None:
        rules = parse_audit_rules(loaded, "auditctl -l")
        source = "auditctl -l"
    else:
        rules = []
        for pattern in RULE_FILES:
            for path in sorted(host_glob(pattern)):
                found = read_text(path)
                if found.presence is Presence.UNREADABLE:
                    unreadable.append(path)
                rules += parse_audit_rules(found.text or "", path)
        unreadable += [d for d in RULE_DIRS if host_isdir(d) and not os.access(host_path(d), os.R_OK | os.X_OK)]
        source = "rules files"
    return AuditRulesFacts(
        source=source,
        rules=tuple(AuditRule(*rule) for rule in rules),
        auditd_running=bool(ctx.processes_named("auditd")),
        unreadable=tuple(unreadable),
    )
