"""Browser tests of training, the model page, deploy and predict, on the real stack: daphne and a
Celery worker as processes, headless Chromium. Screenshots of every page at 1280 and 390 px."""

from __future__ import annotations

import pytest
from django.core.files import File
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from conftest import sample_path
from vur.tests.browser import check_page, sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = 240  # generous: the machine may be busy


def charts_fit(driver) -> bool:
    """Redraw every chart at the current width before a screenshot (Plotly resizes lazily)."""
    return driver.execute_script(
        "if (!window.Plotly) return true;"
        "if (window.__fitWidth !== innerWidth) {"
        " window.__fitWidth = innerWidth; window.__fitDone = false;"
        " Promise.all(Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".map(p => Plotly.Plots.resize(p))).then(() => { window.__fitDone = true; }); }"
        "return window.__fitDone === true;"
    )


def _pipeline(owner, filename: str, target: str, problem_type: str):
    from datasets.services import dataset_upload
    from pipelines.services import pipeline_create

    with open(sample_path(filename), "rb") as fh:
        dataset = dataset_upload(owner=owner, upload=File(fh, name=filename), name=filename)
    return pipeline_create(
        owner=owner,
        dataset=dataset,
        name=f"{target} ({problem_type})",
        target_column=target,
        problem_type=problem_type,
    )


def _start(driver, base: str, pipeline, **config) -> str:
    """Start training through the API from the signed-in browser (the live stack's worker only
    hears the live web server's broker); return the job id."""
    driver.get(f"{base}/training/")
    answer = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "window.vur.api('/api/v1/training/start', {method: 'POST', body: arguments[0]})"
        ".then(done);",
        {"pipeline_id": pipeline.pk, **config},
    )
    assert answer["ok"], answer
    return answer["body"]["job_id"]


def _status(driver) -> str:
    return driver.find_element(By.ID, "job-status").text.strip().lower()


def _job_done(job_id, timeout: float = LONG) -> str:
    from conftest import wait_for
    from training.models import TrainingJob

    job = wait_for(
        lambda: TrainingJob.objects.get(pk=job_id),
        lambda j: j.status in TrainingJob.TERMINAL,
        timeout,
    )
    return job.status


def test_train_live_then_cancel_deploy_predict_and_batch(live_stack, browser, owner, tmp_path):
    pipeline = _pipeline(owner, "penguins.csv", "species", "classification")
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    job_id = _start(browser, live_stack, pipeline, algorithms=["linear", "sgd"], time_budget_s=8)

    # Progress and log lines arrive over the WebSocket, without a reload.
    browser.get(f"{live_stack}/training/{job_id}/")
    browser.execute_script("window.__stillSamePage = true;")
    wait(browser, LONG).until(
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, "#job-log li")) >= 2
            and float(d.find_element(By.ID, "job-progress").get_attribute("value")) > 0
        )
    )
    wait(browser, LONG).until(lambda d: _status(d) in ("completed", "failed"))
    assert _status(browser) == "completed", browser.find_element(By.ID, "job-error").text
    wait(browser, LONG).until(ec.presence_of_element_located((By.ID, "leaderboard-table")))
    assert browser.execute_script("return window.__stillSamePage === true;")
    assert browser.find_element(By.ID, "job-percent").text == "100%"
    # SGD reports a loss per epoch: the curves are drawn.
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "loss-chart").get_attribute("data-drawn") == "1"
    )
    check_page(browser, "training-detail", charts_fit)
    browser.get(f"{live_stack}/training/")
    check_page(browser, "training-list")

    # A second, longer job is cancelled from its page.
    slow = _start(browser, live_stack, pipeline, algorithms="auto", time_budget_s=300)
    browser.get(f"{live_stack}/training/{slow}/")
    wait(browser, LONG).until(lambda d: _status(d) == "running")
    browser.find_element(By.ID, "cancel-job").click()
    wait(browser).until(lambda d: d.switch_to.alert).accept()  # "Cancel this training? ..."
    wait(browser, LONG).until(lambda d: _status(d) == "cancelled")
    assert _job_done(slow) == "cancelled"

    # The best model's page: scores and charts; deploy it.
    browser.get(f"{live_stack}/training/{job_id}/")
    wait(browser, LONG).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#leaderboard-table a")))
    browser.find_element(By.CSS_SELECTOR, "#leaderboard-table a").click()
    wait(browser, LONG).until(ec.presence_of_element_located((By.ID, "metrics-table")))
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "confusion-chart").get_attribute("data-drawn") == "1"
    )
    check_page(browser, "model-detail", charts_fit)
    browser.find_element(By.ID, "deploy-button").click()
    wait(browser, LONG).until(
        ec.text_to_be_present_in_element((By.ID, "deployment-history"), "active")
    )
    wait(browser, LONG).until(ec.element_to_be_clickable((By.ID, "predict-button")))

    # Predict with the form generated from the input schema.
    browser.find_element(By.ID, "predict-button").click()
    wait(browser, LONG).until(ec.presence_of_element_located((By.ID, "predicted-value")))
    assert browser.find_element(By.ID, "predicted-value").text in {"Adelie", "Chinstrap", "Gentoo"}
    assert browser.find_elements(By.CSS_SELECTOR, "#probabilities tbody tr")

    # A bad value is explained next to its field, and nothing else changes.
    # A number field is a text input (a number input would blank 'lots' before sending it).
    number = browser.find_element(By.CSS_SELECTOR, "#predict-form input[inputmode=decimal]")
    number.clear()
    number.send_keys("lots")
    browser.find_element(By.ID, "predict-button").click()
    wait(browser, LONG).until(
        lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('#predict-form .field-error'))"
            ".some(e => e.textContent.includes('must be a number'));"
        )
    )

    # Batch: upload a file, watch it finish, download the result.
    rows = sample_path("penguins.csv").read_text().splitlines()
    header = rows[0].split(",")
    keep = [i for i, name in enumerate(header) if name != "species"]
    batch = tmp_path / "to-score.csv"
    batch.write_text("\n".join(",".join(r.split(",")[i] for i in keep) for r in rows[:41]) + "\n")
    browser.find_element(By.ID, "batch-file").send_keys(str(batch))
    browser.find_element(By.ID, "batch-button").click()
    link = wait(browser, LONG).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#batch-status a[download]"))
    )
    text = browser.execute_script(
        "return fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text());",
        link.get_attribute("href"),
    )
    lines = text.strip().splitlines()
    assert "prediction" in lines[0].split(",") and len(lines) == 41
    job_id = link.get_attribute("href").rstrip("/").split("/")[-2]

    # A file whose number column holds words is refused at once, and the page says why.
    at = header.index("bill_length_mm")
    cells = [r.split(",") for r in rows[:41]]
    for row in cells[1:]:
        row[at] = "old"
    bad = tmp_path / "words.csv"
    bad.write_text("\n".join(",".join(r[i] for i in keep) for r in cells) + "\n")
    browser.find_element(By.ID, "batch-file").clear()
    browser.find_element(By.ID, "batch-file").send_keys(str(bad))
    browser.find_element(By.ID, "batch-button").click()
    wait(browser, LONG).until(
        lambda d: (
            "bill_length_mm: 40 values are not numbers, e.g. 'old' in row 2"
            in d.find_element(By.ID, "batch-file-error").text
        )
    )

    # The live stream panel sends the example message and shows the answer.
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "stream-connection").get_attribute("data-state") == "live"
    )
    browser.find_element(By.ID, "stream-send").click()
    # Each answer reads as a line of words, its JSON folded under it.
    wait(browser, LONG).until(
        lambda d: any(
            "prediction: " in li.text
            for li in d.find_elements(By.CSS_SELECTOR, "#stream-log li.in .stream-summary")
        )
    )
    assert browser.find_elements(By.CSS_SELECTOR, "#stream-log li.in details.stream-raw")
    check_page(browser, "model-detail-deployed", charts_fit)

    browser.get(f"{live_stack}/deployments/")
    wait(browser).until(ec.presence_of_element_located((By.ID, "deployments-table")))
    check_page(browser, "deployments")
    browser.get(f"{live_stack}/models/")
    check_page(browser, "models")

    # The batch job's status URL opened directly is a page of its own, with a way back.
    browser.get(f"{live_stack}/predictions/batch/{job_id}/")
    back = wait(browser).until(ec.presence_of_element_located((By.ID, "back-to-model")))
    assert browser.title == "Batch file to-score.csv · VUR"
    assert "40 of 40 rows scored" in browser.find_element(By.ID, f"batch-{job_id}").text
    check_page(browser, "batch-job")
    back.click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "batch-recent")))


def test_forecast_moves_when_an_observation_is_sent(live_stack, browser, owner):
    from modeling.models import TrainedModel
    from predictions.services import deployment_create

    pipeline = _pipeline(owner, "series_airpassengers.csv", "passengers", "forecasting")
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    job_id = _start(
        browser, live_stack, pipeline, algorithms=["seasonal_naive", "ets"], time_budget_s=20
    )
    assert _job_done(job_id) == "completed"
    model = TrainedModel.objects.filter(training_job_id=job_id).order_by("rank").first()
    browser.get(f"{live_stack}/models/{model.pk}/")
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "forecast-chart").get_attribute("data-drawn") == "1"
    )
    check_page(browser, "model-forecaster", charts_fit)

    deployment_create(owner=owner, model=model, target="api")
    browser.get(f"{live_stack}/models/{model.pk}/")
    chart = "live-forecast-chart"
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, chart).get_attribute("data-first-forecast")
    )
    first = browser.find_element(By.ID, chart).get_attribute("data-first-forecast")
    # The observed value is left empty (the forecast is only its placeholder): sending it
    # unedited is refused instead of recording the forecast as an actual.
    value = browser.find_element(By.ID, "obs-value")
    assert value.get_attribute("value") == ""
    assert value.get_attribute("placeholder").startswith("forecast ")
    browser.find_element(By.ID, "obs-send").click()
    wait(browser).until(lambda d: "observed value" in d.find_element(By.ID, "obs-value-error").text)
    assert browser.find_element(By.ID, chart).get_attribute("data-first-forecast") == first
    # The user types the hinted forecast: the errors are (nearly) zero, the monitoring case
    # whose axis must not read "0.5μ".
    value.send_keys(value.get_attribute("placeholder").split()[1])
    browser.find_element(By.ID, "obs-send").click()  # the form holds the next timestamp
    wait(browser, LONG).until(
        lambda d: (
            d.find_element(By.ID, chart).get_attribute("data-first-forecast") != first
            or not d.find_element(By.ID, "obs-error").get_attribute("hidden")
        )
    )
    assert browser.find_element(By.ID, "obs-error").get_attribute("hidden"), browser.find_element(
        By.ID, "obs-error"
    ).text
    moved = browser.find_element(By.ID, chart).get_attribute("data-first-forecast")
    assert moved > first
    check_page(browser, "model-forecaster-live", charts_fit)
    _live_stream_panel_follows_the_deployment(browser, live_stack, model, moved)

    # The observation counts as an actual: monitoring shows the error one step ahead.
    browser.get(f"{live_stack}/monitoring/models/{model.pk}/")
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "horizon-chart").get_attribute("data-drawn") == "1"
    )
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "coverage-chart").get_attribute("data-drawn") == "1"
    )
    check_page(browser, "monitoring-forecaster", charts_fit)
    ticks = browser.execute_script(
        "return Array.from(document.querySelectorAll('#horizon-chart .ytick text, "
        "#horizon-chart .y2tick text')).map(e => e.textContent);"
    )
    assert ticks and not any("μ" in t for t in ticks), ticks
    # The volume chart's right-hand title stays clear of its tick labels.
    overlaps = browser.execute_script(
        "const c = document.getElementById('volume-chart');"
        "const t = c.querySelector('.g-y2title text'); if (!t) return 0;"
        "const r = t.getBoundingClientRect();"
        "return Array.from(c.querySelectorAll('.y2tick text')).filter(e => {"
        " const q = e.getBoundingClientRect();"
        " return q.right > r.left && q.left < r.right && q.bottom > r.top && q.top < r.bottom;"
        "}).length;"
    )
    assert overlaps == 0


def _stream_message(driver) -> dict:
    import json

    return json.loads(driver.find_element(By.ID, "stream-message").get_attribute("value"))


def _value(element_id: str):
    """A wait condition: the element's current value (falsy while empty)."""
    return lambda d: d.find_element(By.ID, element_id).get_attribute("value")


def _live_stream_panel_follows_the_deployment(browser, base: str, model, expected: str) -> None:
    """After observations moved the deployment on: the stream example holds the step it now
    expects (sending it works), the log reads in words with the JSON folded, a skipped step is
    reported with its filling, and a bad timestamp is told without the API's field path."""
    import re

    import pandas as pd

    browser.get(f"{base}/models/{model.pk}/")
    wait(browser, LONG).until(_value("stream-message"))
    message = _stream_message(browser)
    assert message["observations"][0]["timestamp"][:19] == expected[:19], message
    browser.find_element(By.ID, "stream-send").click()
    wait(browser, LONG).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#stream-log li.in"))
    answer = browser.find_element(By.CSS_SELECTOR, "#stream-log li.in .stream-summary").text
    assert "forecast from" in answer and "error" not in answer, answer
    assert not re.search(r"\d\.\d{6,}", answer), answer  # rounded, not 15-digit floats
    assert browser.find_elements(By.CSS_SELECTOR, "#stream-log li.in details.stream-raw pre")
    # The example moved on to the step the deployment now expects.
    wait(browser).until(
        lambda d: _stream_message(d)["observations"][0]["timestamp"][:19] > expected[:19]
    )

    # A skipped step: accepted, and the page says how many were missing and how they were filled.
    browser.refresh()
    wait(browser, LONG).until(_value("obs-timestamp"))
    stamp = browser.find_element(By.ID, "obs-timestamp")
    nxt = pd.Timestamp(stamp.get_attribute("value"))
    assert nxt.isoformat()[:19] > expected[:19]  # the live state, after the stream's observation
    stamp.clear()
    stamp.send_keys((nxt + pd.DateOffset(months=2)).isoformat())
    browser.find_element(By.ID, "obs-value").send_keys("400")
    browser.find_element(By.ID, "obs-send").click()
    wait(browser, LONG).until(
        lambda d: not d.find_element(By.ID, "forecast-gap").get_attribute("hidden")
    )
    gap = browser.find_element(By.ID, "forecast-gap").text
    assert gap.startswith("2 steps missing between ") and "were filled with" in gap, gap
    check_page(browser, "model-forecaster-gap", charts_fit)

    value = browser.find_element(By.ID, "obs-value")
    value.clear()
    value.send_keys("400")
    stamp = browser.find_element(By.ID, "obs-timestamp")
    stamp.clear()
    stamp.send_keys("not a date")
    browser.find_element(By.ID, "obs-send").click()
    wait(browser, LONG).until(lambda d: d.find_element(By.ID, "obs-error").text)
    error = browser.find_element(By.ID, "obs-error").text
    # The page drops the API's field path ("observations[0]: ") from the message.
    assert error.startswith("'not a date' is not a timestamp; write it "), error
