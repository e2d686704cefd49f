"""Container runs with the NVIDIA container toolkit."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Container

from ._gpu import gpu_access
from ._subjects import Judgement, per_container

META = CheckMeta(
    id="container.nvidia_gpu_access",
    title="Container runs with the NVIDIA container toolkit",
    severity=Severity.MEDIUM,
    scope=Scope.CONTAINER,
    references=("CVE-2024-0132", "CVE-2025-23266"),
    rationale="The NVIDIA runtime hook runs as root on the host while it sets the container up; in toolkit "
              "versions before 1.16.2 (CVE-2024-0132) and 1.17.8 (CVE-2025-23266) a crafted image turns that into "
              "host root.",
    remediation="Keep nvidia-container-toolkit at 1.17.8 or later, give GPUs only to trusted images, and prefer "
                "CDI mode.",
    needs=(),
)


def judge(ctr: Container) -> Judgement:
    return gpu_access(ctr)


@register(META)
def evaluate(facts):
    return per_container(facts, judge)
