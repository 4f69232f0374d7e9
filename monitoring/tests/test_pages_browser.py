"""Browser test of the monitoring pages on the real stack: open alerts are listed and acknowledged
from the page; a model's page shows its traffic and runs a drift check."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from vur.tests.browser import check_page, set_width, sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = 120


def test_monitoring_lists_and_acknowledges_an_alert(live_stack, browser, owner, deployed_model):
    from monitoring.models import Alert
    from monitoring.services import alert_raise
    from predictions.services import predict_rows

    deployed_model.is_deployed = True
    deployed_model.save(update_fields=["is_deployed"])
    row = {
        c["name"]: v
        for c, v in zip(
            deployed_model.input_schema["columns"],
            ["Torgersen", 39.1, 18.7, 181.0, 3750.0, "male", 2007],
            strict=False,
        )
    }
    predict_rows(user=owner, model=deployed_model, data=[row] * 5)
    alert = alert_raise(
        owner_id=owner.pk,
        kind="error_rate",
        subject=f"model:{deployed_model.pk}",
        message="Error rate 12% over the last hour (threshold 5%).",
        model=deployed_model,
    )
    assert alert is not None

    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/monitoring/")
    row_css = f'#alerts-list li[data-alert-id="{alert.pk}"]'
    wait(browser, LONG).until(ec.presence_of_element_located((By.CSS_SELECTOR, row_css)))
    assert "Error rate 12%" in browser.find_element(By.CSS_SELECTOR, row_css).text
    # The kind in words, as the dashboard writes it ("Error rate", not "error_rate").
    assert browser.find_element(By.CSS_SELECTOR, f"{row_css} .alert-kind").text == "Error rate"
    # The alert names its model by rank, algorithm and pipeline, linked to its monitoring page.
    link = browser.find_element(By.CSS_SELECTOR, f"{row_css} a.alert-model")
    assert link.text == f"#{deployed_model.rank} Random forest of pipeline p"
    assert link.get_attribute("href").endswith(f"/monitoring/models/{deployed_model.pk}/")
    check_page(browser, "monitoring")
    browser.find_element(By.CSS_SELECTOR, f"{row_css} button").click()
    wait(browser, LONG).until(ec.presence_of_element_located((By.ID, "alerts-none")))
    alert.refresh_from_db()
    assert alert.acknowledged

    browser.get(f"{live_stack}/monitoring/models/{deployed_model.pk}/")
    wait(browser, LONG).until(lambda d: d.find_element(By.ID, "kpi-count").text not in ("", "–"))
    assert int(browser.find_element(By.ID, "kpi-count").text) >= 5
    browser.find_element(By.ID, "drift-run").click()
    wait(browser, LONG).until(
        lambda d: (
            d.find_elements(By.ID, "drift-verdict")
            or not d.find_element(By.ID, "drift-error").get_attribute("hidden")
        )
    )
    check_page(browser, "monitoring-model")
    # Five predictions are too few to test: the page says so instead of a green "stable".
    verdict = browser.find_element(By.ID, "drift-verdict").text
    assert "not enough data" in verdict and "no drift" not in verdict
    assert "features compared" not in verdict
    untested = browser.find_elements(
        By.CSS_SELECTOR, '#drift-table tr[data-status="insufficient_data"]'
    )
    assert untested and "not enough recent values: 5 of 30 needed" in untested[0].text
    assert "stable" not in browser.find_element(By.ID, "drift-table").text
    # On a phone the verdict is the column beside the feature: its badge is on screen without
    # scrolling the table sideways (it was the fifth column, off to the right).
    set_width(browser, 390)
    heads = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#drift-table th")]
    assert heads[:2] == ["Feature", "Drift"], heads
    right = browser.execute_script(
        "return document.querySelector('#drift-table tbody td.drift-verdict-cell .badge')"
        ".getBoundingClientRect().right;"
    )
    assert right <= browser.execute_script("return document.documentElement.clientWidth;")
    set_width(browser, 1280)
    updated = browser.find_element(By.ID, "metrics-updated").text
    assert updated.startswith("Updated ") and updated.endswith(" UTC"), updated
    # The latency axis on the right takes its ticks from the left grid (values such as 6.1342):
    # its labels are rounded to three significant digits.
    fmt = browser.execute_script(
        "return document.getElementById('volume-chart').layout.yaxis2.tickformat;"
    )
    assert fmt == ".3~g"
    assert Alert.objects.filter(owner=owner, acknowledged=False).count() == 0


def _raise(owner, model, subject: str, message: str):
    from monitoring.services import alert_raise

    alert = alert_raise(
        owner_id=owner.pk,
        kind="error_rate",
        subject=subject,
        message=message,
        model=model,
    )
    assert alert is not None
    return alert


def test_new_alerts_appear_live_on_monitoring_and_the_dashboard(
    live_stack, browser, owner, deployed_model, stack_channel_layer
):
    from selenium.webdriver.support.ui import WebDriverWait

    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/monitoring/")
    wait(browser, LONG).until(ec.presence_of_element_located((By.ID, "alerts-none")))
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "alerts-connection").get_attribute("data-state") == "live"
    )
    # Markup in a message is shown as text, never run.
    message = "Error rate 40% <img src=x onerror=window.pwned=1> over the last hour."
    alert = _raise(owner, deployed_model, f"model:{deployed_model.pk}", message)
    row_css = f'#alerts-list li[data-alert-id="{alert.pk}"]'
    row = WebDriverWait(browser, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, row_css))
    )
    assert message in row.text
    assert not browser.find_elements(By.CSS_SELECTOR, "#alerts-list img")
    assert not browser.execute_script("return window.pwned || false")
    assert not browser.find_elements(By.ID, "alerts-none")
    # It can be acknowledged like the alerts the page loaded.
    row.find_element(By.TAG_NAME, "button").click()
    wait(browser, LONG).until(ec.presence_of_element_located((By.ID, "alerts-none")))

    browser.get(f"{live_stack}/")
    count = browser.find_element(By.CSS_SELECTOR, "#open-alerts-count .value")
    assert count.text == "0"
    assert browser.find_element(By.ID, "no-open-alerts").is_displayed()
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "alerts").get_attribute("data-socket") == "live"
    )
    _raise(owner, deployed_model, f"model:{deployed_model.pk}:second", "Drifted.")
    rows = "#open-alerts-list li[data-alert-id]"
    shown = WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, rows))
    assert "Drifted." in shown[0].text
    assert not browser.find_elements(By.ID, "no-open-alerts")
    from monitoring.models import Alert

    open_now = Alert.objects.filter(owner=owner, acknowledged=False).count()
    assert count.text == str(open_now)
    assert browser.find_element(By.CSS_SELECTOR, "#open-alerts-count .label").text == (
        "open alert" if open_now == 1 else "open alerts"
    )


# Pairs of (legend, x tick label) boxes of a chart that overlap, as "legend/label" strings.
_LEGEND_ON_TICKS = """
var chart = document.getElementById(arguments[0]);
var legend = chart && chart.querySelector('.legend');
if (!legend) return ['no legend'];
var a = legend.getBoundingClientRect();
return Array.from(chart.querySelectorAll('.xtick text')).filter(function (t) {
  var b = t.getBoundingClientRect();
  return b.width && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}).map(function (t) { return t.textContent; });
"""


def test_model_charts_keep_legends_off_the_dates_at_390px(
    live_stack, browser, owner, deployed_model
):
    import pandas as pd

    from conftest import sample_path
    from predictions.services import predict_rows, prediction_feedback
    from vur.tests.browser import set_width

    deployed_model.is_deployed = True
    deployed_model.save(update_fields=["is_deployed"])
    frame = pd.read_csv(sample_path("penguins.csv")).dropna().iloc[::40]
    names = [c["name"] for c in deployed_model.input_schema["columns"]]
    rows = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
            for r in frame[names].to_dict("records")]  # fmt: skip
    answer = predict_rows(user=owner, model=deployed_model, data=rows, return_probabilities=True)
    for pid in answer["prediction_ids"]:  # one class only: live AUC cannot be measured yet
        prediction_feedback(user=owner, prediction_id=pid, actual="Adelie")

    sign_in(browser, live_stack, "owner", "owner-pass-123")
    set_width(browser, 390)
    browser.get(f"{live_stack}/monitoring/models/{deployed_model.pk}/")
    for chart in ("volume-chart", "live-chart"):
        wait(browser, LONG).until(
            lambda d, c=chart: d.find_element(By.ID, c).get_attribute("data-drawn")
        )
        wait(browser, 20).until(
            lambda d, c=chart: d.execute_script(_LEGEND_ON_TICKS, c) == [],
            f"{chart}'s legend runs into its date labels at 390 px: "
            f"{browser.execute_script(_LEGEND_ON_TICKS, chart)}",
        )
    # Live AUC is unknown with one class's actuals: the page says why instead of a bare "–".
    note = browser.find_element(By.CSS_SELECTOR, '#live-metrics .live-note[data-note="auc"]')
    assert "at least two classes" in note.text and "Adelie" in note.text
    # The figures are named as people name them, not by their JSON keys ("n", "f1").
    labels = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#live-facts dt")]
    assert labels == ["predictions with feedback", "Accuracy", "F1", "AUC"], labels
    check_page(browser, "monitoring-model-feedback")


def test_a_forecasters_page_says_why_mase_by_step_leaves_a_series_out(
    live_stack, browser, owner, api
):
    """Store 'B' sold nothing in training (no MASE scale): the chart keeps store 'A''s MASE
    and the note under it names 'B' and why, instead of a chart without MASE and no word."""
    from monitoring.tests.test_forecast_monitoring import observe_first_steps, two_stores_model

    model = two_stores_model(owner)
    observe_first_steps(api, model, ["A", "B"])
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/monitoring/models/{model.pk}/")
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "horizon-chart").get_attribute("data-drawn") == "1"
    )
    note = wait(browser, LONG).until(lambda d: d.find_element(By.ID, "horizon-note"))
    wait(browser, LONG).until(lambda d: note.is_displayed())
    assert note.text.startswith("MASE by step is measured on the other series only, without ")
    assert "series 'B' had the same value at every step of its training history" in note.text
    traces = browser.execute_script(
        "return document.getElementById('horizon-chart').data.map(t => t.name);"
    )
    assert traces == ["MAE", "MASE"]
    # Said once, beside the chart, not again among the live metrics.
    assert not browser.find_elements(By.CSS_SELECTOR, "#live-metrics .live-note")
    check_page(browser, "monitoring-forecaster-mase-note")


def test_large_live_errors_read_as_whole_grouped_numbers(live_stack, browser, owner):
    """A house-price regressor's live MAE read '80123.4567' (and a forecaster's RMSE
    '540061724651.9396', wrapping in its tile): above 1000 the figure is whole and grouped."""
    import re

    import pandas as pd

    from conftest import deployed_regressor, sample_path
    from predictions.services import predict_rows, prediction_feedback

    model = deployed_regressor(owner)
    frame = pd.read_csv(sample_path("sacramento_housing.csv"))
    features = [c for c in frame.columns if c != "price"]
    part = frame.iloc[::25]
    rows = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
            for r in part[features].to_dict("records")]  # fmt: skip
    answer = predict_rows(user=owner, model=model, data=rows)
    for pid, actual in zip(answer["prediction_ids"], part["price"].tolist(), strict=True):
        prediction_feedback(user=owner, prediction_id=pid, actual=actual)

    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/monitoring/models/{model.pk}/")
    wait(browser, LONG).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#live-facts dd"))
    facts = {
        dt.get_attribute("data-metric"): (dt.text, dd.text)
        for dt, dd in zip(
            browser.find_elements(By.CSS_SELECTOR, "#live-facts dt"),
            browser.find_elements(By.CSS_SELECTOR, "#live-facts dd"),
            strict=True,
        )
    }
    assert facts["n"] == ("predictions with feedback", str(len(rows)))
    for key, label in (("mae", "MAE"), ("rmse", "RMSE")):
        shown, value = facts[key]
        assert shown == label and re.fullmatch(r"\d{1,3}(,\d{3})+", value), (key, value)
    check_page(browser, "monitoring-model-regression-feedback")
