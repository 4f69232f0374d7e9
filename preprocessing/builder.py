"""The one builder of the fitted preprocessing: turns column profiles and a preprocessing config
into the unfitted `preprocess` step that training fits on its training rows (and the preview fits
the same way), plus the training-only row filter and a plain account of every step.

Preprocessing follows each column's semantic type:

- id: left out. datetime: year/month/day/dayofweek/dayofyear/hour/minute (those that vary).
- numeric: optional per-column transformations, optional outlier treatment (capping at the
  training fences, or a signed log of the columns with training outliers), imputation with
  missing indicators, scaling. boolean: 0/1 then most-frequent imputation.
- categorical: missing values become a `__missing__` level (or the training mode for "mode"),
  then one-hot (at most 15 distinct values, rarer levels grouped) or cross-fitted target encoding
  (more than 15), unless `categorical_encoding` asks for "onehot", "target" or "ordinal" for all.
- text: treated as a high-cardinality categorical (target encoding), so repeated values still
  carry signal and unique ones fall back to the prior.
- `native_categories=True` (a model that splits on categories itself: histogram gradient
  boosting) with the "auto" encoding: categorical and text columns of at most
  `NATIVE_MAX_LEVELS` levels become integer codes learned from the training rows (levels beyond
  the most frequent `NATIVE_MAX_LEVELS - 1` grouped into one, unseen ones missing) in the
  `native` branch, named `native__<column>` (`native_names`), for the model to treat as
  categories; columns with more levels keep the target encoding.

Row-level steps cannot run inside a model that scores one row at a time: they are applied to the
training rows only, by `drop_training_rows` ("drop" drops the rows with a missing feature value,
outlier treatment "remove" drops the rows holding an outlier), and never at prediction time, where
a gap is imputed like the other strategies do. "interpolate" and "forward_fill" are time-series
fills (see `series_preparation`); a tabular model imputes the training median for them.
`describe_steps` says which step applies when. `custom_rules` are kept on the config but not
applied. Django-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from datasets.profiling import profile_frame
from datasets.semantics import SEMANTIC_TYPES
from preprocessing.config import (
    CATEGORICAL_ENCODINGS,
    OUTLIER_TREATMENTS,
    SERIES_FILL_METHODS,
    SERIES_OUTLIER_THRESHOLD,
    SERIES_TRANSFORMATIONS,
    TRANSFORMATION_TYPES,
    PreprocessingConfig,
)
from preprocessing.outliers import fences, outside
from preprocessing.transformers import (
    BooleanEncoder,
    CategoricalImputer,
    ColumnMathTransformer,
    ColumnSelector,
    DateTimeExpander,
    OutlierLogTransformer,
    Winsorizer,
)

__all__ = [
    "NATIVE_BRANCH",
    "NATIVE_MAX_LEVELS",
    "NUMERIC_BRANCH",
    "ONEHOT_MAX_LEVELS",
    "SEMANTIC_TYPES",
    "TrainingRows",
    "build_preprocessor",
    "describe_steps",
    "drop_training_rows",
    "infer_schema",
    "native_names",
    "series_preparation",
    "used_columns",
]

# The preprocessor's branch for numeric inputs: it names their columns `num__<column>`.
NUMERIC_BRANCH = "num"
TRAINING = "training"
TRAINING_AND_PREDICTION = "training_and_prediction"

ONEHOT_MAX_LEVELS = 15
# The preprocessor's branch of integer-coded categories for models that split on categories
# (`native_categories`); histogram gradient boosting takes at most 255 levels per feature.
NATIVE_BRANCH = "native"
NATIVE_MAX_LEVELS = 255
_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}


def infer_schema(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Column profiles (name, dtype, semantic_type, null_count, unique_count, ...) of `df`, by
    the one type inference, `datasets.profiling.profile_frame` (what a dataset's page shows).

    `df` is expected typed as training sees it (`datasets.profiling.coerce_types`)."""
    profiles: list[dict[str, Any]] = profile_frame(df)["columns_info"]
    return profiles


def used_columns(
    df_schema: list[dict[str, Any]], target: str, feature_columns: list[str] | None = None
) -> list[dict[str, Any]]:
    """The profiles of the columns the model reads: the features minus the target and id columns."""
    by_name = {c["name"]: c for c in df_schema}
    names = list(feature_columns) if feature_columns is not None else list(by_name)
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValueError(f"No column profile for {missing}.")
    return [
        by_name[n]
        for n in names
        if n != target and by_name[n].get("semantic_type", "numeric") != "id"
    ]


_IMPUTE = {"mean": "mean", "mode": "most_frequent"}  # every other strategy: the median


def _numeric_step(names: list[str], config: PreprocessingConfig) -> Pipeline:
    steps: list[tuple[str, Any]] = []
    wanted = [t.to_dict() for t in config.transformations if t.column in names]
    if wanted:
        steps.append(("transform", ColumnMathTransformer(transformations=wanted)))
    if config.treats_outliers:
        method, threshold = config.outlier_detection_method, config.outlier_threshold
        if config.outlier_treatment == "cap":
            steps.append(("cap", Winsorizer(method=method, threshold=threshold)))
        elif config.outlier_treatment == "transform":
            steps.append(("outliers", OutlierLogTransformer(method=method, threshold=threshold)))
    strategy = _IMPUTE.get(config.missing_values_strategy, "median")
    steps.append(("impute", SimpleImputer(strategy=strategy, add_indicator=True)))
    scaler = _scaler(config)
    if scaler is not None:
        steps.append(("scale", scaler))
    return Pipeline(steps)


def _scaler(config: PreprocessingConfig) -> Any:
    """A new scaler of the configured kind, or None for "none"."""
    kind = _SCALERS.get(config.scaling_method)
    return kind() if kind is not None else None


def _encoding_groups(
    profiles: list[dict[str, Any]], config: PreprocessingConfig, native: bool
) -> dict[str, list[str]]:
    """The categorical and text columns by encoding: onehot, target, ordinal or native."""
    encoding = config.categorical_encoding
    groups: dict[str, list[str]] = {"onehot": [], "target": [], "ordinal": [], NATIVE_BRANCH: []}
    for p in profiles:
        unique = p.get("unique_count")
        if encoding in ("onehot", "target", "ordinal"):
            groups[encoding].append(p["name"])
        elif native and (unique is None or unique <= NATIVE_MAX_LEVELS):
            groups[NATIVE_BRANCH].append(p["name"])
        elif p.get("semantic_type") == "text":
            groups["target"].append(p["name"])
        else:
            many = unique is not None and unique > ONEHOT_MAX_LEVELS
            groups["target" if many else "onehot"].append(p["name"])
    return groups


def native_names(
    profiles: list[dict[str, Any]],
    preprocessing_config: PreprocessingConfig | dict[str, Any] | None = None,
) -> list[str]:
    """The output names (`native__<column>`) of the columns `build_preprocessor` codes for a
    model with `native_categories` (used column profiles; none unless the encoding is "auto")."""
    config = PreprocessingConfig.parse(preprocessing_config)
    cats = [p for p in profiles if p.get("semantic_type") in ("categorical", "text")]
    return [f"{NATIVE_BRANCH}__{n}" for n in _encoding_groups(cats, config, True)[NATIVE_BRANCH]]


def _categorical_steps(
    profiles: list[dict[str, Any]],
    config: PreprocessingConfig,
    random_state: int,
    problem_type: str | None = None,
    supervised: bool = True,
    native: bool = False,
) -> list[tuple[str, Any, list[str]]]:
    encoding = config.categorical_encoding
    fill = "most_frequent" if config.missing_values_strategy == "mode" else "constant"
    groups = _encoding_groups(profiles, config, native and supervised)
    if not supervised:
        # Without a target there is nothing to encode against: the categories are shown imputed.
        cols = [name for kind in groups for name in groups[kind]]
        imputer = CategoricalImputer(strategy=fill)
        return [("categorical", Pipeline([("impute", imputer)]), cols)] if cols else []
    encoders = {
        "onehot": OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            max_categories=ONEHOT_MAX_LEVELS + 1 if encoding != "onehot" else 50,
            sparse_output=False,
        ),
        # A regression target of whole numbers (prices in dollars) would otherwise be read as
        # thousands of classes, and every column encoded once per class.
        "target": TargetEncoder(
            cv=_target_folds(problem_type, random_state),
            target_type=("continuous" if problem_type == "regression" else "auto"),
        ),
        "ordinal": OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
        ),
        # Codes 0..254 by level (the rarest grouped into the last); an unseen level is missing,
        # which the model routes like a gap.
        NATIVE_BRANCH: OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            encoded_missing_value=np.nan,
            max_categories=NATIVE_MAX_LEVELS,
        ),
    }
    steps = {
        kind: [("impute", CategoricalImputer(strategy=fill)), ("encode", enc)]
        for kind, enc in encoders.items()
    }
    # A regression target encoding is a mean in target units (a price: 1e5), which would swamp
    # distances (knn, svm) and blow up gradient-trained models (mlp, sgd): scale it like the
    # numeric columns. Classification encodings are probabilities in [0, 1] already.
    scaler = _scaler(config)
    if problem_type == "regression" and scaler is not None:
        steps["target"].append(("scale", scaler))
    return [(kind, Pipeline(steps[kind]), cols) for kind in encoders if (cols := groups[kind])]


def _target_folds(problem_type: str | None, random_state: int) -> Any:
    """Seeded cross-fitting folds of the target encoder (stratified for classification), so a
    fit is repeatable: the preview and training fit the same encodings and scalers."""
    if problem_type == "classification":
        return StratifiedKFold(n_splits=5, shuffle=True, random_state=random_state)
    if problem_type == "regression":
        return KFold(n_splits=5, shuffle=True, random_state=random_state)
    return 5


def _by_type(profiles: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_type: dict[str, list[dict[str, Any]]] = {t: [] for t in SEMANTIC_TYPES}
    for p in profiles:
        by_type.setdefault(p.get("semantic_type") or "numeric", []).append(p)
    return by_type


def build_preprocessor(
    profiles: list[dict[str, Any]],
    preprocessing_config: PreprocessingConfig | dict[str, Any] | None = None,
    random_state: int = 0,
    problem_type: str | None = None,
    supervised: bool = True,
    native_categories: bool = False,
) -> Pipeline:
    """The `preprocess` step for the given (used) column profiles: select, then encode by type.

    `preprocessing_config` is a `PreprocessingConfig` or a dict it parses (PreprocessingError
    when invalid). `problem_type` "regression" makes target encoding treat the target as
    continuous even when its values are whole numbers; otherwise the encoder infers the target
    type. `supervised=False` (a preview of a dataset without a target) leaves the categorical
    columns imputed but not encoded. `native_categories=True` codes the categorical and text
    columns of at most `NATIVE_MAX_LEVELS` levels as integers (`native_names`) for a model that
    splits on categories itself, when the encoding is "auto".
    """
    config = PreprocessingConfig.parse(preprocessing_config)
    by_type = _by_type(profiles)
    names = {t: [p["name"] for p in ps] for t, ps in by_type.items()}
    parts: list[tuple[str, Any, list[str]]] = []
    if names["numeric"]:
        parts.append((NUMERIC_BRANCH, _numeric_step(names["numeric"], config), names["numeric"]))
    if names["datetime"]:
        dt = Pipeline(
            [("expand", DateTimeExpander()), ("impute", SimpleImputer(strategy="median"))]
        )
        parts.append(("dt", dt, names["datetime"]))
    if names["boolean"]:
        bo = Pipeline(
            [("encode", BooleanEncoder()), ("impute", SimpleImputer(strategy="most_frequent"))]
        )
        parts.append(("bool", bo, names["boolean"]))
    cats = by_type["categorical"] + by_type["text"]
    parts.extend(
        _categorical_steps(cats, config, random_state, problem_type, supervised, native_categories)
    )
    if not parts:
        raise ValueError("There are no usable feature columns (only the target or id columns).")
    columns = [p["name"] for p in profiles]
    encode = ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0, n_jobs=1)
    return Pipeline([("select", ColumnSelector(columns=columns)), ("encode", encode)])


# --------------------------------------------------------------------------- training rows


@dataclass(frozen=True)
class TrainingRows:
    """The training rows left by the training-only row steps, and how many each step dropped."""

    X: pd.DataFrame
    y: pd.Series | None
    missing: int = 0
    outliers: int = 0

    @property
    def dropped(self) -> int:
        """Rows dropped in all."""
        return self.missing + self.outliers


def numeric_names(profiles: list[dict[str, Any]]) -> list[str]:
    """The columns the numeric branch reads (semantic type numeric)."""
    return [p["name"] for p in _by_type(profiles)["numeric"]]


def outlier_counts(
    X: pd.DataFrame, profiles: list[dict[str, Any]], config: PreprocessingConfig
) -> dict[str, int]:
    """Values outside their column's fences (learned from `X`), per numeric column of `profiles`."""
    if config.outlier_detection_method == "none":
        return {}
    method, threshold = config.outlier_detection_method, config.outlier_threshold
    counts = {}
    for name in numeric_names(profiles):
        values = pd.to_numeric(X[name], errors="coerce").to_numpy(dtype="float64")
        counts[name] = int(outside(values, fences(values, method, threshold)).sum())
    return counts


def drop_training_rows(
    X: pd.DataFrame,
    y: pd.Series | None,
    config: PreprocessingConfig | dict[str, Any] | None,
    profiles: list[dict[str, Any]],
) -> TrainingRows:
    """The training-only row steps of `config` applied to training rows `(X, y)`.

    "drop" drops the rows with a missing value in a used column (`profiles`); outlier treatment
    "remove" drops the rows with a value outside its column's fences, learned from these rows.
    Call it on the training rows only (never on hold-out, validation-by-time or predicted rows).
    """
    config = PreprocessingConfig.parse(config)
    keep = np.ones(len(X), dtype=bool)
    missing = outliers = 0
    if config.drops_missing_rows:
        names = [p["name"] for p in profiles]
        gaps = X[names].isna().any(axis=1).to_numpy()
        missing = int(gaps.sum())
        keep &= ~gaps
    if config.drops_outlier_rows:
        method, threshold = config.outlier_detection_method, config.outlier_threshold
        flagged = np.zeros(len(X), dtype=bool)
        for name in numeric_names(profiles):
            values = pd.to_numeric(X[name], errors="coerce").to_numpy(dtype="float64")
            flagged |= outside(values, fences(values[keep], method, threshold))
        outliers = int((flagged & keep).sum())
        keep &= ~flagged
    if keep.all():
        return TrainingRows(X, y)
    return TrainingRows(X[keep], None if y is None else y[keep], missing, outliers)


# --------------------------------------------------------------------------- what applies when


def _step(name: str, applies: str, description: str) -> dict[str, str]:
    return {"step": name, "applies": applies, "description": description}


def describe_steps(
    config: PreprocessingConfig | dict[str, Any] | None, forecasting: bool = False
) -> list[dict[str, str]]:
    """Each step training runs for `config`, in order, with when it applies: "training" (the
    training rows only) or "training_and_prediction" (fitted on the training rows and saved with
    the model)."""
    config = PreprocessingConfig.parse(config)
    if forecasting:
        return _describe_series(config)
    both = TRAINING_AND_PREDICTION
    strategy = config.missing_values_strategy
    out = []
    if config.drops_missing_rows:
        text = "Drop the training rows with a missing value."
        out.append(_step("missing_values", TRAINING, text))
    if config.drops_outlier_rows:
        out.append(_step("outliers", TRAINING, OUTLIER_TREATMENTS["remove"].split(";")[0] + "."))
    for t in config.transformations:
        out.append(_step("transformation", both, f"{t.column}: {TRANSFORMATION_TYPES[t.type]}"))
    if config.treats_outliers and config.outlier_treatment != "remove":
        text = OUTLIER_TREATMENTS[config.outlier_treatment]
        out.append(_step("outliers", both, f"{config.outlier_detection_method}: {text}"))
    fill = _IMPUTE.get(strategy, "median").replace("most_frequent", "most frequent value")
    if strategy == "mode":
        text = "Gaps take each column's most frequent training value."
    else:
        text = (
            f"Numeric gaps take the training {fill} (a 0/1 column marks them); other columns "
            "keep gaps as a category of their own."
        )
    if strategy in ("drop", "interpolate", "forward_fill"):
        text = f"Rows to predict: {text[0].lower()}{text[1:]}"
    out.append(_step("missing_values", both, text))
    if config.scaling_method != "none":
        out.append(
            _step(
                "scaling", both, f"{config.scaling_method}: {_SCALING_TEXT[config.scaling_method]}"
            )
        )
    encoding = config.categorical_encoding
    text = f"Categories ({encoding}): {CATEGORICAL_ENCODINGS[encoding]}"
    out.append(_step("encoding", both, text))
    return out


_SCALING_TEXT = {
    "standard": "mean and standard deviation of the training rows.",
    "minmax": "range of the training rows.",
    "robust": "median and IQR of the training rows.",
}


def _describe_series(config: PreprocessingConfig) -> list[dict[str, str]]:
    both = TRAINING_AND_PREDICTION
    prep = series_preparation(config)
    out = [
        _step(
            "missing_values",
            both,
            f"Gaps in the series: {SERIES_FILL_METHODS[prep['fill_method']]}",
        )
    ]
    if prep["outlier_treatment"]:
        how = (
            "capped at it"
            if prep["outlier_treatment"] == "cap"
            else "redrawn from their neighbours"
        )
        out.append(
            _step(
                "outliers",
                TRAINING,
                (
                    f"Points far from the trend and seasonal pattern (robust z above "
                    f"{prep['outlier_threshold']:g}) are {how}, in the training history only."
                ),
            )
        )
    for t in prep["transforms"]:
        out.append(_step("transformation", both, f"Target {t['type']}, undone on the forecasts."))
    return out


def series_preparation(config: PreprocessingConfig | dict[str, Any] | None) -> dict[str, Any]:
    """The forecaster's series preparation for `config`: `fill_method` (interpolate or
    forward_fill; other strategies interpolate), `outlier_treatment` (cap, interpolate for
    "remove", or None), `outlier_threshold` (robust z, default 4) and `transforms` (the target
    transformations a series can undo: log, box_cox, difference)."""
    config = PreprocessingConfig.parse(config)
    fill = config.missing_values_strategy
    if fill not in ("interpolate", "forward_fill"):
        fill = "interpolate"
    treatment = {"cap": "cap", "remove": "interpolate"}.get(config.outlier_treatment)
    return {
        "fill_method": fill,
        "outlier_treatment": treatment if config.treats_outliers else None,
        "outlier_threshold": config.outlier_threshold or SERIES_OUTLIER_THRESHOLD,
        "transforms": [
            {"type": t.type, "params": dict(t.params)}
            for t in config.transformations
            if t.type in SERIES_TRANSFORMATIONS
        ],
    }
