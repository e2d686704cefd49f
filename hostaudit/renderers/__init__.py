"""One module per output format, each with `render(report) -> str` (and `chunks(report)` where the text is large)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from hostaudit.report import Report


def render(report: Report, fmt: str, **options: object) -> str:
    return importlib.import_module(f"hostaudit.renderers.{fmt}").render(report, **options)


def render_stream(report: Report, fmt: str, **options: object) -> Iterable[str]:
    """The same text as `render`, in pieces when the format can stream (JSON at thousands of containers)."""
    module = importlib.import_module(f"hostaudit.renderers.{fmt}")
    streaming = getattr(module, "chunks", None)
    return streaming(report, **options) if streaming else [module.render(report, **options)]
