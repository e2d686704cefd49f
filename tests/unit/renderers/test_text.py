"""The terminal report: hostile strings printed as plain text, a pod's containers together."""

from __future__ import annotations

from hostaudit.renderers import text

from .conftest import HOSTILE_NAME


def test_hostile_strings_are_printed_literally_without_control_characters(sample, golden):
    output = text.render(sample)
    assert "\x1b" not in output  # no ANSI from the label, and no colour when color=False
    assert HOSTILE_NAME in output
    assert "[/bold]" in output and "a note with <b>markup</b> and [/bold]" in output  # not read as markup
    golden("sample.txt", output)


def test_colour_output_still_strips_label_escapes(sample):
    output = text.render(sample, color=True)
    assert "\x1b[31mred" not in output and "[/bold]" in output


def test_a_pods_containers_are_listed_together(sample):
    rows = [line for line in text.render(sample).splitlines() if line.startswith("│")]
    subjects = [next((s for s in ("shop/risky/app", "shop/risky/(sandbox)", "web", HOSTILE_NAME) if s in row), None)
                for row in rows]
    pod_rows = [i for i, s in enumerate(subjects) if s and s.startswith("shop/risky")]
    assert len(pod_rows) == 2 and pod_rows[1] == pod_rows[0] + 1
    assert subjects.index(HOSTILE_NAME) < subjects.index("web") < pod_rows[0]  # worst groups first


def test_pods_show_their_pod_security_level_and_failing_controls(sample):
    out = text.render(sample)
    assert "1 of 2 pods not proven at the Pod Security Standards baseline" in out
    assert "shop/locked: baseline — restricted unproven: runAsNonRoot (web): not observable on a node" in out
    assert "shop/risky (Deployment risky): privileged — fails hostNamespaces (pod)" in out
    assert "shop/locked: baseline" in out
