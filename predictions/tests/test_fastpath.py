"""The ASGI fast path of `predictions/single` answers exactly what Django + DRF answer: the same
status, body and headers for answers and for every error (ownership 404, not deployed 409, bad
rows 400), hands everything unusual (bad tokens, odd bodies, sessions) to Django, counts the
request in the metrics, and stops trusting a user that changed."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.test import override_settings
from rest_framework_simplejwt.tokens import AccessToken

from predictions import fastpath, served
from predictions.tests.test_serving_path import TABLES, _model
from vur.asgi import application
from vur.metrics import REQUESTS

PATH = "/api/v1/predictions/single"
VARYING = ("prediction_ids", "latency_ms")  # new ids and times on every answer


def _post(body, token: str | None, *, fast: bool = True, raw: bytes | None = None) -> dict:
    headers = [(b"host", b"localhost"), (b"content-type", b"application/json")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    payload = raw if raw is not None else json.dumps(body).encode()
    headers.append((b"content-length", str(len(payload)).encode()))
    with override_settings(VUR_FAST_PREDICT=fast):
        communicator = HttpCommunicator(application, "POST", PATH, body=payload, headers=headers)
        # A generous timeout: on a loaded machine Django's path can take more than the default 1 s.
        response = async_to_sync(communicator.get_response)(timeout=60)
    response["json"] = json.loads(response["body"]) if response["body"] else None
    response["header_map"] = {
        k.lower(): v for k, v in response["headers"] if k.lower() != b"content-length"
    }
    return response


def _same(fast: dict, slow: dict, *, varying: tuple[str, ...] = ()) -> None:
    assert fast["status"] == slow["status"], (fast["json"], slow["json"])
    assert fast["header_map"] == slow["header_map"]
    a = {k: v for k, v in fast["json"].items() if k not in varying}
    b = {k: v for k, v in slow["json"].items() if k not in varying}
    assert a == b


def _served_count(status: str) -> float:
    return REQUESTS.labels(fastpath.VIEW_NAME, "POST", status)._value.get()


@pytest.fixture
def fresh():
    served.served_cache_clear()
    fastpath.fast_cache_clear()
    yield
    fastpath.fast_cache_clear()


@pytest.mark.django_db(transaction=True)
def test_fast_answers_equal_djangos_for_answers_and_errors(owner, other_user, fresh):
    model, _fitted, features = _model(owner, *TABLES[0])
    token, other = str(AccessToken.for_user(owner)), str(AccessToken.for_user(other_user))
    row = {"island": "Biscoe", "bill_length_mm": 48.0, "sex": "male"}
    body = {"model_id": model.pk, "data": [row, row], "return_probabilities": True}
    before = _served_count("200")
    fast = _post(body, token)
    assert _served_count("200") == before + 1  # the fast answer is counted under the view
    slow = _post(body, token, fast=False)
    _same(fast, slow, varying=VARYING)
    assert len(fast["json"]["predictions"]) == 2 and "probabilities" in fast["json"]
    cases = [
        ({**body, "model_id": model.pk}, other),  # another user's model: 404
        ({**body, "model_id": 10**9}, token),  # no such model: 404
        ({**body, "data": [{"nope": 1}]}, token),  # bad rows: 400 with errors
        ({**body, "data": {"bill_length_mm": "long"}}, token),  # not a number: 400
        ({**body, "data": None}, token),  # refused by the serializer (Django answers)
        ({**body, "model_id": "x"}, token),  # refused by the serializer
        ({**body, "return_probabilities": "yes"}, token),  # coerced by the serializer
        (body, "not-a-token"),  # simplejwt's 401
    ]
    for case, who in cases:
        _same(_post(case, who), _post(case, who, fast=False), varying=VARYING)
    _same(_post(None, token, raw=b"{bad json"), _post(None, token, raw=b"{bad", fast=False))
    # Not deployed: 409, both ways.
    from predictions.models import Deployment

    for deployment in Deployment.objects.filter(model=model):
        from predictions.services import deployment_undeploy

        deployment_undeploy(deployment=deployment)
    fast, slow = _post(body, token), _post(body, token, fast=False)
    assert fast["status"] == 409
    _same(fast, slow)


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_user_is_refused_at_once(owner, fresh):
    model, _fitted, _features = _model(owner, *TABLES[0])
    token = str(AccessToken.for_user(owner))
    body = {"model_id": model.pk, "data": {"island": "Biscoe"}}
    assert _post(body, token)["status"] == 200
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    refused = _post(body, token)
    assert refused["status"] == 401
    assert refused["json"] == _post(body, token, fast=False)["json"]


def _scope(**headers: bytes) -> dict:
    base = {"host": b"localhost", "content-type": b"application/json", "authorization": b"Bearer t"}
    merged = {**base, **headers}
    pairs = [(k.replace("_", "-").encode(), v) for k, v in merged.items() if v is not None]
    return {"type": "http", "method": "POST", "path": PATH, "scheme": "http", "headers": pairs}


def test_only_ordinary_requests_take_the_fast_path(monkeypatch):
    assert fastpath.ordinary(_scope()) == b"t"
    assert fastpath.ordinary(_scope(accept=b"application/json; q=1")) == b"t"
    assert fastpath.ordinary(_scope(accept=b"text/html")) is None  # the browsable API
    assert fastpath.ordinary(_scope(host=b"evil.example")) is None  # Django answers 400
    assert fastpath.ordinary(_scope(authorization=None)) is None  # session or anonymous
    assert fastpath.ordinary(_scope(authorization=b"Token t")) is None
    assert fastpath.ordinary(_scope(content_type=b"text/plain")) is None
    assert fastpath.ordinary({**_scope(), "method": "GET"}) is None
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert fastpath.ordinary(_scope()) is None  # Django redirects to HTTPS
    monkeypatch.setitem(fastpath.EXPENSIVE_ROUTES, fastpath.VIEW_NAME, "predict")
    assert fastpath.ordinary(_scope()) is None  # a throttled view: DRF counts it


@pytest.mark.django_db(transaction=True)
def test_an_id_no_column_can_hold_is_a_400_on_both_paths(owner, fresh):
    token = str(AccessToken.for_user(owner))
    body = {"model_id": 2**70, "data": {"bill_length_mm": 40.0}}
    fast, slow = _post(body, token), _post(body, token, fast=False)
    assert fast["status"] == slow["status"] == 400
    assert "model_id" in fast["json"]["errors"]
