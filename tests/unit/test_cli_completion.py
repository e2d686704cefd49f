"""Shell completion, as a user gets it: the script `hostaudit --show-completion bash` prints is sourced in a real bash,
whose completion function is called the way bash calls it (COMP_WORDS, COMP_CWORD), and it runs the installed console
script to answer. The check ids it offers are compared with the catalog's."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from hostaudit import catalog

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="no bash on this machine")


def in_bash(command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `command` from a bash (not exec'd by it), the shell typer's detection then finds as its parent."""
    return subprocess.run([BASH, "--norc", "--noprofile", "-c", f"{command}; exit $?"], capture_output=True, text=True,
                          timeout=60, env=env)


@pytest.fixture(scope="module")
def script(tmp_path_factory) -> str:
    done = in_bash("hostaudit --show-completion")
    assert done.returncode == 0, done.stderr
    path = tmp_path_factory.mktemp("completion") / "hostaudit.bash"
    path.write_text(done.stdout)
    return str(path)


def complete(script: str, *words: str) -> list[str]:
    """What bash offers for the last of `words` (the command line typed so far, the last word being completed)."""
    program = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); '
               "_hostaudit_completion hostaudit; printf '%s\\n' \"${COMPREPLY[@]}\"")
    done = subprocess.run([BASH, "--norc", "--noprofile", "-c", program, "bash", script, "hostaudit", *words],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [line for line in done.stdout.splitlines() if line]


def ids(prefix: str) -> list[str]:
    return sorted(check_id for check_id in catalog.load() if check_id.startswith(prefix))


@pytest.mark.parametrize("prefix", ["container.priv", "kernel.cve_2022", "daemon.", ""])
def test_check_option_completes_check_ids(script, prefix):
    assert ids(prefix)  # the prefix names real checks: an empty answer cannot pass for a right one
    assert sorted(complete(script, "audit", "--facts", "f.json", "--check", prefix)) == ids(prefix)


@pytest.mark.parametrize("prefix", ["container.docker_s", "kernel."])
def test_checks_explain_completes_check_ids(script, prefix):
    assert sorted(complete(script, "checks", "explain", prefix)) == ids(prefix)


def test_an_unknown_prefix_completes_nothing(script):
    assert complete(script, "checks", "explain", "nosuch.") == []


def test_commands_and_choices_complete(script):
    assert complete(script, "ch") == ["checks"]
    assert set(complete(script, "checks", "")) == {"list", "explain"}
    assert complete(script, "audit", "--format", "s") == ["sarif"]
    assert complete(script, "audit", "--fail-on", "") == ["critical", "high", "medium", "low", "info"]


def test_install_completion_writes_a_script_bash_sources(tmp_path):
    """`--install-completion` from bash writes the script and has ~/.bashrc source it; a new bash then completes."""
    env = {"HOME": str(tmp_path), "PATH": os.environ["PATH"]}
    done = in_bash("hostaudit --install-completion", env)
    assert done.returncode == 0, done.stderr
    bashrc = (tmp_path / ".bashrc").read_text()
    assert "hostaudit" in bashrc
    program = ("source ~/.bashrc; COMP_WORDS=(hostaudit checks explain container.privileged_p); COMP_CWORD=3; "
               "_hostaudit_completion hostaudit; printf '%s\\n' \"${COMPREPLY[@]}\"")
    shown = subprocess.run([BASH, "--norc", "--noprofile", "-c", program], capture_output=True, text=True, timeout=60,
                           env=env)
    assert shown.stdout.split() == ids("container.privileged_p")
