"""Jobs whose worker dies, and queued jobs whose broker message is lost, do not hang forever.

A real prefork Celery worker runs a training job in its own process group; the test SIGKILLs
the whole worker (or only its pool child), then the reaper ends the job failed with a reason,
its final status event stored, and no model left behind. Waits are on conditions, never on the
machine's speed: the stale threshold is shortened by setting, not by sleeping.
"""

from __future__ import annotations

import os
import signal
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from conftest import create_pipeline, upload_sample, wait_job
from modeling.models import TrainedModel
from training import services
from training.models import TrainingEvent, TrainingJob
from vur.jobs import broker_task_ids
from vur.tests.stack import http_json, running_stack, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

# The worker beats every 0.5 s; a beat older than 3 s means it is gone (defaults: 10 s / 60 s).
FAST = {"VUR_HEARTBEAT_S": "0.5", "VUR_JOB_STALE_AFTER_S": "3"}


def _job(job_id) -> TrainingJob:
    return TrainingJob.objects.get(pk=job_id)


@pytest.mark.parametrize("victim", ["whole_worker", "pool_child"])
def test_a_job_whose_worker_is_killed_ends_failed_with_a_reason(
    victim, api, owner, settings, tmp_path
):
    settings.VUR_HEARTBEAT_S = 0.5
    settings.VUR_JOB_STALE_AFTER_S = 3.0
    ds = upload_sample(api, "credit_scoring.csv")
    pipe = create_pipeline(api, ds["id"], "Status", "classification")
    token = str(AccessToken.for_user(owner))
    with running_stack(tmp_path, web=True, worker=True, **FAST) as stack:
        status, job = http_json(
            "POST",
            f"{stack.base}/api/v1/training/start",
            {"pipeline_id": pipe["id"], "algorithms": "auto", "time_budget_s": 300},
            token=token,
        )
        assert status == 202, job
        job_id = job["job_id"]
        # Running, beating, and on the worker's pool child (not the test's process).
        running = wait_until(
            lambda: (j := _job(job_id)).status == "running" and j.heartbeat_at and j.worker and j,
            180,
            "the job to run on the worker",
        )
        child_pid = int(running.worker.rsplit(":", 1)[1])
        assert child_pid != os.getpid() and child_pid != stack.procs["worker"].pid
        wait_until(lambda: _job(job_id).heartbeat_at > running.heartbeat_at, 60, "a second beat")

        if victim == "whole_worker":
            stack.kill("worker")
        else:
            os.kill(child_pid, signal.SIGKILL)
            # The surviving parent redelivers the task to a new child, which must not run the
            # job a second time while it is still marked running.
            wait_until(
                lambda: (
                    "WorkerLostError" in stack.log("worker")
                    or "Process 'ForkPoolWorker" in stack.log("worker")
                ),
                60,
                "the worker to notice its lost child",
            )

        ended = wait_until(
            lambda: services.training_jobs_reap()["reaped"] or _job(job_id).is_terminal,
            60,
            "the reaper to end the job",
            interval=0.5,
        )
        assert ended
        if victim == "pool_child":
            assert stack.procs["worker"].poll() is None, stack.log("worker")

    final = _job(job_id)
    assert final.status == "failed", final.error
    assert "worker" in final.error and "stopped responding" in final.error
    assert final.completed_at is not None
    events = list(TrainingEvent.objects.filter(job_id=job_id))
    assert events[-1].kind == "status" and events[-1].payload["status"] == "failed"
    assert events[-1].payload["error"] == final.error
    # One run only: the redelivered task did not start the job again.
    running_events = [e for e in events if e.kind == "status" and e.payload["status"] == "running"]
    assert len(running_events) == 1
    assert not TrainedModel.objects.filter(training_job_id=job_id).exists()
    # A second pass changes nothing (idempotent) and adds no second final event.
    assert services.training_jobs_reap()["reaped"] == 0
    assert TrainingEvent.objects.filter(job_id=job_id).count() == len(events)
    res = api.get(f"/api/v1/training/{job_id}/status").json()
    assert res["status"] == "failed" and res["error"] == final.error


def test_a_job_that_beats_is_never_reaped(api, owner):
    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    job = TrainingJob.objects.create(
        owner=owner,
        pipeline_id=pipe["id"],
        status="running",
        started_at=timezone.now() - timedelta(hours=1),
        heartbeat_at=timezone.now(),
    )
    assert services.training_jobs_reap()["reaped"] == 0
    assert _job(job.pk).status == "running"


def test_a_queued_job_whose_message_was_lost_is_sent_again_and_runs_once(
    api, owner, celery_worker, settings
):
    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    past = timezone.now() - timedelta(seconds=settings.VUR_QUEUED_GRACE_S + 60)
    # What a broker restart without persistence leaves: a queued row, no message anywhere.
    job = TrainingJob.objects.create(
        owner=owner,
        pipeline_id=pipe["id"],
        # One search proposal: the job ends when its work is done, not at the budget.
        config={"algorithms": ["linear"], "hyperparameters": {}, "search": {"n_iter": 1},
                "time_budget_s": 20},
        celery_task_id=str(uuid.uuid4()),
    )  # fmt: skip
    TrainingJob.objects.filter(pk=job.pk).update(created_at=past, enqueued_at=past)

    counts = services.training_jobs_reap()
    assert counts["resent"] == 1
    done = wait_job(api, str(job.pk))
    assert done["status"] == "completed", done
    models = TrainedModel.objects.filter(training_job_id=job.pk).count()
    assert models >= 1
    assert services.training_jobs_reap() == {"reaped": 0, "resent": 0, "failed": 0}

    # A duplicate message for the same job (a re-send racing a slow delivery) runs nothing.
    from training.tasks import run_training_job

    run_training_job.apply_async(args=[str(job.pk)], queue="training").get(timeout=120)
    assert TrainedModel.objects.filter(training_job_id=job.pk).count() == models
    statuses = TrainingEvent.objects.filter(job_id=job.pk, kind="status")
    assert [e.payload["status"] for e in statuses] == ["running", "completed"]


def test_a_queued_job_lost_too_often_ends_failed(api, owner, settings):
    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    past = timezone.now() - timedelta(seconds=settings.VUR_QUEUED_GRACE_S + 60)
    job = TrainingJob.objects.create(
        owner=owner,
        pipeline_id=pipe["id"],
        celery_task_id=str(uuid.uuid4()),
        enqueue_attempts=settings.VUR_ENQUEUE_MAX_ATTEMPTS,
    )
    TrainingJob.objects.filter(pk=job.pk).update(created_at=past, enqueued_at=past)
    assert services.training_jobs_reap()["failed"] == 1
    job.refresh_from_db()
    assert job.status == "failed" and "never reached a worker" in job.error
    last = TrainingEvent.objects.filter(job=job).last()
    assert last.kind == "status" and last.payload["status"] == "failed"


def test_the_broker_reader_sees_a_waiting_message():
    from training.tasks import run_training_job
    from vur.celery import app

    queue = f"probe-{uuid.uuid4().hex[:8]}"  # no worker listens here
    result = run_training_job.apply_async(args=[str(uuid.uuid4())], queue=queue)
    try:
        assert result.id in broker_task_ids([queue])
        assert result.id not in broker_task_ids(["training-nobody"])
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.client.delete(queue)
