"""Training work: start a job, run it in a worker (the pipeline's engine), cancel it.

The job row is the record of truth. Runs claim their job by a conditional update, write model
files under a key that belongs to the job, and either register every model at once or leave
nothing behind.
"""

from __future__ import annotations

import hashlib
import logging
import platform
import time
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from threadpoolctl import threadpool_limits

from datasets.columns import target_refusal
from datasets.models import Dataset
from datasets.services import dataset_file_check, dataset_frame, storage_delete_files
from modeling import artifacts, catalog
from modeling.models import ModelConfig, TrainedModel
from modeling.services import (
    pipeline_status_from_models,
    pipeline_steps_from_models,
    trained_model_files,
)
from pipelines.models import Pipeline
from pipelines.services import pipeline_mark_step, pipeline_set_status, series_steps
from training import forecasting, reference_store
from training.budget import RANK1_CHECK_SLACK, CheckPlan
from training.engines import Cancelled, Engine, NoModels, engine_for
from training.events import training_event_publish
from training.forecasting.inputs import series_lengths
from training.models import EpochMetric, TrainingEvent, TrainingJob
from vur import jobs
from vur.errors import Conflict, InvalidInput, ServiceUnavailable, VURError

logger = logging.getLogger(__name__)


def _resolve_algorithms(pipeline: Pipeline, config: dict[str, Any]) -> dict[str, Any]:
    """Turn the start request's model choice into algorithm names and hyperparameters, and
    whether they are the automatic choice (`auto`: a forecasting run then adds the
    intermittent-demand methods on intermittent series)."""
    problem = pipeline.problem_type
    hyper: dict[str, dict] = {}
    search = None
    auto = False
    model_config = config.get("model_config")
    if isinstance(model_config, ModelConfig):
        names = [model_config.algorithm]
        hyper[model_config.algorithm] = model_config.hyperparameters
        search = model_config.search or None
    elif isinstance(model_config, dict):
        names = [model_config["algorithm"]]
        hyper[model_config["algorithm"]] = model_config.get("hyperparameters") or {}
        search = model_config.get("search")
    else:
        algos = config.get("algorithms") or "auto"
        auto = algos == "auto"
        names = catalog.auto_algorithms(problem) if auto else list(algos)
    errors: dict[str, list[str]] = {}
    for name in names:
        try:
            spec = catalog.get_algorithm(name)
        except KeyError:
            errors.setdefault("algorithms", []).append(f"unknown algorithm '{name}'")
            continue
        if problem not in spec.problem_types:
            errors.setdefault("algorithms", []).append(f"'{name}' does not solve {problem}")
            continue
        for param, msg in spec.validate(hyper.get(name, {})).items():
            errors.setdefault(f"hyperparameters.{param}", []).append(msg)
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(f"The model choice is not valid: {first}.", errors=errors)
    return {"algorithms": names, "hyperparameters": hyper, "search": search, "auto": auto}


SERIES_LENGTHS_CACHE_S = 7 * 24 * 3600  # a stored file never changes; kept as its checks are


def forecast_series_lengths(
    *, dataset: Dataset, time_column: str, id_column: str, target: str | None
) -> list[int] | None:
    """The observations of each series a forecasting run on `dataset` split by `id_column`
    plans on (`forecasting.inputs.series_lengths`: its grid trimmed to the values of `target`;
    with no target, to the rows the file has), read once per file and columns and kept in the
    shared cache; None when the run would refuse the data (no frequency, mostly empty)."""
    stamp = f"{dataset.file.name}:{dataset.size_bytes}:{time_column}:{id_column}:{target or ''}"
    key = f"vur:series-lengths:{dataset.pk}:{hashlib.sha256(stamp.encode()).hexdigest()[:24]}"
    try:
        found = cache.get(key)
    except Exception:  # the cache is a shortcut: without Redis the lengths are read again
        logger.warning("series lengths: the cache is unreachable", exc_info=True)
        found = None
    if found is not None:
        return list(found)
    try:
        frame = dataset_frame(dataset, usecols=[c for c in (time_column, id_column, target) if c])
        if not target:  # every row of the file counts as a value
            target = "_rows"
            while target in frame.columns:
                target = f"_{target}"
            frame[target] = 1.0
        run = forecasting.ForecastSettings(
            time_column=time_column, target=target, id_column=id_column, horizon=1
        )
        lengths = series_lengths(frame, run)
    except (forecasting.ForecastError, VURError):  # the start request refuses it and says why
        return None
    try:
        cache.set(key, lengths, SERIES_LENGTHS_CACHE_S)
    except Exception:
        logger.warning("series lengths: the cache is unreachable", exc_info=True)
    return lengths


def planned_series_lengths(
    *, dataset: Dataset, time_column: str, id_column: str, target: str | None
) -> tuple[int, ...] | None:
    """The observations of each series a forecasting run along `time_column` plans on: the one
    series' grid (`series_steps`) without an id column, else each series' read from the file
    (`forecast_series_lengths`); None when they are unknown or the run refuses the data. The
    dataset's "Before training" warnings and the wizard's window count both read it."""
    if not id_column:
        steps = series_steps(dataset=dataset, time_column=time_column)
        return (steps,) if steps else None
    if time_column not in ("", dataset.time_column):
        return None
    lengths = forecast_series_lengths(
        dataset=dataset, time_column=dataset.time_column, id_column=id_column, target=target
    )
    return tuple(lengths) if lengths else None


def training_job_capacity_check(*, user) -> None:
    """Refuse (429) a new training job while `user` has as many queued or running as allowed."""
    jobs.active_jobs_cap_check(
        TrainingJob.objects.filter(owner=user),
        what="training",
        hint="wait for one to finish or cancel one",
    )


class TrainingInProgress(Conflict):
    """The pipeline already has a training job queued or running."""

    code = "training_in_progress"


def training_job_active(*, pipeline: Pipeline) -> TrainingJob | None:
    """The pipeline's training job that is queued or running (the oldest), or None."""
    return (
        TrainingJob.objects.filter(
            pipeline_id=pipeline.pk,
            status__in=(TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING),
        )
        .order_by("created_at")
        .first()
    )


def training_in_progress_check(*, pipeline: Pipeline) -> None:
    """Refuse (409 `training_in_progress`) a new job while the pipeline has one queued or
    running: two runs of one pipeline would compete for its models and its status."""
    job = training_job_active(pipeline=pipeline)
    if job is None:
        return
    raise TrainingInProgress(
        f"This pipeline already has a training job {job.status} (job {job.pk}); wait for it "
        "to end or cancel it before starting another.",
        errors={"pipeline_id": [f"training job {job.pk} is {job.status}"]},
    )


def training_job_start(*, pipeline: Pipeline, user, config: dict[str, Any]) -> TrainingJob:
    """Validate a start request, create a queued job and enqueue it after commit.

    Refuses (409) while the pipeline has a job queued or running, and (409
    `dataset_file_missing`) when its dataset's stored file is gone. Not idempotent: each call
    that is not refused queues a new job.
    """
    training_job_capacity_check(user=user)
    training_in_progress_check(pipeline=pipeline)
    # The run checks the file again: it can vanish between this start and the run.
    dataset_file_check(pipeline.dataset)
    if pipeline.dataset.num_rows < 2:
        raise InvalidInput("The dataset has too few rows to train on.", code="too_few_rows")
    # Checked when the target is set too; a pipeline saved before that check may still hold one.
    dataset = pipeline.dataset
    refusal = target_refusal(dataset.column(pipeline.target_column) or {}, dataset.num_rows)
    if refusal:
        errors = {"target_column": [refusal]}
        raise InvalidInput(refusal, code="constant_target", errors=errors)
    chosen = _resolve_algorithms(pipeline, config)
    engine = engine_for(pipeline)
    engine.check_start()
    stored = {k: v for k, v in config.items() if k != "model_config"}
    if isinstance(config.get("model_config"), ModelConfig):
        stored["model_config_id"] = config["model_config"].pk
    stored.update(chosen)
    stored.setdefault("time_budget_s", settings.VUR_DEFAULT_TIME_BUDGET_S)
    stored.update(engine.start_config())
    failures: list[Exception] = []
    with transaction.atomic():
        jobs.hold_owner(user)
        training_job_capacity_check(user=user)  # again, now that this user's starts queue up
        # ...and this pipeline's (staff may start one for its owner at the same moment).
        list(Pipeline.objects.select_for_update().filter(pk=pipeline.pk).values_list("pk"))
        training_in_progress_check(pipeline=pipeline)
        job = TrainingJob.objects.create(owner=user, pipeline=pipeline, config=stored)
        pipeline_set_status(pipeline=pipeline, status=Pipeline.Status.TRAINING)
        transaction.on_commit(partial(_enqueue_or_fail, job.pk, failures))
    if failures:  # the commit ran the callback here: tell the caller the job could not start
        raise ServiceUnavailable(
            "The task queue is unreachable, so the job could not be started; it is marked "
            "failed. Try again when the broker is back.",
            code="broker_unavailable",
        )
    job.refresh_from_db()
    return job


def _enqueue(job_id) -> None:
    """Hand job `job_id` to the broker and record the task id. Raises when the broker is down."""
    from training.tasks import run_training_job

    result = run_training_job.apply_async(args=[str(job_id)], queue="training")
    TrainingJob.objects.filter(pk=job_id).update(
        celery_task_id=result.id, enqueued_at=timezone.now()
    )


def _enqueue_or_fail(job_id, failures: list[Exception]) -> None:
    """After commit: enqueue, or end the job failed (with its status event) if the broker is down.

    A queued row that no message points to would never run; failing it at once keeps the
    record honest. The exception is appended to `failures` for the caller to answer 503.
    """
    try:
        _enqueue(job_id)
    except Exception as exc:
        logger.exception("could not enqueue training job %s", job_id)
        failures.append(exc)
        reason = f"The job could not be queued: the task broker was unreachable ({exc})."
        if _end_job(
            job_id, TrainingJob.Status.FAILED, error=reason, only_from=(TrainingJob.Status.QUEUED,)
        ):
            _pipeline_after_job(TrainingJob.objects.get(pk=job_id).pipeline_id)


def training_job_cancel(*, job: TrainingJob) -> TrainingJob:
    """Ask a job to stop. A queued job is cancelled at once; a running one within seconds.

    Safe to repeat; a finished job answers Conflict.
    """
    if _end_job(
        job.pk,
        TrainingJob.Status.CANCELLED,
        only_from=(TrainingJob.Status.QUEUED,),
        cancel_requested=True,
    ):
        _pipeline_after_job(job.pipeline_id)
    elif TrainingJob.objects.filter(pk=job.pk, status=TrainingJob.Status.RUNNING).update(
        cancel_requested=True
    ):
        from training.tasks import enforce_training_cancel

        training_event_publish(job.pk, "log", {"level": "warning", "message": "Cancel requested."})
        enforce_training_cancel.apply_async(args=[str(job.pk)], countdown=8, queue="scoring")
    else:
        job.refresh_from_db()
        if job.status != TrainingJob.Status.CANCELLED:
            raise Conflict(f"The job has already {job.status}.", code="job_finished")
    job.refresh_from_db()
    return job


def training_job_delete_refusal(*, job: TrainingJob) -> str:
    """Why `training_job_delete` would refuse now (the job is queued or running); "" otherwise."""
    active = (TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING)
    status = TrainingJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
    if status in active:
        return f"Training job {job.pk} is {status}: cancel it, then delete it."
    return ""


def training_job_delete(*, job: TrainingJob) -> None:
    """Delete a finished job with its events and epoch metrics. The models it registered stay
    (they are deleted on their own), and so do their files; any other file left in the job's
    folder goes once the deletion commits. Safe to repeat.

    Conflict (409, `job_active`) while the job is queued or running: cancel it first."""
    with transaction.atomic():
        row = TrainingJob.objects.select_for_update().filter(pk=job.pk).first()
        if row is None:
            return
        why = training_job_delete_refusal(job=row)
        if why:
            raise Conflict(why, code="job_active")
        folder = f"models/{row.owner_id}/{row.pk}"
        try:
            _dirs, names = default_storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError, OSError):
            names = []
        kept = {
            name
            for model in TrainedModel.objects.filter(training_job_id=row.pk)
            for name in trained_model_files(model)
        }
        files = [f"{folder}/{name}" for name in names if f"{folder}/{name}" not in kept]
        row.delete()
        transaction.on_commit(partial(storage_delete_files, files))


class _Reporter:
    """Turns engine callbacks into stored, broadcast events and cheap cancellation checks."""

    def __init__(self, job: TrainingJob, heartbeat: jobs.Heartbeat | None = None):
        self.job = job
        self.started = time.monotonic()  # the job's clock: its budget counts from the claim
        self.heartbeat = heartbeat
        self.last_progress = 0.0
        self.last_check = 0.0
        self.cancelled = False
        self.gone = False  # the job's row was deleted (with its pipeline or dataset)

    def on_event(self, kind: str, payload: dict[str, Any]) -> None:
        """Store and broadcast one engine event; once the job's row is gone, drop events
        quietly (the engine stops at its next `should_stop`)."""
        if self.gone:
            return
        try:
            self._record(kind, payload)
        except IntegrityError:
            if TrainingJob.objects.filter(pk=self.job.pk).exists():
                raise
            self.gone = True

    def _record(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "progress":
            now = time.monotonic()
            progress = min(max(float(payload.get("progress") or 0.0), 0.0), 1.0)
            if now - self.last_progress < 0.25 and progress < 1.0:
                return  # throttle: a job may report many steps a second
            self.last_progress = now
            fields = {
                "progress": progress,
                "estimated_time_remaining": payload.get("estimated_time_remaining"),
                "current_epoch": payload.get("current_epoch"),
                "best_metric": payload.get("best_metric"),
                "current_algorithm": payload.get("algorithm") or "",
            }
            TrainingJob.objects.filter(pk=self.job.pk, status=TrainingJob.Status.RUNNING).update(
                heartbeat_at=timezone.now(),
                **{k: v for k, v in fields.items() if v is not None or k == "current_epoch"},
            )
        elif kind == "metric":
            EpochMetric.objects.create(
                job_id=self.job.pk,
                algorithm=payload.get("algorithm", ""),
                epoch=int(payload.get("epoch", 0)),
                train_loss=payload.get("train_loss"),
                val_loss=payload.get("val_loss"),
                train_metrics=payload.get("train_metrics") or {},
                val_metrics=payload.get("val_metrics") or {},
                learning_rate=payload.get("learning_rate"),
            )
        elif kind == "log":
            logger.info("job %s: %s", self.job.pk, payload.get("message"))
        training_event_publish(self.job.pk, kind, payload)

    def should_stop(self) -> bool:
        """True once a cancel was requested or the job was ended elsewhere (e.g. reaped)."""
        now = time.monotonic()
        if self.heartbeat is not None and self.heartbeat.lost:
            self.cancelled = True
        if not self.cancelled and now - self.last_check >= 0.5:
            self.last_check = now
            flag = (
                TrainingJob.objects.filter(pk=self.job.pk)
                .values_list("cancel_requested", flat=True)
                .first()
            )
            self.gone = self.gone or flag is None
            self.cancelled = bool(flag) or self.gone
        return self.cancelled


def _versions() -> dict[str, str]:
    import joblib
    import numpy
    import pandas
    import sklearn

    out = {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "joblib": joblib.__version__,
    }
    try:
        import statsforecast

        out["statsforecast"] = statsforecast.__version__
    except ImportError:
        pass
    return out


def _schema_column(info: dict[str, Any]) -> dict[str, Any]:
    """One input column of a model: its type, whether a request must send it, and how the
    training file wrote it (`parse`: separators, date formats), so requests are read alike."""
    column = {
        "name": info["name"],
        "dtype": info.get("dtype"),
        "semantic_type": info.get("semantic_type"),
        "required": info.get("semantic_type") != "id",
    }
    if info.get("parse"):
        column["parse"] = info["parse"]
    return column


def _input_schema(pipeline: Pipeline, columns: list[str], extra: dict | None) -> dict[str, Any]:
    info = {c["name"]: c for c in pipeline.dataset.columns_info}
    schema = {
        "target": pipeline.target_column,
        "problem_type": pipeline.problem_type,
        "columns": [_schema_column(info[c]) for c in columns],
    }
    schema.update(extra or {})
    return schema


def _job_key(job: TrainingJob) -> str:
    return f"{job.owner_id}/{job.pk}"


def purge_job_files(job: TrainingJob) -> None:
    """Delete every model file written under the job's key. Safe to repeat."""
    folder = f"models/{_job_key(job)}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    artifacts.artifact_delete(*[f"{folder}/{name}" for name in files])


SERVING_CHECK_ROWS = 500


def _serving_check(
    obj: Any, pipeline: Pipeline, columns: list[str], rows: dict[str, Any]
) -> dict[str, Any]:
    """The card's `serving` entry: the path that will serve the model (`modeling.serving`),
    checked against the model's own answers on up to SERVING_CHECK_ROWS dataset rows (read once
    per job into `rows`). Never fails the registration: a failed check serves scikit-learn."""
    from modeling import serving

    try:
        if "frame" not in rows:
            rows["frame"] = dataset_frame(
                pipeline.dataset, nrows=SERVING_CHECK_ROWS, usecols=columns
            )[columns]
        compiled = serving.compile_for_serving(obj, rows["frame"])
        return serving.serving_card(compiled, len(rows["frame"]))
    except Exception:
        logger.exception("serving check of %s failed; it is served by scikit-learn", obj)
        return {"path": serving.SKLEARN, "detail": "check failed", "checked_rows": 0}


def _fitted_forms(obj: Any) -> dict[str, Any]:
    """The card's `fitted_form` entry of a forecasting model (`ForecastModel.fitted_forms`);
    nothing for other models, or when no form is known. Never fails the registration."""
    describe = getattr(obj, "fitted_forms", None)
    if describe is None:
        return {}
    try:
        forms = describe()
    except Exception:
        logger.exception("could not describe the fitted form of %s", obj)
        return {}
    return {"fitted_form": forms} if forms else {}


# What a candidate's card says when its serving check did not fit in the job's budget.
NOT_COMPILED = "not compiled: the job's time budget was spent"


def _serving_entry(
    engine: Engine,
    obj: Any,
    pipeline: Pipeline,
    columns: list[str],
    rows: dict[str, Any],
    *,
    affordable: bool = True,
) -> dict[str, Any]:
    """The serving check when the engine has one and it is `affordable`; an unaffordable one
    leaves the model to scikit-learn; else the engine's own object serves."""
    from modeling import serving

    if not engine.serving_check:
        return {"path": engine.name, "detail": "", "checked_rows": 0}
    if not affordable:
        return {"path": serving.SKLEARN, "detail": NOT_COMPILED, "checked_rows": 0}
    return _serving_check(obj, pipeline, columns, rows)


def _check_cost(engine: Engine, obj: Any) -> float:
    """The predicted seconds of `obj`'s serving check (0 when the engine has none)."""
    from modeling import serving

    return serving.compile_cost_s(obj) if engine.serving_check else 0.0


def _register(
    job: TrainingJob,
    pipeline: Pipeline,
    engine: Engine,
    results: list[Any],
    columns: list[str],
    deadline: float | None = None,
    slack: float = 0.0,
) -> int:
    """Save each candidate's artifact and card, then create all rows and complete the job at once.

    Serving checks run only while the job's `deadline` (monotonic; `slack` seconds more for the
    rank-1 model) allows; the others are served by scikit-learn. On any failure the files
    written so far are deleted.
    """
    versions = _versions()
    rows: list[TrainedModel] = []
    written: list[str] = []
    build_reference = reference_store.reference_builder(job, pipeline, columns)
    check_rows: dict[str, Any] = {}
    checks = CheckPlan(deadline, slack)
    try:
        for res in results:
            obj = engine.artifact(res)
            key = f"{_job_key(job)}/{res.rank:02d}-{res.algorithm}"
            saved = artifacts.artifact_save(obj, key)
            written.append(saved.name)
            # What monitoring compares live traffic against (None if it could not be built).
            reference_name = reference_store.reference_save(build_reference(res, obj), key)
            written.append(reference_name)
            schema = _input_schema(pipeline, columns, engine.schema_extra(res, obj))
            metrics = engine.card_metrics(res)
            card = {
                "algorithm": res.algorithm,
                "hyperparameters": res.hyperparameters,
                "problem_type": pipeline.problem_type,
                "input_schema": schema,
                "metrics": metrics,
                "primary_metric": res.primary_metric,
                "rank": res.rank,
                "importance_method": getattr(res, "importance_method", "none"),
                # A forecaster's backtest MASE window by window (the rank used their mean).
                **(
                    {"backtest_windows": res.window_means()} if hasattr(res, "window_means") else {}
                ),
                # A forecaster's fitted form by series: what the fit chose (ETS components,
                # ARIMA orders, seasons, lags) where the hyperparameters left it open.
                **_fitted_forms(obj),
                "training": {
                    "job_id": str(job.pk),
                    "pipeline_id": pipeline.pk,
                    "dataset_id": pipeline.dataset_id,
                    "rows": pipeline.dataset.num_rows,
                    "time_budget_s": job.config.get("time_budget_s"),
                    "trained_at": timezone.now().isoformat(),
                },
                "artifact": {"name": saved.name, "sha256": saved.sha256, "bytes": saved.size_bytes},
                "library_versions": versions,
                "monitoring_reference": reference_name,
                "serving": checks.entry(
                    res.rank,
                    res.algorithm,
                    _check_cost(engine, obj),
                    partial(_serving_entry, engine, obj, pipeline, columns, check_rows),
                ),
            }
            card_name = artifacts.card_save(card, key)
            written.append(card_name)
            rows.append(
                TrainedModel(
                    owner_id=job.owner_id,
                    pipeline=pipeline,
                    training_job_id=job.pk,
                    problem_type=pipeline.problem_type,
                    algorithm=res.algorithm,
                    hyperparameters=res.hyperparameters,
                    metrics={"cv_score": getattr(res, "cv_score", None), **(metrics or {})},
                    primary_metric=res.primary_metric,
                    primary_value=res.primary_value,
                    rank=res.rank,
                    test_metrics=metrics or {},
                    confusion_matrix=getattr(res, "confusion_matrix", None),
                    classes=getattr(res, "classes", None),
                    feature_importance=getattr(res, "feature_importance", None) or [],
                    prediction_intervals=getattr(res, "prediction_intervals", None),
                    residual_analysis=getattr(res, "residual_analysis", None),
                    epochs=getattr(res, "epochs", None) or [],
                    input_schema=schema,
                    card=card,
                    artifact=saved.name,
                    card_file=card_name,
                    sha256=saved.sha256,
                    model_size_mb=round(saved.size_bytes / 1_048_576, 4),
                    inference_time_ms=getattr(res, "inference_time_ms", None),
                    fit_time_s=res.fit_time_s,
                )
            )
        from datasets.jsonsafe import json_safe

        for row in rows:
            for field in (
                "metrics",
                "test_metrics",
                "feature_importance",
                "card",
                "epochs",
                "residual_analysis",
            ):
                setattr(row, field, json_safe(getattr(row, field)))
            row.primary_value = json_safe(row.primary_value)
        kind = pipeline.problem_type
        best = catalog.display_name(results[0].algorithm, kind)
        message = f"Registered {len(rows)} models; best: {best}."
        if checks.skipped:
            names = ", ".join(catalog.display_name(n, kind) for n in checks.skipped)
            message += (
                f" Not compiled for ONNX Runtime, to keep the time budget: "
                f"{names} (served by scikit-learn if deployed)."
            )
        registered = {"level": "info", "message": message}
        with transaction.atomic():
            TrainedModel.objects.bulk_create(rows)
            # One timestamp per job, so a leaderboard sorts by job (newest first), then rank.
            TrainedModel.objects.filter(training_job_id=job.pk).update(created_at=timezone.now())
            # Rows, the completed status and its final event commit together or not at all.
            if not _end_job(
                job.pk,
                TrainingJob.Status.COMPLETED,
                only_from=(TrainingJob.Status.RUNNING,),
                where=Q(cancel_requested=False),
                events=[("log", registered)],
                progress=1.0,
            ):
                raise Cancelled()
            pipeline_mark_step(pipeline=pipeline, step="training", status=Pipeline.Status.TRAINED)
    except BaseException:
        artifacts.artifact_delete(*written)
        raise
    return len(rows)


def _pipeline_after_job(pipeline_id: int) -> None:
    """Set the pipeline's status and completed steps from what a finished job left: still
    training while another of its jobs is queued or running, else deployed, trained or
    configured by its models."""
    pipeline = Pipeline.objects.filter(pk=pipeline_id).first()
    if pipeline is None:  # deleted with its dataset while the job ended
        return
    active = (TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING)
    status: str
    if TrainingJob.objects.filter(pipeline=pipeline, status__in=active).exists():
        status = Pipeline.Status.TRAINING
    else:
        status = pipeline_status_from_models(pipeline)
    pipeline_steps_from_models(pipeline=pipeline)
    pipeline_set_status(pipeline=pipeline, status=status)


def _end_job(
    job_id,
    status: TrainingJob.Status,
    *,
    error: str = "",
    only_from: tuple[str, ...] = (TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING),
    where: Q | None = None,
    events: list[tuple[str, dict[str, Any]]] | None = None,
    **fields: Any,
) -> bool:
    """Move a job to terminal `status` and store its final status event in the same transaction.

    Returns whether this call made the change (a conditional update, so of two racing callers
    exactly one wins and exactly one final status event is stored). Any `events` are stored
    just before the status; all are broadcast after the commit, so a reader that sees the
    terminal row always finds its final event. A failure's reason also ends the job's log
    (unless its last line already says it).
    """
    with transaction.atomic():
        rows = TrainingJob.objects.filter(pk=job_id, status__in=only_from)
        if where is not None:
            rows = rows.filter(where)
        if not rows.update(status=status, error=error, completed_at=timezone.now(), **fields):
            return False
        events = list(events or [])
        if status == TrainingJob.Status.FAILED and error and _last_log(job_id, events) != error:
            events.append(("log", {"level": "error", "message": error}))
        for kind, extra in events:
            training_event_publish(job_id, kind, extra)
        progress = TrainingJob.objects.values_list("progress", flat=True).get(pk=job_id)
        payload: dict[str, Any] = {"status": str(status), "progress": progress}
        if error:
            payload["error"] = error
        training_event_publish(job_id, "status", payload)
    return True


def _last_log(job_id, events: list[tuple[str, dict[str, Any]]]) -> str:
    """The message of the job's last log line, counting `events` about to be stored."""
    for kind, extra in reversed(events):
        if kind == "log":
            return str(extra.get("message", ""))
    last = (
        TrainingEvent.objects.filter(job_id=job_id, kind=TrainingEvent.Kind.LOG)
        .order_by("-pk")
        .values_list("payload", flat=True)
        .first()
    )
    return str((last or {}).get("message", ""))


def _finish(job: TrainingJob, status: TrainingJob.Status, error: str = "") -> None:
    """End a job that has not ended yet (a job already ended, e.g. reaped, stays as it is)."""
    if not TrainingJob.objects.filter(pk=job.pk).exists():
        logger.info("job %s stopped: its pipeline or dataset was deleted.", job.pk)
        return
    _end_job(job.pk, status, error=error)
    _pipeline_after_job(job.pipeline_id)


def engine_budget(job_budget: float, started: float) -> float:
    """The engine's time budget: what is left of the job's after claiming it and loading the
    data (the engines plan their refits and the saving of the models inside it)."""
    return max(job_budget - (time.monotonic() - started), 0.1 * job_budget)


def _job_budget(job: TrainingJob) -> float:
    """The job's whole time budget in seconds."""
    return float(job.config.get("time_budget_s") or settings.VUR_DEFAULT_TIME_BUDGET_S)


def _run_engine(
    job: TrainingJob, engine: Engine, reporter: _Reporter
) -> tuple[list[Any], list[str]]:
    """Run the job's engine with what is left of the job's budget; (candidates, columns)."""
    run = engine.run(
        job.config,
        time_budget_s=engine_budget(_job_budget(job), reporter.started),
        on_event=reporter.on_event,
        should_stop=reporter.should_stop,
    )
    return run.results, run.columns


def training_job_run(*, job_id) -> None:
    """Run a queued job to the end: train, register models, or end failed/cancelled cleanly.

    Safe on redelivery: only the call that claims the queued job does anything; a redelivered
    task finds the job running (or ended) and leaves it to its worker, or to the reaper when
    that worker died. While the job runs, a background thread beats on its row.
    """
    now = timezone.now()
    if not TrainingJob.objects.filter(pk=job_id, status=TrainingJob.Status.QUEUED).update(
        status=TrainingJob.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        worker=jobs.worker_identity(),
    ):
        _reap_if_stale(job_id)
        return
    with jobs.Heartbeat(TrainingJob, job_id, settings.VUR_HEARTBEAT_S) as heartbeat:
        _run_claimed(job_id, heartbeat)


def _run_claimed(job_id, heartbeat: jobs.Heartbeat) -> None:
    job = TrainingJob.objects.select_related("pipeline__dataset").filter(pk=job_id).first()
    if job is None:  # deleted with its pipeline or dataset since it was claimed
        return
    pipeline = job.pipeline
    engine = engine_for(pipeline)
    # Errors that end the job failed with their own message (no traceback logged): a domain
    # error (VURError) already says in words what is wrong, e.g. the dataset's file is gone.
    expected: tuple[type[Exception], ...] = (*engine.failures, NoModels, VURError)
    reporter = _Reporter(job, heartbeat)
    training_event_publish(
        job.pk, "status", {"status": str(TrainingJob.Status.RUNNING), "progress": 0.0}
    )
    reporter.on_event(
        "log",
        {
            "level": "info",
            "message": f"Training {pipeline.problem_type} on '{pipeline.dataset.name}'.",
        },
    )
    from celery.exceptions import SoftTimeLimitExceeded

    try:
        with threadpool_limits(1):
            results, columns = _run_engine(job, engine, reporter)
        if not results:
            raise NoModels("No algorithm finished within the time budget.")
        budget = _job_budget(job)
        deadline = reporter.started + budget
        count = _register(
            job, pipeline, engine, results, columns, deadline, RANK1_CHECK_SLACK * budget
        )
        logger.info("job %s: registered %s models", job.pk, count)
        _pipeline_after_job(job.pipeline_id)
    except Cancelled:
        purge_job_files(job)
        _finish(job, TrainingJob.Status.CANCELLED)
    except expected as exc:
        purge_job_files(job)
        _finish(job, TrainingJob.Status.FAILED, str(exc))
    except SoftTimeLimitExceeded:
        purge_job_files(job)
        _finish(job, TrainingJob.Status.FAILED, "The job ran past its time limit and was stopped.")
    except Exception as exc:
        if not TrainingJob.objects.filter(pk=job.pk).exists():
            purge_job_files(job)  # its pipeline or dataset was deleted under it: no traceback
            _finish(job, TrainingJob.Status.CANCELLED)
            return
        logger.exception("training job %s failed", job.pk)
        purge_job_files(job)
        _finish(
            job,
            TrainingJob.Status.FAILED,
            f"Training failed unexpectedly: {type(exc).__name__}: {exc}",
        )


def training_job_force_cancel(*, job_id) -> None:
    """Backstop for a job that did not stop by itself: end it cancelled and remove its files."""
    job = TrainingJob.objects.filter(
        pk=job_id, status=TrainingJob.Status.RUNNING, cancel_requested=True
    ).first()
    if job is None:
        return
    if job.celery_task_id:
        from vur.celery import app

        app.control.revoke(job.celery_task_id, terminate=True, signal="SIGKILL")
    purge_job_files(job)
    _finish(job, TrainingJob.Status.CANCELLED)


def _stale_before(now=None):
    return (now or timezone.now()) - timedelta(seconds=settings.VUR_JOB_STALE_AFTER_S)


def _stale(before) -> Q:
    """Running jobs whose last beat (or start, if they never beat) is older than `before`."""
    return Q(heartbeat_at__lt=before) | Q(heartbeat_at__isnull=True, started_at__lt=before)


def _reap_running(job: TrainingJob, before) -> bool:
    """End one running job whose worker stopped beating: failed (cancelled if a cancel was asked).

    Conditional on the beat still being stale, so a job that beat in the meantime is left alone.
    """
    when = (job.heartbeat_at or job.started_at or job.created_at).isoformat(timespec="seconds")
    if job.cancel_requested:
        status, error = TrainingJob.Status.CANCELLED, ""
    else:
        status = TrainingJob.Status.FAILED
        error = (
            f"The worker running this job stopped responding (last heartbeat {when} on "
            f"{job.worker or 'an unknown worker'}): it was killed or lost. No model was kept; "
            "start the training again."
        )
    if not _end_job(
        job.pk, status, error=error, only_from=(TrainingJob.Status.RUNNING,), where=_stale(before)
    ):
        return False
    logger.warning("reaped training job %s (worker %s, last beat %s)", job.pk, job.worker, when)
    purge_job_files(job)
    _pipeline_after_job(job.pipeline_id)
    return True


def _reap_if_stale(job_id) -> None:
    """On redelivery of a job that is already running: end it only if its worker is gone."""
    before = _stale_before()
    job = (
        TrainingJob.objects.filter(pk=job_id, status=TrainingJob.Status.RUNNING)
        .filter(_stale(before))
        .first()
    )
    if job is not None:
        _reap_running(job, before)


def _recover_queued(job: TrainingJob, now) -> str:
    """A queued job whose broker message is gone: re-send it, or fail it after too many tries."""
    if job.enqueue_attempts >= settings.VUR_ENQUEUE_MAX_ATTEMPTS:
        error = (
            f"The job never reached a worker: its message was lost {job.enqueue_attempts} times "
            "(is the broker keeping its data?)."
        )
        if _end_job(
            job.pk, TrainingJob.Status.FAILED, error=error, only_from=(TrainingJob.Status.QUEUED,)
        ):
            _pipeline_after_job(job.pipeline_id)
            return "failed"
        return ""
    # Claim the re-send like any other state change, so two reapers never both send.
    if not TrainingJob.objects.filter(
        pk=job.pk, status=TrainingJob.Status.QUEUED, enqueue_attempts=job.enqueue_attempts
    ).update(enqueue_attempts=job.enqueue_attempts + 1, enqueued_at=now):
        return ""
    try:
        _enqueue(job.pk)
    except Exception:
        logger.exception("could not re-send training job %s", job.pk)
        return ""
    training_event_publish(
        job.pk,
        "log",
        {"level": "warning", "message": "The job's queue message was lost; it was sent again."},
    )
    return "resent"


def training_jobs_reap(*, now=None) -> dict[str, int]:
    """End jobs whose worker died and re-send queued jobs whose broker message was lost.

    Running jobs with no heartbeat for `VUR_JOB_STALE_AFTER_S` end failed with a reason (their
    files are removed, their final status event is published). Queued jobs older than
    `VUR_QUEUED_GRACE_S` that the broker no longer holds are sent again (claims are conditional,
    so a duplicate message runs nothing twice). Safe to repeat and to run concurrently.
    """
    now = now or timezone.now()
    before = _stale_before(now)
    counts = {"reaped": 0, "resent": 0, "failed": 0}
    for job in TrainingJob.objects.filter(status=TrainingJob.Status.RUNNING).filter(_stale(before)):
        counts["reaped"] += _reap_running(job, before)
    grace = now - timedelta(seconds=settings.VUR_QUEUED_GRACE_S)
    queued = list(
        TrainingJob.objects.filter(status=TrainingJob.Status.QUEUED, created_at__lt=grace).filter(
            Q(enqueued_at__lt=grace) | Q(enqueued_at__isnull=True)
        )
    )
    if queued:
        waiting = jobs.broker_task_ids(["training"])
        if waiting is not None:  # an unreadable broker is no evidence of a lost message
            for job in queued:
                if job.celery_task_id and job.celery_task_id in waiting:
                    continue
                outcome = _recover_queued(job, now)
                if outcome:
                    counts[outcome] += 1
    return counts
