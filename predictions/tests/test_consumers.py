"""The realtime prediction WebSocket on the real ASGI app: answers, errors, ownership."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from conftest import ws_refused
from vur.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

ROW = {
    "island": "Biscoe",
    "bill_length_mm": 48.0,
    "bill_depth_mm": 15.0,
    "flipper_length_mm": 220.0,
    "body_mass_g": 5200.0,
    "sex": "male",
    "year": 2008,
}


def _row(model):
    names = [c["name"] for c in model.input_schema["columns"]]
    return {k: v for k, v in ROW.items() if k in names}


async def _talk(path: str, messages: list) -> list[dict]:
    comm = WebsocketCommunicator(application, path)
    connected, _ = await comm.connect(timeout=10)
    assert connected
    answers = []
    try:
        for message in messages:
            if isinstance(message, str):
                await comm.send_to(text_data=message)
            else:
                await comm.send_json_to(message)
            answers.append(await comm.receive_json_from(timeout=20))
    finally:
        await comm.disconnect()
    return answers


def test_stream_answers_each_message_and_survives_bad_ones(owner, deployed_model):
    token = AccessToken.for_user(owner)
    row = _row(deployed_model)
    for path in (f"/ws/predictions/?token={token}", f"/api/v1/predictions/real-time?token={token}"):
        answers = async_to_sync(_talk)(
            path,
            [
                {"model_id": deployed_model.pk, "data": row, "request_id": "a"},
                "not json",
                {"model_id": deployed_model.pk, "data": {**row, "wings": 2}, "request_id": "b"},
                {"model_id": 999999, "data": row, "request_id": "c"},
                {"request_id": "d"},
                {"model_id": deployed_model.pk, "data": [row, row], "request_id": "e"},
            ],
        )
        assert answers[0]["request_id"] == "a"
        assert answers[0]["predictions"] == ["Gentoo"]
        probabilities = answers[0]["probabilities"][0].values()
        # Each is rounded to 6 decimals: the sum is 1 within half a millionth per class.
        assert abs(sum(probabilities) - 1) <= len(probabilities) * 5e-7 + 1e-12
        assert answers[0]["latency_ms"] > 0
        assert answers[1]["error"]["code"] == "bad_json"
        assert answers[2]["request_id"] == "b" and answers[2]["error"]["code"] == "invalid_rows"
        assert answers[3]["error"]["code"] == "model_not_found"
        assert answers[4]["error"]["code"] == "bad_message"
        assert len(answers[5]["predictions"]) == 2


def test_other_users_model_is_not_found_and_anonymous_is_refused(other_user, deployed_model):
    answers = async_to_sync(_talk)(
        f"/ws/predictions/?token={AccessToken.for_user(other_user)}",
        [{"model_id": deployed_model.pk, "data": _row(deployed_model), "request_id": "x"}],
    )
    assert answers[0]["error"]["code"] == "model_not_found"
    assert ws_refused("/ws/predictions/")


def test_undeployed_model_answers_model_not_deployed(owner, deployed_model):
    from predictions.models import Deployment

    Deployment.objects.filter(model=deployed_model).update(status="inactive")
    answers = async_to_sync(_talk)(
        f"/ws/predictions/?token={AccessToken.for_user(owner)}",
        [{"model_id": deployed_model.pk, "data": _row(deployed_model)}],
    )
    assert answers[0]["error"]["code"] == "model_not_deployed"
