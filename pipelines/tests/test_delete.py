"""Deleting a pipeline: refused (409 pipeline_in_use) while a model of it is deployed or a job
runs; otherwise its jobs, models and batch jobs go with their stored files; the dataset stays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import create_pipeline, wait_for, wait_job
from datasets.models import Dataset


def _files(folder: str) -> list[str]:
    try:
        dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [f"{folder}/{f}" for f in files] + [p for d in dirs for p in _files(f"{folder}/{d}")]


def _csv(rows: int) -> bytes:
    x = np.random.default_rng(2).normal(size=(rows, 2)).round(4)
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": (x[:, 0] + x[:, 1]).round(4)})
    return frame.to_csv(index=False).encode()


@pytest.mark.django_db(transaction=True)
def test_pipeline_delete_takes_its_models_and_batch_files_and_keeps_the_dataset(
    api, other_api, owner, admin_client, celery_worker
):
    up = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("r.csv", _csv(60)), "name": "r"},
        format="multipart",
    ).json()
    pipe = create_pipeline(api, up["id"], "y", "regression")
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["linear"], "time_budget_s": 3},
        format="json",
    ).json()
    assert wait_job(api, job["job_id"])["status"] == "completed"
    model_id = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"][0]["id"]
    dep = api.post("/api/v1/deployment/deploy", {"model_id": model_id}, format="json").json()
    batch = api.post(
        "/api/v1/predictions/batch",
        {"file": SimpleUploadedFile("rows.csv", _csv(5)), "model_id": model_id},
        format="multipart",
    ).json()
    wait_for(
        lambda: api.get(f"/api/v1/predictions/batch/{batch['job_id']}").json(),
        lambda b: b["status"] in ("completed", "failed"),
    )
    model_files = _files(f"models/{owner.pk}/{job['job_id']}")
    batch_files = _files(f"batch/{owner.pk}/{batch['job_id']}")
    dataset_file = Dataset.objects.get(pk=up["id"]).file.name
    assert model_files and len(batch_files) == 2 and default_storage.exists(dataset_file)

    refused = api.delete(f"/api/v1/pipelines/{pipe['id']}/")
    assert refused.status_code == 409 and refused.json()["code"] == "pipeline_in_use"
    assert f"model {model_id}" in refused.json()["detail"]
    assert all(default_storage.exists(p) for p in model_files + batch_files)
    # The admin refuses too: the reason is listed as protected and a POST deletes nothing.
    page = admin_client.get(f"/admin/pipelines/pipeline/{pipe['id']}/delete/")
    assert page.status_code == 200 and f"model {model_id}" in page.content.decode()
    admin_client.post(f"/admin/pipelines/pipeline/{pipe['id']}/delete/", {"post": "yes"})
    assert api.get(f"/api/v1/pipelines/{pipe['id']}/").status_code == 200
    api.post(f"/api/v1/deployment/{dep['id']}/undeploy")

    assert other_api.delete(f"/api/v1/pipelines/{pipe['id']}/").status_code == 404
    assert api.delete(f"/api/v1/pipelines/{pipe['id']}/").status_code == 204
    for path in model_files + batch_files:
        assert not default_storage.exists(path), path
    assert default_storage.exists(dataset_file)
    assert api.get(f"/api/v1/datasets/{up['id']}/").status_code == 200
    assert api.get(f"/api/v1/models/{model_id}/").status_code == 404
    assert api.get(f"/api/v1/training/{job['job_id']}/status").status_code == 404
