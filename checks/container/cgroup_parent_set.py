"""Container runs under a custom cgroup parent."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container

from ._docker_only import docker_only
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.cgroup_parent_set",
    title="Container runs under a custom cgroup parent",
    severity=Severity.INFO,
    scope=Scope.CONTAINER,
    cis=("5.25",),
    rationale="--cgroup-parent places the container outside Docker's cgroup, where the limits that apply are "
              "whatever that parent sets; confirm it is intended.",
    remediation="Drop --cgroup-parent unless the parent cgroup is managed on purpose (then document it, and waive "
                "this finding).",
    needs=(),
)


@docker_only
def judge(ctr: Container) -> Judgement:
    return bool(ctr.cgroup_parent), {"cgroup_parent": ctr.cgroup_parent}


@register(META)
def evaluate(facts):
    return per_container(facts, judge)
