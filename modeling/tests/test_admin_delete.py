"""Deleting trained models in the admin follows the product's rules: a deployed model is refused
(a readable message, nothing deleted, on the delete page and with "delete selected"); an
undeployed one goes with its artifact, card and monitoring reference, and its pipeline's status
and completed steps are set from the models left (trained, then configured once none is left;
training and deployment no longer done, in the REST answer and the wizard alike)."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage

from conftest import train_and_deploy, upload_sample
from modeling.models import TrainedModel


def _files(model: TrainedModel) -> list[str]:
    names = [model.artifact, model.card_file, model.card.get("monitoring_reference", "")]
    assert all(names), names  # a trained model has all three
    return names


def _wizard_done(client, pipeline_id: int) -> list[str]:
    """The steps the wizard's step list shows as done, on its training page."""
    page = client.get(f"/pipelines/{pipeline_id}/wizard/training/")
    assert page.status_code == 200
    return re.findall(r'<li class="done[^"]*" data-step="([a-z_]+)"', page.content.decode())


def _messages(page) -> str:
    return " ".join(re.findall(r'<li class="(?:error|success)">(.*?)</li>', page.content.decode()))


@pytest.mark.django_db(transaction=True)
def test_admin_refuses_a_deployed_model_and_deletes_an_undeployed_one_with_its_files(
    api, admin_client, client, owner, celery_worker
):
    client.force_login(owner)
    ds = upload_sample(api, "penguins.csv")
    best = train_and_deploy(api, ds["id"], "species", "classification", ["linear", "decision_tree"])
    model = TrainedModel.objects.get(pk=best["id"])
    pipeline_id = model.pipeline_id
    others = list(TrainedModel.objects.filter(pipeline_id=pipeline_id).exclude(pk=model.pk))
    assert others, "two algorithms give two models"
    files = _files(model)
    assert all(default_storage.exists(name) for name in files)
    url = f"/admin/modeling/trainedmodel/{model.pk}/delete/"

    # The delete page says why and offers no delete; confirming anyway deletes nothing.
    page = admin_client.get(url)
    assert page.status_code == 200
    text = _messages(page)
    assert "cannot be deleted" in text and f"(model {model.pk}) is deployed" in text, text
    assert "Undeploy it" in text
    assert 'type="submit"' not in page.content.decode().split('id="content"')[1]
    after = admin_client.post(url, {"post": "yes"}, follow=True)
    assert after.status_code == 200
    # "Delete selected" on the list: refused as a whole, with the reason.
    bulk = admin_client.post(
        "/admin/modeling/trainedmodel/",
        {
            "action": "delete_selected",
            "_selected_action": [model.pk, others[0].pk],
            "post": "yes",
        },
        follow=True,
    )
    assert "is deployed" in _messages(bulk), _messages(bulk)
    assert TrainedModel.objects.filter(pipeline_id=pipeline_id).count() == 1 + len(others)
    assert all(default_storage.exists(name) for name in files)
    body = api.get(f"/api/v1/pipelines/{pipeline_id}/").json()
    assert body["status"] == "deployed"
    assert body["completed_steps"] == ["upload", "training", "deployment"]
    assert _wizard_done(client, pipeline_id) == ["setup", "training"]

    # Undeployed, it goes with its files; the pipeline is trained (its other models stay).
    dep = api.get("/api/v1/deployment/").json()["results"][0]
    assert api.post(f"/api/v1/deployment/{dep['id']}/undeploy").status_code == 200
    gone = admin_client.post(url, {"post": "yes"}, follow=True)
    assert gone.status_code == 200 and "deleted successfully" in _messages(gone)
    assert not TrainedModel.objects.filter(pk=model.pk).exists()
    for name in files:
        assert not default_storage.exists(name), name
    assert api.get(f"/api/v1/models/{model.pk}/").status_code == 404
    body = api.get(f"/api/v1/pipelines/{pipeline_id}/").json()
    assert body["status"] == "trained"
    assert body["completed_steps"] == ["upload", "training"]  # nothing deployed is left
    other_files = [name for other in others for name in _files(other)]
    assert all(default_storage.exists(name) for name in other_files)

    # The last ones through "delete selected": files gone, the pipeline back to configured.
    bulk = admin_client.post(
        "/admin/modeling/trainedmodel/",
        {"action": "delete_selected", "_selected_action": [o.pk for o in others], "post": "yes"},
        follow=True,
    )
    assert "Successfully deleted" in _messages(bulk), _messages(bulk)
    assert not TrainedModel.objects.filter(pipeline_id=pipeline_id).exists()
    for name in other_files:
        assert not default_storage.exists(name), name
    body = api.get(f"/api/v1/pipelines/{pipeline_id}/").json()
    assert body["status"] == "configured"
    assert body["completed_steps"] == ["upload"]  # no model left: training is not done
    assert _wizard_done(client, pipeline_id) == ["setup"]
    assert api.get("/api/v1/deployment/").json()["results"] == []  # its history went with it
