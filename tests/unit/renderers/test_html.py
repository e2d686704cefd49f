"""The HTML report's structure, read with the standard library's HTML parser: escaped, self-contained, complete."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from hostaudit import engine
from hostaudit.renderers import html
from tests.unit.conftest import load

from .conftest import FORMULA_NAME, HOSTILE_IMAGE, HOSTILE_NAME


class Page(HTMLParser):
    """Elements with their attributes, and the text of the page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]


@pytest.fixture(scope="module")
def rendered(sample) -> str:
    return html.render(sample)


def test_hostile_strings_are_text_not_markup(rendered):
    page = Page(rendered)
    assert len(page.tags("script")) == 1  # ours, inlined
    assert page.tags("img") == []
    assert not any(key.startswith("on") for _, attrs in page.elements for key in attrs)
    text = "".join(page.text)
    assert HOSTILE_NAME in text and HOSTILE_IMAGE in text
    assert "\x1b" not in rendered and "\\x1b" not in text  # evidence JSON shows \u001b, names show \x1b
    subjects = {attrs.get("data-subject") for attrs in page.tags("tr")} - {None}
    assert f"docker:{HOSTILE_NAME}" in subjects  # data-* attributes round-trip exactly


def test_page_is_self_contained(rendered):
    page = Page(rendered)
    assert page.tags("link") == [] and page.tags("iframe") == []
    assert not [attrs for _, attrs in page.elements if attrs.get("src") or attrs.get("href")]
    assert not re.search(r"url\(|@import|https?://(?!json-schema)", rendered)
    csp = next(m["content"] for m in page.tags("meta") if m.get("http-equiv") == "Content-Security-Policy")
    assert csp.startswith("default-src 'none'") and "unsafe-inline" not in csp


def test_summary_comes_first_and_is_complete(rendered, sample):
    page = Page(rendered)
    ids = [attrs.get("id") for _, attrs in page.elements if attrs.get("id")]
    assert ids.index("summary") < ids.index("escapes") < ids.index("findings")
    text = " ".join(" ".join(page.text).split())
    assert "2 of 6 containers (in 2 pods) can escape to the host" in text
    for value in ("lab-host", "6.1.0-18-amd64", "20.10.24+dfsg1", "1.6.20~ds1", "1.1.5+ds1"):
        assert value in text
    bars = {attrs["class"].split()[-1]: attrs["width"] for attrs in page.tags("rect")}
    assert set(bars) == {"sev-critical", "sev-high", "sev-medium", "sev-low", "sev-info"}
    assert int(bars["sev-critical"]) > int(bars["sev-low"]) > int(bars["sev-medium"])
    assert "files: permission denied on /etc/docker" in text  # failed collector shown
    assert "a note with <b>markup</b> and [/bold]" in text
    assert "1 defence(s) removed" in text  # weakening paths are folded under their container


def test_findings_grouped_by_container_and_pod(rendered, sample):
    page = Page(rendered)
    groups = [attrs["data-group"] for attrs in page.tags("section") if attrs.get("data-group")]
    assert groups[:2] == ["host", "daemon"]
    assert "pod:shop/risky" in groups and "pod:shop/locked" in groups
    assert "k8s:shop/risky/app" not in groups  # the pod's containers sit inside the pod's group
    rows = page.tags("tr")
    assert {"data-subject": f"docker:{FORMULA_NAME}", "data-status": "waived"}.items() <= next(
        r for r in rows if r.get("data-status") == "waived").items()
    assert len([r for r in rows if r.get("data-status")]) == len(sample.findings)


def test_lab_report_renders_every_finding():
    report = engine.audit(load("lab/planted.json"))
    page = Page(html.render(report))
    assert len([r for r in page.tags("tr") if r.get("data-status")]) == len(report.findings)


def test_pods_table_shows_level_and_controls(rendered):
    section = rendered.split('<section id="pods">', 1)[1].split("</section>", 1)[0]
    assert '<span class="badge pss-privileged">privileged</span>' in section
    assert "fail: host_namespaces (pod): sandbox pid namespace: host" in section
    assert "&lt;script&gt;" in section and "<script>" not in section  # a hostile host path stays text
