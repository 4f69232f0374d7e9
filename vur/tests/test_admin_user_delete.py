"""Deleting a person in the admin follows the same rules as deleting what they own: refused
with a message while one of their models is deployed (nothing deleted), otherwise everything of
theirs goes through the delete services, stored files included."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage

from datasets.models import Dataset
from modeling.models import TrainedModel
from predictions.models import Deployment
from predictions.services import deployment_undeploy

pytestmark = pytest.mark.django_db


def _messages(page) -> str:
    return " ".join(re.findall(r'<li class="(?:error|success)">(.*?)</li>', page.content.decode()))


def test_a_person_with_a_deployed_model_is_kept_and_goes_with_their_files_once_undeployed(
    admin_client, owner, deployed_model, django_capture_on_commit_callbacks
):
    dataset_file = deployed_model.pipeline.dataset.file.name
    files = [dataset_file, deployed_model.artifact]
    assert all(default_storage.exists(name) for name in files)
    url = f"/admin/auth/user/{owner.pk}/delete/"

    text = _messages(admin_client.get(url))
    assert "cannot be deleted" in text and f"(model {deployed_model.pk}) is deployed" in text
    admin_client.post(url, {"post": "yes"})
    bulk = admin_client.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [owner.pk], "post": "yes"},
        follow=True,
    )
    assert "is deployed" in _messages(bulk)
    assert type(owner).objects.filter(pk=owner.pk).exists()
    assert TrainedModel.objects.filter(pk=deployed_model.pk).exists()

    deployment_undeploy(deployment=Deployment.objects.get(model=deployed_model))
    with django_capture_on_commit_callbacks(execute=True):
        res = admin_client.post(url, {"post": "yes"})
    assert res.status_code == 302
    assert not type(owner).objects.filter(pk=owner.pk).exists()
    assert not Dataset.objects.filter(owner_id=owner.pk).exists()
    assert not any(default_storage.exists(name) for name in files)
