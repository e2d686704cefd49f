"""The unit suite's guard against auditing the live host, in its own process and in every Python subprocess.

tests/unit/conftest.py wraps `hostaudit.engine.collect` with `guarded` and puts this directory first on the
PYTHONPATH of the suite's subprocesses, where Python imports this file at startup as `sitecustomize`: it wraps
`collect` the same way as soon as something imports `hostaudit.engine`, so `hostaudit audit` without `--facts` (the
CLI, the nightly cron line) ends with exit code `LIVE_HOST_EXIT` and one line saying why, without reading the host.
A collection is allowed only through a fixture root (`host_root` other than /); in the test process, the
process table too is read only from a fixture root whose /proc is not this machine's. This file shadows Debian's own
`sitecustomize` (which only installs apport's exception hook) in those subprocesses.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import Any

LIVE_HOST_EXIT = 97
REFUSAL = ("hostaudit unit-test guard: refused to collect from the live host (host_root /); a unit test evaluates "
           "a recorded snapshot (--facts) or collects through a fixture root (host_root)")


class LiveHostCollect(AssertionError):
    """A unit test tried to collect facts from the machine it runs on."""


def guarded(function: Callable[..., Any], reads_live_host: Callable[..., bool],
            refuse: Callable[[], Any]) -> Callable[..., Any]:
    """`function` that calls `refuse()` instead, when `reads_live_host(*its arguments)`."""

    @functools.wraps(function)
    def refusing(*args: Any, **kwargs: Any) -> Any:
        if reads_live_host(*args, **kwargs):
            return refuse()
        return function(*args, **kwargs)

    return refusing


def live_root(ctx: Any, *_args: Any, **_kwargs: Any) -> bool:
    """Whether a collection context reads this machine: its host root is / (no fixture root)."""
    return os.path.realpath(getattr(ctx, "host_root", None) or "/") == "/"


def _exit() -> None:
    print(REFUSAL, file=sys.stderr, flush=True)
    os._exit(LIVE_HOST_EXIT)  # no handler of the program under test may turn this into another outcome


class _GuardEngine(MetaPathFinder):
    """Wraps `hostaudit.engine.collect` right after the module is executed."""

    def find_spec(self, fullname: str, path: Any, target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname != "hostaudit.engine":
            return None
        spec = PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader: Loader = spec.loader
        execute = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            module.collect = guarded(module.collect, live_root, _exit)  # type: ignore[attr-defined]

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if __name__ == "sitecustomize":
    sys.meta_path.insert(0, _GuardEngine())
