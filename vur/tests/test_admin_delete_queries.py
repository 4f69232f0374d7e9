"""The admin's "delete selected" asks each selected object's service whether it is in use once
per request, on the confirmation page and when the deletion is confirmed: five objects cost four
more checks (and, confirmed, four more service deletes) than one, not twice that."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from datasets.models import Dataset
from modeling.models import TrainedModel
from training.models import TrainingJob

pytestmark = pytest.mark.django_db


def _dataset(model: TrainedModel) -> Dataset:
    """An unused copy of the model's dataset, with a stored file of its own."""
    dataset = Dataset.objects.get(pk=model.pipeline.dataset_id)
    dataset.pk = None
    dataset.file.name = default_storage.save("datasets/copy.csv", ContentFile(b"a,b\n1,2\n"))
    dataset.save()
    return dataset


def _model(model: TrainedModel) -> TrainedModel:
    """An undeployed model of the same pipeline (the deployed one stays: its pipeline keeps a
    model and a status that each delete sets alike)."""
    copy = TrainedModel.objects.get(pk=model.pk)
    copy.pk = None
    copy.is_deployed = False
    copy.save()
    return copy


def _job(model: TrainedModel) -> TrainingJob:
    """A finished training job of the model's pipeline."""
    return TrainingJob.objects.create(
        owner=model.owner, pipeline=model.pipeline, status=TrainingJob.Status.COMPLETED
    )


MAKERS: dict[str, Callable[[TrainedModel], Any]] = {
    "datasets/dataset": _dataset,
    "modeling/trainedmodel": _model,
    "training/trainingjob": _job,
}


def _queries(run: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


@pytest.mark.parametrize("kind", list(MAKERS))
def test_delete_selected_checks_each_object_once(admin_client, deployed_model, kind):
    make = MAKERS[kind]
    model_class = {"datasets/dataset": Dataset, "modeling/trainedmodel": TrainedModel}.get(
        kind, TrainingJob
    )
    model_admin = admin.site.get_model_admin(model_class)
    url = f"/admin/{kind}/"

    def confirm(objs: list[Any]) -> int:
        def run() -> None:
            page = admin_client.post(
                url, {"action": "delete_selected", "_selected_action": [o.pk for o in objs]}
            )
            assert page.status_code == 200 and "Are you sure" in page.content.decode()

        return _queries(run)

    def delete(objs: list[Any]) -> int:
        def run() -> None:
            res = admin_client.post(
                url,
                {
                    "action": "delete_selected",
                    "_selected_action": [o.pk for o in objs],
                    "post": "yes",
                },
            )
            assert res.status_code == 302

        count = _queries(run)
        assert not model_class.objects.filter(pk__in=[o.pk for o in objs]).exists()
        return count

    # What asking one object's service costs, and deleting one through it.
    probe = make(deployed_model)
    check = _queries(lambda: model_admin.delete_refusal(probe))
    assert check > 0
    removal = _queries(lambda: model_admin.delete_through_service(probe))

    ContentType.objects.get_for_model(model_class)  # the admin log's, read once per process
    one, five = [make(deployed_model)], [make(deployed_model) for _ in range(5)]
    assert confirm(five) - confirm(one) <= 4 * check
    assert delete(five) - delete(one) <= 4 * (check + removal)
