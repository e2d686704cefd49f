"""Sudoers cases shared by the unit table (answers recorded from sudo) and the engine oracle (which asks sudo again):
a small passwd and group, how to plant sudoers files under a host root, and which users host.sudo_docker_allowed
names for them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hostaudit import catalog, engine
from hostaudit.collectors._fs import use_host_root
from hostaudit.collectors._sudoers import read_sudoers
from hostaudit.model import Status
from hostaudit.parsers import parse_group_file

SNAPSHOT = Path(__file__).parent / "unit/fixtures/snapshots/host/audited-host-passes.json"
PASSWD = """\
root:x:0:0:root:/root:/bin/bash
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
alice:x:3001:3001::/nonexistent:/bin/sh
bob:x:3002:3002::/nonexistent:/bin/sh
carol:x:3003:4001::/nonexistent:/bin/sh
dave:x:3004:3004::/nonexistent:/bin/sh
erin:x:3005:4009::/nonexistent:/bin/sh
"""
GROUP = """\
root:x:0:
www-data:x:33:
alice:x:3001:
bob:x:3002:
dave:x:3004:
ops:x:4001:
devs:x:4002:bob,erin
docker:x:4003:dave
"""  # carol is in ops by her primary group only; erin's primary gid 4009 has no group entry
USERS = ("alice", "bob", "carol", "dave", "erin")


@dataclasses.dataclass(frozen=True)
class Case:
    """/etc/sudoers and files under /etc/sudoers.d (`{host}` in a name or text: the short host name; `{sha224}`,
    `{sha512}`: a digest spec of /usr/bin/docker)."""

    main: str
    dropins: dict[str, str] = dataclasses.field(default_factory=dict)
    exact: bool = True  # False where the reader errs toward a grant by design
    modes: dict[str, int] = dataclasses.field(default_factory=dict)  # of files under sudoers.d; default 0440


HEADER = "Defaults !fqdn\nroot ALL=(ALL:ALL) ALL\n"
# The users sudo 1.9.13 lets run docker or dockerd as root (or with the docker group) for each case, as
# tests/engine/test_sudoers_oracle.py asks it again; each row a form the reader once missed or misread.
RECORDED: dict[str, tuple[Case, set[str]]] = {
    "runas uid #0": (Case(HEADER + "bob ALL=(#0) /usr/bin/docker\n"), {"bob"}),
    "Runas_Alias of #0": (Case(HEADER + "Runas_Alias R = #0\nerin ALL=(R) NOPASSWD: /usr/bin/docker ps\n"),
                          {"erin"}),
    "sha224 digest": (Case(HEADER + "alice ALL=(root) {sha224} /usr/bin/docker\n"), {"alice"}),
    "sha512 digest list": (Case(HEADER + "alice ALL=(root) NOPASSWD: {sha224}, {sha512} /usr/bin/docker\n"),
                           {"alice"}),
    "#include of a name with a dot": (Case(HEADER + "#include /etc/sudoers.d/docker.rules\n",
                                           {"docker.rules": "carol ALL=/usr/sbin/dockerd\n"}), {"carol"}),
    "@include relative to its file": (Case(HEADER + "@include sudoers.d/ops.conf\n",
                                           {"ops.conf": "bob ALL=(ALL) /usr/bin/docker\n"}), {"bob"}),
    "@includedir of a subdirectory": (Case(HEADER + "@includedir /etc/sudoers.d/more\n",
                                           {"more/docker": "%docker ALL=(root) /usr/bin/docker\n"}), {"dave"}),
    "#includedir relative, nested @include": (Case(HEADER + "#includedir sudoers.d\n",
                                                   {"first": "@include more/x.y\n",
                                                    "more/x.y": "alice ALL=/usr/bin/docker\n"}), {"alice"}),
    "%h in an include": (Case(HEADER + "@include /etc/sudoers.d/{host}.rules\n",
                              {"{host}.rules": "erin ALL=ALL\n"}), {"erin"}),
    "aliases from another file": (Case(HEADER + "User_Alias ADMINS = alice\nCmnd_Alias DK = /usr/sbin/dockerd\n"
                                       "@includedir /etc/sudoers.d\n", {"admins": "ADMINS ALL = (root) DK\n"}),
                                  {"alice"}),
    "%#gid": (Case(HEADER + "%#4001 ALL=/usr/bin/docker\n"), {"carol"}),
    "%#gid of a primary group without a group entry": (Case(HEADER + "%#4009 ALL=/usr/bin/docker\n"), {"erin"}),
    "#uid": (Case(HEADER + "#3002 ALL=(ALL) NOPASSWD: /usr/bin/docker\n"), {"bob"}),
    "second host section": (Case(HEADER + "alice ALL = /usr/bin/id : ALL = (root) /usr/bin/docker\n"), {"alice"}),
    "directory": (Case(HEADER + "bob ALL = (root) /usr/bin/\n"), {"bob"}),
    "regular expression": (Case(HEADER + "bob ALL = (root) ^/usr/bin/dock.*$\n"), {"bob"}),
    "docker group": (Case(HEADER + "alice ALL = (:docker) /usr/bin/docker\n"), {"alice"}),
    "continued user list": (Case(HEADER + "bob, \\\n  carol ALL = /usr/sbin/dockerd\n"), {"bob", "carol"}),
    "another run-as user": (Case(HEADER + "alice ALL=(www-data) /usr/bin/docker\n"), set()),
    "negated command only": (Case(HEADER + "bob ALL = !/usr/bin/docker, /usr/bin/id\n"), set()),
    "a file others may write": (Case(HEADER + "@includedir /etc/sudoers.d\n", {"open": "alice ALL=ALL\n"},
                                     modes={"open": 0o442}), set()),
    "a file sudoers does not include": (Case(HEADER, {"docker": "alice ALL=ALL\n"}), set()),
}


def plant(root: Path, case: Case, values: dict[str, str]) -> None:
    """`case` as root/etc/sudoers and root/etc/sudoers.d/*, mode 0440 (what sudo requires)."""
    (root / "etc/sudoers.d").mkdir(parents=True, exist_ok=True)
    for name, text in {"sudoers": case.main, **{f"sudoers.d/{n}": t for n, t in case.dropins.items()}}.items():
        target = root / "etc" / name.format(**values)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.format(**values))
        target.chmod(case.modes.get(name.removeprefix("sudoers.d/"), 0o440))
    (root / "etc/passwd").write_text(PASSWD)
    (root / "etc/group").write_text(GROUP)


def audit_says(root: Path, hostname: str) -> set[str]:
    """The users host.sudo_docker_allowed names, from the sudoers reader on `root` as the host root."""
    use_host_root(str(root))
    try:
        grants, unreadable = read_sudoers(PASSWD, GROUP, hostname)
    finally:
        use_host_root("/")
    snapshot = engine.load_snapshot(SNAPSHOT)
    host = dataclasses.replace(snapshot.host, sudo_grants=grants, sudoers_unreadable=unreadable,
                               groups=parse_group_file(GROUP, PASSWD))
    [result] = engine.evaluate_check(catalog.load()["host.sudo_docker_allowed"],
                                     dataclasses.replace(snapshot, host=host))
    assert result.status in (Status.PASS, Status.FAIL), result
    users = set(result.evidence.get("users", ()))
    return set(USERS) if "ALL" in users else users
