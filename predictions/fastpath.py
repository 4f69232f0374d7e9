"""The hot endpoint without the framework: `POST /api/v1/predictions/single` answered at the ASGI
layer, ahead of Django's middleware and DRF, when the request is an ordinary one.

Ordinary means: a `Bearer` access token that simplejwt accepts, a JSON body whose `model_id` is
an integer, `data` an object or a list and `return_probabilities` absent or a boolean, an allowed
`Host`, a plain JSON `Accept`, no HTTPS redirect due. Such a request is answered by the very
service the DRF view calls (`services.predict_rows`: ownership 404, not deployed 409, bad rows
400, the prediction log), its errors shaped as `vur.errors.exception_handler` shapes them, the
JSON read and written by orjson (`vur.fastjson`), with the headers Django's middleware would
add, and counted in the request metrics under the view's name. Anything else (no token, a bad
one, a session cookie, malformed JSON, a field the serializer would coerce or refuse) goes to
Django unchanged, which answers it as before.

Validated tokens and their users are cached per process: a token until it expires, a user until
a change of that user is announced (`user_changed`, through the shared cache, as deploy and
undeploy announce theirs) or at most `VUR_SERVING_RECHECK_S`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from predictions import services
from predictions.served import shared_cache as _shared_cache
from predictions.served import shared_generation
from vur import fastjson
from vur.errors import VURError
from vur.params import MAX_ID
from vur.throttling import EXPENSIVE_ROUTES

logger = logging.getLogger(__name__)

PATHS = frozenset({"/api/v1/predictions/single", "/api/v1/predictions/single/"})
VIEW_NAME = "predictions-single"
_JSON_ACCEPT = (b"", b"*/*", b"application/json")
_tokens: dict[bytes, tuple[Any, float, Any]] = {}  # raw token -> (user id, expiry, token)
_users: dict[Any, tuple[Any, str | None, float]] = {}  # user id -> (user, generation, read at)
_lock = threading.Lock()
_MAX_CACHED = 4096


class _Delegate(Exception):
    """Not an ordinary request: Django answers it."""


def user_generation_key(user_id: Any) -> str:
    """Shared-cache key of a user's generation (changes when the user is saved or deleted)."""
    return f"vur:serving:user:{user_id}"


def user_changed(user_id: Any) -> None:
    """Tell every process that `user_id` changed (call after commit). Never raises."""
    with _lock:
        _users.pop(user_id, None)
    try:
        _shared_cache().set(user_generation_key(user_id), uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.exception("fast path: could not publish the change of user %s", user_id)


def fast_cache_clear_user(user_id: Any) -> None:
    """Forget this process's copy of one user."""
    with _lock:
        _users.pop(user_id, None)


def fast_cache_clear() -> None:
    """Forget every cached token and user of this process (tests)."""
    with _lock:
        _tokens.clear()
        _users.clear()


def _user_generation(user_id: Any) -> str | None:
    """The user's current generation; None when Redis cannot answer."""
    return shared_generation(user_generation_key(user_id), f"user {user_id}")


def _user(raw: bytes) -> Any:
    """The active user of access token `raw`, as simplejwt's JWTAuthentication finds it."""
    from rest_framework_simplejwt.authentication import JWTAuthentication

    now = time.time()
    hit = _tokens.get(raw)
    if hit is None:
        try:
            token = JWTAuthentication().get_validated_token(raw)
            user_id = token[str(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id"))]
            expires = float(token["exp"])
        except Exception:
            raise _Delegate from None  # DRF answers the 401 in its words
        hit = (user_id, expires, token)
        with _lock:
            _tokens[raw] = hit
            while len(_tokens) > _MAX_CACHED:
                _tokens.pop(next(iter(_tokens)))
    user_id, expires, token = hit
    if expires <= now:
        raise _Delegate
    generation = _user_generation(user_id)
    known = _users.get(user_id)
    if (
        known is not None
        and generation is not None
        and known[1] == generation
        and time.monotonic() - known[2] < settings.VUR_SERVING_RECHECK_S
    ):
        return known[0]
    try:
        user = JWTAuthentication().get_user(token)
    except Exception:
        raise _Delegate from None  # inactive or gone: DRF answers
    with _lock:
        _users[user_id] = (user, generation, time.monotonic())
        while len(_users) > _MAX_CACHED:
            _users.pop(next(iter(_users)))
    return user


def _body(raw: bytes) -> tuple[int, Any, bool]:
    """(model_id, data, return_probabilities) of an ordinary body; _Delegate otherwise."""
    try:
        body = fastjson.loads(raw)
    except ValueError:  # UnicodeDecodeError is one
        raise _Delegate from None
    if not isinstance(body, dict):
        raise _Delegate
    model_id, data = body.get("model_id"), body.get("data")
    proba = body.get("return_probabilities", False)
    if type(model_id) is not int or not 0 <= model_id <= MAX_ID:
        raise _Delegate  # the serializer answers an id no column can hold
    if not isinstance(data, (dict, list)) or type(proba) is not bool:
        raise _Delegate
    return model_id, data, proba


def _headers() -> list[tuple[bytes, bytes]]:
    """The headers Django's middleware and DRF put on this view's JSON answer."""
    out = [
        (b"content-type", b"application/json"),
        (b"vary", b"Accept"),
        (b"allow", b"POST, OPTIONS"),
    ]
    if settings.X_FRAME_OPTIONS:
        out.append((b"x-frame-options", settings.X_FRAME_OPTIONS.encode()))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        out.append((b"x-content-type-options", b"nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        policy = policy if isinstance(policy, str) else ",".join(policy)
        out.append((b"referrer-policy", policy.encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        coop = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
        out.append((b"cross-origin-opener-policy", coop.encode()))
    return out


def ordinary(scope: dict) -> bytes | None:
    """The raw access token when the request's method, path, headers and host allow the fast
    path; None when Django must answer it."""
    if scope.get("method") != "POST" or scope.get("path") not in PATHS:
        return None
    if not getattr(settings, "VUR_FAST_PREDICT", True) or VIEW_NAME in EXPENSIVE_ROUTES:
        return None  # switched off, or rate limited: only DRF's throttle counts requests
    if settings.SECURE_SSL_REDIRECT and scope.get("scheme") != "https":
        return None
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    accept = headers.get(b"accept", b"").split(b";")[0].strip().lower()
    if content_type != b"application/json" or accept not in _JSON_ACCEPT:
        return None
    domain, _port = split_domain_port(headers.get(b"host", b"").decode("latin-1"))
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or not validate_host(domain, allowed):
        return None
    parts = headers.get(b"authorization", b"").split()
    if len(parts) != 2 or parts[0] != b"Bearer":
        return None
    return parts[1]


def answer(raw_token: bytes, body: bytes) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """(status, body, extra headers) of an ordinary request; _Delegate when it is not one."""
    user = _user(raw_token)
    model_id, data, proba = _body(body)
    try:
        out = services.predict_rows(
            user=user, model_id=model_id, data=data, return_probabilities=proba
        )
        return 200, fastjson.dumps(out), []
    except VURError as exc:
        error: dict[str, Any] = {"detail": exc.detail, "code": exc.code}
        if exc.errors:
            error["errors"] = exc.errors
        retry = getattr(exc, "retry_after", None)
        extra = [(b"retry-after", str(retry).encode())] if retry else []
        return exc.status_code, fastjson.dumps(error), extra


_answer = database_sync_to_async(answer, thread_sensitive=False)


class FastPredictApp:
    """ASGI middleware: ordinary `predictions/single` requests answered here, the rest by `app`."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        token = ordinary(scope) if scope["type"] == "http" else None
        if token is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        try:
            status, payload, extra = await _answer(token, body)
        except _Delegate:
            await self.app(scope, _replay(body, receive), send)
            return
        headers = [*_headers(), *extra, (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        _count(status, time.perf_counter() - started)


def _replay(body: bytes, receive: Any) -> Any:
    """A `receive` that hands the already-read body to Django, then waits like the original."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _count(status: int, seconds: float) -> None:
    """The request in the per-view metrics, as RequestMetricsMiddleware counts Django's."""
    from vur.metrics import LATENCY, REQUESTS

    LATENCY.labels(VIEW_NAME, "POST").observe(seconds)
    REQUESTS.labels(VIEW_NAME, "POST", str(status)).inc()
