"""Deleting from the web pages: the wizard and the pipeline list offer Delete with a confirm that
says what goes with it; a pipeline or dataset in use says so up front and its button is off; a
GET on a delete address deletes nothing and opens the object instead of a bare 405."""

from __future__ import annotations

import html

import pytest

from conftest import pipeline_on_sample
from datasets.models import Dataset
from pipelines.models import Pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, owner):
    """A browser-like client signed in as `owner` (session auth)."""
    client.force_login(owner)
    return client


def test_wizard_and_list_offer_delete_with_what_goes(web, owner):
    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    action = f'action="/pipelines/{pipeline.pk}/delete/"'
    question = "Delete the pipeline p with its 0 training jobs and 0 trained models? The dataset"
    for url in (f"/pipelines/{pipeline.pk}/wizard/setup/", "/pipelines/"):
        page = html.unescape(web.get(url, follow=True).content.decode())
        assert action in page, url
        assert question in page, url
        assert "In use:" not in page
    res = web.post(f"/pipelines/{pipeline.pk}/delete/", follow=True)
    assert "Deleted the pipeline p." in res.content.decode()
    assert not Pipeline.objects.filter(pk=pipeline.pk).exists()
    assert Dataset.objects.filter(pk=pipeline.dataset_id).exists()


def test_in_use_pipeline_and_dataset_say_why_and_disable_delete(web, deployed_model):
    pipeline = deployed_model.pipeline
    wizard = html.unescape(web.get(f"/pipelines/{pipeline.pk}/wizard/setup/").content.decode())
    assert f"In use: #1 Random forest of pipeline p (model {deployed_model.pk}) is deployed" in (
        wizard
    )
    assert 'id="delete-pipeline-button" disabled' in wizard
    listing = web.get("/pipelines/").content.decode()
    assert f'data-delete-blocked="{pipeline.pk}"' in listing
    page = html.unescape(web.get(f"/datasets/{pipeline.dataset_id}/").content.decode())
    assert "with its file, 1 pipeline and 1 trained model?" in page
    assert 'id="delete-dataset" disabled' in page
    assert "is deployed. Cancel its running jobs and undeploy its models" in page


def test_get_on_a_delete_address_deletes_nothing_and_opens_the_object(web, owner):
    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    res = web.get(f"/pipelines/{pipeline.pk}/delete/", follow=True)
    assert res.status_code == 200
    assert res.redirect_chain and f"/pipelines/{pipeline.pk}/" in res.redirect_chain[0][0]
    assert "To delete this pipeline" in html.unescape(res.content.decode())
    res = web.get(f"/datasets/{pipeline.dataset_id}/delete/", follow=True)
    assert res.status_code == 200
    assert res.redirect_chain[-1][0].startswith(f"/datasets/{pipeline.dataset_id}/")
    assert "To delete this dataset" in res.content.decode()
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()
    assert Dataset.objects.filter(pk=pipeline.dataset_id).exists()


def test_the_confirm_names_the_scored_files_and_the_prediction_log_that_go(web, deployed_model):
    """Deleting a pipeline (or its dataset) deletes its models' scored files, whose results
    were downloadable, and their prediction log; the confirm named only the training jobs and
    models, so the results went without a word."""
    from django.apps import apps
    from django.core.files.base import ContentFile

    # By name: this app's code, tests included, does not import a later stage.
    batch_job, deployment, record = (
        apps.get_model("predictions", name)
        for name in ("BatchJob", "Deployment", "PredictionRecord")
    )
    model, pipeline = deployed_model, deployed_model.pipeline
    deployment.objects.filter(model=model).update(status="inactive")
    model.is_deployed = False
    model.save(update_fields=["is_deployed"])
    for name in ("a.csv", "b.csv"):
        batch_job.objects.create(
            owner=model.owner, model=model, input_file=ContentFile(b"x\n1\n", name=name),
            status="completed",
        )  # fmt: skip
    record.objects.create(owner=model.owner, model=model, inputs={}, prediction=1)
    listing = html.unescape(web.get("/pipelines/").content.decode())
    assert (
        "Delete the pipeline p with its 0 training jobs, 1 trained model, 2 scored files with "
        "their results and the log of their predictions? The dataset stays."
    ) in listing
    page = html.unescape(web.get(f"/datasets/{pipeline.dataset_id}/").content.decode())
    assert (
        "with its file, 1 pipeline, 1 trained model, 2 scored files with their results and the "
        "log of their predictions?"
    ) in page
