"""Drift math on in-memory samples: the false-alarm rate stays at the level; moved columns flag."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitoring.drift import DriftSettings, chi2_levels, column_drift, frame_drift, psi
from training.reference import categorical_profile, frame_profile, numeric_profile

SCHEMA = [
    {"name": "x", "semantic_type": "numeric"},
    {"name": "k", "semantic_type": "numeric"},
    {"name": "c", "semantic_type": "categorical"},
]


def _population(rng: np.random.Generator, n: int, shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": rng.normal(10 + shift, 2, n),
            "k": rng.integers(0, 5, n),  # a discrete column with ties
            "c": rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]),
        }
    )


@pytest.mark.parametrize("min_psi", [0.0, 0.05])
@pytest.mark.parametrize("n_current", [60, 1000])
def test_unshifted_resamples_flag_at_most_the_level(min_psi, n_current):
    # The level is a property of the test: each trial draws a training sample (the reference)
    # and a current sample from the same distribution.
    rng = np.random.default_rng(7)
    settings = DriftSettings(alpha=0.05, min_psi=min_psi)
    flagged = {"x": 0, "k": 0, "c": 0}
    trials = 250
    for _ in range(trials):
        reference = frame_profile(_population(rng, 2000), SCHEMA)
        result = frame_drift(reference, _population(rng, n_current), settings)
        for f in result["features"]:
            flagged[f["feature"]] += f["drift"]
    # Binomial(250, 0.05) has sd 1.4%: 5% + 4 points is well outside chance.
    for name, count in flagged.items():
        assert count / trials <= 0.05 + 0.04, (name, count)


def test_bootstrap_resamples_of_the_training_rows_are_not_flagged():
    rng = np.random.default_rng(3)
    train = _population(rng, 2000)
    reference = frame_profile(train, SCHEMA)
    hits = 0
    for _ in range(200):
        sample = train.sample(n=500, replace=True, random_state=int(rng.integers(1 << 30)))
        hits += frame_drift(reference, sample)["drift_detected"]
    assert hits / 200 <= 0.05 * 3 + 0.04  # three columns, any of them


def test_moved_columns_are_flagged_and_the_others_not():
    rng = np.random.default_rng(11)
    reference = frame_profile(_population(rng, 5000), SCHEMA)
    current = _population(rng, 1000)
    current["x"] = current["x"] + 1.5  # three quarters of a standard deviation
    current["c"] = rng.choice(["a", "b", "c", "d"], 1000, p=[0.1, 0.2, 0.3, 0.4])
    result = frame_drift(reference, current)
    verdict = {f["feature"]: f["drift"] for f in result["features"]}
    assert verdict == {"x": True, "k": False, "c": True}
    assert result["drift_detected"] is True
    assert result["overall_score"] == pytest.approx(2 / 3, abs=1e-3)
    x = next(f for f in result["features"] if f["feature"] == "x")
    assert x["method"] == "ks" and x["p_value"] < 1e-6 and x["psi"] > 0.2


def test_tiny_shift_on_a_huge_sample_needs_a_meaningful_psi():
    rng = np.random.default_rng(5)
    profile = numeric_profile(rng.normal(0, 1, 50_000))
    current = rng.normal(0.05, 1, 50_000)
    strict = column_drift("x", profile, current, DriftSettings(min_psi=0.0))
    assert strict["drift"] is True  # KS alone rejects a 0.05 sd shift on 50k rows
    assert column_drift("x", profile, current, DriftSettings())["drift"] is False


def test_small_samples_are_reported_but_never_flagged():
    profile = numeric_profile(np.arange(1000.0))
    out = column_drift("x", profile, np.full(10, 5000.0), DriftSettings())
    assert out["n"] == 10 and out["statistic"] == 1.0 and out["drift"] is False
    assert out["status"] == "insufficient_data"
    assert out["note"] == "not enough recent values: 10 of 30 needed; not tested"
    enough = column_drift("x", profile, np.full(30, 5000.0), DriftSettings())
    assert enough["status"] == "tested" and enough["drift"] is True and "note" not in enough


def test_a_column_with_too_few_values_is_not_counted_as_compared():
    # Five recent values far from the training rows: KS says 0.96, p < 0.05, but five values
    # are too few to judge, so the column is neither "stable" nor compared.
    rng = np.random.default_rng(2)
    reference = frame_profile(_population(rng, 2000), SCHEMA)
    few = _population(rng, 5)
    few["x"] = few["x"] + 100
    result = frame_drift(reference, few, DriftSettings(min_samples=30))
    assert result["features_compared"] == 0 and result["overall_score"] == 0.0
    assert result["drift_detected"] is False and result["mean_psi"] is None
    assert {f["status"] for f in result["features"]} == {"insufficient_data"}
    x = next(f for f in result["features"] if f["feature"] == "x")
    assert x["n"] == 5 and x["note"].startswith("not enough recent values: 5 of 30 needed")
    mixed = pd.concat([few, _population(rng, 40)], ignore_index=True)
    mixed.loc[5:, "c"] = None  # c keeps 5 values; x and k have 45
    result = frame_drift(reference, mixed, DriftSettings(min_samples=30))
    status = {f["feature"]: f["status"] for f in result["features"]}
    assert status == {"x": "tested", "k": "tested", "c": "insufficient_data"}
    assert result["features_compared"] == 2


def test_unseen_levels_and_empty_columns():
    profile = categorical_profile(["a"] * 50 + ["b"] * 50)
    out = column_drift("c", profile, ["z"] * 100, DriftSettings())
    assert out["drift"] is True and out["method"] == "chi2"
    empty = column_drift("c", profile, [None, None], DriftSettings())
    assert empty["statistic"] is None and empty["drift"] is False
    assert empty["status"] == "no_values"
    stat, p = chi2_levels({"a": 10, "b": 10}, {"a": 10, "b": 10})
    assert stat == pytest.approx(0.0) and p == pytest.approx(1.0)


def test_psi_of_identical_shares_is_zero():
    assert psi([10, 20, 30], [1, 2, 3]) == pytest.approx(0.0)
    assert psi([10, 10], [20, 0]) > 1.0
