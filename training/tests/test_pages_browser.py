"""Model and training pages in headless Chromium on the real stack: scores and leaderboards
readable at 390 px, cancelling asks first, whole-number epoch ticks, a forecast line that
starts at the last observed point, and the training step's Start turning back on (and the job
joining "Earlier runs") when the pipeline's job ends, and a running job gone quiet counting down
then saying it may have stopped."""

from __future__ import annotations

import pandas as pd
import pytest
from django.core.files import File
from selenium.webdriver.common.by import By

from conftest import sample_path
from vur.tests.browser import check_page, set_width, sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The cells of `selector` whose right edge lies beyond the viewport or beyond the scroll box
# they sit in (hidden behind a horizontal scrollbar), as "row:text" strings.
_CELLS_OUT_OF_VIEW = """
return Array.from(document.querySelectorAll(arguments[0])).filter(function (td) {
  var box = td.getBoundingClientRect();
  var wrap = td.closest('.table-wrap');
  var right = Math.min(window.innerWidth, wrap ? wrap.getBoundingClientRect().right : Infinity);
  return box.width === 0 || box.right > right + 1 || box.left < -1;
}).map(function (td) { return td.textContent.trim(); });
"""


def _cells_out_of_view(driver, selector: str) -> list[str]:
    return list(driver.execute_script(_CELLS_OUT_OF_VIEW, selector) or [])


@pytest.fixture
def scored_job(deployed_model, owner):
    """A completed job whose model (the fixture classifier) has scores, a blend's
    hyperparameters and two epochs."""
    from training.models import EpochMetric, TrainingJob

    job = TrainingJob.objects.create(
        owner=owner, pipeline=deployed_model.pipeline, status="completed", progress=1.0,
        best_metric=0.8470, config={"time_budget_s": 5},
    )  # fmt: skip
    deployed_model.training_job_id = job.pk
    deployed_model.metrics = {"cv_score": 0.7538519965277779}
    deployed_model.test_metrics = {
        "auc": 0.8194444444444444, "accuracy": 0.9, "precision": 0.5, "recall": 0.25,
        "f1": 0.3333333333, "log_loss": 0.412345678,
    }  # fmt: skip
    deployed_model.primary_value = 0.8194444444444444
    deployed_model.hyperparameters = {
        "members": [
            {"algorithm": "random_forest", "weight": 0.6,
             "hyperparameters": {"max_features": 0.8710974878850724, "min_samples_leaf": 2}},
            {"algorithm": "linear", "weight": 0.4, "hyperparameters": {"C": 4.675362118938841}},
        ]
    }  # fmt: skip
    deployed_model.epochs = [
        {"epoch": 1, "train_loss": 0.9, "val_loss": 1.0},
        {"epoch": 2, "train_loss": 0.5, "val_loss": 0.7},
    ]
    deployed_model.save()
    for epoch, loss in ((1, 0.9), (2, 0.5)):
        EpochMetric.objects.create(
            job=job, algorithm="sgd", epoch=epoch, train_loss=loss, val_loss=loss + 0.1
        )
    return job


def _x_ticks(driver, chart_id: str) -> list[str]:
    return [
        t.text
        for t in driver.find_elements(By.CSS_SELECTOR, f"#{chart_id} .xtick text")
        if t.text.strip()
    ]


def test_scores_leaderboard_and_hyperparameters_fit_a_phone(
    live_stack, browser, owner, scored_job, deployed_model
):
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/models/{deployed_model.pk}/")
    wait(browser).until(lambda d: d.find_elements(By.ID, "metrics-table"))
    # Loss per epoch (no confusion matrix stored): whole-number epochs on the axis.
    wait(browser).until(
        lambda d: d.find_element(By.ID, "epochs-chart").get_attribute("data-drawn") == "1"
    )
    assert _x_ticks(browser, "epochs-chart") == ["1", "2"]
    set_width(browser, 390)
    assert browser.find_element(By.CSS_SELECTOR, "#metrics-table td[data-label=Value]").text
    assert _cells_out_of_view(browser, "#metrics-table td") == []
    assert _cells_out_of_view(browser, "#ensemble-members td") == []
    value = browser.find_element(By.XPATH, "//table[@id='metrics-table']//tr[1]/td[2]").text
    assert value == "0.8194"  # the hold-out AUC, rounded
    # The validation AUC is apart from the hold-out table, rounded too.
    assert browser.find_element(By.CSS_SELECTOR, "#validation-score dd").text == "0.7539"
    # The check sees what the QA saw: as a plain wide table the values sit off-screen.
    browser.execute_script("document.getElementById('metrics-table').classList.remove('stack');")
    assert "0.8194" in _cells_out_of_view(browser, "#metrics-table td")

    set_width(browser, 1280)
    from modeling.models import TrainedModel

    TrainedModel.objects.create(  # a runner-up whose score reads 0.853 to three places
        owner=owner, pipeline=deployed_model.pipeline, training_job_id=scored_job.pk, rank=2,
        problem_type="classification", algorithm="linear", primary_metric="auc",
        primary_value=0.853, metrics={"cv_score": 0.75}, artifact=deployed_model.artifact,
        sha256=deployed_model.sha256, input_schema=deployed_model.input_schema,
    )  # fmt: skip
    browser.get(f"{live_stack}/training/{scored_job.pk}/")
    wait(browser).until(lambda d: d.find_elements(By.ID, "leaderboard-table"))
    wait(browser).until(
        lambda d: d.find_element(By.ID, "loss-chart").get_attribute("data-drawn") == "1"
    )
    assert _x_ticks(browser, "loss-chart") == ["1", "2"]
    # The legend names the curves as the pages name the algorithm, not by its key ("sgd").
    legend = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#loss-chart .legendtext")]
    assert legend == ["Logistic regression (SGD) train", "Logistic regression (SGD) validation"]
    set_width(browser, 390)
    assert _cells_out_of_view(browser, "#leaderboard-table td") == []
    holdout = browser.find_elements(By.CSS_SELECTOR, "#leaderboard-table td[data-label^=Hold-out]")
    assert [td.text for td in holdout] == ["0.8194", "0.8530"]  # one format per column


def test_cancel_asks_for_confirmation_first(live_stack, browser, owner, deployed_model):
    from training.models import TrainingJob

    job = TrainingJob.objects.create(
        owner=owner, pipeline=deployed_model.pipeline, config={"time_budget_s": 5}
    )
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/training/{job.pk}/")
    assert "discards every model scored so far" in browser.find_element(By.ID, "cancel-help").text
    browser.find_element(By.ID, "cancel-job").click()
    alert = wait(browser).until(lambda d: d.switch_to.alert)
    assert "no model is kept" in alert.text
    alert.dismiss()
    job.refresh_from_db()
    assert job.status == "queued"
    browser.find_element(By.ID, "cancel-job").click()
    wait(browser).until(lambda d: d.switch_to.alert).accept()
    wait(browser).until(lambda d: d.find_elements(By.ID, "cancel-done"))
    job.refresh_from_db()
    assert job.status == "cancelled"


@pytest.fixture
def air_forecaster(owner):
    """An ETS forecaster fitted in-process on the air passengers sample, stored like training
    stores one."""
    from datasets.services import dataset_upload
    from modeling.artifacts import artifact_save
    from modeling.forecasters import ETSForecaster, PreparedForecaster
    from modeling.models import TrainedModel
    from pipelines.services import pipeline_create
    from training.forecasting import ForecastModel

    path = sample_path("series_airpassengers.csv")
    with open(path, "rb") as fh:
        dataset = dataset_upload(owner=owner, upload=File(fh, name="air.csv"), name="air")
    pipeline = pipeline_create(
        owner=owner, dataset=dataset, name="air", target_column="passengers",
        problem_type="forecasting",
    )  # fmt: skip
    frame = pd.read_csv(path, parse_dates=["month"])
    series = pd.Series(frame["passengers"].to_numpy(dtype=float), index=frame["month"])
    series.index.freq = "MS"
    fitted = ForecastModel(
        algorithm="ets", time_column="month", target="passengers", id_column=None, freq="MS",
        timezone=None, horizon=12, levels=(80, 95), season_lengths={None: [12]},
        forecasters={None: PreparedForecaster(ETSForecaster(season_length=12)).fit(series)},
    )  # fmt: skip
    saved = artifact_save(fitted, f"{owner.pk}/air/ets")
    return TrainedModel.objects.create(
        owner=owner, pipeline=pipeline, problem_type="forecasting", algorithm="ets",
        primary_metric="mase", artifact=saved.name, sha256=saved.sha256,
        hyperparameters={"model": "ZZZ"}, test_metrics={"mase": 0.5, "coverage_80": 0.8611},
        input_schema=fitted.input_schema(),
    )  # fmt: skip


def test_the_forecast_line_starts_at_the_last_observed_point(
    live_stack, browser, owner, air_forecaster
):
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/models/{air_forecaster.pk}/")
    wait(browser).until(
        lambda d: d.find_element(By.ID, "forecast-chart").get_attribute("data-drawn") == "1"
    )
    traces = browser.execute_script(
        "return document.getElementById('forecast-chart').data.map(function (t) {"
        " return {name: t.name, x: t.x, y: t.y}; });"
    )
    by_name = {t["name"]: t for t in traces}
    history, forecast = by_name["history"], by_name["forecast"]
    assert forecast["x"][0] == history["x"][-1] and forecast["y"][0] == history["y"][-1]
    assert forecast["x"][0].startswith("1960-12-01") and forecast["x"][1].startswith("1961-01-01")
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "80% interval coverage" in page and "86.1%" in page
    assert "error, trend and season each chosen automatically" in page


# The elements inside #fitted-model whose right edge lies beyond the About card's.
_FITTED_OUT_OF_CARD = """
var card = document.getElementById('fitted-model').closest('.card').getBoundingClientRect();
return Array.from(document.querySelectorAll('#fitted-model, #fitted-model *')).filter(
  function (el) { var box = el.getBoundingClientRect(); return box.right > card.right + 1; }
).map(function (el) { return el.textContent.trim().slice(0, 60); });
"""


def test_long_fitted_forms_wrap_inside_the_about_card(live_stack, browser, owner, air_forecaster):
    """Forms that vary by series, one of them a blend of three members with long forms (lags,
    Fourier terms, transforms) under a long series id, wrap inside their card at 1280 and 390 px."""
    from modeling.forecasters import (
        ARIMAForecaster,
        EnsembleForecaster,
        ETSForecaster,
        LagRegressionForecaster,
        MSTLForecaster,
        PreparedForecaster,
    )
    from training.forecasting import ForecastModel

    frame = pd.read_csv(sample_path("series_airpassengers.csv"), parse_dates=["month"])
    series = pd.Series(frame["passengers"].to_numpy(dtype=float), index=frame["month"])
    series.index.freq = "MS"
    blend = EnsembleForecaster([
        PreparedForecaster(LagRegressionForecaster("gbm", n_estimators=20),
                           transforms=[{"type": "box_cox"}]),
        PreparedForecaster(ARIMAForecaster(season_length=12, season_cap=6)),
        PreparedForecaster(MSTLForecaster(season_lengths=[12, 24])),
    ]).fit(series)  # fmt: skip
    ids = ["store-" + "x" * 60, "store-b"]
    forms = ForecastModel(
        algorithm="ensemble", time_column="month", target="passengers", id_column="store",
        freq="MS", timezone=None, horizon=12, levels=(80, 95), season_lengths={},
        forecasters={ids[0]: blend, ids[1]: ETSForecaster(season_length=12).fit(series)},
    ).fitted_forms()  # fmt: skip
    air_forecaster.card = {"fitted_form": forms}
    air_forecaster.save()
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/models/{air_forecaster.pk}/")
    wait(browser).until(lambda d: d.find_elements(By.ID, "fitted-model"))
    text = browser.find_element(By.ID, "fitted-model").text
    assert "Varies by series: 2 forms among 2 series" in text and ids[0] in text
    assert all(m["text"] in text for m in forms["forms"][0]["form"]["members"])
    check_page(
        browser,
        "model-fitted-forms",
        lambda d: d.find_element(By.ID, "forecast-chart").get_attribute("data-drawn") == "1",
    )
    for width in (1280, 390):
        set_width(browser, width)
        out = browser.execute_script(_FITTED_OUT_OF_CARD)
        assert out == [], f"fitted forms run out of their card at {width}px: {out}"


def test_a_job_failing_while_its_page_is_open_logs_why_and_has_no_loss_curve(
    live_stack, browser, owner, stack_channel_layer
):
    from training.models import TrainingJob
    from training.services import training_job_run
    from training.tests.test_failure_log import REASON, _constant_target_pipeline

    pipeline = _constant_target_pipeline(owner)
    job = TrainingJob.objects.create(
        owner=owner, pipeline=pipeline, config={"algorithms": ["linear"], "time_budget_s": 10}
    )
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/training/{job.pk}/")
    wait(browser).until(
        lambda d: d.find_element(By.ID, "job-connection").get_attribute("data-state") == "live"
    )
    assert "No per-epoch losses yet" in browser.find_element(By.ID, "loss-empty").text
    # The job runs here; its events reach the page through the stack's channel layer.
    training_job_run(job_id=job.pk)
    wait(browser).until(lambda d: d.find_element(By.ID, "job-status").text == "Failed")
    assert browser.find_element(By.ID, "job-error").text == REASON
    lines = browser.find_elements(By.CSS_SELECTOR, "#job-log li")
    assert len(lines) >= 2 and lines[-1].text.endswith(REASON)
    assert "lvl-error" in lines[-1].get_attribute("class")
    assert browser.find_element(By.ID, "loss-empty").text == (
        "No loss curve: no model of this run records per-epoch losses."
    )
    # The same once reloaded.
    browser.get(f"{live_stack}/training/{job.pk}/")
    lines = browser.find_elements(By.CSS_SELECTOR, "#job-log li")
    assert lines[-1].text.endswith(REASON)
    assert "per-epoch losses yet" not in browser.find_element(By.ID, "loss-empty").text


def test_a_running_job_gone_quiet_counts_down_then_says_it_may_have_stopped(
    live_stack, browser, owner, deployed_model, stack_channel_layer
):
    from django.conf import settings

    from training.events import training_event_publish
    from training.models import TrainingJob

    # Running, with no worker behind it: its last progress is all it will ever send, as when
    # the worker is killed mid-job.
    job = TrainingJob.objects.create(
        owner=owner, pipeline=deployed_model.pipeline, status="running", progress=0.5,
        estimated_time_remaining=3, config={"time_budget_s": 10},
    )  # fmt: skip
    training_event_publish(job.pk, "progress", {"progress": 0.5, "estimated_time_remaining": 3})
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/training/{job.pk}/")
    eta = browser.find_element(By.ID, "job-eta")
    note = browser.find_element(By.ID, "job-overdue-note")
    # The estimate counts down between events instead of standing still.
    wait(browser).until(lambda d: eta.text == "any moment")
    assert not note.is_displayed()
    wait(browser).until(lambda d: note.is_displayed())
    stale = round(settings.VUR_JOB_STALE_AFTER_S + settings.VUR_REAPER_INTERVAL_S)
    assert "s past its estimated end" in note.text
    assert f"marked failed within {stale} s of the worker's last sign of life" in note.text
    # The reaper's verdict ends it: the note goes, the time left is "–".
    TrainingJob.objects.filter(pk=job.pk).update(status="failed", error="The worker stopped.")
    training_event_publish(job.pk, "status", {"status": "failed", "error": "The worker stopped."})
    wait(browser).until(lambda d: d.find_element(By.ID, "job-status").text == "Failed")
    assert not note.is_displayed()
    assert eta.text == "–"


def test_the_training_step_points_to_the_running_job(live_stack, browser, owner):
    """While a job of the pipeline runs, the training step links to it and Start is off, with
    the reason; the running job is not listed among the earlier runs."""
    from conftest import pipeline_on_sample
    from training.models import TrainingJob

    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    job = TrainingJob.objects.create(
        owner=owner, pipeline=pipeline, status="running", progress=0.25, config={}
    )
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/pipelines/{pipeline.pk}/wizard/training/")
    start = wait(browser).until(lambda d: d.find_element(By.ID, "start-training"))
    assert not start.is_enabled()
    assert start.get_attribute("aria-describedby") == "active-job"
    notice = browser.find_element(By.ID, "active-job").text
    assert notice.startswith("A training job of this pipeline is running (25% done)")
    assert not browser.find_elements(By.ID, "past-jobs")
    check_page(browser, "wizard-training-running")
    browser.find_element(By.ID, "active-job-link").click()
    wait(browser).until(lambda d: d.current_url.rstrip("/").endswith(str(job.pk)))


def _wizard_training(browser, base: str, pipeline) -> None:
    browser.get(f"{base}/pipelines/{pipeline.pk}/wizard/training/")
    wait(browser).until(lambda d: d.find_element(By.ID, "start-training"))


def test_start_is_off_while_the_started_job_runs_and_on_again_once_it_ends(
    live_stack, browser, owner
):
    """Start stayed disabled after the pipeline's job had ended, until the page was reloaded."""
    from conftest import pipeline_on_sample
    from training.models import TrainingJob

    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    _wizard_training(browser, live_stack, pipeline)
    assert browser.find_element(By.ID, "start-training").is_enabled()
    job_id = _start_a_20_s_job(browser)
    # Back on the step while the job runs (its budget is 20 s): Start is off, with the reason.
    browser.back()
    link = wait(browser).until(lambda d: d.find_element(By.ID, "active-job-link"))
    assert link.get_attribute("href").endswith(f"/training/{job_id}/")
    start = browser.find_element(By.ID, "start-training")
    assert not start.is_enabled() and start.get_attribute("aria-describedby") == "active-job"
    browser.execute_script("window.sameDocument = true;")  # gone if the page reloads

    wait(browser, 180).until(lambda d: d.find_element(By.ID, "start-training").is_enabled())
    assert TrainingJob.objects.get(pk=job_id).status == "completed"
    assert browser.execute_script("return window.sameDocument") is True
    assert not browser.find_elements(By.ID, "active-job")
    ended = browser.find_element(By.ID, "active-job-ended")
    assert ended.text == (
        "The training job of this pipeline has completed: see it on its page. "
        "You can start another now."
    )
    link = browser.find_element(By.ID, "active-job-link").get_attribute("href")
    assert link.endswith(f"/training/{job_id}/")
    assert browser.find_element(By.ID, "start-training").get_attribute("aria-describedby") is None


def test_start_is_on_again_once_the_pipelines_job_fails(
    live_stack, browser, owner, stack_channel_layer
):
    """A job that fails ends as well: Start turns back on, and starts another job."""
    from training.models import TrainingJob
    from training.services import training_job_run
    from training.tests.test_failure_log import _constant_target_pipeline

    pipeline = _constant_target_pipeline(owner)
    job = TrainingJob.objects.create(
        owner=owner, pipeline=pipeline, config={"algorithms": ["linear"], "time_budget_s": 10}
    )
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    _wizard_training(browser, live_stack, pipeline)
    assert not browser.find_element(By.ID, "start-training").is_enabled()
    assert browser.find_element(By.ID, "active-job").text.startswith(
        "A training job of this pipeline is queued"
    )
    assert not browser.find_elements(By.ID, "past-jobs")
    browser.execute_script("window.sameDocument = true;")
    # The job runs here; its events reach the page through the stack's channel layer.
    training_job_run(job_id=job.pk)
    assert TrainingJob.objects.get(pk=job.pk).status == "failed"
    wait(browser).until(lambda d: d.find_element(By.ID, "start-training").is_enabled())
    assert browser.execute_script("return window.sameDocument") is True
    assert browser.find_element(By.ID, "active-job-ended").text.startswith(
        "The training job of this pipeline failed: see it on its page."
    )
    # Its first ended job: the "Earlier runs" card appears, with it.
    assert _earlier_runs(browser) == [(f"/training/{job.pk}/", "failed")]
    check_page(browser, "wizard-training-job-failed")
    # The owner sets a target that varies (a constant one is now refused at the start).
    type(pipeline).objects.filter(pk=pipeline.pk).update(target_column="x2")
    browser.find_element(By.ID, "start-training").click()
    wait(browser).until(lambda d: d.current_url.rstrip("/").split("/")[-2] == "training")
    assert browser.current_url.rstrip("/").split("/")[-1] != str(job.pk)
    assert TrainingJob.objects.filter(pipeline=pipeline).count() == 2


def _start_a_20_s_job(browser) -> str:
    """Start training from the step page with a 20 s budget and return the job's id once its
    page is open. 20 s outlasts loading the job's page and the step page again on a busy
    machine: with 10 s the job had ended before the step page was back (three times here)."""
    budget = browser.find_element(By.ID, "id_time_budget_s")
    budget.clear()
    budget.send_keys("20")
    browser.find_element(By.ID, "start-training").click()
    wait(browser).until(lambda d: d.current_url.rstrip("/").split("/")[-2] == "training")
    return browser.current_url.rstrip("/").split("/")[-1]


def _earlier_runs(browser) -> list[tuple[str, str]]:
    """The rows of "Earlier runs" as (link path, badge text), top to bottom."""
    rows = browser.find_elements(By.CSS_SELECTOR, "#past-jobs li")
    return [
        (
            "/" + r.find_element(By.TAG_NAME, "a").get_attribute("href").split("/", 3)[3],
            r.find_element(By.CSS_SELECTOR, ".badge").text,
        )
        for r in rows
    ]


def test_earlier_runs_lists_the_started_job_once_it_ends_without_a_reload(
    live_stack, browser, owner
):
    """The "Earlier runs" card stayed as rendered: a job that ended while the page was open was
    missing from it until a reload."""
    from conftest import pipeline_on_sample
    from training.models import TrainingJob

    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    older = TrainingJob.objects.create(
        owner=owner, pipeline=pipeline, status="cancelled", config={}
    )
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    _wizard_training(browser, live_stack, pipeline)
    assert _earlier_runs(browser) == [(f"/training/{older.pk}/", "cancelled")]
    job_id = _start_a_20_s_job(browser)
    _wizard_training(browser, live_stack, pipeline)  # while the job runs
    notice = browser.find_elements(By.ID, "active-job")
    assert notice, "the job ended before this page was rendered"
    created = notice[0].get_attribute("data-created")
    if TrainingJob.objects.get(pk=job_id).status in ("queued", "running"):
        # Rendered while it ran: not an earlier run yet.
        assert _earlier_runs(browser) == [(f"/training/{older.pk}/", "cancelled")]
    browser.execute_script("window.sameDocument = true;")  # gone if the page reloads

    wait(browser, 180).until(lambda d: d.find_elements(By.ID, "active-job-ended"))
    assert TrainingJob.objects.get(pk=job_id).status == "completed"
    assert browser.execute_script("return window.sameDocument") is True
    assert _earlier_runs(browser) == [
        (f"/training/{job_id}/", "completed"),
        (f"/training/{older.pk}/", "cancelled"),
    ]
    newest = browser.find_element(By.CSS_SELECTOR, "#past-jobs li a")
    assert newest.text == created
    # The list is no live region: the notice above is the one that announces the end.
    assert browser.find_element(By.ID, "past-jobs").get_attribute("aria-live") is None
    # What a reload renders is what the page came to show.
    browser.refresh()
    wait(browser).until(lambda d: d.find_element(By.ID, "start-training"))
    assert _earlier_runs(browser) == [
        (f"/training/{job_id}/", "completed"),
        (f"/training/{older.pk}/", "cancelled"),
    ]
    assert browser.find_element(By.CSS_SELECTOR, "#past-jobs li a").text == created
