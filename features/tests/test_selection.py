"""Tests for feature selection on synthetic problems with known informative and noise columns."""

import json

import numpy as np
import pandas as pd
import pytest

from features.selection import FeatureSelectionError, _scoring_matrix, select_features

INFORMATIVE = {"signal", "level", "group"}


def _problem(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Three informative columns (one categorical, with gaps) and four pure-noise columns."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "signal": rng.normal(size=n),
            "level": rng.normal(size=n),
            "group": rng.choice(["a", "b", "c"], n).astype(object),
        }
    )
    for i in range(4):
        X[f"noise{i}"] = rng.normal(size=n)
    y = 3 * X["signal"] + 2 * X["level"] + X["group"].map({"a": -3.0, "b": 0.0, "c": 3.0})
    y = y + 0.2 * rng.normal(size=n)
    X.loc[:9, "signal"] = np.nan
    X.loc[10:14, "group"] = None
    labels = pd.Series(np.where(y > y.median(), "high", "low"))
    return X, y, labels


@pytest.mark.parametrize("method", ["mutual_info", "correlation", "model_based"])
@pytest.mark.parametrize("problem_type", ["regression", "classification"])
def test_supervised_methods_find_the_informative_columns(method, problem_type):
    X, y, labels = _problem()
    target = y if problem_type == "regression" else labels
    result = select_features(X, target, problem_type=problem_type, method=method, k=3)
    assert set(result["selected"]) == INFORMATIVE
    ranked = list(result["scores"])
    assert set(ranked[:3]) == INFORMATIVE
    json.dumps(result, allow_nan=False)


@pytest.mark.parametrize("method", ["mutual_info", "correlation", "model_based"])
def test_default_threshold_drops_the_noise(method):
    X, y, _ = _problem()
    result = select_features(X, y, problem_type="regression", method=method)
    assert set(result["selected"]) <= INFORMATIVE
    assert "signal" in result["selected"]
    assert result["threshold"] == pytest.approx(np.mean(list(result["scores"].values())), abs=1e-5)


def test_variance_drops_constant_and_near_constant_columns():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "wide": rng.normal(0, 5, 200),
            "mixed": rng.choice(["x", "y"], 200),
            "const": 1.0,
            "almost": 1.0 + rng.normal(0, 1e-4, 200),
            "one_cat": "z",
        }
    )
    y = pd.Series(rng.normal(size=200))
    default = select_features(X, y, problem_type="regression", method="variance")
    assert set(default["selected"]) == {"wide", "mixed", "almost"}
    strict = select_features(X, y, problem_type="regression", method="variance", threshold=0.01)
    assert set(strict["selected"]) == {"wide", "mixed"}
    assert strict["scores"]["mixed"] == pytest.approx(0.5, abs=0.05)  # Gini of a fair coin


def test_threshold_and_k_combine_and_keep_column_order():
    X, y, _ = _problem()
    result = select_features(X, y, problem_type="regression", method="correlation", threshold=0.2)
    assert result["selected"] == [c for c in X.columns if result["scores"][c] > 0.2]
    top1 = select_features(X, y, problem_type="regression", method="correlation", k=1)
    assert top1["selected"] == [next(iter(top1["scores"]))]


def test_forecasting_is_scored_like_regression_and_rows_without_target_are_skipped():
    X, y, _ = _problem()
    y = y.copy()
    y[:20] = np.nan
    result = select_features(X, y, problem_type="forecasting", method="correlation", k=3)
    assert set(result["selected"]) == INFORMATIVE


def test_scoring_imputation_uses_only_the_rows_passed():
    """Leakage: the gap filler is the median of the (training) rows passed, not of all data."""
    X, _, _ = _problem()
    train = X.iloc[:150]
    matrix, categorical = _scoring_matrix(train)
    filled = matrix[:10, list(train.columns).index("signal")]
    assert np.allclose(filled, train["signal"].median())
    assert not np.isclose(train["signal"].median(), X["signal"].median())
    assert categorical.tolist() == [c == "group" for c in train.columns]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "chi2"},
        {"method": "variance", "k": 0},
        {"method": "variance", "k": 99},
        {"method": "variance", "k": 2.5},
        {"method": "variance", "threshold": -1},
        {"method": "correlation", "threshold": 1.5},
        {"method": "variance", "threshold": "high"},
        {"method": "variance", "problem_type": "ranking"},
    ],
)
def test_bad_requests_raise_feature_selection_error(kwargs):
    X, y, _ = _problem(n=30)
    kwargs = {"problem_type": "regression", **kwargs}
    with pytest.raises(FeatureSelectionError):
        select_features(X, y, **kwargs)
    assert issubclass(FeatureSelectionError, ValueError)
