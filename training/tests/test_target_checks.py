"""A target the run could only fail on is refused where it is chosen (on the setup form, by the
pipeline API, at the training start), never by a job that fails after it was queued: one
without variation (one value in every row, or in every series), text as a regression target,
numbers as classes when there are too many of them."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import create_pipeline, sample_path
from pipelines.models import Pipeline
from training.models import TrainingJob
from training.tests.test_api import _upload_csv

pytestmark = pytest.mark.django_db


def _flat_daily(api) -> dict:
    """60 days of a flat `level` (always 5) beside a varying `sales`."""
    days = pd.date_range("2024-01-01", periods=60).strftime("%Y-%m-%d")
    frame = pd.DataFrame({"day": days, "level": [5] * 60, "sales": [i % 9 + 1 for i in range(60)]})
    return _upload_csv(api, "flat.csv", frame)


@pytest.mark.parametrize("problem_type", ["forecasting", "regression", "classification"])
def test_a_pipeline_on_a_target_of_one_value_is_refused_and_not_saved(api, problem_type):
    ds = _flat_daily(api)
    body = {"name": "p", "dataset_id": ds["id"], "target_column": "level",
            "problem_type": problem_type}  # fmt: skip
    res = api.post("/api/v1/pipelines/", body, format="json")
    assert res.status_code == 400, res.content
    answer = res.json()
    assert answer["code"] == "invalid_pipeline"
    assert answer["errors"]["target_column"] == [
        "'level' holds the same value (5) in every row, so there is nothing to learn or "
        "forecast: choose a column whose values vary."
    ]
    assert not Pipeline.objects.exists()


def test_changing_the_target_to_one_of_one_value_is_refused_and_changes_nothing(api):
    ds = _flat_daily(api)
    pipe = create_pipeline(api, ds["id"], "sales", "forecasting")
    res = api.patch(f"/api/v1/pipelines/{pipe['id']}/", {"target_column": "level"}, format="json")
    assert res.status_code == 400, res.content
    assert "same value (5)" in res.json()["errors"]["target_column"][0]
    assert Pipeline.objects.get(pk=pipe["id"]).target_column == "sales"


def test_a_pipeline_saved_with_a_flat_target_before_the_check_is_refused_at_the_start(api):
    """Pipelines saved before the setup refused such targets: the start answers 400, no job."""
    ds = _flat_daily(api)
    pipe = create_pipeline(api, ds["id"], "sales", "regression")
    Pipeline.objects.filter(pk=pipe["id"]).update(target_column="level")
    res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert res.status_code == 400, res.content
    assert res.json()["code"] == "constant_target"
    assert "same value (5)" in res.json()["errors"]["target_column"][0]
    assert not TrainingJob.objects.exists()


def test_series_each_flat_at_their_own_level_are_refused_at_the_start(api):
    """The column varies (5 in one store, 7 in the other), so the pipeline is saved, but every
    series is flat: the start answers 400 with the run's own reason, and no job is queued."""
    days = pd.date_range("2024-01-01", periods=60).strftime("%Y-%m-%d")
    frame = pd.DataFrame(
        {
            "day": [*days, *days],
            "store": ["north"] * 60 + ["south"] * 60,
            "units": [5] * 60 + [7] * 60,
        }
    )
    ds = _upload_csv(api, "stores.csv", frame)
    assert ds["id_column"] == "store"
    pipe = create_pipeline(api, ds["id"], "units", "forecasting")
    res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert res.status_code == 400, res.content
    assert res.json()["code"] == "constant_target"
    assert (
        res.json()["detail"] == "Each series holds a single value, so there is nothing to forecast."
    )
    assert not TrainingJob.objects.exists()


def test_the_setup_form_lists_a_flat_column_as_no_target_and_preselects_the_other(
    client, owner, api
):
    """A time series of a flat column and a varying one: the form offers only the varying one
    (chosen for the user), and shows the flat one disabled with the reason."""
    ds = _flat_daily(api)
    client.force_login(owner)
    page = client.get(f"/pipelines/new/?dataset={ds['id']}")
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        '<option value="level" disabled title="\'level\' holds the same value (5) in every row, so '
        'there is nothing to learn or forecast: choose a column whose values vary.">'
        "level (one value: nothing to predict)</option>"
    ).replace("'", "&#x27;") in html
    assert page.context["values"]["target_column"] == "sales"


def test_text_as_a_regression_target_is_refused_and_says_to_classify(api):
    ds = _upload_csv(api, "penguins.csv", pd.read_csv(sample_path("penguins.csv")))
    assert _target_errors(api, ds["id"], "species", "regression") == [
        "A regression target must be numeric, and 'species' holds text such as 'Adelie': "
        "choose classification to predict it as a category."
    ]
    assert not Pipeline.objects.exists()
    assert _target_errors(api, ds["id"], "species", "classification") is None


def test_numbers_with_more_distinct_values_than_classes_can_be_are_refused_as_classes(api):
    """300 rows: a measurement with 300 distinct values is no class label (more than half the
    rows and more than 100); a code with 120 distinct values on 300 rows is accepted."""
    frame = pd.DataFrame(
        {
            "x": range(300),
            "reading": [i * 0.37 for i in range(300)],
            "code": [i % 120 for i in range(300)],
        }
    )
    ds = _upload_csv(api, "readings.csv", frame)
    assert _target_errors(api, ds["id"], "reading", "classification") == [
        "'reading' has 300 distinct values in 300 rows, too many to be classes: choose "
        "regression to predict it as a number."
    ]
    assert _target_errors(api, ds["id"], "code", "classification") is None


def _target_errors(api, dataset_id: int, target: str, problem_type: str) -> list[str] | None:
    """The pipeline API's errors on `target_column` (a 400), or None when it made the pipeline."""
    body = {"name": f"{target} {problem_type}", "dataset_id": dataset_id,
            "target_column": target, "problem_type": problem_type}  # fmt: skip
    res = api.post("/api/v1/pipelines/", body, format="json")
    if res.status_code == 201:
        return None
    assert res.status_code == 400, res.content
    return res.json()["errors"]["target_column"]


def test_a_target_of_one_value_and_empty_cells_is_refused_saying_so(api):
    """Rows without a target are left out of training, so one value among empty cells is as
    flat as one value everywhere; the reason says it of the rows that have one."""
    frame = pd.DataFrame({"x": range(40), "y": [3.5 if i % 3 else None for i in range(40)]})
    ds = _upload_csv(api, "gaps.csv", frame)
    assert _target_errors(api, ds["id"], "y", "regression") == [
        "'y' holds the same value (3.5) in every row that has one, so there is nothing to learn "
        "or forecast: choose a column whose values vary."
    ]
