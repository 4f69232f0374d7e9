"""The one metrics module: regression, forecast and probability scores, and the MASE scale."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from modeling.metrics import (
    error_metrics,
    forecast_metrics,
    lower_is_better,
    mase_scale,
    ovr_auc,
    primary_metric,
    probability_log_loss,
    regression_metrics,
)


def test_regression_metrics_give_mape_in_percent_over_nonzero_targets():
    out = regression_metrics([0.0, 2.0, 4.0], [1.0, 3.0, 3.0])
    assert out["mae"] == pytest.approx(1.0)
    assert out["rmse"] == pytest.approx(1.0)
    assert out["mape"] == pytest.approx((50.0 + 25.0) / 2)  # the zero target is left out
    assert out["r2"] == pytest.approx(skm.r2_score([0, 2, 4], [1, 3, 3]))


def test_regression_metrics_of_nothing_are_none():
    assert regression_metrics([], []) == {"rmse": None, "mae": None, "r2": None, "mape": None}


def test_forecast_metrics_skip_unknown_actuals_and_share_the_error_figures():
    actual = np.array([10.0, np.nan, 20.0, 0.0])
    forecast = np.array([12.0, 99.0, 15.0, 0.0])
    out = forecast_metrics(actual, forecast, scale=2.0)
    assert out["mae"] == pytest.approx(7 / 3)
    assert out["mase"] == pytest.approx(7 / 3 / 2.0)
    assert out["rmse"] == pytest.approx(np.sqrt((4 + 25) / 3))
    assert out["mape"] == pytest.approx((20.0 + 25.0) / 2)
    assert out["smape"] == pytest.approx(100 * (4 / 22 + 10 / 35 + 0) / 3)
    tabular = regression_metrics(actual[[0, 2, 3]], forecast[[0, 2, 3]])
    assert (out["mae"], out["rmse"], out["mape"]) == pytest.approx(
        (tabular["mae"], tabular["rmse"], tabular["mape"])
    )
    assert forecast_metrics(np.array([np.nan]), np.array([1.0]), 1.0) == {}


def test_mase_scale_is_the_seasonal_naive_error_then_the_naive_one():
    seasonal = np.array([1.0, 5.0, 2.0, 6.0, 3.0, 7.0])
    assert mase_scale(seasonal, 2) == pytest.approx(1.0)
    assert mase_scale(seasonal, 1) == pytest.approx(np.mean(np.abs(np.diff(seasonal))))
    repeating = np.array([1.0, 2.0, 1.0, 2.0, 1.0, 2.0])  # seasonal differences are all zero
    assert mase_scale(repeating, 2) == pytest.approx(1.0)
    assert mase_scale(np.array([3.0, 4.0]), 12) == pytest.approx(1.0)  # too short for m
    assert mase_scale(np.array([1.0, np.nan, 2.0]), 0) == pytest.approx(1.0)


def test_mase_scale_of_a_flat_series_is_floored_or_none():
    flat = np.full(10, 50.0)
    assert mase_scale(flat, 1) == pytest.approx(0.05)
    assert mase_scale(flat, 1, floor=False) is None
    assert mase_scale(np.zeros(4), 1) == pytest.approx(1e-9)


def test_ovr_auc_matches_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b", "c"], 200)
    proba = rng.dirichlet(np.ones(3), 200)
    expected = skm.roc_auc_score(y, proba, multi_class="ovr", labels=["a", "b", "c"])
    assert ovr_auc(y, proba, ["a", "b", "c"]) == pytest.approx(expected)
    binary = rng.integers(0, 2, 200)
    assert ovr_auc(binary, proba[:, :2], [0, 1]) == pytest.approx(
        skm.roc_auc_score(binary, proba[:, 1])
    )
    assert np.isnan(ovr_auc(np.zeros(5), np.full((5, 2), 0.5), [0, 1]))  # one class only


def test_probability_log_loss_is_finite_for_hard_zeros():
    y = np.array([0, 1, 1])
    proba = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])  # the last row is confidently wrong
    value = probability_log_loss(y, proba, [0, 1])
    assert np.isfinite(value) and value > 10
    soft = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    assert probability_log_loss(y, soft, [0, 1]) == pytest.approx(skm.log_loss(y, soft))


def test_error_metrics_of_errors():
    assert error_metrics([3.0, -4.0]) == pytest.approx({"rmse": np.sqrt(12.5), "mae": 3.5})
    assert error_metrics([]) == {"rmse": None, "mae": None}


def test_the_ranking_direction_comes_from_the_one_lower_is_better_set():
    assert primary_metric("classification") == ("auc", True)
    assert primary_metric("regression") == ("rmse", False)
    assert lower_is_better("MASE") and lower_is_better("log_loss") and not lower_is_better("r2")
