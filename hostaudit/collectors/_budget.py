"""The time budget of one collector: all its calls to one kind of server share it, so a server that answers each
call slowly (but within the per-call timeout) cannot make the audit last the count of calls times that timeout."""

from __future__ import annotations

import time

BUDGET_CALLS = 4  # a collector's calls together get the time of this many per-call timeouts


def deadline(timeout: float) -> float:
    """The time.monotonic() by which every call of a collector whose single calls get `timeout` seconds ends."""
    return time.monotonic() + BUDGET_CALLS * timeout


def budget_seconds(timeout: float) -> float:
    """The length of that budget, for messages."""
    return BUDGET_CALLS * timeout
