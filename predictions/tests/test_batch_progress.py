"""A batch job shows where it is: progress moves within a chunk (a one-chunk file does not sit at
0% until done), a running job with nothing scored yet says "scoring…", and the model page's
recent files tell jobs of the same file apart by when they ran, rows scored and status."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pandas as pd
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import sample_path, wait_for
from predictions import services
from predictions.models import BatchJob

pytestmark = pytest.mark.django_db(transaction=True)

PENGUINS = pd.read_csv(sample_path("penguins.csv")).drop(columns=["species"])


def test_progress_moves_within_one_chunk(api, deployed_model, celery_worker, monkeypatch):
    monkeypatch.setattr(services, "BATCH_PROGRESS_ROWS", 1_000, raising=False)
    rows = pd.concat([PENGUINS] * 146, ignore_index=True).head(50_000)  # one default chunk
    upload = SimpleUploadedFile("big.csv", rows.to_csv(index=False).encode())
    res = api.post(
        "/api/v1/predictions/batch",
        {"model_id": deployed_model.pk, "file": upload},
        format="multipart",
    )
    assert res.status_code == 202, res.content
    job_id = res.json()["job_id"]
    seen: set[int] = set()

    def status() -> dict:
        body = api.get(f"/api/v1/predictions/batch/{job_id}").json()
        seen.add(body["rows_done"])
        return body

    final = wait_for(status, lambda b: b["status"] in ("completed", "failed"), 180, 0.02)
    assert final["status"] == "completed" and final["rows_done"] == 50_000, final
    assert any(0 < n < 50_000 for n in seen), sorted(seen)
    download = api.get(f"/api/v1/predictions/batch/{job_id}/download")
    scored = pd.read_csv(io.BytesIO(b"".join(download.streaming_content)))
    assert len(scored) == 50_000
    assert list(scored.columns[:8]) == [*PENGUINS.columns, "prediction"]
    pd.testing.assert_frame_equal(scored[list(PENGUINS.columns)], rows, check_dtype=False)


def _job(model, status: str, started: datetime | None, **fields) -> BatchJob:
    job = BatchJob.objects.create(owner=model.owner, model=model, status=status, **fields)
    job.input_file.save("march.csv", ContentFile(b"island\nBiscoe\n"))
    BatchJob.objects.filter(pk=job.pk).update(
        created_at=started or datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC), started_at=started
    )
    return job


def test_recent_files_tell_jobs_of_one_file_apart(owner, deployed_model):
    done = _job(
        deployed_model, "completed", datetime(2026, 3, 2, 8, 15, 30, tzinfo=UTC),
        rows_done=200, rows_total=200, progress=1.0,
        completed_at=datetime(2026, 3, 2, 8, 16, 2, tzinfo=UTC),
    )  # fmt: skip
    running = _job(
        deployed_model, "running", datetime(2026, 3, 2, 14, 5, 9, tzinfo=UTC), rows_total=50_000
    )
    failed = _job(
        deployed_model, "failed", datetime(2026, 3, 1, 7, 0, 0, tzinfo=UTC),
        rows_done=50, rows_total=200, progress=0.25, error="body_mass_g: 1 value is not a number",
    )  # fmt: skip
    web = Client()
    web.force_login(owner)
    page = web.get(f"/models/{deployed_model.pk}/").content.decode()
    failed_html = page[page.index(f"batch-{failed.pk}") :]
    assert "50 of 200 rows scored before it failed; no result kept" in failed_html
    assert "<progress" not in failed_html.split("</li>")[0]
    recent = page[page.index('id="batch-recent"') :]
    first, second = recent.index(f"batch-{running.pk}"), recent.index(f"batch-{done.pk}")
    assert first < second  # newest first
    running_html, done_html = recent[first:second], recent[second:]
    assert "started" in running_html and "2026-03-02 14:05:09 UTC" in running_html
    assert "scoring 50000 rows…" in running_html and "0%" not in running_html
    assert 'datetime="2026-03-02T08:15:30+00:00"' in done_html
    assert "2026-03-02 08:15:30 UTC" in done_html and "ended" in done_html
    assert "200 of 200 rows scored" in done_html and "Completed" in done_html
