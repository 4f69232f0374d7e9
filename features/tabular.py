"""Feature step of tabular training pipelines: drops features that carry no information.

Runs after preprocessing (all columns numeric). Django-free.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["DropConstantFeatures", "build_feature_step"]


class DropConstantFeatures(TransformerMixin, BaseEstimator):
    """Drop columns whose training-row variance is at most `threshold` (constant by default).

    Keeps at least one column so the model always gets an input.
    """

    def __init__(self, threshold: float = 0.0):
        self.threshold = threshold

    def __sklearn_tags__(self):  # noqa: D105 - scikit-learn protocol
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


def build_feature_step(feature_config: dict | None = None) -> Any:
    """The `features` step for a tabular pipeline: constant-column removal, or "passthrough"."""
    config = feature_config or {}
    if config.get("drop_constant", True) is False:
        return "passthrough"
    return DropConstantFeatures(threshold=float(config.get("variance_threshold", 0.0)))
