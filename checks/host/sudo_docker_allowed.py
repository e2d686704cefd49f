"""sudo lets users other than root run the Docker client or daemon."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import HOST, Result, Snapshot

META = CheckMeta(
    id="host.sudo_docker_allowed",
    title="sudo lets users run docker or dockerd as root",
    severity=Severity.LOW,
    scope=Scope.HOST,
    cis=("1.1.2",),
    rationale="'sudo docker' is root on the host: a user allowed it (directly, through a %group, or through ALL) "
              "can start a privileged container. sudo at least logs it, but the list must be deliberate.",
    remediation="Review the sudoers rules listed in the evidence (visudo, /etc/sudoers.d); keep only "
                "administrators who need Docker, and prefer named commands to ALL.",
    needs=("host",),
)


def _users(principal: str, groups: dict[str, tuple[str, ...]]) -> list[str]:
    if principal.startswith("%"):
        return [u for u in groups.get(principal[1:], ()) if u != "root"]
    return [principal]


@register(META)
def evaluate(facts: Snapshot):
    host = facts.host
    grants = [{"principal": g.principal, "command": g.command, "origin": g.origin,
               "users": _users(g.principal, host.groups)} for g in host.sudo_grants]
    effective = [g for g in grants if g["users"]]
    evidence = {"host.sudo_grants": grants, "host.sudoers_unreadable": list(host.sudoers_unreadable)}
    if effective:
        return [Result.failed(HOST, {**evidence, "users": sorted({u for g in effective for u in g["users"]})})]
    if host.sudoers_unreadable:
        return [Result.unknown(HOST, evidence, "some sudoers files could not be read (run as root)")]
    return [Result.passed(HOST, evidence)]
