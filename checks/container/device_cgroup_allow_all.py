"""Container may create and open every host device."""

import re

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container

from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.device_cgroup_allow_all",
    title="Container may create and open every host device",
    severity=Severity.CRITICAL,
    scope=Scope.CONTAINER,
    cis=("5.18",),
    references=("MITRE ATT&CK T1611",),
    rationale="A device cgroup rule allowing all devices (`a *:* rwm`, or every block device `b *:* rwm`) lets root "
              "with CAP_MKNOD, which is in the default set, create the host's disk nodes and mount the host "
              "filesystem. Privileged containers get this rule too.",
    remediation="Remove the --device-cgroup-rule (Kubernetes: privileged: false); allow only the major:minor "
                "numbers the workload needs.",
    needs=(),
)

# type (a: all, b: block) with any major and any minor, and read or write access
ALLOW_ALL = re.compile(r"^[ab] \*:\* [rwm]*[rw][rwm]*$")


def judge(ctr: Container) -> Judgement:
    rules = [r for r in ctr.device_cgroup_rules if ALLOW_ALL.match(r.strip())]
    evidence = {"device_cgroup_rules": list(ctr.device_cgroup_rules), "privileged.declared": ctr.privileged}
    return bool(rules) or (ctr.privileged and ctr.source == "docker"), evidence


@register(META)
def evaluate(facts):
    return per_container(facts, judge)
