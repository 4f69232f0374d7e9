"""A dead broker at enqueue time: 503 `broker_unavailable`, and the job ends failed, not queued.

The Celery app is pointed at a real TCP port on which nothing listens, so publishing really fails.
"""

from __future__ import annotations

import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import create_pipeline, sample_path, upload_sample
from predictions.models import BatchJob
from training.models import TrainingEvent, TrainingJob

pytestmark = pytest.mark.django_db(transaction=True)


def _drop_broker_pools(app) -> None:
    """Forget the app's broker pools so the next publish looks them up for the current URL.

    Not closed: kombu keeps producer pools in a registry keyed by URL, and the live broker's
    pool is picked up again once the URL is restored. Private Celery attributes: if they change,
    the 503 tests below fail loudly (they really publish).
    """
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def dead_broker():
    """Point the Celery app at a closed local port for the test; restore it afterwards."""
    from vur.celery import app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    before = app.conf.broker_url
    _drop_broker_pools(app)
    app.conf.broker_url = f"redis://127.0.0.1:{port}/0"
    try:
        yield
    finally:
        _drop_broker_pools(app)
        app.conf.broker_url = before


def test_training_start_answers_503_and_fails_the_job_when_the_broker_is_down(api, dead_broker):
    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert res.status_code == 503, res.content
    body = res.json()
    assert body["code"] == "broker_unavailable" and body["detail"]
    job = TrainingJob.objects.get()
    assert job.status == "failed" and "broker" in job.error and job.completed_at
    last = TrainingEvent.objects.filter(job=job).last()
    assert last.kind == "status" and last.payload["status"] == "failed"
    # The pipeline is not left "training" behind a job that will never run.
    assert api.get(f"/api/v1/pipelines/{pipe['id']}/").json()["status"] != "training"


def test_batch_start_answers_503_and_fails_the_job_when_the_broker_is_down(
    api, deployed_model, dead_broker
):
    content = sample_path("penguins.csv").read_bytes()
    res = api.post(
        "/api/v1/predictions/batch",
        {"model_id": deployed_model.pk, "file": SimpleUploadedFile("rows.csv", content)},
        format="multipart",
    )
    assert res.status_code == 503, res.content
    assert res.json()["code"] == "broker_unavailable"
    job = BatchJob.objects.get()
    assert job.status == "failed" and "broker" in job.error
    answer = api.get(f"/api/v1/predictions/batch/{job.pk}").json()
    assert answer["status"] == "failed" and answer["error"]


def test_publishing_works_again_once_the_test_broker_is_restored():
    """Runs after the tests above: the fixture put the real broker back."""
    import uuid

    from training.tasks import run_training_job
    from vur.celery import app
    from vur.jobs import broker_task_ids

    queue = f"probe-{uuid.uuid4().hex[:8]}"
    result = run_training_job.apply_async(args=[str(uuid.uuid4())], queue=queue)
    try:
        assert result.id in broker_task_ids([queue])
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.client.delete(queue)
