"""The fleet HTML of a thousand hosts in a real headless Chromium: pages and filters show the hosts and checks the
reports say (known by how the reports were made), and hostile names stay text."""

from __future__ import annotations

import json

import pytest

from hostaudit import fleet

from .test_html_browser import CHROMIUM, DRIVER, browser, by_css, choose, open_details  # noqa: F401 - a fixture

pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="Debian chromium and chromium-driver needed")
HOSTS = 1000
HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)>\u202eevil\x1b[31m"
CHECKS = {"container.privileged": "critical", "kernel.cve_x": "high", "daemon.icc_enabled": "medium",
          "host.note": "info"}


def planted(index: int) -> dict[str, str]:
    """Host `index`'s result per check: privileged fails on every 10th, the kernel is unknown on every 7th, ICC
    fails on every other host."""
    return {"container.privileged": "fail" if index % 10 == 0 else "pass",
            "kernel.cve_x": "unknown" if index % 7 == 0 else "pass",
            "daemon.icc_enabled": "fail" if index % 2 == 0 else "pass", "host.note": "pass"}


def host_report(hostname: str, results: dict[str, str], escapable: str | None = None) -> dict:
    return {
        "report_version": 2, "host": {"hostname": hostname, "docker": "20.10", "kernel": "6.1"},
        "collected_at": "2026-11-28T00:00:00", "containers": [],
        "checks": {c: {"title": f"Title of {c}", "severity": sev} for c, sev in CHECKS.items()},
        "findings": [{"check_id": c, "subject": {"key": "host", "kind": "host", "name": "host"}, "status": status}
                     for c, status in results.items()],
        "escapes": [] if escapable is None else [{"subject": {"key": f"docker:{escapable}", "kind": "container",
                                                              "name": escapable}, "verdict": "escapable",
                                                  "paths": [{"technique": escapable}]}],
    }


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):  # noqa: F811 - the fixture imported above
    folder = tmp_path_factory.mktemp("fleet")
    paths = []
    for index in range(HOSTS):
        paths.append(folder / f"node-{index:04d}.json")
        paths[-1].write_text(json.dumps(host_report(f"node-{index:04d}", planted(index))))
    paths.append(folder / "hostile.json")
    paths[-1].write_text(json.dumps(host_report(HOSTILE, {c: "fail" for c in CHECKS}, escapable=HOSTILE)))
    for index in range(3):
        paths.append(folder / f"broken-{index}.json")
        paths[-1].write_text("{not json")
    path = folder / "fleet.html"
    path.write_text(fleet.render_html(fleet.merge(paths)), encoding="utf-8")
    browser.get(path.as_uri())
    return browser


def rows(driver) -> list[str]:
    return [row.find_element("css selector", "th").text for row in by_css(driver, "#matrix tr.host-row")]


def columns(driver) -> list[str]:
    return [th.text for th in by_css(driver, "#matrix thead th.check")]


def every_page(driver) -> list[str]:
    """The host names of every page of the current selection, paging with the buttons."""
    shown = rows(driver)
    while by_css(driver, "#next")[0].is_enabled():
        by_css(driver, "#next")[0].click()
        shown += rows(driver)
    return shown


def reset(driver) -> None:
    by_css(driver, "#f-host")[0].clear()
    choose(driver, "f-check", "")
    choose(driver, "f-severity", "0")
    choose(driver, "f-status", "fail")


def test_default_shows_failing_hosts_a_page_at_a_time_unreadable_ones_first(page):
    reset(page)
    failing = {f"node-{i:04d}" for i in range(HOSTS) if "fail" in planted(i).values()}
    first = rows(page)
    assert len(first) == 50 and first[:3] == ["broken-0", "broken-1", "broken-2"]
    count = by_css(page, "#f-count")[0].text
    assert count.startswith(f"hosts 1\u201350 of {len(failing) + 4} ({HOSTS + 4} in the fleet)")
    assert by_css(page, "#prev")[0].is_enabled() is False
    shown = every_page(page)
    assert len(shown) == len(set(shown)) == len(failing) + 4
    others = set(shown) - {"broken-0", "broken-1", "broken-2"} - failing
    assert failing < set(shown) and len(others) == 1 and next(iter(others)).startswith("</script>")
    assert set(columns(page)) == set(CHECKS)  # the hostile host fails every check


def test_filters_by_check_severity_status_and_host(page):
    reset(page)
    choose(page, "f-check", "container.privileged")
    assert columns(page) == ["container.privileged"]
    expected = {f"node-{i:04d}" for i in range(HOSTS) if i % 10 == 0}
    shown = every_page(page)
    assert len(shown) == len(expected) + 4 and expected < set(shown)
    reset(page)
    choose(page, "f-status", "unknown")
    choose(page, "f-severity", "4")  # high and worse
    assert columns(page) == ["kernel.cve_x"]
    shown = every_page(page)
    assert set(shown) == {f"node-{i:04d}" for i in range(HOSTS) if i % 7 == 0} | {f"broken-{i}" for i in range(3)}
    assert {td.text for td in by_css(page, "#matrix tr.host-row td")} == {"?"}  # every shown cell is unknown
    reset(page)
    choose(page, "f-status", "any")
    by_css(page, "#f-host")[0].send_keys("node-0999")
    assert rows(page) == ["node-0999"]
    assert [td.get_attribute("class") for td in by_css(page, "#matrix tr.host-row td")] == [
        planted(999)[c] for c in columns(page)]
    reset(page)
    choose(page, "f-status", "not_audited")
    assert rows(page) == ["broken-0", "broken-1", "broken-2"]
    assert "not audited: broken-0.json: not JSON" in by_css(page, "#hosts tbody")[0].text


def test_hostile_host_name_is_text(page):
    from selenium.common.exceptions import NoAlertPresentException

    reset(page)
    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert  # noqa: B018 - raises when no alert() ran
    assert len(by_css(page, "script")) == 2 and by_css(page, "img") == []  # the JSON data and our script
    by_css(page, "#f-host")[0].send_keys("evil")
    (name,) = rows(page)
    assert name.startswith("</script><script>alert(1)</script><img src=x onerror=alert(2)>")
    assert "<U+202E>evil\\x1b[31m" in name and "\u202e" not in name and "\x1b" not in name
    details = by_css(page, "#hosts details")[0]
    injected = "<img src=x onerror=alert(2)>"
    open_details(page, details, lambda _: injected in details.text, "the escapable containers")
    assert by_css(page, "img") == []
