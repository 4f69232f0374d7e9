"""Dashboard page: predictions grouped per model and hour in the activity list, a cancelled job
called cancelled, storage in human units beside the free disk space (staff), times labelled UTC."""

from __future__ import annotations

import pytest
from django.test import Client

from training.models import TrainingJob

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_activity_groups_predictions_and_names_a_cancelled_job(owner, deployed_model):
    from predictions.logbook import LogEntry, prediction_log_write

    entries = [
        LogEntry(owner_id=owner.pk, model_id=deployed_model.pk, channel="websocket")
        for _ in range(132)
    ]
    entries.append(LogEntry(owner_id=owner.pk, model_id=deployed_model.pk, channel="rest"))
    prediction_log_write(entries)
    TrainingJob.objects.create(
        owner=owner, pipeline=deployed_model.pipeline, config={}, status="cancelled"
    )
    html = _client(owner).get("/").content.decode()
    activity = html[html.index('id="activity"') :]
    assert "133 predictions served by #1 Random forest of pipeline p" in activity
    assert "132 by stream, 1 by REST API" in activity
    assert "Prediction served" not in activity
    assert activity.count("predictions served") == 1
    assert '<span class="badge cancelled">cancelled</span>' in activity
    assert " UTC</time>" in activity

    api = _client(owner).get("/api/v1/dashboard/recent-activity?limit=20").json()
    grouped = [a for a in api["activities"] if a["type"] == "prediction"]
    assert len(grouped) == 1 and grouped[0]["metadata"]["count"] == 133


def test_storage_is_in_human_units_with_free_disk_space(staff_user):
    from conftest import pipeline_on_sample

    pipeline_on_sample(staff_user, "penguins.csv", "species", "classification")
    html = _client(staff_user).get("/").content.decode()
    storage = html[html.index('id="storage"') :][:400]
    assert "KB" in storage or "MB" in storage
    assert "disk space free" in storage
    assert "0.000 GB" not in html and "stored of" not in html


def test_page_times_name_their_time_zone(owner, deployed_model):
    web = _client(owner)
    assert " UTC</td>" in web.get("/models/").content.decode()
    assert "UTC" in web.get("/datasets/").content.decode()
