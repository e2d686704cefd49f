"""The sudoers reader behind host.sudo_docker_allowed: which rules give docker, dockerd or ALL as root."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hostaudit.collectors import _sudoers
from hostaudit.collectors._sudoers import parse_sudoers, read_sudoers
from hostaudit.model import SudoGrant
from tests.sudoers_cases import RECORDED, audit_says, plant

SUDOERS = """\
# comment naming /usr/bin/docker
Defaults env_reset
User_Alias OPS = alice, %ops
Cmnd_Alias DOCKER = /usr/bin/docker, /usr/sbin/dockerd
root ALL=(ALL:ALL) ALL
%sudo   ALL=(ALL:ALL) ALL
bob ALL=(root) NOPASSWD: /usr/bin/docker *
OPS ALL = DOCKER
carol ALL=(www-data) /usr/bin/docker
dave ALL=/usr/bin/apt, \\
   /usr/bin/docker ps
erin ALL=(ALL) NOPASSWD:SETENV: /usr/bin/systemctl restart docker, !/usr/bin/docker
fred ALL=/usr/local/bin/dock*
@includedir /etc/sudoers.d
"""


def _grants(text: str) -> set[tuple[str, str]]:
    return {(g.principal, g.command) for g in parse_sudoers(text, "/etc/sudoers")}


def test_grants_of_docker_dockerd_and_all_to_non_root_principals():
    assert _grants(SUDOERS) == {
        ("%sudo", "ALL"),
        ("bob", "/usr/bin/docker *"),
        ("alice", "/usr/bin/docker"), ("alice", "/usr/sbin/dockerd"),
        ("%ops", "/usr/bin/docker"), ("%ops", "/usr/sbin/dockerd"),
        ("dave", "/usr/bin/docker ps"),
        ("fred", "/usr/local/bin/dock*"),
    }


def test_origin_is_the_first_line_of_a_continued_rule():
    origins = {g.principal: g.origin for g in parse_sudoers(SUDOERS, "/etc/sudoers")}
    assert origins["dave"] == "/etc/sudoers:10"
    assert origins["bob"] == "/etc/sudoers:7"


def test_runas_another_user_and_negated_commands_are_not_grants():
    assert not {p for p, _ in _grants(SUDOERS)} & {"carol", "erin", "root"}


def test_read_sudoers_skips_ignored_names_and_reports_unreadable_files(tmp_path, monkeypatch):
    (tmp_path / "sudoers").write_text("frank ALL=(ALL) ALL\n@includedir sudoers.d\n")  # relative to its file
    included = tmp_path / "sudoers.d"
    included.mkdir()
    (included / "docker").write_text("gina ALL=/usr/bin/docker\n")
    (included / "old.bak").write_text("hank ALL=ALL\n")  # sudo ignores names with a dot
    (included / "docker~").write_text("ivan ALL=ALL\n")  # and editor backups
    (included / "broken").mkdir()  # cannot be read as a file
    monkeypatch.setattr(_sudoers, "SUDOERS", str(tmp_path / "sudoers"))
    grants, unreadable = read_sudoers("", "", "vm")
    assert {(g.principal, g.command) for g in grants} == {("frank", "ALL"), ("gina", "/usr/bin/docker")}
    assert grants[1] == SudoGrant("gina", "/usr/bin/docker", f"{included}/docker:1")
    assert unreadable == (f"{included}/broken",)


@given(st.lists(st.sampled_from([*'ab %!,=:()\\#\n/"^$*[?\tALLdockerrootNOPASSWD_', "User_Alias A = ", "Cmnd_Alias C=",
                                  "Runas_Alias R=", "(#0)", "%#1", "bob ALL=", "sha256:x ", "\\\n"]),
                max_size=120).map("".join))
@example('bob ALL=""')  # a command that is only quotes
def test_never_raises_and_never_names_root(text):
    for grant in parse_sudoers(text, "fuzz"):
        assert grant.principal not in ("root", "#0")
        assert not grant.principal.startswith("!")


@pytest.mark.parametrize("name", RECORDED)
def test_the_users_sudo_itself_lets_run_docker_as_root(tmp_path, name):
    """Each row's answer is sudo's (recorded; tests/engine/test_sudoers_oracle.py asks sudo again)."""
    case, expected = RECORDED[name]
    plant(tmp_path, case, {"host": "labhost", "sha224": "sha224:" + "0" * 56, "sha512": "sha512:" + "0" * 128})
    assert audit_says(tmp_path, "labhost") == expected
