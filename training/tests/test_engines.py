"""One engine interface for tabular and forecasting training, chosen once by `engine_for`."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from conftest import pipeline_on_sample, sample_path
from pipelines.limits import frequency_horizon
from pipelines.models import Pipeline
from training import automl, forecasting
from training.engines import (
    Engine,
    ForecastEngine,
    TabularEngine,
    engine_for,
)

pytestmark = pytest.mark.django_db
TRAINING = Path(__file__).resolve().parents[1]


def _events() -> tuple[list[tuple[str, dict]], object]:
    seen: list[tuple[str, dict]] = []
    return seen, lambda kind, payload: seen.append((kind, payload))


def test_each_problem_type_gets_its_engine(owner):
    cls = pipeline_on_sample(owner, "penguins.csv", "species", Pipeline.ProblemType.CLASSIFICATION)
    reg = pipeline_on_sample(owner, "penguins.csv", "body_mass_g", Pipeline.ProblemType.REGRESSION)
    fc = pipeline_on_sample(
        owner, "series_airpassengers.csv", "passengers", Pipeline.ProblemType.FORECASTING
    )
    assert isinstance(engine_for(cls), TabularEngine)
    assert isinstance(engine_for(reg), TabularEngine)
    assert isinstance(engine_for(fc), ForecastEngine)
    for engine in map(engine_for, (cls, fc)):
        checked: Engine = engine  # both satisfy the protocol (mypy checks this line)
        assert checked.failures and all(issubclass(e, Exception) for e in checked.failures)


def test_the_forecast_horizon_is_the_pipelines_or_a_default_for_the_frequency(owner):
    fixed = pipeline_on_sample(
        owner,
        "series_airpassengers.csv",
        "passengers",
        Pipeline.ProblemType.FORECASTING,
        forecast_horizon=5,
    )
    assert engine_for(fixed).start_config() == {"horizon": 5}
    auto = pipeline_on_sample(
        owner, "series_airpassengers.csv", "passengers", Pipeline.ProblemType.FORECASTING
    )
    expected = frequency_horizon(auto.dataset.frequency)  # 144 months: long enough for M4's
    assert auto.dataset.frequency.startswith("M") and expected == 18
    assert engine_for(auto).start_config() == {"horizon": 18}
    tabular = pipeline_on_sample(
        owner, "penguins.csv", "species", Pipeline.ProblemType.CLASSIFICATION
    )
    assert engine_for(tabular).start_config() == {}


def test_a_pipeline_made_through_rest_trains_a_short_series_for_the_short_default(api):
    """30 months and no horizon: the job is queued for 6 steps (a fifth of the series), the
    default the setup page offers and the pipeline answer names, not M4's 18."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pipelines.tests.test_horizon import MONTHLY_30
    from training.models import TrainingJob

    dataset = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("monthly_30.csv", MONTHLY_30.encode()), "name": "m30"},
        format="multipart",
    ).json()
    pipe = api.post(
        "/api/v1/pipelines/",
        {"name": "rest", "dataset_id": dataset["id"], "target_column": "visitors",
         "problem_type": "forecasting"},
        format="json",
    ).json()  # fmt: skip
    assert pipe["default_forecast_horizon"] == 6
    started = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert started.status_code == 202, started.json()
    assert TrainingJob.objects.get(pk=started.json()["job_id"]).config["horizon"] == 6


def test_the_tabular_engine_runs_automl_and_says_what_to_register(owner):
    pipeline = pipeline_on_sample(
        owner, "penguins.csv", "species", Pipeline.ProblemType.CLASSIFICATION
    )
    engine = engine_for(pipeline)
    seen, sink = _events()
    run = engine.run(
        # One search proposal: the run ends when its work is done, long before the budget.
        {"algorithms": ["linear"], "random_state": 0, "search": {"n_iter": 1}},
        time_budget_s=20.0,
        on_event=sink,
        should_stop=lambda: False,
    )
    assert run.columns == [c for c in pipeline.dataset.column_names if c != "species"]
    best = run.results[0]
    assert isinstance(best, automl.CandidateResult) and best.algorithm == "linear"
    fitted = engine.artifact(best)
    frame = pd.read_csv(sample_path("penguins.csv")).dropna().head(5)
    assert len(fitted.predict(frame[run.columns])) == 5
    assert engine.card_metrics(best) == best.test_metrics and "accuracy" in best.test_metrics
    assert engine.schema_extra(best, fitted) == {"classes": best.classes}
    assert sorted(best.classes) == ["Adelie", "Chinstrap", "Gentoo"]
    assert engine.serving_check and any(kind == "log" for kind, _ in seen)


def test_the_forecast_engine_runs_the_forecaster_and_says_what_to_register(owner):
    pipeline = pipeline_on_sample(
        owner,
        "series_airpassengers.csv",
        "passengers",
        Pipeline.ProblemType.FORECASTING,
        forecast_horizon=6,
    )
    engine = engine_for(pipeline)
    _seen, sink = _events()
    run = engine.run(
        {**engine.start_config(), "algorithms": ["seasonal_naive"]},
        time_budget_s=20.0,
        on_event=sink,
        should_stop=lambda: False,
    )
    assert run.columns == [pipeline.time_column, "passengers"]
    best = run.results[0]
    assert isinstance(best, forecasting.ForecastCandidate)
    model = engine.artifact(best)
    assert isinstance(model, forecasting.ForecastModel) and model.horizon == 6
    assert engine.card_metrics(best) == best.backtest_metrics and "mase" in best.backtest_metrics
    extra = engine.schema_extra(best, model)
    assert extra["horizon"] == 6 and extra["time_column"] == pipeline.time_column
    assert not engine.serving_check and engine.name == "forecaster"


def test_an_engines_own_error_is_one_of_its_failures(owner):
    pipeline = pipeline_on_sample(
        owner, "series_airpassengers.csv", "passengers", Pipeline.ProblemType.FORECASTING
    )
    engine = engine_for(pipeline)
    with pytest.raises(engine.failures):
        engine.run(
            {"horizon": 0, "algorithms": "auto"},
            time_budget_s=5.0,
            on_event=lambda kind, payload: None,
            should_stop=lambda: False,
        )


@pytest.mark.parametrize("name", ["services.py", "tasks.py"])
def test_services_and_tasks_do_not_test_the_problem_type(name):
    tree = ast.parse((TRAINING / name).read_text())
    compared = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(
            isinstance(side, ast.Attribute) and side.attr == "problem_type"
            for side in (node.left, *node.comparators)
        )
    ]
    assert compared == []
