"""Project-level views: the health check and the error handlers (the dashboard page lives in
vur/dashboard.py).

The error handlers answer the contract's JSON `{"detail", "code"}` to requests under the API's
base path, which no API view answered itself (an unknown address, a refused host, a crash), and
Django's HTML pages everywhere else.
"""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"


def is_api_request(request: HttpRequest) -> bool:
    """Whether `request` is addressed to the REST API (its errors are JSON, never pages)."""
    return request.path_info.startswith(API_PREFIX)


def _api_error(status: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler400`: a request Django refused before any view (e.g. a host not allowed)."""
    if is_api_request(request):
        detail = "The request was refused as malformed or unsafe (for example its host name)."
        return _api_error(400, detail, "bad_request")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler403`: PermissionDenied raised outside an API view."""
    if is_api_request(request):
        return _api_error(403, "You do not have permission to do this.", "permission_denied")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler404`: an address nothing answers (under the API: no such endpoint or object)."""
    if is_api_request(request):
        detail = "No such endpoint or object; the API's endpoints are listed at /api/v1/docs/."
        return _api_error(404, detail, "not_found")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: an unexpected failure (always a bug; Django has logged the traceback)."""
    if is_api_request(request):
        detail = "The server failed to answer this request; the error has been logged."
        return _api_error(500, detail, "server_error")
    return defaults.server_error(request)


def health(request: HttpRequest) -> JsonResponse:
    """Liveness of the database, Redis and the Celery workers; 503 naming what is down.

    Every check has a short timeout (`VUR_HEALTH_TIMEOUT_S`), so the answer never hangs.
    """
    from vur.metrics import redis_client
    from vur.workers import workers_ping

    status = {"database": "ok", "redis": "ok", "workers": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("health: the database did not answer")
        status["database"] = "down"
    try:
        redis_client().ping()
    except Exception:
        logger.exception("health: Redis did not answer")
        status["redis"] = "down"
    if status["redis"] != "ok":
        status["workers"] = "unknown"  # they are reached through Redis
    else:
        status["workers"] = workers_ping()  # also refreshes the answer pages reuse
    down = [name for name, value in status.items() if value != "ok"]
    body = {"status": "healthy" if not down else "error", **status}
    if down:
        body["detail"] = f"Not answering: {', '.join(down)}."
        logger.warning("health: not answering: %s", ", ".join(down))
    response = JsonResponse(body, status=503 if down else 200)
    # Said above in one line; not again as a server error by django.request (a 503 here is an
    # answer about the other services, e.g. while `make run`'s worker is still starting).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
