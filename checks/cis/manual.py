"""CIS Docker Benchmark recommendations that need human judgement: listed in the catalog, never evaluated.

Each row keeps its own id (cis.manual_<CIS id>) so `hostaudit checks list --cis` shows the whole benchmark.
"""

from __future__ import annotations

from typing import NamedTuple

from hostaudit.catalog import CheckMeta, Row, Scope, Severity, register_family
from hostaudit.model import Snapshot

FAMILY = True


class ManualReview(NamedTuple):
    cis: str
    scope: Scope
    title: str
    rationale: str  # why it matters
    remediation: str  # what to review


ROWS = (
    Row("cis.manual_1_2_1", Severity.INFO, ManualReview(
        "1.2.1", Scope.HOST, "Container host hardening needs a review",
        "Containers share the host kernel: an unpatched or loosely configured host undoes container isolation.",
        "Harden the host to its own benchmark (CIS for the distribution), patch the kernel, and run only what the "
        "container workload needs.")),
    Row("cis.manual_2_1", Severity.INFO, ManualReview(
        "2.1", Scope.DAEMON, "Running the daemon rootless needs a decision",
        "A rootless daemon turns a container escape into an unprivileged user's compromise, not root's.",
        "Decide whether the workloads work under rootless Docker (networking and storage limits apply); "
        "daemon.userns_remap_disabled already reports rootless mode.")),
    Row("cis.manual_4_2", Severity.INFO, ManualReview(
        "4.2", Scope.IMAGE, "Base image trust needs a review",
        "An image from an unknown publisher can carry malware or backdoors into every container built on it.",
        "Use official or verified publishers or your own registry; pin images by digest.")),
    Row("cis.manual_4_3", Severity.INFO, ManualReview(
        "4.3", Scope.IMAGE, "Packages installed in images need a review",
        "Every extra package is attack surface and something to patch.",
        "Build minimal images (distroless, slim, multi-stage builds) and remove tools the service does not use.")),
    Row("cis.manual_4_4", Severity.INFO, ManualReview(
        "4.4", Scope.IMAGE, "Image vulnerability scanning and rebuilds need a process",
        "Images freeze their packages at build time; without scanning and rebuilding, known CVEs accumulate.",
        "Scan images in CI and in the registry, and rebuild on base-image updates.")),
    Row("cis.manual_4_5", Severity.INFO, ManualReview(
        "4.5", Scope.HOST, "Image signature verification needs a decision",
        "Without signature checks a tampered image in a registry runs as if genuine. Docker Content Trust (Notary "
        "v1) is deprecated, and the DOCKER_CONTENT_TRUST variable of the auditing shell says nothing about how "
        "images are pulled.",
        "Sign images (cosign/Notation) and verify signatures at admission or in the deployment pipeline.")),
    Row("cis.manual_4_7", Severity.INFO, ManualReview(
        "4.7", Scope.IMAGE, "Lone update instructions in Dockerfiles need a review",
        "An 'apt-get update' in its own layer is cached and serves stale package lists to later builds.",
        "Combine update and install in one RUN instruction, and rebuild without cache periodically.")),
    Row("cis.manual_4_8", Severity.INFO, ManualReview(
        "4.8", Scope.IMAGE, "setuid and setgid binaries in images need a review",
        "setuid/setgid binaries are a privilege-escalation path inside the container.",
        "Remove the bits in the Dockerfile (find / -perm /6000 -type f -exec chmod a-s {} +) unless needed; "
        "no-new-privileges also neutralises them.")),
    Row("cis.manual_4_9", Severity.INFO, ManualReview(
        "4.9", Scope.IMAGE, "ADD instructions in Dockerfiles need a review",
        "ADD fetches URLs and unpacks archives, which can bring unreviewed content into the image.",
        "Use COPY for local files; download with a checksum check in RUN where a remote file is needed.")),
    Row("cis.manual_4_10", Severity.INFO, ManualReview(
        "4.10", Scope.IMAGE, "Secrets in Dockerfiles need a review",
        "Secrets in build instructions or layers are readable by anyone who can pull the image.",
        "Use BuildKit secret mounts or runtime secrets; scan image history for credentials.")),
    Row("cis.manual_4_11", Severity.INFO, ManualReview(
        "4.11", Scope.IMAGE, "Package verification in image builds needs a review",
        "Packages installed without signature or checksum verification can be swapped in transit.",
        "Install from signed repositories and verify checksums of downloaded artifacts.")),
    Row("cis.manual_4_12", Severity.INFO, ManualReview(
        "4.12", Scope.IMAGE, "Signed artifact validation needs a review",
        "Unsigned build inputs and outputs cannot be traced to a trusted source.",
        "Sign and verify build artifacts (SBOMs, provenance attestations) in the supply chain.")),
    Row("cis.manual_5_9", Severity.INFO, ManualReview(
        "5.9", Scope.CONTAINER, "Published container ports need a review",
        "Each published port is reachable from outside; only the service's own ports should be.",
        "List published ports ('docker ps') and remove the ones the service does not need.")),
    Row("cis.manual_5_23", Severity.INFO, ManualReview(
        "5.23", Scope.CONTAINER, "docker exec with --privileged needs auditing",
        "A privileged exec session gets every capability inside the container, whatever the container was started "
        "with.",
        "Review daemon audit logs or API access logs for exec with Privileged=true; restrict with an authorization "
        "plugin.")),
    Row("cis.manual_5_24", Severity.INFO, ManualReview(
        "5.24", Scope.CONTAINER, "docker exec with --user=root needs auditing",
        "An exec session as root undoes a container's non-root user.",
        "Review exec sessions with User=root in the daemon's or an authorization plugin's logs.")),
    Row("cis.manual_5_28", Severity.INFO, ManualReview(
        "5.28", Scope.CONTAINER, "Image currency of running containers needs a review",
        "A container keeps running the image it was created from even after a fixed image was pulled.",
        "Re-create containers after pulling updated images; use digests to know what runs.")),
    Row("cis.manual_7_1", Severity.INFO, ManualReview(
        "7.1", Scope.DAEMON, "Number of swarm managers needs a review",
        "Every manager holds the cluster's secrets and control; more than fault tolerance needs widens exposure.",
        "Keep an odd, minimal number of managers ('docker node ls'); demote the extra ones.")),
    Row("cis.manual_7_3", Severity.INFO, ManualReview(
        "7.3", Scope.DAEMON, "Encryption of swarm overlay networks needs a review",
        "Unencrypted overlay traffic between nodes can be read and altered on the network.",
        "Create overlay networks with --opt encrypted ('docker network ls --filter driver=overlay').")),
    Row("cis.manual_7_4", Severity.INFO, ManualReview(
        "7.4", Scope.DAEMON, "Use of swarm secrets needs a review",
        "Secrets in environment variables or images are exposed through inspect and image pulls.",
        "Store sensitive values with 'docker secret' and mount them into services.")),
    Row("cis.manual_7_6", Severity.INFO, ManualReview(
        "7.6", Scope.DAEMON, "Rotation of the swarm unlock key needs a process",
        "A leaked unlock key stays valid until rotated.",
        "Rotate with 'docker swarm unlock-key --rotate' on a schedule and keep the key in a vault.")),
    Row("cis.manual_7_7", Severity.INFO, ManualReview(
        "7.7", Scope.DAEMON, "Rotation of swarm node certificates needs a review",
        "Long-lived node certificates stay useful to an attacker who copied them.",
        "Set a node certificate expiry that fits the site ('docker swarm update --cert-expiry').")),
    Row("cis.manual_7_8", Severity.INFO, ManualReview(
        "7.8", Scope.DAEMON, "Rotation of the swarm root CA needs a process",
        "A compromised swarm CA lets an attacker join nodes until the CA is rotated.",
        "Rotate with 'docker swarm ca --rotate' when needed and on a schedule.")),
    Row("cis.manual_7_9", Severity.INFO, ManualReview(
        "7.9", Scope.DAEMON, "Separation of swarm management and data traffic needs a review",
        "Management traffic on the data-plane network is reachable by workloads.",
        "Give swarm --advertise-addr and --data-path-addr different interfaces.")),
)


def describe(row: Row[ManualReview]) -> CheckMeta:
    spec = row.spec
    return CheckMeta(id=row.id, title=spec.title, severity=row.severity, scope=spec.scope, cis=(spec.cis,),
                     rationale=spec.rationale, remediation=spec.remediation, needs=(), manual=True)


def never_evaluated(spec: ManualReview, facts: Snapshot):
    """Manual checks are skipped by the engine; this is only the function the catalog records."""
    return []


register_family(ROWS, describe, never_evaluated)
