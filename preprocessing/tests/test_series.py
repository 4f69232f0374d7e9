"""Tests of the time-series preparation (frequency, regularisation, outliers, transforms)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datasets.frequency import infer_frequency
from preprocessing.series import (
    BoxCoxTransform,
    DifferenceTransform,
    LogTransform,
    SeriesError,
    TransformChain,
    detect_outliers,
    fill_gaps,
    parse_timestamps,
    prepare_series,
    regularize,
    series_frequency,
    treat_outliers,
)


def test_infer_frequency_is_robust_to_a_few_gaps():
    hourly = pd.date_range("2024-01-01", periods=200, freq="h").delete([5, 6, 50, 120])
    assert infer_frequency(hourly) == "h"
    monthly = pd.date_range("2000-01-01", periods=60, freq="MS").delete([3, 30])
    assert infer_frequency(monthly) == "MS"
    quarterly = pd.date_range("2000-01-01", periods=40, freq="QS")
    assert infer_frequency(quarterly) == "QS"
    weekly = pd.date_range("2020-01-04", periods=80, freq="W-SAT").delete([10])
    assert infer_frequency(weekly) == "W-SAT"
    assert infer_frequency(pd.date_range("2024-01-01", periods=50, freq="30min")) == "30min"


def test_regularize_reports_gaps_and_averages_duplicates():
    stamps = list(pd.date_range("2024-01-01", periods=10, freq="D").delete([3, 7]))
    stamps.append(stamps[0])
    df = pd.DataFrame({"t": [s.strftime("%Y-%m-%d") for s in stamps], "v": [*range(8), 10.0]})
    frame, report = regularize(df, "t", None, target="v")
    assert report["frequency"] == "D"
    assert report["n_duplicates"] == 1
    assert report["n_gaps"] == 2
    assert report["missing_timestamps"] == ["2024-01-04T00:00:00", "2024-01-08T00:00:00"]
    assert len(frame) == 10
    assert frame.loc[0, "v"] == pytest.approx(5.0)  # mean of 0 and 10
    assert frame["v"].isna().sum() == 2


def test_regularize_per_series_with_id_column():
    t = pd.date_range("2024-01-01", periods=6, freq="MS")
    df = pd.DataFrame({"t": list(t) + list(t[:4]), "id": ["a"] * 6 + ["b"] * 4, "v": range(10)})
    frame, report = regularize(df, "t", "MS", id_column="id", target="v")
    assert report["n_gaps"] == 0
    assert frame.groupby("id").size().to_dict() == {"a": 6, "b": 4}


def test_series_frequency_is_the_frequency_regularize_uses():
    stores = []
    for k, store in enumerate(("north", "south")):
        t = pd.date_range("2020-01-05", periods=40, freq="W-SUN").delete([3 + k, 20])
        stores.append(pd.DataFrame({"t": t.strftime("%Y-%m-%d"), "id": store, "v": 1.0}))
    two = pd.concat(stores, ignore_index=True).sample(frac=1.0, random_state=0)
    one = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=30, freq="h"), "v": 0.0})
    for df, idc in ((two, "id"), (one, None)):
        _, report = regularize(df, "t", None, id_column=idc, target="v")
        assert series_frequency(df, "t", idc) == report["frequency"]
    rng = np.random.default_rng(0)
    odd = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 9e6, 80)), "s")
    irregular = pd.DataFrame({"t": odd, "v": 1.0})
    for call in (
        lambda: regularize(irregular, "t", target="v"),
        lambda: series_frequency(irregular, "t"),
    ):
        with pytest.raises(SeriesError, match="no regular frequency"):
            call()
    with pytest.raises(SeriesError, match="not in the data"):
        series_frequency(irregular, "when")


def test_parse_timestamps_converts_time_zones_to_utc_and_keeps_the_zone():
    idx, tz = parse_timestamps(["2024-03-01T10:00:00+01:00", "2024-03-01T11:00:00+01:00"])
    assert tz is not None
    assert idx[0] == pd.Timestamp("2024-03-01 09:00")
    aware = pd.Series(pd.date_range("2024-01-01", periods=3, freq="h", tz="Europe/Paris"))
    idx, tz = parse_timestamps(aware)
    assert tz == "Europe/Paris" and idx.tz is None and idx[0] == pd.Timestamp("2023-12-31 23:00")
    idx, tz = parse_timestamps(pd.Series([1990, 1991, 1992]))
    assert idx[1] == pd.Timestamp("1991-01-01") and tz is None
    with pytest.raises(SeriesError):
        parse_timestamps(["apple", "pear"])


def test_fill_gaps_interpolates_and_forward_fills():
    y = pd.Series([1.0, np.nan, 3.0, np.nan])
    assert fill_gaps(y).tolist() == [1.0, 2.0, 3.0, 3.0]
    assert fill_gaps(y, "forward_fill").tolist() == [1.0, 1.0, 3.0, 3.0]


def test_outliers_are_found_relative_to_the_local_level_and_treated():
    rng = np.random.default_rng(0)
    y = pd.Series(np.linspace(0, 100, 200) + rng.normal(0, 1, 200))
    y[120] += 30
    mask = detect_outliers(y)
    assert mask[120] and mask.sum() <= 3
    for method in ("cap", "interpolate"):
        fixed = treat_outliers(y, mask, method)
        assert abs(fixed[120] - y[119]) < 10
        assert fixed[~mask].equals(y[~mask])


MONTHLY = Path(__file__).parent / "data" / "monthly_sales.csv"


def test_seasonal_peaks_and_troughs_are_not_outliers():
    # 96 months of trend + yearly season + small noise: the old rolling-median rule flagged
    # 27 of them, every peak and trough.
    y = pd.read_csv(MONTHLY)["sales"]
    assert detect_outliers(y, season=12).sum() == 0
    prepared, treated = prepare_series(y, "MS", outlier_treatment="cap")
    assert treated.sum() == 0 and prepared.equals(y.astype(float))


def test_spikes_in_a_seasonal_series_are_found_and_capped_to_the_season():
    y = pd.read_csv(MONTHLY)["sales"]
    spiked = y.copy()
    spiked[[10, 40, 77]] += [60.0, -50.0, 80.0]
    mask = detect_outliers(spiked, season=12)
    assert np.flatnonzero(mask.to_numpy()).tolist() == [10, 40, 77]
    capped = treat_outliers(spiked, mask, "cap", season=12)
    # clipped to the band (4 robust sigmas) around what the season expects at each step
    assert (abs(capped[[10, 40, 77]] - y[[10, 40, 77]]) < 35).all()
    assert capped[~mask].equals(spiked[~mask])


def test_a_gap_and_a_short_series_are_never_outliers():
    y = pd.read_csv(MONTHLY)["sales"].astype(float)
    y[[5, 6, 30]] = np.nan
    assert not detect_outliers(y, season=12)[[5, 6, 30]].any()
    assert not detect_outliers(pd.Series([1.0, 2.0, 500.0, 3.0])).any()


SHORT = Path(__file__).parent / "data" / "monthly_30.csv"  # 2.5 years: trend, wave, noise sd 10


def test_a_short_clean_seasonal_series_has_no_outliers():
    # The old rule flagged 14 of these 30 values: its running median passed through the
    # points of each rising stretch, the residuals were 0 and so was the robust spread.
    y = pd.read_csv(SHORT)["visitors"].astype(float)
    assert detect_outliers(y, season=12).sum() == 0
    assert detect_outliers(y).sum() == 0
    prepared, treated = prepare_series(y, "MS", outlier_treatment="interpolate")
    assert treated.sum() == 0 and prepared.equals(y)


def test_spikes_in_a_short_seasonal_series_are_found_and_not_their_twins():
    y = pd.read_csv(SHORT)["visitors"].astype(float)
    spiked = y.copy()
    spiked[[7, 20]] += [80.0, -70.0]  # 8 and 7 noise sigmas
    mask = detect_outliers(spiked, season=12)
    # 19 and 8 sit at the same months of the other year: the spikes move what the season
    # expects there, but their neighbours vouch for them
    assert np.flatnonzero(mask.to_numpy()).tolist() == [7, 20]
    _, treated = prepare_series(spiked, "MS", outlier_treatment="cap")
    assert np.flatnonzero(treated.to_numpy()).tolist() == [7, 20]


def _trend_wave_noise(n: int, season: int, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.Series(500 + 3.0 * t + 60 * np.sin(2 * np.pi * t / season) + rng.normal(0, 10, n))


def test_long_clean_series_have_no_outliers_and_their_spikes_are_found():
    for n, season, freq in ((240, 12, "MS"), (730, 7, "D")):
        y = _trend_wave_noise(n, season, seed=n)
        assert detect_outliers(y, season=season).sum() == 0, freq
        spiked = y.copy()
        spiked[[30, n // 2, n - 3]] += [80.0, -90.0, 100.0]
        mask = detect_outliers(spiked, season=season)
        assert np.flatnonzero(mask.to_numpy()).tolist() == [30, n // 2, n - 3], freq


def test_a_series_exact_in_places_flags_only_its_spike():
    # most prediction errors are 0 here; the spread must not be, nor may the spike's
    # neighbours be blamed for it
    y = pd.Series(np.linspace(0.0, 29.0, 30))
    y[10] = 100.0
    assert np.flatnonzero(detect_outliers(y).to_numpy()).tolist() == [10]
    assert detect_outliers(pd.Series([5.0] * 30), season=12).sum() == 0


def test_log_and_box_cox_round_trip_with_monotone_intervals():
    y = np.array([5.0, 7.0, 9.0, 12.0, 20.0, 33.0, 50.0])
    for tr in (LogTransform(), BoxCoxTransform()):
        z = tr.fit(y).transform(y)
        assert np.allclose(tr.inverse(z), y)
        lo, hi = tr.inverse_interval(z, z - 0.3, z + 0.3)
        assert (lo < y).all() and (y < hi).all()


def test_box_cox_lambda_is_fitted_on_the_training_part_only():
    rng = np.random.default_rng(1)
    train = np.exp(rng.normal(2, 0.3, 100))
    full = np.concatenate([train, rng.normal(500, 1, 50)])
    assert BoxCoxTransform().fit(train).lambda_ != pytest.approx(
        BoxCoxTransform().fit(full).lambda_
    )
    from scipy import stats

    assert BoxCoxTransform().fit(train).lambda_ == pytest.approx(stats.boxcox(train)[1], abs=1e-6)


def test_difference_inverts_forecasts_and_widens_bounds():
    y = np.array([1.0, 3.0, 6.0, 10.0])
    tr = DifferenceTransform(lag=1)
    z = tr.fit(y).transform(y)
    assert z.tolist() == [2.0, 3.0, 4.0]
    level = tr.inverse(np.array([5.0, 6.0]))
    assert level.tolist() == [15.0, 21.0]
    lo, hi = tr.inverse_interval(np.array([5.0, 6.0]), np.array([4.0, 5.0]), np.array([6.0, 7.0]))
    assert np.allclose(hi - level, [1.0, np.sqrt(2.0)])
    assert (lo < level).all() and (np.diff(hi - lo) >= 0).all()


def test_transform_chain_round_trips_forecasts_and_intervals():
    y = np.array([10.0, 12.0, 15.0, 14.0, 18.0, 22.0, 25.0, 30.0])
    chain = TransformChain([LogTransform(), DifferenceTransform()])
    z = chain.fit_transform(y)
    assert len(z) == len(y) - 1
    # The next true differences (in log space) rebuild the true next values.
    nxt = np.array([33.0, 35.0])
    dz = np.diff(np.log(np.concatenate([[y[-1]], nxt])))
    assert np.allclose(chain.inverse(dz), nxt)
    lo, hi = chain.inverse_interval(dz, dz - 0.05, dz + 0.05)
    assert (lo < nxt).all() and (nxt < hi).all()


@pytest.mark.parametrize(
    ("freq", "advice"),
    [
        ("h", "for example daily"),
        ("D", "for example weekly"),
        ("W-SUN", "for example monthly"),
        ("MS", "for example quarterly"),
        ("QE", "for example yearly"),
    ],
)
def test_a_sparse_series_is_advised_the_next_coarser_frequency_not_its_own(freq, advice):
    from preprocessing.series import SparseSeriesError, check_grid_coverage

    with pytest.raises(SparseSeriesError) as err:
        check_grid_coverage(1000, 900, freq)
    assert advice in str(err.value)


def test_a_sparse_yearly_series_is_not_told_to_aggregate():
    from preprocessing.series import SparseSeriesError, check_grid_coverage

    with pytest.raises(SparseSeriesError) as err:
        check_grid_coverage(100, 90, "YS")
    assert "coarser" not in str(err.value) and "value at each step" in str(err.value)


def test_grid_coverage_refuses_more_missing_steps_than_the_upload_profile_allows():
    """The same threshold as the upload profile's regularity: half the grid may be missing, not
    more; the message says how many steps are missing and what to do."""
    from datasets.timeseries import MIN_GRID_COVERAGE, series_facts
    from preprocessing.series import SparseSeriesError, check_grid_coverage

    assert MIN_GRID_COVERAGE == 0.5
    check_grid_coverage(365, 17, "D")  # a moderately gappy year
    check_grid_coverage(100, 50, "h")  # exactly half observed: the profile calls it regular
    with pytest.raises(SparseSeriesError) as err:
        check_grid_coverage(5655, 3195, "h")
    message = str(err.value)
    assert "3195 of the 5655 steps" in message and "coarser frequency" in message
    # Business hours on weekdays: the profile and the check agree that it is not regular.
    week = pd.date_range("2024-01-01", periods=24 * 7 * 4, freq="h")
    open_hours = week[(week.dayofweek < 5) & (week.hour >= 7) & (week.hour < 22)]
    facts = series_facts(pd.Series(open_hours), None)
    grid = len(pd.date_range(open_hours[0], open_hours[-1], freq="h"))
    assert not facts["regular"]
    with pytest.raises(SparseSeriesError):
        check_grid_coverage(grid, grid - len(open_hours), "h")


def test_box_cox_on_a_constant_series_says_so_in_words():
    with pytest.raises(SeriesError, match="Box-Cox cannot transform the series: its values are"):
        BoxCoxTransform().fit(np.full(24, 7.0))
