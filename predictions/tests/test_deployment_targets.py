"""The deployment target records what a deployment is for; it does not restrict the channels:
a model with any active deployment answers on REST, the WebSocket stream and batch scoring alike
(the API contract's serving rule), and the pages say so instead of offering a per-channel switch.
"""

from __future__ import annotations

import io

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from predictions.models import BatchJob, Deployment
from vur.asgi import application

RULE = (
    "A deployed model answers on REST, the live stream and batch scoring alike; the target "
    "records what this deployment is for."
)
ROW = {
    "island": "Biscoe",
    "bill_length_mm": 48.0,
    "bill_depth_mm": 15.0,
    "flipper_length_mm": 220.0,
    "body_mass_g": 5200.0,
    "sex": "male",
    "year": 2008,
}


@pytest.fixture(autouse=True)
def _fresh_serving_cache():
    from predictions.served import served_cache_clear

    served_cache_clear()
    yield
    served_cache_clear()


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _row(model) -> dict:
    names = [c["name"] for c in model.input_schema["columns"]]
    return {k: v for k, v in ROW.items() if k in names}


async def _ws_predict(token, model_id: int, row: dict) -> dict:
    comm = WebsocketCommunicator(application, f"/ws/predictions/?token={token}")
    connected, _ = await comm.connect(timeout=10)
    assert connected
    try:
        await comm.send_json_to({"model_id": model_id, "data": row, "request_id": "t"})
        return await comm.receive_json_from(timeout=20)
    finally:
        await comm.disconnect()


@pytest.mark.django_db
def test_model_page_labels_the_target_as_the_deployments_use_not_a_switch(owner, deployed_model):
    html = _web(owner).get(f"/models/{deployed_model.pk}/").content.decode()
    assert "<legend>Deployed for</legend>" in html and "Deploy for<" not in html
    assert RULE in html
    assert ">Deployed for</th>" in html  # the history names the column the same way
    assert 'id="already-serving"' in html  # deployed: another target only records another use


@pytest.mark.django_db
def test_deployments_page_states_the_serving_rule(owner, deployed_model):
    html = _web(owner).get("/deployments/").content.decode()
    assert RULE in html
    assert ">Deployed for</th>" in html and ">Target</th>" not in html


@pytest.mark.django_db
def test_undeploy_asks_for_confirmation_saying_what_stops(owner, deployed_model):
    deployment = Deployment.objects.get(model=deployed_model)
    listing = _web(owner).get("/deployments/").content.decode()
    row = listing.split(f'data-deployment="{deployment.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'onsubmit="return confirm(this.dataset.confirm);"' in row
    assert "It is its last active deployment: the model stops answering" in row
    assert f"#{deployed_model.rank} Random forest of pipeline p?" in row
    page = _web(owner).get(f"/models/{deployed_model.pk}/").content.decode()
    history = page.split('id="deployment-history"', 1)[1]
    assert 'hx-confirm="Undeploy #' in history and "the model stops answering" in history
    # With a second active deployment, undeploying one leaves the model in service.
    Deployment.objects.create(owner=owner, model=deployed_model, target="api")
    listing = _web(owner).get("/deployments/").content.decode()
    row = listing.split(f'data-deployment="{deployment.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "keeps answering through its other active deployment" in row


@pytest.mark.django_db(transaction=True)
def test_a_model_deployed_for_one_target_answers_on_every_channel(owner, api, deployed_model):
    # Deployed only for batch files: REST and the stream answer too.
    Deployment.objects.filter(model=deployed_model).update(target="batch")
    row = _row(deployed_model)
    res = api.post(
        "/api/v1/predictions/single",
        {"model_id": deployed_model.pk, "data": row},
        format="json",
    )
    assert res.status_code == 200, res.content
    answer = async_to_sync(_ws_predict)(AccessToken.for_user(owner), deployed_model.pk, row)
    assert "predictions" in answer, answer
    # Deployed only for the REST API: batch scoring starts.
    Deployment.objects.filter(model=deployed_model).update(target="api")
    buf = io.StringIO()
    buf.write(",".join(row) + "\n" + ",".join(str(v) for v in row.values()) + "\n")
    res = api.post(
        "/api/v1/predictions/batch",
        {
            "model_id": deployed_model.pk,
            "file": SimpleUploadedFile("rows.csv", buf.getvalue().encode()),
        },
        format="multipart",
    )
    assert res.status_code == 202, res.content
    assert BatchJob.objects.filter(model=deployed_model).exists()
    # With no active deployment of any target, every channel refuses.
    Deployment.objects.filter(model=deployed_model).update(status="inactive")
    from predictions.served import served_cache_clear

    served_cache_clear()
    res = api.post(
        "/api/v1/predictions/single",
        {"model_id": deployed_model.pk, "data": row},
        format="json",
    )
    assert res.status_code == 409 and res.json()["code"] == "model_not_deployed"


@pytest.mark.django_db
def test_a_refused_delete_names_the_deployed_model_by_rank_algorithm_and_pipeline(deployed_model):
    from pipelines.services import pipeline_delete_blockers

    Deployment.objects.create(owner=deployed_model.owner, model=deployed_model, target="api")
    blockers = pipeline_delete_blockers(pipeline=deployed_model.pipeline)
    name = f"#{deployed_model.rank} Random forest of pipeline {deployed_model.pipeline.name}"
    # One line per model, however many deployments it has.
    assert blockers == [f"{name} (model {deployed_model.pk}) is deployed"]


@pytest.mark.django_db
def test_the_preselected_target_is_one_not_already_active(owner, deployed_model):
    # The fixture is active for the realtime stream; with REST active too, the first radio was
    # both checked and disabled, so "Deploy" sent no target at all.
    Deployment.objects.create(owner=owner, model=deployed_model, target="api")
    html = _web(owner).get(f"/models/{deployed_model.pk}/").content.decode()
    form = html.split('id="deploy-form"', 1)[1].split("</form>", 1)[0]
    radios = {chunk.split('"', 1)[0]: chunk.split(">", 1)[0] for chunk in form.split('value="')[1:]}
    assert "checked" not in radios["api"] and "disabled" in radios["api"]
    assert "checked" not in radios["realtime"] and "disabled" in radios["realtime"]
    assert "checked" in radios["batch"] and "disabled" not in radios["batch"]
