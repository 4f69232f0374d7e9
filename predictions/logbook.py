"""The prediction log: every prediction (REST, WebSocket, batch) recorded off the request path.

Serving code hands entries to `prediction_log.add()`, which only appends them to an in-process
buffer; a background thread writes the buffer in bulk every `VUR_PREDICTION_LOG_FLUSH_S`
seconds (sooner once `VUR_PREDICTION_LOG_MAX_ROWS` wait), and again at shutdown. Each write also
adds the entries to the per-bucket rollups monitoring reads. Prediction ids are made up front, so
an answer's `prediction_ids` are valid once flushed; feedback flushes first when it misses one.
With `VUR_PREDICTION_LOG_ASYNC=false` (the test settings) `add()` writes at once.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import threading
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from predictions.models import PredictionRecord, PredictionRollup
from training.reference import level_key

logger = logging.getLogger(__name__)

RESOLUTIONS = (300, 3600)
MAX_PENDING = 200_000
# Latency histogram: 20 log-spaced buckets per decade from 0.01 ms to 100 s (12% wide).
LATENCY_PER_DECADE = 20
LATENCY_MIN_MS = 0.01
LATENCY_BUCKETS = 7 * LATENCY_PER_DECADE + 1


def latency_bucket(ms: float) -> int:
    """Histogram bucket of a latency in milliseconds."""
    if not ms or ms <= LATENCY_MIN_MS or not math.isfinite(ms):
        return 0
    index = int(math.floor(math.log10(ms / LATENCY_MIN_MS) * LATENCY_PER_DECADE)) + 1
    return min(index, LATENCY_BUCKETS - 1)


def latency_bucket_value(index: int) -> float:
    """A representative latency (ms) of a bucket: its geometric middle."""
    if index <= 0:
        return LATENCY_MIN_MS
    return LATENCY_MIN_MS * 10 ** ((index - 0.5) / LATENCY_PER_DECADE)


def bucket_start(stamp: datetime, resolution: int) -> datetime:
    """The start of the `resolution`-second bucket holding `stamp` (UTC)."""
    epoch = int(stamp.timestamp())
    return datetime.fromtimestamp(epoch - epoch % resolution, tz=UTC)


@dataclass
class LogEntry:
    """One prediction (or failed request, or batch chunk) waiting to be written."""

    owner_id: int
    model_id: int
    channel: str = "rest"
    source: str = "api"
    inputs: Any = field(default_factory=dict)
    prediction: Any = None
    probabilities: Any = None
    latency_ms: float = 0.0
    error_code: str = ""
    row_count: int = 1
    timed: bool = True  # counted in the latency histogram (a batch chunk is not)
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    created_at: datetime = field(default_factory=timezone.now)


def _record(entry: LogEntry) -> PredictionRecord:
    return PredictionRecord(
        id=entry.id,
        owner_id=entry.owner_id,
        model_id=entry.model_id,
        source=entry.source,
        channel=entry.channel,
        inputs=entry.inputs,
        prediction=entry.prediction,
        probabilities=entry.probabilities,
        latency_ms=entry.latency_ms,
        error_code=entry.error_code,
        row_count=entry.row_count,
        created_at=entry.created_at,
        updated_at=entry.created_at,
    )


def _empty() -> dict[str, Any]:
    return {
        "count": 0,
        "errors": 0,
        "latency_count": 0,
        "latency_sum_ms": 0.0,
        "latency_hist": Counter(),
        "feedback_count": 0,
        "correct_count": 0,
        "abs_error_sum": 0.0,
        "sq_error_sum": 0.0,
    }


def rollup_apply(deltas: dict[tuple, dict[str, Any]]) -> None:
    """Add `deltas` (keyed by model id, resolution, bucket, channel) to the rollup rows.

    Rows are locked while merged, so concurrent writers (web processes, workers) add up.
    """
    for (model_id, resolution, bucket, channel), delta in sorted(deltas.items()):
        key = {"model_id": model_id, "resolution": resolution, "bucket": bucket, "channel": channel}
        row = PredictionRollup.objects.select_for_update().filter(**key).first()
        if row is None:
            try:
                with transaction.atomic():
                    PredictionRollup.objects.create(
                        **key,
                        **{k: v for k, v in delta.items() if k != "latency_hist"},
                        latency_hist={str(k): v for k, v in delta["latency_hist"].items()},
                    )
                continue
            except IntegrityError:
                row = PredictionRollup.objects.select_for_update().get(**key)
        for name in ("count", "errors", "latency_count", "feedback_count", "correct_count"):
            setattr(row, name, getattr(row, name) + delta[name])
        for name in ("latency_sum_ms", "abs_error_sum", "sq_error_sum"):
            setattr(row, name, getattr(row, name) + delta[name])
        hist = Counter({int(k): v for k, v in (row.latency_hist or {}).items()})
        hist.update(delta["latency_hist"])
        row.latency_hist = {str(k): v for k, v in sorted(hist.items()) if v}
        row.save()


def _entry_deltas(entries: list[LogEntry]) -> dict[tuple, dict[str, Any]]:
    deltas: dict[tuple, dict[str, Any]] = defaultdict(_empty)
    for e in entries:
        for res in RESOLUTIONS:
            d = deltas[(e.model_id, res, bucket_start(e.created_at, res), e.channel)]
            if e.error_code:
                d["errors"] += e.row_count
                continue
            d["count"] += e.row_count
            if e.timed:
                d["latency_count"] += 1
                d["latency_sum_ms"] += e.latency_ms
                d["latency_hist"][latency_bucket(e.latency_ms)] += 1
    return deltas


def prediction_log_write(entries: list[LogEntry]) -> int:
    """Write entries as prediction records and add them to the rollups, in one transaction."""
    if not entries:
        return 0
    with transaction.atomic():
        PredictionRecord.objects.bulk_create([_record(e) for e in entries], batch_size=2000)
        rollup_apply(_entry_deltas(entries))
    return len(entries)


# ------------------------------------------------------------------------------ feedback


def feedback_contribution(problem_type: str, prediction: Any, actual: Any) -> dict[str, Any]:
    """What one piece of feedback adds to a rollup (classification: correct; else errors)."""
    d = _empty()
    if actual is None or prediction is None:
        return d
    d["feedback_count"] = 1
    if problem_type == "classification":
        d["correct_count"] = int(level_key(prediction) == level_key(actual))
    else:
        err = float(actual) - float(prediction)
        d["abs_error_sum"] = abs(err)
        d["sq_error_sum"] = err * err
    return d


def rollup_feedback(record: PredictionRecord, problem_type: str, old_actual: Any) -> None:
    """Move a record's feedback in its buckets from `old_actual` (None: none yet) to its
    current actual. Run inside the transaction that saves the record."""
    new = feedback_contribution(problem_type, record.prediction, record.actual)
    old = feedback_contribution(problem_type, record.prediction, old_actual)
    delta = {k: new[k] - old[k] for k in new if k != "latency_hist"}
    delta["latency_hist"] = Counter()
    deltas = {
        (record.model_id, res, bucket_start(record.created_at, res), record.channel): delta
        for res in RESOLUTIONS
    }
    rollup_apply(deltas)


# ------------------------------------------------------------------------------ the buffer


class PredictionLog:
    """In-process buffer of log entries, written in bulk by a background thread."""

    def __init__(self) -> None:
        self._pending: list[LogEntry] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._atexit = False

    def add(self, entries: list[LogEntry]) -> None:
        """Queue entries for writing (at once when the log is synchronous)."""
        if not entries:
            return
        if not settings.VUR_PREDICTION_LOG_ASYNC:
            prediction_log_write(entries)
            return
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent writes its own entries
                self._pending, self._thread, self._pid = [], None, os.getpid()
            self._pending.extend(entries)
            waiting = len(self._pending)
            if self._thread is None or not self._thread.is_alive():
                self._start()
        if waiting >= settings.VUR_PREDICTION_LOG_MAX_ROWS:
            self._wake.set()

    def pending(self) -> int:
        """Entries not written yet."""
        with self._lock:
            return len(self._pending)

    def flush(self) -> int:
        """Write every pending entry now; return how many were written. Safe from any thread."""
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                return prediction_log_write(batch)
            except Exception:
                logger.exception("prediction log: %d entries could not be written", len(batch))
                with self._lock:  # keep them for the next try, within a bound
                    room = max(0, MAX_PENDING - len(self._pending))
                    self._pending[:0] = batch[:room]
                return 0

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()
        if not self._atexit:
            atexit.register(self.flush)
            self._atexit = True

    def _run(self) -> None:
        while True:
            self._wake.wait(settings.VUR_PREDICTION_LOG_FLUSH_S)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                logger.exception("prediction log flush failed")
            finally:
                close_old_connections()


prediction_log = PredictionLog()
