"""Deleting a dataset: refused (409 dataset_in_use) while work runs on it or a model built on
it is deployed; otherwise its rows and every stored file built on it (dataset file, model
artifacts and cards, batch inputs and results) go, the files only once the deletion commits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from conftest import create_pipeline, wait_for, wait_job
from datasets.models import Dataset
from datasets.services import dataset_delete


def _files(folder: str) -> list[str]:
    """Every stored file under `folder` (recursively); [] when it does not exist."""
    try:
        dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    out = [f"{folder}/{f}" for f in files]
    for d in dirs:
        out += _files(f"{folder}/{d}")
    return out


def _table(rows: int = 80) -> bytes:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(rows, 2)).round(4)
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": np.where(x[:, 0] > 0, "yes", "no")})
    return frame.to_csv(index=False).encode()


def _upload(client, name: str = "t") -> dict:
    res = client.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile(f"{name}.csv", _table()), "name": name},
        format="multipart",
    )
    assert res.status_code == 201, res.json()
    return res.json()


def _train(api, pipeline_id: int, budget: float = 3) -> str:
    res = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipeline_id, "algorithms": ["linear"], "time_budget_s": budget},
        format="json",
    )
    assert res.status_code == 202, res.json()
    return res.json()["job_id"]


@pytest.mark.django_db(transaction=True)
def test_delete_removes_the_dataset_its_models_and_batch_files(
    api, other_api, owner, celery_worker
):
    ds = _upload(api)
    theirs = _upload(other_api, "theirs")
    pipe = create_pipeline(api, ds["id"], "y", "classification")
    job_id = _train(api, pipe["id"])
    assert wait_job(api, job_id)["status"] == "completed"
    model_id = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"][0]["id"]
    dep = api.post("/api/v1/deployment/deploy", {"model_id": model_id}, format="json").json()
    batch = api.post(
        "/api/v1/predictions/batch",
        {"file": SimpleUploadedFile("rows.csv", _table(10)), "model_id": model_id},
        format="multipart",
    ).json()
    done = wait_for(
        lambda: api.get(f"/api/v1/predictions/batch/{batch['job_id']}").json(),
        lambda b: b["status"] in ("completed", "failed"),
    )
    assert done["status"] == "completed", done

    dataset_files = [Dataset.objects.get(pk=ds["id"]).file.name]
    their_file = Dataset.objects.get(pk=theirs["id"]).file.name
    model_files = _files(f"models/{owner.pk}/{job_id}")
    batch_files = _files(f"batch/{owner.pk}/{batch['job_id']}")
    assert default_storage.exists(dataset_files[0])
    assert any(f.endswith(".joblib") for f in model_files)
    assert any(f.endswith(".card.json") for f in model_files)
    assert len(batch_files) == 2  # the input and the result

    # A deployed model keeps its dataset: 409, nothing changes.
    refused = api.delete(f"/api/v1/datasets/{ds['id']}/")
    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "dataset_in_use"
    assert f"model {model_id}" in refused.json()["detail"]
    assert default_storage.exists(dataset_files[0])
    api.post(f"/api/v1/deployment/{dep['id']}/undeploy")

    # Someone else cannot delete it (404), and their own dataset is untouched by ours.
    assert other_api.delete(f"/api/v1/datasets/{ds['id']}/").status_code == 404
    assert api.delete(f"/api/v1/datasets/{theirs['id']}/").status_code == 404

    assert api.delete(f"/api/v1/datasets/{ds['id']}/").status_code == 204
    for path in dataset_files + model_files + batch_files:
        assert not default_storage.exists(path), path
    assert api.get(f"/api/v1/datasets/{ds['id']}/").status_code == 404
    assert api.get(f"/api/v1/pipelines/{pipe['id']}/").status_code == 404
    assert api.get(f"/api/v1/models/{model_id}/").status_code == 404
    assert api.get(f"/api/v1/training/{job_id}/status").status_code == 404
    assert api.get(f"/api/v1/predictions/batch/{batch['job_id']}").status_code == 404
    assert api.delete(f"/api/v1/datasets/{ds['id']}/").status_code == 404
    assert other_api.get(f"/api/v1/datasets/{theirs['id']}/").status_code == 200
    assert default_storage.exists(their_file)


@pytest.mark.django_db(transaction=True)
def test_delete_is_refused_while_a_job_trains_on_the_dataset(api, owner, celery_worker):
    ds = _upload(api)
    pipe = create_pipeline(api, ds["id"], "y", "classification")
    job_id = _train(api, pipe["id"], budget=60)
    for path in (f"/api/v1/datasets/{ds['id']}/", f"/api/v1/pipelines/{pipe['id']}/"):
        refused = api.delete(path)
        assert refused.status_code == 409, refused.json()
        body = refused.json()
        assert body["code"] in ("dataset_in_use", "pipeline_in_use")
        assert job_id in body["detail"] and "cancel" in body["detail"].lower()
        assert body["errors"]["in_use"]
    assert api.get(f"/api/v1/datasets/{ds['id']}/").status_code == 200
    name = Dataset.objects.get(pk=ds["id"]).file.name
    assert default_storage.exists(name)

    api.post(f"/api/v1/training/{job_id}/cancel")
    assert wait_job(api, job_id)["status"] == "cancelled"
    assert api.delete(f"/api/v1/datasets/{ds['id']}/").status_code == 204
    assert not default_storage.exists(name) and _files(f"models/{owner.pk}/{job_id}") == []


@pytest.mark.django_db
def test_files_go_only_when_the_deletion_commits(owner, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    from datasets.services import dataset_upload

    dataset = dataset_upload(
        owner=owner, upload=ContentFile(_table(), name="t.csv"), name="t", dataset_type="tabular"
    )
    name, pk = dataset.file.name, dataset.pk
    # Rolled back: the row comes back, so must the file.
    with pytest.raises(RuntimeError), transaction.atomic():
        dataset_delete(dataset=dataset)
        raise RuntimeError("rolled back")
    assert Dataset.objects.filter(pk=pk).exists() and default_storage.exists(name)
    dataset = Dataset.objects.get(pk=pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dataset_delete(dataset=dataset)
    assert default_storage.exists(name)  # still there until the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert not default_storage.exists(name)


@pytest.mark.django_db
def test_admin_delete_removes_the_stored_file(
    api, owner, admin_client, django_capture_on_commit_callbacks
):
    ds = _upload(api)
    files = [Dataset.objects.get(pk=ds["id"]).file.name]
    assert default_storage.exists(files[0])
    with django_capture_on_commit_callbacks(execute=True):
        res = admin_client.post(
            "/admin/datasets/dataset/",
            {"action": "delete_selected", "_selected_action": [ds["id"]], "post": "yes"},
        )
    assert res.status_code == 302
    assert not Dataset.objects.filter(pk=ds["id"]).exists()
    assert not default_storage.exists(files[0])
