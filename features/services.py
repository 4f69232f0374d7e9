"""Feature-engineering work: describe and save generated features, select features on training
rows only, and read feature importance.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from datasets.frequency import infer_frequency
from datasets.services import dataset_frame
from features import selection
from features.config import FeatureConfig
from features.series import SeriesFeaturizer, lookback_limit
from features.tabular import interaction_name
from pipelines.models import Pipeline
from pipelines.services import pipeline_set_config
from vur.errors import InvalidInput

DATE_PARTS = ("year", "month", "day", "dayofweek", "hour")
# Interactions are the pairwise products of this many numeric inputs at most (10 pairs).
INTERACTION_COLUMNS = 5


def training_rows(
    pipeline: Pipeline, frame: pd.DataFrame, validation_split: float = 0.2
) -> pd.DataFrame:
    """The rows a model would train on: the earliest part of a series, or a seeded random part."""
    n_train = max(1, int(round(len(frame) * (1 - validation_split))))
    if pipeline.problem_type == Pipeline.ProblemType.FORECASTING:
        time_col = pipeline.time_column or pipeline.dataset.time_column
        return frame.sort_values(time_col).head(n_train)
    rng = np.random.default_rng(0)
    return frame.iloc[np.sort(rng.permutation(len(frame))[:n_train])]


def _series(pipeline: Pipeline) -> pd.Series:
    time_col = pipeline.time_column or pipeline.dataset.time_column
    cols = [time_col, pipeline.target_column] + ([pipeline.id_column] if pipeline.id_column else [])
    frame = dataset_frame(pipeline.dataset, usecols=cols)
    if pipeline.id_column:
        first = frame[pipeline.id_column].dropna().iloc[0]
        frame = frame[frame[pipeline.id_column] == first]
    frame = training_rows(pipeline, frame.dropna(subset=[time_col]))
    series = frame.groupby(time_col)[pipeline.target_column].mean().sort_index()
    freq = pipeline.dataset.frequency or infer_frequency(series.index)
    if freq:
        series = series.asfreq(freq)
    return series


def features_generate(
    *,
    pipeline: Pipeline,
    lags: list[int] | None = None,
    rolling_windows: list[int] | None = None,
    calendar: bool = True,
    fourier_terms: int | None = None,
    interactions: bool = False,
) -> dict[str, Any]:
    """Decide the generated features (defaults from the data) and save them on the pipeline.

    Safe to repeat; the saved config replaces the previous one.
    """
    features: list[dict[str, Any]] = []
    config: dict[str, Any] = dict(pipeline.feature_config or {})
    if pipeline.problem_type == Pipeline.ProblemType.FORECASTING:
        series = _series(pipeline)
        if len(series) < 4:
            raise InvalidInput("The series is too short to generate features.", code="too_few_rows")
        _check_lookback(len(series), lags=lags, rolling_windows=rolling_windows)
        featurizer = SeriesFeaturizer(
            freq=pipeline.dataset.frequency or None, lags=lags, windows=rolling_windows,
            calendar=calendar, fourier_terms=3 if fourier_terms is None else fourier_terms,
        ).fit(series)  # fmt: skip
        target = pipeline.target_column
        for name in featurizer.feature_names_:
            kind = name.split("_")[0]
            if name.startswith("lag_"):
                steps = name[4:]
                desc = f"{target} {steps} step{'' if steps == '1' else 's'} earlier"
                kind = "lag"
            elif name.startswith("roll_"):
                _, stat, window = name.split("_")
                desc, kind = f"{stat} of the {window} values before", "rolling"
            elif name.startswith("fourier_"):
                desc, kind = f"Fourier term of the season of {name.split('_')[1]} steps", "fourier"
            else:
                desc, kind = f"calendar: {name}", "calendar"
            features.append(
                {"name": name, "kind": kind, "source_columns": [target], "description": desc}
            )
        config.update(
            lags=featurizer.lags_, rolling_windows=featurizer.windows_, calendar=calendar,
            fourier_terms=featurizer.fourier_terms, seasons=featurizer.seasons_,
        )  # fmt: skip
    else:
        if lags or rolling_windows or fourier_terms:
            raise InvalidInput(
                "Lags, rolling windows and Fourier terms apply to forecasting pipelines.",
                code="not_a_series",
            )
        pairs = _interaction_pairs(pipeline) if interactions else []
        for a, b in pairs:
            features.append({
                "name": interaction_name(a, b), "kind": "interaction", "source_columns": [a, b],
                "description": f"product of {a} and {b} (after imputation and scaling)",
            })  # fmt: skip
        for name in date_columns(pipeline):
            for part in DATE_PARTS:
                features.append({
                    "name": f"{name}_{part}", "kind": "calendar",
                    "source_columns": [name], "description": f"{part} of {name}",
                })  # fmt: skip
        config.update(calendar=calendar, interactions=[list(p) for p in pairs])
    config["features"] = features
    pipeline_set_config(pipeline=pipeline, field="feature_config", value=config, step="features")
    return {"features": features}


def _check_lookback(
    n_obs: int, *, lags: list[int] | None, rolling_windows: list[int] | None
) -> None:
    """Refuse lags and rolling windows reaching back further than a training series of `n_obs`
    points supports (`lookback_limit`), naming the field and the longest that fits."""
    limit = lookback_limit(n_obs)
    errors: dict[str, list[str]] = {}
    for key, values, what in (
        ("lags", lags, "lag"),
        ("rolling_windows", rolling_windows, "window"),
    ):
        longest = max(values or [0])
        if longest > limit:
            errors[key] = [
                f"A {what} of {longest} steps is longer than this series supports: its training "
                f"part has {n_obs} steps, so lags and windows reach back at most {limit} steps "
                "(half of it)."
            ]
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, code="lookback_too_long", errors=errors)


def _interaction_pairs(pipeline: Pipeline) -> list[tuple[str, str]]:
    """Every pair among the (at most) `INTERACTION_COLUMNS` numeric inputs most informative
    about the target, by mutual information on training rows only."""
    target = pipeline.target_column
    info = {c["name"]: c for c in pipeline.dataset.columns_info}
    chosen = pipeline.feature_columns or list(FeatureConfig.parse(pipeline.feature_config).selected)
    numeric = [
        name
        for name, col in info.items()
        if name != target
        and col.get("semantic_type") == "numeric"
        and (not chosen or name in chosen)
    ]
    if len(numeric) < 2:
        raise InvalidInput(
            "Interactions need at least two numeric feature columns; this pipeline has "
            f"{len(numeric)}.",
            code="too_few_numeric_columns",
        )
    if len(numeric) > INTERACTION_COLUMNS:
        keep = (target,) if pipeline.problem_type == Pipeline.ProblemType.CLASSIFICATION else ()
        frame = dataset_frame(pipeline.dataset, usecols=[*numeric, target], keep_raw=keep)
        train = training_rows(pipeline, frame).dropna(subset=[target])
        try:
            ranked = selection.select_features(
                train[numeric], train[target], problem_type=pipeline.problem_type,
                method="mutual_info", k=INTERACTION_COLUMNS,
            )["selected"]  # fmt: skip
        except selection.FeatureSelectionError as exc:
            raise InvalidInput(str(exc), code="invalid_selection") from None
        numeric = [n for n in numeric if n in ranked]
    return list(itertools.combinations(numeric, 2))


def date_columns(pipeline: Pipeline) -> list[str]:
    """A table pipeline's input columns of dates (not the target; among its feature columns
    when it has chosen some), which its preprocessing splits into calendar parts."""
    chosen = set(pipeline.feature_columns or [])
    return [
        c["name"]
        for c in pipeline.dataset.columns_info
        if c["semantic_type"] == "datetime"
        and c["name"] != pipeline.target_column
        and (not chosen or c["name"] in chosen)
    ]


def selectable_columns(pipeline: Pipeline) -> list[str]:
    """The input columns feature selection scores: the pipeline's feature columns, else every
    column but the target, time, series id and id-like ones (a one-column series has none)."""
    exclude = {pipeline.target_column, pipeline.time_column, pipeline.id_column} - {""}
    info = {c["name"]: c for c in pipeline.dataset.columns_info}
    return list(pipeline.feature_columns or []) or [
        c
        for c in pipeline.dataset.column_names
        if c not in exclude and info[c]["semantic_type"] != "id"
    ]


def features_unselect(*, pipeline: Pipeline) -> Pipeline:
    """Forget the pipeline's column selection, so training uses every input column again (the
    generated features stay). Safe to repeat."""
    config = {
        k: v
        for k, v in (pipeline.feature_config or {}).items()
        if k not in ("selected", "selection")
    }
    return pipeline_set_config(
        pipeline=pipeline, field="feature_config", value=config, step="features"
    )


def features_select(
    *, pipeline: Pipeline, method: str, k: int | None = None, threshold: float | None = None
) -> dict[str, Any]:
    """Score the pipeline's input columns on training rows only; save the selected ones.

    Forecasting pipelines select among their regressor columns. Safe to repeat.
    """
    target = pipeline.target_column
    exclude = {target, pipeline.time_column, pipeline.id_column} - {""}
    candidates = selectable_columns(pipeline)
    if not candidates:
        raise InvalidInput("There are no feature columns to select from.", code="no_features")
    keep = (target,) if pipeline.problem_type == Pipeline.ProblemType.CLASSIFICATION else ()
    frame = dataset_frame(
        pipeline.dataset, usecols=[*candidates, target, *(exclude - {target})], keep_raw=keep
    )
    train = training_rows(pipeline, frame).dropna(subset=[target])
    X = train[candidates]
    for col in X.columns:
        if pd.api.types.is_datetime64_any_dtype(X[col]):
            X = X.assign(**{col: X[col].astype("int64", errors="ignore")})
    forecasting = pipeline.problem_type == Pipeline.ProblemType.FORECASTING
    problem = Pipeline.ProblemType.REGRESSION if forecasting else pipeline.problem_type
    try:
        result = selection.select_features(
            X, train[target], problem_type=problem, method=method, k=k, threshold=threshold
        )
    except selection.FeatureSelectionError as exc:
        raise InvalidInput(str(exc), code="invalid_selection") from None
    config = dict(pipeline.feature_config or {})
    config.update(
        selection={"method": method, "k": k, "threshold": threshold}, selected=result["selected"]
    )
    pipeline_set_config(pipeline=pipeline, field="feature_config", value=config, step="features")
    return result
