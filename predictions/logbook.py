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
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from functools import partial
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from predictions.models import PredictionRecord, PredictionRollup
from training.reference import level_key
from vur import fastjson

logger = logging.getLogger(__name__)

# Rollup bucket lengths (s): 5 minutes, an hour, a day; a window reads the coarsest that fits.
RESOLUTIONS = (300, 3600, 86400)
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


# Columns whose values go to the database as Python holds them, on every backend.
_AS_IS = frozenset({"ForeignKey", "CharField", "TextField", "FloatField", "PositiveIntegerField"})


def _json_column(value: Any) -> str | None:
    return None if value is None else fastjson.dumps_text(value)


def _column_makers(fields: list) -> list[Any]:
    """How each column's value is made from an entry's: as it is for plain columns (and ids
    where the database has a uuid type), JSON text (orjson) for JSON columns, the field's own
    preparation for the rest (dates: remembered per value, as a request's entries share one)."""
    makers: list[Any] = []
    for f in fields:
        kind = f.get_internal_type()
        if kind in _AS_IS or (kind == "UUIDField" and connection.features.has_native_uuid_field):
            makers.append(None)
        elif kind == "JSONField":
            makers.append(_json_column)
        else:
            makers.append(_remembered(partial(f.get_db_prep_save, connection=connection)))
    return makers


def _remembered(prepare: Any) -> Any:
    """`prepare`, computed once per distinct (hashable) value."""
    seen: dict[Any, Any] = {}

    def run(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = out = prepare(value)
            return out

    return run


def _insert_records(entries: list[LogEntry]) -> None:
    """Write the entries' records with one COPY (PostgreSQL) or executemany: the ORM's
    per-object work (model instances, compiler, its JSON adapter) was most of a flush's cost,
    and the flush shares the GIL with requests.
    Fields the entry does not carry take their defaults."""
    carried_names = {f.name for f in dataclass_fields(LogEntry)} | {"updated_at"}
    every = PredictionRecord._meta.concrete_fields
    carried = [f for f in every if f.attname in carried_names]
    rest = [f for f in every if f.attname not in carried_names]
    fields = carried + rest  # the entry's columns first, then the defaults
    tail = [f.get_db_prep_save(f.get_default(), connection) for f in rest]
    # updated_at is the entry's created_at; one C-level read gives every carried value.
    read = attrgetter(*("created_at" if f.attname == "updated_at" else f.attname for f in carried))
    special = [(i, make) for i, make in enumerate(_column_makers(carried)) if make is not None]
    params = []
    for e in entries:
        row = [*read(e)]
        for i, make in special:
            row[i] = make(row[i])
        row.extend(tail)
        params.append(row)
    quote = connection.ops.quote_name
    table = quote(PredictionRecord._meta.db_table)
    columns = ", ".join(quote(f.column or f.attname) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: no per-row statement or parameter binding
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        for start in range(0, len(params), 2000):
            cursor.executemany(sql, params[start : start + 2000])


AUC_BINS = 100
COUNT_FIELDS = ("count", "errors", "latency_count", "feedback_count", "correct_count")
SUM_FIELDS = ("latency_sum_ms", "abs_error_sum", "sq_error_sum")


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
        "class_stats": {},
    }


def merge_class_stats(into: dict[str, Any], other: dict[str, Any], sign: int = 1) -> None:
    """Add (or with sign -1 subtract) per-class feedback figures: tp/fp/fn counts and the
    histograms of the class's probability among actuals of that class (pos) and others (neg)."""
    for label, stats in (other or {}).items():
        mine = into.setdefault(label, {"tp": 0, "fp": 0, "fn": 0, "pos": {}, "neg": {}})
        for name in ("tp", "fp", "fn"):
            mine[name] = mine.get(name, 0) + sign * stats.get(name, 0)
        for name in ("pos", "neg"):
            hist = mine.setdefault(name, {})
            for b, n in (stats.get(name) or {}).items():
                value = hist.get(str(b), 0) + sign * n
                if value:
                    hist[str(b)] = value
                else:
                    hist.pop(str(b), None)
        if not any(mine[n] for n in ("tp", "fp", "fn")) and not mine["pos"] and not mine["neg"]:
            into.pop(label)


def deltas_add(deltas: dict[tuple, dict[str, Any]], key: tuple, delta: dict[str, Any]) -> None:
    """Accumulate one contribution (as `feedback_contribution` makes) into `deltas[key]`."""
    into = deltas.setdefault(key, _empty())
    for name in COUNT_FIELDS + SUM_FIELDS:
        into[name] += delta[name]
    into["latency_hist"].update(delta["latency_hist"])
    merge_class_stats(into["class_stats"], delta["class_stats"])


def _merge(row: PredictionRollup, delta: dict[str, Any]) -> None:
    for name in COUNT_FIELDS + SUM_FIELDS:
        setattr(row, name, getattr(row, name) + delta[name])
    hist = Counter({int(k): v for k, v in (row.latency_hist or {}).items()})
    hist.update(delta["latency_hist"])
    row.latency_hist = {str(k): v for k, v in sorted(hist.items()) if v}
    stats = dict(row.class_stats or {})
    merge_class_stats(stats, delta["class_stats"])
    row.class_stats = stats


def _new_row(key: tuple, delta: dict[str, Any]) -> PredictionRollup:
    model_id, resolution, bucket, channel = key
    row = PredictionRollup(
        model_id=model_id, resolution=resolution, bucket=bucket, channel=channel, latency_hist={}
    )
    _merge(row, delta)
    return row


def rollup_apply(deltas: dict[tuple, dict[str, Any]]) -> None:
    """Add `deltas` (keyed by model id, resolution, bucket, channel) to the rollup rows, in a
    few bulk queries. Existing rows are locked while merged and a row another writer created
    meanwhile is merged one by one, so concurrent writers (web processes, workers) add up."""
    if not deltas:
        return
    keys = sorted(deltas)
    existing = {
        (r.model_id, r.resolution, r.bucket, r.channel): r
        for r in PredictionRollup.objects.select_for_update().filter(
            model_id__in={k[0] for k in keys},
            resolution__in={k[1] for k in keys},
            channel__in={k[3] for k in keys},
            bucket__gte=min(k[2] for k in keys),
            bucket__lte=max(k[2] for k in keys),
        )
    }
    fields = [*COUNT_FIELDS, *SUM_FIELDS, "latency_hist", "class_stats"]
    changed = []
    for key in keys:
        if key in existing:
            _merge(existing[key], deltas[key])
            changed.append(existing[key])
    if len(changed) > 20:
        PredictionRollup.objects.bulk_update(changed, fields, batch_size=500)
    else:  # a few plain UPDATEs cost less than one CASE per field and row
        for row in changed:
            row.save(update_fields=fields)
    fresh = [key for key in keys if key not in existing]
    if not fresh:
        return
    try:
        with transaction.atomic():
            PredictionRollup.objects.bulk_create([_new_row(k, deltas[k]) for k in fresh])
    except IntegrityError:  # another writer created some of them: merge one at a time
        for key in fresh:
            _rollup_one(key, deltas[key])


def _rollup_one(key: tuple, delta: dict[str, Any]) -> None:
    model_id, resolution, bucket, channel = key
    where = {"model_id": model_id, "resolution": resolution, "bucket": bucket, "channel": channel}
    row = PredictionRollup.objects.select_for_update().filter(**where).first()
    if row is None:
        try:
            with transaction.atomic():
                _new_row(key, delta).save()
            return
        except IntegrityError:
            row = PredictionRollup.objects.select_for_update().get(**where)
    _merge(row, delta)
    row.save()


def _entry_deltas(entries: list[LogEntry]) -> dict[tuple, dict[str, Any]]:
    """The entries' additions to the rollups. Entries of one request share their time and
    latency, so their buckets are worked out once per distinct value."""
    deltas: dict[tuple, dict[str, Any]] = defaultdict(_empty)
    starts_of = _remembered(lambda stamp: [bucket_start(stamp, res) for res in RESOLUTIONS])
    bin_of = _remembered(latency_bucket)
    for e in entries:
        for res, start in zip(RESOLUTIONS, starts_of(e.created_at), strict=True):
            d = deltas[(e.model_id, res, start, e.channel)]
            if e.error_code:
                d["errors"] += e.row_count
                continue
            d["count"] += e.row_count
            if e.timed:
                d["latency_count"] += 1
                d["latency_sum_ms"] += e.latency_ms
                d["latency_hist"][bin_of(e.latency_ms)] += 1
    return deltas


def prediction_log_write(entries: list[LogEntry]) -> int:
    """Write entries as prediction records and add them to the rollups, in one transaction."""
    if not entries:
        return 0
    with transaction.atomic():
        _insert_records(entries)
        rollup_apply(_entry_deltas(entries))
    return len(entries)


# ------------------------------------------------------------------------------ feedback


def feedback_contribution(
    problem_type: str, prediction: Any, actual: Any, probabilities: Any = None
) -> dict[str, Any]:
    """What one piece of feedback adds to a rollup: for a classifier correct/tp/fp/fn and the
    probability histograms (AUC); for a regressor the absolute and squared errors."""
    d = _empty()
    if actual is None or prediction is None:
        return d
    d["feedback_count"] = 1
    if problem_type == "classification":
        truth, said = level_key(actual), level_key(prediction)
        d["correct_count"] = int(truth == said)
        stats: dict[str, Any] = {}
        if truth == said:
            merge_class_stats(stats, {truth: {"tp": 1}})
        else:
            merge_class_stats(stats, {said: {"fp": 1}, truth: {"fn": 1}})
        if isinstance(probabilities, dict):
            for label, p in probabilities.items():
                try:
                    b = min(int(float(p) * AUC_BINS), AUC_BINS - 1)
                except (TypeError, ValueError):
                    continue
                side = "pos" if level_key(label) == truth else "neg"
                merge_class_stats(stats, {level_key(label): {side: {str(max(b, 0)): 1}}})
        d["class_stats"] = stats
    else:
        err = float(actual) - float(prediction)
        d["abs_error_sum"] = abs(err)
        d["sq_error_sum"] = err * err
    return d


def rollup_feedback_many(changes: list[tuple[PredictionRecord, Any]], problem_type: str) -> None:
    """Move the feedback of records of one problem type in their buckets, from `old_actual`
    (None: none yet) to each record's current actual, `(record, old_actual)` each; summed per
    bucket and written in one `rollup_apply`. Run inside the transaction that saves them."""
    deltas: dict[tuple, dict[str, Any]] = {}
    for record, old_actual in changes:
        proba = record.probabilities
        new = feedback_contribution(problem_type, record.prediction, record.actual, proba)
        old = feedback_contribution(problem_type, record.prediction, old_actual, proba)
        delta = {k: new[k] - old[k] for k in (*COUNT_FIELDS, *SUM_FIELDS)}
        delta["latency_hist"] = Counter()
        stats: dict[str, Any] = {}
        merge_class_stats(stats, new["class_stats"])
        merge_class_stats(stats, old["class_stats"], sign=-1)
        delta["class_stats"] = stats
        for res in RESOLUTIONS:
            key = (record.model_id, res, bucket_start(record.created_at, res), record.channel)
            deltas_add(deltas, key, delta)
    rollup_apply(deltas)


# ------------------------------------------------------------------------------ the buffer


class PredictionLog:
    """In-process buffer of log entries, written in bulk by a background thread."""

    def __init__(self) -> None:
        self._pending: list[LogEntry] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
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

    def stop(self, timeout: float = 30.0) -> None:
        """Write what is pending, end the writer thread and close its connection (shutdown,
        tests). The next `add()` starts a new thread."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._stop.set()
            self._wake.set()
            thread.join(timeout)
        self.flush()

    def _start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()
        if not self._atexit:
            atexit.register(self.flush)
            self._atexit = True

    def _run(self) -> None:
        # A pooled (PostgreSQL) connection goes back to the pool after each flush, so the
        # thread never holds one the requests need. A SQLite connection is kept between
        # flushes (closing it checkpoints the WAL, the dearest part of a small flush) and
        # renewed once a minute.
        keep = connection.vendor == "sqlite"
        renewed = time.monotonic()
        try:
            while not self._stop.is_set():
                self._wake.wait(settings.VUR_PREDICTION_LOG_FLUSH_S)
                self._wake.clear()
                try:
                    self.flush()
                except Exception:
                    logger.exception("prediction log flush failed")
                    connection.close()
                if not keep:
                    connection.close()
                elif time.monotonic() - renewed > 60:
                    close_old_connections()
                    renewed = time.monotonic()
        finally:
            connection.close()


prediction_log = PredictionLog()
