"""The dashboard page: stats cards, open alerts, running jobs (refreshed live), recent activity
and quick actions, from the monitoring dashboard services."""

from __future__ import annotations

import shutil

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from datasets.selectors import dataset_list
from datasets.services import sample_entries
from monitoring import services as dashboard_services
from training.models import TrainingJob
from training.pages import worker_note
from training.selectors import training_job_list

ACTIVE_JOB_STATES = (TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING)


def _open_alerts(user) -> list | None:
    """Open alerts when the monitoring app provides them (None when it does not yet)."""
    try:
        from monitoring.selectors import alert_list_open
    except ImportError:
        return None
    return list(alert_list_open(user=user)[:10])


def _running_jobs(user) -> list:
    active = training_job_list(user=user).filter(status__in=ACTIVE_JOB_STATES)
    jobs = list(active.select_related("pipeline").order_by("-created_at")[:10])
    for job in jobs:  # read by the template: why a queued job does not start
        setattr(job, "worker_note", worker_note(job))  # noqa: B010 - not a model field
    return jobs


def _storage(stats: dict, user) -> dict:
    """Bytes of datasets stored (from the stats' GB figure) and, for staff only (it is the
    server's disk, not the user's quota), the free space on the data disk."""
    from django.conf import settings

    free = None
    if user.is_staff:
        try:
            free = shutil.disk_usage(settings.MEDIA_ROOT).free
        except OSError:
            free = None
    used = int(round((stats.get("storage_used") or 0) * 1024**3))
    return {"used_bytes": used, "free_bytes": free}


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The signed-in user's overview, with links to every next step."""
    user = request.user
    # Alerts raised after this moment are the ones the page's socket adds (and counts).
    rendered_at = timezone.now().isoformat(timespec="milliseconds")
    stats = dashboard_services.dashboard_stats(user=user, explain=True)
    datasets = list(dataset_list(user=user)[:5])
    context = {
        "stats": stats,
        "storage": _storage(stats, user),
        "health_reason": stats["health_reason"],
        "activity": dashboard_services.recent_activity(user=user, limit=10, offset=0),
        "actions": dashboard_services.quick_actions(user=user),
        "alerts": _open_alerts(user),
        "jobs": _running_jobs(user),
        "datasets": datasets,
        # With no dataset yet, the datasets card offers the bundled samples.
        "samples": [] if datasets else sample_entries(),
        "rendered_at": rendered_at,
    }
    return render(request, "dashboard/index.html", context)


@login_required
def running_jobs_partial(request: HttpRequest) -> HttpResponse:
    """The running-jobs card's body; the dashboard polls it every few seconds."""
    return render(request, "dashboard/_jobs.html", {"jobs": _running_jobs(request.user)})
