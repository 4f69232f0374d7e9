"""A trained model carries its monitoring reference from registration: monitoring reads it
(source "training") instead of rebuilding it, and drift against it works end to end."""

from __future__ import annotations

import pytest

from conftest import create_pipeline, upload_sample, wait_job
from modeling.models import TrainedModel
from monitoring.models import ModelReference
from training import reference_store

pytestmark = pytest.mark.django_db(transaction=True)


def test_training_stores_a_reference_that_monitoring_reads(api, celery_worker):
    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    res = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["linear"], "time_budget_s": 5},
        format="json",
    )
    assert res.status_code == 202, res.content
    assert wait_job(api, res.json()["job_id"])["status"] == "completed"
    model = TrainedModel.objects.filter(pipeline_id=pipe["id"]).order_by("rank").first()
    name = model.card["monitoring_reference"]
    stored = reference_store.reference_load(name)
    assert stored["kind"] == "tabular" and 0 < stored["rows"] < ds["num_rows"]
    monitored = {
        c["name"]
        for c in model.input_schema["columns"]
        if c["semantic_type"] in ("numeric", "categorical", "boolean")
    }
    assert set(stored["columns"]) == monitored
    assert sum(stored["predictions"]["levels"].values()) == stored["holdout_rows"]
    drift = api.post(
        "/api/v1/monitoring/drift-detection",
        {"model_id": model.pk, "dataset_id": ds["id"]},
        format="json",
    )
    assert drift.status_code == 200, drift.content
    assert drift.json()["drift_detected"] is False  # the training data against itself
    assert ModelReference.objects.get(model=model).source == "training"
