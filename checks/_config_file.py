"""The result on a runtime configuration file that must parse for its daemon to start."""

from __future__ import annotations

from hostaudit.model import ConfigFile, Presence, Result, Subject


def config_file_result(config: ConfigFile, subject: Subject, absent_detail: str) -> Result:
    """Pass when it parses or is absent (defaults apply); fail when it exists but is unusable (malformed, a
    directory); unknown when it could not be looked at (permissions), never a pass."""
    evidence = {"path": config.path, "presence": config.presence.value}
    if config.presence is Presence.ABSENT:
        return Result.passed(subject, evidence, absent_detail)
    if config.presence is Presence.UNREADABLE:
        return Result.unknown(subject, {**evidence, "error": config.error}, "the file cannot be read")
    if config.error:
        return Result.failed(subject, {**evidence, "error": config.error})
    return Result.passed(subject, evidence)
