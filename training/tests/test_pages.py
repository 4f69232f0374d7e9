"""Training pages and admin: list, live page, leaderboard partial, cancel; owner-only."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from training.models import TrainingEvent, TrainingJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(deployed_model, owner):
    """A queued job of the fixture model's pipeline, with one stored log line."""
    job = TrainingJob.objects.create(
        owner=owner, pipeline=deployed_model.pipeline, config={"time_budget_s": 5}
    )
    TrainingEvent.objects.create(job=job, kind="log", payload={"message": "hello from the worker"})
    return job


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_training_page_shows_stored_log_progress_and_cancel(owner, job):
    html = _client(owner).get(f"/training/{job.pk}/").content.decode()
    assert "hello from the worker" in html
    assert 'id="job-progress"' in html and 'id="cancel-job"' in html
    assert f'data-job-id="{job.pk}"' in html
    listing = _client(owner).get("/training/").content.decode()
    assert f"/training/{job.pk}/" in listing


def test_training_pages_are_404_for_someone_else(other_user, job):
    web = _client(other_user)
    assert web.get(f"/training/{job.pk}/").status_code == 404
    assert web.get(f"/training/{job.pk}/leaderboard/").status_code == 404
    assert web.post(f"/training/{job.pk}/cancel/").status_code == 404
    job.refresh_from_db()
    assert job.status == "queued"
    assert str(job.pk) not in web.get("/training/").content.decode()


def test_cancel_button_cancels_a_queued_job_and_a_second_press_explains(owner, job):
    web = _client(owner)
    res = web.post(f"/training/{job.pk}/cancel/", HTTP_HX_REQUEST="true")
    assert res.status_code == 200 and 'id="cancel-done"' in res.content.decode()
    job.refresh_from_db()
    assert job.status == "cancelled"
    job.status = "completed"
    job.save(update_fields=["status"])
    res = web.post(f"/training/{job.pk}/cancel/", HTTP_HX_REQUEST="true")
    assert "already completed" in res.content.decode()


def test_leaderboard_lists_the_jobs_models_with_links(owner, job, deployed_model):
    deployed_model.training_job_id = job.pk
    deployed_model.save(update_fields=["training_job_id"])
    html = _client(owner).get(f"/training/{job.pk}/leaderboard/").content.decode()
    assert f"/models/{deployed_model.pk}/" in html


def test_a_leaderboard_column_has_one_number_format(owner, job, deployed_model):
    """0.853 was shown beside 0.9386: each column is written with one number of decimals."""
    from modeling.models import TrainedModel

    deployed_model.training_job_id = job.pk
    deployed_model.rank, deployed_model.primary_value = 1, 0.9386
    deployed_model.metrics = {"cv_score": 0.91}
    deployed_model.save(update_fields=["training_job_id", "rank", "primary_value", "metrics"])
    TrainedModel.objects.create(
        owner=owner, pipeline=deployed_model.pipeline, training_job_id=job.pk, rank=2,
        problem_type="classification", algorithm="linear", primary_metric="auc",
        primary_value=0.853, metrics={"cv_score": 0.9}, artifact=deployed_model.artifact,
        sha256=deployed_model.sha256, input_schema=deployed_model.input_schema,
    )  # fmt: skip
    html = _client(owner).get(f"/training/{job.pk}/leaderboard/").content.decode()
    holdout = re.findall(r'data-label="Hold-out AUC" title="[^"]*">([^<]*)</td>', html)
    ranked = re.findall(r'data-label="Validation AUC" title="[^"]*">([^<]*)</td>', html)
    assert holdout == ["0.9386", "0.8530"]
    assert ranked == ["0.9100", "0.9000"]


def test_admin_cancel_action_and_no_add(staff_user, job):
    staff_user.is_superuser = True
    staff_user.save()
    web = _client(staff_user)
    assert web.get("/admin/training/trainingjob/add/").status_code == 403
    res = web.post(
        "/admin/training/trainingjob/",
        {"action": "cancel_jobs", "_selected_action": [str(job.pk)]},
        follow=True,
    )
    assert res.status_code == 200
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert web.get(f"/admin/training/trainingjob/{job.pk}/change/").status_code == 200


def test_job_list_refreshes_itself_while_a_job_runs(owner, job):
    web = _client(owner)
    html = web.get("/training/").content.decode()
    assert 'hx-trigger="every 3s"' in html
    partial = web.get("/training/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="jobs"') and str(job.pk) in partial
    job.status = "completed"
    job.save(update_fields=["status"])
    assert 'hx-trigger="every 3s"' not in web.get("/training/").content.decode()


def test_job_list_names_the_metric_of_each_best_score(owner, job):
    web = _client(owner)
    job.status, job.best_metric = "completed", 0.84702
    job.save(update_fields=["status", "best_metric"])
    html = web.get("/training/").content.decode()
    assert ">AUC 0.847<" in html and ">0.8470<" not in html
    pipeline = job.pipeline
    pipeline.problem_type = "regression"
    pipeline.save(update_fields=["problem_type"])
    job.best_metric = 72616.6833
    job.save(update_fields=["best_metric"])
    assert "RMSE 72,617" in web.get("/training/").content.decode()


def test_a_cancelled_job_says_its_scores_were_not_kept(owner, job):
    web = _client(owner)
    job.status, job.best_metric = "cancelled", 0.837
    job.save(update_fields=["status", "best_metric"])
    listing = web.get("/training/").content.decode()
    assert "no models kept" in listing and "AUC 0.837" not in listing
    board = web.get(f"/training/{job.pk}/leaderboard/").content.decode()
    assert "No models: the job was cancelled." in board
    assert "discards the configurations scored before it" in board


def test_cancel_asks_first_and_says_scored_models_are_discarded(owner, job):
    html = _client(owner).get(f"/training/{job.pk}/").content.decode()
    form = html[html.index('<div id="cancel-area">') :]
    form = form[: form.index("</form>")]
    assert 'hx-confirm="Cancel this training?' in form
    assert "every configuration it has scored so far is discarded" in form
    assert "Cancelling discards every model scored so far" in html


def test_the_job_page_rounds_the_best_score(owner, job):
    job.best_metric = 0.8194444444444444
    job.save(update_fields=["best_metric"])
    html = _client(owner).get(f"/training/{job.pk}/").content.decode()
    assert ">0.8194</dd>" in html and "Best validation AUC so far" in html


def test_the_training_step_points_to_the_running_job_and_does_not_start_another(owner):
    from conftest import pipeline_on_sample

    web = _client(owner)
    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    base = f"/pipelines/{pipeline.pk}/wizard/"
    done = TrainingJob.objects.create(owner=owner, pipeline=pipeline, status="completed", config={})
    running = TrainingJob.objects.create(
        owner=owner, pipeline=pipeline, status="running", progress=0.4, config={}
    )
    page = web.get(base + "training/").content.decode()
    notice = page.split('id="active-job">', 1)[1].split("</p>", 1)[0]
    assert "A training job of this pipeline is running (40% done)" in notice
    assert f'href="/training/{running.pk}/"' in notice
    assert 'id="start-training" disabled aria-describedby="active-job"' in page
    earlier = page.split('id="past-jobs"', 1)[1]
    assert f"/training/{done.pk}/" in earlier and f"/training/{running.pk}/" not in earlier
    # What training.js needs to list the running job there once it ends, as a reload would.
    stamp = timezone.localtime(running.created_at).strftime("%Y-%m-%d %H:%M %Z")
    assert f'data-job-id="{running.pk}"' in page and f'data-created="{stamp}"' in page
    assert f'<ul class="plain" data-limit="5"><li data-job-id="{done.pk}">' in earlier
    refused = web.post(base + "training/", {"choice": "auto", "time_budget_s": "5"})
    assert refused.status_code == 409
    assert "already has a training job running" in refused.content.decode()
    assert TrainingJob.objects.filter(pipeline=pipeline).count() == 2
