"""Job log lines name algorithms as the pages do, for the job's problem type ("Best: Ridge
regression (cv rmse ...)", "ARIMA (AutoARIMA): backtest MASE ..."), while the events' and
decisions' `algorithm` fields keep the keys the API and the job's progress read."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from conftest import create_pipeline, sample_path, train
from modeling.catalog import algorithms_for, display_name
from training.automl import AutoMLSettings, run_automl
from training.forecasting import ForecastSettings, run_forecast_automl
from training.tests.test_api import _upload_csv

ARIMA, ETS = "ARIMA (AutoARIMA)", "Exponential smoothing (AutoETS)"


def _keys_named(lines: list[str], problem_type: str) -> list[str]:
    """The lines that name an algorithm by its key ("arima", "hist_gradient_boosting"); the
    forecasting log's "ensemble of ..." says the word, not the key."""
    keys = [s.name for s in algorithms_for(problem_type) if s.name != "ensemble"]
    pattern = re.compile(rf"(?<![\w-])({'|'.join(map(re.escape, keys))})(?![\w-])")
    return [line for line in lines if pattern.search(line)]


def _random_walk() -> pd.DataFrame:
    """72 months of a random walk: no season (so MSTL is skipped), ETS and ARIMA both fit."""
    rng = np.random.default_rng(0)
    months = pd.date_range("2015-01-01", periods=72, freq="MS").strftime("%Y-%m-%d")
    return pd.DataFrame({"month": months, "v": 100 + np.cumsum(rng.normal(0, 1, 72))})


def test_the_forecasting_log_names_algorithms_by_their_display_names():
    events: list[tuple[str, dict]] = []
    settings = ForecastSettings(
        time_column="month", target="v", horizon=6, time_budget_s=10,
        algorithms=["seasonal_naive", "mstl", "ets", "arima", "ensemble"],
    )  # fmt: skip
    candidates = run_forecast_automl(
        _random_walk(), settings, on_event=lambda k, p: events.append((k, p))
    )
    lines = [p["message"] for k, p in events if k == "log"]
    assert _keys_named(lines, "forecasting") == [], lines
    assert "Skipped MSTL: no seasonality detected." in lines
    for name in ("Seasonal naive", ETS, ARIMA):
        assert any(m.startswith(f"{name}: backtest MASE ") for m in lines), (name, lines)
    assert any(m.startswith(("ensemble of ARIMA", "ensemble of Exponential")) for m in lines)
    best = candidates[0]
    label = display_name(best.algorithm, "forecasting")
    assert f"Best: {label} (MASE {best.primary_value:.4f})." in lines
    assert any(m.startswith(f"{label}: intervals (") for m in lines), lines
    # The progress events name the algorithm by its key, as the job's current_algorithm.
    done = [p["algorithm"] for k, p in events if k == "progress"]
    assert {"seasonal_naive", "ets", "arima"} <= set(done) and best.algorithm == done[-1]


@pytest.mark.parametrize(
    ("sample", "target", "problem_type", "linear", "metric"),
    [
        ("sacramento_housing.csv", "price", "regression", "Ridge regression", "rmse"),
        ("penguins.csv", "species", "classification", "Logistic regression", "auc"),
    ],
)
def test_the_tabular_log_names_algorithms_for_the_problem_type(
    sample, target, problem_type, linear, metric
):
    events: list[tuple[str, dict]] = []
    settings = AutoMLSettings(
        target=target, problem_type=problem_type, algorithms=["linear", "knn"],
        time_budget_s=4, search={"n_iter": 1},
    )  # fmt: skip
    df = pd.read_csv(sample_path(sample))
    results = run_automl(df, settings, on_event=lambda k, p: events.append((k, p)))
    lines = [p["message"] for k, p in events if k == "log"]
    assert _keys_named(lines, problem_type) == [], lines
    assert any(m.startswith(f"{linear} {{") and f": cv {metric} " in m for m in lines), lines
    assert any(m.startswith("k-nearest neighbours {") for m in lines), lines
    best = display_name(results[0].algorithm, problem_type)
    assert any(m.startswith(f"Best: {best} (cv {metric} ") for m in lines), lines
    blend = [m for m in lines if m.startswith("Ensemble of ")]
    if results[0].algorithm == "ensemble":
        assert best == "Weighted blend" and blend, lines
    for m in blend:
        assert m.startswith(f"Ensemble of {linear}, k-nearest neighbours: ") or m.startswith(
            f"Ensemble of k-nearest neighbours, {linear}: "
        ), m
    progress = {p["algorithm"] for k, p in events if k == "progress" and p["algorithm"]}
    assert {"linear", "knn"} <= progress <= {"linear", "knn", "ensemble"}


def _job_lines(job_id: str) -> list[str]:
    import uuid

    from training.models import TrainingEvent

    logs = TrainingEvent.objects.filter(job_id=uuid.UUID(job_id), kind="log").order_by("pk")
    return [e.payload["message"] for e in logs]


@pytest.mark.django_db(transaction=True)
def test_a_jobs_stored_log_names_algorithms_as_its_pages_do(api, celery_worker):
    from training.models import TrainingJob

    ds = _upload_csv(api, "walk.csv", _random_walk())
    pipe = create_pipeline(api, ds["id"], "v", "forecasting", forecast_horizon=6)
    job_id = train(api, pipe["id"], ["seasonal_naive", "ets"], 10)
    lines = _job_lines(job_id)
    assert _keys_named(lines, "forecasting") == [], lines
    assert any(m.startswith(f"{ETS}: backtest MASE ") for m in lines), lines
    best = TrainingJob.objects.get(pk=job_id)
    label = display_name(best.current_algorithm, "forecasting")
    assert best.current_algorithm in ("seasonal_naive", "ets")  # the key, as the API gives it
    assert any(m.startswith(f"Best: {label} (MASE ") for m in lines), lines
    assert re.fullmatch(rf"Registered \d models; best: {re.escape(label)}\.", lines[-1]), lines

    ds = _upload_csv(api, "houses.csv", pd.read_csv(sample_path("sacramento_housing.csv")))
    pipe = create_pipeline(api, ds["id"], "price", "regression")
    lines = _job_lines(train(api, pipe["id"], ["linear"], 5))
    assert _keys_named(lines, "regression") == [], lines
    assert any(m.startswith("Ridge regression {") for m in lines), lines
    assert any(m.startswith("Best: Ridge regression (cv rmse ") for m in lines), lines
    assert lines[-1] == "Registered 1 models; best: Ridge regression.", lines


def test_a_depth_of_0_is_logged_as_no_limit():
    """The log line of a configuration says what a value that is not taken literally stands
    for, as the catalogue means it: a max_depth of 0 is no limit, not a depth of 0."""
    from training.automl.trials import short_params

    events: list[tuple[str, dict]] = []
    settings = AutoMLSettings(
        target="species", problem_type="classification", algorithms=["random_forest"],
        time_budget_s=4, search={"n_iter": 1},
        hyperparameters={"random_forest": {"n_estimators": 20, "max_depth": 0}},
    )  # fmt: skip
    run_automl(
        pd.read_csv(sample_path("penguins.csv")),
        settings,
        on_event=lambda k, p: events.append((k, p)),
    )
    lines = [p["message"] for k, p in events if k == "log"]
    tried = [m for m in lines if m.startswith("Random forest {n_estimators=20, ")]
    assert tried and "max_depth=0 (no limit)," in tried[0], lines
    assert not any("max_depth=0," in m for m in lines), lines
    # A depth that is one, and a 0 that is a number (no regularisation), are written as they are.
    assert short_params({"max_depth": 8}, "decision_tree") == "{max_depth=8}"
    assert short_params({"l2_regularization": 0}, "hist_gradient_boosting") == (
        "{l2_regularization=0}"
    )
    assert short_params({"max_depth": 0}, "hist_gradient_boosting") == "{max_depth=0 (no limit)}"
