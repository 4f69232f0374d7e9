"""Tests of the forecasting AutoML: settings and input errors, ranking, multi-series, events,
persistence, and the public functions of its phase modules (search order, backtest, intervals)."""

import io
import pickle
import pickletools
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from modeling.forecasters import PreparedForecaster
from training.forecasting import (
    Cancelled,
    ForecastError,
    ForecastModel,
    ForecastSettings,
    run_forecast_automl,
)
from training.forecasting.backtest import backtest
from training.forecasting.calibration import (
    CALIBRATION_WINDOWS,
    HISTORY_SHARE,
    calibration_origins,
)
from training.forecasting.engine import fit_plan
from training.forecasting.inputs import SeriesData, prepare
from training.forecasting.intervals import (
    MIN_TAIL,
    MIN_WIDENING,
    choose_method,
    coverage_tolerance,
    fit_intervals,
    interval_card,
    thin_tail,
)
from training.forecasting.search import search_order
from training.forecasting.settings import RANKING_WINDOWS
from training.forecasting.windows import Window

SAMPLES = Path(__file__).resolve().parents[2] / "datasets" / "sample_data"
AIR = ForecastSettings(time_column="month", target="passengers", horizon=12)


@pytest.fixture(scope="module")
def air() -> pd.DataFrame:
    return pd.read_csv(SAMPLES / "series_airpassengers.csv")


@pytest.fixture(scope="module")
def air_run(air):
    events = []
    settings = ForecastSettings(
        time_column="month",
        target="passengers",
        horizon=12,
        algorithms=["seasonal_naive", "ets", "linear_lags", "theta", "ensemble"],
        time_budget_s=20,
    )
    cands = run_forecast_automl(
        air, settings, on_event=lambda kind, payload: events.append((kind, payload))
    )
    return cands, events


def test_airpassengers_candidates_are_ranked_by_backtest_mase(air_run):
    cands, _ = air_run
    names = [c.algorithm for c in cands]
    assert "seasonal_naive" in names
    values = [c.primary_value for c in cands]
    assert values == sorted(values)
    assert [c.rank for c in cands] == list(range(1, len(cands) + 1))
    assert (
        cands[0].primary_value
        < next(c for c in cands if c.algorithm == "seasonal_naive").primary_value
    )
    for c in cands:
        assert set(c.backtest_metrics) >= {
            "mase",
            "smape",
            "mape",
            "rmse",
            "mae",
            "coverage_80",
            "coverage_95",
        }
        assert c.primary_metric == "mase" and c.primary_value == c.backtest_metrics["mase"]
        assert isinstance(c.model, ForecastModel)
        assert "ljung_box_p" in c.residual_analysis and c.prediction_intervals["levels"] == [80, 95]


def test_each_candidate_keeps_the_window_errors_its_mean_ranked_it_on(air_run):
    cands, _ = air_run
    for c in cands:
        # One series (no id column), one MASE per ranking window, oldest first.
        assert list(c.window_mase) == [None]
        errors = c.window_mase[None]
        assert len(errors) == RANKING_WINDOWS and all(e >= 0 for e in errors)
        assert np.mean(errors) == pytest.approx(c.primary_value)
    # The ensemble's windows are its members' combined forecasts, scored like theirs.
    assert len({tuple(c.window_mase[None]) for c in cands}) == len(cands)


@pytest.mark.parametrize("ensemble", [True, False])
def test_a_winner_other_than_arima_is_averaged_with_arima_when_the_ensemble_is_chosen(
    air, ensemble
):
    # Without its season, ARIMA trails Theta on AirPassengers: Theta wins the backtests.
    algorithms = ["seasonal_naive", "theta", "arima", *(["ensemble"] if ensemble else [])]
    settings = ForecastSettings(
        time_column="month",
        target="passengers",
        horizon=12,
        algorithms=algorithms,
        hyperparameters={"arima": {"season_length": 1}},
        time_budget_s=20,
    )
    events: list = []
    cands = run_forecast_automl(air, settings, on_event=lambda k, p: events.append((k, p)))
    singles = sorted((c for c in cands if c.algorithm != "ensemble"), key=lambda c: c.primary_value)
    assert singles[0].algorithm == "theta"
    assert [c.rank for c in cands] == list(range(1, len(cands) + 1))
    logged = " ".join(p["message"] for k, p in events if k == "log")
    if not ensemble:
        assert [c.algorithm for c in cands] == [c.algorithm for c in singles]
        assert "Ranked first" not in logged
        return
    first = cands[0]
    assert first.algorithm == "ensemble"
    assert [m["algorithm"] for m in first.hyperparameters["members"]] == ["theta", "arima"]
    assert [m["weight"] for m in first.hyperparameters["members"]] == [0.5, 0.5]
    # Ranked first although its own backtest trails Theta's: the rest keep their order.
    assert [c.algorithm for c in cands[1:]] == [c.algorithm for c in singles]
    assert np.mean(first.window_mase[None]) == pytest.approx(first.primary_value)
    assert "Ranked first" in logged and "Theta (AutoTheta), the backtest winner" in logged
    # The deployed forecast is the mean of the two members' forecasts.
    theta, arima = (
        np.array(next(c for c in cands if c.algorithm == n).model.predict()["forecast"])
        for n in ("theta", "arima")
    )
    np.testing.assert_allclose(first.model.predict()["forecast"], (theta + arima) / 2)


@pytest.mark.parametrize(("combine", "weight"), [("mean", 0.5), ("median", None)])
def test_the_ensemble_names_its_members_with_their_weights(air, combine, weight):
    settings = ForecastSettings(
        time_column="month",
        target="passengers",
        horizon=12,
        algorithms=["seasonal_naive", "ets", "theta", "ensemble"],
        # Any candidate qualifies: the ensemble of the two models always forms.
        hyperparameters={"ensemble": {"tolerance": 10.0, "combine": combine}},
        time_budget_s=20,
    )
    cands = run_forecast_automl(air, settings)
    ensemble = next(c for c in cands if c.algorithm == "ensemble")
    members = ensemble.hyperparameters["members"]
    assert sorted(m["algorithm"] for m in members) == ["ets", "theta"]
    assert [m["weight"] for m in members] == [weight, weight]
    ets = next(m for m in members if m["algorithm"] == "ets")
    assert ets["hyperparameters"] == next(c for c in cands if c.algorithm == "ets").hyperparameters
    assert ensemble.hyperparameters["combine"] == combine


def test_best_model_forecasts_after_the_history_with_intervals(air_run):
    cands, _ = air_run
    out = cands[0].model.predict()
    assert out["timestamps"][0] == "1961-01-01T00:00:00" and len(out["forecast"]) == 12
    assert all(
        lo <= f <= hi
        for lo, f, hi in zip(
            out["intervals"]["95"]["lower"],
            out["forecast"],
            out["intervals"]["95"]["upper"],
            strict=True,
        )
    )
    assert len(cands[0].model.predict(horizon=3, levels=[90])["intervals"]["90"]["upper"]) == 3
    schema = cands[0].model.input_schema()
    assert schema["time_column"] == "month" and schema["frequency"] == "MS"


def test_events_report_logs_and_progress(air_run):
    _, events = air_run
    kinds = {k for k, _ in events}
    assert kinds == {"log", "progress"}
    progress = [p for k, p in events if k == "progress"]
    assert progress[-1]["progress"] == 1.0
    assert set(progress[0]) == {"progress", "best_metric", "estimated_time_remaining", "algorithm"}


def test_forecast_model_survives_a_joblib_round_trip(air_run):
    model = air_run[0][0].model
    buf = io.BytesIO()
    joblib.dump(model, buf)
    buf.seek(0)
    loaded = joblib.load(buf)
    assert loaded.predict() == model.predict()
    assert type(loaded) is ForecastModel


def test_forecast_model_is_pickled_under_the_name_saved_models_use(air_run):
    """Models saved before the package split name training.forecasting.ForecastModel; new ones
    keep that name, so files load with the code from before and after the split."""
    data = pickle.dumps(air_run[0][0].model, protocol=pickle.HIGHEST_PROTOCOL)
    strings = [arg for op, arg, _ in pickletools.genops(data) if "UNICODE" in op.name]
    at = strings.index("ForecastModel")
    assert strings[at - 1] == "training.forecasting"
    assert "training.forecasting.model" not in strings
    assert type(pickle.loads(data)) is ForecastModel


def test_multi_series_forecasts_each_id():
    t = pd.date_range("2020-01-06", periods=40, freq="W-MON")
    rng = np.random.default_rng(0)
    df = pd.concat(
        [
            pd.DataFrame({"week": t, "store": s, "sales": base + rng.normal(0, 1, 40).cumsum()})
            for s, base in (("north", 50), ("south", 80))
        ]
    )
    settings = ForecastSettings(
        time_column="week",
        target="sales",
        id_column="store",
        horizon=4,
        algorithms=["seasonal_naive", "ets"],
        time_budget_s=10,
    )
    cands = run_forecast_automl(df, settings)
    out = cands[0].model.predict()
    assert [s["id"] for s in out["series"]] == ["north", "south"]
    assert out["forecast"] == out["series"][0]["forecast"]
    assert out["series"][1]["timestamps"][0].startswith(str((t[-1] + pd.Timedelta(days=7)).date()))
    assert cands[0].model.predict(series_id="south")["series"][0]["id"] == "south"


def test_tz_aware_input_keeps_its_zone_in_the_output():
    t = pd.date_range("2024-01-01", periods=24 * 10, freq="h", tz="Europe/Paris")
    y = 10 + np.sin(2 * np.pi * np.arange(len(t)) / 24)
    df = pd.DataFrame({"ts": t.astype(str), "load": y})
    settings = ForecastSettings(
        time_column="ts", target="load", horizon=6, algorithms=["seasonal_naive"], time_budget_s=5
    )
    cands = run_forecast_automl(df, settings)
    first = cands[0].model.predict()["timestamps"][0]
    assert first == (t[-1] + pd.Timedelta(hours=1)).isoformat()


def test_should_stop_cancels(air):
    with pytest.raises(Cancelled):
        run_forecast_automl(air, AIR, should_stop=lambda: True)


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (
            pd.DataFrame({"x": [1, 2]}),
            {"time_column": "month", "target": "x", "horizon": 1},
            "time column",
        ),
        (
            pd.DataFrame({"month": ["2020-01-01"], "v": [1.0]}),
            {"time_column": "month", "target": "v", "horizon": 1},
            "single row",
        ),
        (
            pd.DataFrame({"month": ["pear"] * 30, "v": [1.0] * 30}),
            {"time_column": "month", "target": "v", "horizon": 1},
            "dates",
        ),
    ],
)
def test_bad_input_raises_a_clear_forecast_error(frame, kwargs, message):
    with pytest.raises(ForecastError, match=message):
        run_forecast_automl(frame, ForecastSettings(**kwargs))


def test_constant_and_short_series_are_refused(air):
    const = air.assign(passengers=5.0)
    with pytest.raises(ForecastError, match="constant"):
        run_forecast_automl(const, ForecastSettings(**{**_air_kwargs(), "horizon": 6}))
    # 10,000 months after 1960 run past 2262, the last date pandas holds.
    with pytest.raises(ForecastError, match="runs past 2262-04-11.*3616 or fewer") as err:
        run_forecast_automl(air, ForecastSettings(**{**_air_kwargs(), "horizon": 10000}))
    assert err.value.code == "horizon_past_calendar"
    # Eight points: not even one step can be checked after the 8 a backtest trains on.
    with pytest.raises(ForecastError, match="at least 9 are needed"):
        run_forecast_automl(air.iloc[:8], ForecastSettings(**{**_air_kwargs(), "horizon": 18}))


def test_a_forecast_past_the_last_representable_date_is_refused_not_crashed(air):
    model = run_forecast_automl(
        air, ForecastSettings(**{**_air_kwargs(), "algorithms": ["seasonal_naive"]})
    )[0].model
    assert len(model.predict(3616)["forecast"]) == 3616
    with pytest.raises(ForecastError, match="runs past 2262-04-11") as err:
        model.predict(3617)
    assert err.value.code == "horizon_past_calendar"


def _air_kwargs() -> dict:
    return {"time_column": "month", "target": "passengers", "horizon": 12}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"horizon": 0}, "between 1 and"),
        ({"horizon": 10000 + 1}, "between 1 and"),
        ({"horizon": 2.5}, "whole number of steps"),
        ({"horizon": True}, "whole number of steps"),
        ({"algorithms": ["nope"]}, "Unknown forecasting algorithm"),
        ({"algorithms": []}, "No forecasting algorithm"),
        ({"algorithms": ["arima"], "hyperparameters": {"arima": {"max_p": 99}}}, "Invalid hyper"),
        ({"levels": (80, 100)}, "between 0 and 100"),
        ({"levels": ()}, "between 0 and 100"),
        ({"n_windows": 0}, "at least 1"),
        ({"time_budget_s": 0}, "positive number of seconds"),
        ({"time_budget_s": float("nan")}, "positive number of seconds"),
        ({"time_column": ""}, "time column"),
        ({"preprocessing_config": {"missing_values_strategy": "nope"}}, "preprocessing config"),
    ],
)
def test_settings_are_checked_once_when_made(change, message):
    with pytest.raises(ForecastError, match=message):
        ForecastSettings(**{**_air_kwargs(), **change})


def test_settings_are_normalised_and_resolve_every_hyperparameter():
    settings = ForecastSettings(**_air_kwargs(), algorithms="ets", levels=[90.0], n_windows=2)
    assert settings.algorithms == ("ets",) and settings.levels == (90,)
    assert set(settings.params) == {"ets", "ensemble"}  # the ensemble's are always resolved
    auto = ForecastSettings(**_air_kwargs())
    assert "seasonal_naive" in auto.algorithms and "ensemble" in auto.algorithms
    with pytest.raises(AttributeError):
        auto.horizon = 3  # frozen
    # The preprocessing config is parsed once (aliases resolved) into the typed config.
    prep = ForecastSettings(**_air_kwargs(), preprocessing_config={"fill_method": "ffill"})
    assert prep.preprocessing_config.missing_values_strategy == "forward_fill"


def test_backtest_fits_only_on_rows_before_each_window(air, monkeypatch):
    """Rolling origin: every backtest fit ends right before the window it forecasts; the
    calibration windows sit inside the history; only the final refit sees everything."""
    fits = []
    real_fit = PreparedForecaster.fit

    def spy(self, y, X=None, freq=None):
        fits.append((y.index[-1], len(y)))
        return real_fit(self, y, X, freq)

    monkeypatch.setattr(PreparedForecaster, "fit", spy)
    settings = ForecastSettings(**_air_kwargs(), n_windows=3, algorithms=["seasonal_naive"])
    run_forecast_automl(air, settings)
    ends = [end for end, _ in fits]
    assert ends[:3] == [
        pd.Timestamp("1957-12-01"),
        pd.Timestamp("1958-12-01"),
        pd.Timestamp("1959-12-01"),
    ]
    assert fits[-1] == (pd.Timestamp("1960-12-01"), 144)  # the final refit sees everything
    # Interval calibration windows sit inside the history: each forecasts 12 known points.
    calibration = fits[3:-1]
    assert calibration and all(n <= 144 - 12 for _, n in calibration)
    assert len({n for _, n in fits[:-1]}) == len(fits) - 1


def test_candidates_are_ranked_on_six_windows_where_they_fit_and_fewer_are_said(air):
    settings = ForecastSettings(**_air_kwargs(), algorithms=["seasonal_naive"])
    assert fit_plan(settings, prepare(air, settings)).n_windows == RANKING_WINDOWS == 6
    # 60 monthly points and a 12-step horizon leave 36 after two seasons: three windows fit.
    short = air.iloc[-60:]
    assert fit_plan(settings, prepare(short, settings)).n_windows == 3
    lines: list[tuple[str, str]] = []

    def on_event(kind: str, payload: dict) -> None:
        if kind == "log":
            lines.append((payload["level"], payload["message"]))

    run_forecast_automl(short, settings, on_event=on_event)
    assert ("info", "3 of 6 backtest windows fit in the history.") in lines
    assert not any("backtest window(s) fit" in message for _, message in lines)
    # Two windows are few enough to warn about.
    shorter = air.iloc[-48:]
    lines.clear()
    run_forecast_automl(shorter, settings, on_event=on_event)
    assert ("warning", "Only 2 backtest window(s) fit in the history.") in lines


def test_backtest_phase_scores_each_rolling_window_and_calibration_adds_origins(air):
    settings = ForecastSettings(**_air_kwargs(), algorithms=["seasonal_naive"], n_windows=3)
    data = prepare(air, settings)
    plan = fit_plan(settings, data)
    assert plan.n_windows == 3 and plan.min_train == 24
    res = backtest("seasonal_naive", data.series, plan, deadline=None, check_stop=lambda: None)
    assert [w.cutoff for w in res["windows"][0]] == [108, 120, 132]
    assert all(len(w.actual) == 12 for w in res["windows"][0])
    assert res["metrics"]["mase"] > 0 and res["intervals"]["calibration_windows"] == 3
    origins = calibration_origins(res, data.series, plan)[0]
    # Every half horizon back to half the history (72 points), skipping the ranking windows.
    assert origins == [126, 114, 102, 96, 90, 84, 78, 72]
    assert len(origins) <= CALIBRATION_WINDOWS - 3
    assert min(origins) >= max(plan.min_train, HISTORY_SHARE * 144)
    assert not {108, 120, 132} & set(origins)


def test_search_order_puts_the_likely_winners_first():
    names = ["seasonal_naive", "ets", "theta", "arima", "mstl", "linear_lags", "gbm_lags"]
    y = pd.Series(np.arange(10.0), index=pd.date_range("2024-01-01", periods=10, freq="h"))
    hourly = [SeriesData(None, y, [24, 168], 24)]
    monthly = [SeriesData(None, y, [12], 12)]
    weekly = [SeriesData(None, y, [52], 52)]
    assert search_order(names, hourly, "h")[:2] == ["seasonal_naive", "mstl"]
    assert search_order(names, weekly, "W-SUN")[:2] == ["seasonal_naive", "mstl"]
    assert search_order(names, monthly, "MS")[:2] == ["seasonal_naive", "ets"]
    assert sorted(search_order(names, monthly, "MS")) == sorted(names)


def test_under_covering_model_intervals_are_widened_on_the_backtests():
    rng = np.random.default_rng(0)
    wins = []
    for i in range(10):
        actual = rng.normal(0, 2, 12)  # the model claims a half-width of 1 at both levels
        bounds = {lv: (-np.ones(12), np.ones(12)) for lv in (80, 95)}
        wins.append(Window(actual, np.zeros(12), bounds, 1.0, cutoff=100 + 12 * i))
    fit = fit_intervals([wins], (80, 95))
    assert fit["model_coverage"][80] < 0.5
    assert 2.0 < fit["factors"][0][80] < fit["factors"][0][95]
    assert fit["coverage"][80] >= 0.7 and fit["coverage"][95] >= 0.88
    assert fit["errors"][0].shape == (10, 12)


def _over_wide_windows(n_windows: int, steps: int) -> list[Window]:
    """Windows whose actuals spread with sd 1 while the model claims a half-width of 4 at 80%
    and 6 at 95% (far too wide for both)."""
    rng = np.random.default_rng(3)
    bounds = {
        80: (-4 * np.ones(steps), 4 * np.ones(steps)),
        95: (-6 * np.ones(steps), 6 * np.ones(steps)),
    }
    return [
        Window(rng.normal(0, 1, steps), np.zeros(steps), bounds, 1.0, cutoff=100 + steps * i)
        for i in range(n_windows)
    ]


def test_over_wide_model_intervals_are_narrowed_where_the_backtests_show_the_tail():
    # 10 windows x 12 steps: 24 values expected beyond the 80% quantile, 6 beyond the 95% one.
    wins = _over_wide_windows(10, 12)
    assert 120 * 0.2 >= MIN_TAIL > 120 * 0.05
    fit = fit_intervals([wins], (80, 95))
    f80, f95 = fit["factors"][0][80], fit["factors"][0][95]
    # N(0, 1) needs a half-width of about 1.28 at 80%: 4 is cut to the floor of half.
    assert f80 == pytest.approx(MIN_WIDENING)
    assert f95 == 1.0  # too few tail values to trust a narrower 95% interval
    assert fit["model_coverage"][80] == 1.0
    assert fit["cv_coverage"]["model"][80] < 1.0
    card = interval_card(fit, (80, 95))
    assert "rescaled" in card["method"] or card["level_methods"]["80"] != "model"


def test_narrowing_at_95_needs_two_hundred_pooled_values():
    few = fit_intervals([_over_wide_windows(12, 12)], (80, 95))  # 144 values: 7.2 beyond
    many = fit_intervals([_over_wide_windows(12, 24)], (80, 95))  # 288 values: 14.4 beyond
    assert few["factors"][0][95] == 1.0
    # N(0, 1) needs about 1.96 of the claimed 6 at 95%: narrowed as far as the floor allows.
    assert many["factors"][0][95] == pytest.approx(MIN_WIDENING)


def test_coverage_tolerance_follows_the_binomial_spread_of_each_level():
    assert coverage_tolerance(80) == pytest.approx(0.025)
    assert coverage_tolerance(95) == pytest.approx(0.025 * np.sqrt(0.95 * 0.05 / 0.16))
    assert coverage_tolerance(95) < 0.015
    # A 95% calibration 1.2 points short stands alone; 2 points short needs the envelope.
    cov = {"conformal": 0.938, "model": np.nan, "envelope": 0.97}
    assert choose_method(cov, 95) == "conformal"
    cov["conformal"] = 0.93
    assert choose_method(cov, 95) == "envelope"
    # The same 2-point shortfall at 80% is inside its tolerance.
    assert choose_method({"conformal": 0.78, "model": np.nan, "envelope": 0.85}, 80) == "conformal"


def test_best_model_intervals_cover_held_out_points_near_nominal():
    """Calibration uses only the training history; held-out coverage of a noisy seasonal series
    stays near the nominal levels."""
    rng = np.random.default_rng(1)
    t = np.arange(240)
    y = 50 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 3, len(t)).cumsum() * 0.3
    y = y + rng.normal(0, 2, len(t))
    df = pd.DataFrame({"month": pd.date_range("2000-01-01", periods=len(t), freq="MS"), "v": y})
    hits = {80: [], 95: []}
    for end in (192, 204, 216, 228, 240):
        train, test = df.iloc[: end - 12], df["v"].iloc[end - 12 : end].to_numpy()
        settings = ForecastSettings(
            time_column="month",
            target="v",
            horizon=12,
            algorithms=["seasonal_naive", "ets"],
            time_budget_s=10,
        )
        cands = run_forecast_automl(train, settings)
        out = cands[0].model.predict()
        for lv in hits:
            lo, hi = (np.array(out["intervals"][str(lv)][k]) for k in ("lower", "upper"))
            hits[lv].append(np.mean((test >= lo) & (test <= hi)))
    assert np.mean(hits[80]) >= 0.65 and np.mean(hits[95]) >= 0.85


def test_interval_method_is_chosen_per_level_by_cross_validated_coverage():
    # Nearest to nominal among those short by at most the tolerance; envelope when both fall short.
    assert choose_method({"conformal": 0.81, "model": 0.9, "envelope": 0.92}, 80) == "conformal"
    assert choose_method({"conformal": 0.70, "model": 0.79, "envelope": 0.85}, 80) == "model"
    assert choose_method({"conformal": 0.70, "model": 0.72, "envelope": 0.78}, 80) == "envelope"
    assert choose_method({"conformal": np.nan, "model": 0.96, "envelope": 0.96}, 95) == "model"

    # 12 windows of 24 steps: 288 values, enough to show the tail at both levels.
    wins = _far_too_wide_windows(12, 24)
    assert not thin_tail(12 * 24, 95)
    fit = fit_intervals([wins], (80, 95))
    assert fit["methods"] == {80: "conformal", 95: "conformal"} and fit["method"] == "conformal"
    assert fit["coverage"][80] == fit["cv_coverage"]["conformal"][80]
    assert 0.7 <= fit["coverage"][80] < fit["cv_coverage"]["envelope"][80]
    # Windows the candidate was ranked on are not scored, nor (nine others left) calibrating.
    ranked = [{w.cutoff for w in wins[-3:]}]
    assert fit_intervals([wins], (80, 95), ranked)["n_windows"] == 9


def _far_too_wide_windows(n_windows: int, steps: int) -> list[Window]:
    """Windows of N(0, 1) errors whose model bounds (+-10) are far too wide at both levels."""
    rng = np.random.default_rng(2)
    bounds = {lv: (-10 * np.ones(steps), 10 * np.ones(steps)) for lv in (80, 95)}
    return [
        Window(rng.normal(0, 1, steps), np.zeros(steps), bounds, 1.0, cutoff=100 + steps * i)
        for i in range(n_windows)
    ]


def test_a_level_whose_tail_the_backtests_cannot_show_keeps_the_model_interval_as_a_floor():
    """12 windows of 6 steps: 72 values, 14 expected beyond the 80% quantile but under 4 beyond
    the 95% one. At 80% the cross-validated coverage chooses (conformal, much narrower than the
    model's); at 95% it cannot tell the calibrations apart, so the outer envelope keeps the
    model's own interval as the floor, however well conformal covered the backtests."""
    wins = _far_too_wide_windows(12, 6)
    assert thin_tail(72, 95) and not thin_tail(72, 80)
    fit = fit_intervals([wins], (80, 95))
    assert fit["cv_coverage"]["conformal"][95] >= 0.95 - coverage_tolerance(95)
    assert fit["methods"] == {80: "conformal", 95: "envelope"}
    assert fit["coverage"][95] == fit["cv_coverage"]["envelope"][95]
    assert interval_card(fit, (80, 95))["level_methods"] == {"80": "conformal", "95": "envelope"}


def test_a_series_too_short_for_a_lag_model_leaves_it_out_without_an_error(caplog):
    """40 monthly points: the lag models cannot fit; the run says so in its log (info, no
    traceback) and the other algorithms still give a forecast."""
    rng = np.random.default_rng(4)
    df = pd.DataFrame(
        {
            "month": pd.date_range("2015-01-01", periods=40, freq="MS"),
            "v": 100 + np.arange(40) + rng.normal(0, 2, 40),
        }
    )
    events = []
    settings = ForecastSettings(
        time_column="month",
        target="v",
        horizon=6,
        algorithms=["linear_lags", "ets"],
        time_budget_s=20,
    )
    with caplog.at_level("INFO", logger="training.forecasting"):
        cands = run_forecast_automl(df, settings, on_event=lambda k, p: events.append((k, p)))
    assert [c.algorithm for c in cands if c.model is not None] == ["ets"]
    logs = [p for k, p in events if k == "log" and "Ridge on lags" in p["message"]]
    assert logs and logs[0]["level"] == "info" and "too short" in logs[0]["message"]
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "WARNING") and r.exc_info]
