"""`--version` and a usage error load only the parser (typer, with the click it vendors), and `--help` not even that
(its pages are stored; tests/unit/test_help_pages.py holds them equal to typer's): what `python -m hostaudit` imports
is read from the interpreter's own import log (`-X importtime`), not timed, so the test holds on a loaded machine."""

from __future__ import annotations

import subprocess
import sys

import pytest

# another parser (typer vendors its click), validation, terminal rendering, engine clients, and the parts that only a
# command needs
HEAVY = ("click", "pydantic", "rich", "docker", "grpc", "jinja2", "psutil", "yaml", "kubernetes",
         "hostaudit.collectors", "hostaudit.renderers", "hostaudit.checks", "hostaudit.catalog", "hostaudit.model",
         "hostaudit.engine", "hostaudit.fleet", "hostaudit.remediation")


def imported(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run `python -m hostaudit ARGS` and return it with every module it imported (as -X importtime logs them)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "hostaudit", *args], capture_output=True,
                          text=True, timeout=60)
    names = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done, names


def heavy(names: set[str]) -> list[str]:
    return sorted(name for name in names if any(name == h or name.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize(("args", "code"), [
    (["--help"], 0), (["--version"], 0), ([], 2), (["audit", "--help"], 0), (["checks", "explain", "--help"], 0),
    (["audit", "--format", "bogus"], 2), (["audit", "--host-root", "/nonexistent"], 2), (["nosuchcommand"], 2),
])
def test_parsing_alone_imports_nothing_heavy(args, code):
    done, names = imported(*args)
    assert done.returncode == code, done.stderr[-2000:]
    assert "hostaudit.console" in names  # the log is read: the entry point itself is in it
    assert heavy(names) == []
    if args[-1:] == ["--help"]:
        assert not {"typer", "hostaudit.cli"} & names


def test_a_command_does_import_what_it_needs():
    """The oracle above can fail: an audit of a saved snapshot loads the catalog, the checks and a renderer."""
    from tests.unit.conftest import SNAPSHOTS

    done, names = imported("audit", "--facts", str(SNAPSHOTS / "lab" / "planted.json"), "--format", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"hostaudit.catalog", "hostaudit.renderers", "hostaudit.engine"} <= set(heavy(names))
    assert "typer" in names and not {"click", "pydantic"} & names
