"""Batch-scoring benchmark: rows per second and peak memory of scoring a large CSV.

Trains a model on a bench table through the real training service, deploys it, writes an
N-row CSV (default 1,000,000) and scores it with the real batch service in a fresh process,
whose peak resident memory is read from the OS; then scores the same file with a plain
pandas + scikit-learn script (read the CSV, `predict_proba` on the model's columns, write the
rows with their prediction and probabilities) in another fresh process, for comparison. Uses a
throwaway SQLite and media folder.

Usage: python bench/batch_bench.py [--rows 1000000] [--source credit_data.csv] [--target Status]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(var_dir: Path) -> None:
    os.environ["VUR_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vur.settings.base")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def _prepare(var_dir: Path, rows: int, source: str, target: str, budget: float) -> dict:
    """Train and deploy a model, write the big CSV, create the batch job: its id, the CSV's
    path, the model file's path and the model's input columns."""
    _setup(var_dir)
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.core.management import call_command

    from bench.make_big_csv import TABULAR_DIR, make_big_csv
    from datasets.services import dataset_upload
    from pipelines.services import pipeline_create
    from predictions.models import BatchJob
    from predictions.services import deployment_create
    from training.models import TrainingJob
    from training.services import training_job_run

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench-pass-123")
    with open(TABULAR_DIR / source, "rb") as fh:
        dataset = dataset_upload(owner=user, upload=File(fh, name=source), name=source)
    pipeline = pipeline_create(
        owner=user, dataset=dataset, name="bench", target_column=target,
        problem_type="classification",
    )  # fmt: skip
    job = TrainingJob.objects.create(
        owner=user, pipeline=pipeline,
        config={"algorithms": ["hist_gradient_boosting"], "time_budget_s": budget},
    )  # fmt: skip
    training_job_run(job_id=job.pk)
    job.refresh_from_db()
    if job.status != "completed":
        raise SystemExit(f"training failed: {job.error}")
    model = pipeline.trained_models.order_by("rank").first()
    deployment_create(owner=user, model=model, target="batch")
    big = var_dir / "big.csv"
    t0 = time.perf_counter()
    make_big_csv(TABULAR_DIR / source, big, rows, drop_target=True)
    print(
        f"wrote {rows:,} rows ({big.stat().st_size / 1e6:.0f} MB) "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    batch = BatchJob(owner=user, model=model, input_format="csv")
    with open(big, "rb") as fh:
        batch.input_file.save("big.csv", File(fh), save=False)
    batch.save()
    from django.core.files.storage import default_storage

    return {
        "job_id": str(batch.pk),
        "csv": str(big),
        "artifact": default_storage.path(model.artifact),
        "columns": [c["name"] for c in model.input_schema.get("columns", [])],
    }


def _score(var_dir: Path, job_id: str) -> None:
    _setup(var_dir)
    from predictions.models import BatchJob
    from predictions.services import batch_run

    started = time.perf_counter()
    batch_run(job_id=job_id)
    elapsed = time.perf_counter() - started
    job = BatchJob.objects.get(pk=job_id)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"status": job.status, "error": job.error, "rows": job.rows_done,
                      "seconds": elapsed, "peak_mb": peak_mb}))  # fmt: skip


def _plain(csv: str, artifact: str, columns: list[str]) -> None:
    """The plain script: pandas reads the file, the pipeline scores it, pandas writes it."""
    import joblib
    import numpy as np
    import pandas as pd

    started = time.perf_counter()
    model = joblib.load(artifact)
    frame = pd.read_csv(csv)
    proba = model.predict_proba(frame[columns])
    out = frame.assign(prediction=np.asarray(model.classes_)[proba.argmax(axis=1)])
    for i, label in enumerate(model.classes_):
        out[f"proba_{label}"] = proba[:, i].round(6)
    out.to_csv(Path(csv).with_suffix(".plain.csv"), index=False)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": len(frame), "seconds": elapsed, "peak_mb": peak_mb}))


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--source", default="credit_data.csv")
    parser.add_argument("--target", default="Status")
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--score", help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", help=argparse.SUPPRESS)
    parser.add_argument("--plain", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.score:
        _score(Path(args.var_dir), args.score)
        return 0
    if args.plain:
        spec = json.loads(args.plain)
        _plain(spec["csv"], spec["artifact"], spec["columns"])
        return 0
    with tempfile.TemporaryDirectory(prefix="vur-bench-", ignore_cleanup_errors=True) as tmp:
        var_dir = Path(tmp)
        spec = _prepare(var_dir, args.rows, args.source, args.target, args.budget)
        env = dict(os.environ, OMP_NUM_THREADS="1")
        out = subprocess.run(
            [sys.executable, __file__, "--score", spec["job_id"], "--var-dir", str(var_dir)],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        plain = subprocess.run(
            [sys.executable, __file__, "--plain", json.dumps(spec)],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        figures["plain"] = json.loads(plain.stdout.strip().splitlines()[-1])
        figures["load_average"] = round(os.getloadavg()[0], 2)
        from vur.embedded import stop_embedded_redis

        stop_embedded_redis(var_dir / "redis")
    if figures["status"] != "completed":
        print(f"batch failed: {figures['error']}")
        return 1
    rate = figures["rows"] / figures["seconds"]
    plain = figures["plain"]
    plain["rows_per_s"] = plain["rows"] / plain["seconds"]
    figures["speed_vs_plain"] = round(rate / plain["rows_per_s"], 2)
    figures["memory_vs_plain"] = round(figures["peak_mb"] / plain["peak_mb"], 2)
    print(f"batch scoring: {figures['rows']:,} rows in {figures['seconds']:.1f} s = "
          f"{rate:,.0f} rows/s; "
          f"peak memory {figures['peak_mb']:.0f} MB (scoring process); plain pandas + "
          f"scikit-learn: {plain['rows_per_s']:,.0f} rows/s, {plain['peak_mb']:.0f} MB; "
          f"speed x{figures['speed_vs_plain']}, memory x{figures['memory_vs_plain']}")  # fmt: skip
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "batch.json").write_text(json.dumps({**figures, "rows_per_s": rate}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
