"""Hostile input: every parser and normalizer either returns a value or raises its documented ValueError."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostaudit import engine, parsers
from hostaudit.collectors.normalize import from_docker, from_oci
from hostaudit.model import SCHEMA_VERSION, Container, MountInfo, Snapshot

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text shaped like the files parsers read: separators they split on, octal escapes, digits, control characters.
TOKENS = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", ":", ",", "=", "-", " - ", "#", "/", "\\040", "\\", "0",
                          "1", "4026531840", "ff", "-w", "-p", "-k", "-F", "path=", "perm=", "key=", "--", "-H",
                          "--host", "\x00", "\x1b[31m", "é", "\u202e", "[", "]", "{", "}", '"', "'"])
STRUCTURED_TEXT = st.lists(st.one_of(TOKENS, st.text(max_size=8)), max_size=60).map("".join)
TEXT = st.one_of(st.text(max_size=400), STRUCTURED_TEXT)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=40,
)


def _shaped(keys: dict[str, list[str]]) -> st.SearchStrategy:
    """JSON objects that use the keys a normalizer reads, with values of any type, nested one level."""
    return st.fixed_dictionaries({}, optional={
        top: st.one_of(JSON, st.dictionaries(st.sampled_from(inner), JSON, max_size=len(inner)) if inner else JSON)
        for top, inner in keys.items()
    })


DOCKER_INSPECT = _shaped({
    "Id": [], "Name": [], "Image": [], "AppArmorProfile": [], "ProcessLabel": [], "Mounts": [],
    "HostConfig": ["Privileged", "SecurityOpt", "CapAdd", "CapDrop", "PidMode", "IpcMode", "UTSMode", "UsernsMode",
                   "CgroupnsMode", "NetworkMode", "PortBindings", "PidsLimit", "MaskedPaths", "ReadonlyPaths",
                   "RestartPolicy", "Memory", "Devices", "DeviceCgroupRules", "Ulimits", "ReadonlyRootfs"],
    "Config": ["User", "Labels", "Image", "Healthcheck"],
    "State": ["Pid", "Status"],
    "NetworkSettings": ["Networks"],
})
OCI_SPEC = _shaped({
    "process": ["user", "capabilities", "noNewPrivileges", "apparmorProfile", "selinuxLabel"],
    "linux": ["namespaces", "resources", "maskedPaths", "readonlyPaths", "seccomp", "devices", "cgroupsPath"],
    "annotations": ["io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id",
                    "io.kubernetes.cri.sandbox-name", "io.kubernetes.cri.sandbox-namespace"],
    "mounts": [], "root": ["readonly", "path"],
})


@FUZZ
@given(TEXT)
def test_parse_status_returns_string_fields(text):
    fields = parsers.parse_status(text)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
    assert parsers.hex_mask(fields.get("CapEff")) is None or parsers.hex_mask(fields.get("CapEff")) >= 0


@FUZZ
@given(TEXT)
def test_parse_mountinfo_skips_malformed_lines(text):
    mounts = parsers.parse_mountinfo(text)
    assert all(isinstance(m, MountInfo) for m in mounts)
    assert len(mounts) <= text.count(" - ")


@FUZZ
@given(st.one_of(TEXT, st.from_regex(r"\A\d{1,5000}\.\d{1,5}\.\d{0,3}[-+~a-z0-9]*\Z")))
def test_parse_kernel_release_is_a_triple_or_none(text):
    release = parsers.parse_kernel_release(text)
    assert release is None or (len(release) == 3 and all(isinstance(p, int) for p in release))


@FUZZ
@given(st.one_of(st.none(), TEXT, st.from_regex(r"\Av?\d{1,6000}(\.\d{1,3}){0,3}[+~a-z0-9-]*\Z")))
def test_parse_version_is_numbers_or_none(text):
    version = parsers.parse_version(text)
    assert version is None or all(isinstance(p, int) for p in version)


@FUZZ
@given(st.lists(st.one_of(TOKENS, st.text(max_size=12), st.sampled_from(["-Hunix:///x", "--tls=false", "-D"])),
                max_size=30))
def test_parse_dockerd_argv_maps_flags_to_values(argv):
    flags = parsers.parse_dockerd_argv(argv)
    assert all(isinstance(v, tuple) and all(isinstance(x, str) for x in v) for v in flags.values())


@FUZZ
@given(st.one_of(TEXT, JSON.map(json.dumps), st.integers(1, 200_000).map(lambda n: "[" * n),
                 st.integers(4301, 6000).map(lambda n: "{\"a\": " + "9" * n + "}")))
def test_parse_json_object_is_an_object_or_value_error(text):
    try:
        data = parsers.parse_json_object(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert isinstance(data, dict)


@FUZZ
@given(st.one_of(TEXT, st.integers(1, 100_000).map(lambda n: "a = " + "[" * n),
                 st.integers(1, 100_000).map(lambda n: "a = " + "{b = " * n)))
def test_parse_toml_is_a_table_or_value_error(text):
    try:
        data = parsers.parse_toml(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert isinstance(data, dict)


@FUZZ
@given(TEXT, TEXT)
def test_parse_group_file_maps_groups_to_members(group_text, passwd_text):
    groups = parsers.parse_group_file(group_text, passwd_text)
    assert all(isinstance(members, tuple) for members in groups.values())


def test_parse_group_file_counts_primary_group_when_gids_repeat():
    groups = parsers.parse_group_file("docker:x:999:\nalias:x:999:bob\n", "alice:x:1000:999::/:/bin/sh\n")
    assert "alice" in groups["alias"]
    assert groups["docker"] == ()


@FUZZ
@given(TEXT)
def test_parse_audit_rules_returns_rule_tuples(text):
    rules = parsers.parse_audit_rules(text, "fuzz")
    assert all(len(rule) == 4 and rule[0] and rule[3] == "fuzz" for rule in rules)


@FUZZ
@given(st.one_of(DOCKER_INSPECT, st.dictionaries(st.text(max_size=10), JSON, max_size=8)))
def test_from_docker_reads_any_object(data):
    container = from_docker(data)
    assert isinstance(container, Container)
    assert container.key.startswith("docker:")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in container.labels.items())


@FUZZ
@given(st.one_of(OCI_SPEC, st.dictionaries(st.text(max_size=10), JSON, max_size=8)), st.text(max_size=12),
       st.text(max_size=12), st.one_of(st.none(), st.integers(1, 2**22)))
def test_from_oci_reads_any_object(spec, namespace, task_id, pid):
    container = from_oci(spec, namespace, task_id, pid, "running")
    assert isinstance(container, Container)
    assert container.key.startswith(("containerd:", "k8s:"))


def _load(data) -> Snapshot:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "facts.json"
        path.write_text(data if isinstance(data, str) else json.dumps(data))
        return engine.load_snapshot(path)


SNAPSHOT_LIKE = st.fixed_dictionaries(
    {"schema_version": st.just(SCHEMA_VERSION)},
    optional={"hostaudit_version": JSON, "collected_at": JSON, "collectors": JSON, "host": JSON,
              "docker_daemon": JSON, "containers": JSON, "containerd": JSON, "runtime": JSON, "files": JSON,
              "audit_rules": JSON},
)


@FUZZ
@given(st.one_of(JSON, SNAPSHOT_LIKE, TEXT))
def test_load_snapshot_is_a_snapshot_or_value_error(data):
    try:
        snapshot = _load(data)
    except ValueError as exc:
        assert str(exc)
    else:
        assert isinstance(snapshot, Snapshot)


def test_load_snapshot_rejects_deep_nesting_with_value_error():
    nested = "[" * 100_000 + "]" * 100_000
    deep = f'{{"schema_version": {SCHEMA_VERSION}, "containers": {nested}}}'
    try:
        _load(deep)
    except ValueError as exc:
        assert "snapshot" in str(exc)
    else:
        raise AssertionError("a 100000-deep document is not a snapshot")


def _depth(value: object) -> int:
    """Oracle: how deep lists and objects nest in a decoded value (a scalar is 0), by plain recursion."""
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


# Strings full of what the text-level reader must not mistake for structure: brackets, quotes, backslashes.
TRICKY_TEXT = st.lists(st.sampled_from(['"', "\\", "[", "]", "{", "}", '\\"', "é", "\u202e", "\n", "a"]),
                       max_size=8).map("".join)
DEEP_JSON = st.recursive(st.none() | st.integers() | st.text(max_size=4) | TRICKY_TEXT,
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY_TEXT, inner, max_size=3),
                         max_leaves=30)


@FUZZ
@given(value=DEEP_JSON, ascii_only=st.booleans(), indent=st.sampled_from([None, 1]))
def test_json_depth_read_from_the_text_equals_the_depth_of_the_value(value, ascii_only, indent):
    from hostaudit.inputs import json_deeper_than

    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent).encode()
    depth = _depth(value)
    assert [json_deeper_than(text, limit) for limit in range(depth + 2)] == [limit < depth
                                                                            for limit in range(depth + 2)]
