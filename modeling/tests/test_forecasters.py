"""Tests of the forecasters: shared interface, timestamps, intervals and the catalogue factories."""

import numpy as np
import pandas as pd
import pytest

from modeling.forecast_catalog import FORECASTING_SPECS
from modeling.forecasters import (
    ARIMA_EXACT_MAX_LENGTH,
    ARIMAForecaster,
    EnsembleForecaster,
    ETSForecaster,
    LagRegressionForecaster,
    MSTLForecaster,
    PreparedForecaster,
    SeasonalNaiveForecaster,
    ThetaForecaster,
    conformal_quantile,
    conformal_widths,
    needs_approximation,
)


def _monthly(n: int = 72, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 100 + 0.8 * t + 12 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, n)
    return pd.Series(y, index=pd.date_range("2015-01-01", periods=n, freq="MS"))


FORECASTERS = [
    SeasonalNaiveForecaster(),
    ETSForecaster(),
    ThetaForecaster(),
    ARIMAForecaster(),
    MSTLForecaster(),
    LagRegressionForecaster("gbm", n_estimators=50),
    LagRegressionForecaster("ridge"),
]


@pytest.mark.parametrize(
    "forecaster", FORECASTERS, ids=lambda f: type(f).__name__ + f.__dict__.get("estimator", "")
)
def test_each_forecaster_continues_the_frequency_with_ordered_intervals(forecaster):
    y = _monthly()
    out = forecaster.fit(y).predict(6, levels=(80, 95))
    assert out.timestamps == list(pd.date_range("2021-01-01", periods=6, freq="MS"))
    assert out.forecast.shape == (6,) and np.isfinite(out.forecast).all()
    lo80, hi80 = out.intervals["80"]["lower"], out.intervals["80"]["upper"]
    lo95, hi95 = out.intervals["95"]["lower"], out.intervals["95"]["upper"]
    assert (lo95 <= lo80 + 1e-9).all() and (lo80 <= out.forecast + 1e-9).all()
    assert (out.forecast <= hi80 + 1e-9).all() and (hi80 <= hi95 + 1e-9).all()


def test_seasonal_naive_repeats_the_last_season():
    y = _monthly()
    out = SeasonalNaiveForecaster(season_length=12).fit(y).predict(12)
    assert np.allclose(out.forecast, y.iloc[-12:].to_numpy())


def test_good_models_beat_the_seasonal_naive_on_a_trending_seasonal_series():
    y = _monthly(96)
    train, test = y.iloc[:-12], y.iloc[-12:].to_numpy()
    base = np.abs(SeasonalNaiveForecaster().fit(train).predict(12).forecast - test).mean()
    for fc in (ETSForecaster(), LagRegressionForecaster("ridge")):
        err = np.abs(fc.fit(train).predict(12).forecast - test).mean()
        assert err < base


def test_gbm_learns_differences_when_the_series_trends():
    fc = LagRegressionForecaster("gbm", n_estimators=30).fit(_monthly())
    assert fc.diff_ is True
    flat = pd.Series(np.sin(np.arange(72) * 2 * np.pi / 12), index=_monthly().index)
    assert LagRegressionForecaster("gbm", n_estimators=30).fit(flat).diff_ is False


def test_half_hourly_mstl_uses_both_seasons_and_timestamps_continue():
    t = np.arange(48 * 7 * 3)
    y = pd.Series(
        10 + np.sin(2 * np.pi * t / 48) + 0.5 * ((t % 336) > 240),
        index=pd.date_range("2024-01-01", periods=len(t), freq="30min"),
    )
    fc = MSTLForecaster(season_lengths=[48, 336]).fit(y)
    out = fc.predict(4)
    assert out.timestamps[0] == y.index[-1] + pd.Timedelta("30min")
    assert fc.model_.season_length == [48, 336]


def test_conformal_widths_grow_with_the_horizon_and_level():
    rng = np.random.default_rng(0)
    errors = rng.normal(0, 1, (3, 10)) * np.sqrt(np.arange(1, 11))
    w80, w95 = conformal_widths(errors, 12, 80), conformal_widths(errors, 12, 95)
    assert (np.diff(w80) >= 0).all() and (w95 >= w80).all()
    fc = LagRegressionForecaster("ridge").fit(_monthly()).set_conformal_errors(errors)
    out = fc.predict(12)
    assert np.allclose(out.intervals["80"]["upper"] - out.forecast, w80)


def test_prepared_forecaster_undoes_its_transform_on_forecasts_and_bounds():
    y = np.exp(_monthly() / 50)
    fc = PreparedForecaster(ETSForecaster(), transforms=[{"type": "log"}]).fit(y)
    out = fc.predict(6)
    t = np.arange(72, 78)
    truth = np.exp((100 + 0.8 * t + 12 * np.sin(2 * np.pi * t / 12)) / 50)
    assert (out.forecast > 0).all()
    assert np.allclose(out.forecast, truth, rtol=0.15)
    assert (out.intervals["95"]["lower"] <= out.forecast).all()


def test_prepared_forecaster_fills_gaps_and_caps_outliers_on_training_data_only():
    y = _monthly()
    y.iloc[10] = np.nan
    y.iloc[30] += 500
    fc = PreparedForecaster(SeasonalNaiveForecaster(1), outlier_treatment="cap").fit(y)
    assert fc.n_outliers_ >= 1
    assert np.isfinite(fc.predict(3).forecast).all()


def test_ensemble_averages_its_members():
    y = _monthly()
    members = [SeasonalNaiveForecaster(12).fit(y), LagRegressionForecaster("ridge").fit(y)]
    ens = EnsembleForecaster.from_fitted(members)
    expected = np.mean([m.predict(5).forecast for m in members], axis=0)
    assert np.allclose(ens.predict(5).forecast, expected)


def test_catalogue_factories_build_forecasters_with_valid_defaults():
    context = {"freq": "MS", "season_lengths": [12], "horizon": 6, "random_state": 0}
    names = {spec.name for spec in FORECASTING_SPECS}
    assert {"seasonal_naive", "ets", "arima", "theta", "mstl", "gbm_lags", "linear_lags"} <= names
    for spec in FORECASTING_SPECS:
        assert spec.problem_types == ("forecasting",)
        assert spec.validate(spec.defaults()) == {}
        if spec.factory is None:
            continue
        fc = spec.factory(spec.resolve({}), context)
        assert fc.fit(_monthly(120)).predict(6).forecast.shape == (6,)
    arima = next(s for s in FORECASTING_SPECS if s.name == "arima")
    assert "max_p" in arima.validate({"max_p": 99})


def test_conformal_quantile_uses_the_finite_sample_rank():
    values = np.arange(1.0, 11.0)  # ten scores
    assert conformal_quantile(values, 80) == 9.0  # ceil(11 * 0.8) = 9th smallest
    assert conformal_quantile(values, 95) == 10.0  # too few for 95%: the largest
    assert np.isnan(conformal_quantile(np.array([np.nan]), 80))


def test_interval_scale_widens_the_model_bounds_around_the_forecast():
    y = _monthly()
    plain = ETSForecaster().fit(y).predict(6)
    fc = ETSForecaster().fit(y).set_interval_scale({80: 2.0, 95: 1.5})
    wide = fc.predict(6, levels=(80, 90, 95))
    for key, f in (("80", 2.0), ("95", 1.5)):
        assert np.allclose(
            wide.intervals[key]["upper"] - wide.forecast,
            f * (plain.intervals[key]["upper"] - plain.forecast),
        )
    assert "90" in wide.intervals  # other levels use the nearest fitted factor
    assert np.allclose(
        fc.predict_uncalibrated(6).intervals["80"]["upper"], plain.intervals["80"]["upper"]
    )


def test_ensemble_combines_its_members_uncalibrated_intervals():
    y = _monthly()
    a, b = ETSForecaster().fit(y), ThetaForecaster().fit(y)
    before = EnsembleForecaster.from_fitted([a, b]).predict(4)
    a.set_interval_scale({80: 3.0, 95: 3.0})
    after = EnsembleForecaster.from_fitted([a, b]).predict(4)
    assert np.allclose(before.intervals["80"]["upper"], after.intervals["80"]["upper"])


def test_interval_methods_choose_the_calibration_per_level():
    y = _monthly()
    errors = np.random.default_rng(0).normal(0, 5, (8, 6))
    plain = ETSForecaster().fit(y).predict(6)
    fc = ETSForecaster().fit(y).set_conformal_errors(errors).set_interval_scale({80: 2.0, 95: 1.0})
    envelope = fc.predict(6)
    fc.set_interval_methods({80: "model", 95: "conformal"})
    chosen = fc.predict(6, levels=(80, 90, 95))
    assert np.allclose(
        chosen.intervals["80"]["upper"] - chosen.forecast,
        2.0 * (plain.intervals["80"]["upper"] - plain.forecast),
    )
    assert np.allclose(
        chosen.intervals["95"]["upper"] - chosen.forecast, conformal_widths(errors, 6, 95)
    )
    for key in ("80", "95"):  # a single method never exceeds the envelope of both
        assert np.all(chosen.intervals[key]["upper"] <= envelope.intervals[key]["upper"] + 1e-9)
    fc.set_interval_methods(None)  # unset: the envelope again
    assert np.allclose(fc.predict(6).intervals["80"]["upper"], envelope.intervals["80"]["upper"])
    with pytest.raises(ValueError):
        fc.set_interval_methods({80: "widest"})


def test_wider_levels_contain_narrower_ones_when_their_calibrations_differ():
    y = _monthly()
    tiny_errors = np.full((8, 6), 0.01)  # conformal 95% far narrower than the widened 80%
    fc = ETSForecaster().fit(y).set_conformal_errors(tiny_errors).set_interval_scale({80: 3.0})
    fc.set_interval_methods({80: "model", 95: "conformal"})
    out = fc.predict(6, levels=(95, 80))
    assert list(out.intervals) == ["95", "80"]  # asked order kept
    inner, outer = out.intervals["80"], out.intervals["95"]
    assert np.all(outer["upper"] >= inner["upper"]) and np.all(outer["lower"] <= inner["lower"])
    assert np.any(inner["upper"] - out.forecast > 0.5)  # the 80% band really is the wide one


def _arima_reference(values: np.ndarray, approximation: bool) -> np.ndarray:
    """statsforecast's AutoARIMA with ARIMAForecaster's bounds, non-seasonal."""
    from statsforecast.models import AutoARIMA

    ref = AutoARIMA(
        season_length=1, max_p=3, max_q=3, max_P=1, max_Q=1, nmodels=30,
        approximation=approximation, seasonal=False,
    )  # fmt: skip
    return np.asarray(ref.fit(values).predict(h=6)["mean"], dtype=float)


def test_arima_fits_short_series_by_exact_likelihood_and_long_ones_approximately():
    assert not needs_approximation(ARIMA_EXACT_MAX_LENGTH, 1)
    assert needs_approximation(ARIMA_EXACT_MAX_LENGTH + 1, 1) and needs_approximation(40, 24)
    rng = np.random.default_rng(5)
    for n in (60, 400):
        # A trending AR(1) series, yearly: no season.
        e = np.zeros(n)
        for t in range(1, n):
            e[t] = 0.6 * e[t - 1] + rng.normal()
        y = pd.Series(
            10 + 0.3 * np.arange(n) + e, index=pd.date_range("1700-01-01", periods=n, freq="YS")
        )
        out = ARIMAForecaster().fit(y).predict(6)
        exact = n <= ARIMA_EXACT_MAX_LENGTH
        np.testing.assert_allclose(out.forecast, _arima_reference(y.to_numpy(), not exact))
