"""Training engines: the one interface that the tabular (AutoML) and the forecasting engines both
implement, chosen once per pipeline by `engine_for`.

The training services run a job and register its models through an `Engine` without testing the
problem type again: the engine reads the pipeline's data, runs, and says for each candidate what
is saved and served (`artifact`), which metrics go on its card (`card_metrics`), what the input
schema adds (`schema_extra`) and whether the serving path is checked (`serving_check`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from datasets.services import dataset_frame
from pipelines.models import Pipeline
from pipelines.services import pipeline_forecast_horizon
from preprocessing.series import SeriesError, series_frequency
from training import automl, forecasting, reference
from training.budget import registration_reserve_s
from vur.errors import InvalidInput

EventSink = Callable[[str, dict[str, Any]], None]

# One Cancelled for both engines (training.forecasting re-exports automl's).
Cancelled = automl.Cancelled


class NoModels(Exception):  # noqa: N818 - reads as the reason a job failed
    """A run that ended without any model (nothing finished within the budget)."""


@dataclass(frozen=True)
class EngineRun:
    """What a run gives back: its candidates (best first) and the dataset columns they read."""

    results: list[Any]
    columns: list[str]


class Engine(Protocol):
    """What training needs from an engine, for one pipeline."""

    @property
    def name(self) -> str:
        """The card's serving path when `serving_check` is false (the engine's object serves)."""
        ...

    @property
    def serving_check(self) -> bool:
        """Whether the model's compiled serving path is checked against its own answers."""
        ...

    @property
    def failures(self) -> tuple[type[Exception], ...]:
        """The engine's own errors: the job ends failed with their message (no traceback)."""
        ...

    def start_config(self) -> dict[str, Any]:
        """What a start request adds to the job's stored config."""
        ...

    def check_start(self) -> None:
        """Refuse (InvalidInput) data the engine can tell up front it cannot train on."""
        ...

    def run(
        self,
        config: Mapping[str, Any],
        *,
        time_budget_s: float,
        on_event: EventSink,
        should_stop: Callable[[], bool],
    ) -> EngineRun:
        """Read the pipeline's data, train within `time_budget_s`, return the candidates."""
        ...

    def artifact(self, result: Any) -> Any:
        """The fitted object saved for `result` and loaded to serve it."""
        ...

    def card_metrics(self, result: Any) -> dict[str, Any]:
        """The metrics the card and the leaderboard show for `result`."""
        ...

    def schema_extra(self, result: Any, artifact: Any) -> dict[str, Any]:
        """What the model's input schema adds to the columns it reads."""
        ...

    def reference(
        self,
        frame: Any,
        artifact: Any,
        *,
        columns: list[str],
        config: Mapping[str, Any],
        profiles: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """What monitoring compares live traffic against, from the training data (`frame`);
        `profiles` are column profiles an earlier candidate of the job already computed."""
        ...


def tabular_budget(time_budget_s: float, reading_started: float, n_columns: int) -> float:
    """The AutoML engine's budget: what is left after reading, less the time registration
    spends per column (`budget.registration_reserve_s`); never under a tenth of the budget."""
    left = left_after_reading(time_budget_s, reading_started) - registration_reserve_s(n_columns)
    return max(left, 0.1 * time_budget_s)


def left_after_reading(time_budget_s: float, reading_started: float) -> float:
    """What is left of `time_budget_s` once the data is read (a large file takes seconds of it);
    at least a tenth of it, so a run always gets some time."""
    return max(time_budget_s - (time.monotonic() - reading_started), 0.1 * time_budget_s)


@dataclass(frozen=True)
class TabularEngine:
    """Classification and regression: `training.automl` on the pipeline's feature columns."""

    pipeline: Pipeline
    name: str = "tabular"
    serving_check: bool = True
    failures: tuple[type[Exception], ...] = (automl.AutoMLError,)

    def start_config(self) -> dict[str, Any]:
        """Nothing to add: the tabular engine reads the request's own settings."""
        return {}

    def check_start(self) -> None:
        """Nothing to check before the run: the pipeline's columns were checked when it was set."""

    def features(self) -> list[str]:
        """The columns the models read: the pipeline's, the selected ones, or all but the target."""
        pipeline = self.pipeline
        selected = (pipeline.feature_config or {}).get("selected") or []
        names = pipeline.dataset.column_names
        chosen = pipeline.feature_columns or selected
        return list(chosen or [c for c in names if c != pipeline.target_column])

    def run(
        self,
        config: Mapping[str, Any],
        *,
        time_budget_s: float,
        on_event: EventSink,
        should_stop: Callable[[], bool],
    ) -> EngineRun:
        """AutoML on the feature columns (class labels kept as written for classification)."""
        pipeline = self.pipeline
        features = self.features()
        classification = pipeline.problem_type == Pipeline.ProblemType.CLASSIFICATION
        reading = time.monotonic()
        frame = dataset_frame(
            pipeline.dataset,
            usecols=[*features, pipeline.target_column],
            keep_raw=(pipeline.target_column,) if classification else (),
        )
        settings = automl.AutoMLSettings(
            target=pipeline.target_column,
            problem_type=pipeline.problem_type,
            feature_columns=features,
            schema=[c for c in pipeline.dataset.columns_info if c["name"] in features],
            algorithms=config["algorithms"],
            hyperparameters=config.get("hyperparameters") or None,
            search=config.get("search"),
            time_budget_s=tabular_budget(time_budget_s, reading, len(features)),
            validation_split=float(config.get("validation_split", 0.2)),
            cross_validation=bool(config.get("cross_validation", False)),
            cv_folds=int(config.get("cv_folds", 5)),
            early_stopping=bool(config.get("early_stopping", True)),
            max_epochs=int(config.get("max_epochs", 100)),
            preprocessing_config=pipeline.preprocessing_config or None,
            random_state=int(config.get("random_state", 0)),
            feature_config=pipeline.feature_config or None,
            target_info=pipeline.dataset.column(pipeline.target_column),
        )
        results = automl.run_automl(frame, settings, on_event=on_event, should_stop=should_stop)
        return EngineRun(results=list(results), columns=features)

    def artifact(self, result: Any) -> Any:
        """The fitted scikit-learn Pipeline (preprocess -> features -> model)."""
        return result.pipeline

    def card_metrics(self, result: Any) -> dict[str, Any]:
        """Hold-out metrics."""
        return dict(result.test_metrics or {})

    def schema_extra(self, result: Any, artifact: Any) -> dict[str, Any]:
        """The class labels (None for regression)."""
        return {"classes": result.classes}

    def reference(
        self,
        frame: Any,
        artifact: Any,
        *,
        columns: list[str],
        config: Mapping[str, Any],
        profiles: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """Training-row column profiles and hold-out predictions (the job's split and seed)."""
        pipeline = self.pipeline
        return reference.tabular_reference(
            frame,
            features=columns,
            schema=[c for c in pipeline.dataset.columns_info if c["name"] in columns],
            target=pipeline.target_column,
            problem_type=pipeline.problem_type,
            fitted=artifact,
            validation_split=float(config.get("validation_split", 0.2)),
            seed=int(config.get("random_state", 0)),
            columns=profiles,
        )


def unused_columns_line(used: list[str], unused: list[str], limit: int = 10) -> str:
    """The job log's line naming the columns of the dataset a forecaster does not read."""
    names = ", ".join(repr(c) for c in unused[:limit])
    more = f" and {len(unused) - limit} more" if len(unused) > limit else ""
    verb = "is" if len(unused) == 1 else "are"
    return (
        f"The forecasters read {', '.join(repr(c) for c in used)}; {names}{more} {verb} not "
        "used (each series is forecast from its own history)."
    )


@dataclass(frozen=True)
class ForecastEngine:
    """Forecasting: `training.forecasting` on the time, id and target columns."""

    pipeline: Pipeline
    name: str = "forecaster"
    serving_check: bool = False
    failures: tuple[type[Exception], ...] = (forecasting.ForecastError,)

    def start_config(self) -> dict[str, Any]:
        """The horizon: the pipeline's, or the default for its series (`pipelines.services`)."""
        return {"horizon": pipeline_forecast_horizon(self.pipeline)}

    def check_start(self) -> None:
        """Refuse, before a job is queued, what the run could only fail on: a time column
        without a regular frequency, a grid mostly without values, or no series long enough
        for the horizon (the run's own input checks, `forecasting.check_input`)."""
        pipeline = self.pipeline
        time_col, id_col = self._columns()
        columns = [c for c in (time_col, id_col, pipeline.target_column) if c]
        frame = dataset_frame(pipeline.dataset, usecols=columns)
        try:
            series_frequency(frame, time_col, id_col)
        except SeriesError as exc:
            raise InvalidInput(
                f"{exc} Forecasting needs timestamps on a regular grid (hourly, daily, monthly, "
                "...); choose another time column or resample the data before uploading.",
                code="irregular_series",
                errors={"time_column": [str(exc)]},
            ) from None
        try:
            settings = forecasting.ForecastSettings(
                time_column=time_col,
                target=pipeline.target_column,
                id_column=id_col,
                horizon=int(self.start_config()["horizon"]),
            )
            forecasting.check_input(frame, settings)
        except forecasting.ForecastError as exc:
            raise InvalidInput(str(exc), code=exc.code) from None

    def _columns(self) -> tuple[str, str | None]:
        """The time column and the id column (None without one) the run reads."""
        pipeline = self.pipeline
        return pipeline.time_column or pipeline.dataset.time_column, pipeline.id_column or None

    def run(
        self,
        config: Mapping[str, Any],
        *,
        time_budget_s: float,
        on_event: EventSink,
        should_stop: Callable[[], bool],
    ) -> EngineRun:
        """Backtest, calibrate and refit forecasters on the series."""
        pipeline = self.pipeline
        time_col, id_col = self._columns()
        columns = [c for c in (time_col, id_col, pipeline.target_column) if c]
        reading = time.monotonic()
        frame = dataset_frame(pipeline.dataset, usecols=columns)
        unused = [c for c in pipeline.dataset.column_names if c not in columns]
        if unused:
            on_event("log", {"message": unused_columns_line(columns, unused), "level": "info"})
        settings = forecasting.ForecastSettings(
            time_column=time_col,
            target=pipeline.target_column,
            id_column=id_col,
            horizon=int(config["horizon"]),
            algorithms=config["algorithms"],
            hyperparameters=config.get("hyperparameters") or None,
            time_budget_s=left_after_reading(time_budget_s, reading),
            preprocessing_config=pipeline.preprocessing_config or None,
            feature_config=pipeline.feature_config or None,
            random_state=int(config.get("random_state", 0)),
            auto=bool(config.get("auto")),
            target_info=pipeline.dataset.column(pipeline.target_column),
        )
        results = forecasting.run_forecast_automl(
            frame, settings, on_event=on_event, should_stop=should_stop
        )
        return EngineRun(results=list(results), columns=columns)

    def artifact(self, result: Any) -> Any:
        """The refitted ForecastModel (it knows its history, frequency and horizon)."""
        return result.model

    def card_metrics(self, result: Any) -> dict[str, Any]:
        """Backtest metrics."""
        return dict(result.backtest_metrics or {})

    def schema_extra(self, result: Any, artifact: Any) -> dict[str, Any]:
        """The forecaster's own schema: time and id columns, frequency, horizon, levels."""
        extra: dict[str, Any] = artifact.input_schema()
        return extra

    def reference(
        self,
        frame: Any,
        artifact: Any,
        *,
        columns: list[str],
        config: Mapping[str, Any],
        profiles: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """Per series the backtest error by step and the MASE scale."""
        return reference.forecast_reference(artifact, frame)


_ENGINES: dict[str, Callable[[Pipeline], Engine]] = {
    Pipeline.ProblemType.CLASSIFICATION.value: TabularEngine,
    Pipeline.ProblemType.REGRESSION.value: TabularEngine,
    Pipeline.ProblemType.FORECASTING.value: ForecastEngine,
}


def engine_for(pipeline: Pipeline) -> Engine:
    """The engine that trains `pipeline`: chosen here, once, by its problem type."""
    return _ENGINES[pipeline.problem_type](pipeline)
