"""Through the API: a class target of boolean words in several spellings trains as two classes,
answers them, and takes feedback in any spelling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from sklearn.datasets import load_breast_cancer

from conftest import create_pipeline, wait_job
from modeling.models import TrainedModel
from predictions.models import PredictionRecord
from training.models import TrainingEvent


def _cases() -> pd.DataFrame:
    """Breast-cancer rows with a Yes/No target, every third label lower-cased."""
    data = load_breast_cancer(as_frame=True)
    df = data.frame.iloc[:, :6].copy()
    labels = np.where(data.target == 1, "Yes", "No").astype(object)
    labels[::3] = [v.lower() for v in labels[::3]]
    df["benign"] = labels
    return df


@pytest.mark.django_db(transaction=True)
def test_a_boolean_profiled_target_trains_and_answers_two_classes(api, celery_worker):
    frame = _cases()
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("cases.csv", frame.to_csv(index=False).encode()), "name": "c"},
        format="multipart",
    )
    assert res.status_code == 201, res.content
    profile = {c["name"]: c["semantic_type"] for c in res.json()["columns_info"]}
    assert profile["benign"] == "boolean"
    pipe = create_pipeline(api, res.json()["id"], "benign", "classification")
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["linear"], "time_budget_s": 5},
        format="json",
    ).json()
    final = wait_job(api, job["job_id"], 120)
    assert final["status"] == "completed", final
    logs = [str(e.payload) for e in TrainingEvent.objects.filter(job_id=job["job_id"], kind="log")]
    assert any("read 'no' as 'No', 'yes' as 'Yes'" in line for line in logs), logs

    model = TrainedModel.objects.get(pipeline_id=pipe["id"], rank=1)
    assert model.classes == ["No", "Yes"]
    dep = api.post("/api/v1/deployment/deploy", {"model_id": model.pk}, format="json")
    assert dep.status_code == 201, dep.content
    row = {k: float(v) for k, v in frame.drop(columns="benign").iloc[0].items()}
    answer = api.post(
        "/api/v1/predictions/single",
        {"model_id": model.pk, "data": row, "return_probabilities": True},
        format="json",
    ).json()
    assert set(answer["probabilities"][0]) == {"No", "Yes"}
    assert answer["predictions"][0] in ("No", "Yes")
    fed = api.post(
        "/api/v1/predictions/feedback",
        {"prediction_id": answer["prediction_ids"][0], "actual": "yes"},
        format="json",
    )
    assert fed.status_code == 201, fed.content
    assert PredictionRecord.objects.get(pk=answer["prediction_ids"][0]).actual == "Yes"
