"""Celery tasks of the predictions stage: they load by id and call one service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from predictions import services


@shared_task(
    name="predictions.run_batch_job",
    acks_late=True,
    soft_time_limit=settings.VUR_BATCH_SOFT_TIME_LIMIT_S,
    time_limit=settings.VUR_BATCH_SOFT_TIME_LIMIT_S + 120,
)
def run_batch_job(job_id: str) -> None:
    """Score one batch file (claimed by conditional update, so redelivery is harmless)."""
    services.batch_run(job_id=job_id)


@shared_task(name="predictions.reap_stale_batch_jobs", ignore_result=True)
def reap_stale_batch_jobs() -> dict[str, int]:
    """Periodic (Celery beat): end batch jobs whose worker died, re-send lost queued ones."""
    return services.batch_jobs_reap()
