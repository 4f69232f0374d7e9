"""Dataset pages in a real headless Chromium against the real stack: sign in, upload a table and
a series through the upload page, see the dataset pages with their charts; screenshots of each
page at 1280 and 390 px."""

from __future__ import annotations

import pytest

from conftest import sample_path
from vur.tests.browser import ROOT, check_page, set_width, sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _drawn(selector: str):
    """A wait condition: every element matching `selector` has a drawn Plotly chart."""

    def ready(driver):
        return driver.execute_script(
            "var els = document.querySelectorAll(arguments[0]);"
            "return els.length > 0 && Array.prototype.every.call(els, function (e) {"
            "  return e.getAttribute('data-drawn') === '1' && e.querySelector('.main-svg'); });",
            selector,
        )

    return ready


def _upload(driver, base: str, filename: str, name: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/datasets/upload/")
    driver.find_element(By.ID, "id_file").send_keys(str(sample_path(filename)))
    driver.find_element(By.ID, "id_name").send_keys(name)
    driver.find_element(By.ID, "upload-submit").click()
    wait(driver).until(lambda d: d.current_url.rstrip("/").split("/")[-1].isdigit())
    wait(driver).until(lambda d: d.find_element(By.ID, "dataset-name").text == name)


def _refit(driver) -> bool:
    """Redraw every chart at the current width (Plotly resizes lazily); true once done."""
    return driver.execute_script(
        "if (window.__fitWidth !== innerWidth) {"
        " window.__fitWidth = innerWidth; window.__fitDone = false;"
        " Promise.all(Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".map(p => Plotly.Plots.resize(p))).then(() => { window.__fitDone = true; }); }"
        "return window.__fitDone === true;"
    )


# Tick labels of the column charts that reach past their chart's edge.
_CLIPPED_TICKS = (
    "const out = [];"
    "document.querySelectorAll('#column-stats [data-plot] .main-svg:first-of-type')"
    ".forEach(svg => { const box = svg.getBoundingClientRect();"
    " svg.querySelectorAll('.xtick text').forEach(t => { const r = t.getBoundingClientRect();"
    "  if (r.width && (r.bottom > box.bottom + 1 || r.left < box.left - 1"
    "      || r.right > box.right + 1)) out.push(t.textContent); }); });"
    "return out;"
)


def test_sign_in_upload_a_table_and_a_series_and_see_their_pages(
    live_stack, browser, owner, tmp_path
):
    from selenium.webdriver.common.by import By

    browser.get(live_stack + "/")
    wait(browser).until(lambda d: d.find_elements(By.ID, "id_username"))
    check_page(browser, "sign-in")
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    check_page(browser, "dashboard-empty")

    # The browser refuses a wrong file type before sending anything.
    browser.get(live_stack + "/datasets/upload/")
    browser.find_element(By.ID, "id_file").send_keys(str(ROOT / "README.md"))
    error = browser.find_element(By.ID, "file-error")
    wait(browser).until(lambda d: "not a supported file type" in error.text)
    check_page(browser, "dataset-upload")

    # A file the browser accepts but the server cannot use: the server's words, next to the file.
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b,c\n")
    browser.find_element(By.ID, "id_file").send_keys(str(empty))
    # A small file's size in bytes (6 bytes was shown as "1 KB").
    assert browser.find_element(By.ID, "file-chosen").text == "empty.csv (6 bytes)"
    browser.find_element(By.ID, "upload-submit").click()
    wait(browser).until(lambda d: "no data rows" in d.find_element(By.ID, "file-error").text)
    assert browser.current_url.endswith("/datasets/upload/")
    assert browser.find_element(By.ID, "id_file").get_attribute("aria-invalid") == "true"

    _upload(browser, live_stack, "credit_scoring.csv", "Credit applications")
    wait(browser).until(lambda d: d.find_elements(By.ID, "quality-score"))
    wait(browser).until(lambda d: d.find_elements(By.ID, "preview-table"))
    wait(browser, 120).until(_drawn("#column-stats [data-plot]"))
    assert browser.find_element(By.ID, "quality-score").text.endswith("%")
    # Category labels (rotated when long, as on a phone) stay inside their chart instead of
    # being cut off at its edge.
    for width in (1280, 390):
        set_width(browser, width)
        wait(browser).until(_refit)
        clipped = browser.execute_script(_CLIPPED_TICKS)
        assert clipped == [], (width, clipped)
    set_width(browser, 1280)
    browser.find_element(By.ID, "preview-next").click()
    wait(browser).until(lambda d: "Page 2 of" in d.find_element(By.ID, "preview-page").text)
    check_page(browser, "dataset-table", ready=_drawn("#column-stats [data-plot]"))

    _upload(browser, live_stack, "series_airpassengers.csv", "Air passengers")
    wait(browser, 120).until(_drawn(".series-chart"))
    facts = browser.find_element(By.ID, "series-facts").text
    assert "missing timestamp" in facts
    check_page(browser, "dataset-series", ready=_drawn(".series-chart"))

    browser.get(live_stack + "/datasets/")
    rows = browser.find_elements(By.CSS_SELECTOR, "#dataset-table tbody tr")
    assert [r.find_element(By.TAG_NAME, "a").text for r in rows] == [
        "Air passengers",
        "Credit applications",
    ]
    check_page(browser, "datasets")
    rows[1].find_element(By.TAG_NAME, "a").click()
    wait(browser).until(
        lambda d: d.find_element(By.ID, "dataset-name").text == "Credit applications"
    )

    browser.get(live_stack + "/")
    assert "Credit applications" in browser.find_element(By.ID, "datasets").text
    check_page(browser, "dashboard")
    browser.get(live_stack + "/datasets/999999/")
    assert browser.find_elements(By.ID, "not-found")
    check_page(browser, "not-found")


def test_a_value_that_is_not_a_number_is_named_on_the_dataset_page(
    live_stack, browser, owner, tmp_path
):
    """daily_sales.csv with `oops` in row 41: the column card, the checks, the quality report
    and the series chart name it, and the chart's text and legend count the same gaps."""
    from selenium.webdriver.common.by import By

    from datasets.tests.test_not_numbers import PHRASE, daily_sales_csv

    path = tmp_path / "daily_sales.csv"
    path.write_text(daily_sales_csv())
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(live_stack + "/datasets/upload/")
    browser.find_element(By.ID, "id_file").send_keys(str(path))
    browser.find_element(By.ID, "id_name").send_keys("Daily sales")
    browser.find_element(By.ID, "upload-submit").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "dataset-name"))
    wait(browser, 120).until(_drawn(".series-chart"))
    wait(browser, 120).until(lambda d: d.find_elements(By.ID, "quality-score"))
    wait(browser, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#checks li"))
    wait(browser, 120).until(lambda d: d.find_elements(By.ID, "not-numbers-1"))
    assert browser.find_element(By.ID, "not-numbers-1").text == PHRASE
    assert f"'sales' has {PHRASE}" in browser.find_element(By.ID, "series-facts").text
    assert "1 missing timestamp;" in browser.find_element(By.ID, "series-facts").text
    legend = browser.find_element(By.CSS_SELECTOR, ".series-chart .legend").text
    assert "gaps (1)" in legend and "no value (2)" in legend
    quality = browser.find_element(By.ID, "quality").text
    assert f"'sales' has {PHRASE}, 1.67% of rows; it is read as missing." in quality
    assert "'sales' has 1 missing value, 1.67% of rows." in quality  # the empty cell only
    checks = browser.find_element(By.ID, "checks").text
    assert f"Column 'sales' has {PHRASE}; it is read as missing." in checks
    check_page(browser, "dataset-not-a-number", ready=_drawn(".series-chart"))
