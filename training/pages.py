"""Training pages: the job list, a job's live page (progress, logs, curves), its leaderboard
partial and the cancel action. Thin: selectors and services do the work."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from modeling.catalog import ALGORITHMS
from modeling.metrics import primary_metric
from modeling.selectors import trained_model_list
from modeling.templatetags.modeling_labels import (
    algorithm_label,
    metric_column,
    metric_direction,
    metric_label,
    metric_score,
    rank_score,
)
from pipelines.models import Pipeline
from training import selectors, services
from training.events import event_dict
from training.models import TrainingJob
from training.serializers import EpochMetricSerializer, TrainingJobSerializer
from vur.errors import NotFound, VURError
from vur.pages import is_htmx
from vur.workers import queued_job_note

LOG_LINES_SHOWN = 500


def _job(request: HttpRequest, job_id) -> TrainingJob:
    try:
        return selectors.training_job_get(user=request.user, job_id=job_id)
    except NotFound:
        raise Http404("Training job not found.") from None


def _leaderboard(request: HttpRequest, job: TrainingJob) -> list:
    """The job's models, best first, each with its scores as the leaderboard writes them: one
    number format per column (`rank_text`, `holdout_text`)."""
    models = list(
        trained_model_list(user=request.user).filter(training_job_id=job.pk).order_by("rank")
    )
    if models:
        metric = models[0].primary_metric
        ranked = metric_column([rank_score(m) for m in models], metric)
        holdout = metric_column([m.primary_value for m in models], metric)
        for model, rank_text, holdout_text in zip(models, ranked, holdout, strict=True):
            setattr(model, "rank_text", rank_text)  # noqa: B010 - read by the template only
            setattr(model, "holdout_text", holdout_text)  # noqa: B010
    return models


@login_required
def training_list(request: HttpRequest) -> HttpResponse:
    """Every training job of the user, newest first, each linking to its live page."""
    jobs = selectors.training_job_list(user=request.user).select_related("pipeline")
    page = Paginator(jobs, 25).get_page(request.GET.get("page"))
    live = any(not j.is_terminal for j in page.object_list)
    for j in page.object_list:  # what the "Best score" column shows, read by the template
        setattr(j, "best_text", best_score_text(j))  # noqa: B010 - not a model field
    context = {"page": page, "jobs": page.object_list, "live": live}
    # While a job on the page runs, the table refreshes itself every few seconds (htmx).
    template = "training/_jobs.html" if is_htmx(request) else "training/list.html"
    return render(request, template, context)


@login_required
def training_detail(request: HttpRequest, job_id) -> HttpResponse:
    """A job's page: progress with ETA, log lines and loss curves (live over the WebSocket),
    the cancel button and the leaderboard."""
    return render(request, "training/detail.html", _detail_context(request, _job(request, job_id)))


def job_metric(job: TrainingJob) -> str:
    """The metric a job's best score is measured in: MASE (backtest) for forecasting, else the
    primary metric of the problem type (AUC, RMSE)."""
    problem_type = job.pipeline.problem_type
    if problem_type == Pipeline.ProblemType.FORECASTING:
        return "mase"
    return primary_metric(problem_type)[0]


def best_score_text(job: TrainingJob) -> str:
    """The job list's "Best score": the metric's name and the rounded value ("AUC 0.847",
    "RMSE 72,617"); for a job that ended without models, that none was kept."""
    if job.status in (TrainingJob.Status.CANCELLED, TrainingJob.Status.FAILED):
        return "no models kept"
    if job.best_metric is None:
        return "–"
    return metric_score(job.best_metric, job_metric(job))


def _score_facts(job: TrainingJob, models: list) -> dict:
    """What the page says about the job's best score (metric and direction) and epochs: the
    iterative algorithms, and which of this job's algorithms have none."""
    problem_type = job.pipeline.problem_type
    metric = job_metric(job)
    iterative = sorted(name for name, spec in ALGORITHMS.items() if spec.supports_epochs)
    trained = sorted({m.algorithm for m in models} | set(_requested_algorithms(job)))
    return {
        "best_label": (
            f"Best {'backtest' if problem_type == 'forecasting' else 'validation'} "
            f"{metric_label(metric)} so far"
        ),
        "best_direction": metric_direction(metric),
        "best_metric_name": metric,
        "iterative_algorithms": iterative,
        # Named for the job's problem type, as its models are ("Ridge regression").
        "algorithm_names": {name: algorithm_label(name, problem_type) for name in ALGORITHMS},
        "epoch_algorithm": job.current_algorithm in iterative,
        "no_epoch_algorithms": [
            algorithm_label(a, problem_type) for a in trained if a not in iterative
        ],
    }


def _requested_algorithms(job: TrainingJob) -> list[str]:
    names = (job.config or {}).get("algorithms")
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _detail_context(request: HttpRequest, job: TrainingJob, **extra) -> dict:
    stored = selectors.training_events_after(job_id=job.pk)
    latest = stored.filter(kind="log").order_by("-pk")[:LOG_LINES_SHOWN]
    logs = [event_dict(e) for e in reversed(latest)]
    last_seq = stored.order_by("-pk").values_list("pk", flat=True).first() or 0
    models = _leaderboard(request, job)
    return {
        "job": job,
        "pipeline": job.pipeline,
        "logs": logs,
        "last_seq": last_seq,
        "status_json": dict(TrainingJobSerializer(job).data),
        # A running job's points arrive with the socket's replay; a finished one has no socket.
        "epochs_json": EpochMetricSerializer(job.epoch_metrics.all(), many=True).data
        if job.is_terminal
        else [],
        "models": models,
        "worker_note": worker_note(job),
        # How long after its worker's last heartbeat a job whose worker stopped is failed.
        "stale_s": round(settings.VUR_JOB_STALE_AFTER_S + settings.VUR_REAPER_INTERVAL_S),
        **_score_facts(job, list(models)),
        **extra,
    }


def worker_note(job: TrainingJob) -> str:
    """For a job queued longer than a few seconds while no worker answers, that it will start
    when one is back; else ""."""
    return queued_job_note(job.status, job.enqueued_at or job.created_at)


@login_required
def training_worker_note(request: HttpRequest, job_id) -> HttpResponse:
    """The job page's note about a queue no worker takes from (it polls while the job waits)."""
    job = _job(request, job_id)
    return render(
        request, "training/_worker_note.html", {"job": job, "worker_note": worker_note(job)}
    )


@login_required
def training_leaderboard(request: HttpRequest, job_id) -> HttpResponse:
    """The leaderboard partial (htmx refreshes it when the job's status changes)."""
    job = _job(request, job_id)
    return render(
        request, "training/_leaderboard.html", {"job": job, "models": _leaderboard(request, job)}
    )


@login_required
@require_POST
def training_cancel(request: HttpRequest, job_id) -> HttpResponse:
    """Ask the job to stop; answers the status panel (htmx) or redirects back to the job."""
    job = _job(request, job_id)
    error = ""
    try:
        job = services.training_job_cancel(job=job)
    except VURError as exc:
        error = exc.detail
        job.refresh_from_db()
    if is_htmx(request):
        return render(request, "training/_cancel.html", {"job": job, "error": error})
    if error:
        context = _detail_context(request, job, cancel_error=error)
        return render(request, "training/detail.html", context, status=409)
    return redirect("ui-training-detail", job_id=job.pk)
