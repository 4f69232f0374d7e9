"""The forecasting bench's scoring, summaries, capped seasonal AutoARIMA and its series manifest."""

import json

import numpy as np
import pandas as pd
import pytest

from bench.forecast_bench import (
    DATA,
    fit_capped,
    frequency_group,
    run_baselines,
    score,
    summarise,
)


def test_score_gives_mase_coverage_and_width_on_the_observed_points():
    actual = np.array([10.0, np.nan, 14.0, 20.0])
    forecast = np.array([11.0, 0.0, 14.0, 16.0])
    bounds = {80: (actual * 0 + 9, actual * 0 + 15), 95: (actual * 0 + 8, actual * 0 + 16)}
    out = score(actual, forecast, bounds, scale=2.0)
    assert out["mase"] == pytest.approx((1 + 0 + 4) / 3 / 2.0)
    assert out["coverage_80"] == pytest.approx(2 / 3) and out["coverage_95"] == pytest.approx(2 / 3)
    assert out["width_80"] == pytest.approx(3.0) and out["width_95"] == pytest.approx(4.0)


def test_frequencies_fall_into_m4_groups():
    assert [frequency_group(f) for f in ("YS", "QS", "MS", "W-SAT", "D", "h", "30min")] == [
        "yearly",
        "quarterly",
        "monthly",
        "weekly",
        "daily",
        "hourly",
        "hourly",
    ]


def _row(name: str, naive: float, vur: dict) -> dict:
    base = {"coverage_80": 0.8, "coverage_95": 0.9, "width_80": 2.0, "width_95": 3.0}
    return {
        "series": name,
        "seasonal_naive": dict(base, mase=naive),
        "vur": vur,
    }


def test_summary_is_geometric_and_counts_a_failure_as_seasonal_naive():
    good = {"mase": 0.5, "coverage_80": 1.0, "coverage_95": 1.0, "width_80": 1.0, "width_95": 6.0}
    rows = [_row("a", 2.0, dict(good, mase=0.5)), _row("b", 1.0, {"error": "boom"})]
    s = summarise(rows, ("vur", "seasonal_naive"))
    assert s["vur"]["geomean_relative_mase"] == pytest.approx(np.sqrt(0.25 * 1.0))
    assert s["vur"]["failed"] == ["b"]
    assert s["vur"]["coverage_80"] == pytest.approx(0.9)
    assert s["vur"]["relative_width_80"] == pytest.approx(np.sqrt(0.5 * 1.0))
    assert s["vur"]["relative_width_95"] == pytest.approx(np.sqrt(2.0 * 1.0))
    assert s["seasonal_naive"]["geomean_relative_mase"] == 1.0


def _quarterly(n: int = 40) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(n)
    return 50 + 0.5 * t + 6 * np.sin(2 * np.pi * t / 4) + rng.normal(0, 1, n)


def test_seasonal_autoarima_past_its_cap_gives_way_to_the_non_seasonal_fit():
    y = _quarterly()
    train, actual = y[:-8], y[-8:]
    out = run_baselines(train, actual, m=4, h=8, scale=1.0, cap=0.0)
    arima = out["auto_arima"]
    assert arima["seasonal_timed_out"] and arima["season_attempted"] == 4
    assert arima["mase"] == out["auto_arima_nonseasonal"]["mase"]
    assert out["seasonal_naive"]["season"] == 4 and out["auto_arima_nonseasonal"]["season"] == 1


def test_seasonal_autoarima_within_its_cap_fits_the_true_season():
    fit = fit_capped("auto_arima", _quarterly(), 4, 8, cap=600.0)
    assert "timed_out" not in fit and fit["order"][4] == 4
    assert len(fit["forecast"]) == 8 and set(fit["bounds"]) == {80, 95}


def test_manifest_lists_40_plus_series_of_every_frequency_with_a_split():
    manifest = json.loads((DATA / "manifest.json").read_text())
    groups, n_series = set(), 0
    for entry in manifest:
        frame = pd.read_csv(DATA / entry["file"])
        assert {entry["time_column"], entry["target"]} <= set(frame.columns)
        assert entry["split"] in ("tune", "holdout")
        groups.add(frequency_group(entry["frequency"]))
        idc = entry.get("id_column")
        n_series += frame[idc].nunique() if idc else 1
    assert n_series >= 40
    assert groups == {"yearly", "quarterly", "monthly", "weekly", "daily", "hourly"}
    assert sum(e["split"] == "holdout" for e in manifest) >= 30
