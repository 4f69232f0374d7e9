"""Tests of the one definition of outlier fences, and that the analysis uses it."""

import numpy as np
import pandas as pd
import pytest

from preprocessing.analysis import analyze_quality
from preprocessing.outliers import check_threshold, fences, outside


def test_iqr_and_zscore_fences():
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, np.nan])
    q1, q3 = np.quantile([1, 2, 3, 4, 5], [0.25, 0.75])
    assert fences(values, "iqr") == pytest.approx((q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)))
    assert fences(values, "iqr", 3) == pytest.approx((q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1)))
    finite = values[:5]
    low, high = fences(values, "zscore", 1.0)
    assert (low, high) == pytest.approx(
        (finite.mean() - finite.std(), finite.mean() + finite.std())
    )


def test_isolation_forest_fences_keep_the_bulk():
    values = np.concatenate([np.random.default_rng(0).normal(0, 1, 300), [40.0]])
    low, high = fences(values, "isolation_forest", 0.01)
    assert high < 40.0 and low < 0 < high
    assert outside(values, (low, high))[-1]


def test_too_few_or_constant_values_have_no_fences():
    assert fences([1.0, 2.0, 3.0], "iqr") is None
    assert fences([1.0, 1.0, 1.0, 1.0, 9.0], "iqr") is None
    assert fences([5.0] * 10, "zscore") is None
    assert not outside([1.0, 100.0], None).any()
    with pytest.raises(ValueError):
        fences([1.0, 2.0, 3.0, 4.0], "magic")


def test_threshold_checks():
    assert check_threshold("iqr", None) is None
    assert check_threshold("iqr", 2) is None
    assert check_threshold("iqr", -1)
    assert check_threshold("iqr", True)
    assert check_threshold("isolation_forest", 0.7)


def test_quality_analysis_counts_values_outside_the_same_fences():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"v": np.concatenate([rng.normal(0, 1, 200), [15.0, -12.0]])})
    low, high = fences(df["v"].to_numpy(), "iqr")
    issue = next(i for i in analyze_quality(df)["issues"] if i["issue_type"] == "outliers")
    assert issue["count"] == int(((df["v"] < low) | (df["v"] > high)).sum())


def test_isolation_forest_fences_are_repeatable_and_cached():
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.normal(0, 1, 6000), [25.0, -20.0]])
    first = fences(values, "isolation_forest", 0.01)
    assert fences(values.copy(), "isolation_forest", 0.01) == first
    assert first[0] > -20.0 and first[1] < 25.0
    kept = values[~outside(values, first)]
    assert kept.min() == first[0] and kept.max() == first[1]  # fences are kept values
    assert fences(values, "isolation_forest", 0.2) != first
