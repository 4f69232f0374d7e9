"""What monitoring compares live traffic against, computed when a model is registered.

Per input column of the training rows: quantile bins with counts and a quantile sketch (numeric)
or level counts (categorical); the distribution of the model's predictions on the hold-out rows;
for forecasters, per series the backtest error by horizon step and the in-sample seasonal naive
MAE (the MASE scale). Plain pandas/numpy: no Django here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from datasets.timeseries import readable_ids
from modeling.metrics import mase_scale
from training import automl
from training.labels import normalize_labels

REFERENCE_VERSION = 1
NUMERIC_BINS = 10
SKETCH_SIZE = 1000
MAX_LEVELS = 50
OTHER = "__other__"
MAX_PROFILE_ROWS = 200_000
MAX_HOLDOUT_ROWS = 5_000
NUMERIC_TYPES = ("numeric",)
CATEGORICAL_TYPES = ("categorical", "boolean")


def numeric_profile(values: Any) -> dict[str, Any]:
    """Decile bin edges with counts, a quantile sketch (the reference ECDF), and n / nulls."""
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64")
    finite = x[np.isfinite(x)]
    n = int(len(finite))
    out: dict[str, Any] = {"kind": "numeric", "n": n, "nulls": int(len(x) - n)}
    if n == 0:
        return {**out, "edges": [], "counts": [0], "sketch": []}
    inner = np.unique(np.quantile(finite, np.linspace(0, 1, NUMERIC_BINS + 1)[1:-1]))
    counts = np.bincount(bin_index(finite, inner), minlength=len(inner) + 1)
    if n <= SKETCH_SIZE:
        sketch = np.sort(finite)
    else:
        sketch = np.quantile(finite, np.linspace(0, 1, SKETCH_SIZE), method="inverted_cdf")
    return {
        **out,
        "edges": [float(v) for v in inner],
        "counts": [int(c) for c in counts],
        "sketch": [float(v) for v in sketch],
        "mean": float(np.mean(finite)),
        "std": float(np.std(finite)),
    }


def bin_index(values: np.ndarray, edges: Any) -> np.ndarray:
    """Bin of each value for inner `edges`: bin i holds edges[i-1] < v <= edges[i]."""
    return np.searchsorted(np.asarray(edges, dtype="float64"), values, side="left")


def level_key(value: Any) -> str:
    """The string a categorical value is counted under (booleans and numbers included)."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def categorical_profile(values: Any) -> dict[str, Any]:
    """Counts of the most frequent levels (the rest summed under `__other__`), n and nulls."""
    s = pd.Series(values)
    present = s.dropna()
    counts = present.map(level_key).value_counts()
    top = counts.iloc[:MAX_LEVELS]
    levels = {str(k): int(v) for k, v in top.items()}
    rest = int(counts.iloc[MAX_LEVELS:].sum())
    if rest:
        levels[OTHER] = rest
    return {
        "kind": "categorical",
        "n": int(len(present)),
        "nulls": int(len(s) - len(present)),
        "levels": levels,
    }


def column_kind(semantic_type: str | None) -> str | None:
    """How a column is monitored: "numeric", "categorical", or None (ids, text, dates)."""
    if semantic_type in NUMERIC_TYPES:
        return "numeric"
    if semantic_type in CATEGORICAL_TYPES:
        return "categorical"
    return None


def frame_profile(frame: pd.DataFrame, schema: list[dict[str, Any]]) -> dict[str, Any]:
    """A profile per monitored column of `frame` (schema entries: name, semantic_type)."""
    out: dict[str, Any] = {}
    for col in schema:
        name = col["name"]
        kind = column_kind(col.get("semantic_type"))
        if kind is None or name not in frame.columns:
            continue
        values = frame[name]
        out[name] = numeric_profile(values) if kind == "numeric" else categorical_profile(values)
    return out


def _sample(frame: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    if len(frame) <= limit:
        return frame
    return frame.sample(n=limit, random_state=seed)


def prediction_profile(predictions: Any, problem_type: str) -> dict[str, Any]:
    """The distribution of a model's outputs: class frequencies or a numeric profile."""
    if problem_type == "classification":
        return categorical_profile(np.asarray(predictions, dtype=object))
    return numeric_profile(np.asarray(predictions, dtype="float64"))


def training_split(
    frame: pd.DataFrame,
    *,
    features: list[str],
    target: str,
    problem_type: str,
    validation_split: float,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training and hold-out rows exactly as AutoML split them (same rows, same seed)."""
    df = frame.loc[frame[target].notna()].reset_index(drop=True)
    # The labels AutoML split on: one per class (boolean words folded), one plain type.
    y = normalize_labels(df[target]) if problem_type == "classification" else df[target]
    train_idx, test_idx = automl.holdout_split(
        df[features], y, problem_type, validation_split, seed
    )
    return df.iloc[np.sort(train_idx)], df.iloc[np.sort(test_idx)]


def tabular_reference(
    frame: pd.DataFrame,
    *,
    features: list[str],
    schema: list[dict[str, Any]],
    target: str,
    problem_type: str,
    fitted: Any,
    validation_split: float = 0.2,
    seed: int = 0,
    columns: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Reference of a tabular model: training-row column profiles and hold-out predictions.

    `columns` reuses column profiles already computed for the same training rows (every
    candidate of one job shares them).
    """
    train, holdout = training_split(
        frame,
        features=features,
        target=target,
        problem_type=problem_type,
        validation_split=validation_split,
        seed=seed,
    )
    if columns is None:
        wanted = [c for c in schema if c["name"] in features]
        columns = frame_profile(_sample(train, MAX_PROFILE_ROWS, seed), wanted)
    ref: dict[str, Any] = {
        "version": REFERENCE_VERSION,
        "kind": "tabular",
        "problem_type": problem_type,
        "rows": int(len(train)),
        "columns": columns,
    }
    held = _sample(holdout, MAX_HOLDOUT_ROWS, seed)
    if fitted is not None and len(held):
        preds = np.asarray(fitted.predict(held[features]))
        ref["predictions"] = prediction_profile(preds, problem_type)
        ref["holdout_rows"] = int(len(held))
    return ref


def series_key(key: Any) -> str:
    """The string a series is known by in monitoring ("" for a single unnamed series)."""
    return "" if key is None else str(key)


def forecast_reference(
    model: Any,
    frame: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Reference of a forecaster: per series the backtest MAE by step and the MASE scale.

    `model` is the fitted `ForecastModel`; `frame` its training data (time, id, target columns),
    used for the MASE scale and the target's distribution.
    """
    series: dict[str, Any] = {}
    for key, forecaster in model.forecasters.items():
        entry: dict[str, Any] = {}
        errors = getattr(forecaster, "conformal_errors_", None)
        if errors is not None and np.size(errors):
            err = np.abs(np.atleast_2d(np.asarray(errors, dtype="float64")))
            with np.errstate(invalid="ignore"):
                mae = np.nanmean(err, axis=0)
            entry["backtest_mae_by_step"] = [None if not np.isfinite(v) else float(v) for v in mae]
            entry["backtest_windows"] = int(err.shape[0])
        series[series_key(key)] = entry
    if frame is not None and len(frame):
        target = model.target
        # the ids as training named the series (1, not 1.0; models trained before that kept
        # 1.0, and their references keep it too)
        if model.id_column and not any(isinstance(k, float) for k in model.forecasters):
            frame = frame.assign(**{model.id_column: readable_ids(frame[model.id_column])})
        groups = frame.groupby(model.id_column, sort=False) if model.id_column else [(None, frame)]
        for key, part in groups:
            values = part.sort_values(model.time_column)[target].to_numpy(dtype="float64")
            seasons = model.season_lengths.get(key) or [1]
            entry = series.setdefault(series_key(key), {})
            entry["mase_scale"] = mase_scale(values, seasons[0] if seasons else 1, floor=False)
            entry["target"] = numeric_profile(values)
    return {
        "version": REFERENCE_VERSION,
        "kind": "forecast",
        "problem_type": "forecasting",
        "frequency": model.freq,
        "horizon": int(model.horizon),
        "series": series,
    }
