"""Docker API listens on TCP without TLS client verification."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.daemon_settings import ARGV, DEFAULT
from hostaudit.evidence import SETTING_SOURCE, TCP_WITHOUT_TLSVERIFY
from hostaudit.model import DAEMON, DockerDaemonFacts, Result, Snapshot

from ._settings import setting

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


TLS_OPTIONS = ("tlsverify", "tlscacert", "tlscert", "tlskey")  # what the fix sets


def _tls_source(daemon: DockerDaemonFacts) -> str:
    """Where the TLS options the fix would set come from: 'argv' when dockerd's command line gives any of them (it
    refuses to start when daemon.json gives one too), else the first other place that sets one, else the default."""
    sources = [setting(daemon, option).source for option in TLS_OPTIONS]
    return ARGV if ARGV in sources else next((s for s in sources if s != DEFAULT), DEFAULT)


@register(META)
def evaluate(facts: Snapshot):
    listeners = facts.docker_daemon.tcp_listeners
    exposed = [f"{tcp.address}:{tcp.port} ({tcp.source})" for tcp in listeners if not tcp.tls_verify]
    evidence = {"tcp_listeners": [f"{t.address}:{t.port} tls={t.tls} tlsverify={t.tls_verify}" for t in listeners]}
    if not listeners:
        return [Result.passed(DAEMON, evidence, "the daemon does not listen on TCP")]
    if not exposed:
        return [Result.passed(DAEMON, evidence)]
    source = _tls_source(facts.docker_daemon)
    return [Result.failed(DAEMON, {**evidence, TCP_WITHOUT_TLSVERIFY.name: exposed, SETTING_SOURCE.name: source})]
