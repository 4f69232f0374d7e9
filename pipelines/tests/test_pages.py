"""The pipeline pages and wizard through Django's test client: create from a dataset, each step
saved and shown as done, server-side errors next to their fields, the Start training redirect,
and 404 for someone else's pipeline."""

from __future__ import annotations

import pytest

from conftest import upload_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, owner):
    """A browser-like client signed in as `owner` (session auth)."""
    client.force_login(owner)
    return client


@pytest.fixture
def penguins(api):
    return upload_sample(api, "penguins.csv")


def _create(web, dataset_id: int, **fields):
    body = {
        "dataset": dataset_id,
        "name": "Species",
        "target_column": "species",
        "problem_type": "classification",
        **fields,
    }
    return web.post("/pipelines/new/", body)


def test_create_page_lists_columns_and_creates_a_pipeline(web, penguins):
    page = web.get(f"/pipelines/new/?dataset={penguins['id']}")
    assert page.status_code == 200 and b'value="bill_length_mm"' in page.content
    res = _create(web, penguins["id"])
    assert res.status_code == 302 and res["Location"].endswith("/wizard/preprocessing/")
    listing = web.get("/pipelines/?stage=features")
    assert b"Species" in listing.content and b"/wizard/features/" in listing.content


def test_create_page_shows_a_bad_target_next_to_its_field(web, penguins):
    res = _create(web, penguins["id"], target_column="nope")
    assert res.status_code == 400
    assert b"nope&#x27; is not a column of the dataset." in res.content
    assert web.get("/pipelines/").context["page"].paginator.count == 0


def test_wizard_saves_each_step_and_starts_training(web, penguins):
    base = _create(web, penguins["id"])["Location"].rsplit("preprocessing/", 1)[0]
    # Preprocessing: the preview changes nothing, the save marks the step done.
    preview = web.post(
        base + "preprocessing/preview/",
        {"missing_values_strategy": "mean", "scaling_method": "minmax"},
        HTTP_HX_REQUEST="true",
    )
    assert preview.status_code == 200 and b'id="prep-result"' in preview.content
    bad = web.post(base + "preprocessing/", {"scaling_method": "zigzag"})
    assert bad.status_code == 400 and b"must be one of" in bad.content
    saved = web.post(base + "preprocessing/", {"missing_values_strategy": "mean"})
    assert saved.status_code == 302 and saved["Location"].endswith("/features/")
    # Features: selection scores are drawn as bars.
    selected = web.post(base + "features/", {"action": "select", "method": "mutual_info"})
    assert selected.status_code == 200 and b'id="importance-bars"' in selected.content
    # Algorithms: a value out of range is refused by the server next to the form.
    form = web.get(base + "model_selection/")
    assert b"hp_n_estimators" in form.content
    check = web.post(
        base + "model_selection/validate/",
        {"algorithm": "random_forest", "hp_n_estimators": "5"},
        HTTP_HX_REQUEST="true",
    )
    assert b"n_estimators" in check.content and b"validation-errors" in check.content
    refused = web.post(
        base + "model_selection/", {"algorithm": "random_forest", "hp_n_estimators": "5"}
    )
    assert refused.status_code == 400 and b"n_estimators" in refused.content
    added = web.post(
        base + "model_selection/", {"algorithm": "random_forest", "hp_n_estimators": "50"}
    )
    assert added.status_code == 302 and added["Location"].endswith("/training/")
    page = web.get(base + "training/")
    for step in ("preprocessing", "features", "model_selection"):
        assert f'class="done" data-step="{step}"'.encode() in page.content, step
    bad_budget = web.post(base + "training/", {"choice": "auto", "time_budget_s": "0"})
    assert bad_budget.status_code == 400 and b'id="time_budget_s-error"' in bad_budget.content
    started = web.post(base + "training/", {"choice": "chosen", "time_budget_s": "5"})
    assert started.status_code == 302
    assert started["Location"].startswith("/training/")
    job_id = started["Location"].split("/")[2]
    status = web.get(f"/api/v1/training/{job_id}/status")
    assert status.status_code == 200 and status.json()["status"] == "queued"


def test_someone_elses_pipeline_is_a_404(web, penguins, client, other_user):
    base = _create(web, penguins["id"])["Location"].rsplit("preprocessing/", 1)[0]
    client.force_login(other_user)
    for step in ("setup", "preprocessing", "features", "model_selection", "training"):
        assert client.get(base + f"{step}/").status_code == 404, step
    assert client.post(base + "training/", {"choice": "auto"}).status_code == 404
    assert client.get(f"/pipelines/new/?dataset={penguins['id']}").status_code == 404
    assert client.get(base.split("wizard")[0]).status_code == 404


def test_forecasting_wizard_takes_time_column_horizon_lags_and_a_forecaster(web, api):
    series = upload_sample(api, "series_airpassengers.csv")
    res = web.post(
        "/pipelines/new/",
        {
            "dataset": series["id"],
            "name": "Passengers",
            "target_column": "passengers",
            "problem_type": "forecasting",
            "time_column": "month",
            "forecast_horizon": "12",
        },
    )
    assert res.status_code == 302
    base = res["Location"].rsplit("preprocessing/", 1)[0]
    setup = web.get(base + "setup/")
    assert b'value="12"' in setup.content and b'id="forecast-fields"' in setup.content
    bad = web.post(base + "features/", {"action": "generate", "lags": "1, two"})
    assert bad.status_code == 400 and b"whole numbers" in bad.content
    made = web.post(base + "features/", {"action": "generate", "lags": "1, 12", "calendar": "on"})
    assert made.status_code == 302
    features = web.get(base + "features/")
    assert b"lag_1" in features.content and b"lag_12" in features.content
    form = web.get(base + "model_selection/")
    assert b"hp_season_length" in form.content and b"random_forest" not in form.content
    added = web.post(
        base + "model_selection/", {"algorithm": "ets", "hp_season_length": "12", "hp_model": "MAM"}
    )
    assert added.status_code == 302
    page = web.get(base + "training/")
    assert b"Only Exponential smoothing (AutoETS) with my values" in page.content
