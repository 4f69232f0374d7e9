"""Time-budget benchmark: does a training job end within 10% of `time_budget_s`?

Generates (seeded) a 54,000-row table of mixed numeric and categorical columns with a binary
class target and a skewed positive regression target, and a long hourly series (two years, daily
and weekly seasons). Runs the tabular engine (classification and regression) and the forecasting
engine in-process on one thread (threadpoolctl) at each budget, then saves every returned model
with joblib and runs the tabular models' serving checks (compiling for ONNX Runtime) within the
job's deadline as registration does, and prints wall time against the budget.

    .venv/bin/python bench/budget_bench.py [--budgets 20 60] [--only classification ...]

"engine" is the engine call, "save" writing the candidates' artifacts (as `_register` does),
"check" the serving checks, "job" all three, "ratio" job / budget (the promise: at most 1.10).
The phases are the engine's own accounting (log events carrying a `budget` field).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from modeling.artifact_format import artifact_bytes  # noqa: E402
from training.automl import AutoMLSettings, run_automl  # noqa: E402
from training.forecasting import ForecastSettings, run_forecast_automl  # noqa: E402

OUT = ROOT / "bench" / "results" / "budget.json"
KINDS = ("classification", "regression", "forecasting")


def make_table(n: int = 54_000, seed: int = 0) -> pd.DataFrame:
    """A seeded table like a product/price data set: numeric, categorical and missing values."""
    rng = np.random.default_rng(seed)
    carat = rng.gamma(2.0, 0.4, n)
    depth = rng.normal(61.7, 1.4, n)
    table = rng.normal(57.5, 2.2, n)
    x = carat ** (1 / 3) * 6.5 + rng.normal(0, 0.05, n)
    age = rng.integers(0, 40, n).astype(float)
    noise = rng.normal(0, 1, n)
    cuts = ["Fair", "Good", "Very Good", "Premium", "Ideal"]
    grades = ["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"]
    cut = rng.choice(cuts, n, p=[0.03, 0.09, 0.22, 0.26, 0.4])
    color = rng.choice(list("DEFGHIJ"), n)
    clarity = rng.choice(grades, n)
    city = rng.choice([f"city_{i:02d}" for i in range(60)], n)
    quality = (
        pd.Series(cut).map({c: i for i, c in enumerate(cuts)}).to_numpy()
        + pd.Series(clarity).map({c: i for i, c in enumerate(grades)}).to_numpy() / 2
        - pd.Series(color).map({c: i for i, c in enumerate("DEFGHIJ")}).to_numpy() / 3
    )
    city_effect = (pd.Series(city).str[-2:].astype(int).to_numpy() % 7 - 3) * 0.04
    log_price = 7.8 + 1.7 * np.log(carat + 0.05) + 0.08 * quality + city_effect
    log_price += 0.02 * np.sin(depth) - 0.004 * age + 0.15 * noise
    price = np.round(np.exp(log_price), 2)
    logit = 1.2 * (carat - 0.8) + 0.35 * quality - 1.0 + 0.03 * (table - 57.5) + noise
    df = pd.DataFrame({
        "carat": carat, "depth": depth, "table": table, "x": x, "age": age,
        "cut": cut, "color": color, "clarity": clarity, "city": city,
        "price": price, "premium": np.where(logit > 0, "yes", "no"),
    })  # fmt: skip
    for col, share in (("depth", 0.03), ("table", 0.02), ("city", 0.05)):
        df.loc[rng.random(n) < share, col] = None
    return df


def make_series(days: int = 730, seed: int = 0) -> pd.DataFrame:
    """A seeded hourly demand series with daily and weekly seasons, trend and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(days * 24)
    daily = 3.0 * np.sin(2 * np.pi * t / 24) + 1.0 * np.cos(4 * np.pi * t / 24)
    weekly = 2.0 * np.sin(2 * np.pi * t / 168)
    level = 50 + 0.002 * t + np.cumsum(rng.normal(0, 0.05, len(t)))
    y = level + daily + weekly + rng.normal(0, 0.8, len(t))
    return pd.DataFrame({"time": pd.date_range("2022-01-01", periods=len(t), freq="h"), "y": y})


def _save_all(results: list[Any], attr: str) -> tuple[float, int]:
    """Serialise and hash every candidate's model as registration does; (seconds, bytes)."""
    t0 = time.monotonic()
    size = 0
    for res in results:
        data = artifact_bytes(getattr(res, attr))
        size += len(data)
        hashlib.sha256(data).hexdigest()
    return time.monotonic() - t0, size


def _check_all(results: list[Any], rows: pd.DataFrame, t0: float, budget: float) -> dict:
    """Serving checks as registration runs them (`training.budget.CheckPlan`: each predicted
    from the model's trees, within the job's deadline, rank 1 within its slack); seconds and
    what was compiled or left to scikit-learn."""
    from modeling import serving
    from training.budget import RANK1_CHECK_SLACK, CheckPlan

    started = time.monotonic()
    plan = CheckPlan(t0 + budget, RANK1_CHECK_SLACK * budget)
    paths = {}
    for res in results:

        def check(affordable: bool, obj: Any = res.pipeline) -> dict[str, Any]:
            if not affordable:
                return {"path": "not compiled"}
            return {"path": serving.compile_for_serving(obj, rows).path}

        predicted = serving.compile_cost_s(res.pipeline)
        paths[res.algorithm] = plan.entry(res.rank, res.algorithm, predicted, check)["path"]
    return {"check_s": time.monotonic() - started, "paths": paths}


def run_one(kind: str, budget: float, table: pd.DataFrame, series: pd.DataFrame) -> dict:
    """One engine run at one budget: wall time of the engine, of saving and of the serving
    checks (tabular), and its plan."""
    events: list[dict] = []

    def on_event(event: str, payload: dict) -> None:
        if event == "log" and "budget" in payload:
            events.append({**payload["budget"], "message": payload["message"]})

    t0 = time.monotonic()
    with threadpool_limits(limits=1):
        if kind == "forecasting":
            settings = ForecastSettings(
                time_column="time", target="y", horizon=48, time_budget_s=budget
            )
            results = run_forecast_automl(series, settings, on_event=on_event)
            attr = "model"
        else:
            target = "premium" if kind == "classification" else "price"
            drop = "price" if kind == "classification" else "premium"
            settings = AutoMLSettings(target=target, problem_type=kind, time_budget_s=budget)
            results = run_automl(table.drop(columns=drop), settings, on_event=on_event)
            attr = "pipeline"
        engine_s = time.monotonic() - t0
        save_s, size = _save_all(results, attr)
        checks = {"check_s": 0.0, "paths": {}}
        if kind != "forecasting":
            rows = table.drop(columns=[target, drop]).head(500)
            checks = _check_all(results, rows, t0, budget)
    job_s = engine_s + save_s + checks["check_s"]
    summary = next((e for e in events if e.get("action") == "summary"), {})
    return {
        "kind": kind,
        "budget_s": budget,
        "engine_s": round(engine_s, 2),
        "save_s": round(save_s, 2),
        "check_s": round(checks["check_s"], 2),
        "serving": checks["paths"],
        "job_s": round(job_s, 2),
        "ratio": round(job_s / budget, 3),
        "models": len(results),
        "artifact_mb": round(size / 1_048_576, 2),
        "best": results[0].algorithm if results else None,
        "budget_events": [e["message"] for e in events if e.get("action") != "summary"],
        "phases": summary.get("phases"),
        "predicted_save_s": summary.get("pending_s"),
    }


def main() -> None:
    """Run every engine at every budget and print the wall-time table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=float, nargs="+", default=[20.0, 60.0])
    parser.add_argument("--only", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--rows", type=int, default=54_000)
    args = parser.parse_args()
    table, series = make_table(args.rows), make_series()
    load_start = os.getloadavg()[0]
    print(f"table {table.shape}, series {len(series)} hourly points; cpus {os.cpu_count()}, "
          f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
    rows = []
    print(f"{'engine':<15}{'budget':>7}{'engine_s':>10}{'save_s':>8}{'check_s':>8}{'job_s':>8}"
          f"{'ratio':>7}{'models':>7}{'MB':>8}  best")  # fmt: skip
    for budget in args.budgets:
        for kind in args.only:
            row = run_one(kind, budget, table, series)
            rows.append(row)
            print(f"{kind:<15}{budget:>7.0f}{row['engine_s']:>10.1f}{row['save_s']:>8.1f}"
                  f"{row['check_s']:>8.1f}{row['job_s']:>8.1f}{row['ratio']:>7.2f}{row['models']:>7}"
                  f"{row['artifact_mb']:>8.1f}  {row['best']}", flush=True)  # fmt: skip
            print(f"    phases {row['phases']}; save predicted {row['predicted_save_s']}s; "
                  f"serving {row['serving']}")  # fmt: skip
            for message in row["budget_events"]:
                print(f"    budget: {message}")
    worst = max(r["ratio"] for r in rows)
    print(f"worst ratio {worst:.3f} (promise: <= 1.10); load now {os.getloadavg()[0]:.2f}")
    machine = {"cpus": os.cpu_count(), "load_start": load_start, "load_end": os.getloadavg()[0]}
    OUT.write_text(
        json.dumps({"rows": rows, "worst_ratio": worst, "machine": machine}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
