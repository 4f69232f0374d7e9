"""Benchmark: VUR AutoML vs fixed baselines vs FLAML on the tables in bench/data/tabular/.

Every contender gets the same hold-out split (the one run_automl makes: stratified for
classification, validation_split 0.2, random_state 0), trains on the training rows only and is
scored on the hold-out with the platform's primary metric (AUC, macro one-vs-rest for multiclass;
RMSE for regression). Everything runs on one thread.

    .venv/bin/python bench/automl_bench.py [--budget 60] [--only penguins.csv] [--skip-flaml]

Prints a table and writes bench/results/automl.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.automl import _holdout_split, run_automl  # noqa: E402
from training.metrics import classification_metrics, regression_metrics  # noqa: E402

DATA = ROOT / "bench" / "data" / "tabular"
OUT = ROOT / "bench" / "results" / "automl.json"


def _score(problem: str, y_true: pd.Series, pred: Any, proba: Any, classes: list) -> float | None:
    if problem == "classification":
        return classification_metrics(y_true, pred, proba, classes)["auc"]
    return regression_metrics(y_true, pred)["rmse"]


def _baselines(problem: str, X: pd.DataFrame) -> dict[str, Pipeline]:
    num = X.select_dtypes("number").columns.tolist()
    cat = [c for c in X.columns if c not in num]
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                cat,
            ),
        ]
    )
    if problem == "classification":
        models = {
            "logistic": LogisticRegression(max_iter=1000),
            "random_forest": RandomForestClassifier(n_jobs=1, random_state=0),
            "gradient_boosting": GradientBoostingClassifier(random_state=0),
        }
    else:
        models = {
            "linear": LinearRegression(),
            "random_forest": RandomForestRegressor(n_jobs=1, random_state=0),
            "gradient_boosting": GradientBoostingRegressor(random_state=0),
        }
    return {name: Pipeline([("pre", pre), ("model", m)]) for name, m in models.items()}


def _predict(model: Any, X: pd.DataFrame, classes: list | None) -> tuple[Any, Any]:
    pred = model.predict(X)
    if classes is None:
        return pred, None
    proba = np.asarray(model.predict_proba(X))
    order = [list(model.classes_).index(c) for c in classes]
    return pred, proba[:, order]


def _flaml(problem: str, X_tr, y_tr, X_te, classes, budget: float, seed: int) -> dict[str, Any]:
    from flaml import AutoML

    automl = AutoML()
    if problem == "classification":
        metric = "roc_auc" if len(classes) == 2 else "roc_auc_ovr"
    else:
        metric = "rmse"
    # FLAML needs consistent dtypes: object columns as category.
    X_tr = X_tr.copy()
    X_te = X_te.copy()
    for c in X_tr.columns:
        if X_tr[c].dtype == object:
            cats = pd.CategoricalDtype(sorted(X_tr[c].dropna().astype(str).unique()))
            X_tr[c] = X_tr[c].astype(str).where(X_tr[c].notna()).astype(cats)
            X_te[c] = X_te[c].astype(str).where(X_te[c].notna()).astype(cats)
    start = time.monotonic()
    automl.fit(
        X_tr,
        y_tr,
        task=problem,
        metric=metric,
        time_budget=budget,
        n_jobs=1,
        seed=seed,
        verbose=0,
    )
    elapsed = time.monotonic() - start
    pred, proba = _predict(automl, X_te, classes)
    return {
        "pred": pred,
        "proba": proba,
        "elapsed_s": elapsed,
        "best": automl.best_estimator,
        "estimators": list(automl.estimator_list),
    }


def run_table(entry: dict[str, Any], budget: float, skip_flaml: bool) -> dict[str, Any]:
    """Every contender on one table; returns its row of the results."""
    df = pd.read_csv(DATA / entry["file"])
    df = df.drop(columns=[c for c in entry.get("drop", []) if c in df.columns])
    target, problem = entry["target"], entry["problem_type"]
    df = df[df[target].notna()].reset_index(drop=True)
    X, y = df.drop(columns=target), df[target]
    if problem == "regression":
        y = y.astype(float)
    tr, te = _holdout_split(X, y, problem, 0.2, 0)
    X_tr, X_te, y_tr, y_te = X.iloc[tr], X.iloc[te], y.iloc[tr], y.iloc[te]
    classes = sorted(y.unique().tolist(), key=str) if problem == "classification" else None
    row: dict[str, Any] = {
        "table": entry["file"],
        "problem_type": problem,
        "rows": len(df),
        "columns": X.shape[1],
        "metric": "auc" if problem == "classification" else "rmse",
        "scores": {},
        "times_s": {},
    }
    start = time.monotonic()
    results = run_automl(
        df, target=target, problem_type=problem, time_budget_s=budget, random_state=0
    )
    row["times_s"]["vur"] = round(time.monotonic() - start, 2)
    best = results[0]
    pred, proba = _predict(best.pipeline, X_te, classes)
    row["scores"]["vur"] = _score(problem, y_te, pred, proba, classes)
    row["vur_best"] = best.algorithm
    row["vur_candidates"] = [
        {"algorithm": r.algorithm, "cv": r.cv_score, "test": r.primary_value} for r in results
    ]
    for name, model in _baselines(problem, X).items():
        t0 = time.monotonic()
        model.fit(X_tr, y_tr)
        row["times_s"][name] = round(time.monotonic() - t0, 2)
        pred, proba = _predict(model, X_te, classes)
        row["scores"][name] = _score(problem, y_te, pred, proba, classes)
    if not skip_flaml:
        out = _flaml(problem, X_tr, y_tr, X_te, classes, budget, 0)
        row["scores"]["flaml"] = _score(problem, y_te, out["pred"], out["proba"], classes)
        row["times_s"]["flaml"] = round(out["elapsed_s"], 2)
        row["flaml_best"] = out["best"]
        row["flaml_estimators"] = out["estimators"]
    return row


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Average each contender over the tables: mean AUC on the classification tables and the
    geometric mean of RMSE relative to the linear baseline on the regression tables (RMSEs of
    different tables are on different scales, so they are compared as ratios)."""
    out: dict[str, dict[str, float]] = {}
    names = dict.fromkeys(n for row in rows for n in row["scores"])
    for name in names:
        aucs = [r["scores"][name] for r in rows if r["metric"] == "auc" and r["scores"].get(name)]
        ratios = [
            r["scores"][name] / r["scores"]["linear"]
            for r in rows
            if r["metric"] == "rmse" and r["scores"].get(name) and r["scores"].get("linear")
        ]
        figures: dict[str, float] = {}
        if aucs:
            figures["mean_auc"] = float(np.mean(aucs))
        if ratios:
            figures["geomean_rmse_vs_linear"] = float(np.exp(np.mean(np.log(ratios))))
        out[name] = figures
    return out


def main() -> None:
    """Run the benchmark over the manifest and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--only", action="append", help="table file name (repeatable)")
    parser.add_argument("--skip-flaml", action="store_true")
    args = parser.parse_args()
    manifest = json.loads((DATA / "manifest.json").read_text())
    if args.only:
        manifest = [e for e in manifest if e["file"] in args.only]
    rows = []
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for entry in manifest:
            print(f"== {entry['file']} ({entry['problem_type']}, budget {args.budget:.0f}s)")
            row = run_table(entry, args.budget, args.skip_flaml)
            rows.append(row)
            print("   " + json.dumps({k: row[k] for k in ("scores", "times_s")}, default=str))
    # Baseline names differ between classification and regression: one column per name seen.
    names = list(dict.fromkeys(n for row in rows for n in row["scores"]))
    print(f"\n{'table':<24}{'metric':<7}" + "".join(f"{n:>18}" for n in names))
    wins = 0
    for row in rows:
        cells = "".join(
            f"{row['scores'][n]:>18.5f}" if row["scores"].get(n) is not None else f"{'-':>18}"
            for n in names
        )
        print(f"{row['table']:<24}{row['metric']:<7}{cells}")
        if "flaml" in row["scores"] and row["scores"]["vur"] is not None:
            sign = 1 if row["metric"] == "auc" else -1
            wins += int(sign * (row["scores"]["vur"] - (row["scores"]["flaml"] or 0)) > 0)
    if rows and "flaml" in names:
        print(f"\nVUR beats FLAML on {wins} of {len(rows)} tables.")
    summary = summarise(rows)
    for name, figures in summary.items():
        print(f"{name:<18}" + "  ".join(f"{k} {v:.4f}" for k, v in figures.items()))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "budget_s": args.budget,
                "python": platform.python_version(),
                "tables": rows,
                "summary": summary,
            },
            indent=2,
            default=str,
        )
    )
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
