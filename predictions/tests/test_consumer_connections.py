"""The prediction socket scores on pool threads; each must hand its database connection back.

Run against a real daphne whose PostgreSQL pool holds two connections: a connection kept by a
thread that ended with its session is never returned, and the next sessions would wait for one.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from vur.tests.stack import running_stack

pytestmark = pytest.mark.django_db(transaction=True)

ROW = {"island": "Biscoe", "bill_length_mm": 48.0, "bill_depth_mm": 15.0,
       "flipper_length_mm": 220.0, "body_mass_g": 5200.0, "sex": "male", "year": 2008}  # fmt: skip


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL runs a connection pool"
)
def test_socket_sessions_hand_their_connections_back(owner, deployed_model, tmp_path):
    import websocket

    names = [c["name"] for c in deployed_model.input_schema["columns"]]
    message = {"model_id": deployed_model.pk, "data": {k: ROW[k] for k in names if k in ROW}}
    token = AccessToken.for_user(owner)
    with running_stack(
        tmp_path, web=True, worker=False, VUR_DB_POOL_MAX="2", VUR_DB_POOL_TIMEOUT_S="10"
    ) as stack:
        url = stack.base.replace("http://", "ws://") + f"/ws/predictions/?token={token}"
        origin = stack.base
        for session in range(8):
            ws = websocket.create_connection(url, timeout=60, origin=origin)
            try:
                ws.send(json.dumps({**message, "request_id": str(session)}))
                answer = json.loads(ws.recv())
            finally:
                ws.close()
            assert answer.get("request_id") == str(session), answer
            assert answer.get("predictions") == ["Gentoo"], (answer, stack.log("web")[-2000:])
