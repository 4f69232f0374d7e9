"""Batch results hold what was asked for: the chosen input columns (all by default, none when
empty), the prediction, and the probabilities unless turned off."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import sample_path, wait_for
from predictions.models import BatchJob

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = pd.read_csv(sample_path("penguins.csv")).drop(columns=["species"]).head(40)


def _run(api, model_id: int, data: bytes | None = None, **fields) -> pd.DataFrame:
    upload = SimpleUploadedFile("rows.csv", _csv() if data is None else data)
    body = {"model_id": model_id, "file": upload, **fields}
    res = api.post("/api/v1/predictions/batch", body, format="multipart")
    assert res.status_code == 202, res.content
    job_id = res.json()["job_id"]
    status = wait_for(
        lambda: api.get(f"/api/v1/predictions/batch/{job_id}").json(),
        lambda b: b["status"] in ("completed", "failed"),
        180,
    )
    assert status["status"] == "completed", status
    download = api.get(f"/api/v1/predictions/batch/{job_id}/download")
    return pd.read_csv(io.BytesIO(b"".join(download.streaming_content)))


def _csv() -> bytes:
    return ROWS.to_csv(index=False).encode()


def test_batch_writes_only_the_columns_asked_for(api, deployed_model, celery_worker):
    full = _run(api, deployed_model.pk)
    classes = sorted(c for c in full.columns if c.startswith("proba_"))
    assert list(full.columns) == [
        *ROWS.columns,
        "prediction",
        *full.columns[len(ROWS.columns) + 1 :],
    ]
    assert len(classes) == 3 and len(full) == len(ROWS)

    chosen = _run(api, deployed_model.pk, columns=["island", "year"], include_probabilities=False)
    assert list(chosen.columns) == ["island", "year", "prediction"]
    assert chosen["prediction"].tolist() == full["prediction"].tolist()
    assert chosen["island"].tolist() == ROWS["island"].tolist()

    comma = _run(api, deployed_model.pk, columns="sex,island")
    assert list(comma.columns) == ["sex", "island", "prediction", *classes]

    bare = _run(api, deployed_model.pk, columns="")
    assert list(bare.columns) == ["prediction", *classes]
    pd.testing.assert_frame_equal(bare[classes], full[classes])


def test_a_column_the_file_lacks_is_a_400_and_stores_nothing(api, deployed_model):
    res = api.post(
        "/api/v1/predictions/batch",
        {"model_id": deployed_model.pk, "file": SimpleUploadedFile("r.csv", _csv()),
         "columns": ["island", "wingspan"]},
        format="multipart",
    )  # fmt: skip
    assert res.status_code == 400, res.content
    assert res.json()["code"] == "unknown_columns" and "wingspan" in res.json()["detail"]
    assert not BatchJob.objects.exists()


def test_another_users_model_is_a_404_whatever_the_columns(other_api, deployed_model):
    res = other_api.post(
        "/api/v1/predictions/batch",
        {"model_id": deployed_model.pk, "file": SimpleUploadedFile("r.csv", _csv()),
         "columns": ["island"]},
        format="multipart",
    )  # fmt: skip
    assert res.status_code == 404


def test_a_latin1_file_with_semicolons_and_decimal_commas_is_scored(
    api, deployed_model, celery_worker
):
    # What a spreadsheet in a German locale saves: latin-1 text, ';' between values, ',' decimals.
    rows = ROWS.assign(Bemerkung="Größe geprüft")
    data = rows.to_csv(index=False, sep=";", decimal=",").encode("latin-1")
    scored = _run(api, deployed_model.pk, data=data)
    plain = _run(api, deployed_model.pk)
    assert len(scored) == len(ROWS)
    assert scored["Bemerkung"].unique().tolist() == ["Größe geprüft"]
    assert scored["bill_length_mm"].tolist() == pytest.approx(
        ROWS["bill_length_mm"].tolist(), nan_ok=True
    )
    assert scored["prediction"].tolist() == plain["prediction"].tolist()
