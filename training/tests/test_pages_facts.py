"""The training page and the wizard say what training does: the best score's metric and
direction, epochs only for iterative algorithms, why a finished job has no loss curve, the
automatic validation choice, and algorithm forms with labels and only the parameters that
apply."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import upload_sample
from training.models import TrainingJob

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def series_pipeline(api, owner):
    series = upload_sample(api, "series_airpassengers.csv")
    res = _client(owner).post(
        "/pipelines/new/",
        {
            "dataset": series["id"], "name": "Passengers", "target_column": "passengers",
            "problem_type": "forecasting", "time_column": "month", "forecast_horizon": "12",
        },
    )  # fmt: skip
    from pipelines.models import Pipeline

    return Pipeline.objects.get(pk=int(res["Location"].split("/")[2]))


def test_finished_forecast_job_names_mase_and_says_its_algorithms_have_no_epochs(
    owner, series_pipeline
):
    job = TrainingJob.objects.create(
        owner=owner, pipeline=series_pipeline, status="completed", best_metric=0.81,
        config={"algorithms": ["seasonal_naive", "ets"]}, current_algorithm="ets",
    )  # fmt: skip
    html = _client(owner).get(f"/training/{job.pk}/").content.decode()
    assert "Best backtest MASE so far" in html and "lower is better" in html
    assert "No per-epoch losses yet" not in html
    assert "Seasonal naive" in html and "have no epochs" in html
    assert 'id="job-epoch-row" hidden' in html


def test_finished_automl_job_hides_a_stale_epoch_and_labels_an_iterative_one(owner, deployed_model):
    job = TrainingJob.objects.create(
        owner=owner, pipeline=deployed_model.pipeline, status="completed", best_metric=0.97,
        current_epoch=10, current_algorithm="random_forest", config={},
    )  # fmt: skip
    web = _client(owner)
    html = web.get(f"/training/{job.pk}/").content.decode()
    assert "Best validation AUC so far" in html and "higher is better" in html
    assert 'id="job-epoch-row" hidden' in html
    job.current_algorithm = "mlp"
    job.save(update_fields=["current_algorithm"])
    html = web.get(f"/training/{job.pk}/").content.decode()
    assert 'id="job-epoch-row" hidden' not in html
    assert "Last epoch of" in html


def test_wizard_training_explains_the_automatic_validation(owner, deployed_model):
    pipeline = deployed_model.pipeline
    html = _client(owner).get(f"/pipelines/{pipeline.pk}/wizard/training/").content.decode()
    assert 'id="cv-help"' in html
    assert "5-fold cross-validation" in html  # penguins: a few hundred training rows


def test_algorithm_forms_show_labels_and_only_parameters_of_the_problem_type(owner, deployed_model):
    pipeline = deployed_model.pipeline  # classification
    html = _client(owner).get(f"/pipelines/{pipeline.pk}/wizard/model_selection/").content.decode()
    assert "Number of trees" in html and "Minimum rows per leaf" in html
    assert 'name="hp_target_transform"' not in html
    assert 'name="hp_criterion_cls"' in html
    assert ">n_estimators<" not in html


def test_training_list_shows_progress_as_a_percentage(owner, series_pipeline):
    TrainingJob.objects.create(owner=owner, pipeline=series_pipeline, config={}, progress=0.375)
    TrainingJob.objects.create(
        owner=owner, pipeline=series_pipeline, config={}, progress=1.0, status="completed"
    )
    html = _client(owner).get("/training/").content.decode()
    table = html[html.index('id="jobs-table"') :]
    assert '<span class="small" data-percent>38%</span>' in table
    assert "data-percent>100%</span>" in table
    assert "0.38" not in table and "1.00" not in table
