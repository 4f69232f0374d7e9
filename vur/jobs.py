"""Liveness of long Celery jobs (training, batch scoring): heartbeats and what the broker holds.

A running job's row carries `heartbeat_at` and `worker`; a background thread beats while the job
runs, so a job whose worker died is recognised by its stale beat. The reapers of each app use
`broker_task_ids` to tell a queued job whose broker message was lost from one still waiting.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from django.conf import settings
from django.db import connections, models
from django.utils import timezone

from vur.errors import TooManyRequests

logger = logging.getLogger(__name__)


def active_jobs_cap_check(queryset: models.QuerySet, *, what: str, hint: str) -> None:
    """Refuse (429, Retry-After) new work while `queryset` (one person's jobs of one kind) holds
    VUR_MAX_ACTIVE_JOBS_PER_USER queued or running ones, so nobody fills a queue. Reads only."""
    cap = int(settings.VUR_MAX_ACTIVE_JOBS_PER_USER)
    status = _job_status(queryset.model)
    active = queryset.filter(status__in=[status.QUEUED, status.RUNNING]).count()
    if cap and active >= cap:
        raise TooManyRequests(
            f"You already have {active} {what} job(s) queued or running, the most one person "
            f"may (VUR_MAX_ACTIVE_JOBS_PER_USER={cap}); {hint}.",
            retry_after=int(settings.VUR_ACTIVE_JOBS_RETRY_AFTER_S),
        )


def hold_owner(user: Any) -> None:
    """Inside a transaction: lock `user`'s row until it ends, so one person's job starts are
    counted and created one at a time (two at once could both pass the cap). PostgreSQL takes a
    row lock; SQLite's immediate transactions already let one writer in at a time."""
    from django.contrib.auth import get_user_model

    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))


def _job_status(model: Any) -> Any:
    """The job model's `Status` choices (TrainingJob and BatchJob both name QUEUED, RUNNING)."""
    return model.Status


def worker_identity() -> str:
    """`host:pid` of this process, stored on the job it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Heartbeat:
    """Context manager: beat `model`'s row `pk` every `interval` s while it stays running.

    The beat is a conditional update (`status=Status.RUNNING`); when it changes no row the job was
    ended elsewhere (cancelled, reaped) and `lost` turns true so the work can stop early.
    """

    def __init__(self, model: type[models.Model], pk, interval: float):
        self.model = model
        self.pk = pk
        self.interval = max(float(interval), 0.05)
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{pk}", daemon=True)

    def beat(self) -> bool:
        """Record one beat now; False when the job is no longer running."""
        running = _job_status(self.model).RUNNING
        changed = self.model._default_manager.filter(pk=self.pk, status=running).update(
            heartbeat_at=timezone.now()
        )
        if not changed:
            self.lost = True
        return bool(changed)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    if not self.beat():
                        return
                except Exception:  # a missed beat is not fatal; the next one may succeed
                    logger.exception("heartbeat of %s %s failed", self.model.__name__, self.pk)
        finally:
            connections.close_all()  # this thread's own connections only

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def _message_task_id(raw: bytes | str) -> str | None:
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    if isinstance(message, list) and message:  # unacked entries: [message, exchange, key]
        message = message[0]
    if not isinstance(message, dict):
        return None
    headers = message.get("headers") or {}
    return headers.get("id") or (message.get("properties") or {}).get("correlation_id")


def broker_task_ids(queues: Iterable[str]) -> set[str] | None:
    """Ids of the tasks waiting in `queues` or delivered to a worker but not yet acknowledged.

    Reads the Redis broker's lists and its `unacked` hash directly; None when the broker is not
    Redis or cannot be read, so callers leave queued jobs alone rather than guess.
    """
    from kombu.transport.redis import PRIORITY_STEPS, Channel

    from vur.celery import app

    try:
        with app.connection_for_read() as conn:
            channel = conn.default_channel
            if not isinstance(channel, Channel):
                return None
            prefix = getattr(channel, "global_keyprefix", "") or ""
            client = channel.client
            ids: set[str] = set()
            for queue in queues:
                for step in PRIORITY_STEPS:
                    key = queue if not step else f"{queue}{Channel.sep}{step}"
                    # LRANGE/HVALS are not among the commands kombu prefixes itself.
                    for raw in client.execute_command("LRANGE", prefix + key, 0, -1):
                        ids.add(_message_task_id(raw) or "")
            for raw in client.execute_command("HVALS", prefix + Channel.unacked_key):
                ids.add(_message_task_id(raw) or "")
            ids.discard("")
            return ids
    except Exception:
        logger.exception("could not read the broker's queues")
        return None
