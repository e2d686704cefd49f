"""The remediation fixes table against the catalog and the Kubernetes API models: every key names a container check,
every field a fix sets is a real field where the fix puts it, and every check whose remediation documents a pod
field (its "Kubernetes: ..." advice) has a fix that sets it. A renamed key (`container.host_ipc` spelled otherwise)
would leave that check's pod fix silently out of every patch; here it fails both directions of the table."""

from __future__ import annotations

import re

import pytest
from kubernetes.client import V1PodSecurityContext, V1PodSpec, V1SecurityContext

from hostaudit import catalog
from hostaudit.catalog import Scope
from hostaudit.remediation.fixes import FIXES, Fix, fix_for
from hostaudit.remediation.pods import CONTROL_CHECKS

# where each part of a Fix lands, and the official model of that object (its JSON field names)
MODELS = {"container_context": V1SecurityContext, "pod_context": V1PodSecurityContext, "pod_spec": V1PodSpec}


def _fields(model: type) -> set[str]:
    return set(model.attribute_map.values())


def _documented_fields(remediation: str) -> set[str]:
    """The pod-template fields a check's remediation text names after "Kubernetes", by the official models."""
    _, found, advice = remediation.partition("Kubernetes")
    known = set().union(*map(_fields, MODELS.values())) | {"resources"}  # resources: a container's, V1Container
    return set(re.findall(r"[A-Za-z]+", advice)) & known if found else set()


def _set_by(fix: Fix) -> set[str]:
    return {*fix.container_context, *fix.pod_context, *fix.pod_spec}


CHECKS = catalog.load()


@pytest.mark.parametrize("check_id", sorted(FIXES))
def test_every_fix_key_names_a_container_check_of_the_catalog(check_id):
    assert check_id in CHECKS, f"fixes table key {check_id} names no check: its pod fix is never used"
    assert CHECKS[check_id].meta.scope is Scope.CONTAINER


@pytest.mark.parametrize("check_id", sorted(FIXES))
def test_every_field_a_fix_sets_is_a_field_of_its_kubernetes_object(check_id):
    fix = FIXES[check_id]
    for part, model in MODELS.items():
        assert set(getattr(fix, part)) <= _fields(model), f"{check_id}: {part} names no {model.__name__} field"


def test_every_check_documenting_a_pod_field_has_a_fix_that_sets_it():
    documented = {cid: _documented_fields(c.meta.remediation) for cid, c in CHECKS.items()
                  if c.meta.scope is Scope.CONTAINER}
    documented = {cid: fields for cid, fields in documented.items() if fields}
    assert documented, "no check documents a pod field: the reading of remediation texts is broken"
    missing = set()
    for check_id, fields in sorted(documented.items()):
        fix = fix_for(check_id)
        if fix is None:
            missing.add(check_id)
            continue
        named = {f for f in fields if f != "resources"}  # resources are the owner's to size, never guessed
        # a fix may set a safer field than the one named (privileged: false with procMount: Default), never none
        assert _set_by(fix) & named or not named, f"{check_id} documents {sorted(fields)}, its fix sets none"
    assert not missing, f"checks documenting a pod field with no fix: {sorted(missing)}"


@pytest.mark.parametrize("check_id", sorted(set(CONTROL_CHECKS.values())))
def test_every_check_answering_a_pod_security_control_has_a_fix(check_id):
    assert check_id in CHECKS and fix_for(check_id) is not None
