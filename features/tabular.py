"""Feature step of tabular training pipelines: optional pairwise interactions of numeric
columns, then removal of features that carry no information.

Runs after preprocessing (all columns numeric, numeric inputs imputed and scaled). Django-free.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline as SkPipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from features.config import FeatureConfig
from preprocessing.builder import NUMERIC_BRANCH

__all__ = [
    "NUMERIC_BRANCH",
    "DropConstantFeatures",
    "InteractionFeatures",
    "build_feature_step",
    "interaction_name",
]

# The preprocessor's branch for numeric inputs names their columns `num__<column>`.
NUMERIC_PREFIX = f"{NUMERIC_BRANCH}__"


def interaction_name(a: str, b: str) -> str:
    """The name of the product feature of columns `a` and `b`."""
    return f"{a}*{b}"


class DropConstantFeatures(TransformerMixin, BaseEstimator):
    """Drop columns whose training-row variance is at most `threshold` (constant by default).

    Keeps at least one column so the model always gets an input, and every column named in
    `keep` (the category columns a model was told to expect by name).
    """

    def __init__(self, threshold: float = 0.0, keep: Any = ()):
        self.threshold = threshold
        self.keep = keep

    def __setstate__(self, state: dict[str, Any]) -> None:  # noqa: D105 - pickle protocol
        # Models saved before `keep` existed load with its default.
        super().__setstate__({"keep": (), **state})

    def __sklearn_tags__(self) -> Any:  # noqa: D105 - scikit-learn protocol
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: Any, y: Any = None) -> DropConstantFeatures:
        """Learn which columns vary in the training rows."""
        values = validate_data(self, X, dtype="float64", ensure_all_finite="allow-nan")
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            variances = np.nan_to_num(np.nanvar(values, axis=0), nan=0.0)
        keep = variances > self.threshold
        names = getattr(self, "feature_names_in_", None)
        if names is not None and self.keep:
            keep |= np.isin(np.asarray(names, dtype=object), list(self.keep))
        if not keep.any():
            keep[0] = True
        self.keep_ = keep
        self.variances_ = variances
        return self

    def transform(self, X: Any) -> np.ndarray:
        """The kept columns (a DataFrame when the pipeline asks for pandas output)."""
        check_is_fitted(self, "keep_")
        values = validate_data(self, X, dtype="float64", ensure_all_finite="allow-nan", reset=False)
        return values[:, self.keep_]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the kept columns."""
        check_is_fitted(self, "keep_")
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)
        return np.asarray(names, dtype=object)[self.keep_]


class InteractionFeatures(TransformerMixin, BaseEstimator):
    """Append the product of each pair of input columns in `pairs` (names before preprocessing).

    The products are of the preprocessed (imputed, scaled) numeric columns, so nothing is
    fitted here; a pair whose columns are not among the numeric inputs (left out by a feature
    selection, or not numeric) is skipped and listed in `skipped_`.
    """

    def __init__(self, pairs: Any = ()):
        self.pairs = pairs

    def __sklearn_tags__(self) -> Any:  # noqa: D105 - scikit-learn protocol
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: Any, y: Any = None) -> InteractionFeatures:
        """Find the input positions of each pair's columns."""
        validate_data(self, X, dtype="float64", ensure_all_finite="allow-nan")
        names = list(getattr(self, "feature_names_in_", []))
        where = {
            n[len(NUMERIC_PREFIX) :]: i for i, n in enumerate(names) if n.startswith(NUMERIC_PREFIX)
        }
        self.positions_, self.names_, self.skipped_ = [], [], []
        for pair in self.pairs or ():
            a, b = (str(c) for c in pair)
            if a in where and b in where and a != b:
                self.positions_.append((where[a], where[b]))
                self.names_.append(interaction_name(a, b))
            else:
                self.skipped_.append(interaction_name(a, b))
        return self

    def transform(self, X: Any) -> np.ndarray:
        """The input columns followed by one product column per kept pair."""
        check_is_fitted(self, "positions_")
        values = validate_data(self, X, dtype="float64", ensure_all_finite="allow-nan", reset=False)
        if not self.positions_:
            return values
        products = np.column_stack([values[:, i] * values[:, j] for i, j in self.positions_])
        return np.hstack([values, products])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Input names, then the product names."""
        check_is_fitted(self, "positions_")
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)
        return np.asarray([*names, *self.names_], dtype=object)


def build_feature_step(
    feature_config: FeatureConfig | dict[str, Any] | None = None, keep: Any = ()
) -> Any:
    """The `features` step for a tabular pipeline: the interactions chosen by features/generate
    (if any), then constant-column removal (never of the columns named in `keep`);
    "passthrough" when both are off.

    `feature_config` is parsed by `FeatureConfig.parse` (FeatureConfigError when invalid).
    """
    config = FeatureConfig.parse(feature_config)
    steps: list[tuple[str, Any]] = []
    if config.interactions:
        steps.append(("interactions", InteractionFeatures(pairs=list(config.interactions))))
    if config.drop_constant:
        steps.append(
            (
                "drop_constant",
                DropConstantFeatures(threshold=config.variance_threshold, keep=tuple(keep)),
            )
        )
    if not steps:
        return "passthrough"
    return steps[0][1] if len(steps) == 1 else SkPipeline(steps)
