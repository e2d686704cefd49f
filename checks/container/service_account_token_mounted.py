"""Container has a Kubernetes service-account token mounted."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container

from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.service_account_token_mounted",
    title="Container has a Kubernetes service-account token mounted",
    severity=Severity.INFO,
    scope=Scope.CONTAINER,
    references=("MITRE ATT&CK T1528",),
    rationale="Whoever controls the container can call the Kubernetes API with the token's rights; with broad "
              "RBAC that is the cluster.",
    remediation="Set automountServiceAccountToken: false on pods that do not call the API, and keep the rights of "
                "those that do minimal.",
    needs=(),
)

TOKEN_DIRS = ("/var/run/secrets/kubernetes.io/serviceaccount", "/run/secrets/kubernetes.io/serviceaccount")


def judge(ctr: Container) -> Judgement:
    found = [m.destination for m in ctr.mounts if m.destination.rstrip("/") in TOKEN_DIRS]
    return bool(found), {"mounts.service_account": found}


@register(META)
def evaluate(facts):
    return per_container(facts, judge)
