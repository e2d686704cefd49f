"""deploy/kubernetes: every document is a valid Kubernetes object by the API models of the official client (an
unknown or misspelt field is dropped by the model, so the round trip must give the document back), and the pod spec
audits the node: host PID, the node's / read-only at --host-root, not privileged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

kubernetes = pytest.importorskip("kubernetes")

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
MODELS = {("v1", "Namespace"): "V1Namespace", ("apps/v1", "DaemonSet"): "V1DaemonSet",
          ("batch/v1", "CronJob"): "V1CronJob"}


def _documents() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        found += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def _model(document: dict):
    client = kubernetes.client.ApiClient()
    return client.deserialize(json.dumps(document), MODELS[(document["apiVersion"], document["kind"])],
                              "application/json")


@pytest.mark.parametrize(("name", "document"), _documents(), ids=lambda v: v if isinstance(v, str) else "")
def test_document_is_a_valid_object_with_no_unknown_field(name, document):
    client = kubernetes.client.ApiClient()
    assert client.sanitize_for_serialization(_model(document)) == document


def _pod_specs():
    for name, document in _documents():
        if document["kind"] == "DaemonSet":
            yield name, _model(document).spec.template.spec
        elif document["kind"] == "CronJob":
            yield name, _model(document).spec.job_template.spec.template.spec


@pytest.mark.parametrize(("name", "spec"), list(_pod_specs()), ids=lambda v: v if isinstance(v, str) else "")
def test_pod_audits_the_node_read_only_and_unprivileged(name, spec):
    assert spec.host_pid is True
    (container,) = spec.containers
    command = " ".join([*(container.command or []), *(container.args or [])])
    mount = next(m for m in container.volume_mounts if f"--host-root {m.mount_path}" in command)
    volume = next(v for v in spec.volumes if v.name == mount.name)
    assert volume.host_path.path == "/" and mount.read_only is True
    security = container.security_context
    assert security.privileged is False and security.allow_privilege_escalation is False
    assert security.capabilities.drop == ["ALL"]
    assert set(security.capabilities.add) <= {"SYS_PTRACE", "DAC_READ_SEARCH", "DAC_OVERRIDE"}


def test_both_variants_are_shipped():
    assert {d["kind"] for _, d in _documents()} >= {"DaemonSet", "CronJob"}
