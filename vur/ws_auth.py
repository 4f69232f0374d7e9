"""WebSocket authentication: the Django session cookie, or a JWT access token in `?token=`."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware

logger = logging.getLogger(__name__)


@database_sync_to_async
def _user_from_token(raw: str):
    from django.contrib.auth.models import AnonymousUser
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

    auth = JWTAuthentication()
    try:
        return auth.get_user(auth.get_validated_token(raw.encode()))
    except (InvalidToken, TokenError):
        return AnonymousUser()
    except Exception:  # an unexpected failure still leaves the socket unauthenticated
        logger.exception("websocket token check failed")
        return AnonymousUser()


class JWTQueryAuthMiddleware(BaseMiddleware):
    """Sets `scope["user"]` from `?token=<access>` when present, over the session user."""

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        token = (query.get("token") or [None])[0]
        if token:
            scope = dict(scope, user=await _user_from_token(token))
        return await super().__call__(scope, receive, send)


async def refuse(receive, send, code: int = 1000) -> None:
    """Answer a WebSocket handshake with a close (the server turns it into HTTP 403).

    Plain ASGI, no consumer: a refused socket gets no channel-layer channel, so a stream of
    refused sockets costs Redis nothing (channels' `WebsocketDenier` is a consumer and opens
    one)."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": code})


class RequireUser:
    """Refuse sockets without a signed-in user before they reach a consumer; every WebSocket
    route needs one (each consumer checks again)."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            return await refuse(receive, send, code=4401)
        return await self.inner(scope, receive, send)


def VURAuthStack(inner):  # noqa: N802 - named like Channels' AuthMiddlewareStack
    """Session auth first, then the token (which wins when given); anonymous sockets are
    refused there."""
    return AuthMiddlewareStack(JWTQueryAuthMiddleware(RequireUser(inner)))


class OriginCheck:
    """Refuse browser WebSockets from foreign origins (cross-site use of the session cookie).

    A present Origin header must name one of ALLOWED_HOSTS; clients that send none (scripts,
    services) carry no ambient browser credentials and are let through to authenticate.
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        from django.conf import settings
        from django.http.request import split_domain_port, validate_host

        origin = dict(scope.get("headers", [])).get(b"origin")
        if origin:
            from urllib.parse import urlparse

            host = urlparse(origin.decode("latin1")).netloc
            domain, _port = split_domain_port(host)
            allowed = settings.ALLOWED_HOSTS or (
                ["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else []
            )
            if not domain or not validate_host(domain, allowed):
                return await refuse(receive, send)
        return await self.inner(scope, receive, send)
