"""Whether a Celery worker answers: the health check's ping, and a briefly cached answer that
pages showing queued jobs read on every poll (so polling never pings the workers each time)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

NO_WORKER_NOTE = "No worker is answering: the job will start when one is back (see /health/)."


def workers_ping() -> str:
    """Ping the Celery workers through the broker: "ok" when one answers within
    `VUR_HEALTH_TIMEOUT_S`, "down" when none does or the broker could not be reached."""
    from vur.celery import app

    try:
        with app.connection_for_write(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        ) as conn:
            replies = app.control.ping(
                timeout=settings.VUR_HEALTH_TIMEOUT_S, limit=1, connection=conn
            )
        status = "ok" if replies else "down"
    except Exception:
        logger.exception("the workers could not be pinged")
        status = "down"
    _remember(status)
    return status


def _cache_key() -> str:
    # The answer is about the workers of one broker (tests run several under their own prefix).
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
    return f"vur:workers-status:{settings.CELERY_BROKER_URL}:{prefix}"


def _remember(status: str) -> None:
    try:
        cache.set(_cache_key(), status, timeout=settings.VUR_WORKER_STATUS_CACHE_S)
    except Exception:  # Redis down: the next reader pings again
        logger.warning("could not cache the workers' status", exc_info=True)


def workers_status() -> str:
    """The workers' status ("ok" or "down"), from the cache when it was asked for within the
    last `VUR_WORKER_STATUS_CACHE_S` seconds, else pinged (and cached)."""
    try:
        cached = cache.get(_cache_key())
    except Exception:  # Redis down: the ping below fails fast and says "down"
        logger.warning("could not read the workers' cached status", exc_info=True)
        cached = None
    if cached in ("ok", "down"):
        return cached
    return workers_ping()


def queued_job_note(status: str, queued_since: datetime | None) -> str:
    """What to tell someone looking at a job that is `status` since `queued_since`: that no
    worker answers, once it has waited longer than `VUR_QUEUE_NOTE_AFTER_S`; else ""."""
    if status != "queued" or queued_since is None:
        return ""
    waited = timezone.now() - queued_since
    if waited < timedelta(seconds=settings.VUR_QUEUE_NOTE_AFTER_S):
        return ""
    return NO_WORKER_NOTE if workers_status() != "ok" else ""
