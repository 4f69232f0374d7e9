"""Checks of the data against the settings: the rows with a target, the features, their
profiles, and whether the target qualifies for log1p(target) candidates. Django-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from training.automl.settings import AutoMLError, AutoMLSettings
from training.builder import infer_schema, used_columns
from training.labels import boolean_spellings, normalize_labels

__all__ = ["MIN_ROWS", "Inputs", "check_inputs", "log_target_ok"]

MIN_ROWS = 20
# Regression targets that are non-negative and at least this right-skewed also get log1p(target)
# candidates; whether the log helps is then decided by CV RMSE on the original scale.
LOG_TARGET_MIN_SKEW = 0.5


@dataclass(frozen=True)
class Inputs:
    """The checked data: feature frame, target (one plain dtype), feature names, profiles."""

    X: pd.DataFrame
    y: pd.Series
    features: list[str]
    schema: list[dict[str, Any]]
    no_target: int = 0  # rows left out because their target is missing
    # Class labels read as another spelling of the same boolean word ("no" -> "No").
    spellings: dict[str, str] = field(default_factory=dict)


def check_inputs(df: pd.DataFrame, settings: AutoMLSettings) -> Inputs:
    """The rows and columns to train on, or AutoMLError saying why the data cannot be used."""
    if not isinstance(df, pd.DataFrame) or df.empty:
        raise AutoMLError("The data is empty.")
    target = settings.target
    if target not in df.columns:
        raise AutoMLError(f"The target column '{target}' is not in the data.")
    features = _features(df, settings)
    labelled = df[target].notna()
    no_target = int((~labelled).sum())
    if no_target:  # nothing to learn from or score against: always left out
        df = df.loc[labelled]
    y = df[target]
    if len(df) < MIN_ROWS:
        raise AutoMLError(f"At least {MIN_ROWS} rows with a target are needed; got {len(df)}.")
    spellings = boolean_spellings(y) if settings.is_classification else {}
    y = _class_target(y, target) if settings.is_classification else _numeric_target(y, target)
    X = df[features].reset_index(drop=True)
    if X.isna().all().all():
        names = ", ".join(map(str, features[:5])) + (", ..." if len(features) > 5 else "")
        raise AutoMLError(
            f"Every feature column ({names}) is empty in the rows with a target; "
            "there is nothing to learn from."
        )
    schema = _schema(X, settings, features)
    return Inputs(X, y.reset_index(drop=True), features, schema, no_target, spellings)


def _features(df: pd.DataFrame, settings: AutoMLSettings) -> list[str]:
    target = settings.target
    given = settings.feature_columns
    features = list(given) if given else [c for c in df.columns if c != target]
    missing = [c for c in features if c not in df.columns]
    if missing:
        raise AutoMLError(f"Feature columns not in the data: {', '.join(map(str, missing))}.")
    features = [c for c in features if c != target]
    if not features:
        raise AutoMLError("There are no feature columns besides the target.")
    return features


def _class_target(y: pd.Series, target: str) -> pd.Series:
    # One plain label dtype (int/bool/float/str): sklearn types it, classes_ keep it.
    y = normalize_labels(y)
    classes = y.unique()
    if len(classes) < 2:
        raise AutoMLError(
            f"The target '{target}' has only one class ({np.asarray(classes[0]).item()!r}); "
            "classification needs at least two."
        )
    if len(classes) > max(100, len(y) // 2):
        raise AutoMLError(
            f"The target '{target}' has {len(classes)} classes; is this a regression problem?"
        )
    return y


def _numeric_target(y: pd.Series, target: str) -> pd.Series:
    if not pd.api.types.is_numeric_dtype(y.dtype) or pd.api.types.is_bool_dtype(y.dtype):
        converted = pd.to_numeric(y, errors="coerce")
        if converted.isna().any():
            raise AutoMLError(f"The regression target '{target}' must be numeric.")
        y = converted
    y = y.astype("float64")
    if not np.isfinite(y.to_numpy()).all():
        raise AutoMLError(f"The regression target '{target}' has infinite values.")
    if y.nunique() < 2:
        raise AutoMLError(f"The regression target '{target}' is constant.")
    return y


def _schema(X: pd.DataFrame, settings: AutoMLSettings, features: list[str]) -> list[dict[str, Any]]:
    """The given column profiles, completed by inference for features they do not cover."""
    profiles = list(settings.schema) if settings.schema else []
    known = {p["name"] for p in profiles}
    missing = [c for c in features if c not in known]
    if missing:
        profiles += infer_schema(X[missing])
    try:
        used = used_columns(profiles, settings.target, features)
    except ValueError as exc:
        raise AutoMLError(str(exc)) from None
    if not used:
        raise AutoMLError("Every feature column is an id column; there is nothing to learn from.")
    return profiles


def log_target_ok(y: pd.Series, problem_type: str) -> bool:
    """Whether fitting on log1p(y) is worth a try: a non-negative, right-skewed numeric target."""
    if problem_type != "regression":
        return False
    values = y.to_numpy(dtype="float64")
    return bool(values.min() >= 0.0 and float(pd.Series(values).skew()) >= LOG_TARGET_MIN_SKEW)
