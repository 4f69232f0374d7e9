"""Admin deletes of deployments and batch jobs go through the predictions services: an active
deployment or a queued/running batch job is refused with a message and nothing is deleted; a
finished batch job goes with its input and result files. Batch jobs read as their file, model
and status, not "BatchJob object (uuid)"."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from predictions.models import BatchJob, Deployment, PredictionRecord
from predictions.services import deployment_undeploy

pytestmark = pytest.mark.django_db


def _messages(page) -> str:
    return " ".join(re.findall(r'<li class="(?:error|success)">(.*?)</li>', page.content.decode()))


def _batch(model, status: str) -> BatchJob:
    job = BatchJob(owner=model.owner, model=model, status=status)
    job.input_file.save("rows.csv", ContentFile(b"a,b\n1,2\n"), save=True)
    job.result_file = default_storage.save(
        f"batch/{job.owner_id}/{job.pk}/result.csv", ContentFile(b"prediction\nyes\n")
    )
    job.save(update_fields=["result_file"])
    return job


def test_an_active_deployment_is_not_deleted_an_inactive_one_is(admin_client, deployed_model):
    dep = Deployment.objects.get(model=deployed_model)
    url = f"/admin/predictions/deployment/{dep.pk}/delete/"
    page = admin_client.get(url)
    assert "undeploy it, then delete it" in _messages(page)
    admin_client.post(url, {"post": "yes"})
    bulk = admin_client.post(
        "/admin/predictions/deployment/",
        {"action": "delete_selected", "_selected_action": [dep.pk], "post": "yes"},
        follow=True,
    )
    assert "Not deleted" in _messages(bulk)
    assert Deployment.objects.filter(pk=dep.pk, status="active").exists()

    deployment_undeploy(deployment=dep)
    done = admin_client.post(url, {"post": "yes"}, follow=True)
    assert "deleted successfully" in _messages(done)
    assert not Deployment.objects.filter(pk=dep.pk).exists()


def test_a_running_batch_job_is_not_deleted_a_finished_one_goes_with_its_files(
    admin_client, deployed_model, django_capture_on_commit_callbacks
):
    running = _batch(deployed_model, BatchJob.Status.RUNNING)
    finished = _batch(deployed_model, BatchJob.Status.COMPLETED)
    files = [running.input_file.name, running.result_file]
    gone = [finished.input_file.name, finished.result_file]
    assert all(default_storage.exists(name) for name in files + gone)

    page = admin_client.get(f"/admin/predictions/batchjob/{running.pk}/delete/")
    assert f"Batch job {running.pk} is running" in _messages(page)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/admin/predictions/batchjob/{running.pk}/delete/", {"post": "yes"})
        bulk = admin_client.post(
            "/admin/predictions/batchjob/",
            {
                "action": "delete_selected",
                "_selected_action": [running.pk, finished.pk],
                "post": "yes",
            },
            follow=True,
        )
    assert "is running" in _messages(bulk)
    assert BatchJob.objects.filter(pk__in=[running.pk, finished.pk]).count() == 2
    assert all(default_storage.exists(name) for name in files + gone)

    with django_capture_on_commit_callbacks(execute=True):
        res = admin_client.post(
            "/admin/predictions/batchjob/",
            {"action": "delete_selected", "_selected_action": [finished.pk], "post": "yes"},
        )
    assert res.status_code == 302
    assert not BatchJob.objects.filter(pk=finished.pk).exists()
    assert not any(default_storage.exists(name) for name in gone)
    assert all(default_storage.exists(name) for name in files)


def test_batch_jobs_and_predictions_read_as_what_they_are(admin_client, deployed_model):
    job = _batch(deployed_model, BatchJob.Status.COMPLETED)
    record = PredictionRecord.objects.create(
        owner=deployed_model.owner, model=deployed_model, inputs={"a": 1}, prediction="yes"
    )
    assert str(job) == f"rows.csv scored by {deployed_model} (completed)"
    assert "#1 Random forest of pipeline p" in str(job)
    listing = admin_client.get("/admin/predictions/batchjob/").content.decode()
    assert "BatchJob object" not in listing and "rows.csv" in listing
    change = admin_client.get(f"/admin/predictions/batchjob/{job.pk}/change/").content.decode()
    assert "BatchJob object" not in change and "rows.csv scored by" in change
    assert str(record) == f"prediction {record.pk} of model {deployed_model.pk} (api)"
    page = admin_client.get(f"/admin/predictions/predictionrecord/{record.pk}/change/")
    assert "PredictionRecord object" not in page.content.decode()
