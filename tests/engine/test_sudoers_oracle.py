"""host.sudo_docker_allowed against sudo itself: generated sudoers files (every rule form sudo 1.9 accepts, each
checked by `visudo -c -f`), the users sudo lets run docker or dockerd as root (`sudo -l -U USER -u root CMD`, or with
the docker group, `-g docker`) compared with the users the audit names.

sudo reads /etc/sudoers, /etc/passwd and /etc/group, so each file is shown to it in a private mount namespace
(`unshare --mount`) with an overlay on /etc whose upper layer holds the generated files (its sudoers.d opaque): nothing
on the host is changed, and no other test's users or sudoers rules can change the answer. (Files bind-mounted over
/etc/passwd vanished from view whenever another test's `useradd` renamed a new passwd over the old one.) The audit
reads the same files through `--host-root`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostaudit.collectors._fs import use_host_root
from tests.sudoers_cases import RECORDED, USERS, Case, audit_says, plant

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("sudo", "visudo", "unshare")) or
    not os.path.exists("/usr/bin/docker"),
    reason="needs root, sudo, util-linux unshare and docker.io (the digest specs hash /usr/bin/docker)")

# What sudo is asked per user: docker or dockerd in any form a rule may allow, a copy of docker at a path no rule
# names (what ALL allows, whatever it negates), and docker with the docker group.
INVOCATIONS = (
    ("-u", "root", "/usr/bin/docker"), ("-u", "root", "/usr/bin/docker", "ps"),
    ("-u", "root", "/usr/bin/docker", "run", "x"), ("-u", "root", "/usr/sbin/dockerd"),
    ("-u", "root", "/usr/local/bin/docker"), ("-u", "root", "/opt/hostaudit-oracle/copy-of-docker"),
    ("-g", "docker", "/usr/bin/docker", "ps"), ("-g", "docker", "/usr/sbin/dockerd"),
)
ORACLE = """\
set -e
mount -t overlay hostaudit-sudoers -o "lowerdir=$1/etc:/etc" /etc
visudo -c -f /etc/sudoers >&2 || exit 3  # -f: the syntax; sudo itself judges owners and modes
set +e
shift
for user in %s; do
  for args in "$@"; do
    if said=$(sudo -n -l -U "$user" $args 2>&1 >/dev/null); then echo "$user"; elif [ -n "$said" ]; then
      printf '%%s\n' "$said" | sed "s|^|# $user $args: |"
    fi
  done
done
exit 0
"""


def _digest(name: str, as_hex: bool) -> str:
    raw = hashlib.new(name, Path("/usr/bin/docker").read_bytes()).digest()
    return f"{name}:{raw.hex() if as_hex else base64.b64encode(raw).decode()}"


# (text, exact): `exact` False where the reader errs toward a grant by design (negations, hosts, stale digests):
# there the audit may name more users than sudo, never fewer.
PRINCIPALS = [("alice", True), ("%devs", True), ("%#4001", True), ("#3003", True), ("%#4009", True),
              ("ALL", True), ("OPS", True), ("bob, \\\n    erin", True), ("%docker", True), ("ALL, !alice", False),
              ("%ops,!carol", False)]
RUNAS = [("", True), ("() ", True), ("(ALL) ", True), ("(root) ", True), ("(#0) ", True), ("(ALL:ALL) ", True),
         ("(root:root) ", True), ("(:docker) ", True), ("(:ALL) ", True), ("(www-data) ", True), ("(RA) ", True),
         ("(RW) ", True), ("(ALL, !root) ", False), ("(root, www-data) ", True), ("(RA:ALL) ", True)]
TAGS = [("", True), ("NOPASSWD: ", True), ("NOPASSWD:SETENV: ", True), ("PASSWD:NOEXEC: ", True),
        ("CWD=/ NOPASSWD: ", True), ("TIMEOUT=5m ", True), ("LOG_INPUT: ", True)]
COMMANDS = [("/usr/bin/docker", True), ("/usr/bin/docker ps", True), ("/usr/bin/docker run *", True),
            ("/usr/sbin/dockerd", True), ("ALL", True), ("DOCKER", True), ("/usr/bin/dock*", True),
            ("/usr/bin/apt", True), ("/usr/bin/systemctl restart docker", True), ("sudoedit /etc/hosts", True),
            (_digest("sha224", False) + " /usr/bin/docker", True), (_digest("sha256", True) + " /usr/bin/docker", True),
            (_digest("sha384", False) + " /usr/bin/docker", True), (_digest("sha512", True) + " /usr/bin/docker", True),
            (_digest("sha256", True).replace(":", ":00", 1)[:71] + " /usr/bin/docker", False),
            ("/usr/bin/", True), ("/usr/local/bin/docker", True), ("^/usr/bin/dock.*$", True),
            ("ALL, !/usr/bin/docker", True), ("!/usr/bin/docker", False), ("/usr/bin/apt, !DOCKER", False),
            ("/usr/bin/env, /usr/sbin/docker*", True), ("OTHER", True), ("/usr/bin/docker \"\"", True)]
HOSTS = [("ALL", True), (socket.gethostname(), True), ("HA", True), ("otherhost", False)]
PREAMBLE = """\
Defaults !fqdn
Defaults env_reset
Defaults:bob !requiretty
Defaults!/usr/bin/apt !lecture
User_Alias OPS = carol, %docker
Runas_Alias RA = #0 : RW = www-data
Host_Alias HA = ALL
Cmnd_Alias DOCKER = /usr/bin/docker, /usr/sbin/dockerd : OTHER = /usr/bin/id
root ALL=(ALL:ALL) ALL
"""


def _rule(rng: random.Random) -> tuple[str, bool]:
    parts = [rng.choice(table) for table in (PRINCIPALS, HOSTS, RUNAS, TAGS, COMMANDS)]
    (who, _), (hosts, _), (runas, _), (tags, _), (command, _) = parts
    text = f"{who} {hosts} = {runas}{tags}{command}"
    if rng.random() < 0.2:  # a second host section
        text += f" : ALL = {rng.choice(RUNAS)[0]}/usr/bin/id"
    return text, all(exact for _, exact in parts)


def _case(seed: int) -> Case:
    """1 to 3 rules, each in /etc/sudoers or in a file it includes in one of sudo's four ways."""
    rng = random.Random(seed)
    main, dropins, exact = PREAMBLE, {}, True
    for index in range(rng.randint(1, 3)):
        rule, rule_exact = _rule(rng)
        exact &= rule_exact
        where = rng.choice(("main", "@includedir", "#includedir", "@include", "#include", "%h"))
        if where == "main":
            main += rule + "\n"
            continue
        name = f"rule{index}"
        dropins[name] = rule + "\n"
        main += {"@includedir": "@includedir /etc/sudoers.d\n", "#includedir": "#includedir sudoers.d\n",
                 "@include": f"@include sudoers.d/{name}\n", "#include": f"#include /etc/sudoers.d/{name}\n",
                 "%h": "@include /etc/sudoers.d/%h\n"}[where]
        if where == "%h":
            dropins["{host}"] = dropins.pop(name)
    return Case(main, dropins, exact)


@pytest.fixture
def root_dir() -> Iterator[Path]:
    """A host root only root can read: etc/sudoers, etc/sudoers.d, etc/passwd and etc/group."""
    path = Path(tempfile.mkdtemp(prefix="hostaudit-sudoers-", dir="/root"))
    try:
        yield path
    finally:
        use_host_root("/")
        shutil.rmtree(path)


def sudo_says(root: Path, case: Case) -> set[str]:
    """The users sudo lets run docker, dockerd or ALL as root (or with the docker group), once `visudo -c` has
    accepted the files."""
    os.setxattr(root / "etc/sudoers.d", "trusted.overlay.opaque", b"y")  # the host's drop-ins stay hidden
    answer = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", ORACLE % " ".join(USERS),
                             "oracle", str(root), *(" ".join(i) for i in INVOCATIONS)],
                            capture_output=True, text=True, timeout=120)
    assert answer.returncode == 0, f"visudo refused the generated files:\n{case}\n{answer.stderr}"
    lines = answer.stdout.splitlines()
    # a refusal is silent, or "command not found" for a path that does not exist, and sudo warns of each file it
    # skips for its mode: anything else is trouble
    complaints = [line for line in lines if line.startswith("#") and not re.search(
        r"(: command not found| is world writable| is owned by uid \d+, should be 0| is group writable)$", line)]
    assert not complaints, f"sudo could not answer:\n{case}\n" + "\n".join(complaints)
    return {line for line in lines if not line.startswith("#")}


HOST = socket.gethostname().split(".")[0]
VALUES = {"host": HOST, "sha224": _digest("sha224", False), "sha512": _digest("sha512", True)}


@pytest.mark.parametrize("name", RECORDED)
def test_sudo_gives_the_answers_the_unit_table_recorded(root_dir, name):
    case, expected = RECORDED[name]
    plant(root_dir, case, VALUES)
    assert sudo_says(root_dir, case) == expected
    assert audit_says(root_dir, HOST) == expected


@pytest.mark.parametrize("seed", range(120))
def test_the_audit_names_the_users_sudo_lets_run_docker_as_root(root_dir, seed):
    case = _case(seed)
    plant(root_dir, case, VALUES)
    sudo, audit = sudo_says(root_dir, case), audit_says(root_dir, HOST)
    assert sudo <= audit, f"sudo lets {sorted(sudo - audit)} run docker as root; the audit passes them\n{case}"
    if case.exact:
        assert audit == sudo, f"the audit names {sorted(audit - sudo)}, whom sudo refuses\n{case}"


def test_every_form_is_generated():
    """The generator reaches each row of its tables and each kind of include."""
    texts = [_case(seed) for seed in range(120)]
    every = "\n".join(c.main + "".join(c.dropins.values()) for c in texts)
    for table in (PRINCIPALS, RUNAS, TAGS, COMMANDS, HOSTS):
        missing = [text for text, _ in table if text.strip() and text not in every]
        assert not missing, missing
    for include in ("@includedir", "#includedir", "@include sudoers.d/", "#include /etc", "/etc/sudoers.d/%h"):
        assert include in every
