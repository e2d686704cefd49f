"""Container runs without a seccomp filter."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import Snapshot

from ._effective import seccomp_disabled
from ._subjects import per_container

META = CheckMeta(
    id="container.seccomp_unconfined",
    title="Container runs without a seccomp filter",
    severity=Severity.HIGH,
    scope=Scope.CONTAINER,
    cis=("5.22",),
    references=("CVE-2022-0185", "CVE-2022-0492"),
    rationale="Without seccomp every syscall reaches the kernel, including unshare, mount, keyctl, bpf and "
              "open_by_handle_at that most kernel escapes start from.",
    remediation="Remove --security-opt seccomp=unconfined (Kubernetes: seccompProfile: {type: RuntimeDefault}).",
    needs=(),
)


@register(META)
def evaluate(facts: Snapshot):
    return per_container(facts, lambda ctr: seccomp_disabled(facts, ctr))
