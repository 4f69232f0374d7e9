"""The preprocessing stage's config, typed: `PreprocessingConfig.parse(data)` validates a
pipeline's `preprocessing_config` dict once, where it enters (the API, the preview, the training
engines), and resolves the accepted aliases in this one place. Code past the boundary reads
typed attributes. Also the choices offered, with what each one really does. Django-free.

Accepted aliases (input only; `to_dict` writes the canonical names):
- keys: `fill_method` -> `missing_values_strategy`, `threshold` -> `outlier_threshold`;
- values: missing_values_strategy `none` -> `median`, `ffill` -> `forward_fill`,
  `most_frequent` -> `mode`; categorical_encoding `none` -> `auto`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from preprocessing.analysis import PreprocessingError
from preprocessing.outliers import check_threshold

__all__ = [
    "CATEGORICAL_ENCODINGS",
    "MISSING_STRATEGIES",
    "OUTLIER_METHODS",
    "OUTLIER_TREATMENTS",
    "PREPROCESSING_OPTIONS",
    "SCALING_METHODS",
    "SERIES_OPTIONS",
    "TRANSFORMATION_TYPES",
    "PreprocessingConfig",
    "Transformation",
    "preprocessing_options",
    "transformation_choices",
]

MISSING_STRATEGIES = {
    "median": "Numeric gaps take the training median; other columns keep gaps as a category.",
    "mean": "Numeric gaps take the training mean; other columns keep gaps as a category.",
    "mode": "Every column's gaps take its most frequent training value.",
    "drop": (
        "Training drops the rows with a missing feature value; a row to predict with a gap "
        "takes the training median (or a missing category)."
    ),
    "interpolate": (
        "Time series: gaps are interpolated between neighbouring steps. A model scoring single "
        "rows has no neighbours, so other pipelines impute the training median."
    ),
    "forward_fill": (
        "Time series: the last seen value is carried forward. Other pipelines impute the "
        "training median."
    ),
}
OUTLIER_METHODS = {
    "none": "Do not look for outliers.",
    "iqr": "Outside [Q1 - t*IQR, Q3 + t*IQR], t = threshold (default 1.5).",
    "zscore": "More than t standard deviations from the mean, t = threshold (default 3).",
    "isolation_forest": (
        "Beyond the values a per-column Isolation Forest keeps; threshold = contamination in "
        "(0, 0.5] (default 0.01)."
    ),
}
OUTLIER_TREATMENTS = {
    "none": "Only count outliers.",
    "remove": (
        "Training drops the rows holding an outlier (fences from the training rows); "
        "predictions are not changed. A time series redraws the point from its neighbours."
    ),
    "cap": "Clip values to the fences learned from the training rows, in training and prediction.",
    "transform": (
        "Compress the columns that have outliers in the training rows with a signed log, "
        "sign(x) * log(1 + |x|), in training and prediction (tabular pipelines)."
    ),
}
SCALING_METHODS = {
    "none": "Keep numeric columns on their own scale.",
    "standard": "Subtract the training mean and divide by the training standard deviation.",
    "minmax": "Rescale to the training range [0, 1].",
    "robust": "Subtract the training median and divide by the IQR (robust to outliers).",
}
CATEGORICAL_ENCODINGS = {
    "auto": (
        "One 0/1 column per category up to 15 categories (rarer ones grouped), cross-fitted "
        "target encoding above."
    ),
    "onehot": "One 0/1 column per category (at most 50; rare ones grouped).",
    "ordinal": "One integer code per category (unseen ones -1).",
    "target": "Replace each category by the (cross-fitted) mean target for that category.",
}
TRANSFORMATION_TYPES = {
    "log": "log(1 + x), shifted by the training minimum when it is negative.",
    "sqrt": "Square root, shifted by the training minimum when it is negative.",
    "box_cox": "Box-Cox power transform, lambda fitted on the training rows.",
    "yeo_johnson": "Yeo-Johnson power transform, lambda fitted on the training rows.",
    "standardize": "Subtract the training mean and divide by the training standard deviation.",
    "minmax": "Rescale to the training range [0, 1].",
    "difference": (
        "Time series target only: x[t] - x[t-1], undone on the forecasts (a model scoring "
        "single rows has no previous row)."
    ),
}
SERIES_TRANSFORMATIONS = ("log", "box_cox", "difference")


def transformation_choices(forecasting: bool) -> dict[str, str]:
    """The transformations a pipeline can use: a series target's (log, box_cox, difference), or
    the column transforms a model scoring single rows can apply (all but difference)."""
    if forecasting:
        return {k: TRANSFORMATION_TYPES[k] for k in SERIES_TRANSFORMATIONS}
    return {k: v for k, v in TRANSFORMATION_TYPES.items() if k != "difference"}


PREPROCESSING_OPTIONS: dict[str, dict[str, Any]] = {
    "missing_values_strategy": {
        "description": "How missing values are handled.",
        "default": "median",
        "choices": MISSING_STRATEGIES,
    },
    "outlier_detection_method": {
        "description": "How outliers are found in numeric columns.",
        "default": "iqr",
        "choices": OUTLIER_METHODS,
    },
    "outlier_treatment": {
        "description": "What happens to the outliers found.",
        "default": "none",
        "choices": OUTLIER_TREATMENTS,
    },
    "outlier_threshold": {
        "description": (
            "IQR multiplier, z-score limit, or Isolation Forest contamination (a time series: "
            "the robust z limit around its trend and seasonal pattern, default 4)."
        ),
        "default": None,
        "type": "float",
    },
    "scaling_method": {
        "description": "How numeric feature columns are scaled (never the target).",
        "default": "standard",
        "choices": SCALING_METHODS,
    },
    "categorical_encoding": {
        "description": "How text/category feature columns become numbers (never the target).",
        "default": "auto",
        "choices": CATEGORICAL_ENCODINGS,
    },
    "transformations": {
        "description": "Per-column transforms, a list of {column, type}, applied in order.",
        "default": [],
        "type": "list",
        "choices": TRANSFORMATION_TYPES,
    },
    "custom_rules": {
        "description": "Free-form rules kept with the config; not applied.",
        "default": None,
        "type": "object",
    },
}
# What a forecasting pipeline's preprocessing can do, in the words of what its forecaster really
# runs (`builder.series_preparation`): its series is filled and its outliers judged against the
# trend and seasonal pattern, only on the training history; scaling, category encoding and the
# per-column outlier methods of a table do not apply to one series.
SERIES_FILL_METHODS = {
    "interpolate": "Gaps are interpolated between neighbouring steps (also in live observations).",
    "forward_fill": "The last seen value is carried forward (also in live observations).",
}
SERIES_OUTLIER_TREATMENTS = {
    "none": "Keep every point as observed.",
    "cap": (
        "Points far from the trend and seasonal pattern (robust z above the threshold) are "
        "capped at it, in the training history only (live observations are actuals)."
    ),
    "remove": (
        "Points far from the trend and seasonal pattern (robust z above the threshold) are "
        "redrawn from their neighbours, in the training history only."
    ),
}
SERIES_OUTLIER_THRESHOLD = 4.0  # the robust z limit when none is given
SERIES_OPTIONS: dict[str, dict[str, Any]] = {
    "missing_values_strategy": {
        "description": "How gaps in the series are filled.",
        "default": "interpolate",
        "choices": SERIES_FILL_METHODS,
    },
    "outlier_treatment": {
        "description": "What happens to points far from the series' trend and seasonal pattern.",
        "default": "none",
        "choices": SERIES_OUTLIER_TREATMENTS,
    },
    "outlier_threshold": {
        "description": (
            "The robust z limit around the trend and seasonal pattern (default "
            f"{SERIES_OUTLIER_THRESHOLD:g}): a larger one treats fewer points."
        ),
        "default": None,
        "type": "float",
    },
}


def preprocessing_options(forecasting: bool) -> dict[str, dict[str, Any]]:
    """The preprocessing choices a pipeline offers, each with a one-line description: a
    forecasting pipeline's (`SERIES_OPTIONS` and the target series' transformations), or a
    table's (`PREPROCESSING_OPTIONS`, its transformations without the series-only difference).
    The wizard's preprocessing form and `preprocessing/options` both read them."""
    if forecasting:
        transformations = {
            **PREPROCESSING_OPTIONS["transformations"],
            "description": (
                "Transforms of the target series, a list of {column, type} (the column is the "
                "target), applied in order and undone on the forecasts."
            ),
            "choices": transformation_choices(True),
        }
        return {**SERIES_OPTIONS, "transformations": transformations}
    transformations = {
        **PREPROCESSING_OPTIONS["transformations"],
        "choices": transformation_choices(False),
    }
    return {**PREPROCESSING_OPTIONS, "transformations": transformations}


_CHOICES = {
    "missing_values_strategy": MISSING_STRATEGIES,
    "outlier_detection_method": OUTLIER_METHODS,
    "outlier_treatment": OUTLIER_TREATMENTS,
    "scaling_method": SCALING_METHODS,
    "categorical_encoding": CATEGORICAL_ENCODINGS,
}
KEY_ALIASES = {"fill_method": "missing_values_strategy", "threshold": "outlier_threshold"}
VALUE_ALIASES = {
    "missing_values_strategy": {"none": "median", "ffill": "forward_fill", "most_frequent": "mode"},
    "categorical_encoding": {"none": "auto"},
}


@dataclass(frozen=True)
class Transformation:
    """One per-column transformation: `column`, `type` and (series transforms) `params`."""

    column: str
    type: str
    params: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form `{column, type[, params]}`."""
        out: dict[str, Any] = {"column": self.column, "type": self.type}
        if self.params:
            out["params"] = dict(self.params)
        return out


@dataclass(frozen=True)
class PreprocessingConfig:
    """A validated preprocessing config; build it with `parse`."""

    missing_values_strategy: str = "median"
    outlier_detection_method: str = "iqr"
    outlier_treatment: str = "none"
    outlier_threshold: float | None = None
    scaling_method: str = "standard"
    categorical_encoding: str = "auto"
    transformations: tuple[Transformation, ...] = ()
    custom_rules: Any = field(default=None, compare=False)

    @classmethod
    def parse(cls, data: Mapping[str, Any] | PreprocessingConfig | None) -> PreprocessingConfig:
        """The typed config of `data` (a dict as saved on a pipeline; None is the defaults).

        Raises PreprocessingError whose `errors` name each bad key.
        """
        if isinstance(data, PreprocessingConfig):
            return data
        values, errors = _resolve(data)
        if errors:
            raise PreprocessingError("The preprocessing config is invalid.", errors)
        return cls(**values)

    @classmethod
    def errors_of(cls, data: Any) -> dict[str, str]:
        """Per-key error messages for `data`; {} when it parses."""
        return _resolve(data)[1]

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON form (every key, canonical names), as saved on a pipeline."""
        return {
            "missing_values_strategy": self.missing_values_strategy,
            "outlier_detection_method": self.outlier_detection_method,
            "outlier_treatment": self.outlier_treatment,
            "outlier_threshold": self.outlier_threshold,
            "scaling_method": self.scaling_method,
            "categorical_encoding": self.categorical_encoding,
            "transformations": [t.to_dict() for t in self.transformations],
            "custom_rules": self.custom_rules,
        }

    @property
    def treats_outliers(self) -> bool:
        """Whether outliers are looked for and treated (not only counted)."""
        return self.outlier_detection_method != "none" and self.outlier_treatment != "none"

    @property
    def drops_missing_rows(self) -> bool:
        """Whether training drops the rows with a missing feature value."""
        return self.missing_values_strategy == "drop"

    @property
    def drops_outlier_rows(self) -> bool:
        """Whether training drops the rows holding an outlier."""
        return self.treats_outliers and self.outlier_treatment == "remove"


def _resolve(data: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The dataclass keyword values of `data` and the per-key errors (aliases resolved here)."""
    if data is None:
        return {}, {}
    if not isinstance(data, Mapping):
        return {}, {"config": "must be an object"}
    errors: dict[str, str] = {}
    raw: dict[str, Any] = {}
    for key, value in data.items():
        name = KEY_ALIASES.get(key, key)
        if name not in PREPROCESSING_OPTIONS:
            errors[str(key)] = f"unknown option; known: {', '.join(PREPROCESSING_OPTIONS)}"
        elif name in raw and raw[name] != value and value is not None:
            errors[str(key)] = f"gives {name} a second, different value"
        elif value is not None or name not in raw:
            raw[name] = value
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None:
            continue  # the default
        if name in _CHOICES:
            if isinstance(value, str):
                value = VALUE_ALIASES.get(name, {}).get(value, value)
            if value not in _CHOICES[name]:
                errors[name] = f"must be one of {list(_CHOICES[name])}"
                continue
        values[name] = value
    method = values.get("outlier_detection_method", "iqr")
    problem = check_threshold(method, values.get("outlier_threshold"))
    if problem:
        errors["outlier_threshold"] = problem
        values.pop("outlier_threshold", None)
    elif "outlier_threshold" in values:
        values["outlier_threshold"] = float(values["outlier_threshold"])
    if method == "none" and values.get("outlier_treatment", "none") != "none":
        errors.setdefault("outlier_treatment", "needs an outlier_detection_method other than none")
    if "transformations" in values:
        steps, problem = _transformations(values["transformations"])
        if problem:
            errors["transformations"] = problem
        values["transformations"] = steps
    return values, errors


def _transformations(steps: Any) -> tuple[tuple[Transformation, ...], str | None]:
    if not isinstance(steps, list | tuple):
        return (), "must be a list of {column, type}"
    out = []
    for i, step in enumerate(steps):
        if not isinstance(step, Mapping) or not isinstance(step.get("column"), str):
            return (), f"item {i} must be an object {{column, type}}"
        if step.get("type") not in TRANSFORMATION_TYPES:
            return (), f"item {i}: type must be one of {list(TRANSFORMATION_TYPES)}"
        params = step.get("params") or {}
        if not isinstance(params, Mapping):
            return (), f"item {i}: params must be an object"
        out.append(Transformation(step["column"], step["type"], tuple(sorted(params.items()))))
    return tuple(out), None
