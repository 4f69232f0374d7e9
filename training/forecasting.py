"""Forecasting AutoML: validate a time-series frame, backtest candidate forecasters by rolling
origin (likely winners for the series' seasonality first), rank them by MASE, calibrate the
intervals of the best on more backtest windows inside the history, and refit the kept ones into
deployable `ForecastModel`s. The backtests and the calibration end early enough for the
predicted refits and saving (`training.budget`); a refit predicted not to end in time is not
started (that candidate is left out; the rank-1 model and seasonal_naive are always refitted).

Django-free. Events go through `on_event(kind, payload)` like the tabular engine.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features.series import default_season_length, detect_seasonalities
from modeling.forecast_catalog import FORECASTING_SPECS
from modeling.forecasters import (
    EnsembleForecaster,
    Forecaster,
    PreparedForecaster,
    conformal_quantile,
    conformal_widths,
)
from modeling.hyperparams import AlgorithmSpec
from preprocessing.series import SeriesError, fill_gaps, future_index, regularize
from training.budget import Ledger, save_seconds, scaled_cost

try:  # One Cancelled for the tabular and forecasting engines when both exist.
    from training.automl import Cancelled  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the other engine being present

    class Cancelled(Exception):  # noqa: N818 - the name other code catches
        """The job was asked to stop (should_stop() returned True)."""


MAX_HORIZON = 10_000
AUTO_ALGORITHMS = (
    "seasonal_naive",
    "ets",
    "theta",
    "arima",
    "mstl",
    "linear_lags",
    "gbm_lags",
    "ensemble",
)
_SPECS: dict[str, AlgorithmSpec] = {spec.name: spec for spec in FORECASTING_SPECS}
# Search order by the kind of seasonality (after seasonal_naive, which always runs first): the
# models that usually win for that kind come first so that a short budget still reaches them.
_ORDER_MULTI_SEASONAL = ("mstl", "arima", "linear_lags", "gbm_lags", "theta", "ets")
_ORDER_LONG_SEASON = ("mstl", "arima", "linear_lags", "theta", "ets", "gbm_lags")
_ORDER_SHORT_SEASON = ("ets", "arima", "theta", "linear_lags", "mstl", "gbm_lags")
CALIBRATION_WINDOWS = 12  # backtest windows the rank-1 model's intervals are calibrated on
MAX_WIDENING = 10.0
# How far (fraction) a single calibration's cross-validated backtest coverage may fall short of
# the nominal level and still be used alone; fixed a priori (about the sampling error of a
# coverage estimated on ~12 windows), not fitted to any evaluation data.
COVERAGE_TOLERANCE = 0.025
SEARCH_SHARE, CALIBRATION_SHARE = 0.65, 0.85  # of the budget: backtests end, calibration ends
# The backtests and the calibration also end early enough to leave the predicted refits (on the
# whole history) of the rank-1 model, seasonal_naive and the likely ensemble members, and the
# saving of the models; `_refit_reserve`.


class ForecastError(ValueError):
    """Input that cannot be forecast as given; the message is one clear sentence."""


def _noop(kind: str, payload: dict[str, Any]) -> None:
    return None


# --------------------------------------------------------------------------- results


@dataclass
class ForecastCandidate:
    """One backtested algorithm: its metrics, ranking and (when refitted) deployable model."""

    algorithm: str
    hyperparameters: dict[str, Any]
    model: ForecastModel | None
    backtest_metrics: dict[str, float]
    primary_metric: str = "mase"
    primary_value: float = math.inf
    fit_time_s: float = 0.0
    rank: int = 0
    residual_analysis: dict[str, Any] = field(default_factory=dict)
    prediction_intervals: dict[str, Any] = field(default_factory=dict)


class ForecastModel:
    """The one object saved (joblib) and deployed: fitted forecasters per series with the history
    they need, frequency, seasons, default horizon and time zone."""

    def __init__(
        self,
        *,
        algorithm: str,
        time_column: str,
        target: str,
        id_column: str | None,
        freq: str,
        timezone: str | None,
        horizon: int,
        levels: tuple[int, ...],
        season_lengths: dict[Any, list[int]],
        forecasters: dict[Any, Forecaster],
    ):
        self.algorithm = algorithm
        self.time_column = time_column
        self.target = target
        self.id_column = id_column
        self.freq = freq
        self.timezone = timezone
        self.horizon = horizon
        self.levels = tuple(levels)
        self.season_lengths = season_lengths
        self.forecasters = forecasters

    @property
    def series_ids(self) -> list[Any]:
        """Ids of the series this model forecasts (one None id without an id column)."""
        return list(self.forecasters)

    def _stamp(self, ts: pd.Timestamp) -> str:
        if self.timezone:
            return ts.tz_localize("UTC").tz_convert(self.timezone).isoformat()
        return ts.isoformat()

    def _one(self, key: Any, horizon: int, levels: tuple[int, ...]) -> dict[str, Any]:
        out = self.forecasters[key].predict(horizon, levels)
        return {
            "timestamps": [self._stamp(ts) for ts in out.timestamps],
            "forecast": [float(v) for v in out.forecast],
            "intervals": {
                k: {
                    "lower": [float(v) for v in b["lower"]],
                    "upper": [float(v) for v in b["upper"]],
                }
                for k, b in out.intervals.items()
            },
        }

    def predict(
        self,
        horizon: int | None = None,
        levels: tuple[int, ...] | list[int] = (80, 95),
        series_id: Any = None,
    ) -> dict[str, Any]:
        """Forecast `horizon` steps (default: the trained horizon) after the history.

        One series: {timestamps, forecast, intervals}. With an id column: {"series": [{id, ...}]}
        plus the first (or the requested) series' fields at top level.
        """
        h = int(horizon or self.horizon)
        if h < 1 or h > MAX_HORIZON:
            raise ForecastError(f"The horizon must be between 1 and {MAX_HORIZON}.")
        lv = tuple(int(v) for v in levels)
        if any(v <= 0 or v >= 100 for v in lv):
            raise ForecastError("Interval levels must be percentages between 0 and 100.")
        if not self.id_column:
            return self._one(next(iter(self.forecasters)), h, lv)
        keys = list(self.forecasters)
        if series_id is not None:
            match = [k for k in keys if str(k) == str(series_id)]
            if not match:
                raise ForecastError(f"Unknown series id {series_id!r}.")
            keys = match
        series = [{"id": _jsonable(k), **self._one(k, h, lv)} for k in keys]
        first = {k: v for k, v in series[0].items() if k != "id"}
        return {"series": series, **first}

    def input_schema(self) -> dict[str, Any]:
        """What the model was trained on: time column, target, id column, frequency, horizon."""
        return {
            "problem_type": "forecasting",
            "time_column": self.time_column,
            "target": self.target,
            "id_column": self.id_column,
            "frequency": self.freq,
            "timezone": self.timezone,
            "horizon": self.horizon,
            "levels": list(self.levels),
            "season_lengths": {str(k): v for k, v in self.season_lengths.items()},
            "series_ids": [_jsonable(k) for k in self.series_ids] if self.id_column else None,
            "last_timestamps": {
                str(k): self._stamp(f.last_timestamp_) for k, f in self.forecasters.items()
            },
        }


def _jsonable(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------- input


@dataclass
class _Series:
    key: Any
    y: pd.Series
    seasons: list[int]
    m: int  # MASE / seasonal-naive season


def _prepare(
    df: pd.DataFrame, time_column: str, target: str, id_column: str | None, horizon: Any
) -> tuple[list[_Series], str, str | None, dict[str, Any]]:
    """Validate and regularise the input into per-series regular Series."""
    if not isinstance(df, pd.DataFrame) or df.empty:
        raise ForecastError("The data is empty.")
    for col, what in ((time_column, "time"), (target, "target")):
        if not col or col not in df.columns:
            raise ForecastError(f"The {what} column {col!r} is not in the data.")
    if id_column and id_column not in df.columns:
        raise ForecastError(f"The id column {id_column!r} is not in the data.")
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
        raise ForecastError("The horizon must be a whole number of steps.")
    if horizon < 1 or horizon > MAX_HORIZON:
        raise ForecastError(f"The horizon must be between 1 and {MAX_HORIZON} steps.")
    values = pd.to_numeric(df[target], errors="coerce")
    if values.notna().sum() == 0:
        raise ForecastError(f"The target column {target!r} has no numeric values.")
    cols = [time_column, target] + ([id_column] if id_column else [])
    frame = df[cols].copy()
    frame[target] = values
    if len(frame) < 2:
        raise ForecastError("The data has a single row; a forecast needs a history.")
    try:
        reg, report = regularize(frame, time_column, None, id_column=id_column, target=target)
    except SeriesError as exc:
        raise ForecastError(str(exc)) from exc
    freq = report["frequency"]
    groups = reg.groupby(id_column, sort=False) if id_column else [(None, reg)]
    series: list[_Series] = []
    for key, part in groups:
        y = pd.Series(part[target].to_numpy(float), index=pd.DatetimeIndex(part[time_column]))
        y = y.loc[y.first_valid_index() : y.last_valid_index()]
        m = default_season_length(freq)
        need = _min_length(m, horizon)
        label = f"Series {key!r}" if id_column else "The series"
        if len(y) < need:
            raise ForecastError(
                f"{label} has {len(y)} observations at frequency {freq}; at least {need} are "
                f"needed for a horizon of {horizon} (two seasons of {m} plus the horizon)."
                if need - horizon > 8
                else f"{label} has {len(y)} observations; at least {need} are needed for a "
                f"horizon of {horizon}."
            )
        filled = fill_gaps(y)
        seasons = detect_seasonalities(filled, freq)
        series.append(_Series(key, y, seasons, m if len(y) > m else 1))
    if all(s.y.nunique(dropna=True) <= 1 for s in series):
        raise ForecastError("The target is constant, so there is nothing to forecast.")
    return series, freq, report.get("timezone"), report


def _min_length(m: int, horizon: int) -> int:
    """Observations needed: the horizon plus two seasons (seasons up to 24 steps) or 8 points."""
    return horizon + max(8, 2 * m if 1 < m <= 24 else 0)


def _prep_options(config: dict[str, Any] | None) -> dict[str, Any]:
    """Series preparation options from a pipeline preprocessing config (contract keys accepted)."""
    cfg = config or {}
    fill = cfg.get("missing_values_strategy") or cfg.get("fill_method") or "interpolate"
    if fill not in ("interpolate", "forward_fill", "ffill"):
        fill = "interpolate"
    treatment = cfg.get("outlier_treatment")
    if treatment not in ("cap", "interpolate"):
        treatment = None
    if cfg.get("outlier_detection_method") in (None, "none") and "outlier_treatment" not in cfg:
        treatment = None
    transforms = []
    for t in cfg.get("transformations") or []:
        kind = t.get("type") if isinstance(t, dict) else t
        if kind in ("log", "box_cox", "difference"):
            params = dict(t.get("params") or {}) if isinstance(t, dict) else {}
            transforms.append({"type": kind, "params": params})
    return {
        "fill_method": fill,
        "outlier_treatment": treatment,
        "outlier_threshold": float(cfg.get("outlier_threshold") or cfg.get("threshold") or 4.0),
        "transforms": transforms,
    }


def _feature_params(feature_config: dict[str, Any] | None) -> dict[str, Any]:
    """Overrides for the lag regressors from a features config (lags, rolling_windows...)."""
    cfg = feature_config or {}
    out: dict[str, Any] = {}
    if cfg.get("lags"):
        out["lags"] = sorted({int(v) for v in cfg["lags"] if int(v) > 0})
    if cfg.get("rolling_windows"):
        out["windows"] = sorted({int(v) for v in cfg["rolling_windows"] if int(v) > 1})
    if cfg.get("fourier_terms") is not None:
        out["fourier_terms"] = int(cfg["fourier_terms"])
    return out


# --------------------------------------------------------------------------- metrics


def _mase_scale(train: np.ndarray, m: int) -> float:
    """In-sample mean absolute error of the seasonal naive forecast (naive when too short)."""
    x = train[np.isfinite(train)]
    for lag in (m, 1):
        if len(x) > lag:
            scale = float(np.mean(np.abs(x[lag:] - x[:-lag])))
            if scale > 1e-12:
                return scale
    return max(float(np.mean(np.abs(x))) * 1e-3, 1e-9)


def _point_metrics(actual: np.ndarray, pred: np.ndarray, scale: float) -> dict[str, float]:
    ok = np.isfinite(actual)
    a, p = actual[ok], pred[ok]
    if len(a) == 0:
        return {}
    err = a - p
    denom = np.abs(a) + np.abs(p)
    smape = float(np.mean(np.where(denom > 0, 2 * np.abs(err) / np.where(denom > 0, denom, 1), 0)))
    nz = np.abs(a) > 1e-12
    mape = float(np.mean(np.abs(err[nz]) / np.abs(a[nz]))) * 100 if nz.any() else float("nan")
    return {
        "mase": float(np.mean(np.abs(err)) / scale),
        "smape": smape * 100,
        "mape": mape,
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
    }


@dataclass
class _Window:
    actual: np.ndarray
    forecast: np.ndarray
    bounds: dict[int, tuple[np.ndarray, np.ndarray]]
    scale: float
    cutoff: int = -1  # training length of the window (its position in the series)


def _interval_ratios(w: _Window, level: int) -> np.ndarray:
    """How far each actual lies from the forecast in units of the model's half-width on its side
    (<= 1 inside the interval; NaN where the actual is missing)."""
    lo, hi = (np.asarray(b, dtype=float) for b in w.bounds[level])
    dev = w.actual - w.forecast
    half = np.where(dev >= 0, hi - w.forecast, w.forecast - lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(half > 1e-12, np.abs(dev) / np.maximum(half, 1e-12), np.inf)
    ratio = np.where(np.abs(dev) <= 1e-12, 0.0, ratio)
    return np.where(np.isfinite(w.actual), ratio, np.nan)


def _widening(ratios: list[np.ndarray], level: int) -> float:
    """Factor (>= 1) the model intervals need to cover `level`% of these backtest actuals."""
    pool = np.concatenate([r.ravel() for r in ratios]) if ratios else np.array([])
    pool = np.where(np.isinf(pool), 1e6, pool)
    q = conformal_quantile(pool, level)
    return float(np.clip(q, 1.0, MAX_WIDENING)) if np.isfinite(q) else 1.0


def _calibration_folds(wins: list[_Window], horizon: int) -> list[list[int]]:
    """For each window, the other windows whose forecast periods do not overlap it."""
    folds = []
    for i, w in enumerate(wins):
        others = [j for j, v in enumerate(wins) if j != i and abs(v.cutoff - w.cutoff) >= horizon]
        folds.append(others or [j for j in range(len(wins)) if j != i])
    return folds


def _choose_method(cov: dict[str, float], level: int) -> str:
    """The interval method for one level from its cross-validated backtest coverage: of the two
    single calibrations (conformal, widened model), the one nearest `level` among those short of
    it by at most `COVERAGE_TOLERANCE`; the outer envelope of both when each falls short."""
    target = level / 100.0
    ok = [
        m
        for m in ("conformal", "model")
        if np.isfinite(cov[m]) and cov[m] >= target - COVERAGE_TOLERANCE
    ]
    if not ok:
        return "envelope"
    return min(ok, key=lambda m: abs(cov[m] - target))


def _fit_intervals(
    per_series: list[list[_Window]],
    levels: tuple[int, ...],
    ranked_on: list[set[int]] | None = None,
) -> dict[str, Any]:
    """Calibrate the intervals on backtest windows, per series, two ways: conformal widths from
    the errors per horizon step, and the model's own intervals widened by a fitted factor. Each
    (and their outer envelope) is scored by cross-validated coverage: every window is calibrated
    on the non-overlapping other windows only. Windows whose cutoffs are in `ranked_on` (per
    series: those the candidate was ranked on, which flatter it) still calibrate but are not
    scored when at least two others are. Per level, `_choose_method` picks the method."""
    errors, factors = [], []
    hits = {m: {lv: [] for lv in levels} for m in ("conformal", "model", "envelope", "raw")}
    for si, wins in enumerate(per_series):
        errs = [w.actual - w.forecast for w in wins]
        ratios = {lv: [_interval_ratios(w, lv) for w in wins] for lv in levels}
        errors.append(np.vstack([e[None, :] for e in errs]))
        factors.append({lv: _widening(ratios[lv], lv) for lv in levels})
        for lv in levels:
            raw = np.concatenate(ratios[lv])
            raw = raw[np.isfinite(raw) | np.isinf(raw)]
            hits["raw"][lv].append(float(np.mean(raw <= 1.0)) if len(raw) else np.nan)
        if len(wins) < 2:
            continue
        folds = _calibration_folds(wins, len(wins[0].actual))
        skip = ranked_on[si] if ranked_on else set()
        scored = [i for i, w in enumerate(wins) if w.cutoff not in skip]
        if len(scored) < 2:
            scored = list(range(len(wins)))
        for lv in levels:
            conf, model, both = [], [], []
            for i in scored:
                others = folds[i]
                ok = np.isfinite(wins[i].actual)
                half = conformal_widths(np.vstack([errs[j] for j in others]), len(errs[i]), lv)
                in_conf = np.abs(errs[i]) <= half
                f = _widening([ratios[lv][j] for j in others], lv)
                in_model = ratios[lv][i] <= f
                conf.append(in_conf[ok])
                model.append(in_model[ok])
                both.append((in_conf | in_model)[ok])
            hits["conformal"][lv].append(float(np.mean(np.concatenate(conf))))
            hits["model"][lv].append(float(np.mean(np.concatenate(model))))
            hits["envelope"][lv].append(float(np.mean(np.concatenate(both))))
    cov = {
        m: {lv: float(np.nanmean(v)) if v else np.nan for lv, v in d.items()}
        for m, d in hits.items()
    }
    if min(len(wins) for wins in per_series) >= 2:
        methods = {lv: _choose_method({m: cov[m][lv] for m in cov}, lv) for lv in levels}
        coverage = {lv: cov[methods[lv]][lv] for lv in levels}
    else:
        methods = dict.fromkeys(levels, "model")
        coverage = cov["raw"]
    distinct = set(methods.values())
    return {
        "method": distinct.pop() if len(distinct) == 1 else "per_level",
        "methods": methods,
        "errors": errors,
        "factors": factors,
        "coverage": coverage,
        "cv_coverage": {m: cov[m] for m in ("conformal", "model", "envelope")},
        "model_coverage": cov["raw"],
        "n_windows": min(len(wins) for wins in per_series),
    }


_METHOD_TEXT = {
    "envelope": "outer envelope of conformal (backtest errors per step) and widened model",
    "conformal": "conformal (backtest errors per horizon step)",
    "model": "model, widened to the backtest coverage",
}


def _interval_card(fit: dict[str, Any], levels: tuple[int, ...]) -> dict[str, Any]:
    """The candidate's `prediction_intervals` description."""
    methods = fit.get("methods") or dict.fromkeys(levels, fit["method"])
    widened = any(f > 1.0 for fs in fit["factors"] for f in fs.values())

    def text(m: str) -> str:
        return "model" if m == "model" and not widened else _METHOD_TEXT[m]

    if len(set(methods.values())) == 1:
        method = text(methods[levels[0]])
    else:
        method = "per level: " + "; ".join(f"{lv}%: {text(methods[lv])}" for lv in levels)
    widen = [max(fs.values()) for fs in fit["factors"]]
    return {
        "method": method,
        "level_methods": {str(lv): methods[lv] for lv in levels},
        "levels": list(levels),
        "calibration_windows": fit["n_windows"],
        "backtest_coverage": {str(lv): fit["coverage"][lv] for lv in levels},
        "model_coverage": {str(lv): fit["model_coverage"][lv] for lv in levels},
        "widening_factor": float(max(widen)) if widen else 1.0,
    }


# --------------------------------------------------------------------------- search


def run_forecast_automl(
    df: pd.DataFrame,
    *,
    time_column: str,
    target: str,
    id_column: str | None = None,
    horizon: int,
    algorithms: str | list[str] = "auto",
    hyperparameters: dict[str, dict[str, Any]] | None = None,
    time_budget_s: float = 60.0,
    levels: tuple[int, ...] = (80, 95),
    n_windows: int = 3,
    preprocessing_config: dict[str, Any] | None = None,
    feature_config: dict[str, Any] | None = None,
    random_state: int = 0,
    on_event: Callable[[str, dict[str, Any]], None] = _noop,
    should_stop: Callable[[], bool] = lambda: False,
) -> list[ForecastCandidate]:
    """Backtest forecasting algorithms by rolling origin and return candidates ranked by MASE.

    Every returned candidate carries a `ForecastModel` refitted on the whole history. Stays
    within `time_budget_s` (skipping the remaining algorithms; seasonal_naive always runs) and
    raises `Cancelled` when `should_stop()` turns true between fits.
    """
    start = time.monotonic()
    ledger = Ledger(float(time_budget_s), on_event, start=start)
    levels = tuple(int(v) for v in levels)

    def log(message: str, level: str = "info") -> None:
        on_event("log", {"message": message, "level": level})

    def check_stop() -> None:
        if should_stop():
            log("Cancelled on request.", "warning")
            raise Cancelled("The forecasting job was cancelled.")

    series, freq, tz, report = _prepare(df, time_column, target, id_column, horizon)
    names = _resolve_algorithms(algorithms)
    params = _resolve_params(names, hyperparameters or {})
    prep = _prep_options(preprocessing_config)
    feat = _feature_params(feature_config)
    shortest = min(len(s.y) for s in series)
    min_train = _min_length(series[0].m, horizon) - horizon
    windows = max(1, min(int(n_windows), (shortest - min_train) // horizon))
    log(
        f"{len(series)} series at frequency {freq}, {report['n_gaps']} missing steps, "
        f"{report['n_duplicates']} duplicate timestamps; seasons "
        f"{sorted({p for s in series for p in s.seasons}) or 'none'}; "
        f"{windows} backtest window(s) of {horizon} steps."
    )
    if windows < n_windows:
        log(f"Only {windows} backtest window(s) fit in the history.", "warning")

    singles = _search_order([n for n in names if n != "ensemble"], series, freq)
    results: dict[str, dict[str, Any]] = {}
    total = len(singles) + (1 if "ensemble" in names else 0)
    ledger.mark("backtest")

    def until(share: float) -> float:
        """Seconds from the start a phase may use: its share, less the reserved refits."""
        reserve = _refit_reserve(results, series, windows, horizon, "ensemble" in names)
        return min(share * time_budget_s, time_budget_s - reserve)

    for done, name in enumerate(singles):
        check_stop()
        elapsed = time.monotonic() - start
        backtest_budget = until(SEARCH_SHARE)
        if name != "seasonal_naive" and elapsed > backtest_budget:
            ledger.decide(
                "backtest", "skipped",
                f"Time budget reached; skipped {name} (the rest is kept for calibrating, "
                "refitting and saving the best models).",
                algorithm=name,
            )  # fmt: skip
            continue
        if name == "mstl" and not any(s.seasons for s in series):
            log("Skipped mstl: no seasonality detected.")
            continue
        t0 = time.monotonic()
        try:
            res = _backtest(
                name,
                params[name],
                series,
                freq,
                horizon,
                windows,
                levels,
                prep,
                feat,
                random_state,
                deadline=None if name == "seasonal_naive" else start + backtest_budget,
                check_stop=check_stop,
            )
        except Cancelled:
            raise
        except _OutOfTime:
            ledger.decide(
                "backtest", "skipped",
                f"Time budget reached during {name}; it was dropped (its backtest was "
                "predicted not to end in time).",
                algorithm=name,
            )  # fmt: skip
            continue
        except Exception as exc:  # one failing algorithm must not sink the search
            log(f"{name} failed during backtesting: {exc}", "warning")
            continue
        res["fit_time_s"] = time.monotonic() - t0
        results[name] = res
        best = min(r["metrics"]["mase"] for r in results.values())
        elapsed = time.monotonic() - start
        log(f"{name}: backtest MASE {res['metrics']['mase']:.4f} ({res['fit_time_s']:.2f}s).")
        on_event(
            "progress",
            {
                "progress": round(0.85 * (done + 1) / total, 4),
                "best_metric": best,
                "estimated_time_remaining": max(
                    0.0, min(time_budget_s, elapsed / (done + 1) * total) - elapsed
                ),
                "algorithm": name,
            },
        )

    ledger.mark("calibration")
    if "ensemble" in names:
        ens = _ensemble_backtest(results, params["ensemble"], levels)
        if ens is not None:
            results["ensemble"] = ens
            log(
                f"ensemble of {', '.join(ens['members'])}: "
                f"backtest MASE {ens['metrics']['mase']:.4f}."
            )

    ranked = sorted(results, key=lambda n: (results[n]["metrics"]["mase"], n != "seasonal_naive"))
    if ranked:
        check_stop()
        try:
            added = _calibrate(
                ranked[0],
                results,
                params,
                series,
                freq,
                horizon,
                levels,
                prep,
                feat,
                random_state,
                min_train,
                start + until(CALIBRATION_SHARE),
                check_stop,
            )
        except Cancelled:
            raise
        except Exception as exc:  # calibration is a refinement; the backtest one stays
            log(f"Calibrating the intervals of {ranked[0]} failed: {exc}", "warning")
            added = 0
        card = results[ranked[0]]["intervals"]
        log(
            f"{ranked[0]}: intervals ({card['method']}) calibrated on "
            f"{card['calibration_windows']} backtest window(s) ({added} added)."
        )
        if results[ranked[0]].get("calibration_cut"):
            ledger.decide(
                "calibration", "shortened",
                f"{ranked[0]}: intervals calibrated on {card['calibration_windows']} backtest "
                f"windows, not {CALIBRATION_WINDOWS}: the time budget allowed no more.",
                algorithm=ranked[0], added=added,
            )  # fmt: skip
    ledger.mark("refit")
    candidates: list[ForecastCandidate] = []
    fitted: dict[str, dict[Any, Forecaster]] = {}
    saves: list[float] = []  # predicted seconds to save each kept model (registration)
    musts = [n for i, n in enumerate(ranked) if i == 0 or n == "seasonal_naive"]
    for name in ranked:
        check_stop()
        res = results[name]
        must = name in musts
        cost = _refit_cost(name, results, series, windows, horizon, set(fitted))
        # The work after this refit: the required refits still to do and all the saving.
        later = sum(
            _refit_cost(m, results, series, windows, horizon, set(fitted))
            for m in musts
            if m not in fitted and m != name
        )
        after = later + max(saves, default=0.1) + sum(saves)
        # Only a refit predicted to end in time for the required ones and the saving.
        if not must and time.monotonic() - start + cost + after > time_budget_s:
            ledger.decide(
                "refit", "dropped",
                f"{name} was not refitted and is left out: its refit on the whole history "
                f"is predicted to take {cost:.1f}s, more than the time budget has left.",
                algorithm=name, predicted_s=round(cost, 2),
            )  # fmt: skip
            continue
        ledger.fit_started("refit", name, cost, time_budget_s - after)
        t0 = time.monotonic()
        try:
            forecasters = _refit(name, res, params, series, freq, prep, feat, random_state, fitted)
        except Cancelled:
            raise
        except Exception as exc:
            log(f"{name} failed when refitting on the whole history: {exc}", "warning")
            continue
        fitted[name] = forecasters
        saves.append(save_seconds(forecasters)[0])
        model = ForecastModel(
            algorithm=name,
            time_column=time_column,
            target=target,
            id_column=id_column,
            freq=freq,
            timezone=tz,
            horizon=horizon,
            levels=levels,
            season_lengths={s.key: s.seasons for s in series},
            forecasters=forecasters,
        )
        candidates.append(
            ForecastCandidate(
                algorithm=name,
                hyperparameters=params.get(name, {}),
                model=model,
                backtest_metrics=res["metrics"],
                primary_value=res["metrics"]["mase"],
                fit_time_s=round(res.get("fit_time_s", 0.0) + time.monotonic() - t0, 4),
                residual_analysis=res["residuals"],
                prediction_intervals=res["intervals"],
            )
        )
    for rank, cand in enumerate(candidates, start=1):
        cand.rank = rank
    ledger.summary(pending_s=sum(saves))
    on_event(
        "progress",
        {
            "progress": 1.0,
            "best_metric": candidates[0].primary_value if candidates else None,
            "estimated_time_remaining": 0.0,
            "algorithm": candidates[0].algorithm if candidates else None,
        },
    )
    if candidates:
        log(f"Best: {candidates[0].algorithm} (MASE {candidates[0].primary_value:.4f}).")
    return candidates


class _OutOfTime(Exception):
    """Internal: the backtest deadline passed."""


def _refit_cost(
    name: str,
    results: dict[str, dict[str, Any]],
    series: list[_Series],
    windows: int,
    horizon: int,
    done: set[str],
) -> float:
    """Predicted seconds to refit `name` on every whole series, from its backtest fits (each on
    at most the history less one horizon), scaled to the full length; an ensemble refits only
    its members not fitted yet."""
    res = results.get(name)
    if res is None:
        return 0.0
    if res.get("members"):
        return sum(
            _refit_cost(m, results, series, windows, horizon, done)
            for m in res["members"]
            if m not in done
        )
    if name in done:
        return 0.0
    n_fits = max(len(series) * windows, 1)
    per_fit = float(res.get("fit_time_s", 0.0)) / n_fits
    longest = max(len(s.y) for s in series)
    return scaled_cost(per_fit, max(longest - horizon, 1), longest) * len(series)


def _refit_reserve(
    results: dict[str, dict[str, Any]],
    series: list[_Series],
    windows: int,
    horizon: int,
    ensemble: bool,
) -> float:
    """Seconds the backtests and the calibration leave for the refits: the current rank-1
    algorithm, seasonal_naive and (with an ensemble) the next two, plus a second to save them."""
    ranked = sorted(
        (n for n in results if n != "ensemble" and not results[n].get("members")),
        key=lambda n: results[n]["metrics"]["mase"],
    )
    keep = set(ranked[: 3 if ensemble else 1]) | ({"seasonal_naive"} & set(ranked))
    return sum(_refit_cost(n, results, series, windows, horizon, set()) for n in keep) + 1.0


def _search_order(names: list[str], series: list[_Series], freq: str) -> list[str]:
    """Algorithms in the order to backtest them: seasonal_naive first (it always finishes), then
    the models most likely to win for this kind of seasonality, so short budgets still reach
    them. Several seasons (hourly: day and week) or a season longer than 24 steps (weekly,
    half-hourly) put MSTL and ARIMA with Fourier terms first; short seasons put ETS first."""
    seasons = [p for s in series for p in s.seasons]
    longest = max(seasons or [default_season_length(freq)])
    if any(len(s.seasons) >= 2 for s in series):
        order = _ORDER_MULTI_SEASONAL
    elif longest > 24:
        order = _ORDER_LONG_SEASON
    else:
        order = _ORDER_SHORT_SEASON
    rank = {n: i for i, n in enumerate(("seasonal_naive", *order))}
    return sorted(names, key=lambda n: rank.get(n, len(rank)))


def _resolve_algorithms(algorithms: str | list[str]) -> list[str]:
    if algorithms == "auto" or algorithms is None:
        return [n for n in AUTO_ALGORITHMS if n in _SPECS and _SPECS[n].in_auto]
    if isinstance(algorithms, str):
        algorithms = [algorithms]
    unknown = [n for n in algorithms if n not in _SPECS]
    if unknown:
        raise ForecastError(f"Unknown forecasting algorithm(s): {', '.join(map(str, unknown))}.")
    if not algorithms:
        raise ForecastError("No forecasting algorithm was chosen.")
    return list(dict.fromkeys(algorithms))


def _resolve_params(
    names: list[str], given: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    out = {}
    for name in set(names) | {"ensemble"}:
        spec = _SPECS[name]
        values = given.get(name) or {}
        errors = spec.validate(values)
        if errors:
            detail = "; ".join(f"{k} {v}" for k, v in errors.items())
            raise ForecastError(f"Invalid hyperparameters for {name}: {detail}.")
        out[name] = spec.resolve(values)
    return out


def _build(
    name: str,
    params: dict[str, Any],
    s: _Series,
    freq: str,
    horizon: int,
    prep: dict[str, Any],
    feat: dict[str, Any],
    random_state: int,
) -> PreparedForecaster:
    """An unfitted forecaster for one series, wrapped in its series preparation."""
    context = {
        "freq": freq,
        "season_lengths": s.seasons,
        "horizon": horizon,
        "random_state": random_state,
    }
    inner = _SPECS[name].factory(params, context)
    for key, value in feat.items():
        if hasattr(inner, key) and (key != "lags" or not params.get("max_lag")):
            setattr(inner, key, value)
    return PreparedForecaster(inner, **prep)


def _window_at(
    name: str,
    params: dict[str, Any],
    s: _Series,
    cutoff: int,
    freq: str,
    horizon: int,
    levels: tuple[int, ...],
    prep: dict[str, Any],
    feat: dict[str, Any],
    random_state: int,
) -> _Window:
    """Fit on the first `cutoff` values of the series and forecast the next `horizon`."""
    train, test = s.y.iloc[:cutoff], s.y.iloc[cutoff : cutoff + horizon]
    fc = _build(name, params, s, freq, horizon, prep, feat, random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc.fit(train, freq=freq)
        out = fc.predict(horizon, levels)
    bounds = {
        lv: (out.intervals[str(lv)]["lower"], out.intervals[str(lv)]["upper"]) for lv in levels
    }
    scale = _mase_scale(fill_gaps(train).to_numpy(), s.m)
    return _Window(test.to_numpy(float), out.forecast, bounds, scale, cutoff)


def _backtest(
    name: str,
    params: dict[str, Any],
    series: list[_Series],
    freq: str,
    horizon: int,
    n_windows: int,
    levels: tuple[int, ...],
    prep: dict[str, Any],
    feat: dict[str, Any],
    random_state: int,
    deadline: float | None,
    check_stop: Callable[[], None],
) -> dict[str, Any]:
    """Rolling-origin backtest of one algorithm over every series.

    Gives up (`_OutOfTime`) as soon as the fits done so far show that the rest would not end
    before `deadline`, so the time is left to the algorithms after it."""
    per_series: list[list[_Window]] = []
    t0, total, done = time.monotonic(), len(series) * n_windows, 0
    for s in series:
        wins = []
        n = len(s.y)
        for w in range(n_windows):
            check_stop()
            now = time.monotonic()
            if deadline is not None and (
                now > deadline or (done and now + (now - t0) / done * (total - done) > deadline)
            ):
                raise _OutOfTime
            cutoff = n - (n_windows - w) * horizon
            wins.append(
                _window_at(name, params, s, cutoff, freq, horizon, levels, prep, feat, random_state)
            )
            done += 1
        per_series.append(wins)
    return _summarise(per_series, levels)


def _calibrate(
    name: str,
    results: dict[str, dict[str, Any]],
    params: dict[str, dict[str, Any]],
    series: list[_Series],
    freq: str,
    horizon: int,
    levels: tuple[int, ...],
    prep: dict[str, Any],
    feat: dict[str, Any],
    random_state: int,
    min_train: int,
    deadline: float,
    check_stop: Callable[[], None],
) -> int:
    """Add backtest windows (origins every half horizon, newest first, all inside the history)
    to one candidate until it has `CALIBRATION_WINDOWS` or time runs out, then recalibrate its
    intervals on all of them. Returns the number of windows added."""
    res = results[name]
    members = res.get("members") or [name]
    step = max(1, horizon // 2)
    plans = []
    for si, s in enumerate(series):
        have = {w.cutoff for w in res["windows"][si]}
        cutoffs = [c for c in range(len(s.y) - horizon, min_train - 1, -step) if c not in have]
        plans.append(cutoffs[: max(0, CALIBRATION_WINDOWS - len(have))])
    extra: list[list[_Window]] = [[] for _ in series]
    # Until one is measured, a calibration window costs what a backtest window did.
    last_cost = float(res.get("fit_time_s", 0.0)) / max(sum(map(len, res["windows"])), 1)
    for j in range(max((len(p) for p in plans), default=0)):
        for si, s in enumerate(series):
            if j >= len(plans[si]):
                continue
            check_stop()
            if time.monotonic() + last_cost > deadline:
                res["calibration_cut"] = True
                break
            t0 = time.monotonic()
            parts = [
                _window_at(
                    m, params[m], s, plans[si][j], freq, horizon, levels, prep, feat, random_state
                )
                for m in members
            ]
            combine = params.get("ensemble", {}).get("combine", "mean")
            extra[si].append(parts[0] if len(parts) == 1 else _combine(parts, combine, levels))
            last_cost = time.monotonic() - t0
        else:
            continue
        break
    added = sum(len(e) for e in extra)
    if added == 0:
        return 0
    windows = [
        sorted(res["windows"][si] + extra[si], key=lambda w: w.cutoff) for si in range(len(series))
    ]
    ranked_on = [{w.cutoff for w in res["windows"][si]} for si in range(len(series))]
    fit = _fit_intervals(windows, levels, ranked_on)
    res["calibration"] = fit
    res["intervals"] = _interval_card(fit, levels)
    for lv in levels:
        res["metrics"][f"coverage_{lv}"] = fit["coverage"][lv]
    return added


def _summarise(per_series: list[list[_Window]], levels: tuple[int, ...]) -> dict[str, Any]:
    """Metrics averaged over windows and series, calibrated intervals and residual analysis."""
    rows = [_point_metrics(w.actual, w.forecast, w.scale) for wins in per_series for w in wins]
    rows = [r for r in rows if r]
    metrics = {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]}
    fit = _fit_intervals(per_series, levels)
    for lv in levels:
        metrics[f"coverage_{lv}"] = fit["coverage"][lv]
    for lv in (80, 95):
        metrics.setdefault(f"coverage_{lv}", float("nan"))
    residuals = np.concatenate([w.actual - w.forecast for w in per_series[0]])
    residuals = residuals[np.isfinite(residuals)]
    return {
        "metrics": metrics,
        "windows": per_series,
        "calibration": fit,
        "intervals": _interval_card(fit, levels),
        "residuals": _residual_analysis(residuals),
    }


def _residual_analysis(residuals: np.ndarray) -> dict[str, Any]:
    """Mean, spread and Ljung-Box autocorrelation test of the backtest errors (first series)."""
    out: dict[str, Any] = {
        "n": int(len(residuals)),
        "mean": float(np.mean(residuals)) if len(residuals) else None,
        "std": float(np.std(residuals, ddof=1)) if len(residuals) > 1 else None,
    }
    if len(residuals) >= 10 and np.std(residuals) > 0:
        from statsmodels.stats.diagnostic import acorr_ljungbox

        lags = max(1, min(10, len(residuals) // 5))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lb = acorr_ljungbox(residuals, lags=[lags])
        out["ljung_box_lags"] = lags
        out["ljung_box_p"] = float(lb["lb_pvalue"].iloc[0])
    return out


def _ensemble_backtest(
    results: dict[str, Any], params: dict[str, Any], levels
) -> dict[str, Any] | None:
    """Combine the best non-baseline candidates' stored backtest forecasts (no refitting)."""
    pool = [
        n
        for n in sorted(results, key=lambda n: results[n]["metrics"]["mase"])
        if n != "seasonal_naive"
    ]
    members = pool[: int(params.get("size", 3))]
    if len(members) < 2:
        return None
    combine = params.get("combine", "mean")
    per_series = []
    for si in range(len(results[members[0]]["windows"])):
        wins = []
        for wi in range(len(results[members[0]]["windows"][si])):
            parts = [results[m]["windows"][si][wi] for m in members]
            wins.append(_combine(parts, combine, levels))
        per_series.append(wins)
    res = _summarise(per_series, levels)
    res["members"] = members
    res["fit_time_s"] = sum(results[m].get("fit_time_s", 0.0) for m in members)
    return res


def _combine(parts: list[_Window], combine: str, levels: tuple[int, ...]) -> _Window:
    """The ensemble's window: members' forecasts and bounds combined by mean or median."""
    agg = np.median if combine == "median" else np.mean
    bounds = {
        lv: (
            agg([p.bounds[lv][0] for p in parts], axis=0),
            agg([p.bounds[lv][1] for p in parts], axis=0),
        )
        for lv in levels
    }
    forecast = agg([p.forecast for p in parts], axis=0)
    return _Window(parts[0].actual, forecast, bounds, parts[0].scale, parts[0].cutoff)


def _refit(
    name, res, params, series, freq, prep, feat, random_state, fitted
) -> dict[Any, Forecaster]:
    """Fit the algorithm on each whole series; conformal intervals use all backtest errors."""
    out: dict[Any, Forecaster] = {}
    for si, s in enumerate(series):
        if name == "ensemble":
            members = []
            for m in res["members"]:
                if m in fitted:
                    members.append(fitted[m][s.key])
                else:
                    members.append(
                        _build(m, params[m], s, freq, 1, prep, feat, random_state).fit(
                            s.y, freq=freq
                        )
                    )
            fc: Forecaster = EnsembleForecaster.from_fitted(
                members, params["ensemble"].get("combine", "mean")
            )
        else:
            fc = _build(name, params[name], s, freq, 1, prep, feat, random_state)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc.fit(s.y, freq=freq)
        fit = res["calibration"]
        methods = fit.get("methods") or dict.fromkeys(fit["factors"][si], fit["method"])
        used = set(methods.values())
        if used & {"conformal", "envelope"}:
            fc.set_conformal_errors(fit["errors"][si])
        if used & {"model", "envelope"}:  # the model's own bounds join even when not widened
            fc.set_interval_scale(fit["factors"][si])
        fc.set_interval_methods(methods)
        out[s.key] = fc
    return out


def forecast_timestamps(last: pd.Timestamp, freq: str, horizon: int) -> list[pd.Timestamp]:
    """The timestamps that follow `last` (re-exported for callers that only have a model card)."""
    return list(future_index(last, freq, horizon))
