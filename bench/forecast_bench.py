"""Forecasting benchmark: VUR's rank-1 model vs seasonal naive, AutoETS and AutoARIMA
(statsforecast) on the real series in bench/data/series, holding out the last `horizon` points
of each series.

Prints a table and writes bench/results/forecast.json. Usage:
    python bench/forecast_bench.py [--budget 60] [--only airpassengers_monthly.csv ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from features.series import default_season_length  # noqa: E402
from preprocessing.series import fill_gaps, regularize  # noqa: E402
from training.forecasting import ForecastSettings, run_forecast_automl  # noqa: E402

DATA = ROOT / "bench" / "data" / "series"
RESULTS = ROOT / "bench" / "results" / "forecast.json"
LEVELS = (80, 95)


def _scale(train: np.ndarray, m: int) -> float:
    """In-sample seasonal naive MAE (the MASE denominator)."""
    lag = m if len(train) > m else 1
    return float(np.mean(np.abs(train[lag:] - train[:-lag]))) or 1e-9


def _score(actual, forecast, bounds, scale) -> dict[str, float]:
    out = {"mase": float(np.mean(np.abs(actual - forecast)) / scale)}
    for lv in LEVELS:
        lo, hi = bounds[lv]
        out[f"coverage_{lv}"] = float(np.mean((actual >= lo) & (actual <= hi)))
    return out


def _statsforecast(name: str, train: np.ndarray, m: int, h: int):
    """Fit a public statsforecast baseline with its defaults; returns (forecast, bounds)."""
    from statsforecast.models import AutoARIMA, AutoETS, SeasonalNaive

    if name == "seasonal_naive":
        model = SeasonalNaive(season_length=m if len(train) > 2 * m else 1)
    elif name == "auto_ets":
        model = AutoETS(season_length=m if m <= 24 and len(train) > 2 * m else 1)
    else:
        # Public defaults; seasons above 24 fall back to non-seasonal, because default seasonal
        # AutoARIMA on weekly (52) or half-hourly (48) data runs for tens of minutes.
        model = AutoARIMA(season_length=m if m <= 24 and len(train) > 2 * m else 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(train).predict(h=h, level=list(LEVELS))
    return np.asarray(res["mean"]), {lv: (res[f"lo-{lv}"], res[f"hi-{lv}"]) for lv in LEVELS}


def run_one(entry: dict, budget: float) -> dict:
    """Benchmark every method on one manifest entry (all its series)."""
    df = pd.read_csv(DATA / entry["file"])
    tcol, target, idc, h = (
        entry["time_column"],
        entry["target"],
        entry.get("id_column"),
        entry["horizon"],
    )
    reg, report = regularize(df, tcol, None, id_column=idc, target=target)
    freq = report["frequency"]
    m = default_season_length(freq)
    groups = list(reg.groupby(idc, sort=False)) if idc else [(None, reg)]
    train_parts, tests = [], {}
    for key, part in groups:
        train_parts.append(part.iloc[:-h])
        tests[key] = part.iloc[-h:][target].to_numpy(float)
    train_df = pd.concat(train_parts)

    scores: dict[str, list[dict]] = {}
    times: dict[str, float] = {}
    t0 = time.monotonic()
    settings = ForecastSettings(
        time_column=tcol, target=target, id_column=idc, horizon=h, time_budget_s=budget
    )
    cands = run_forecast_automl(train_df, settings)
    times["vur"] = time.monotonic() - t0
    best = cands[0]
    pred = best.model.predict(horizon=h, levels=LEVELS)
    per_id = {s["id"]: s for s in pred["series"]} if idc else {None: pred}
    for key, part in zip(tests, train_parts, strict=True):
        y_train = fill_gaps(part[target].reset_index(drop=True)).to_numpy(float)
        scale = _scale(y_train, m)
        p = per_id[key]
        bounds = {
            lv: (
                np.array(p["intervals"][str(lv)]["lower"]),
                np.array(p["intervals"][str(lv)]["upper"]),
            )
            for lv in LEVELS
        }
        scores.setdefault("vur", []).append(
            _score(tests[key], np.array(p["forecast"]), bounds, scale)
        )
        for name in ("seasonal_naive", "auto_ets", "auto_arima"):
            t1 = time.monotonic()
            fc, b = _statsforecast(name, y_train, m, h)
            times[name] = times.get(name, 0.0) + time.monotonic() - t1
            scores.setdefault(name, []).append(_score(tests[key], fc, b, scale))
    out = {"file": entry["file"], "frequency": freq, "horizon": h, "vur_algorithm": best.algorithm}
    for name, rows in scores.items():
        out[name] = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        out[name]["fit_time_s"] = times[name]
    return out


def main() -> None:
    """Run the benchmark over the manifest, print the table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=float, default=60.0, help="VUR time budget per series (s)")
    parser.add_argument("--only", nargs="*", help="manifest files to run (default: all)")
    args = parser.parse_args()
    manifest = json.loads((DATA / "manifest.json").read_text())
    if args.only:
        manifest = [e for e in manifest if e["file"] in args.only]
    methods = ("vur", "seasonal_naive", "auto_ets", "auto_arima")
    rows = []
    header = (
        f"{'series':28s} {'freq':6s} {'h':>3s} | "
        + " | ".join(f"{m:>14s}" for m in methods)
        + " | vur pick"
    )
    print(header)
    for entry in manifest:
        row = run_one(entry, args.budget)
        rows.append(row)
        cells = " | ".join(f"{row[m]['mase']:7.3f} {row[m]['fit_time_s']:5.1f}s" for m in methods)
        print(
            f"{entry['file']:28s} {row['frequency']:6s} {row['horizon']:3d} | {cells} | "
            f"{row['vur_algorithm']}",
            flush=True,
        )
    summary = {}
    for m in methods:
        rel = [r[m]["mase"] / max(r["seasonal_naive"]["mase"], 1e-12) for r in rows]
        summary[m] = {
            "geomean_relative_mase": float(np.exp(np.mean(np.log(np.clip(rel, 1e-12, None))))),
            "mean_mase": float(np.mean([r[m]["mase"] for r in rows])),
            "coverage_80": float(np.mean([r[m]["coverage_80"] for r in rows])),
            "coverage_95": float(np.mean([r[m]["coverage_95"] for r in rows])),
            "total_fit_time_s": float(np.sum([r[m]["fit_time_s"] for r in rows])),
        }
    print("\nmethod          geomean rel MASE  mean MASE  cov80  cov95  total fit s")
    for m, s in summary.items():
        print(
            f"{m:15s} {s['geomean_relative_mase']:16.3f} {s['mean_mase']:10.3f} "
            f"{s['coverage_80']:6.2f} {s['coverage_95']:6.2f} {s['total_fit_time_s']:11.1f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"budget_s": args.budget, "series": rows, "summary": summary}, indent=2) + "\n"
    )
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
