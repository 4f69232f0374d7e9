"""The prediction log: written in bulk by a background thread off the request path, ids valid
once flushed, rollups that add up, batch jobs summarised per chunk."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from conftest import sample_path, wait_for
from predictions.logbook import (
    LogEntry,
    PredictionLog,
    latency_bucket,
    latency_bucket_value,
    prediction_log,
    prediction_log_write,
)
from predictions.models import PredictionRecord, PredictionRollup

FRAME = pd.read_csv(sample_path("penguins.csv")).dropna()


@pytest.fixture
def stop_log():
    """End the process-wide writer thread after the test (it holds a database connection)."""
    yield prediction_log
    prediction_log.stop()


FEATURES = [c for c in FRAME.columns if c != "species"]


def _rows(n: int) -> list[dict]:
    rows = FRAME[FEATURES].iloc[:n].to_dict("records")
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in rows]


def test_latency_buckets_are_monotonic_and_close():
    values = [0.05, 0.9, 1.0, 3.3, 12.0, 250.0, 4000.0]
    buckets = [latency_bucket(v) for v in values]
    assert buckets == sorted(buckets)
    for value, bucket in zip(values, buckets, strict=True):
        assert abs(latency_bucket_value(bucket) / value - 1) < 0.07


@pytest.mark.django_db
def test_a_bulk_write_adds_up_in_both_resolutions(owner, deployed_model):
    entries = [
        LogEntry(owner_id=owner.pk, model_id=deployed_model.pk, prediction="Adelie", latency_ms=2)
        for _ in range(30)
    ]
    entries.append(LogEntry(owner_id=owner.pk, model_id=deployed_model.pk, error_code="x"))
    assert prediction_log_write(entries) == 31
    prediction_log_write([LogEntry(owner_id=owner.pk, model_id=deployed_model.pk)])
    for resolution in (300, 3600):
        rows = PredictionRollup.objects.filter(model=deployed_model, resolution=resolution)
        assert sum(r.count for r in rows) == 31 and sum(r.errors for r in rows) == 1
        assert sum(r.latency_count for r in rows) == 31
    assert PredictionRecord.objects.filter(model=deployed_model).count() == 32


@pytest.mark.django_db(transaction=True)
@override_settings(VUR_PREDICTION_LOG_ASYNC=True, VUR_PREDICTION_LOG_FLUSH_S=0.2)
def test_rest_predictions_are_written_by_the_background_thread(api, deployed_model, stop_log):
    res = api.post(
        "/api/v1/predictions/single",
        {"model_id": deployed_model.pk, "data": _rows(5)},
        format="json",
    )
    assert res.status_code == 200, res.content
    ids = res.json()["prediction_ids"]
    # Nobody flushes here: the thread writes them within its interval.
    written = wait_for(
        lambda: PredictionRecord.objects.filter(pk__in=ids).count(), lambda n: n == 5, 30
    )
    assert written == 5
    # An id answered a moment ago is valid for feedback even before the thread's next pass.
    fresh = api.post(
        "/api/v1/predictions/single", {"model_id": deployed_model.pk, "data": _rows(1)}
    ).json()["prediction_ids"][0]
    fb = api.post("/api/v1/predictions/feedback", {"prediction_id": fresh, "actual": "Adelie"})
    assert fb.status_code == 201, fb.content
    assert PredictionRecord.objects.get(pk=fresh).actual == "Adelie"


@pytest.mark.django_db(transaction=True)
@override_settings(VUR_PREDICTION_LOG_ASYNC=True, VUR_PREDICTION_LOG_FLUSH_S=60)
def test_a_full_buffer_is_written_before_the_interval_and_flush_empties_it(
    request, owner, deployed_model
):
    log = PredictionLog()
    request.addfinalizer(log.stop)
    with override_settings(VUR_PREDICTION_LOG_MAX_ROWS=10):
        log.add([LogEntry(owner_id=owner.pk, model_id=deployed_model.pk) for _ in range(12)])
        assert wait_for(log.pending, lambda n: n == 0, 30) == 0
    assert PredictionRecord.objects.filter(model=deployed_model).count() == 12
    log.add([LogEntry(owner_id=owner.pk, model_id=deployed_model.pk) for _ in range(3)])
    assert log.flush() == 3 and log.pending() == 0
    assert PredictionRecord.objects.filter(model=deployed_model).count() == 15
    assert prediction_log.flush() == 0
    log.add([LogEntry(owner_id=owner.pk, model_id=deployed_model.pk)])
    log.stop()  # writes what is pending before the thread ends
    assert log.pending() == 0 and not log._thread.is_alive()
    assert PredictionRecord.objects.filter(model=deployed_model).count() == 16


@pytest.mark.django_db(transaction=True)
def test_a_batch_job_is_summarised_per_chunk(celery_worker, api, deployed_model):
    frame = pd.concat([FRAME] * 2, ignore_index=True).iloc[:250]
    buf = io.BytesIO()
    frame[FEATURES].to_csv(buf, index=False)
    with override_settings(VUR_BATCH_CHUNK_ROWS=100):
        res = api.post(
            "/api/v1/predictions/batch",
            {"model_id": deployed_model.pk, "file": SimpleUploadedFile("b.csv", buf.getvalue())},
            format="multipart",
        )
        assert res.status_code == 202, res.content
        job_id = res.json()["job_id"]
        body = wait_for(
            lambda: api.get(f"/api/v1/predictions/batch/{job_id}").json(),
            lambda b: b["status"] in ("completed", "failed"),
            180,
        )
    assert body["status"] == "completed", body
    chunks = PredictionRecord.objects.filter(model=deployed_model, channel="batch")
    assert sorted(c.row_count for c in chunks) == [50, 100, 100]
    first = chunks.order_by("inputs__chunk").first()
    assert first.inputs["batch_job_id"] == job_id and len(first.inputs["sample"]) == 100
    assert sum(first.prediction["summary"]["levels"].values()) == first.row_count
    metrics = api.get(f"/api/v1/monitoring/models/{deployed_model.pk}/metrics?window=1h").json()
    assert metrics["prediction_count"] == 250
    assert metrics["latency_ms"]["p50"] is None  # chunks are counted, not timed per request


@pytest.mark.django_db
def test_records_read_back_as_the_entries_held_them(owner, deployed_model):
    """The writer builds column values itself (JSON text, dates once per value): what the ORM
    reads back is what the entries held, awkward text and numbers included."""
    awkward = {
        "text": 'tab\there, new\nline, back\\slash, "quoted", é, 中',
        "big": 2**70,
        "small": 1e-7,
        "none": None,
        "flag": True,
    }
    entries = [
        LogEntry(owner_id=owner.pk, model_id=deployed_model.pk, inputs=awkward, prediction=7),
        LogEntry(
            owner_id=owner.pk,
            model_id=deployed_model.pk,
            channel="websocket",
            source="websocket",
            inputs={"x": 1},
            prediction="Adelie",
            probabilities={"Adelie": 0.25, "Gentoo": 0.75},
            latency_ms=1.5,
        ),
        LogEntry(owner_id=owner.pk, model_id=deployed_model.pk, error_code="invalid_rows"),
    ]
    entries[1].created_at = entries[0].created_at  # one request's entries share their time
    prediction_log_write(entries)
    for entry in entries:
        record = PredictionRecord.objects.get(pk=entry.id)
        assert record.owner_id == owner.pk and record.model_id == deployed_model.pk
        assert record.inputs == entry.inputs
        assert record.prediction == entry.prediction
        assert record.probabilities == entry.probabilities
        assert (record.channel, record.source) == (entry.channel, entry.source)
        assert record.error_code == entry.error_code and record.row_count == entry.row_count
        assert record.latency_ms == entry.latency_ms
        assert record.created_at == entry.created_at == record.updated_at
        assert record.actual is None and record.feedback_at is None
