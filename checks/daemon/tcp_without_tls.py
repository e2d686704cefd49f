"""Docker API listens on TCP without TLS client verification."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.evidence import TCP_WITHOUT_TLSVERIFY
from hostaudit.model import DAEMON, Result, Snapshot

META = CheckMeta(
    id="daemon.tcp_without_tls",
    title="Docker API listens on TCP without TLS client verification",
    severity=Severity.CRITICAL,
    scope=Scope.DAEMON,
    cis=("2.7",),
    references=("MITRE ATT&CK T1610",),
    rationale="Anyone who reaches the port (other hosts, or any container through the bridge gateway) gets full "
              "control of the daemon, which is root on the host.",
    remediation="Remove tcp:// from -H/hosts, or set tlsverify with tlscacert, tlscert and tlskey; prefer the unix "
                "socket or SSH.",
    needs=("docker_daemon",),
    ansible_key="tls_verify",
)


@register(META)
def evaluate(facts: Snapshot):
    listeners = facts.docker_daemon.tcp_listeners
    exposed = [f"{tcp.address}:{tcp.port} ({tcp.source})" for tcp in listeners if not tcp.tls_verify]
    evidence = {"tcp_listeners": [f"{t.address}:{t.port} tls={t.tls} tlsverify={t.tls_verify}" for t in listeners]}
    if not listeners:
        return [Result.passed(DAEMON, evidence, "the daemon does not listen on TCP")]
    return [Result.failed(DAEMON, {**evidence, TCP_WITHOUT_TLSVERIFY.name: exposed}) if exposed
            else Result.passed(DAEMON, evidence)]
