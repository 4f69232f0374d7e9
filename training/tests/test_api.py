"""Training API without a worker: input checks and enqueue-after-commit."""

from __future__ import annotations

import pytest

from conftest import create_pipeline, upload_sample

pytestmark = pytest.mark.django_db


def test_training_start_rejects_bad_choices(api):
    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    for body, field in [
        ({"algorithms": ["no_such_algo"]}, "algorithms"),
        ({"algorithms": ["ets"]}, "algorithms"),
        ({"algorithms": "everything"}, "algorithms"),
        ({"validation_split": 0.9}, "validation_split"),
        (
            {
                "model_config": {
                    "algorithm": "random_forest",
                    "hyperparameters": {"n_estimators": -1},
                }
            },
            "hyperparameters.n_estimators",
        ),
    ]:
        res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"], **body}, format="json")
        assert res.status_code == 400, (body, res.json())
        assert field in res.json()["errors"], res.json()
    from training.models import TrainingJob

    assert TrainingJob.objects.count() == 0


def test_training_start_enqueues_after_commit(api, django_capture_on_commit_callbacks):
    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert res.status_code == 202
    assert len(callbacks) == 1
