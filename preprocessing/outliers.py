"""Outlier fences: the one definition of "an outlier" for tabular columns.

A column's fences are `[low, high]`, learned from the rows given (the training rows when a
model is trained); a value outside them is an outlier. The quality analysis, the previews, the
training-row filter and the fitted `Winsorizer` all ask `fences` for them. Django-free.

Methods (threshold default in brackets):
- iqr: `[Q1 - t*IQR, Q3 + t*IQR]` (1.5)
- zscore: `mean +- t*std` (population std) (3)
- isolation_forest: the smallest and largest value a per-column Isolation Forest (fitted on at
  most 4096 of the values) keeps, with
  contamination t in (0, 0.5] (0.01; the forest's "auto" would flag about a quarter of a normal
  column)
- quantile: the 1st and 99th percentiles (models saved before isolation_forest had fences).

A column with fewer than `MIN_VALUES` values, fewer than three distinct ones, or no spread has
no fences (None): every value would count, which tells nothing.
"""

from __future__ import annotations

import hashlib
import math
import threading
from typing import Any

import numpy as np
from sklearn.ensemble import IsolationForest

__all__ = [
    "DEFAULT_THRESHOLDS",
    "METHODS",
    "check_threshold",
    "fences",
    "outside",
]

METHODS = ("iqr", "zscore", "isolation_forest", "quantile")
DEFAULT_THRESHOLDS = {"iqr": 1.5, "zscore": 3.0, "isolation_forest": 0.01}
MIN_VALUES = 4
FOREST_SAMPLE = 4096
QUANTILES = (0.01, 0.99)


def check_threshold(method: str, threshold: Any) -> str | None:
    """Why `threshold` is not valid for `method` (None when it is, or when it is None)."""
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        return "must be a number"
    if not math.isfinite(threshold) or threshold <= 0:
        return "must be a positive number"
    if method == "isolation_forest" and threshold > 0.5:
        return "for isolation_forest the threshold is the contamination, in (0, 0.5]"
    return None


def fences(
    values: Any, method: str = "iqr", threshold: float | None = None, random_state: int = 0
) -> tuple[float, float] | None:
    """The `(low, high)` fences of the finite numbers in `values`, or None (see the module)."""
    if method not in METHODS:
        raise ValueError(f"Unknown outlier method {method!r}; use one of {list(METHODS)}.")
    col = np.asarray(values, dtype="float64").ravel()
    col = col[np.isfinite(col)]
    if col.size < MIN_VALUES or np.unique(col).size < 3:
        return None
    t = float(DEFAULT_THRESHOLDS.get(method, 0.0) if threshold is None else threshold)
    if method == "iqr":
        q1, q3 = np.quantile(col, [0.25, 0.75])
        if q3 <= q1:
            return None
        return float(q1 - t * (q3 - q1)), float(q3 + t * (q3 - q1))
    if method == "zscore":
        mean, std = float(col.mean()), float(col.std())
        if std <= 0:
            return None
        return mean - t * std, mean + t * std
    if method == "quantile":
        low, high = np.quantile(col, list(QUANTILES))
        return float(low), float(high)
    key = (hashlib.blake2b(col.tobytes(), digest_size=16).digest(), t, random_state)
    with _FOREST_LOCK:
        if key in _FOREST_CACHE:
            return _FOREST_CACHE[key]
    found = _forest_fences(col, t, random_state)
    with _FOREST_LOCK:
        while len(_FOREST_CACHE) >= _FOREST_CACHE_SIZE:
            _FOREST_CACHE.pop(next(iter(_FOREST_CACHE)))
        _FOREST_CACHE[key] = found
    return found


# Training fits the same training columns once per candidate model: their forest fences are
# computed once per process (keyed by the values' digest), oldest dropped first.
_FOREST_CACHE: dict[tuple[bytes, float, int], tuple[float, float] | None] = {}
_FOREST_CACHE_SIZE = 256
_FOREST_LOCK = threading.Lock()


def _forest_fences(
    col: np.ndarray, contamination: float, random_state: int
) -> tuple[float, float] | None:
    """The smallest and largest value a per-column Isolation Forest keeps.

    The forest is fitted on at most `FOREST_SAMPLE` values (a seeded sample; each tree reads
    256 anyway) and asked about the values from each end inwards until one is kept, so a large
    column costs a few hundred scores instead of one per row.
    """
    forest = IsolationForest(
        n_estimators=100, contamination=contamination, random_state=random_state, n_jobs=1
    )
    sample = col
    if col.size > FOREST_SAMPLE:
        sample = np.random.default_rng(random_state).choice(col, FOREST_SAMPLE, replace=False)
    forest.fit(sample.reshape(-1, 1))
    ordered = np.sort(col)
    low, high = _first_kept(forest, ordered), _first_kept(forest, ordered[::-1])
    if low is None or high is None:
        return None
    return low, high


def _first_kept(forest: IsolationForest, ordered: np.ndarray, chunk: int = 256) -> float | None:
    """The first value of `ordered` the forest keeps (an inlier), or None."""
    for start in range(0, ordered.size, chunk):
        part = ordered[start : start + chunk]
        kept = forest.predict(part.reshape(-1, 1)) == 1
        if kept.any():
            return float(part[int(np.argmax(kept))])
    return None


def outside(values: Any, bounds: tuple[float, float] | None) -> np.ndarray:
    """Boolean mask of the values outside `bounds` (NaN and "no fences" are never outside)."""
    col = np.asarray(values, dtype="float64").ravel()
    if bounds is None:
        return np.zeros(col.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        return (col < bounds[0]) | (col > bounds[1])
