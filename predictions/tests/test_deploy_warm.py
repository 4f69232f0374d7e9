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


def test_warming_the_deployed_models_compiles_each_active_one(deployed_model):
    served.served_cache_clear()
    served.serving_warm_deployed().join(120)
    assert _compiled_for(deployed_model)


def test_warming_leaves_undeployed_models_and_keeps_to_its_limit(deployed_model):
    from predictions.models import Deployment

    served.served_cache_clear()
    served.serving_warm_deployed(limit=0).join(60)
    assert not _compiled_for(deployed_model)
    Deployment.objects.filter(model=deployed_model).update(status=Deployment.Status.INACTIVE)
    served.serving_warm_deployed().join(60)
    assert not _compiled_for(deployed_model)


def test_the_compile_lock_table_stays_as_small_as_the_compiled_cache(deployed_model, settings):
    settings.VUR_MODEL_CACHE_SIZE = 1
    served.served_cache_clear()
    entry = served.served_get(user=deployed_model.owner, model_id=deployed_model.pk)
    served.served_fitted(entry)
    fitted = entry.source
    for n in range(30):  # thirty cards for the same file: thirty cache keys
        deployed_model.card = {"serving": {"path": "sklearn", "preprocess": f"v{n}"}}
        served._compiled_form(deployed_model, fitted)
    assert len(served._compiled) <= 8
    assert set(served._compile_locks) <= set(served._compiled)


def test_a_restarted_web_process_warms_the_deployed_models(deployed_model, owner, tmp_path):
    from rest_framework_simplejwt.tokens import AccessToken

    from vur.tests.stack import http_json, running_stack, wait_until

    with running_stack(tmp_path, web=True, worker=False, VUR_WARM_ON_START="1") as stack:
        wait_until(
            lambda: "warmed 1 deployed model(s)" in stack.log("web"), 120, "the warm at start"
        )
        row = {"island": "Torgersen", "bill_length_mm": 39.1, "bill_depth_mm": 18.7,
               "flipper_length_mm": 181, "body_mass_g": 3750, "sex": "male",
               "year": 2007}  # fmt: skip
        status, body = http_json(
            "POST", f"{stack.base}/api/v1/predictions/single",
            {"model_id": deployed_model.pk, "data": row}, token=str(AccessToken.for_user(owner)),
        )  # fmt: skip
        assert status == 200, body
        assert body["predictions"] == ["Adelie"]
    assert "warming model" not in stack.log("web")
