"""Jobs waiting in a queue no worker takes from: the job page, the dashboard's running jobs and
the batch panel say so (from the health check's ping, cached briefly); with a worker, nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from conftest import pipeline_on_sample
from training.models import TrainingJob
from vur import workers
from vur.tests.stack import ROOT, database_url

NOTE = "No worker is answering: the job will start when one is back (see /health/)."


def _pages_without_worker(user, paths: list[str]) -> dict:
    """GET `paths` as `user` in a web process of its own whose broker prefix no worker listens
    on; returns {"pages": [text, ...], "cached": the workers' cached status after them}.

    A process of its own: kombu remembers pidbox queues per process, so pinging through another
    prefix here would hide the real workers from later tests (see test_operations)."""
    code = (
        "import django, json, sys; django.setup(); from django.test import Client; "
        "from django.contrib.auth import get_user_model; from django.core.cache import cache; "
        "from vur import workers; c = Client(); "
        "c.force_login(get_user_model().objects.get(pk=int(sys.argv[1]))); "
        "pages = [c.get(p).content.decode() for p in sys.argv[2:]]; "
        "print(json.dumps({'pages': pages, 'cached': cache.get(workers._cache_key())}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vur.settings.test",
        "DATABASE_URL": database_url(),
        "VUR_BROKER_PREFIX": f"vurnoworker{uuid.uuid4().hex[:8]}:",
        "VUR_HEALTH_TIMEOUT_S": "0.5",
        # Jobs waiting 120 s are past it, jobs just made stay short of it however slow this is.
        "VUR_QUEUE_NOTE_AFTER_S": "60",
    }
    out = subprocess.run(
        [sys.executable, "-c", code, str(user.pk), *paths],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _queued_job(owner, waited_s: float) -> TrainingJob:
    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    return TrainingJob.objects.create(
        owner=owner,
        pipeline=pipeline,
        config={"time_budget_s": 10},
        enqueued_at=timezone.now() - timedelta(seconds=waited_s),
    )


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_pages_say_no_worker_answers_for_a_job_queued_a_while(owner, deployed_model):
    from predictions.models import BatchJob

    waiting = _queued_job(owner, waited_s=120)
    just_queued = _queued_job(owner, waited_s=0)
    running = _queued_job(owner, waited_s=120)
    TrainingJob.objects.filter(pk=running.pk).update(status=TrainingJob.Status.RUNNING)
    batch = BatchJob.objects.create(
        owner=owner,
        model=deployed_model,
        input_file="batch/in.csv",
        enqueued_at=timezone.now() - timedelta(seconds=120),
    )
    answer = _pages_without_worker(
        owner,
        [
            f"/training/{just_queued.pk}/",
            f"/training/{waiting.pk}/",
            f"/training/{waiting.pk}/worker-note/",
            "/dashboard/jobs/",
            f"/predictions/batch/{batch.pk}/",
            f"/training/{running.pk}/worker-note/",
        ],
    )
    fresh, page, note, jobs, panel, not_queued = answer["pages"]
    # A job just queued has had no time to be picked up: nothing is said (or pinged) yet.
    assert NOTE not in fresh
    assert NOTE in page and 'id="job-worker-note"' in page
    assert NOTE in note and "hx-trigger" in note  # it keeps polling while the job waits
    # The dashboard names it on the waiting job only.
    assert jobs.count(NOTE) == 1
    assert NOTE in panel and 'id="batch-worker-note"' in panel
    # A job a worker has taken stops polling for the note.
    assert NOTE not in not_queued and "hx-trigger" not in not_queued and "hidden" in not_queued
    # The answer came from a real ping and is kept for the next polls.
    assert answer["cached"] == "down"


@pytest.mark.django_db(transaction=True)
def test_no_note_while_a_worker_answers(owner, celery_worker):
    cache.delete(workers._cache_key())
    job = _queued_job(owner, waited_s=30)  # not sent to the broker: it stays queued
    client = _signed_in(owner)
    assert NOTE not in client.get(f"/training/{job.pk}/").content.decode()
    assert NOTE not in client.get("/dashboard/jobs/").content.decode()
    assert cache.get(workers._cache_key()) == "ok"
