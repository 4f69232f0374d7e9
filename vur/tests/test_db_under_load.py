"""Twenty concurrent prediction clients (REST and WebSocket) against a live daphne: every request
is answered, none with a 5xx, and on PostgreSQL the web process never holds more database
connections than its pool allows (`VUR_DB_POOL_MAX`); more load waits, it does not fail.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from predictions.tests.test_consumers import _row
from vur.tests.stack import http_json, running_stack

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 20
REQUESTS_EACH = 12
POOL_MAX = 4


def _web_connections(app_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name]
        )
        return cursor.fetchone()[0]


def test_twenty_concurrent_prediction_clients_get_answers_not_errors(
    owner, deployed_model, tmp_path
):
    import websocket

    postgres = connection.vendor == "postgresql"
    app_name = f"vur-load-{uuid.uuid4().hex[:8]}"
    token = str(AccessToken.for_user(owner))
    row = _row(deployed_model)
    body = {"model_id": deployed_model.pk, "data": row}
    answers: list[tuple[str, int | str]] = []
    lock = threading.Lock()
    go = threading.Event()

    def rest_client(base: str) -> None:
        go.wait()
        for _ in range(REQUESTS_EACH):
            status, answer = http_json(
                "POST", f"{base}/api/v1/predictions/single", body, token=token, timeout=180
            )
            ok = status == 200 and answer["predictions"] == ["Gentoo"]
            with lock:
                answers.append(("rest", status if ok else f"{status}: {answer}"))

    def ws_client(base: str) -> None:
        ws = websocket.create_connection(
            f"ws://{base.removeprefix('http://')}/ws/predictions/?token={token}", timeout=180
        )
        try:
            go.wait()
            for i in range(REQUESTS_EACH):
                ws.send(json.dumps({**body, "request_id": i}))
                answer = json.loads(ws.recv())
                ok = answer.get("request_id") == i and answer.get("predictions") == ["Gentoo"]
                with lock:
                    answers.append(("ws", 200 if ok else str(answer)))
        finally:
            ws.close()

    # PGAPPNAME names the web process's connections, so the test can count them.
    with running_stack(
        tmp_path, web=True, worker=False, VUR_DB_POOL_MAX=str(POOL_MAX), PGAPPNAME=app_name
    ) as stack:
        clients = [
            threading.Thread(target=rest_client if i % 2 else ws_client, args=(stack.base,))
            for i in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        peak = 0
        go.set()
        while any(c.is_alive() for c in clients):
            if postgres:
                peak = max(peak, _web_connections(app_name))
            time.sleep(0.05)
        for client in clients:
            client.join()
        log = stack.log("web")

    errors = [a for a in answers if a[1] != 200]
    causes = [line for line in log.splitlines() if "Error" in line or "Exception" in line]
    assert not errors, (len(errors), errors[0][1][:300], causes[:10])
    assert len(answers) == CLIENTS * REQUESTS_EACH
    assert " 500 " not in log and "Internal Server Error" not in log, log[-3000:]
    if postgres:
        assert 0 < peak <= POOL_MAX, peak
