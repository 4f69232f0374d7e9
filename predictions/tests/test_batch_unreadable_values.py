"""Batch scoring is as strict as `single`: a value present in a numeric column that does not read
as a number is not scored as missing. The first chunk is checked when the job is created (400,
nothing stored); later bad values fail the job in the worker with the same reason and keep no
result. Empty cells and missing-value words stay missing values; the model's notation holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import sample_path, wait_for
from predictions.models import BatchJob, PredictionRecord

pytestmark = pytest.mark.django_db(transaction=True)

PENGUINS = pd.read_csv(sample_path("penguins.csv")).drop(columns=["species"])


def _rows(n: int) -> pd.DataFrame:
    return pd.concat([PENGUINS] * (n // len(PENGUINS) + 1), ignore_index=True).head(n)


def _post(api, model_id: int, frame: pd.DataFrame, name: str = "rows.csv"):
    upload = SimpleUploadedFile(name, frame.to_csv(index=False).encode())
    return api.post(
        "/api/v1/predictions/batch", {"model_id": model_id, "file": upload}, format="multipart"
    )


def _finished(api, job_id: str) -> dict:
    return wait_for(
        lambda: api.get(f"/api/v1/predictions/batch/{job_id}").json(),
        lambda b: b["status"] in ("completed", "failed"),
        180,
    )


def _stored(owner) -> list[str]:
    """The batch folders stored under the owner's id. Compared before and after a request, not
    with []: on SQLite a user of a later test can get the same id, and the session's media
    folder keeps what earlier tests stored under it."""
    if not default_storage.exists(f"batch/{owner.pk}"):
        return []
    return sorted(default_storage.listdir(f"batch/{owner.pk}")[0])


def test_words_in_number_columns_are_a_400_naming_them_and_nothing_is_stored(
    api, deployed_model, owner
):
    frame = _rows(200).assign(bill_length_mm="old", body_mass_g="lots")
    before = _stored(owner)
    res = _post(api, deployed_model.pk, frame)
    assert res.status_code == 400, res.content
    body = res.json()
    assert body["code"] == "unreadable_values"
    assert "bill_length_mm: 200 values are not numbers, e.g. 'old' in row 2" in body["detail"]
    assert "body_mass_g: 200 values are not numbers, e.g. 'lots' in row 2" in body["detail"]
    assert body["errors"] == {
        "bill_length_mm": ["200 values are not numbers, e.g. 'old' in row 2"],
        "body_mass_g": ["200 values are not numbers, e.g. 'lots' in row 2"],
    }
    assert not BatchJob.objects.exists() and _stored(owner) == before

    # `single` refuses the same row, with the same reader.
    row = frame.iloc[0].to_dict()
    one = api.post(
        "/api/v1/predictions/single", {"model_id": deployed_model.pk, "data": row}, format="json"
    )
    assert one.status_code == 400
    assert one.json()["detail"].startswith("data[0].bill_length_mm: must be a number")


def test_one_bad_value_and_an_infinity_are_counted_with_their_rows(api, deployed_model):
    frame = _rows(30).astype({"flipper_length_mm": object})
    frame.loc[6, "flipper_length_mm"] = "181 mm?"
    frame.loc[9, "flipper_length_mm"] = "inf"
    res = _post(api, deployed_model.pk, frame)
    assert res.status_code == 400, res.content
    assert res.json()["errors"] == {
        "flipper_length_mm": [
            "1 value is not a number, e.g. '181 mm?' in row 8",
            "1 value is not a finite number, e.g. 'inf' in row 11",
        ]
    }


def test_empty_cells_and_missing_words_stay_missing_values(api, deployed_model, celery_worker):
    frame = _rows(40).astype({"bill_length_mm": object, "body_mass_g": object})
    frame.loc[0:9, "bill_length_mm"] = ""
    frame.loc[10:19, "bill_length_mm"] = "n/a"
    frame.loc[20:29, "body_mass_g"] = "missing"
    frame.loc[30:39, "body_mass_g"] = " 3 750 "  # spaces inside a number are decoration
    res = _post(api, deployed_model.pk, frame)
    assert res.status_code == 202, res.content
    final = _finished(api, res.json()["job_id"])
    assert final["status"] == "completed" and final["error"] == "", final
    assert final["rows_done"] == 40


def test_bad_values_past_the_first_chunk_fail_the_job_and_keep_no_result(
    api, deployed_model, owner, celery_worker, settings
):
    settings.VUR_BATCH_CHUNK_ROWS = 50
    frame = _rows(200).astype({"body_mass_g": object})
    frame.loc[[120, 121, 190], "body_mass_g"] = ["lots", "heavy", "lots"]
    res = _post(api, deployed_model.pk, frame)
    assert res.status_code == 202, res.content  # the first 50 rows read
    job_id = res.json()["job_id"]
    final = _finished(api, job_id)
    assert final["status"] == "failed", final
    assert "body_mass_g: 3 values are not numbers, e.g. 'lots' in row 122" in final["error"]
    assert "no predictions are kept" in final["error"]
    job = BatchJob.objects.get(pk=job_id)
    assert not job.result_file
    assert not default_storage.exists(f"batch/{owner.pk}/{job_id}/predictions.csv")
    assert not PredictionRecord.objects.filter(model=deployed_model).exists()
    download = api.get(f"/api/v1/predictions/batch/{job_id}/download")
    assert download.status_code == 409
    # It says the job failed, and why; not that the result is still to come.
    detail = download.json()["detail"]
    assert detail.startswith("The batch job failed (") and "no result" in detail
    assert "body_mass_g: 3 values are not numbers" in detail


def test_a_large_first_chunk_says_only_its_rows_were_checked(api, deployed_model, settings):
    settings.VUR_BATCH_CHUNK_ROWS = 20
    frame = _rows(60).astype({"year": object})
    frame.loc[3, "year"] = "MMVII"
    res = _post(api, deployed_model.pk, frame)
    assert res.status_code == 400
    assert "in the first 20 rows" in res.json()["detail"]
    assert "year: 1 value is not a number, e.g. 'MMVII' in row 5" in res.json()["detail"]


def test_a_file_without_the_models_columns_is_a_400_at_once(api, deployed_model, owner):
    before = _stored(owner)
    res = _post(api, deployed_model.pk, _rows(10).drop(columns=["island", "sex"]))
    assert res.status_code == 400, res.content
    assert res.json()["code"] == "missing_columns"
    assert res.json()["detail"] == "The file lacks the model's columns: island, sex."
    assert not BatchJob.objects.exists() and _stored(owner) == before


def test_a_file_with_a_header_and_no_rows_is_a_400_at_once(api, deployed_model, owner):
    """It was queued and then failed in the worker; an empty file was refused at upload."""
    before = _stored(owner)
    res = _post(api, deployed_model.pk, _rows(10).head(0))
    assert res.status_code == 400, res.content
    assert res.json() == {
        "detail": "The file has no rows to score: only a header line.",
        "code": "no_rows",
    }
    assert not BatchJob.objects.exists() and _stored(owner) == before


def test_the_page_shows_why_a_file_cannot_be_scored(owner, deployed_model):
    from django.test import Client

    web = Client()
    web.force_login(owner)
    frame = _rows(10).assign(bill_length_mm="old")
    upload = SimpleUploadedFile("rows.csv", frame.to_csv(index=False).encode())
    res = web.post(f"/models/{deployed_model.pk}/batch/", {"file": upload}, HTTP_HX_REQUEST="true")
    html = res.content.decode()
    assert 'id="batch-error"' in html
    assert "bill_length_mm: 10 values are not numbers, e.g. &#x27;old&#x27; in row 2" in html


def test_a_decimal_comma_model_reads_its_notation_and_refuses_words(api, celery_worker):
    from predictions.tests.test_decimal_comma import train

    best = train(api)
    rows = pd.DataFrame({"alcohol": ["13,28", "12,37"], "malic_acid": ["1,64", "3,84"]})
    for sep in (";", ","):  # a ',' file quotes them: the model's decimal comma reads them
        upload = SimpleUploadedFile("wine.csv", rows.to_csv(index=False, sep=sep).encode())
        res = api.post(
            "/api/v1/predictions/batch",
            {"model_id": best["id"], "file": upload},
            format="multipart",
        )
        assert res.status_code == 202, res.content
        final = _finished(api, res.json()["job_id"])
        assert final["status"] == "completed", final
    bad = rows.assign(malic_acid=["1,64", "a lot"])
    upload = SimpleUploadedFile("wine.csv", bad.to_csv(index=False, sep=";").encode())
    res = api.post(
        "/api/v1/predictions/batch", {"model_id": best["id"], "file": upload}, format="multipart"
    )
    assert res.status_code == 400
    assert res.json()["errors"] == {
        "malic_acid": ["1 value is not a number, e.g. 'a lot' in row 3"]
    }


def test_a_boolean_column_refuses_what_is_neither_true_nor_false(api, celery_worker):
    """A boolean feature's words (yes/no, true/false, 1/0) are read as training read them; a
    value that is none of them is refused in batch and single alike, not scored as missing."""
    from conftest import train_and_deploy

    rng = np.random.default_rng(0)
    member = rng.choice(["yes", "no"], 120)
    train = pd.DataFrame(
        {
            "spend": rng.normal(50, 10, 120).round(1),
            "member": member,
            "churned": np.where(member == "yes", "stay", "leave"),
        }
    )
    up = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("members.csv", train.to_csv(index=False).encode())},
        format="multipart",
    )
    assert up.status_code == 201, up.json()
    member_type = {c["name"]: c["semantic_type"] for c in up.json()["columns_info"]}["member"]
    assert member_type == "boolean"
    best = train_and_deploy(api, up.json()["id"], "churned", "classification", ["linear"])
    rows = pd.DataFrame({"spend": [40.0, 55.5, 60.0], "member": ["Yes", "maybe", ""]})
    res = _post(api, best["id"], rows)
    assert res.status_code == 400, res.content
    assert res.json()["errors"] == {
        "member": ["1 value is not true or false, e.g. 'maybe' in row 3"]
    }
    single = api.post(
        "/api/v1/predictions/single",
        {"model_id": best["id"], "data": {"spend": 40.0, "member": "maybe"}},
        format="json",
    )
    assert single.status_code == 400
    assert single.json()["detail"].startswith("data[0].member: must be true or false")
    res = _post(api, best["id"], rows.assign(member=["Yes", "no", ""]))
    assert res.status_code == 202, res.content
    assert _finished(api, res.json()["job_id"])["status"] == "completed"
