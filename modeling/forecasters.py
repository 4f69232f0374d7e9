"""Forecasters behind one interface: `fit(y)` on a regular series, `predict(horizon, levels)` with
timestamps, point forecasts and prediction intervals.

Statistical models come from statsforecast (SeasonalNaive, AutoETS, AutoARIMA, AutoTheta, MSTL,
and for intermittent demand CrostonOptimized, TSB, ADIDA and IMAPA); `LagRegressionForecaster`
is a recursive multi-step regressor (HistGradientBoosting or Ridge) on past-only features.
Intervals are model-based where the model gives them (widened by factors fitted on backtests,
`set_interval_scale`), conformal from backtest errors (`set_conformal_errors`), the outer
envelope of both (per level: `set_interval_methods`), or, standalone, from in-sample one-step
residuals.

Live forecasting: `update(y_new)` returns a copy advanced through new observations with the
fitted parameters unchanged (the model's own state update: the ETS recursion or the ARIMA Kalman
filter from the last state, the smoothed levels of an intermittent-demand method, the new lags
of a lag regressor; decomposition models, whose smoother spans the whole history, re-apply the
fitted model to the extended window as statsforecast's `forward` does). `live_state()` /
`with_live_state(state)` carry that state as JSON.

`fitted_form()` says what the fit chose where the configuration left it open (the ETS
components, the ARIMA orders, the Theta variant, the seasons, the lags, the smoothing constants
of an intermittent-demand method): {} on a forecaster without fitted state.
"""

from __future__ import annotations

import base64
import copy
import warnings
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from datasets.frequency import default_season_length, infer_frequency
from features.series import SeriesFeaturizer, detect_seasonalities
from modeling.metrics import readable
from preprocessing.series import (
    BoxCoxTransform,
    DifferenceTransform,
    LogTransform,
    TransformChain,
    fill_gaps,
    future_index,
    make_transform,
    prepare_series,
)


class SeriesTooShort(ValueError):
    """The history is too short for this forecaster (expected on short series; not a bug)."""


@dataclass
class ForecastOutput:
    """A forecast: future timestamps, point values and {"80": {"lower", "upper"}, ...} intervals."""

    timestamps: list[pd.Timestamp]
    forecast: np.ndarray
    intervals: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    def as_json(self, timestamps: list[str]) -> dict[str, Any]:
        """The forecast as the API answers it, with `timestamps` already written as text."""
        return {
            "timestamps": timestamps,
            "forecast": [float(v) for v in self.forecast],
            "intervals": {
                k: {
                    "lower": [float(v) for v in b["lower"]],
                    "upper": [float(v) for v in b["upper"]],
                }
                for k, b in self.intervals.items()
            },
        }


def conformal_quantile(values: np.ndarray, level: float) -> float:
    """Split-conformal quantile of `values` at `level` percent: the ceil((n + 1) * level)-th
    smallest finite value (the largest when n is too small for the level)."""
    v = np.sort(np.asarray(values, dtype=float).ravel())
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return float("nan")
    k = int(np.ceil((len(v) + 1) * level / 100.0))
    return float(v[min(max(k, 1), len(v)) - 1])


def conformal_widths(errors: np.ndarray, horizon: int, level: float) -> np.ndarray:
    """Half-widths per horizon step from backtest errors (windows x steps).

    The errors are divided by a smooth, non-decreasing profile of the mean absolute error per
    step (nearby steps h/2 .. 2h pooled), so every window and step calibrates one pooled ratio
    with the finite-sample conformal quantile; the width is that ratio times the profile. Few
    windows therefore still give a steady quantile, and the widths grow with h.
    """
    err = np.abs(np.asarray(errors, dtype=float))
    if err.ndim == 1:
        err = err[None, :]
    steps = err.shape[1]
    if steps == 0 or not np.isfinite(err).any():
        return np.zeros(horizon)
    profile = np.empty(steps)
    for h in range(1, steps + 1):
        block = err[:, max(1, h // 2) - 1 : min(steps, 2 * h)]
        block = block[np.isfinite(block)]
        profile[h - 1] = float(np.mean(block)) if len(block) else np.nan
    profile = np.maximum.accumulate(np.nan_to_num(profile, nan=0.0))
    profile = np.maximum(profile, max(float(profile.max()) * 1e-3, 1e-12))
    ratio = conformal_quantile(err / profile, level)
    out = np.empty(horizon)
    known = min(steps, horizon)
    out[:known] = ratio * profile[:known]
    if horizon > steps:
        # Beyond the backtested steps, grow like a random walk from the last known width.
        out[steps:] = ratio * profile[-1] * np.sqrt(np.arange(steps + 1, horizon + 1) / steps)
    return np.maximum.accumulate(np.nan_to_num(out, nan=0.0))


def _level_factor(factors: dict[int, float], level: float) -> float:
    """The widening factor fitted for the nearest calibrated level."""
    nearest = min(factors, key=lambda lv: (abs(lv - level), -lv))
    return float(factors[nearest])


INTERVAL_METHODS = ("conformal", "model", "envelope")


def _level_method(
    methods: dict[int, str] | None, level: float, has_errors: bool, has_scale: bool
) -> str:
    """The calibration used at `level`: the one chosen for the nearest calibrated level, limited
    to what is set (conformal errors, widening factors); without a choice, the outer envelope
    when both are set, else whichever is set ("none" when neither is)."""
    method = None
    if methods:
        method = methods[min(methods, key=lambda lv: (abs(lv - level), -lv))]
    if method is None or method == "envelope":
        method = "envelope" if has_errors and has_scale else None
    if (method == "conformal" and not has_errors) or (method == "model" and not has_scale):
        method = None
    if method is None:
        method = "conformal" if has_errors else "model" if has_scale else "none"
    return method


def encode_state(value: Any) -> Any:
    """A live state (nested dicts/lists of numbers, strings and numpy arrays) as JSON-safe data;
    arrays travel as base64 of their bytes, so floats come back bit for bit."""
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        return {
            "__ndarray__": base64.b64encode(arr.tobytes()).decode("ascii"),
            "dtype": arr.dtype.str,
            "shape": list(arr.shape),
        }
    if isinstance(value, dict):
        return {str(k): encode_state(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_state(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def decode_state(value: Any) -> Any:
    """The inverse of `encode_state`."""
    if isinstance(value, dict):
        if "__ndarray__" in value:
            dtype = np.dtype(value["dtype"])
            if dtype.hasobject:
                raise ValueError("Object arrays are not a live state.")
            raw = base64.b64decode(value["__ndarray__"])
            return np.frombuffer(raw, dtype=dtype).reshape(value["shape"]).copy()
        return {k: decode_state(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_state(v) for v in value]
    return value


def nonnegative_floor(values: np.ndarray) -> float | None:
    """0.0 when every finite value is >= 0 (and there is one): forecasts and interval bounds of
    such a series are floored there; None otherwise."""
    finite = values[np.isfinite(values)]
    return 0.0 if len(finite) and float(finite.min()) >= 0.0 else None


class Forecaster:
    """Common base: subclasses implement `_fit(values)` and `_predict(h, levels)`."""

    native_intervals = True

    def fit(self, y: pd.Series, X: pd.DataFrame | None = None, freq: str | None = None) -> Self:
        """Fit on a series with a regular DatetimeIndex (NaN-free); returns self.

        `freq` overrides the frequency read from the index (needed when the index has gaps)."""
        if not isinstance(y.index, pd.DatetimeIndex):
            raise ValueError("The series needs a DatetimeIndex.")
        found = freq or y.index.freqstr or infer_frequency(y.index)
        if found is None:
            raise ValueError("The series has no regular frequency.")
        self.freq_: str = found
        self.last_timestamp_ = y.index[-1]
        self.n_obs_ = len(y)
        self.floor_ = nonnegative_floor(y.to_numpy(dtype=float))
        self.conformal_errors_: np.ndarray | None = getattr(self, "conformal_errors_", None)
        self._fit(y.astype(float))
        return self

    def set_conformal_errors(self, errors: np.ndarray | None) -> Forecaster:
        """Use conformal intervals from these backtest errors (windows x steps); None to unset."""
        self.conformal_errors_ = None if errors is None else np.asarray(errors, dtype=float)
        return self

    def set_interval_scale(self, factors: dict[int, float] | None) -> Forecaster:
        """Widen the model's own intervals around the forecast by a factor per level (fitted on
        backtests; other levels use the nearest one); None to unset."""
        self.interval_scale_ = {int(k): float(v) for k, v in factors.items()} if factors else None
        return self

    def set_interval_methods(self, methods: dict[int, str] | None) -> Forecaster:
        """Choose the calibration per level: "conformal", "model" (widened) or "envelope" (outer
        envelope of both; other levels use the nearest one); None for the envelope everywhere."""
        if methods and any(m not in INTERVAL_METHODS for m in methods.values()):
            raise ValueError(f"Interval methods must be among {INTERVAL_METHODS}.")
        self.interval_methods_ = {int(k): str(v) for k, v in methods.items()} if methods else None
        return self

    def predict(
        self, horizon: int, levels: tuple[int, ...] = (80, 95), X_future: Any = None
    ) -> ForecastOutput:
        """Forecast `horizon` steps after the history with intervals at `levels` (percent),
        calibrated by the conformal errors or widening factors set on this forecaster."""
        return self._output(horizon, levels, calibrated=True)

    def predict_uncalibrated(
        self, horizon: int, levels: tuple[int, ...] = (80, 95)
    ) -> ForecastOutput:
        """Forecast with the model's own intervals, ignoring any backtest calibration."""
        return self._output(horizon, levels, calibrated=False)

    def _output(self, horizon: int, levels: tuple[int, ...], calibrated: bool) -> ForecastOutput:
        if horizon < 1:
            raise ValueError("The horizon must be at least 1.")
        mean, intervals = self._predict(horizon, tuple(levels))
        mean = np.asarray(mean, dtype=float)
        # Set by calibration (absent on a model that was never calibrated).
        errors: Any = getattr(self, "conformal_errors_", None) if calibrated else None
        scale: Any = getattr(self, "interval_scale_", None) if calibrated else None
        methods = getattr(self, "interval_methods_", None)
        for lv in levels:
            method = _level_method(methods, lv, errors is not None, bool(scale))
            if method in ("model", "envelope"):
                f = _level_factor(scale, lv)
                lo, hi = (np.asarray(b, dtype=float) for b in intervals[lv])
                intervals[lv] = (mean - f * (mean - lo), mean + f * (hi - mean))
            if method in ("conformal", "envelope"):
                w = conformal_widths(errors, horizon, lv)
                lo, hi = mean - w, mean + w
                if method == "envelope":
                    lo, hi = np.minimum(lo, intervals[lv][0]), np.maximum(hi, intervals[lv][1])
                intervals[lv] = (lo, hi)
        # Levels may use different calibrations; a wider level must still contain every
        # narrower one, so walk them in ascending order and widen where needed.
        out = {}
        inner_lo, inner_hi = mean, mean
        for lv in sorted(levels):
            lo, hi = intervals[lv]
            lo = np.minimum(np.asarray(lo, float), inner_lo)
            hi = np.maximum(np.asarray(hi, float), inner_hi)
            out[str(int(lv))] = {"lower": lo, "upper": hi}
            inner_lo, inner_hi = lo, hi
        out = {str(int(lv)): out[str(int(lv))] for lv in levels}
        floor = getattr(self, "floor_", None)  # absent on models saved before it existed
        if floor is not None:
            # Every value this forecaster learned from is >= 0 (counts, amounts): so are its
            # forecasts and bounds. The floor is monotone, so the intervals stay nested.
            mean = np.maximum(mean, floor)
            out = {k: {b: np.maximum(v, floor) for b, v in band.items()} for k, band in out.items()}
        stamps = list(future_index(self.last_timestamp_, self.freq_, horizon))
        return ForecastOutput(timestamps=stamps, forecast=mean, intervals=out)

    # Subclass hooks
    def _fit(self, y: pd.Series) -> None:
        raise NotImplementedError

    def _predict(
        self, horizon: int, levels: tuple[int, ...]
    ) -> tuple[np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]]]:
        raise NotImplementedError

    def fitted_form(self) -> dict[str, Any]:
        """What the fit chose: `name` (short, "ETS(A,Ad,A)"), `text` (the form in words,
        "ETS(A,Ad,A), season 24: additive error, damped additive trend, additive season"),
        `kind` and the parts behind them (orders, seasons, lags...). {} when this forecaster
        holds no fitted state (never fitted, or pickled without what the form reads)."""
        try:
            return self._fitted_form()
        except (AttributeError, KeyError, IndexError, TypeError, ValueError):
            return {}

    def _fitted_form(self) -> dict[str, Any]:
        return {}

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments (as stored)."""
        return {
            k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")
        }

    # Live forecasting
    def update(self, y: pd.Series) -> Forecaster:
        """A copy advanced through new observations `y`, which must continue the history step by
        step (NaN marks a missing step; models that prepare the series fill it), with the fitted
        parameters unchanged. `self` is left as it is, so a cached model stays shared."""
        if len(y) == 0:
            return self
        if not isinstance(y.index, pd.DatetimeIndex):
            raise ValueError("The new observations need a DatetimeIndex.")
        expected = future_index(self.last_timestamp_, self.freq_, len(y))
        if not pd.DatetimeIndex(y.index).equals(expected):
            raise ValueError("The new observations must continue the history step by step.")
        new = copy.copy(self)
        values = np.asarray(y.to_numpy(), dtype=float)
        new._advance(values, pd.DatetimeIndex(y.index))
        new.last_timestamp_ = expected[-1]
        new.n_obs_ = int(self.n_obs_) + len(y)
        if getattr(self, "floor_", None) is not None and nonnegative_floor(values) is None:
            new.floor_ = None  # a negative observation: the series is not non-negative after all
        return new

    def live_state(self) -> dict[str, Any]:
        """What `update` changed, as JSON-safe data (see `with_live_state`)."""
        return {
            "last_timestamp": pd.Timestamp(self.last_timestamp_).isoformat(),
            "n_obs": int(self.n_obs_),
            "model": encode_state(self._live_get()),
            "floor": getattr(self, "floor_", None),
        }

    def with_live_state(self, state: dict[str, Any]) -> Forecaster:
        """A copy of this fitted forecaster carrying a state saved by `live_state`."""
        new = copy.copy(self)
        new._live_set(decode_state(state["model"]))
        new.last_timestamp_ = pd.Timestamp(state["last_timestamp"])
        new.n_obs_ = int(state["n_obs"])
        if "floor" in state:  # states saved before it existed keep the fitted floor
            new.floor_ = state["floor"]
        return new

    def _advance(self, values: np.ndarray, index: pd.DatetimeIndex) -> None:
        """Advance this (already copied) forecaster's state; never mutate shared objects."""
        raise NotImplementedError(f"{type(self).__name__} cannot take new observations.")

    def _live_get(self) -> dict[str, Any]:
        return {}

    def _live_set(self, live: dict[str, Any]) -> None:
        return None


def _residual_intervals(
    mean: np.ndarray, residuals: np.ndarray, levels: tuple[int, ...]
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Fallback intervals: empirical one-step residual quantiles widened by sqrt(h)."""
    res = np.asarray(residuals, dtype=float)
    res = res[np.isfinite(res)]
    grow = np.sqrt(np.arange(1, len(mean) + 1))
    out = {}
    for lv in levels:
        q = float(np.quantile(np.abs(res), lv / 100.0)) if len(res) else 0.0
        out[lv] = (mean - q * grow, mean + q * grow)
    return out


# --------------------------------------------------------------------------- fitted forms

_COMPONENT_WORDS = {"A": "additive", "M": "multiplicative"}
THETA_VARIANTS = {
    "STM": "Standard Theta",
    "OTM": "Optimised Theta",
    "DSTM": "Dynamic standard Theta",
    "DOTM": "Dynamic optimised Theta",
}


def number_spans(values: list[int]) -> str:
    """Whole numbers as runs: [1, 2, 3, 12, 24] -> "1–3, 12, 24"."""
    out: list[str] = []
    ordered = sorted({int(v) for v in values})
    start = prev = None
    for v in [*ordered, None]:
        if v is not None and prev is not None and v == prev + 1:
            prev = v
            continue
        if start is not None:
            out.append(str(start) if start == prev else f"{start}–{prev}")
        start = prev = v
    return ", ".join(out)


def and_list(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def ets_form(fitted: dict[str, Any]) -> dict[str, Any]:
    """The fitted form of a statsforecast AutoETS (`model_`): "ETS(A,Ad,A), season 24: ..."."""
    comp = str(fitted["components"])
    error, trend, season = comp[0], comp[1], comp[2]
    damped = len(comp) > 3 and comp[3] != "N"
    m = int(fitted.get("m") or 1)
    name = f"ETS({error},{trend}{'d' if damped else ''},{season})"
    words = [f"{_COMPONENT_WORDS[error]} error"]
    words.append(
        "no trend"
        if trend == "N"
        else f"{'damped ' if damped else ''}{_COMPONENT_WORDS[trend]} trend"
    )
    words.append("no season" if season == "N" else f"{_COMPONENT_WORDS[season]} season")
    seasonal = season != "N" and m > 1
    head = f"{name}, season {m}" if seasonal else name
    return {
        "kind": "ets",
        "name": name,
        "text": f"{head}: {', '.join(words)}",
        "components": {"error": error, "trend": trend, "damped": damped, "season": season},
        "season_length": m if seasonal else None,
    }


def _transform_step(transform: Any) -> dict[str, Any]:
    """A fitted series transform as {type, words} (and the Box-Cox lambda or the lag)."""
    if isinstance(transform, BoxCoxTransform):
        lam = float(f"{transform.lambda_:.2g}")
        return {"type": "box_cox", "lambda": lam, "words": f"a Box-Cox transform (lambda {lam:g})"}
    if isinstance(transform, DifferenceTransform):
        lag = int(transform.lag)
        return {"type": "difference", "lag": lag, "words": f"lag-{lag} differences"}
    if isinstance(transform, LogTransform):
        return {"type": "log", "words": "a log"}
    return {"type": type(transform).__name__, "words": type(transform).__name__}


def _theta_form(fitted: dict[str, Any]) -> dict[str, Any]:
    """The fitted form of a statsforecast AutoTheta: its variant and deseasonalising."""
    variant = str(fitted["modeltype"])
    m = int(fitted.get("m") or 1)
    decomposed = bool(fitted.get("decompose")) and m > 1
    how = str(fitted.get("decomposition_type") or "multiplicative") if decomposed else None
    name = f"{THETA_VARIANTS.get(variant, 'Theta')} ({variant})"
    season = f"season {m} removed {'additively' if how == 'additive' else 'multiplicatively'}"
    return {
        "kind": "theta",
        "name": name,
        "text": f"{name}, {season if decomposed else 'no season'}",
        "variant": variant,
        "season_length": m if decomposed else None,
        "decomposition": how,
    }


def _mstl_form(model: Any) -> dict[str, Any]:
    """The fitted form of a statsforecast MSTL: its seasons and the trend's ETS form."""
    seasons = sorted(int(p) for p in np.atleast_1d(model.season_length))
    trend = ets_form(model.trend_forecaster.model_)
    name = f"MSTL, season{'s' if len(seasons) > 1 else ''} {and_list([str(p) for p in seasons])}"
    return {
        "kind": "mstl",
        "name": name,
        "text": f"{name}; trend {trend['text']}",
        "seasons": seasons,
        "trend": trend,
    }


# --------------------------------------------------------------------------- statsforecast


class StatsForecaster(Forecaster):
    """A statsforecast model (built by `_build`) on the most recent `max_length` values."""

    max_length = 5000

    def _build(self, y: pd.Series) -> Any:
        raise NotImplementedError

    def _fit(self, y: pd.Series) -> None:
        values = y.to_numpy()[-self.max_length :]
        self.model_ = self._build(pd.Series(values))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model_.fit(values)
        self._tail = values

    def _fitted_form(self) -> dict[str, Any]:
        """The form of the fitted statsforecast model, read from its class and `model_`."""
        model: Any = getattr(self, "model_", None)
        fitted: Any = getattr(model, "model_", None)
        if fitted is None:
            return {}
        kind = type(model).__name__
        if kind == "Naive":
            return {"kind": "naive", "name": "Naive", "text": "Naive: the last value repeated",
                    "season_length": None}  # fmt: skip
        if kind == "SeasonalNaive":
            m = int(model.season_length)
            return {"kind": "naive", "name": f"Seasonal naive, season {m}",
                    "text": f"Seasonal naive, season {m}: the last {m} values repeated",
                    "season_length": m}  # fmt: skip
        if kind == "AutoETS":
            return ets_form(fitted)
        if kind == "AutoTheta":
            return _theta_form(fitted)
        if kind == "MSTL":
            return _mstl_form(model)
        return {}

    def _predict(self, horizon, levels):
        live = getattr(self, "_live", None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if live is not None and self._kind() == "window":
                res = self.model_.forward(y=self._window(live), h=horizon, level=list(levels))
            else:
                model = self._live_model(live) if live is not None else self.model_
                res = model.predict(h=horizon, level=list(levels))
        mean = np.asarray(res["mean"], dtype=float)
        ints = {lv: (np.asarray(res[f"lo-{lv}"]), np.asarray(res[f"hi-{lv}"])) for lv in levels}
        return mean, ints

    # Live state. "naive": the last season and the residual sums behind sigma; "ets": the last
    # state vector and the squared-error sum behind sigma2 (as statsforecast's forward computes
    # it); "window": decomposition models (Theta, MSTL) re-apply the fitted model to the
    # extended history with `forward`, since their smoother spans the whole series.
    def _kind(self) -> str:
        name = type(self.model_).__name__
        if name in ("Naive", "SeasonalNaive"):
            return "naive"
        if name == "AutoETS":
            return "ets"
        return "window"

    def _initial_live(self) -> dict[str, Any]:
        kind = self._kind()
        fitted: Any = getattr(self.model_, "model_", None)  # statsforecast's fitted state
        if kind == "naive":
            m = int(getattr(self.model_, "season_length", 1) or 1)
            res = np.asarray(fitted["residuals"], dtype=float)
            return {
                "last": np.asarray(self._tail[-m:], dtype=float),
                "sse": float(np.nansum(res**2)),
                "dof": float(len(self._tail) - m),
            }
        if kind == "ets":
            sq = np.asarray(fitted["residuals"], dtype=float) ** 2
            return {
                "state": np.asarray(fitted["states"][-1], dtype=float).copy(),
                "sse": float(sq[~np.isinf(sq)].sum()),
                "n": len(self._tail),
            }
        return {"appended": np.empty(0), "base_from": 0}

    def _advance(self, values, index):
        if not np.isfinite(values).all():
            raise ValueError("New observations must be finite numbers.")
        live = dict(getattr(self, "_live", None) or self._initial_live())
        kind = self._kind()
        if kind == "naive":
            m = len(live["last"])
            ext = np.concatenate([live["last"], values])
            live["sse"] += float(np.nansum((ext[m:] - ext[:-m]) ** 2))
            live["dof"] += len(values)
            live["last"] = ext[-m:].copy()
        elif kind == "ets":
            from statsforecast.ets import pegelsresid_C

            fitted = self.model_.model_
            comp = fitted["components"]
            alpha, beta, gamma, phi = (float(v) for v in fitted["par"][:4])
            _, e, states, _ = pegelsresid_C(
                y=values,
                m=fitted["m"],
                init_state=live["state"],
                errortype=comp[0],
                trendtype=comp[1],
                seasontype=comp[2],
                damped=comp[3] != "N",
                alpha=alpha,
                beta=beta,
                gamma=gamma,
                phi=phi,
                nmse=3,
            )
            sq = np.asarray(e, dtype=float) ** 2
            live["state"] = np.asarray(states[-1], dtype=float).copy()
            live["sse"] += float(sq[~np.isinf(sq)].sum())
            live["n"] += len(values)
        else:
            appended = np.concatenate([live["appended"], values])
            base_from = int(live["base_from"])
            # The window holds the fitted history plus the new points, up to twice the longest
            # fit; past that it keeps the most recent `max_length` points (oldest dropped first).
            size = len(self._tail) - base_from + len(appended)
            if size > 2 * self.max_length:
                drop = size - self.max_length
                drop_base = min(drop, len(self._tail) - base_from)
                base_from += drop_base
                appended = appended[drop - drop_base :]
            live = {"appended": appended, "base_from": base_from}
        self._live = live

    def _window(self, live: dict[str, Any]) -> np.ndarray:
        return np.concatenate([self._tail[int(live["base_from"]) :], live["appended"]])

    def _live_model(self, live: dict[str, Any]) -> Any:
        """A statsforecast model object carrying the live state (the shared one stays as is)."""
        model = self.model_.new()
        fitted = dict(self.model_.model_)
        if self._kind() == "naive":
            last = np.asarray(live["last"], dtype=float)
            fitted["mean"] = last
            fitted["sigma"] = float(np.sqrt(live["sse"] / live["dof"])) if live["dof"] > 0 else 0.0
        else:
            fitted["states"] = np.asarray(live["state"], dtype=float)[None, :]
            dof = live["n"] - fitted["n_params"] - 1
            fitted["sigma2"] = live["sse"] / dof if dof > 0 else fitted["sigma2"]
        model.model_ = fitted
        return model

    def _live_get(self):
        return getattr(self, "_live", None) or self._initial_live()

    def _live_set(self, live):
        self._live = dict(live)


def _season(season_length: int | None, n: int, freq: str | None, cap: int | None = None) -> int:
    """Season length to use: the given one, else the frequency's default; 1 when the history has
    fewer than two full seasons or the season exceeds `cap`."""
    m = season_length or default_season_length(freq)
    if m < 2 or n < 2 * m or (cap and m > cap):
        return 1
    return int(m)


class SeasonalNaiveForecaster(StatsForecaster):
    """Repeat the last season (naive when no season): the baseline every leaderboard shows."""

    def __init__(self, season_length: int | None = None):
        self.season_length = season_length

    def _build(self, y):
        from statsforecast.models import Naive, SeasonalNaive

        m = _season(self.season_length, len(y), self.freq_)
        return SeasonalNaive(season_length=m) if m > 1 else Naive()


class ETSForecaster(StatsForecaster):
    """Exponential smoothing (statsforecast AutoETS); seasons above 24 fit non-seasonal."""

    max_length = 3000

    def __init__(self, season_length: int | None = None, model: str = "ZZZ", damped: Any = None):
        self.season_length = season_length
        self.model = model
        self.damped = damped

    def _build(self, y):
        from statsforecast.models import AutoETS

        m = _season(self.season_length, len(y), self.freq_, cap=24)
        model = self.model if m > 1 else self.model[:2] + "N"
        return AutoETS(season_length=m, model=model, damped=self.damped)


class ThetaForecaster(StatsForecaster):
    """Automatic Theta (statsforecast AutoTheta) with multiplicative/additive deseasonalising."""

    max_length = 3000

    def __init__(
        self, season_length: int | None = None, decomposition_type: str = "multiplicative"
    ):
        self.season_length = season_length
        self.decomposition_type = decomposition_type

    def _build(self, y):
        from statsforecast.models import AutoTheta

        m = _season(self.season_length, len(y), self.freq_)
        dec = self.decomposition_type if (y > 0).all() else "additive"
        return AutoTheta(season_length=m, decomposition_type=dec)


# Longest history an ARIMA search fits by exact likelihood (the rule of R's auto.arima, which
# statsforecast follows when left to choose): shorter series are cheap to fit exactly, and the
# approximate (conditional sum of squares) search picked worse orders on them.
ARIMA_EXACT_MAX_LENGTH, ARIMA_EXACT_MAX_SEASON = 150, 12


def needs_approximation(n: int, season: int) -> bool:
    """Whether the ARIMA order search uses the approximate likelihood: long series or seasons."""
    return n > ARIMA_EXACT_MAX_LENGTH or season > ARIMA_EXACT_MAX_SEASON


class ARIMAForecaster(Forecaster):
    """Bounded automatic ARIMA (statsforecast AutoARIMA): stepwise, capped orders, approximated
    on long series or seasons (`needs_approximation`), seasonal only up to `season_cap` (longer
    seasons are handled by Fourier regressors), and fitted on at most `max_length` recent values
    so it never runs for minutes."""

    def __init__(
        self,
        season_length: int | None = None,
        max_p: int = 3,
        max_q: int = 3,
        max_P: int = 1,
        max_Q: int = 1,
        season_cap: int = 24,
        max_length: int = 1000,
        fourier_terms: int = 4,
    ):
        self.season_length = season_length
        self.max_p = max_p
        self.max_q = max_q
        self.max_P = max_P
        self.max_Q = max_Q
        self.season_cap = season_cap
        self.max_length = max_length
        self.fourier_terms = fourier_terms

    def _fit(self, y: pd.Series) -> None:
        from statsforecast.models import AutoARIMA

        m_full = self.season_length or default_season_length(self.freq_)
        # Keep at least a few seasons even when they exceed max_length.
        length = max(self.max_length, 4 * m_full if m_full <= 400 else self.max_length)
        values = y.to_numpy()[-length:]
        m = _season(m_full, len(values), self.freq_, cap=self.season_cap)
        self.fourier_period_ = (
            m_full if (m == 1 and m_full > 1 and len(values) >= 2 * m_full) else 0
        )
        self._offset = len(y) - len(values)
        X = self._fourier(np.arange(len(values))) if self.fourier_period_ else None
        self.model_ = AutoARIMA(
            season_length=m,
            max_p=self.max_p,
            max_q=self.max_q,
            max_P=self.max_P,
            max_Q=self.max_Q,
            approximation=needs_approximation(len(values), m),
            stepwise=True,
            nmodels=30,
            seasonal=m > 1,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model_.fit(values, X=X)
        self._n = len(values)

    def _fitted_form(self) -> dict[str, Any]:
        """The chosen orders (p,d,q)(P,D,Q)[m], and whether a drift, a mean or Fourier terms
        of a season too long for seasonal differencing are in the model."""
        fitted: Any = getattr(getattr(self, "model_", None), "model_", None)
        if fitted is None:
            return {}
        p, q, P, Q, m, d, D = (int(v) for v in fitted["arma"][:7])
        name = f"ARIMA({p},{d},{q})"
        seasonal = m > 1 and P + D + Q > 0
        if seasonal:
            name += f"({P},{D},{Q})[{m}]"
        coefs = list(fitted["coef"])
        drift, mean = "drift" in coefs, "intercept" in coefs
        period = int(getattr(self, "fourier_period_", 0) or 0)
        pairs = min(int(self.fourier_terms), period // 2) if period else 0
        text = name + (" with drift" if drift else " with a non-zero mean" if mean else "")
        if pairs:
            text += (
                f"; season {period} as Fourier terms ({pairs} sine-cosine "
                f"pair{'s' if pairs > 1 else ''}), too long to difference"
            )
        return {
            "kind": "arima",
            "name": name,
            "text": text,
            "order": [p, d, q],
            "seasonal_order": [P, D, Q, m] if seasonal else None,
            "drift": drift,
            "mean": mean,
            "fourier": {"season_length": period, "pairs": pairs} if pairs else None,
        }

    def _fourier(self, t: np.ndarray) -> np.ndarray:
        p, k = self.fourier_period_, min(self.fourier_terms, self.fourier_period_ // 2)
        cols = []
        for j in range(1, k + 1):
            cols += [np.sin(2 * np.pi * j * t / p), np.cos(2 * np.pi * j * t / p)]
        return np.column_stack(cols)

    def _predict(self, horizon, levels):
        live = getattr(self, "_live", None)
        n = int(live["n"]) if live is not None else self._n
        X = self._fourier(np.arange(n, n + horizon)) if self.fourier_period_ else None
        model = self.model_ if live is None else self._live_model(live)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.predict(h=horizon, X=X, level=list(levels))
        mean = np.asarray(res["mean"], dtype=float)
        return mean, {lv: (res[f"lo-{lv}"], res[f"hi-{lv}"]) for lv in levels}

    # Live state: the Kalman filter's state vector and covariance after the last observation,
    # and the number of values seen (the time index of drift and Fourier regressors).
    def _initial_live(self) -> dict[str, Any]:
        ss = self.model_.model_["model"]
        return {"a": np.array(ss["a"], dtype=float), "P": np.array(ss["P"], dtype=float),
                "n": int(self._n)}  # fmt: skip

    def _regression(self, t: np.ndarray) -> np.ndarray:
        """The regression part (intercept, drift, Fourier terms) of the fitted model at 0-based
        times `t`, to subtract before the ARMA filter."""
        fitted = self.model_.model_
        names = list(fitted["coef"])
        coefs = np.asarray(list(fitted["coef"].values()), dtype=float)
        narma = int(sum(fitted["arma"][:4]))
        out = np.zeros(len(t))
        fourier = self._fourier(t) if self.fourier_period_ else None
        k = 0
        for name, coef in zip(names[narma:], coefs[narma:], strict=True):
            if name == "intercept":
                out += coef
            elif name == "drift":
                out += coef * (t + 1.0)
            else:
                if fourier is None:
                    raise ValueError(f"Unknown ARIMA regressor {name!r}.")
                out += coef * fourier[:, k]
                k += 1
        return out

    def _advance(self, values, index):
        from statsforecast.arima import arima_like

        if not np.isfinite(values).all():
            raise ValueError("New observations must be finite numbers.")
        live = getattr(self, "_live", None) or self._initial_live()
        ss = self.model_.model_["model"]
        n = int(live["n"])
        x = values - self._regression(np.arange(n, n + len(values)))
        a = np.array(live["a"], dtype=float, order="C")
        P = np.array(live["P"], dtype=float, order="C")
        # The filter takes the first step's predicted covariance as given (at the start of a
        # series that is the prior); continuing, it is T P T' + V. a and P update in place.
        T, V = np.asarray(ss["T"], dtype=float), np.asarray(ss["V"], dtype=float)
        Pn = np.ascontiguousarray(T @ P @ T.T + V)
        arima_like(x, ss["phi"], ss["theta"], ss["delta"], a, P, Pn, 0, False)
        self._live = {"a": a, "P": P, "n": n + len(values)}

    def _live_model(self, live: dict[str, Any]) -> Any:
        model = self.model_.new()
        fitted = dict(self.model_.model_)
        fitted["model"] = {**fitted["model"], "a": np.asarray(live["a"], dtype=float),
                           "P": np.asarray(live["P"], dtype=float)}  # fmt: skip
        # forecast_arima reads only the length of `x` (the drift's time index) and whether it is
        # constant; stand in for the longer history with the fitted values, cycled.
        fitted["x"] = np.resize(np.asarray(fitted["x"], dtype=float), int(live["n"]))
        model.model_ = fitted
        return model

    def _live_get(self):
        return getattr(self, "_live", None) or self._initial_live()

    def _live_set(self, live):
        self._live = dict(live)


class MSTLForecaster(StatsForecaster):
    """MSTL decomposition with every detected season, trend forecast by non-seasonal AutoETS."""

    max_length = 5000

    def __init__(self, season_lengths: list[int] | None = None):
        self.season_lengths = season_lengths

    def _build(self, y):
        from statsforecast.models import MSTL, AutoETS

        seasons = self.season_lengths
        if seasons is None:
            seasons = detect_seasonalities(y, self.freq_) or [default_season_length(self.freq_)]
        seasons = [int(p) for p in seasons if p > 1 and 2 * p <= len(y)]
        if not seasons:
            return AutoETS(season_length=1, model="ZZN")
        return MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN"))

    def _fitted_form(self) -> dict[str, Any]:
        form = super()._fitted_form()
        if form.get("kind") == "ets":  # no season fitted twice in the history: ETS alone
            form["text"] += " (no season fits twice in the history, so no MSTL decomposition)"
            form["seasons"] = []
        return form


# --------------------------------------------------------------------------- intermittent demand


def _ses_step(level: float | None, value: float, alpha: float) -> float:
    """One step of simple exponential smoothing; the first value starts the level, as in
    statsforecast's SES (so a level run over a series equals its one-step SES forecast)."""
    return value if level is None else alpha * value + (1.0 - alpha) * level


class IntermittentForecaster(StatsForecaster):
    """Base of the intermittent-demand methods (mostly zeros, occasional positive counts): a flat
    forecast of the demand per step from smoothed demand sizes and occurrences (statsforecast's
    CrostonOptimized, TSB, ADIDA, IMAPA, built by `_build`; `_setup` reads the constants they
    fit). statsforecast gives these no intervals of their own: in training they are calibrated
    conformally on backtest errors; standalone they come from in-sample one-step errors.

    The forecast is a recursion over the observations (`_step`, `_forecast`) from an empty
    state, which with the fitted constants ends on statsforecast's forecast. The live state is
    that recursion's state: new observations advance it with the constants unchanged."""

    native_intervals = False

    def _fit(self, y: pd.Series) -> None:
        super()._fit(y)
        values = np.asarray(self._tail, dtype=float)
        self._setup(values)
        state = self._start(len(values))
        fitted = np.full(len(values), np.nan)
        for i, value in enumerate(values):
            fitted[i] = self._forecast(state)
            state = self._step(state, float(value))
        self.residuals_ = values - fitted
        self._state = state

    def _predict(self, horizon, levels):
        mean = np.full(horizon, self._forecast(self._live_get()))
        return mean, _residual_intervals(mean, self.residuals_, levels)

    def _advance(self, values, index):
        if not np.isfinite(values).all():
            raise ValueError("New observations must be finite numbers.")
        state = self._live_get()
        for value in values:
            state = self._step(state, float(value))
        self._live = state

    def _live_get(self):
        return getattr(self, "_live", None) or self._state

    def _live_set(self, live):
        self._live = dict(live)

    def _fitted_form(self) -> dict[str, Any]:
        """The method, the smoothing constants its fit chose and the demand per step it
        forecasts from the end of the history."""
        if getattr(self, "_state", None) is None:
            return {}
        name, constants, parts = self._constants()
        rate = self._forecast(self._state)
        per_step = (
            f"; {readable(rate)} per step from the end of the history" if np.isfinite(rate) else ""
        )
        return {
            "kind": "intermittent",
            "name": name,
            "text": f"{name}: {constants}{per_step}",
            "demand_per_step": float(rate) if np.isfinite(rate) else None,
            **parts,
        }

    # Subclass hooks: the fitted constants, the empty state, one observation, the forecast.
    def _constants(self) -> tuple[str, str, dict[str, Any]]:
        """(name, the fitted constants in words, the same as parts) of the method."""
        raise NotImplementedError

    def _setup(self, values: np.ndarray) -> None:
        raise NotImplementedError

    def _start(self, n: int) -> dict[str, Any]:
        raise NotImplementedError

    def _step(self, state: dict[str, Any], value: float) -> dict[str, Any]:
        """The state after `value`, a new dict (states are shared by copies)."""
        raise NotImplementedError

    def _forecast(self, state: dict[str, Any]) -> float:
        raise NotImplementedError


# Smoothing constant for a history without demand (nothing to fit it on): Croston's own 0.1.
DEFAULT_DEMAND_ALPHA = 0.1


class CrostonForecaster(IntermittentForecaster):
    """Croston's method with optimised smoothing (statsforecast CrostonOptimized): demand sizes
    and the intervals between demands are smoothed apart, the forecast is size / interval."""

    def _build(self, y):
        from statsforecast.models import CrostonOptimized

        return CrostonOptimized()

    def _setup(self, values):
        from statsforecast.models import _demand, _intervals, _optimized_ses_forecast

        sizes, gaps = _demand(values), _intervals(values)
        self.alpha_size_ = DEFAULT_DEMAND_ALPHA
        self.alpha_interval_ = DEFAULT_DEMAND_ALPHA
        if len(sizes):
            self.alpha_size_ = float(_optimized_ses_forecast(sizes)[2])
        if len(gaps):
            self.alpha_interval_ = float(_optimized_ses_forecast(gaps)[2])

    def _constants(self):
        a, b = float(self.alpha_size_), float(self.alpha_interval_)
        words = (
            f"demand sizes smoothed with alpha {readable(a)}, intervals between demands with "
            f"{readable(b)}"
        )
        return "Croston (optimised)", words, {"alpha_size": a, "alpha_interval": b}

    def _start(self, n):
        return {"size": None, "interval": None, "since": 0, "last": None}

    def _step(self, state, value):
        new = dict(state, since=int(state["since"]) + 1, last=value)
        if value != 0:  # statsforecast: intervals between non-zero values, sizes of positive ones
            new["interval"] = _ses_step(
                state["interval"], float(new["since"]), self.alpha_interval_
            )
            new["since"] = 0
        if value > 0:
            new["size"] = _ses_step(state["size"], value, self.alpha_size_)
        return new

    def _forecast(self, state):
        if state["size"] is None:  # no demand yet: statsforecast falls back to naive
            return np.nan if state["last"] is None else float(state["last"])
        interval = state["interval"]
        return float(state["size"]) / interval if interval else float(state["size"])


class TSBForecaster(IntermittentForecaster):
    """Teunter-Syntetos-Babai (statsforecast TSB): the probability of a demand is smoothed every
    step (so the forecast decays while no demand comes), the size at each demand; the forecast
    is their product."""

    def __init__(self, alpha_d: float = 0.1, alpha_p: float = 0.1):
        self.alpha_d = alpha_d
        self.alpha_p = alpha_p

    def _build(self, y):
        from statsforecast.models import TSB

        return TSB(alpha_d=self.alpha_d, alpha_p=self.alpha_p)

    def _setup(self, values):
        return None

    def _constants(self):
        a, b = float(self.alpha_d), float(self.alpha_p)
        words = (
            f"demand sizes smoothed with alpha {readable(a)}, the chance of a demand with "
            f"{readable(b)}"
        )
        return "TSB", words, {"alpha_d": a, "alpha_p": b}

    def _start(self, n):
        return {"size": None, "probability": None}

    def _step(self, state, value):
        new = dict(state)
        occurred = 1.0 if value != 0 else 0.0
        new["probability"] = _ses_step(state["probability"], occurred, float(self.alpha_p))
        if value > 0:
            new["size"] = _ses_step(state["size"], value, float(self.alpha_d))
        return new

    def _forecast(self, state):
        if state["probability"] is None:
            return np.nan
        return float(state["probability"]) * float(state["size"] or 0.0)


class AggregateForecaster(IntermittentForecaster):
    """Temporal aggregation (ADIDA, IMAPA): the series is summed in buckets of k steps (aligned
    on the end of the history, so a bucket fills with each k new observations), the bucket sums
    are smoothed by optimised SES, and the forecast per step is the smoothed sum / k, averaged
    over the aggregation levels k (`_levels`, from the mean interval between demands)."""

    _method_name = "Temporal aggregation"

    def _levels(self, mean_interval: int) -> list[int]:
        raise NotImplementedError

    def _setup(self, values):
        from statsforecast.models import _chunk_sums, _intervals, _optimized_ses_forecast

        if not (values != 0).any():  # no demand: one level of one step, Croston's constant
            self.aggregation_ = [(1, DEFAULT_DEMAND_ALPHA)]
            return
        levels = self._levels(int(round(float(_intervals(values).mean()))))
        self.aggregation_ = []
        for k in levels:
            sums = _chunk_sums(values[len(values) % k :], k)
            self.aggregation_.append((int(k), float(_optimized_ses_forecast(sums)[2])))

    def _constants(self):
        levels = [(int(k), float(a)) for k, a in self.aggregation_]
        if len(levels) == 1:
            ((k, a),) = levels
            words = f"sums over {k}-step buckets smoothed with alpha {readable(a)}"
        else:
            sizes = and_list([f"{k}-" for k, _ in levels[:-1]] + [f"{levels[-1][0]}-step"])
            alphas = ", ".join(readable(a) for _, a in levels)
            words = f"sums over {sizes} buckets smoothed (alpha {alphas}), their rates averaged"
        return self._method_name, words, {"aggregation": [list(v) for v in levels]}

    def _start(self, n):
        # The first n % k values of each level precede its first whole bucket: skipped.
        buckets = [{"level": None, "sum": 0.0, "count": -(n % k)} for k, _ in self.aggregation_]
        return {"buckets": buckets}

    def _step(self, state, value):
        buckets = []
        for (k, alpha), b in zip(self.aggregation_, state["buckets"], strict=True):
            count = int(b["count"]) + 1
            total = float(b["sum"]) + value if count > 0 else 0.0
            level = b["level"]
            if count == k:
                level, total, count = _ses_step(level, total, alpha), 0.0, 0
            buckets.append({"level": level, "sum": total, "count": count})
        return {"buckets": buckets}

    def _forecast(self, state):
        rates = [
            float(b["level"]) / k
            for (k, _), b in zip(self.aggregation_, state["buckets"], strict=True)
            if b["level"] is not None
        ]
        return float(np.mean(rates)) if rates else np.nan  # before the first whole bucket


class ADIDAForecaster(AggregateForecaster):
    """ADIDA (statsforecast ADIDA): one aggregation level, the mean interval between demands."""

    _method_name = "ADIDA"

    def _build(self, y):
        from statsforecast.models import ADIDA

        return ADIDA()

    def _levels(self, mean_interval):
        return [mean_interval]


class IMAPAForecaster(AggregateForecaster):
    """IMAPA (statsforecast IMAPA): every aggregation level from 1 to the mean interval between
    demands, their forecasts averaged."""

    _method_name = "IMAPA"

    def _build(self, y):
        from statsforecast.models import IMAPA

        return IMAPA()

    def _levels(self, mean_interval):
        return list(range(1, mean_interval + 1))


# --------------------------------------------------------------------------- lag regression


class LagRegressionForecaster(Forecaster):
    """Recursive multi-step regression on lag, rolling, calendar and Fourier features.

    `estimator` is "gbm" (HistGradientBoosting) or "ridge". With `differencing="auto"` the model
    learns first differences when a linear trend explains most of the variance (trees cannot
    extrapolate a trend). Intervals: conformal when backtest errors are set, else from in-sample
    one-step residuals.
    """

    native_intervals = False
    min_rows = 10  # models pickled before the parameter existed

    def __init__(
        self,
        estimator: str = "gbm",
        lags: list[int] | None = None,
        windows: list[int] | None = None,
        season_lengths: list[int] | None = None,
        differencing: str = "auto",
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 31,
        alpha: float = 1.0,
        fourier_terms: int = 3,
        max_length: int = 5000,
        random_state: int = 0,
        min_rows: int = 10,
    ):
        self.estimator = estimator
        self.lags = lags
        self.windows = windows
        self.season_lengths = season_lengths
        self.differencing = differencing
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.alpha = alpha
        self.fourier_terms = fourier_terms
        self.max_length = max_length
        self.random_state = random_state
        self.min_rows = min_rows

    def _make_estimator(self) -> Any:
        if self.estimator == "ridge":
            return make_pipeline(StandardScaler(), Ridge(alpha=self.alpha))
        return HistGradientBoostingRegressor(
            max_iter=self.n_estimators,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=10,
            early_stopping=False,
            random_state=self.random_state,
        )

    def _fit(self, y: pd.Series) -> None:
        y = y.iloc[-self.max_length :]
        self.diff_ = self._needs_difference(y.to_numpy())
        z = y.diff() if self.diff_ else y.copy()
        seasons = self.season_lengths
        if seasons is None:
            seasons = detect_seasonalities(y, self.freq_)
        self.featurizer_ = SeriesFeaturizer(
            freq=self.freq_,
            lags=self.lags,
            windows=self.windows,
            seasons=[int(p) for p in seasons],
            fourier_terms=self.fourier_terms,
        ).fit(z)
        feats = self.featurizer_.transform(z)
        ok = feats.notna().all(axis=1) & z.notna()
        if ok.sum() < max(10, self.min_rows):
            raise SeriesTooShort(
                f"The series is too short for a lag model: {int(ok.sum())} rows of complete lag "
                f"features, at least {max(10, self.min_rows)} needed."
            )
        self.model_ = self._make_estimator()
        with threadpool_limits(limits=1):
            self.model_.fit(feats[ok].to_numpy(), z[ok].to_numpy())
            fitted = self.model_.predict(feats[ok].to_numpy())
        self.residuals_ = z[ok].to_numpy() - fitted
        self._history = z.to_numpy()
        self._last_level = float(y.iloc[-1])
        self._index = y.index

    def _fitted_form(self) -> dict[str, Any]:
        """The estimator and the features fixed by the fit: lags, rolling windows, Fourier
        seasons, and whether it learned first differences."""
        feat = getattr(self, "featurizer_", None)
        if feat is None or getattr(self, "model_", None) is None:
            return {}
        lags = [int(v) for v in feat.lags_]
        windows = [int(v) for v in feat.windows_]
        fourier = [int(p) for p in getattr(feat, "fourier_periods_", None) or []]
        calendar = bool(getattr(feat, "calendar", True))
        diff = bool(self.diff_)
        estimator = "Ridge regression" if self.estimator == "ridge" else "Gradient boosting"
        name = f"{estimator} on lag{'s' if len(lags) > 1 else ''} {number_spans(lags)}"
        said = [f"rolling windows {number_spans(windows)}"] if windows else []
        said += ["calendar features"] if calendar else []
        if fourier:
            plural = "s" if len(fourier) > 1 else ""
            said.append(f"Fourier terms of season{plural} {and_list([str(p) for p in fourier])}")
        said.append("learning first differences" if diff else "learning the levels")
        return {
            "kind": "lags",
            "name": name,
            "text": f"{name}; {'; '.join(said)}",
            "estimator": self.estimator,
            "lags": lags,
            "windows": windows,
            "fourier_seasons": fourier,
            "calendar": calendar,
            "differenced": diff,
        }

    def _needs_difference(self, values: np.ndarray) -> bool:
        if self.differencing in ("none", "first"):
            return self.differencing == "first"
        t = np.arange(len(values))
        coef = np.polyfit(t, values, 1)
        resid = values - np.polyval(coef, t)
        total = np.var(values)
        return bool(total > 0 and 1.0 - np.var(resid) / total > 0.5)

    def _predict(self, horizon, levels):
        lookback = self.featurizer_.max_lookback_ + 1
        future = future_index(self.last_timestamp_, self.freq_, horizon)
        hist = list(self._history[-lookback:])
        stamps = list(self._index[-lookback:])
        preds = []
        with threadpool_limits(limits=1):
            for ts in future:
                hist.append(np.nan)
                stamps.append(ts)
                window = pd.Series(
                    hist[-(lookback + 1) :], index=pd.DatetimeIndex(stamps[-(lookback + 1) :])
                )
                row = self.featurizer_.transform(window).iloc[[-1]].to_numpy()
                value = float(self.model_.predict(row)[0])
                hist[-1] = value
                preds.append(value)
        z_pred = np.asarray(preds)
        mean = self._last_level + np.cumsum(z_pred) if self.diff_ else z_pred
        return mean, _residual_intervals(mean, self.residuals_, levels)

    # Live state: the recent (differenced) values and stamps the features read, and the level.
    def _advance(self, values, index):
        if not np.isfinite(values).all():
            raise ValueError("New observations must be finite numbers.")
        keep = self.featurizer_.max_lookback_ + 1
        z = np.diff(np.concatenate([[self._last_level], values])) if self.diff_ else values
        self._history = np.concatenate([np.asarray(self._history, dtype=float)[-keep:], z])
        stamps = pd.DatetimeIndex(self._index[-keep:]).as_unit("ns")
        self._index = stamps.append(pd.DatetimeIndex(index).as_unit("ns"))
        self._last_level = float(values[-1])

    def _live_get(self):
        keep = self.featurizer_.max_lookback_ + 1
        return {
            "history": np.asarray(self._history, dtype=float)[-keep:],
            "stamps": pd.DatetimeIndex(self._index[-keep:]).as_unit("ns").asi8,
            "last_level": float(self._last_level),
        }

    def _live_set(self, live):
        self._history = np.asarray(live["history"], dtype=float)
        self._index = pd.DatetimeIndex(np.asarray(live["stamps"], dtype="datetime64[ns]"))
        self._last_level = float(live["last_level"])


# --------------------------------------------------------------------------- combinations


class EnsembleForecaster(Forecaster):
    """Mean or median of several forecasters' point forecasts; intervals conformal when backtest
    errors are set, else the members' bounds combined the same way."""

    def __init__(self, members: list[Forecaster], combine: str = "mean"):
        self.members = members
        self.combine = combine

    def _fit(self, y: pd.Series) -> None:
        for member in self.members:
            member.fit(y, freq=self.freq_)

    @classmethod
    def from_fitted(cls, members: list[Forecaster], combine: str = "mean") -> EnsembleForecaster:
        """An ensemble of already fitted members (they must share the history's end)."""
        ens = cls(members, combine)
        ens.freq_ = members[0].freq_
        ens.last_timestamp_ = members[0].last_timestamp_
        ens.n_obs_ = members[0].n_obs_
        ens.conformal_errors_ = None
        floors = [getattr(m, "floor_", None) for m in members]
        ens.floor_ = 0.0 if all(f == 0.0 for f in floors) else None
        return ens

    def _fitted_form(self) -> dict[str, Any]:
        """How the members are combined and each member's own fitted form (in member order)."""
        forms = [m.fitted_form() for m in self.members]
        if not forms or not all(forms):
            return {}
        name = f"{'Median' if self.combine == 'median' else 'Mean'} of {len(forms)} models"
        return {
            "kind": "ensemble",
            "name": name,
            "text": f"{name}: "
            + "; ".join(f"({i}) {f['text']}" for i, f in enumerate(forms, start=1)),
            "combine": self.combine,
            "members": forms,
        }

    def _advance(self, values, index):
        self.members = [m.update(pd.Series(values, index=index)) for m in self.members]

    def _live_get(self):
        return {"members": [m.live_state() for m in self.members]}

    def _live_set(self, live):
        self.members = [
            m.with_live_state(st) for m, st in zip(self.members, live["members"], strict=True)
        ]

    def _predict(self, horizon, levels):
        # The members' own intervals: the ensemble is calibrated on its backtests as a whole.
        outs = [m.predict_uncalibrated(horizon, levels) for m in self.members]
        agg = np.median if self.combine == "median" else np.mean
        mean = agg([o.forecast for o in outs], axis=0)
        ints = {}
        for lv in levels:
            key = str(int(lv))
            lo = agg([o.intervals[key]["lower"] for o in outs], axis=0)
            hi = agg([o.intervals[key]["upper"] for o in outs], axis=0)
            ints[lv] = (lo, hi)
        return mean, ints


class PreparedForecaster(Forecaster):
    """Wraps a forecaster with the series preparation fitted on its training part only: gap
    filling, outlier treatment (against trend and season) and invertible transforms, undone on
    forecasts and bounds."""

    def __init__(
        self,
        forecaster: Forecaster,
        fill_method: str = "interpolate",
        outlier_treatment: str | None = None,
        outlier_threshold: float = 4.0,
        transforms: list[dict[str, Any]] | None = None,
    ):
        self.forecaster = forecaster
        self.fill_method = fill_method
        self.outlier_treatment = outlier_treatment
        self.outlier_threshold = outlier_threshold
        self.transforms = transforms

    @property
    def native_intervals(self) -> bool:  # type: ignore[override]
        """Whether the inner model gives its own intervals."""
        return self.forecaster.native_intervals

    def _fit(self, y: pd.Series) -> None:
        y, mask = prepare_series(
            y,
            self.freq_,
            fill_method=self.fill_method,
            outlier_treatment=self.outlier_treatment,
            outlier_threshold=self.outlier_threshold,
        )
        if self.outlier_treatment and self.outlier_treatment != "none":
            self.n_outliers_ = int(mask.sum())
        specs = self.transforms or []
        self.chain_ = TransformChain(
            [make_transform(t["type"], **t.get("params", {})) for t in specs]
        )
        self.last_raw_ = float(y.iloc[-1])
        values = self.chain_.fit_transform(y.to_numpy())
        z = pd.Series(values, index=y.index[len(y) - len(values) :])
        z.index.freq = None
        self.forecaster.fit(z, freq=self.freq_)
        # The inner model forecasts transformed values (a log, a difference): this wrapper
        # floors the forecasts once they are back on the series' own scale.
        self.forecaster.floor_ = None

    def _fitted_form(self) -> dict[str, Any]:
        """The inner model's fitted form, and the transforms it was fitted on (with a fitted
        Box-Cox lambda)."""
        form = self.forecaster.fitted_form()
        chain = getattr(self, "chain_", None)
        if not form or chain is None:
            return form
        steps = [_transform_step(t) for t in chain.transforms]
        if not steps:
            return form
        words = ", then ".join(step["words"] for step in steps)
        return {
            **form,
            "text": f"{form['text']}; fitted on the series after {words}",
            "transforms": [{k: v for k, v in step.items() if k != "words"} for step in steps],
        }

    # Live state: new points are gap-filled like the history (from the last prepared value),
    # pass through the fitted transforms (a difference continues from its last inputs) and
    # advance the inner model. Outlier treatment applies to the training history only: a live
    # observation is an actual, and its centred window would need the future.
    def _advance(self, values, index):
        last = getattr(self, "last_raw_", None)
        if np.isnan(values).any():
            head = [np.nan if last is None else last]
            values = fill_gaps(pd.Series(np.concatenate([head, values])), self.fill_method)
            values = values.to_numpy(dtype=float)[1:]
        chain = TransformChain([copy.copy(t) for t in self.chain_.transforms])
        z = values
        for tr in chain.transforms:
            if isinstance(tr, DifferenceTransform):
                ext = np.concatenate([tr.last_, z])
                z = ext[tr.lag :] - ext[: -tr.lag]
                tr.last_ = ext[-tr.lag :].copy()
            else:
                z = tr.transform(z)
        self.chain_ = chain
        self.forecaster = self.forecaster.update(pd.Series(z, index=index))
        self.last_raw_ = float(values[-1])

    def _live_get(self):
        return {
            "last_raw": getattr(self, "last_raw_", None),
            "differences": [
                t.last_ for t in self.chain_.transforms if isinstance(t, DifferenceTransform)
            ],
            "inner": self.forecaster.live_state(),
        }

    def _live_set(self, live):
        chain = TransformChain([copy.copy(t) for t in self.chain_.transforms])
        diffs = iter(live["differences"])
        for tr in chain.transforms:
            if isinstance(tr, DifferenceTransform):
                tr.last_ = np.asarray(next(diffs), dtype=float)
        self.chain_ = chain
        self.forecaster = self.forecaster.with_live_state(live["inner"])
        if live.get("last_raw") is not None:
            self.last_raw_ = float(live["last_raw"])

    def _predict(self, horizon, levels):
        out = self.forecaster.predict(horizon, levels)
        mean = self.chain_.inverse(out.forecast)
        ints = {}
        for lv in levels:
            key = str(int(lv))
            lo, hi = self.chain_.inverse_interval(
                out.forecast, out.intervals[key]["lower"], out.intervals[key]["upper"]
            )
            ints[lv] = (lo, hi)
        return mean, ints
