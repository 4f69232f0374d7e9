"""Project-level views: the health check (the dashboard page lives in vur/dashboard.py)."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


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
