"""The HTML report's structure, read with the standard library's HTML parser: escaped, self-contained, complete."""

from __future__ import annotations

import dataclasses
import json
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


def embedded(text: str) -> dict:
    """The findings data the page's script renders, read as a browser would (JSON.parse of the element's text)."""
    found = re.search(r'<script type="application/json" id="report-data">([^<]*)</script>', text)
    assert found, "no report-data element, or a '<' inside it"
    return json.loads(found.group(1))


def test_hostile_strings_are_text_not_markup(rendered):
    page = Page(rendered)
    assert len(page.tags("script")) == 2  # the JSON data and our script
    assert page.tags("img") == []
    assert not any(key.startswith("on") for _, attrs in page.elements for key in attrs)
    text = "".join(page.text)
    assert HOSTILE_NAME in text
    assert "\x1b" not in rendered  # control characters are shown as \x1b text
    data = embedded(rendered)
    assert any(HOSTILE_IMAGE in group["subtitle"] for group in data["groups"])
    subjects = {key: name for key, name, _ in data["subjects"]}
    assert subjects[f"docker:{HOSTILE_NAME}"] == HOSTILE_NAME  # the data round-trips exactly
    assert "\\x1b[31mred" in json.dumps(data["evidence"])


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
    data = embedded(rendered)
    groups = [group["key"] for group in data["groups"]]
    assert groups[:2] == ["host", "daemon"]
    assert "pod:shop/risky" in groups and "pod:shop/locked" in groups
    assert "k8s:shop/risky/app" not in groups  # the pod's containers sit inside the pod's group
    subjects = {key: groups[group] for key, _, group in data["subjects"]}
    assert subjects["k8s:shop/risky/app"] == subjects["k8s:shop/risky/(sandbox)"] == "pod:shop/risky"
    waived = [f for f in data["findings"] if f[2] == "waived"]
    assert [(data["subjects"][f[1]][0], f[5]) for f in waived] == [(f"docker:{FORMULA_NAME}",
                                                                    "legacy image, replaced in Q3")]
    assert len(data["findings"]) == len(sample.findings)


def test_lab_report_carries_every_finding_once_and_check_text_once():
    report = engine.audit(load("lab/planted.json"))
    text = html.render(report)
    data = embedded(text)
    assert len(data["findings"]) == len(report.findings)
    assert sorted(data["checks"]) == sorted({f.check_id for f in report.findings})
    assert {len(row) for row in data["findings"]} == {7}  # no check text per finding
    for row in data["findings"]:
        finding = next(f for f in report.findings
                       if f.check_id == row[0] and f.subject.key == data["subjects"][row[1]][0])
        assert data["evidence"][row[3]] == json.loads(json.dumps(finding.evidence, default=list))


def test_a_hundred_containers_fit_in_one_megabyte():
    """The recorded lab's Docker containers cloned (their /proc view too) until the host has 100 or more."""
    snapshot = load("lab/planted.json")
    clones, runtime = list(snapshot.containers), dict(snapshot.runtime)
    copy = 0
    while len(clones) + len(snapshot.all_containers) - len(snapshot.containers) < 100:
        copy += 1
        for container in snapshot.containers:
            clone = dataclasses.replace(container, key=f"{container.key}-{copy}", name=f"{container.name}-{copy}",
                                        id=f"{container.id[:-4]}{copy:04d}")
            clones.append(clone)
            if container.key in snapshot.runtime:
                runtime[clone.key] = snapshot.runtime[container.key]
    report = engine.audit(dataclasses.replace(snapshot, containers=tuple(clones), runtime=runtime))
    assert len(report.containers) >= 100
    size = len(html.render(report).encode())
    assert size <= 1_000_000 * len(report.containers) / 100, f"{size} bytes for {len(report.containers)} containers"


def test_pods_table_shows_level_and_controls(rendered):
    section = rendered.split('<section id="pods">', 1)[1].split("</section>", 1)[0]
    assert '<span class="badge pss-privileged">privileged</span>' in section
    assert "fail: hostNamespaces (pod): sandbox shares the host&#39;s pid namespace" in section
    assert "restricted unproven" in section  # every control, pass ones too, per pod
    assert "<td><code>capabilities_baseline</code></td><td>baseline</td><td>web</td><td>pass</td>" in section
    assert "&lt;script&gt;" in section and "<script>" not in section  # a hostile host path stays text
