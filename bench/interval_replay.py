"""Replay VUR's interval calibration on captured runs: the same backtest windows and refitted
models, calibrated again by the current code (or a variant of it), scored on the held-out points.

`bench/forecast_bench.py --capture DIR` keeps, per file, the rank-1 model and what its intervals
were calibrated on. This script recalibrates each model with `fit_intervals` as the engine calls
it, predicts the held-out horizon and prints 80% / 95% coverage and mean width relative to
seasonal naive's (from the result files of the same runs), overall and per frequency. With the
current code it reproduces the bench's own figures: a check that the capture is complete. It
changes no model or choice of model, only the intervals, so an interval rule can be compared
on hundreds of series in seconds instead of a bench run each.

Usage:
    python bench/interval_replay.py --capture /tmp/cap-fresh ... --results fresh.json ...
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.forecast_bench import LEVELS, score  # noqa: E402

Fit = Callable[..., dict[str, Any]]


def result_rows(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """Bench result rows by series name (held-out actuals, MASE scale, seasonal naive)."""
    rows: dict[str, dict[str, Any]] = {}
    for path in paths:
        for row in json.loads(path.read_text())["series"]:
            rows[row["series"]] = row
    return rows


def replay_file(kept: dict[str, Any], rows: dict[str, dict], fit: Fit) -> list[dict[str, Any]]:
    """Recalibrate one captured file's model with `fit` and score each of its series."""
    from training.forecasting.intervals import apply_calibration

    entry, model = kept["entry"], kept["model"]
    per_series, levels, ranked_on, conformal = kept["calibration"]["inputs"]
    calibrated = fit(per_series, levels, ranked_on, conformal=conformal)
    out = []
    for si, key in enumerate(kept["calibration"]["keys"]):
        name = entry["file"].removesuffix(".csv") + (f"[{key}]" if entry.get("id_column") else "")
        row = rows.get(name)
        if row is None or "actual" not in row:
            continue
        forecaster = copy.deepcopy(model.forecasters[key])
        apply_calibration(forecaster, calibrated, si)
        pred = forecaster.predict(entry["horizon"], LEVELS)
        bounds = {
            lv: (pred.intervals[str(lv)]["lower"], pred.intervals[str(lv)]["upper"])
            for lv in LEVELS
        }
        scored = score(np.asarray(row["actual"], float), pred.forecast, bounds, row["scale"])
        naive = row["seasonal_naive"]
        out.append(
            {
                "series": name,
                "group": row["group"],
                "split": row["split"],
                "n_train": row["n_train"],
                "methods": dict(calibrated.get("methods", {})),
                "bench": {
                    **{f"coverage_{lv}": row["vur"][f"coverage_{lv}"] for lv in LEVELS},
                    **{
                        f"width_{lv}": row["vur"][f"width_{lv}"] / max(naive[f"width_{lv}"], 1e-12)
                        for lv in LEVELS
                    },
                },
                **{f"coverage_{lv}": scored[f"coverage_{lv}"] for lv in LEVELS},
                **{
                    f"width_{lv}": scored[f"width_{lv}"] / max(naive[f"width_{lv}"], 1e-12)
                    for lv in LEVELS
                },
            }
        )
    return out


def summary(scored: list[dict[str, Any]]) -> dict[str, float]:
    """Mean coverage and geometric-mean relative width per level."""
    out: dict[str, float] = {"n": len(scored)}
    for lv in LEVELS:
        out[f"coverage_{lv}"] = float(np.mean([r[f"coverage_{lv}"] for r in scored]))
        widths = np.clip([r[f"width_{lv}"] for r in scored], 1e-12, None)
        out[f"width_{lv}"] = float(np.exp(np.mean(np.log(widths))))
    return out


def replay(captures: list[Path], rows: dict[str, dict], fit: Fit) -> list[dict[str, Any]]:
    """Every captured file of the folders, recalibrated with `fit` and scored."""
    import joblib

    scored = []
    for folder in captures:
        for path in sorted(folder.glob("*.joblib")):
            scored += replay_file(joblib.load(path), rows, fit)
    return scored


def _line(title: str, s: dict[str, float]) -> str:
    return (
        f"{title:12s} {int(s['n']):4d}  coverage {s['coverage_80']:.3f} / {s['coverage_95']:.3f}"
        f"  width {s['width_80']:.2f} / {s['width_95']:.2f}"
        f"  (bench: {s['bench_coverage_80']:.3f} / {s['bench_coverage_95']:.3f}"
        f"  width {s['bench_width_80']:.2f} / {s['bench_width_95']:.2f})"
    )


def report(scored: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary overall, per set (the bench's split) and per frequency, beside the figures
    the bench itself scored on the same series (`bench_...`)."""

    def both(part: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = summary(part)
        bench = summary([r["bench"] for r in part])
        out.update({f"bench_{k}": v for k, v in bench.items() if k != "n"})
        return out

    by: dict[str, dict[str, list[dict]]] = {"split": defaultdict(list), "group": defaultdict(list)}
    for r in scored:
        by["split"][r["split"]].append(r)
        by["group"][r["group"]].append(r)
    return {
        "overall": both(scored),
        "by_split": {k: both(v) for k, v in sorted(by["split"].items())},
        "by_frequency": {k: both(v) for k, v in sorted(by["group"].items())},
    }


def main() -> None:
    """Replay the current calibration over the captured files, print the figures and write
    them (`--out`) with each series' coverage and relative widths."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--capture", type=Path, nargs="+", required=True)
    parser.add_argument("--results", type=Path, nargs="+", required=True)
    parser.add_argument("--out", type=Path, help="JSON file for the per-series figures")
    args = parser.parse_args()
    from training.forecasting.intervals import fit_intervals

    scored = replay(args.capture, result_rows(args.results), fit_intervals)
    same = sum(
        all(abs(r[f"coverage_{lv}"] - r["bench"][f"coverage_{lv}"]) < 1e-9 for lv in LEVELS)
        for r in scored
    )
    print(f"{same} of {len(scored)} series keep the coverage the bench scored")
    figures = report(scored)
    print(_line("all", figures["overall"]))
    for part in ("by_split", "by_frequency"):
        for name, s in figures[part].items():
            print(_line(name, s))
    if args.out:
        args.out.write_text(json.dumps({"summary": figures, "series": scored}, indent=1) + "\n")


if __name__ == "__main__":
    main()
