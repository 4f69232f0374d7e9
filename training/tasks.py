"""Celery tasks of the training stage: they load by id and call one service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from training import services


@shared_task(
    name="training.run_training_job",
    acks_late=True,
    soft_time_limit=settings.VUR_TRAINING_SOFT_TIME_LIMIT_S,
    time_limit=settings.VUR_TRAINING_SOFT_TIME_LIMIT_S + 120,
)
def run_training_job(job_id: str) -> None:
    """Run one training job (claimed by conditional update, so redelivery is harmless)."""
    services.training_job_run(job_id=job_id)


@shared_task(name="training.enforce_training_cancel", acks_late=True)
def enforce_training_cancel(job_id: str) -> None:
    """Stop a job that is still running some seconds after its cancel was requested."""
    services.training_job_force_cancel(job_id=job_id)


@shared_task(name="training.reap_stale_jobs", ignore_result=True)
def reap_stale_jobs() -> dict[str, int]:
    """Periodic (Celery beat): end jobs whose worker died, re-send queued jobs the broker lost."""
    return services.training_jobs_reap()
