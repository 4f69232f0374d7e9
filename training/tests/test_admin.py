"""Admin deletes of training jobs go through `training_job_delete`: a queued or running job is
refused with a message (cancel it first) and nothing is deleted; a finished one goes with its
events, while the models it registered stay with their files. Every job field is read-only."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from modeling.models import TrainedModel
from training.models import TrainingEvent, TrainingJob

pytestmark = pytest.mark.django_db


def _messages(page) -> str:
    return " ".join(re.findall(r'<li class="(?:error|success)">(.*?)</li>', page.content.decode()))


def test_a_running_job_is_refused_a_finished_one_goes_and_its_models_stay(
    admin_client, deployed_model, django_capture_on_commit_callbacks
):
    pipeline, owner = deployed_model.pipeline, deployed_model.owner
    running = TrainingJob.objects.create(owner=owner, pipeline=pipeline, status="running")
    done = TrainingJob.objects.create(owner=owner, pipeline=pipeline, status="completed")
    TrainingEvent.objects.create(job=done, kind="log", payload={"message": "hi"})
    TrainedModel.objects.filter(pk=deployed_model.pk).update(training_job_id=done.pk)
    folder = f"models/{owner.pk}/{done.pk}"
    kept = default_storage.save(f"{folder}/01-rf.card.json", ContentFile(b"{}"))
    TrainedModel.objects.filter(pk=deployed_model.pk).update(card_file=kept)
    leftover = default_storage.save(f"{folder}/02-knn.joblib", ContentFile(b"x"))

    url = f"/admin/training/trainingjob/{running.pk}/delete/"
    assert "cancel it, then delete it" in _messages(admin_client.get(url))
    admin_client.post(url, {"post": "yes"})
    bulk = admin_client.post(
        "/admin/training/trainingjob/",
        {"action": "delete_selected", "_selected_action": [running.pk, done.pk], "post": "yes"},
        follow=True,
    )
    assert f"Training job {running.pk} is running" in _messages(bulk)
    assert TrainingJob.objects.filter(pk__in=[running.pk, done.pk]).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        res = admin_client.post(f"/admin/training/trainingjob/{done.pk}/delete/", {"post": "yes"})
    assert res.status_code == 302
    assert not TrainingJob.objects.filter(pk=done.pk).exists()
    assert not TrainingEvent.objects.filter(job_id=done.pk).exists()
    assert TrainedModel.objects.filter(pk=deployed_model.pk).exists()
    assert default_storage.exists(kept) and default_storage.exists(deployed_model.artifact)
    assert not default_storage.exists(leftover)


def test_job_fields_are_read_only_and_its_config_readable(admin_client, deployed_model):
    job = TrainingJob.objects.create(
        owner=deployed_model.owner,
        pipeline=deployed_model.pipeline,
        status="completed",
        config={"algorithms": ["random_forest", "linear"], "time_budget_s": 60},
    )
    page = admin_client.get(f"/admin/training/trainingjob/{job.pk}/change/").content.decode()
    assert "<textarea" not in page and "<select" not in page.split('id="content"')[1]
    for name in ("worker", "enqueue_attempts", "heartbeat_at", "config", "status"):
        assert f'name="{name}"' not in page, name
    assert "&quot;time_budget_s&quot;: 60" in page  # pretty-printed
