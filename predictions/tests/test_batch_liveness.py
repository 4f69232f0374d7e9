"""Batch scoring jobs get the same liveness rules as training: a job whose worker stopped
beating ends failed (and says so on its channel group); a queued job whose broker message was
lost is sent again and scored once.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core.files.base import ContentFile
from django.utils import timezone

from conftest import sample_path, wait_for
from predictions import services
from predictions.models import BatchJob

pytestmark = pytest.mark.django_db(transaction=True)


def _batch(owner, model, **fields) -> BatchJob:
    job = BatchJob(owner=owner, model=model, input_format="csv", **fields)
    job.input_file.save("rows.csv", ContentFile(sample_path("penguins.csv").read_bytes()))
    return job


def test_a_batch_job_whose_worker_stopped_beating_ends_failed_and_says_so(
    owner, deployed_model, settings
):
    stale = timezone.now() - timedelta(seconds=settings.VUR_JOB_STALE_AFTER_S + 30)
    job = _batch(owner, deployed_model, status="running", worker="gone-host:123")
    BatchJob.objects.filter(pk=job.pk).update(started_at=stale, heartbeat_at=stale)
    fresh = _batch(owner, deployed_model, status="running")
    BatchJob.objects.filter(pk=fresh.pk).update(started_at=stale, heartbeat_at=timezone.now())
    layer = get_channel_layer()

    async def listen_then_reap() -> dict:
        channel = await layer.new_channel()
        await layer.group_add(services.batch_group(job.pk), channel)
        counts = await database_sync_to_async(services.batch_jobs_reap)()
        message = await layer.receive(channel)
        await layer.group_discard(services.batch_group(job.pk), channel)
        return {"counts": counts, "message": message}

    out = async_to_sync(listen_then_reap)()
    assert out["counts"]["reaped"] == 1
    event = out["message"]["event"]
    assert event["status"] == "failed" and "gone-host:123" in event["error"]
    job.refresh_from_db()
    assert job.status == "failed" and "stopped responding" in job.error and job.completed_at
    fresh.refresh_from_db()
    assert fresh.status == "running"  # it beats: left alone
    assert services.batch_jobs_reap()["reaped"] == 0


def test_a_queued_batch_job_whose_message_was_lost_is_sent_again_and_scored(
    owner, deployed_model, settings, celery_worker
):
    past = timezone.now() - timedelta(seconds=settings.VUR_QUEUED_GRACE_S + 60)
    job = _batch(owner, deployed_model, celery_task_id=str(uuid.uuid4()))
    BatchJob.objects.filter(pk=job.pk).update(created_at=past, enqueued_at=past)
    assert services.batch_jobs_reap()["resent"] == 1
    done = wait_for(
        lambda: BatchJob.objects.get(pk=job.pk),
        lambda j: j.status in ("completed", "failed"),
        timeout=120,
    )
    assert done.status == "completed", done.error
    assert done.rows_done == done.rows_total > 0 and done.enqueue_attempts == 1
    assert services.batch_jobs_reap() == {"reaped": 0, "resent": 0, "failed": 0}
