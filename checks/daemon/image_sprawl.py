"""Many images on the host are used by no container."""

from hostaudit.catalog import CheckMeta, Scope, Severity, register
from hostaudit.model import DAEMON, Result, Snapshot

META = CheckMeta(
    id="daemon.image_sprawl",
    title="Many images on the host are used by no container",
    severity=Severity.INFO,
    scope=Scope.DAEMON,
    cis=("6.1",),
    rationale="Unused images keep old, unpatched software (and any secrets baked into it) one 'docker run' away "
              "and make it hard to know what the host may run.",
    remediation="Remove images no container uses ('docker image prune -a' after review) and prune on a schedule.",
    needs=("docker_daemon", "containers"),
)
UNUSED_IMAGES_LIMIT = 25


@register(META)
def evaluate(facts: Snapshot):
    images = facts.docker_daemon.image_count
    in_use = sorted({c.image for c in facts.containers if c.image})
    evidence = {"api.images": images, "images_in_use": len(in_use), "limit_unused": UNUSED_IMAGES_LIMIT}
    if images is None:
        return [Result.unknown(DAEMON, evidence, "the API did not report the image count")]
    unused = max(images - len(in_use), 0)
    evidence["unused_images"] = unused
    return [Result.failed(DAEMON, evidence) if unused >= UNUSED_IMAGES_LIMIT else Result.passed(DAEMON, evidence)]
