"""One module per output format, each with `render(report) -> str`."""

from __future__ import annotations

import importlib

from hostaudit.report import Report

FORMATS = ("text", "json", "html", "sarif", "junit", "csv", "prometheus")


def render(report: Report, fmt: str, **options: object) -> str:
    return importlib.import_module(f"hostaudit.renderers.{fmt}").render(report, **options)
