"""Refused WebSockets (no user, a foreign origin) are answered before any consumer runs: they
need no channel layer, and the app instance ends by itself once it has refused."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from vur.tests.stack import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def _refusal(path: str, headers: list | None = None) -> tuple[bool, int | None]:
    """Connect; return (accepted, close code) once the app instance has ended on its own."""
    from vur.asgi import application

    async def attempt() -> tuple[bool, int | None]:
        comm = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await comm.connect(timeout=10)
        # No disconnect is sent: a refusal must end the app instance itself (wait raises
        # TimeoutError while it is still running, or the app's own exception).
        await comm.wait(timeout=10)
        return connected, code

    return async_to_sync(attempt)()


@pytest.fixture
def redis_down(settings):
    """The channel layer points at a port nothing listens on."""
    layer = dict(settings.CHANNEL_LAYERS["default"])
    config = dict(layer["CONFIG"])
    config["hosts"] = [{"address": f"redis://127.0.0.1:{free_port()}/0"}]
    settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": config}}


@pytest.mark.parametrize("path", ["/ws/predictions/", "/ws/alerts/", "/ws/training/x/"])
def test_anonymous_sockets_are_refused_without_the_channel_layer(redis_down, path):
    assert _refusal(path) == (False, 4401)


def test_a_foreign_origin_is_refused_without_the_channel_layer(redis_down, owner):
    path = f"/ws/predictions/?token={AccessToken.for_user(owner)}"
    connected, _ = _refusal(path, [(b"origin", b"http://evil.example")])
    assert not connected
