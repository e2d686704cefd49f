"""The HTML report in a real headless Chromium (Debian's chromium + chromium-driver, driven by selenium):
the summary renders, the filters work, and hostile names stay text (no alert, no injected element)."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from hostaudit.renderers import html

from .conftest import HOSTILE_NAME

webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="Debian chromium and chromium-driver needed")
SCREENSHOT = os.environ.get("HOSTAUDIT_SCREENSHOT")  # set to a .png path to keep a picture of the page


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ha-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                 "--window-size=1300,1400"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def page(browser, sample, tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(html.render(sample), encoding="utf-8")
    browser.get(path.as_uri())
    if SCREENSHOT:
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1300, height)
        browser.save_screenshot(SCREENSHOT)
        browser.set_window_size(1300, 1400)
    return browser


def by_css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def visible_rows(driver) -> list:
    return [row for row in by_css(driver, "tr.finding") if row.is_displayed()]


def choose(driver, select_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(by_css(driver, f"#{select_id}")[0]).select_by_value(value)


def open_details(driver, details, built, what: str):
    """Click the summary of `details` and wait, at most 5 s, until `built(driver)` is truthy (returned): the details
    element's toggle event, whose handler builds the content, fires asynchronously after the click."""
    from selenium.webdriver.support.ui import WebDriverWait

    details.find_element("css selector", "summary").click()
    return WebDriverWait(driver, 5).until(built, message=f"opened details never showed {what} within 5 s")


def test_summary_renders(page):
    assert by_css(page, "#escape-verdict .big")[0].text == "2 of 6"
    bars = by_css(page, "svg.chart rect")
    assert len(bars) == 5 and bars[0].size["width"] > bars[3].size["width"] > 0
    assert "lab-host" in by_css(page, "table.facts")[0].text


def test_hostile_name_is_text(page):
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert  # noqa: B018 - raises when no alert() ran
    assert len(by_css(page, "script")) == 2 and by_css(page, "img") == []  # the JSON data and our script
    names = {row.find_element("css selector", "div.muted").text.rsplit(" · ", 1)[-1]
             for row in visible_rows(page) if row.get_attribute("data-subject") == f"docker:{HOSTILE_NAME}"}
    assert names == {HOSTILE_NAME}  # rendered from the JSON data as text
    headings = [h.text for h in by_css(page, "#escapes h3")]
    assert any(h.startswith(HOSTILE_NAME) for h in headings)
    assert page.title == "hostaudit: lab-host"


def test_filters_select_rows(page):
    assert len(visible_rows(page)) == 5  # default: failing only (not waived)
    assert {row.get_attribute("data-status") for row in visible_rows(page)} == {"fail"}
    choose(page, "f-status", "")
    assert len(visible_rows(page)) == 10
    choose(page, "f-severity", "4")
    assert {row.get_attribute("data-rank") for row in visible_rows(page)} == {"4"}
    choose(page, "f-severity", "0")
    choose(page, "f-subject", f"docker:{HOSTILE_NAME}")
    assert {row.get_attribute("data-subject") for row in visible_rows(page)} == {f"docker:{HOSTILE_NAME}"}
    shown_groups = [g.get_attribute("data-group") for g in by_css(page, "section.group")]
    assert shown_groups == [f"docker:{HOSTILE_NAME}"]
    choose(page, "f-subject", "")
    search = by_css(page, "#f-text")[0]
    search.send_keys("/etc/docker/daemon.json")
    rows = visible_rows(page)
    assert [row.get_attribute("data-subject") for row in rows] == ["daemon"]
    assert by_css(page, "#f-count")[0].text.startswith("1 of 10")
    search.send_keys(" nothing matches this")
    assert visible_rows(page) == [] and by_css(page, "#no-match")[0].is_displayed()
    search.clear()


def test_details_are_built_when_opened(page):
    choose(page, "f-status", "fail")
    first = visible_rows(page)[0]
    details = first.find_element("css selector", "details")
    assert details.find_elements("css selector", "p") == []  # not in the page until opened
    remediation = "Remediation: How to fix daemon.config_invalid."  # the daemon group comes first
    open_details(page, details, lambda _: remediation in details.text, repr(remediation))
    assert len(details.find_elements("css selector", "p")) == 2  # rationale and remediation: built once
    choose(page, "f-status", "")


def test_passing_results_are_counted_per_check(page):
    rows = by_css(page, "tr.passed-check")
    assert {row.get_attribute("data-check") for row in rows} == {"container.host_pid", "daemon.icc_enabled"}
    host_pid = next(row for row in rows if row.get_attribute("data-check") == "container.host_pid")
    assert "1 of 1" in host_pid.text and HOSTILE_NAME not in host_pid.text
    listed = open_details(page, host_pid, lambda _: host_pid.find_elements("css selector", "ul.passed-subjects"),
                          "the list of passing subjects")
    assert HOSTILE_NAME in listed[0].text


def test_header_says_how_old_the_cve_data_is(page):
    """The sample was collected 2026-11-23 with CVE data from 2026-08-01: 114 days (31 + 30 + 31 + 22)."""
    shown = by_css(page, "header #cve-data")
    assert len(shown) == 1 and shown[0].is_displayed()
    assert shown[0].text == "CVE data from 2026-08-01, 114 days old: update hostaudit"
