"""The prediction socket scores on pool threads; each must hand its database connection back."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from vur.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def _one_session(path: str, message: dict) -> dict:
    comm = WebsocketCommunicator(application, path)
    connected, _ = await comm.connect(timeout=10)
    assert connected
    try:
        await comm.send_json_to(message)
        return await comm.receive_json_from(timeout=30)
    finally:
        await comm.disconnect()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL runs a connection pool"
)
def test_socket_sessions_do_not_keep_pool_connections(owner, deployed_model):
    names = [c["name"] for c in deployed_model.input_schema["columns"]]
    row = {
        "island": "Biscoe",
        "bill_length_mm": 48.0,
        "bill_depth_mm": 15.0,
        "flipper_length_mm": 220.0,
        "body_mass_g": 5200.0,
        "sex": "male",
        "year": 2008,
    }
    message = {"model_id": deployed_model.pk, "data": {k: row[k] for k in names if k in row}}
    path = f"/ws/predictions/?token={AccessToken.for_user(owner)}"
    pool = connection.pool

    def checked_out() -> int:
        stats = pool.get_stats()
        return stats["pool_size"] - stats["pool_available"]

    async_to_sync(_one_session)(path, message)  # warm up: the pool opens its connections
    before = checked_out()
    # Each session runs its own event loop, whose executor threads end with it: a connection
    # left on such a thread is never returned, and the pool (8 by default) runs dry.
    for _ in range(10):
        answer = async_to_sync(_one_session)(path, message)
        assert "predictions" in answer, answer
    assert checked_out() <= before
