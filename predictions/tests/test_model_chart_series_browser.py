"""Browser test of the model page's history-and-forecast chart for a model with several series
(an id column), on the real stack (daphne and a Celery worker as processes, headless Chromium):
a labelled <select> chooses the series, and the chart redraws that series' history and its
forecast from the stored model, deployed or not. The model is fitted in this process."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from predictions.tests.test_live_panel_browser import deployed_two_series_forecaster
from vur.tests.browser import check_page, sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = 120  # generous: the machine may be busy


def traces(browser) -> dict:
    """The model chart's traces by name: {name: [x, y]}."""
    return browser.execute_script(
        "const out = {};"
        "for (const t of document.getElementById('forecast-chart').data || [])"
        " out[t.name] = [t.x, t.y];"
        "return out;"
    )


def test_the_model_chart_draws_the_series_chosen(live_stack, browser, owner):
    """The chart drew the first series only, with no way to see the others."""
    model, values = deployed_two_series_forecaster(owner, deploy=False)
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/models/{model.pk}/")
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "forecast-chart").get_attribute("data-drawn")
    )
    chart = browser.find_element(By.ID, "forecast-chart")
    assert chart.get_attribute("data-series") == "A"
    choice = browser.find_element(By.ID, "chart-series")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=chart-series]").text == "Series"
    assert [o.text for o in Select(choice).options] == ["A", "B"]
    assert Select(choice).first_selected_option.text == "A"
    lines = traces(browser)
    assert lines["history"][1] == pytest.approx(list(values["A"]))
    assert lines["forecast"][1][1:] == pytest.approx(list(values["A"][-7:]))

    # By keyboard: the chart moves to B, its history and its forecast (B's last week again).
    choice.send_keys(Keys.ARROW_DOWN)
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "forecast-chart").get_attribute("data-series") == "B"
    )
    lines = traces(browser)
    assert lines["history"][1] == pytest.approx(list(values["B"]))
    assert lines["history"][0][-1] == "2023-12-31T00:00:00"
    assert lines["forecast"][1][1:] == pytest.approx(list(values["B"][-7:]))
    assert lines["forecast"][0][1] == "2024-01-01T00:00:00"
    for level in ("80", "95"):
        lower, upper = lines[f"{level}% interval"][1][1:], lines[f"{level}% upper"][1][1:]
        assert all(lo <= v <= up for lo, v, up in zip(lower, values["B"][-7:], upper, strict=True))
    caption = browser.find_element(By.ID, "forecast-caption").text
    assert caption.startswith("The last 120 observations of series B, then the forecast")
    assert chart.get_attribute("aria-label") == (
        "History of sales of series B with the forecast and its 80% and 95% intervals"
    )
    assert browser.find_element(By.ID, "forecast-chart-error").get_attribute("hidden")
    check_page(browser, "model-chart-second-series")

    # And back to A.
    Select(choice).select_by_value("A")
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "forecast-chart").get_attribute("data-series") == "A"
    )
    assert traces(browser)["history"][1] == pytest.approx(list(values["A"]))


def test_a_series_whose_training_data_is_gone_says_so_where_the_chart_was(
    live_stack, browser, owner
):
    """The dataset's file deleted after the page was drawn: choosing another series answered a
    500 and the chart stayed on the first series; the sentence now takes the chart's place."""
    from django.core.files.storage import default_storage

    model, _ = deployed_two_series_forecaster(owner, deploy=False)
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/models/{model.pk}/")
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "forecast-chart").get_attribute("data-drawn")
    )
    default_storage.delete(model.pipeline.dataset.file.name)
    Select(browser.find_element(By.ID, "chart-series")).select_by_value("B")
    error = browser.find_element(By.ID, "forecast-chart-error")
    wait(browser, LONG).until(lambda d: error.text)
    assert error.text == (
        "The training data of this model is no longer there: the stored file of dataset "
        "'stores' is missing, so its history cannot be drawn."
    )
    assert not browser.find_element(By.ID, "forecast-chart").is_displayed()
    check_page(browser, "model-chart-training-data-gone")
