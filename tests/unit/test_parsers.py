"""Parsers of the text formats collectors read, on real-world and tricky inputs."""

from __future__ import annotations

import pytest

from hostaudit.parsers import (
    parse_audit_rules,
    parse_dockerd_argv,
    parse_group_file,
    parse_kernel_release,
    parse_mountinfo,
    parse_status,
    parse_version,
)


@pytest.mark.parametrize(("argv", "expected"), [
    (["dockerd", "-H", "tcp://0.0.0.0:2375", "--icc=false"], {"host": ("tcp://0.0.0.0:2375",), "icc": ("false",)}),
    (["dockerd", "-Hfd://", "--host=unix:///x.sock"], {"host": ("fd://", "unix:///x.sock")}),
    (["dockerd", "--log-level", "debug", "--live-restore"], {"log-level": ("debug",), "live-restore": ("true",)}),
    (["/usr/bin/dockerd", "-l=debug", "--userland-proxy=false"], {"log-level": ("debug",),
                                                                 "userland-proxy": ("false",)}),
    (["dockerd", "--config-file", "/etc/d.json", "--tlsverify", "-D"],
     {"config-file": ("/etc/d.json",), "tlsverify": ("true",), "debug": ("true",)}),
])
def test_dockerd_flags_in_every_syntax(argv, expected):
    assert parse_dockerd_argv(argv) == expected


def test_status_capabilities_and_seccomp():
    fields = parse_status("Name:\tsleep\nCapBnd:\t00000000a80425fb\nSeccomp:\t2\nNoNewPrivs:\t1\n")
    assert fields["CapBnd"] == "00000000a80425fb" and fields["Seccomp"] == "2"


def test_mountinfo_unescapes_and_skips_garbage():
    text = ("36 35 98:0 /mnt\\040dir /data rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
            "garbage line without separator\n"
            "73 72 0:42 / /proc rw,nosuid - proc proc rw\n")
    mounts = parse_mountinfo(text)
    assert [m.mount_point for m in mounts] == ["/data", "/proc"]
    assert mounts[0].root == "/mnt dir" and mounts[0].propagation == ("master:1",) and mounts[0].rw


@pytest.mark.parametrize(("release", "expected"), [
    ("5.15.0-91-generic", (5, 15, 0)), ("6.18.44-fc-v657", (6, 18, 44)), ("4.18.0-513.el8.x86_64", (4, 18, 0)),
    ("6.1", (6, 1, 0)), ("garbage", None), ("", None),
])
def test_kernel_release(release, expected):
    assert parse_kernel_release(release) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("1.1.5+ds1", (1, 1, 5)), ("v1.0.0-rc93", (1, 0, 0)), ("20.10.24+dfsg1", (20, 10, 24)), (None, None),
])
def test_versions(text, expected):
    assert parse_version(text) == expected


def test_group_members_include_primary_group_users():
    groups = parse_group_file("docker:x:998:alice,bob\nroot:x:0:\n", "carol:x:1001:998::/home/carol:/bin/sh\n")
    assert groups["docker"] == ("alice", "bob", "carol")


def test_audit_rules_in_both_syntaxes_and_comments():
    rules = parse_audit_rules("-w /usr/bin/dockerd -p rwxa -k docker\n# -w /etc/docker\n"
                              "-a always,exit -F path=/run/containerd -F perm=wa -F key=ctd\n", "file")
    assert rules == [("/usr/bin/dockerd", "rwxa", "docker", "file"), ("/run/containerd", "wa", "ctd", "file")]
