"""Deploying loads and compiles the model in the background, so the first prediction finds it
ready instead of paying for the load and the ONNX conversion."""

from __future__ import annotations

import time

import pytest

from modeling.models import TrainedModel
from predictions import served

pytestmark = pytest.mark.django_db(transaction=True)


def _compiled_for(model: TrainedModel) -> bool:
    return any(key[0] == model.artifact for key in list(served._compiled))


def test_deploying_compiles_the_model_before_its_first_prediction(api, deployed_model):
    served.served_cache_clear()
    assert not _compiled_for(deployed_model)
    res = api.post(
        "/api/v1/deployment/deploy",
        {"model_id": deployed_model.pk, "target": "api"},
        format="json",
    )
    assert res.status_code == 201, res.content
    deadline = time.monotonic() + 120
    while not _compiled_for(deployed_model) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _compiled_for(deployed_model), "the deploy did not warm the model"
    row = {"island": "Torgersen", "bill_length_mm": 39.1, "bill_depth_mm": 18.7,
           "flipper_length_mm": 181, "body_mass_g": 3750, "sex": "male", "year": 2007}  # fmt: skip
    answer = api.post(
        "/api/v1/predictions/single", {"model_id": deployed_model.pk, "data": row}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["predictions"] == ["Adelie"]


def test_a_failed_warm_is_logged_and_leaves_the_model_to_its_first_request(
    deployed_model, other_user, caplog
):
    served.served_cache_clear()
    with caplog.at_level("WARNING", logger="predictions.served"):
        served.serving_warm(deployed_model.pk, other_user).join(60)  # not theirs: NotFound
    assert any("warming model" in r.getMessage() for r in caplog.records)
    assert not _compiled_for(deployed_model)
