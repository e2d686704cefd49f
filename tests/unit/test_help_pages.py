"""`hostaudit [COMMAND ...] --help` prints, without loading typer, exactly what typer prints: the oracle is typer's own
rendering (the CLI's `run`, in a process of its own), for every command its help lists, in the terminals the stored
pages are for and in those they are not (narrower, a completion switch)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

import pytest

CONSOLE = [sys.executable, "-m", "hostaudit"]
TYPER = [sys.executable, "-c", "import sys; from hostaudit.cli import run; sys.exit(run(sys.argv[1:]))"]
REGENERATE = "stale: run python scripts/render_help.py"


def printed(command: list[str], words: list[str], **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")} | env
    done = subprocess.run([*command, *words, "--help"], capture_output=True, text=True, timeout=60, env=environ)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def commands_listed(words: list[str]) -> list[list[str]]:
    """Every command under `words`, as typer's help lists it in its "Commands:" section, recursively."""
    found = [words]
    page = printed(TYPER, words)
    if "\nCommands:\n" in page:
        listing = page.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
        for line in listing.splitlines():
            found += commands_listed([*words, line.split()[0]])
    return found


COMMANDS = commands_listed([])


def test_the_listing_is_read():
    assert ["audit"] in COMMANDS and ["checks", "explain"] in COMMANDS and len(COMMANDS) >= 12


@pytest.mark.parametrize("words", COMMANDS, ids=lambda words: " ".join(words) or "hostaudit")
def test_each_page_is_what_typer_prints(words):
    assert printed(CONSOLE, words) == printed(TYPER, words), REGENERATE
    assert printed(CONSOLE, words, COLUMNS="200") == printed(TYPER, words, COLUMNS="200"), REGENERATE


@pytest.mark.parametrize(("env", "words"), [
    ({"COLUMNS": "60"}, []), ({"COLUMNS": "60"}, ["audit"]), ({"COLUMNS": "79"}, ["audit"]),
    ({"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}, []),  # the completion options name the shells
])
def test_where_typer_prints_otherwise_typer_answers(env, words):
    assert printed(CONSOLE, words, **env) == printed(TYPER, words, **env) != printed(TYPER, words)


def in_terminal(command: list[str], columns: int) -> bytes:
    """What `command audit --help` writes to a terminal `columns` wide (a pty whose window size is set)."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    process = subprocess.Popen([*command, "audit", "--help"], stdout=terminal, stderr=subprocess.DEVNULL, env=environ)
    os.close(terminal)
    out = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0
    return out


@pytest.mark.parametrize("columns", [60, 80, 132])
def test_in_a_real_terminal_of_any_width_the_page_is_typers(columns):
    assert in_terminal(CONSOLE, columns) == in_terminal(TYPER, columns)
