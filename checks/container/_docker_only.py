"""Settings only Docker has (restart policy, healthcheck, ulimits...): not applicable to containerd/CRI tasks."""

from __future__ import annotations

from collections.abc import Callable

from hostaudit.model import Container, Status

from ._subjects import Judgement


def docker_only(judge: Callable[[Container], Judgement]) -> Callable[[Container], Judgement]:
    """`judge` for Docker containers; `not_applicable` for others, whose orchestrator owns the setting."""

    def judged(ctr: Container) -> Judgement:
        if ctr.source != "docker":
            return Status.NOT_APPLICABLE, {"source": ctr.source}
        return judge(ctr)

    return judged
