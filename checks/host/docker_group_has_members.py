"""Users in the group of the Docker socket are root on the host."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import HOST, Presence, Result, Snapshot

META = CheckMeta(
    id="host.docker_group_has_members",
    title="Users in the Docker socket's group are root-equivalent",
    severity=Severity.MEDIUM,
    scope=Scope.HOST,
    cis=("1.1.2",),
    references=("MITRE ATT&CK T1611",),
    rationale="Whoever can write to docker.sock can start a privileged container with the host's / mounted, so "
              "every member of its group (docker) is root on the host without a password or an audit trail.",
    remediation="Review the members ('getent group docker', plus users whose primary group it is); remove those "
                "who do not need to administer Docker, and give the others sudo with logging or rootless Docker.",
    needs=("host",),
)
DEFAULT_GROUP = "docker"


def _socket_groups(facts: Snapshot) -> list[str]:
    """The group owning each Docker socket (the docker group when the daemon facts are missing)."""
    daemon = facts.docker_daemon
    groups = [s.group for s in daemon.sockets if s.presence is Presence.PRESENT and s.group] if daemon else []
    return sorted(set(groups)) or [DEFAULT_GROUP]


@register(META)
def evaluate(facts: Snapshot):
    groups = [g for g in _socket_groups(facts) if g != "root"]
    if not groups:
        return [Result.passed(HOST, {"socket_groups": ["root"]}, "the Docker sockets belong to group root")]
    members = {group: list(facts.host.groups.get(group, ())) for group in groups}
    evidence = {f"host.groups.{group}": users for group, users in members.items()}
    if any(user != "root" for users in members.values() for user in users):
        return [Result.failed(HOST, evidence)]
    return [Result.passed(HOST, evidence)]
