"""Forecasting benchmark: VUR's rank-1 model vs seasonal naive, AutoETS and AutoARIMA
(statsforecast) on the public series in bench/data/series, holding out the last `horizon` points
of each series.

The manifest marks each file "tune" (the 12 series VUR's defaults were developed on) or "holdout"
(added later, never tuned on); every summary is given per split, per frequency and overall.
AutoARIMA gets the series' true season (M4 convention: quarterly 4, monthly 12, weekly 52, daily 7,
hourly 24, half-hourly 48) in a child process that is stopped after `--cap` seconds (default: the
VUR budget); when it does not finish, the non-seasonal fit stands in and the series is listed.
AutoARIMA is also run non-seasonal on every series (`auto_arima_nonseasonal`), so both ways can be
compared. statsforecast's ETS cannot fit seasons above 24 (its AutoETS silently falls back to a
non-seasonal model), which the results record per series as `season_fitted`.

Every contender runs with one thread. Prints a table and writes bench/results/forecast.json.
`--capture DIR` also keeps each file's rank-1 VUR model and the windows its intervals were
calibrated on, for bench/interval_replay.py.
Usage:
    nice -n 5 python bench/forecast_bench.py --budget 20 [--only nile_yearly.csv ...]
        [--limit N] [--split holdout] [--methods vur ...] [--merge old.json ...] [--jobs 1]
        [--data DIR] [--capture DIR]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per contender, set before numpy loads

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datasets.frequency import default_season_length  # noqa: E402
from modeling.metrics import mase_scale  # noqa: E402
from preprocessing.series import fill_gaps, regularize  # noqa: E402

DATA = ROOT / "bench" / "data" / "series"
RESULTS = ROOT / "bench" / "results" / "forecast.json"
LEVELS = (80, 95)
METHODS = ("vur", "seasonal_naive", "auto_ets", "auto_arima", "auto_arima_nonseasonal")
GROUPS = {
    "YS": "yearly",
    "QS": "quarterly",
    "MS": "monthly",
    "W": "weekly",
    "D": "daily",
    "h": "hourly",
    "30min": "hourly",
}


def frequency_group(freq: str) -> str:
    """The M4-style group of a frequency ('W-SAT' -> 'weekly', '30min' -> 'hourly')."""
    return GROUPS.get(freq, GROUPS.get(freq.split("-")[0], freq))


def score(
    actual: np.ndarray, forecast: np.ndarray, bounds: dict[int, tuple], scale: float
) -> dict[str, float]:
    """MASE, and per level the share of actual values inside the interval and its mean width
    (in MASE units); missing actual values (gaps in the test window) are left out."""
    keep = ~np.isnan(actual)
    actual, forecast = actual[keep], np.asarray(forecast, dtype=float)[keep]
    out = {"mase": float(np.mean(np.abs(actual - forecast)) / scale)}
    for lv in LEVELS:
        lo, hi = (np.asarray(b, dtype=float)[keep] for b in bounds[lv])
        out[f"coverage_{lv}"] = float(np.mean((actual >= lo) & (actual <= hi)))
        out[f"width_{lv}"] = float(np.mean(hi - lo) / scale)
    return out


def _fit_statsforecast(name: str, train: np.ndarray, m: int, h: int) -> dict[str, Any]:
    """Fit one statsforecast contender with its public defaults; forecast, bounds, fitted season."""
    from statsforecast.models import AutoARIMA, AutoETS, SeasonalNaive

    t0 = time.process_time()
    if name == "seasonal_naive":
        model = SeasonalNaive(season_length=m)
    elif name == "auto_ets":
        model = AutoETS(season_length=m)
    else:
        model = AutoARIMA(season_length=m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = model.fit(train)
        res = fitted.predict(h=h, level=list(LEVELS))
    out: dict[str, Any] = {
        "forecast": np.asarray(res["mean"], dtype=float),
        "bounds": {lv: (res[f"lo-{lv}"], res[f"hi-{lv}"]) for lv in LEVELS},
        "cpu_s": time.process_time() - t0,
    }
    if name == "auto_ets":
        out["components"] = str(fitted.model_["components"])
        out["season_fitted"] = out["components"][2] != "N"
    if name == "auto_arima":
        arma = fitted.model_["arma"]  # (p, q, P, Q, m, d, D)
        out["order"] = [int(v) for v in arma]
        out["season_fitted"] = bool(arma[2] or arma[3] or arma[6])
    return out


def _capped_child(conn, name: str, train: np.ndarray, m: int, h: int) -> None:
    try:
        conn.send(_fit_statsforecast(name, train, m, h))
    except Exception as exc:  # the parent records the failure
        conn.send({"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()})
    finally:
        conn.close()


def fit_capped(name: str, train: np.ndarray, m: int, h: int, cap: float) -> dict[str, Any]:
    """Fit in a forked child stopped after `cap` seconds of wall time; {'timed_out': True} then."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_capped_child, args=(child, name, train, m, h))
    t0 = time.monotonic()
    proc.start()
    child.close()
    ready = parent.poll(cap)
    if not ready:
        proc.kill()
        proc.join()
        return {"timed_out": True, "wall_s": time.monotonic() - t0}
    out = parent.recv()
    proc.join()
    out["wall_s"] = time.monotonic() - t0
    return out


def _season_for(n_train: int, m: int) -> int:
    """The true season when the training part holds two full seasons, else 1 (non-seasonal)."""
    return m if m > 1 and n_train > 2 * m else 1


def run_baselines(
    y_train: np.ndarray, actual: np.ndarray, m: int, h: int, scale: float, cap: float
) -> dict[str, dict]:
    """Seasonal naive, AutoETS, AutoARIMA (true season, capped) and non-seasonal AutoARIMA."""
    ms = _season_for(len(y_train), m)
    out: dict[str, dict] = {}
    for name, season in (
        ("seasonal_naive", ms),
        ("auto_ets", ms),
        ("auto_arima_nonseasonal", 1),
    ):
        t0 = time.monotonic()
        fit = _fit_statsforecast(
            "auto_arima" if name == "auto_arima_nonseasonal" else name, y_train, season, h
        )
        row = score(actual, fit["forecast"], fit["bounds"], scale)
        row.update({"fit_time_s": time.monotonic() - t0, "season": season})
        if name == "auto_ets":
            row.update({"components": fit["components"], "season_fitted": fit["season_fitted"]})
        out[name] = row
    if ms == 1:
        out["auto_arima"] = dict(out["auto_arima_nonseasonal"], season_attempted=1)
        return out
    fit = fit_capped("auto_arima", y_train, ms, h, cap)
    if "forecast" in fit:
        row = score(actual, fit["forecast"], fit["bounds"], scale)
        row.update(
            {
                "fit_time_s": fit["wall_s"],
                "season": ms,
                "season_attempted": ms,
                "order": fit["order"],
                "season_fitted": fit["season_fitted"],
            }
        )
    else:
        # Timed out or failed: the non-seasonal fit stands in (the kinder reading for AutoARIMA).
        row = dict(out["auto_arima_nonseasonal"])
        row.update(
            {
                "fit_time_s": fit["wall_s"] + out["auto_arima_nonseasonal"]["fit_time_s"],
                "season_attempted": ms,
                "seasonal_timed_out": bool(fit.get("timed_out")),
                "seasonal_error": fit.get("error"),
            }
        )
    out["auto_arima"] = row
    return out


CAPTURE: Path | None = None  # --capture: where each file's interval calibration is kept


@contextlib.contextmanager
def captured_calibrations() -> Iterator[dict[str, Any]]:
    """While open, keep per refitted candidate what its intervals were calibrated on (the
    windows, the windows it was ranked on, the conformal-only flag, the series' keys), for
    `bench/interval_replay.py`. The engine's calibration functions are wrapped in this process
    until it closes: the calibration they return carries its inputs."""
    from training.forecasting import backtest, calibration, refit

    kept: dict[str, Any] = {}
    originals = (backtest.fit_intervals, calibration.fit_intervals, refit.refit_forecasters)

    def fit_and_keep(per_series, levels, ranked_on=None, *, conformal=False):
        out = originals[0](per_series, levels, ranked_on, conformal=conformal)
        out["captured_inputs"] = (per_series, tuple(levels), ranked_on, conformal)
        return out

    def refit_and_keep(name, res, series, *args, **kwargs):
        keys = [s.key for s in series]
        kept[name] = {"inputs": res["calibration"]["captured_inputs"], "keys": keys}
        return originals[2](name, res, series, *args, **kwargs)

    backtest.fit_intervals = calibration.fit_intervals = fit_and_keep
    refit.refit_forecasters = refit_and_keep
    try:
        yield kept
    finally:
        backtest.fit_intervals, calibration.fit_intervals, refit.refit_forecasters = originals


def run_vur(train_df: pd.DataFrame, entry: dict, budget: float) -> tuple[dict, float, str, dict]:
    """Train VUR on the training part: the rank-1 model's per-series predictions, wall time,
    rank-1 algorithm, and every refitted candidate's backtest MASE (the mean, and each window's
    by series) and per-series predictions (recorded, not used for the headline figures: they
    show what other choices would give)."""
    from training import forecasting as engine

    idc = entry.get("id_column")
    spec = {
        "time_column": entry["time_column"],
        "target": entry["target"],
        "id_column": idc,
        "horizon": entry["horizon"],
        "time_budget_s": budget,
    }
    t0 = time.monotonic()
    with captured_calibrations() if CAPTURE else contextlib.nullcontext({}) as captures:
        if hasattr(engine, "ForecastSettings"):  # the engine takes one settings object
            cands = engine.run_forecast_automl(train_df, engine.ForecastSettings(**spec))
        else:
            cands = engine.run_forecast_automl(train_df, **spec)
    elapsed = time.monotonic() - t0
    others = {}
    for cand in cands:
        if cand.model is None:
            continue
        pred = cand.model.predict(horizon=entry["horizon"], levels=LEVELS)
        per_id = {str(s["id"]): s for s in pred["series"]} if idc else {"": pred}
        windows = {str(k) if idc else "": v for k, v in cand.window_mase.items()}
        others[cand.algorithm] = (cand.primary_value, per_id, windows)
    best = cands[0].algorithm
    if CAPTURE is not None:
        import joblib

        CAPTURE.mkdir(parents=True, exist_ok=True)
        kept = {"entry": entry, "model": cands[0].model, "calibration": captures[best]}
        joblib.dump(kept, CAPTURE / (entry["file"].removesuffix(".csv") + ".joblib"))
    return others[best][1], elapsed, best, others


def run_entry(entry: dict, methods: tuple[str, ...], budget: float, cap: float) -> list[dict]:
    """Benchmark the chosen methods on one manifest entry; one row per series in the file."""
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
    groups = list(reg.groupby(idc, sort=False)) if idc else [("", reg)]
    train_df = pd.concat([part.iloc[:-h] for _, part in groups])

    vur: dict[str, Any] = {}
    if "vur" in methods:
        try:
            vur["pred"], vur["time"], vur["algorithm"], vur["all"] = run_vur(
                train_df, entry, budget
            )
        except Exception as exc:  # counted as seasonal naive, as a failed upload would be
            traceback.print_exc()
            vur["error"] = f"{type(exc).__name__}: {exc}"
    rows = []
    for key, part in groups:
        train = fill_gaps(part.iloc[:-h][target].reset_index(drop=True)).to_numpy(float)
        actual = part.iloc[-h:][target].to_numpy(float)
        scale = mase_scale(train, m)
        row: dict[str, Any] = {
            "series": entry["file"].removesuffix(".csv") + (f"[{key}]" if idc else ""),
            "file": entry["file"],
            "split": entry.get("split", "tune"),
            "frequency": freq,
            "group": frequency_group(freq),
            "season": m,
            "n_train": len(train),
            "horizon": h,
        }
        wanted = [name for name in methods if name != "vur"]
        if wanted:
            base = run_baselines(train, actual, m, h, scale, cap)
            row.update({name: base[name] for name in wanted})
        if "vur" in methods:
            p = vur.get("pred", {}).get(str(key))
            if p is None:
                row["vur"] = {"error": vur.get("error", "no forecast for this series")}
            else:
                row["vur"] = _score_vur(p, actual, scale)
                share = vur["time"] / len(groups)  # one fit serves every series of the file
                row["vur"].update({"fit_time_s": share, "algorithm": vur["algorithm"]})
                row["vur_candidates"] = {
                    alg: dict(
                        _score_vur(preds[str(key)], actual, scale),
                        backtest_mase=bt,
                        backtest_windows=[float(v) for v in windows.get(str(key), [])],
                        forecast=[float(v) for v in preds[str(key)]["forecast"]],
                    )
                    for alg, (bt, preds, windows) in vur["all"].items()
                }
                row["actual"] = [float(v) for v in actual]
                row["scale"] = scale
        rows.append(row)
    return rows


def _score_vur(p: dict, actual: np.ndarray, scale: float) -> dict[str, float]:
    """Score one VUR series prediction (the API's forecast/intervals shape)."""
    bounds = {
        lv: (p["intervals"][str(lv)]["lower"], p["intervals"][str(lv)]["upper"]) for lv in LEVELS
    }
    return score(actual, np.asarray(p["forecast"], dtype=float), bounds, scale)


def _geomean(values: list[float]) -> float:
    return float(np.exp(np.mean(np.log(np.clip(values, 1e-12, None)))))


def summarise(rows: list[dict], methods: tuple[str, ...]) -> dict[str, Any]:
    """Geometric-mean MASE and interval width relative to seasonal naive, mean coverage, time."""
    out: dict[str, Any] = {"n_series": len(rows)}
    for name in methods:
        rel, rel_w, cov, secs, failed = [], {lv: [] for lv in LEVELS}, [], [], []
        for r in rows:
            naive = r["seasonal_naive"]
            res = r.get(name)
            if res is None:
                continue
            if "error" in res:  # a failure counts as seasonal naive
                failed.append(r["series"])
                res = naive
            rel.append(res["mase"] / max(naive["mase"], 1e-12))
            for lv in LEVELS:
                rel_w[lv].append(res[f"width_{lv}"] / max(naive[f"width_{lv}"], 1e-12))
            cov.append([res[f"coverage_{lv}"] for lv in LEVELS])
            secs.append(res.get("fit_time_s", 0.0))
        if not rel:
            continue
        cov_arr = np.array(cov)
        out[name] = {
            "geomean_relative_mase": _geomean(rel),
            "coverage_80": float(cov_arr[:, 0].mean()),
            "coverage_95": float(cov_arr[:, 1].mean()),
            "relative_width_80": _geomean(rel_w[80]),
            "relative_width_95": _geomean(rel_w[95]),
            "total_fit_time_s": float(np.sum(secs)),
            "failed": failed,
        }
    return out


def report(rows: list[dict], methods: tuple[str, ...]) -> dict[str, Any]:
    """Summaries overall, per split and per frequency group (and per split x group)."""
    out: dict[str, Any] = {"overall": summarise(rows, methods)}
    for split in sorted({r["split"] for r in rows}):
        out[split] = summarise([r for r in rows if r["split"] == split], methods)
    groups = sorted({r["group"] for r in rows}, key=list(dict.fromkeys(GROUPS.values())).index)
    out["by_frequency"] = {
        g: summarise([r for r in rows if r["group"] == g], methods) for g in groups
    }
    out["holdout_by_frequency"] = {
        g: summarise([r for r in rows if r["group"] == g and r["split"] == "holdout"], methods)
        for g in groups
        if any(r["group"] == g and r["split"] == "holdout" for r in rows)
    }
    arima = [r for r in rows if r.get("auto_arima", {}).get("season_attempted", 1) > 1]
    out["auto_arima_seasonal_not_fitted"] = [
        {
            "series": r["series"],
            "season": r["auto_arima"]["season_attempted"],
            "why": "timed out"
            if r["auto_arima"].get("seasonal_timed_out")
            else r["auto_arima"].get("seasonal_error") or "fitted",
        }
        for r in arima
        if "order" not in r["auto_arima"]
    ]
    out["auto_ets_season_not_fitted"] = [
        {
            "series": r["series"],
            "season": r["auto_ets"]["season"],
            "why": "statsforecast's ETS fits seasons up to 24 only"
            if r["auto_ets"]["season"] > 24
            else "AutoETS chose (or could only fit) a non-seasonal model",
        }
        for r in rows
        if r.get("auto_ets", {}).get("season", 1) > 1 and not r["auto_ets"].get("season_fitted")
    ]
    return out


def _print_summary(title: str, summary: dict[str, Any], methods: tuple[str, ...]) -> None:
    print(f"\n{title} ({summary['n_series']} series)")
    print("method                  rel MASE  cov80  cov95  width80  width95  fit s   failed")
    for name in methods:
        s = summary.get(name)
        if s:
            print(
                f"{name:23s} {s['geomean_relative_mase']:8.3f} {s['coverage_80']:6.2f} "
                f"{s['coverage_95']:6.2f} {s['relative_width_80']:8.2f} "
                f"{s['relative_width_95']:8.2f} {s['total_fit_time_s']:7.1f} {len(s['failed'])}"
            )


def _work(args: tuple[dict, tuple[str, ...], float, float]) -> list[dict]:
    entry, methods, budget, cap = args
    return run_entry(entry, methods, budget, cap)


def _use_data(folder: Path) -> None:
    """Read the manifest and series from `folder` (a set of series outside the repository, for a
    held-out check, in the same format as bench/data/series)."""
    global DATA
    DATA = folder.resolve()


def main() -> None:
    """Run the benchmark over the manifest, print the tables and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=float, default=20.0, help="VUR time budget per file (s)")
    parser.add_argument("--cap", type=float, help="seasonal AutoARIMA cap (s); default: budget")
    parser.add_argument("--only", nargs="*", help="manifest files to run (default: all)")
    parser.add_argument("--limit", type=int, help="run only the first N selected files")
    parser.add_argument("--split", help="run one split only (the manifest's: tune, holdout)")
    parser.add_argument("--methods", nargs="*", default=list(METHODS), choices=METHODS)
    parser.add_argument("--merge", nargs="*", default=[], help="result files whose rows to keep")
    parser.add_argument("--jobs", type=int, default=1, help="files benchmarked at once")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--data", type=Path, default=DATA, help="folder of series with a manifest.json like ours"
    )
    parser.add_argument(
        "--capture", type=Path, help="folder to keep VUR's interval calibrations in, per file"
    )
    args = parser.parse_args()
    _use_data(args.data)
    global CAPTURE
    CAPTURE = args.capture
    cap = args.cap or args.budget
    methods = tuple(args.methods)
    manifest = json.loads((DATA / "manifest.json").read_text())
    if args.only:
        manifest = [e for e in manifest if e["file"] in args.only]
    if args.split:
        manifest = [e for e in manifest if e.get("split", "tune") == args.split]
    if args.limit:
        manifest = manifest[: args.limit]

    merged: dict[str, dict] = {}
    for path in args.merge:
        for row in json.loads(Path(path).read_text())["series"]:
            merged.setdefault(row["series"], {}).update(row)
    work = [(e, methods, args.budget, cap) for e in manifest] if methods else []
    print(
        f"{'series':34s} {'freq':6s} {'h':>3s} | " + " | ".join(f"{m[:14]:>14s}" for m in METHODS)
    )
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("fork")) as pool:
            batches = list(pool.map(_work, work))
    else:
        batches = map(_work, work)
    for batch in batches:
        for row in batch:
            merged.setdefault(row["series"], {}).update(row)
            cells = " | ".join(
                f"{row[m]['mase']:7.3f} {row[m]['fit_time_s']:5.1f}s"
                if m in row and "mase" in row[m]
                else f"{'-':>14s}"
                for m in METHODS
            )
            print(f"{row['series']:34s} {row['frequency']:6s} {row['horizon']:3d} | {cells}")
            sys.stdout.flush()
    rows = list(merged.values())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"budget_s": args.budget, "cap_s": cap, "series": rows}
    args.out.write_text(json.dumps(result, indent=2) + "\n")  # rows first: merge them later
    if not all("seasonal_naive" in r for r in rows):
        print(f"\nwrote {args.out} (no summary: merge with a seasonal_naive run for one)")
        return
    present = tuple(m for m in METHODS if any(m in r for r in rows))
    summary = report(rows, present)
    _print_summary("all series", summary["overall"], present)
    for split in sorted({r["split"] for r in rows}):
        if split in summary:
            _print_summary(f"{split} split", summary[split], present)
    for group, s in summary["by_frequency"].items():
        _print_summary(group, s, present)
    result["summary"] = summary
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
