"""Report values in the playbook are data for Ansible, never templates.

A report is another host's file, and what it names may come from an unprivileged user (a process's argv, a socket
path). Every such string enters `fix.yml` as `Unsafe`, which the YAML serializer writes with Ansible's `!unsafe` tag
(Ansible then never renders `{{ }}` or `{% %}` in it), and a path is first checked by `path_problem`.
"""

from __future__ import annotations

import json
import os
import unicodedata
from typing import Any

import yaml

MAX_PATH = 4096
SHOWN_CHARS = 120  # how much of a refused value a message shows
TEMPLATE_MARKERS = ("{{", "{%", "{#", "}}", "%}", "#}")
# control, format (bidi overrides), line and paragraph separators: none belongs in a path an operator reads
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


class Unsafe(str):
    """A string from a report: written as `!unsafe`, so Ansible never templates it."""


class PlaybookDumper(yaml.SafeDumper):
    """yaml.SafeDumper that writes `Unsafe` strings with Ansible's `!unsafe` tag."""


PlaybookDumper.add_representer(Unsafe, lambda dumper, data: dumper.represent_scalar("!unsafe", str(data)))


class PlaybookLoader(yaml.SafeLoader):
    """yaml.SafeLoader that reads `!unsafe` strings (as `Unsafe`), for readers of a generated playbook."""


PlaybookLoader.add_constructor("!unsafe", lambda loader, node: Unsafe(loader.construct_scalar(node)))


def load_playbook(text: str) -> Any:
    """A playbook `hostaudit remediate` wrote, as data (its `!unsafe` strings as `Unsafe`)."""
    return yaml.load(text, Loader=PlaybookLoader)


def path_problem(value: Any) -> str | None:
    """Why `value` is not a plain, absolute, normalised path of bounded length without template or control
    characters; None when it is one."""
    if not isinstance(value, str):
        return f"not a string (a JSON {type(value).__name__})"
    if len(value) > MAX_PATH:
        return f"longer than {MAX_PATH} characters"
    if not value.startswith("/"):
        return "not an absolute path"
    if any(unicodedata.category(c) in REFUSED_CATEGORIES for c in value):
        return "contains control or formatting characters"
    if any(marker in value for marker in TEMPLATE_MARKERS):
        return "contains template characters"
    if os.path.normpath(value) != value or value.startswith("//"):
        return f"not normalised (as {shown(os.path.normpath(value))})"
    return None


def shown(value: Any) -> str:
    """`value` for one line of a message or a YAML comment: JSON-quoted, ASCII only, at most SHOWN_CHARS long."""
    text = value if isinstance(value, str) else repr(value)
    cut = text[:SHOWN_CHARS]
    return json.dumps(cut, ensure_ascii=True) + ("..." if len(text) > len(cut) else "")
