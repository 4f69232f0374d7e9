"""Tests of season detection and the past-only time-series features."""

import numpy as np
import pandas as pd

from datasets.frequency import default_season_length
from features.series import (
    SeriesFeaturizer,
    detect_seasonalities,
    make_fourier_features,
    make_lag_features,
    make_rolling_features,
)


def _hourly(weeks: int = 6, weekly: bool = True, seed: int = 0) -> pd.Series:
    t = np.arange(24 * 7 * weeks)
    rng = np.random.default_rng(seed)
    y = 10 + 3 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.5, len(t))
    if weekly:
        y = y + 2.5 * ((t % 168) >= 120)
    return pd.Series(y, index=pd.date_range("2024-01-01", periods=len(t), freq="h"))


def test_detects_daily_and_weekly_cycles_in_hourly_data():
    assert detect_seasonalities(_hourly(), "h") == [24, 168]


def test_detects_only_the_daily_cycle_when_there_is_no_weekly_one():
    assert detect_seasonalities(_hourly(weekly=False), "h") == [24]


def test_noise_has_no_season_and_seasons_never_exceed_half_the_series():
    rng = np.random.default_rng(3)
    assert detect_seasonalities(rng.normal(size=500), "h") == []
    # 200 hourly points: 168 is longer than half the series, so only 24 may be found.
    assert detect_seasonalities(_hourly().iloc[:200], "h") == [24]


def test_half_hourly_and_monthly_candidates():
    t = np.arange(48 * 7 * 5)
    y = np.sin(2 * np.pi * t / 48) + 0.8 * ((t % 336) >= 240)
    assert detect_seasonalities(y, "30min") == [48, 336]
    m = np.arange(72)
    assert detect_seasonalities(50 + m + 10 * np.sin(2 * np.pi * m / 12), "MS") == [12]
    assert default_season_length("MS") == 12
    assert default_season_length("h") == 24
    assert default_season_length("YS") == 1


def test_lag_and_rolling_features_use_only_the_past():
    y = pd.Series(np.arange(20, dtype=float))
    lags = make_lag_features(y, [1, 3])
    assert lags.loc[5, "lag_1"] == 4 and lags.loc[5, "lag_3"] == 2
    roll = make_rolling_features(y, [3])
    assert roll.loc[5, "roll_mean_3"] == 3.0 and roll.loc[5, "roll_max_3"] == 4.0


def test_changing_a_future_value_changes_no_earlier_feature_row():
    y = _hourly(weeks=4)
    feats = SeriesFeaturizer(freq="h").fit(y)
    before = feats.transform(y)
    changed = y.copy()
    changed.iloc[400] += 1000.0
    after = feats.transform(changed)
    pd.testing.assert_frame_equal(before.iloc[:401], after.iloc[:401])
    assert not before.iloc[401:].equals(after.iloc[401:])


def test_featurizer_defaults_come_from_frequency_and_seasons():
    y = _hourly(weeks=4)
    feats = SeriesFeaturizer(freq="h").fit(y)
    assert feats.seasons_ == [24, 168]
    assert {1, 24, 168}.issubset(feats.lags_)
    names = list(feats.get_feature_names_out())
    assert "hour" in names and "fourier_168_sin1" in names
    assert feats.max_lookback_ >= 168


def test_fourier_terms_are_periodic():
    four = make_fourier_features(np.arange(48), [24], 2)
    assert list(four.columns) == [
        "fourier_24_sin1",
        "fourier_24_cos1",
        "fourier_24_sin2",
        "fourier_24_cos2",
    ]
    assert np.allclose(four.iloc[:24].to_numpy(), four.iloc[24:].to_numpy())
