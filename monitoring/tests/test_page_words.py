"""The words the dashboard, monitoring, deployment and training pages use: alert kinds, activity
titles, badges and counts for people (not stored codes); models named with their pipeline where
several pipelines' models are listed; a health badge that says why; an "active" count and next
steps that match what the pipelines' runs did; the server's free disk space for staff only."""

from __future__ import annotations

import html as htmllib

import pytest
from django.test import Client

from conftest import pipeline_on_sample
from monitoring.services import alert_raise
from training.models import TrainingJob

pytestmark = pytest.mark.django_db


def _page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    res = client.get(url)
    assert res.status_code == 200, url
    return htmllib.unescape(res.content.decode())


def _second_pipeline_model(owner, deployed_model):
    """Another pipeline's rank-1 random forest, deployed too: the same "#1 Random forest"."""
    from modeling.models import TrainedModel
    from predictions.models import Deployment

    other = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    other.name = "Second"
    other.save(update_fields=["name"])
    model = TrainedModel.objects.create(
        owner=owner, pipeline=other, problem_type="classification", algorithm="random_forest",
        primary_metric="auc", artifact=deployed_model.artifact, sha256=deployed_model.sha256,
        input_schema=deployed_model.input_schema, is_deployed=True,
    )  # fmt: skip
    Deployment.objects.create(owner=owner, model=model, target="api")
    return model


def test_alert_kinds_and_activity_read_as_words(owner, deployed_model):
    from predictions.logbook import LogEntry, prediction_log_write

    alert_raise(owner_id=owner.pk, kind="job_failed", subject="job:x", message="Training failed.")
    TrainingJob.objects.create(owner=owner, pipeline=deployed_model.pipeline, config={})
    prediction_log_write(
        [
            LogEntry(owner_id=owner.pk, model_id=deployed_model.pk, channel="rest")
            for _ in range(1234)
        ]
    )
    page = _page(owner, "/")
    assert "<strong>Job failed</strong>" in page and "Job Failed" not in page
    activity = page[page.index('id="activity"') :]
    assert "Deployed #1 Random forest of pipeline p" in activity
    assert "for the Realtime stream" in activity and "target realtime" not in activity
    assert ">in progress</span>" in activity and "inprogress" not in activity
    assert "1,234 predictions served by #1 Random forest of pipeline p" in activity
    stats = page[page.index('id="stats"') : page.index('id="quick-actions"')]
    assert ">1,234</span>" in stats


def test_models_of_two_pipelines_are_told_apart(owner, deployed_model):
    from modeling.models import TrainedModel

    TrainedModel.objects.filter(pk=deployed_model.pk).update(is_deployed=True)
    second = _second_pipeline_model(owner, deployed_model)
    for url in ("/monitoring/", "/deployments/", "/models/"):
        page = _page(owner, url)
        assert "#1 Random forest of pipeline p<" in page, url
        assert "#1 Random forest of pipeline Second<" in page, url
    page = _page(owner, f"/monitoring/models/{second.pk}/")
    assert "<h1>Monitoring: #1 Random forest of pipeline Second</h1>" in page
    assert "<title>Monitoring: #1 Random forest of pipeline Second · VUR</title>" in page


def test_health_active_count_and_next_steps_follow_failed_runs(owner):
    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    pipeline.name = "Const target"
    pipeline.status = "configured"
    pipeline.save(update_fields=["name", "status"])
    for _ in range(2):
        TrainingJob.objects.create(
            owner=owner, pipeline=pipeline, config={}, status="failed",
            error="The target column has one value only: there is nothing to predict.",
        )  # fmt: skip
    page = _page(owner, "/")
    stats = page[page.index('id="stats"') : page.index('id="quick-actions"')]
    assert "pipelines (0 trained or training)" in stats
    assert 'health (7 days): <span id="health-reason">2 of 2 training runs failed<' in stats
    steps = page[page.index('id="quick-actions"') : page.index('id="running-jobs"')]
    assert "Train Const target" not in steps
    assert "Fix the setup of Const target" in steps
    assert "Its last training failed: The target column has one value only" in steps
    assert f'href="/pipelines/{pipeline.pk}/wizard/setup/"' in steps


def test_free_disk_space_is_for_staff_only(owner, staff_user):
    assert "disk space free" not in _page(owner, "/")
    assert "disk space free" in _page(staff_user, "/")
