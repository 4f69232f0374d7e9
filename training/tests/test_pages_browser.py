"""Model and training pages in headless Chromium on the real stack: scores, leaderboards and
hyperparameters readable at 390 px, and cancelling asks first."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from vur.tests.browser import set_width, sign_in, wait

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
    """A completed job whose model (the fixture classifier) has scores and a blend's
    hyperparameters."""
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


def test_scores_leaderboard_and_hyperparameters_fit_a_phone(
    live_stack, browser, owner, scored_job, deployed_model
):
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/models/{deployed_model.pk}/")
    wait(browser).until(lambda d: d.find_elements(By.ID, "metrics-table"))
    set_width(browser, 390)
    assert browser.find_element(By.CSS_SELECTOR, "#metrics-table td[data-label=Value]").text
    assert _cells_out_of_view(browser, "#metrics-table td") == []
    assert _cells_out_of_view(browser, "#ensemble-members td") == []
    value = browser.find_element(By.XPATH, "//table[@id='metrics-table']//tr[1]/td[2]").text
    assert value == "0.7539"  # the validation AUC, rounded
    # The check sees what the QA saw: as a plain wide table the values sit off-screen.
    browser.execute_script("document.getElementById('metrics-table').classList.remove('stack');")
    assert "0.7539" in _cells_out_of_view(browser, "#metrics-table td")

    set_width(browser, 1280)
    browser.get(f"{live_stack}/training/{scored_job.pk}/")
    wait(browser).until(lambda d: d.find_elements(By.ID, "leaderboard-table"))
    set_width(browser, 390)
    assert _cells_out_of_view(browser, "#leaderboard-table td") == []
    holdout = browser.find_element(By.CSS_SELECTOR, "#leaderboard-table td[data-label^=Hold-out]")
    assert holdout.text == "0.8194"


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
