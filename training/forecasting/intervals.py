"""Interval calibration on backtest windows: conformal widths per horizon step, the model's own
intervals rescaled by a fitted factor, or their outer envelope, chosen per level by
cross-validated coverage; and the candidate's interval description card."""

from __future__ import annotations

from typing import Any

import numpy as np

from modeling.forecast_catalog import INTERMITTENT_ALGORITHMS
from modeling.forecasters import Forecaster, conformal_quantile, conformal_widths
from training.forecasting.windows import Window

MAX_WIDENING = 10.0
# The model's own intervals may also be narrowed, to half at most, but only where the backtests
# show enough of the tail: at least `MIN_TAIL` pooled values are expected beyond the level's
# quantile (10 at 80% from 50 values, at 95% from 200). A 95% factor fitted on a handful of
# exceedances generalises badly, so with less evidence the factor only widens. Without the
# narrowing, Gaussian model intervals, too wide at 80% for the heavy-tailed errors of real
# series, covered 84% of held-out points (bench/forecast_bench.py). Both values are round ones
# picked after re-simulating the bench's captured calibrations, where floors from 0 to 0.8 and
# tails from 5 to 20 all put 80% coverage at 80-83% and 95% coverage at 92-94%.
MIN_WIDENING = 0.5
MIN_TAIL = 10
# How far (fraction) a single calibration's cross-validated backtest coverage may fall short of
# the 80% level and still be used alone; fixed a priori (about the sampling error of a coverage
# estimated on ~12 windows), not fitted to any evaluation data. Other levels scale it by the
# binomial standard deviation, sqrt(p (1 - p)), so a 95% interval may fall short by 1.4 points.
COVERAGE_TOLERANCE = 0.025
# Fewest windows outside those the candidate was ranked on that calibrate on their own: the
# ranking windows are where the winner looked best (selection makes their errors small), so they
# calibrate only when too few others exist.
MIN_UNRANKED = 4
METHODS = ("conformal", "model", "envelope")
METHOD_TEXT = {
    "envelope": "outer envelope of conformal (backtest errors per step) and rescaled model",
    "conformal": "conformal (backtest errors per horizon step)",
    "model": "model, rescaled to the backtest coverage",
}


def conformal_only(names: list[str]) -> bool:
    """Whether a candidate (an algorithm, or an ensemble's members) is calibrated by conformal
    intervals alone: the intermittent-demand methods have no intervals of their own in
    statsforecast (their fallback from in-sample errors is not worth rescaling), and an
    ensemble with one of them among its members averages that fallback in."""
    return any(n in INTERMITTENT_ALGORITHMS for n in names)


def interval_ratios(w: Window, level: int) -> np.ndarray:
    """How far each actual lies from the forecast in units of the model's half-width on its side
    (<= 1 inside the interval; NaN where the actual is missing)."""
    lo, hi = (np.asarray(b, dtype=float) for b in w.bounds[level])
    dev = w.actual - w.forecast
    half = np.where(dev >= 0, hi - w.forecast, w.forecast - lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(half > 1e-12, np.abs(dev) / np.maximum(half, 1e-12), np.inf)
    ratio = np.where(np.abs(dev) <= 1e-12, 0.0, ratio)
    return np.where(np.isfinite(w.actual), ratio, np.nan)


def thin_tail(values: int, level: int) -> bool:
    """Whether `values` pooled backtest values are too few to show the tail beyond the
    `level`% quantile: fewer than `MIN_TAIL` of them expected beyond it."""
    return values * (1.0 - level / 100.0) < MIN_TAIL


def widening(ratios: list[np.ndarray], level: int) -> float:
    """Factor the model intervals need to cover `level`% of these backtest actuals: at least 1,
    or at least `MIN_WIDENING` when the values show the tail (`thin_tail`)."""
    pool = np.concatenate([r.ravel() for r in ratios]) if ratios else np.array([])
    pool = np.where(np.isinf(pool), 1e6, pool)
    q = conformal_quantile(pool, level)
    if not np.isfinite(q):
        return 1.0
    floor = 1.0 if thin_tail(int(np.isfinite(pool).sum()), level) else MIN_WIDENING
    return float(np.clip(q, floor, MAX_WIDENING))


def coverage_tolerance(level: int) -> float:
    """How far a calibration's backtest coverage may fall short of `level`% and still be used
    alone: `COVERAGE_TOLERANCE` at 80%, scaled by the binomial standard deviation elsewhere."""
    p = level / 100.0
    return COVERAGE_TOLERANCE * float(np.sqrt(p * (1.0 - p) / (0.8 * 0.2)))


def calibration_folds(wins: list[Window], horizon: int) -> list[list[int]]:
    """For each window, the other windows whose forecast periods do not overlap it."""
    folds = []
    for i, w in enumerate(wins):
        others = [j for j, v in enumerate(wins) if j != i and abs(v.cutoff - w.cutoff) >= horizon]
        folds.append(others or [j for j in range(len(wins)) if j != i])
    return folds


def choose_method(cov: dict[str, float], level: int) -> str:
    """The interval method for one level from its cross-validated backtest coverage: of the two
    single calibrations (conformal, rescaled model), the one nearest `level` among those short of
    it by at most `coverage_tolerance(level)`; the outer envelope of both when each falls short."""
    target = level / 100.0
    ok = [
        m
        for m in ("conformal", "model")
        if np.isfinite(cov[m]) and cov[m] >= target - coverage_tolerance(level)
    ]
    if not ok:
        return "envelope"
    return min(ok, key=lambda m: abs(cov[m] - target))


def _scored_windows(wins: list[Window], ranked_on: set[int]) -> list[int]:
    """Windows scored for coverage: those the candidate was not ranked on, unless fewer than two."""
    scored = [i for i, w in enumerate(wins) if w.cutoff not in ranked_on]
    return scored if len(scored) >= 2 else list(range(len(wins)))


def scaled_errors(wins: list[Window]) -> list[np.ndarray]:
    """Each window's errors in units of the newest window's MASE scale, so that windows from
    older, calmer (or wilder) parts of the series calibrate the spread the series has now."""
    ref = max(wins, key=lambda w: w.cutoff).scale
    return [(w.actual - w.forecast) * (ref / w.scale if w.scale > 0 else 1.0) for w in wins]


def calibrating_windows(wins: list[Window], ranked_on: set[int]) -> list[int]:
    """Windows whose errors calibrate: those the candidate was not ranked on, unless fewer than
    `MIN_UNRANKED` are, then all."""
    free = [i for i, w in enumerate(wins) if w.cutoff not in ranked_on]
    return free if len(free) >= MIN_UNRANKED else list(range(len(wins)))


def _cross_validated_hits(
    wins: list[Window],
    errs: list[np.ndarray],
    ratios: list[np.ndarray],
    level: int,
    scored: list[int],
    calib: list[int],
) -> dict[str, float]:
    """One series' coverage of each method at one level, every scored window calibrated on the
    calibrating windows (`calib`) that do not overlap it."""
    folds = calibration_folds(wins, len(wins[0].actual))
    conf, model, both = [], [], []
    for i in scored:
        others = [j for j in folds[i] if j in calib] or folds[i]
        ok = np.isfinite(wins[i].actual)
        half = conformal_widths(np.vstack([errs[j] for j in others]), len(errs[i]), level)
        in_conf = np.abs(errs[i]) <= half
        in_model = ratios[i] <= widening([ratios[j] for j in others], level)
        conf.append(in_conf[ok])
        model.append(in_model[ok])
        both.append((in_conf | in_model)[ok])
    return {
        "conformal": float(np.mean(np.concatenate(conf))),
        "model": float(np.mean(np.concatenate(model))),
        "envelope": float(np.mean(np.concatenate(both))),
    }


def fit_intervals(
    per_series: list[list[Window]],
    levels: tuple[int, ...],
    ranked_on: list[set[int]] | None = None,
    *,
    conformal: bool = False,
) -> dict[str, Any]:
    """Calibrate the intervals on backtest windows, per series, two ways: conformal widths from
    the errors per horizon step, and the model's own intervals rescaled by a fitted factor. Each
    (and their outer envelope) is scored by cross-validated coverage: every window is calibrated
    on the non-overlapping other windows only. Windows whose cutoffs are in `ranked_on` (per
    series: those the candidate was ranked on, which flatter it) still calibrate but are not
    scored when at least two others are. Per level, `choose_method` picks the method, or, with
    `conformal` (a candidate without intervals of its own: `conformal_only`), it is conformal."""
    errors, factors = [], []
    hits: dict[str, dict[int, list[float]]] = {
        m: {lv: [] for lv in levels} for m in (*METHODS, "raw")
    }
    n_calib = []
    for si, wins in enumerate(per_series):
        ranked = ranked_on[si] if ranked_on else set()
        calib = calibrating_windows(wins, ranked)
        n_calib.append(len(calib))
        errs = scaled_errors(wins)
        ratios = {lv: [interval_ratios(w, lv) for w in wins] for lv in levels}
        errors.append(np.vstack([errs[i][None, :] for i in calib]))
        factors.append({lv: widening([ratios[lv][i] for i in calib], lv) for lv in levels})
        for lv in levels:
            raw = np.concatenate(ratios[lv])
            raw = raw[np.isfinite(raw) | np.isinf(raw)]
            hits["raw"][lv].append(float(np.mean(raw <= 1.0)) if len(raw) else np.nan)
        if len(wins) < 2:
            continue
        scored = _scored_windows(wins, ranked)
        for lv in levels:
            cv = _cross_validated_hits(wins, errs, ratios[lv], lv, scored, calib)
            for method, value in cv.items():
                hits[method][lv].append(value)
    cov = {
        m: {lv: float(np.nanmean(v)) if v else np.nan for lv, v in d.items()}
        for m, d in hits.items()
    }
    return _fit_summary(per_series, levels, cov, errors, factors, min(n_calib), conformal)


def _fit_summary(
    per_series: list[list[Window]],
    levels: tuple[int, ...],
    cov: dict[str, dict[int, float]],
    errors: list[np.ndarray],
    factors: list[dict[int, float]],
    n_calibrating: int,
    conformal: bool = False,
) -> dict[str, Any]:
    """The calibration record: method per level, its coverage, and what the refit needs
    (`n_windows`: the fewest windows whose errors calibrate a series). With `conformal`, the
    method is conformal at every level, its coverage the cross-validated one (NaN with a single
    window, which cannot be checked on another)."""
    if conformal:
        methods = dict.fromkeys(levels, "conformal")
        coverage = cov["conformal"]
        factors = [dict.fromkeys(levels, 1.0) for _ in factors]
    elif min(len(wins) for wins in per_series) >= 2:
        # With too few backtest values to show a level's tail, the cross-validated coverage
        # cannot tell the two calibrations apart there, and the model's own interval is kept as
        # a floor: the outer envelope. Chosen on the captured calibrations of the bench's 213
        # untuned series (bench/interval_replay.py): 95% coverage from 91.5% to 93.5%.
        values = min(sum(int(np.isfinite(w.actual).sum()) for w in wins) for wins in per_series)
        methods = {
            lv: "envelope"
            if thin_tail(values, lv)
            else choose_method({m: cov[m][lv] for m in cov}, lv)
            for lv in levels
        }
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
        "cv_coverage": {m: cov[m] for m in METHODS},
        "model_coverage": cov["raw"],
        "n_windows": n_calibrating,
    }


def interval_card(fit: dict[str, Any], levels: tuple[int, ...]) -> dict[str, Any]:
    """The candidate's `prediction_intervals` description."""
    methods = fit.get("methods") or dict.fromkeys(levels, fit["method"])
    rescaled = any(f != 1.0 for fs in fit["factors"] for f in fs.values())

    def text(m: str) -> str:
        return "model" if m == "model" and not rescaled else METHOD_TEXT[m]

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


def apply_calibration(forecaster: Forecaster, fit: dict[str, Any], series_index: int) -> None:
    """Give a refitted forecaster the calibration of its series: the backtest errors (conformal
    and envelope), the widening factors (model and envelope) and the method per level."""
    methods = fit.get("methods") or dict.fromkeys(fit["factors"][series_index], fit["method"])
    used = set(methods.values())
    if used & {"conformal", "envelope"}:
        forecaster.set_conformal_errors(fit["errors"][series_index])
    if used & {"model", "envelope"}:  # the model's own bounds join even when not rescaled
        forecaster.set_interval_scale(fit["factors"][series_index])
    forecaster.set_interval_methods(methods)
