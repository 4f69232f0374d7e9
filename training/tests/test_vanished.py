"""A training job whose pipeline (or dataset) is deleted under it, as the admin or a concurrent
delete can do, stops quietly: no traceback, no files left, and the worker goes on working."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import create_pipeline, wait_for, wait_job
from pipelines.models import Pipeline
from training.models import TrainingEvent, TrainingJob

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(api) -> dict:
    x = np.random.default_rng(4).normal(size=(300, 3)).round(4)
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": x[:, 0] > 0})
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("v.csv", frame.to_csv(index=False).encode()), "name": "v"},
        format="multipart",
    )
    assert res.status_code == 201, res.json()
    return res.json()


def _start(api, pipeline_id: int, budget: float) -> str:
    res = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipeline_id, "algorithms": "auto", "time_budget_s": budget},
        format="json",
    )
    assert res.status_code == 202, res.json()
    return res.json()["job_id"]


def test_job_whose_pipeline_vanished_stops_without_a_traceback(api, owner, caplog, celery_worker):
    caplog.set_level(logging.INFO)
    ds = _upload(api)
    pipe = create_pipeline(api, ds["id"], "y", "classification")
    job_id = _start(api, pipe["id"], 60)
    running = wait_for(
        lambda: TrainingEvent.objects.filter(job_id=job_id, kind="progress").count(),
        lambda n: n >= 2,
    )
    assert running >= 2
    Pipeline.objects.filter(pk=pipe["id"]).delete()  # bypasses the service, like the admin
    assert not TrainingJob.objects.filter(pk=job_id).exists()
    stopped = wait_for(
        lambda: [r for r in caplog.records if "was deleted" in r.getMessage()],
        bool,
        timeout=120,
    )
    assert stopped and job_id in stopped[0].getMessage()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    try:
        _dirs, left = default_storage.listdir(f"models/{owner.pk}/{job_id}")
    except FileNotFoundError:
        left = []
    assert left == []

    # The worker is fine: the next job on another pipeline completes.
    other = create_pipeline(api, ds["id"], "y", "classification")
    assert wait_job(api, _start(api, other["id"], 3))["status"] == "completed"


GONE = (
    "The stored file of dataset 'v' is missing: its data is no longer there. "
    "Restore the file or upload it again."
)


def test_job_whose_dataset_file_goes_after_its_start_fails_with_the_reason(api, owner, caplog):
    """The dataset's stored file deleted from storage between the start (which checks it) and
    the run (a restore that missed it, a cleaned disk): the job ends failed with the same
    sentence the dataset's pages give, not as an unexpected error with its exception class
    and a traceback in the worker log."""
    from datasets.models import Dataset
    from training.services import training_job_run

    caplog.set_level(logging.INFO)
    ds = _upload(api)
    pipe = create_pipeline(api, ds["id"], "y", "classification")
    # Queued as a start would queue it, then run here: no worker may claim it before the
    # file is deleted.
    job = TrainingJob.objects.create(
        owner=owner,
        pipeline_id=pipe["id"],
        config={"algorithms": ["linear"], "hyperparameters": {}, "time_budget_s": 10},
    )
    default_storage.delete(Dataset.objects.get(pk=ds["id"]).file.name)
    training_job_run(job_id=job.pk)
    final = api.get(f"/api/v1/training/{job.pk}/status").json()
    assert final["status"] == "failed"
    assert final["error"] == GONE
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


def test_start_on_a_dataset_whose_file_is_gone_is_refused(api, owner, client):
    """Over REST and from the wizard's start form: a 409 with the sentence the run would fail
    on, and no job (nor a pipeline marked training)."""
    from datasets.models import Dataset

    ds = _upload(api)
    pipe = create_pipeline(api, ds["id"], "y", "classification")
    default_storage.delete(Dataset.objects.get(pk=ds["id"]).file.name)
    body = {"pipeline_id": pipe["id"], "algorithms": "auto", "time_budget_s": 10}
    res = api.post("/api/v1/training/start", body, format="json")
    assert res.status_code == 409, res.json()
    assert res.json() == {"detail": GONE, "code": "dataset_file_missing"}

    client.force_login(owner)
    page = client.post(
        f"/pipelines/{pipe['id']}/wizard/training/", {"choice": "auto", "time_budget_s": "10"}
    )
    assert page.status_code == 409
    assert GONE.replace("'", "&#x27;") in page.content.decode()

    assert not TrainingJob.objects.filter(pipeline_id=pipe["id"]).exists()
    assert Pipeline.objects.get(pk=pipe["id"]).status != Pipeline.Status.TRAINING
