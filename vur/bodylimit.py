"""Refuse a request body over the limit before it is read, not after it has arrived.

Django's ASGI handler reads the whole body (into a spooled temporary file) before any view or
upload handler runs, and daphne's Twisted request buffers it before the application is called.
So the limit is enforced twice, ahead of both:

- `BodyLimitMiddleware` wraps the ASGI app: a declared `Content-Length` over the limit answers
  413 at once without reading a byte; a streamed (chunked) body is counted as it arrives and
  refused as soon as it passes the limit.
- `install_daphne_limit()` swaps daphne's request class for one that refuses from the declared
  length as soon as the headers are in, and drops a chunked body past the limit, so the
  server itself never spools a 1 GB upload.

The limit is `VUR_MAX_UPLOAD_MB` (+ 64 KB of form overhead) for multipart bodies and
`DATA_UPLOAD_MAX_MEMORY_SIZE` for every other body.
"""

from __future__ import annotations

import json
import logging
from typing import Any

logger = logging.getLogger(__name__)

FORM_OVERHEAD = 64 * 1024


def upload_limit() -> int:
    """The largest body of any request: an upload at `VUR_MAX_UPLOAD_MB` plus form overhead."""
    from django.conf import settings

    return int(settings.VUR_MAX_UPLOAD_MB) * 1024 * 1024 + FORM_OVERHEAD


def body_limit(content_type: bytes) -> int:
    """The body limit for a request of this content type."""
    from django.conf import settings

    if content_type.lower().startswith(b"multipart/"):
        return upload_limit()
    return max(int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0), FORM_OVERHEAD)


def _too_large_body(limit: int) -> bytes:
    megabytes = limit / (1024 * 1024)
    detail = f"The request body is larger than the {megabytes:.0f} MB limit."
    if limit < 1024 * 1024:
        detail = f"The request body is larger than the {limit // 1024} KB limit."
    return json.dumps({"detail": detail, "code": "file_too_large"}).encode()


class BodyLimitMiddleware:
    """ASGI middleware: 413 from the declared length before reading, or while counting chunks."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = body_limit(headers.get(b"content-type", b""))
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            await self._refuse(send, limit)
            return
        received = 0
        refused = False

        async def limited_receive() -> dict:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await self._refuse(send, limit)
                    # Django's handler stops reading and answers nothing more on a disconnect.
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, limited_receive, send)

    @staticmethod
    async def _refuse(send: Any, limit: int) -> None:
        body = _too_large_body(limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _raw_413(limit: int) -> bytes:
    body = _too_large_body(limit)
    head = (
        "HTTP/1.1 413 Content Too Large\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def install_daphne_limit() -> bool:
    """Make daphne refuse over-limit bodies as they arrive; False when daphne is not installed.

    Daphne builds each request from the module attribute `daphne.http_protocol.WebRequest`;
    `vur/tests/test_bodylimit.py` fails loudly if that ever stops being true.
    """
    try:
        from daphne import http_protocol
    except ImportError:
        return False
    base: Any = http_protocol.WebRequest  # daphne ships no types
    if getattr(base, "vur_limited", False):
        return True

    class LimitedWebRequest(base):
        """daphne's request, refusing a body over `upload_limit()` before spooling it."""

        vur_limited = True
        _vur_received = 0
        _vur_refused = False

        def _vur_refuse(self) -> None:
            self._vur_refused = True
            transport = self.channel.transport if self.channel else None
            if transport is not None:
                transport.write(_raw_413(upload_limit()))
                transport.loseConnection()

        def gotLength(self, length):  # noqa: N802 - Twisted's name
            if length is not None and length > upload_limit():
                super().gotLength(0)  # no temporary file for a body we will not read
                self._vur_refuse()
                return
            super().gotLength(length)

        def handleContentChunk(self, data):  # noqa: N802 - Twisted's name
            if self._vur_refused:
                return
            self._vur_received += len(data)
            if self._vur_received > upload_limit():
                self._vur_refuse()
                return
            super().handleContentChunk(data)

        def process(self):
            if self._vur_refused:
                return None
            return super().process()

    http_protocol.WebRequest = LimitedWebRequest
    return True
