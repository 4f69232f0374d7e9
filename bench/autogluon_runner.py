"""AutoGluon side of the tabular benchmark, run by `bench/automl_bench.py` in AutoGluon's own venv.

It is started as `<autogluon python> bench/autogluon_runner.py <work dir>`; the work dir holds
`train.parquet`, `test.parquet` and `task.json` (label, problem type, metric, budget). It fits
`TabularPredictor(presets="medium_quality")` on one CPU within the budget, predicts the test rows
and writes `out.json`. It imports nothing from VUR (AutoGluon's venv does not have it).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    """Fit, predict and write the answers of one table."""
    work = Path(sys.argv[1])
    task = json.loads((work / "task.json").read_text())
    import pandas as pd
    from autogluon.tabular import TabularPredictor

    train = pd.read_parquet(work / "train.parquet")
    test = pd.read_parquet(work / "test.parquet")
    start = time.monotonic()
    predictor = TabularPredictor(
        label=task["label"],
        problem_type=task["problem_type"],
        eval_metric=task["eval_metric"],
        path=str(work / "ag_models"),
        verbosity=0,
    )
    predictor.fit(
        train,
        presets="medium_quality",
        time_limit=task["time_limit"],
        num_cpus=1,
        num_gpus=0,
    )
    fit_s = time.monotonic() - start
    out: dict = {"fit_s": fit_s, "best": predictor.model_best}
    features = test.drop(columns=[task["label"]])
    if task["problem_type"] == "regression":
        out["pred"] = predictor.predict(features).astype(float).tolist()
    else:
        proba = predictor.predict_proba(features, as_multiclass=True)
        out["classes"] = [str(c) for c in proba.columns]
        out["proba"] = proba.to_numpy(dtype="float64").tolist()
    out["total_s"] = time.monotonic() - start
    (work / "out.json").write_text(json.dumps(out))


if __name__ == "__main__":
    main()
