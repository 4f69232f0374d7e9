"""Benchmark: VUR AutoML vs FLAML vs AutoGluon on the tables in bench/data/tabular/.

Every contender gets the same hold-out split (VUR's own helper: stratified for classification,
20% hold-out, random_state 0), the same time budget and one thread, trains on the training rows
only and is scored on the hold-out rows. They run one after the other on each table, in one run.

Metrics (each contender is told to optimise the same one):
  binary      AUC (greater is better)
  multiclass  accuracy (greater is better); the contenders optimise log loss, which is
              recorded beside it (with macro-F1 and macro one-vs-rest AUC). Log-loss ratios
              are not the headline: near zero they swing by tens of percent on a few rows.
  regression  RMSE (smaller is better)
The ratio to FLAML is oriented so that above 1 means better than FLAML: AUC / AUC_flaml,
accuracy / accuracy_flaml, RMSE_flaml / RMSE.

    .venv/bin/python bench/automl_bench.py [--budget 60] [--only penguins.csv]...
        [--autogluon-python /tmp/ag-venv/bin/python | --skip-autogluon] [--skip-flaml]
        [--baselines] [--out bench/results/automl.json]
    .venv/bin/python bench/automl_bench.py --merge a.json b.json --out bench/results/automl.json

AutoGluon lives in its own venv (its pins differ from VUR's) and runs in a subprocess
(`bench/autogluon_runner.py`); see the README for creating that venv. Results are written after
every table, so an interrupted run keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from modeling.metrics import error_metrics, ovr_auc, probability_log_loss  # noqa: E402
from training.automl import AutoMLSettings, holdout_split, run_automl  # noqa: E402
from training.labels import normalize_labels  # noqa: E402

DATA = ROOT / "bench" / "data" / "tabular"
OUT = ROOT / "bench" / "results" / "automl.json"
RUNNER = ROOT / "bench" / "autogluon_runner.py"
HEADLINE = {"binary": "auc", "multiclass": "accuracy", "regression": "rmse"}
GREATER = {"auc": True, "accuracy": True, "log_loss": False, "rmse": False}
# Allowed overrun of the whole VUR job over its budget (issue 14: within 10%).
OVERRUN = 1.10
# Allowed shortfall of a table against FLAML (issue 14: no table worse by more than 2%).
SHORTFALL = 0.98


def task_kind(problem_type: str, y: pd.Series) -> str:
    """'binary', 'multiclass' or 'regression'."""
    if problem_type == "regression":
        return "regression"
    return "binary" if y.nunique() == 2 else "multiclass"


def load_table(entry: dict[str, Any]) -> tuple[pd.DataFrame, pd.Series, str]:
    """Features, target (as VUR types it) and task kind of a manifest entry."""
    df = pd.read_csv(DATA / entry["file"])
    df = df.drop(columns=[c for c in entry.get("drop", []) if c in df.columns])
    target = entry["target"]
    df = df[df[target].notna()].reset_index(drop=True)
    X = df.drop(columns=target)
    if entry["problem_type"] == "regression":
        y = df[target].astype("float64")
    else:
        y = normalize_labels(df[target])
    return X, y, task_kind(entry["problem_type"], y)


def scores_of(kind: str, y_true: pd.Series, pred: np.ndarray, classes: list) -> dict[str, float]:
    """Every figure recorded for one contender's hold-out answers.

    `pred` is the predicted value (regression) or the class probabilities in `classes` order.
    """
    if kind == "regression":
        err = np.asarray(pred, dtype="float64") - y_true.to_numpy(dtype="float64")
        return error_metrics(err)
    proba = np.asarray(pred, dtype="float64")
    # Class positions, so that int, bool and text labels are scored alike.
    position = {c: i for i, c in enumerate(classes)}
    truth = np.asarray([position[v] for v in y_true.tolist()], dtype="int64")
    codes = list(range(len(classes)))
    picked = np.argmax(proba, axis=1)
    return {
        "log_loss": probability_log_loss(truth, proba, codes),
        "accuracy": float(np.mean(picked == truth)),
        "macro_f1": float(skm.f1_score(truth, picked, average="macro", labels=codes)),
        "auc": ovr_auc(truth, proba, codes),
    }


def ratio(metric: str, score: float | None, reference: float | None) -> float | None:
    """`score` relative to `reference`, above 1 when `score` is the better one."""
    if score is None or reference is None or not score or not reference:
        return None
    return score / reference if GREATER[metric] else reference / score


def _aligned(model: Any, X: pd.DataFrame, classes: list) -> np.ndarray:
    proba = np.asarray(model.predict_proba(X), dtype="float64")
    order = [list(model.classes_).index(c) for c in classes]
    return proba[:, order]


def _answers(model: Any, X: pd.DataFrame, kind: str, classes: list) -> np.ndarray:
    if kind == "regression":
        return np.asarray(model.predict(X), dtype="float64")
    return _aligned(model, X, classes)


def run_vur(
    entry: dict,
    X: pd.DataFrame,
    y: pd.Series,
    te: np.ndarray,
    kind: str,
    classes: list,
    budget: float,
) -> dict[str, Any]:
    """VUR's whole AutoML job on the table (it splits off the same hold-out itself)."""
    df = X.assign(**{entry["target"]: y.to_numpy()})
    start = time.monotonic()
    settings = AutoMLSettings(
        target=entry["target"],
        problem_type=entry["problem_type"],
        time_budget_s=budget,
        random_state=0,
    )
    lines: list[str] = []

    def keep_log(kind: str, payload: dict[str, Any]) -> None:
        if kind == "log" and payload.get("message"):
            lines.append(str(payload["message"]))

    results = run_automl(df, settings, on_event=keep_log)
    elapsed = time.monotonic() - start
    best = results[0]
    answers = _answers(best.pipeline, X.iloc[te], kind, classes)
    return {
        "answers": answers,
        "elapsed_s": elapsed,
        "best": best.algorithm,
        # Where VUR says its time went, and what the budget made it skip or shorten.
        "log": [m for m in lines if m.startswith("Time used") or "budget" in m][-12:],
        # VUR's own hold-out figure of the same model: equal to ours when the splits agree.
        "reported": best.primary_value,
        "candidates": [
            {"algorithm": r.algorithm, "cv": r.cv_score, "test": r.primary_value} for r in results
        ],
    }


def _as_categories(X_tr: pd.DataFrame, X_te: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Text columns as pandas categories with the training rows' levels (FLAML wants them)."""
    X_tr, X_te = X_tr.copy(), X_te.copy()
    for c in X_tr.columns:
        if X_tr[c].dtype == object:
            cats = pd.CategoricalDtype(sorted(X_tr[c].dropna().astype(str).unique()))
            X_tr[c] = X_tr[c].astype(str).where(X_tr[c].notna()).astype(cats)
            X_te[c] = X_te[c].astype(str).where(X_te[c].notna()).astype(cats)
    return X_tr, X_te


def run_flaml(
    X_tr: pd.DataFrame, y_tr: pd.Series, X_te: pd.DataFrame, kind: str, classes: list, budget: float
) -> dict[str, Any]:
    """FLAML with the same budget, one thread and the headline metric."""
    from flaml import AutoML

    metric = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}[kind]
    X_tr, X_te = _as_categories(X_tr, X_te)
    automl = AutoML()
    start = time.monotonic()
    automl.fit(
        X_tr,
        y_tr,
        task="regression" if kind == "regression" else "classification",
        metric=metric,
        time_budget=budget,
        n_jobs=1,
        seed=0,
        verbose=0,
    )
    elapsed = time.monotonic() - start
    return {
        "answers": _answers(automl, X_te, kind, classes),
        "elapsed_s": elapsed,
        "best": automl.best_estimator,
    }


def run_autogluon(
    python: str,
    X_tr: pd.DataFrame,
    y_tr: pd.Series,
    X_te: pd.DataFrame,
    target: str,
    kind: str,
    classes: list,
    budget: float,
) -> dict[str, Any]:
    """AutoGluon (medium_quality, one CPU, the same time limit) in its own interpreter."""
    metric = {
        "binary": "roc_auc",
        "multiclass": "log_loss",
        "regression": "root_mean_squared_error",
    }
    with tempfile.TemporaryDirectory(prefix="vur-ag-") as tmp:
        work = Path(tmp)
        train = X_tr.assign(**{target: y_tr.to_numpy()})
        # Parquet wants string column names; the label keeps its dtype.
        train.columns = [str(c) for c in train.columns]
        train.to_parquet(work / "train.parquet")
        test = X_te.assign(**{target: np.zeros(len(X_te), dtype=y_tr.dtype)})
        test.columns = [str(c) for c in test.columns]
        test.to_parquet(work / "test.parquet")
        task = {
            "label": str(target),
            "problem_type": kind,
            "eval_metric": metric[kind],
            "time_limit": budget,
        }
        (work / "task.json").write_text(json.dumps(task))
        env = {
            **os.environ,
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        start = time.monotonic()
        proc = subprocess.run(
            [python, str(RUNNER), str(work)],
            env=env,
            capture_output=True,
            text=True,
            timeout=budget * 5 + 300,
        )
        elapsed = time.monotonic() - start
        if proc.returncode != 0:
            raise RuntimeError(f"AutoGluon failed: {proc.stderr[-2000:]}")
        out = json.loads((work / "out.json").read_text())
    if kind == "regression":
        answers = np.asarray(out["pred"], dtype="float64")
    else:
        proba = np.asarray(out["proba"], dtype="float64")
        answers = proba[:, [out["classes"].index(str(c)) for c in classes]]
    return {
        "answers": answers,
        "elapsed_s": elapsed,
        "fit_s": out["fit_s"],
        "best": out["best"],
    }


def run_baselines(
    X_tr: pd.DataFrame, y_tr: pd.Series, X_te: pd.DataFrame, kind: str, classes: list
) -> dict[str, dict[str, Any]]:
    """Two fixed scikit-learn models with default settings (a floor for the AutoML tools)."""
    num = X_tr.select_dtypes("number").columns.tolist()
    cat = [c for c in X_tr.columns if c not in num]
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", min_frequency=5, sparse_output=False),
                ),
                cat,
            ),
        ]
    )
    if kind == "regression":
        models = {"linear": Ridge(), "hgb_default": HistGradientBoostingRegressor(random_state=0)}
    else:
        models = {
            "linear": LogisticRegression(max_iter=2000),
            "hgb_default": HistGradientBoostingClassifier(random_state=0),
        }
    out = {}
    for name, model in models.items():
        pipe = Pipeline([("pre", pre), ("model", model)])
        start = time.monotonic()
        pipe.fit(X_tr, y_tr)
        out[name] = {
            "answers": _answers(pipe, X_te, kind, classes),
            "elapsed_s": time.monotonic() - start,
        }
    return out


def run_table(entry: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Every contender on one table; returns its row of the results."""
    X, y, kind = load_table(entry)
    tr, te = holdout_split(X, y, entry["problem_type"], 0.2, 0)
    X_tr, X_te, y_tr, y_te = X.iloc[tr], X.iloc[te], y.iloc[tr], y.iloc[te]
    classes = sorted(y.unique().tolist(), key=str) if kind != "regression" else []
    metric = HEADLINE[kind]
    row: dict[str, Any] = {
        "table": entry["file"],
        "task": kind,
        "kind": entry.get("kind", []),
        "rows": len(y),
        "columns": X.shape[1],
        "metric": metric,
        "scores": {},
        "figures": {},
        "times_s": {},
        "best": {},
        "errors": {},
    }

    def record(name: str, fn: Any, *fn_args: Any) -> dict[str, Any] | None:
        try:
            with threadpool_limits(limits=1):
                out = fn(*fn_args)
        except Exception as exc:  # noqa: BLE001 - one contender's failure must not end the run
            traceback.print_exc()
            row["errors"][name] = f"{type(exc).__name__}: {exc}"[:500]
            row["scores"][name] = None
            return None
        figures = scores_of(kind, y_te, out["answers"], classes)
        row["figures"][name] = figures
        row["scores"][name] = figures[metric]
        row["times_s"][name] = round(out["elapsed_s"], 2)
        if "best" in out:
            row["best"][name] = out["best"]
        return out

    vur = record("vur", run_vur, entry, X, y, te, kind, classes, args.budget)
    if vur is not None:
        row["vur_reported"] = vur["reported"]
        row["vur_candidates"] = vur["candidates"]
        row["vur_time_vs_budget"] = round(vur["elapsed_s"] / args.budget, 3)
        row["vur_log"] = vur["log"]
    if not args.skip_flaml:
        record("flaml", run_flaml, X_tr, y_tr, X_te, kind, classes, args.budget)
    if args.autogluon_python and not args.skip_autogluon:
        ag = record(
            "autogluon",
            run_autogluon,
            args.autogluon_python,
            X_tr,
            y_tr,
            X_te,
            entry["target"],
            kind,
            classes,
            args.budget,
        )
        if ag is not None:
            row["times_s"]["autogluon_fit"] = round(ag["fit_s"], 2)
    if args.baselines:
        try:
            with threadpool_limits(limits=1):
                for name, out in run_baselines(X_tr, y_tr, X_te, kind, classes).items():
                    row["figures"][name] = scores_of(kind, y_te, out["answers"], classes)
                    row["scores"][name] = row["figures"][name][metric]
                    row["times_s"][name] = round(out["elapsed_s"], 2)
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            row["errors"]["baselines"] = f"{type(exc).__name__}: {exc}"[:500]
    row["ratio_to_flaml"] = {
        name: ratio(metric, score, row["scores"].get("flaml"))
        for name, score in row["scores"].items()
        if name != "flaml"
    }
    if "autogluon" in row["scores"]:
        row["vur_ratio_to_autogluon"] = ratio(
            metric, row["scores"].get("vur"), row["scores"]["autogluon"]
        )
    return row


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(kept)) if kept else None


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean ratios to FLAML (and VUR's to AutoGluon), the tables VUR loses by more than 2%, and
    VUR's wall time against the budget."""
    names = list(dict.fromkeys(n for row in rows for n in row["ratio_to_flaml"]))
    out: dict[str, Any] = {
        "tables": len(rows),
        "mean_ratio_to_flaml": {
            n: _mean([r["ratio_to_flaml"].get(n) for r in rows]) for n in names
        },
        "vur_mean_ratio_to_autogluon": _mean([r.get("vur_ratio_to_autogluon") for r in rows]),
        "vur_wins_vs_flaml": sum(1 for r in rows if (r["ratio_to_flaml"].get("vur") or 0) > 1),
        "vur_worse_than_flaml_by_2pct": [
            r["table"]
            for r in rows
            if r["ratio_to_flaml"].get("vur") is not None and r["ratio_to_flaml"]["vur"] < SHORTFALL
        ],
    }
    multi = [r for r in rows if r["task"] == "multiclass" and "flaml" in r["figures"]]
    out["mean_log_loss_ratio_to_flaml_multiclass"] = {
        n: _mean(
            [
                ratio("log_loss", r["figures"][n]["log_loss"], r["figures"]["flaml"]["log_loss"])
                for r in multi
                if n in r["figures"]
            ]
        )
        for n in names
    }
    for kind in ("binary", "multiclass", "regression"):
        part = [r for r in rows if r["task"] == kind]
        if part:
            out[f"mean_ratio_to_flaml_{kind}"] = {
                n: _mean([r["ratio_to_flaml"].get(n) for r in part]) for n in names
            }
    times = [r["vur_time_vs_budget"] for r in rows if "vur_time_vs_budget" in r]
    if times:
        out["vur_max_time_vs_budget"] = max(times)
        out["vur_mean_time_vs_budget"] = float(np.mean(times))
        out["vur_over_budget_by_10pct"] = [
            r["table"] for r in rows if r.get("vur_time_vs_budget", 0) > OVERRUN
        ]
    out["errors"] = {r["table"]: r["errors"] for r in rows if r["errors"]}
    return out


def write(rows: list[dict[str, Any]], args: argparse.Namespace, path: Path) -> None:
    """The results file: settings, one row per table, the summary."""
    payload = {
        "budget_s": args.budget,
        "python": platform.python_version(),
        "command": " ".join(sys.argv),
        "tables": rows,
        "summary": summarise(rows),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")


def _cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(rows: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    """A readable table of headline scores, ratios to FLAML and VUR's time over budget."""
    names = list(dict.fromkeys(n for row in rows for n in row["scores"]))
    print(
        f"\n{'table':<24}{'metric':<9}"
        + "".join(f"{n:>12}" for n in names)
        + f"{'vur/flaml':>11}{'vur/ag':>9}{'vur t/b':>9}"
    )
    for row in rows:
        cells = "".join(
            f"{row['scores'][n]:>12.4f}" if row["scores"].get(n) is not None else f"{'-':>12}"
            for n in names
        )
        r_f = _cell(row["ratio_to_flaml"].get("vur"), 4)
        r_a = _cell(row.get("vur_ratio_to_autogluon"), 4)
        tb = _cell(row.get("vur_time_vs_budget"), 2)
        print(f"{row['table']:<24}{row['metric']:<9}{cells}{r_f:>11}{r_a:>9}{tb:>9}")
    print(json.dumps(summary, indent=2, default=str))


def main() -> None:
    """Run the benchmark over the manifest (or merge shard results) and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--only", action="append", help="table file name (repeatable)")
    parser.add_argument("--skip-flaml", action="store_true")
    parser.add_argument("--skip-autogluon", action="store_true")
    parser.add_argument("--autogluon-python", help="python of a venv with autogluon.tabular")
    parser.add_argument("--baselines", action="store_true", help="also two fixed sklearn models")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--merge", nargs="+", type=Path, help="result files to join into --out")
    args = parser.parse_args()
    if args.merge:
        parts = [json.loads(p.read_text()) for p in args.merge]
        args.budget = parts[0]["budget_s"]
        rows = [row for part in parts for row in part["tables"]]
        order = [e["file"] for e in json.loads((DATA / "manifest.json").read_text())]
        rows.sort(key=lambda r: order.index(r["table"]) if r["table"] in order else len(order))
        write(rows, args, args.out)
        print_table(rows, summarise(rows))
        return
    if not args.autogluon_python and not args.skip_autogluon:
        print("AutoGluon skipped: no --autogluon-python (see the README for its venv).")
    manifest = json.loads((DATA / "manifest.json").read_text())
    if args.only:
        manifest = [e for e in manifest if e["file"] in args.only]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for entry in manifest:
            print(
                f"== {entry['file']} ({entry['problem_type']}, budget {args.budget:.0f}s)",
                flush=True,
            )
            row = run_table(entry, args)
            rows.append(row)
            print("   " + json.dumps({k: row[k] for k in ("scores", "times_s")}), flush=True)
            write(rows, args, args.out)
    print_table(rows, summarise(rows))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
