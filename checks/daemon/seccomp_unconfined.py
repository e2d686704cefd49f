"""Containers run without seccomp by default."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Result, Snapshot

from ._settings import evidence_of, security_options, setting

META = CheckMeta(
    id="daemon.seccomp_unconfined",
    title="Containers run without a seccomp profile by default",
    severity=Severity.HIGH,
    scope=Scope.DAEMON,
    cis=("2.17",),
    references=("MITRE ATT&CK T1611",),
    rationale="Docker's default seccomp profile blocks the syscalls most kernel escapes use (keyctl, unshare of "
              "new namespaces, bpf, ...); without it every container reaches the whole syscall surface.",
    remediation="Remove \"seccomp-profile\": \"unconfined\" (or the --seccomp-profile flag) so the built-in "
                "profile applies, or point it at a reviewed custom profile; use a kernel with seccomp.",
    needs=("docker_daemon",),
    ansible_key="seccomp_profile",
)
DEFAULT_PROFILES = frozenset({"default", "builtin"})  # Docker < 23 says "default", later engines "builtin"


def _profile(option: str) -> str:
    fields = dict(part.partition("=")[::2] for part in option.split(","))
    return fields.get("profile", "default")


@register(META)
def evaluate(facts: Snapshot):
    daemon = facts.docker_daemon
    found = setting(daemon, "seccomp-profile", "")
    configured = found.value
    evidence = evidence_of(found, "seccomp-profile")
    if daemon.info is None:
        if configured == "unconfined":
            return [Result.failed(DAEMON, evidence)]
        return [Result.unknown(DAEMON, evidence, "the API did not report the daemon's security options")]
    seccomp = [o for o in security_options(daemon) if "name=seccomp" in o]
    evidence["api.security_options"] = security_options(daemon)
    if not seccomp:
        return [Result.failed(DAEMON, evidence, "seccomp is not among the daemon's security options")]
    profile = _profile(seccomp[0])
    evidence["profile"] = profile if profile in DEFAULT_PROFILES or profile == "unconfined" else "custom"
    if profile == "unconfined" or configured == "unconfined":
        return [Result.failed(DAEMON, evidence)]
    return [Result.passed(DAEMON, evidence)]
