"""A dataset's "Before training" checks say what the forecasting engine will do with a series
too short for its season or its ranking windows, in the engine's own numbers (its plan for the
series; with several series, for the short ones), on the dataset page and in the REST validate
answer."""

from __future__ import annotations

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import sample_path
from training.forecasting import ForecastSettings
from training.forecasting.engine import fit_plan
from training.forecasting.inputs import prepare, series_lengths, series_plan
from training.forecasting.preflight import series_warnings
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
    said = series_plan([rows], "MS", horizon)
    assert said is not None
    assert said.checked_horizon == plan.horizon == data.checked_horizon
    assert said.windows == plan.n_windows
    assert said.season_dropped == data.series[0].season_dropped
    assert said.ranking_windows == RANKING_WINDOWS


def test_a_20_month_series_is_said_to_lose_its_season_and_ranking_windows():
    (line,) = series_warnings([20], "MS", 4, "the default horizon")
    assert line.startswith("Forecasting 4 steps ahead (the default horizon) from 20 steps")
    assert "ranked on 3 backtest windows instead of 6" in line
    assert "seasonal models are fitted without the season" in line
    assert "takes 28 steps" in line  # two 12-month seasons and the 4-step window
    # a long series is planned as the engine plans it: nothing to say
    assert series_warnings([144], "MS", 18, "x") == []
    # too short to backtest at all: the start request refuses it, the checks say nothing more
    assert series_warnings([8], "MS", 4, "x") == []


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


def _arrivals(last: dict[str, int]) -> pd.DataFrame:
    """The four-series arrivals sample with the series named in `last` cut to their last rows
    (a series that started later)."""
    frame = pd.read_csv(sample_path("series_aus_arrivals.csv"))
    parts = [
        part.tail(last[origin]) if origin in last else part
        for origin, part in frame.groupby("origin", sort=False)
    ]
    return pd.concat(parts, ignore_index=True)


def _passengers(lengths: list[int]) -> pd.DataFrame:
    """Air passengers as several monthly series (`series` a, b, ...), each the last `n` months."""
    frame = pd.read_csv(sample_path("series_airpassengers.csv"))
    return pd.concat(
        [frame.tail(n).assign(series=chr(ord("a") + i)) for i, n in enumerate(lengths)],
        ignore_index=True,
    )


def _engine_plan(frame: pd.DataFrame, settings: ForecastSettings):
    data = prepare(frame, settings)
    return data, fit_plan(settings, data)


@pytest.mark.parametrize(
    ("frame", "target", "id_column", "freq", "horizon"),
    [
        (_arrivals({"Japan": 20, "UK": 30}), "arrivals", "origin", "QS", 8),
        (_arrivals({"Japan": 14, "UK": 40}), "arrivals", "origin", "QS", 8),
        (_arrivals({"NZ": 10}), "arrivals", "origin", "QS", 8),
        (_passengers([144, 144, 30]), "passengers", "series", "MS", 18),
        (_passengers([144, 27, 28, 60]), "passengers", "series", "MS", 4),
        (_passengers([20, 30]), "passengers", "series", "MS", 18),
    ],
)
def test_the_plan_of_several_series_is_the_one_the_engine_runs(
    frame, target, id_column, freq, horizon
):
    time_column = "quarter" if id_column == "origin" else "month"
    settings = ForecastSettings(
        time_column=time_column, target=target, id_column=id_column, horizon=horizon,
        algorithms=["seasonal_naive"],
    )  # fmt: skip
    data, plan = _engine_plan(frame, settings)
    lengths = series_lengths(frame, settings)
    assert len(lengths) == frame[id_column].nunique()
    said = series_plan(lengths, freq, horizon)
    assert said is not None
    assert said.checked_horizon == plan.horizon == data.checked_horizon
    assert said.windows == plan.n_windows
    assert said.left_out == len(data.left_out)
    assert said.dropped == sum(s.season_dropped for s in data.series)
    assert said.season_dropped == any(s.season_dropped for s in data.series)


def test_several_series_are_judged_on_the_short_ones_and_say_how_many():
    lengths = [144, 144, 30]  # two long monthly series and one of 30 months
    assert series_warnings([144], "MS", 18, "x") == []  # the longest alone is long enough
    (line,) = series_warnings(lengths, "MS", 18, "x")
    assert line.startswith("Forecasting 18 steps ahead (x) from 3 series of 30 to 144 steps")
    # its season needs two 12-month seasons and the 18-step window: 42 steps
    assert "1 of 3 series has fewer than 42 steps, so seasonal models are fitted on it" in line
    assert "ranked on 1 backtest window instead of 6 (the windows must fit in every series" in line
    assert "1 of 3 forecast series has room for fewer" in line
    # a series shorter than a backtest at the checked horizon is left out, as the engine does
    (line,) = series_warnings([144, 20, 22, 144], "MS", 18, "x")
    assert "2 of 4 series have fewer than 26 steps" in line
    assert "they are left out and not forecast" in line
    assert "ranked on" not in line  # the two kept series hold every window


def _upload_frame(web: Client, frame: pd.DataFrame, name: str) -> int:
    upload = SimpleUploadedFile(f"{name}.csv", frame.to_csv(index=False).encode())
    res = web.post("/datasets/upload/", {"file": upload, "name": name})
    assert res.status_code == 302, res.content
    return int(res["Location"].strip("/").split("/")[-1])


@pytest.mark.django_db
def test_the_checks_of_several_series_judge_the_short_ones_on_the_page_and_in_the_api(owner, api):
    """Arrivals to Australia with Japan's series starting 20 quarters before the end and the
    UK's 30: the table spans 127 quarters, but the engine ranks on the windows Japan holds."""
    frame = _arrivals({"Japan": 20, "UK": 30})
    web = Client()
    web.force_login(owner)
    dataset_id = _upload_frame(web, frame, "Arrivals")
    settings = ForecastSettings(
        time_column="quarter", target="arrivals", id_column="origin", horizon=8,
        algorithms=["seasonal_naive"],
    )  # fmt: skip
    _data, plan = _engine_plan(frame, settings)
    assert plan.n_windows == 1
    windows = "ranked on 1 backtest window instead of 6"
    short = "2 of 4 forecast series have room for fewer"
    html = web.get(f"/datasets/{dataset_id}/checks/", HTTP_HX_REQUEST="true").content.decode()
    assert "the default horizon of a forecasting pipeline on these series" in html
    assert "from 4 series of 20 to 127 steps of history" in html
    assert windows in html and short in html
    answer = api.post(f"/api/v1/datasets/{dataset_id}/validate").json()
    assert any(windows in w and short in w for w in answer["warnings"])

    res = web.post(
        "/pipelines/new/",
        {
            "dataset": dataset_id, "name": "Arrivals", "target_column": "arrivals",
            "problem_type": "forecasting", "time_column": "quarter", "forecast_horizon": "8",
        },
    )  # fmt: skip
    assert res.status_code == 302
    html = web.get(f"/datasets/{dataset_id}/checks/", HTTP_HX_REQUEST="true").content.decode()
    assert "Forecasting 8 steps ahead (pipeline &#x27;Arrivals&#x27;) from 4 series" in html
    assert windows in html and short in html
    assert "default horizon" not in html
    # The wizard's training step counts the windows from the same plan, not the table's span.
    pipeline_id = res["Location"].split("/")[2]
    html = web.get(f"/pipelines/{pipeline_id}/wizard/training/").content.decode()
    assert "ranked on 1 backtest window instead of 6" in html


@pytest.mark.django_db
def test_several_long_series_get_no_forecasting_warning(owner, api):
    web = Client()
    web.force_login(owner)
    dataset_id = _upload_frame(web, _arrivals({}), "Arrivals")
    answer = api.post(f"/api/v1/datasets/{dataset_id}/validate").json()
    assert not any("Forecasting" in w for w in answer["warnings"])
