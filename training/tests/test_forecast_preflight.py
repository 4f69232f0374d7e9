"""A dataset's "Before training" checks say what the forecasting engine will do with a series
too short for its season or its ranking windows, in the engine's own numbers (its plan for the
series), on the dataset page and in the REST validate answer."""

from __future__ import annotations

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import sample_path
from training.forecasting import ForecastSettings
from training.forecasting.engine import fit_plan
from training.forecasting.inputs import history_plan, prepare
from training.forecasting.preflight import history_warnings
from training.forecasting.settings import RANKING_WINDOWS


def _first_rows(n: int) -> pd.DataFrame:
    return pd.read_csv(sample_path("series_airpassengers.csv")).head(n)


@pytest.mark.parametrize(("rows", "horizon"), [(20, 4), (30, 6), (40, 4), (144, 18), (24, 18)])
def test_the_plan_before_training_is_the_one_the_engine_runs(rows, horizon):
    frame = _first_rows(rows)
    settings = ForecastSettings(
        time_column="month", target="passengers", horizon=horizon, algorithms=["seasonal_naive"]
    )
    data = prepare(frame, settings)
    plan = fit_plan(settings, data)
    said = history_plan(rows, "MS", horizon)
    assert said is not None
    assert said.checked_horizon == plan.horizon == data.checked_horizon
    assert said.windows == plan.n_windows
    assert said.season_dropped == data.series[0].season_dropped
    assert said.ranking_windows == RANKING_WINDOWS


def test_a_20_month_series_is_said_to_lose_its_season_and_ranking_windows():
    (line,) = history_warnings(20, "MS", 4, "the default horizon")
    assert line.startswith("Forecasting 4 steps ahead (the default horizon) from 20 steps")
    assert "ranked on 3 backtest windows instead of 6" in line
    assert "seasonal models are fitted without the season" in line
    assert "takes 28 steps" in line  # two 12-month seasons and the 4-step window
    # a long series is planned as the engine plans it: nothing to say
    assert history_warnings(144, "MS", 18, "x") == []
    # too short to backtest at all: the start request refuses it, the checks say nothing more
    assert history_warnings(8, "MS", 4, "x") == []


def _upload(web: Client, frame: pd.DataFrame) -> int:
    upload = SimpleUploadedFile("air20.csv", frame.to_csv(index=False).encode())
    res = web.post("/datasets/upload/", {"file": upload, "name": "Air 20"})
    assert res.status_code == 302, res.content
    return int(res["Location"].strip("/").split("/")[-1])


@pytest.mark.django_db
def test_the_dataset_checks_warn_about_a_short_series_on_the_page_and_in_the_api(owner, api):
    web = Client()
    web.force_login(owner)
    dataset_id = _upload(web, _first_rows(20))
    html = web.get(f"/datasets/{dataset_id}/checks/", HTTP_HX_REQUEST="true").content.decode()
    assert "Nothing found that would block or weaken training" not in html
    assert "the default horizon of a forecasting pipeline on this series" in html
    assert "ranked on 3 backtest windows instead of 6" in html
    assert "seasonal models are fitted without the season" in html
    answer = api.post(f"/api/v1/datasets/{dataset_id}/validate").json()
    assert any("ranked on 3 backtest windows instead of 6" in w for w in answer["warnings"])

    # A forecasting pipeline on it is named with its own horizon, asked again on each view.
    res = web.post(
        "/pipelines/new/",
        {
            "dataset": dataset_id, "name": "Short", "target_column": "passengers",
            "problem_type": "forecasting", "time_column": "month", "forecast_horizon": "2",
        },
    )  # fmt: skip
    assert res.status_code == 302
    html = web.get(f"/datasets/{dataset_id}/checks/", HTTP_HX_REQUEST="true").content.decode()
    assert "Forecasting 2 steps ahead (pipeline &#x27;Short&#x27;)" in html
    assert "default horizon" not in html
    assert "ranked on" not in html  # 6 windows of 2 steps fit in 20 months
    assert "seasonal models are fitted without the season" in html


@pytest.mark.django_db
def test_a_long_series_gets_no_forecasting_warning(owner, api):
    web = Client()
    web.force_login(owner)
    dataset_id = _upload(web, _first_rows(144))
    answer = api.post(f"/api/v1/datasets/{dataset_id}/validate").json()
    assert not any("Forecasting" in w for w in answer["warnings"])


@pytest.mark.django_db
def test_the_training_step_says_how_many_windows_rank_the_models(owner):
    web = Client()
    web.force_login(owner)
    dataset_id = _upload(web, _first_rows(20))
    res = web.post(
        "/pipelines/new/",
        {
            "dataset": dataset_id, "name": "Short", "target_column": "passengers",
            "problem_type": "forecasting", "time_column": "month",
        },
    )  # fmt: skip
    pipeline_id = int(res["Location"].split("/")[2])
    html = web.get(f"/pipelines/{pipeline_id}/wizard/training/").content.decode()
    assert "ranked on 3 backtest windows instead of 6: the history holds no more" in html
