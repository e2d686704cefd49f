"""No runtime detection agent watches the containers."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import HOST, Result, Snapshot

META = CheckMeta(
    id="host.no_runtime_detection_agent",
    title="No runtime detection agent watches the containers",
    severity=Severity.LOW,
    scope=Scope.HOST,
    references=("MITRE ATT&CK T1611",),
    rationale="Hardening narrows what a compromised container can do; a runtime detection agent (Falco, Tetragon, "
              "Tracee, the Sysdig agent) is what notices a shell spawned in a container, a write below /etc, a "
              "mount or a namespace change while it happens.",
    remediation="Run a runtime detection agent on the host (for example Falco with its default rules, or Tetragon "
                "with a tracing policy for mount, setns and module loading) and send its alerts off the host.",
    needs=("host",),
)
DETECTION_AGENTS = frozenset({"falco", "tetragon", "tracee", "tracee-ebpf", "sysdig", "dragent"})


@register(META)
def evaluate(facts: Snapshot):
    running = sorted(DETECTION_AGENTS & set(facts.host.runtime_agents))
    evidence = {"host.runtime_agents": running, "host.runtime_agent_dirs": list(facts.host.runtime_agent_dirs)}
    if running:
        return [Result.passed(HOST, evidence)]
    detail = "configured but not running" if facts.host.runtime_agent_dirs else ""
    return [Result.failed(HOST, evidence, detail)]
