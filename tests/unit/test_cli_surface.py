"""The command line kept its surface through typer -> argparse -> typer, and its usage errors stayed one line.

The oracle for the surface is `fixtures/cli_surface_typer_068f6fc.json`, recorded from the typer CLI of commit 068f6fc
(its click command tree: every command, option string, default, choice list, required and repeatable option); the
errors are run through the installed console script, as a user runs it."""

from __future__ import annotations

import json
import subprocess
from enum import Enum
from pathlib import Path

import pytest
import typer

import hostaudit
from hostaudit import cli
from tests.unit.conftest import SNAPSHOTS

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "cli_surface_typer_068f6fc.json").read_text())
FACTS = str(SNAPSHOTS / "lab" / "planted.json")
ADDED = {"audit": {"deadline"}, "collect": {"deadline"},  # options added since the recording (name per command)
         "": {"install_completion", "show_completion"}}
NEW_COMMANDS = {"watch", "install-watch"}  # commands added since the recording


def _plain(value: object) -> object:
    """A default as the recording wrote it: enum members and paths as their text."""
    return value.value if isinstance(value, Enum) else str(value) if isinstance(value, Path) else value


def _surface(command, path: tuple[str, ...] = ()) -> dict[str, dict]:
    """The click tree in the recorded shape: per command, its parameters (and subcommands)."""
    entry: dict = {"params": []}
    tree = {" ".join(path): entry}
    subcommands = getattr(command, "commands", None)
    if subcommands is not None:
        entry["subcommands"] = sorted(subcommands)
        for name, sub in subcommands.items():
            tree.update(_surface(sub, (*path, name)))
    for param in command.params:
        option = param.param_type_name == "option"
        entry_param = {"dest": param.name, "opts": sorted(param.opts) if option else [param.name],
                       "required": param.required, "flag": option and param.is_flag,
                       "repeatable": param.multiple or param.nargs == -1, "default": _plain(param.default)}
        choices = getattr(param.type, "choices", None)
        if choices:
            entry_param["choices"] = [_plain(choice) for choice in choices]
        entry["params"].append(entry_param)
    return tree


def test_every_command_option_default_and_choice_of_the_typer_cli_is_kept():
    ours = _surface(typer.main.get_command(cli.app))
    assert sorted(set(ours) - NEW_COMMANDS) == sorted(RECORDED)
    for command, recorded in RECORDED.items():
        subcommands = ours[command].get("subcommands")
        assert (subcommands and [c for c in subcommands if c not in NEW_COMMANDS]) == recorded.get("subcommands"), \
            command
        by_dest = {param["dest"]: param for param in ours[command]["params"]}
        added = ADDED.get(command, set())
        assert sorted(set(by_dest) - added) == sorted(param["dest"] for param in recorded["params"]), command
        for param in recorded["params"]:
            assert by_dest[param["dest"]] == param, (command, param["dest"])


def hostaudit_cmd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["hostaudit", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("args", "names"), [
    (["audit", "--format", "bogus"], "--format"), (["audit", "--fail-on", "HIGH"], "--fail-on"),
    (["audit", "--timeout", "0"], "--timeout"), (["audit", "--timeout", "nan"], "--timeout"),
    (["audit", "--timeout", "abc"], "--timeout"), (["audit", "--host-root", "/nonexistent"], "--host-root"),
    (["audit", "--host-root", "/etc/hostname"], "--host-root"), (["audit", "-f"], "-f/--format"),
    (["audit", "--bogus"], "--bogus"), (["audit", "--form", "json"], "--form"), (["nosuchcommand"], "nosuchcommand"),
    (["remediate"], "--from"), (["remediate", "--from", "r.json", "--restart-method", "reboot"], "--restart-method"),
    (["checks", "explain"], "CHECK_ID"), (["checks", "explain", "a", "b"], "b"),
    (["checks", "list", "--nope"], "--nope"),
    *[(["audit", "--facts", FACTS, "--timeout", value], "--timeout") for value in ("1e10", "nan", "inf", "-1", "0")],
    (["fleet", "a.json", "--html", "f.html", "--nope", "b.json"], "--nope"),
    *[(["watch", "--output-max-bytes", value], "--output-max-bytes") for value in ("0", "-1", "100")],
    (["watch", "--host-every", "0"], "--host-every"),
])
def test_a_usage_error_is_one_line_naming_the_argument_and_exit_2(args, names):
    """typer printed a Usage block, a hint and a boxed error (three lines and more) for these; a prefix such as
    `--form` is refused rather than guessed."""
    done = hostaudit_cmd(*args)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hostaudit: ") and names in lines[0], done.stderr
    assert "--help" in lines[0]  # where to look next


@pytest.mark.parametrize("args", [["audit", "--format", "x\x1b]52;c;Zm9v\x07\ny"],
                                  ["audit", "--facts", FACTS, "--check", "a\x1b[2J\nb"]])
def test_a_usage_error_shows_no_control_character_of_the_value(args):
    """The value is echoed back: an escape or a newline in it would act on the terminal or forge a second line."""
    done = hostaudit_cmd(*args)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "\x1b" not in done.stderr, done.stderr


@pytest.mark.parametrize(("args", "listed"), [([], "install-cron"), (["checks"], "explain")])
def test_no_command_prints_the_help_as_a_usage_error(args, listed):
    done = hostaudit_cmd(*args)
    assert done.returncode == 2 and done.stdout == "" and "COMMAND" in done.stderr and listed in done.stderr


def test_version_option_and_command_print_the_package_version():
    assert hostaudit_cmd("--version").stdout == f"{hostaudit.__version__}\n"
    assert hostaudit_cmd("version").stdout.splitlines()[0] == hostaudit.__version__


def test_fleet_takes_reports_before_and_after_options(tmp_path):
    """argparse matches a `*` positional once: reports after an option would be 'unrecognized' without run()'s fix."""
    reports = []
    for name in ("a", "b", "c"):
        path = tmp_path / f"{name}.json"
        done = hostaudit_cmd("audit", "--facts", FACTS, "--format", "json", "--output", str(path))
        assert done.returncode == 0, done.stderr
        reports.append(str(path))
    merged = tmp_path / "fleet.json"
    done = hostaudit_cmd("fleet", reports[0], "--json", str(merged), reports[1], "--html", str(tmp_path / "f.html"),
                         reports[2])
    assert done.returncode == 0, done.stderr
    assert json.loads(merged.read_text())["summary"]["hosts"] == 3


def test_options_reach_the_command(tmp_path):
    """A parsed value arrives where typer delivered it: --fail-on sets the exit code, --check narrows the run."""
    assert hostaudit_cmd("audit", "--facts", FACTS, "--fail-on", "critical").returncode == 1
    out = tmp_path / "r.json"
    done = hostaudit_cmd("audit", "--facts", FACTS, "-f", "json", "-o", str(out), "--check", "container.privileged",
                         "--check", "daemon.icc_enabled", "--fail-on", "info")
    assert done.returncode in (0, 1), done.stderr
    assert {f["check_id"] for f in json.loads(out.read_text())["findings"]} <= {"container.privileged",
                                                                                 "daemon.icc_enabled"}
