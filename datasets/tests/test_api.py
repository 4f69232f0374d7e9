"""Dataset API: uploads in every format, profile, preview, statistics, ownership, limits."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import sample_path
from datasets.models import Dataset

pytestmark = pytest.mark.django_db


def upload(client, name: str, content: bytes, **fields):
    return client.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile(name, content), "name": fields.pop("title", name), **fields},
        format="multipart",
    )


def stored_files() -> set[Path]:
    root = Path(default_storage.path("datasets"))
    return set(root.rglob("*")) if root.exists() else set()


def messy_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(60)],
            "age": [20 + i % 40 if i % 7 else None for i in range(60)],
            "city": ["Oslo", "Lima", "Pune"] * 20,
            "joined": pd.date_range("2024-01-01", periods=60, freq="D").strftime("%Y-%m-%d"),
            "churned": ["yes", "no"] * 30,
        }
    )


def test_upload_csv_answers_201_with_profile(api):
    res = upload(api, "customers.csv", messy_frame().to_csv(index=False).encode())
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["num_rows"] == 60 and body["num_columns"] == 5
    assert body["file_format"] == "csv"
    cols = {c["name"]: c for c in body["columns_info"]}
    assert cols["age"]["semantic_type"] == "numeric"
    assert cols["age"]["null_count"] == 9
    assert cols["customer_id"]["semantic_type"] == "id"
    assert cols["joined"]["semantic_type"] == "datetime"
    assert cols["city"]["unique_count"] == 3
    assert Dataset.objects.get().file.name.startswith("datasets/")


@pytest.mark.parametrize("fmt", ["xlsx", "json", "parquet"])
def test_upload_other_formats(api, fmt):
    frame = messy_frame()
    buffer = io.BytesIO()
    if fmt == "xlsx":
        frame.to_excel(buffer, index=False)
    elif fmt == "json":
        buffer.write(frame.to_json(orient="records").encode())
    else:
        frame.to_parquet(buffer, index=False)
    res = upload(api, f"customers.{fmt}", buffer.getvalue())
    assert res.status_code == 201, res.json()
    assert res.json()["num_rows"] == 60
    assert res.json()["file_format"] == fmt


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("notes.txt", b"hello", "unsupported_format"),
        ("empty.csv", b"", "empty_file"),
        ("broken.parquet", b"PAR1 this is not parquet", "unreadable_file"),
        ("broken.json", b'{"a": [1, 2', "unreadable_file"),
    ],
)
def test_bad_uploads_answer_400_and_store_nothing(api, name, content, code):
    before = stored_files()
    res = upload(api, name, content)
    assert res.status_code == 400
    assert res.json()["code"] == code
    assert res.json()["detail"]
    assert Dataset.objects.count() == 0
    assert stored_files() == before


def test_upload_over_the_limit_answers_413(api, settings):
    settings.VUR_MAX_UPLOAD_MB = 1
    content = b"a,b\n" + b"1,2\n" * 400_000  # about 1.6 MB
    before = stored_files()
    res = upload(api, "big.csv", content)
    assert stored_files() == before
    assert res.status_code == 413
    assert res.json()["code"] == "file_too_large"
    assert Dataset.objects.count() == 0


def test_time_series_is_detected(api):
    res = upload(api, "air.csv", sample_path("series_airpassengers.csv").read_bytes())
    assert res.status_code == 201
    body = res.json()
    assert body["dataset_type"] == "time_series"
    assert body["time_column"] == "month"
    assert body["frequency"].startswith("M")


def test_unknown_time_column_is_rejected(api):
    res = upload(
        api, "air.csv", sample_path("series_airpassengers.csv").read_bytes(), time_column="when"
    )
    assert res.status_code == 400
    assert res.json()["code"] == "unknown_column"


def test_preview_pages_through_rows(api):
    frame = messy_frame()
    ds = upload(api, "c.csv", frame.to_csv(index=False).encode()).json()
    page2 = api.get(f"/api/v1/datasets/{ds['id']}/preview?page=2&page_size=25").json()
    assert page2["columns"] == list(frame.columns)
    assert page2["total_rows"] == 60 and page2["page"] == 2
    assert len(page2["rows"]) == 25
    assert page2["rows"][0][0] == "C0025"
    last = api.get(f"/api/v1/datasets/{ds['id']}/preview?page=3&page_size=25").json()
    assert len(last["rows"]) == 10
    assert api.get(f"/api/v1/datasets/{ds['id']}/preview?page=0").status_code == 400


def test_statistics_validate_download(api):
    content = messy_frame().to_csv(index=False).encode()
    ds = upload(api, "c.csv", content).json()
    stats = api.get(f"/api/v1/datasets/{ds['id']}/statistics").json()
    age = stats["age"] if "age" in stats else stats["columns"]["age"]
    assert age["count"] == 51
    assert age["min"] == 20
    report = api.post(f"/api/v1/datasets/{ds['id']}/validate").json()
    assert report["valid"] is True
    assert "target_candidates" in report["detected"]
    res = api.get(f"/api/v1/datasets/{ds['id']}/download")
    assert res.status_code == 200
    assert b"".join(res.streaming_content) == content


def test_rename_and_delete_removes_file(api, django_capture_on_commit_callbacks):
    ds = upload(api, "c.csv", messy_frame().to_csv(index=False).encode()).json()
    res = api.patch(f"/api/v1/datasets/{ds['id']}/", {"name": "Customers"}, format="json")
    assert res.status_code == 200 and res.json()["name"] == "Customers"
    stored = Dataset.objects.get().file.name
    assert default_storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/v1/datasets/{ds['id']}/").status_code == 204
    assert not default_storage.exists(stored)
    assert Dataset.objects.count() == 0


def test_other_users_see_404_and_staff_see_all(api, other_api, staff_user):
    ds = upload(api, "c.csv", messy_frame().to_csv(index=False).encode()).json()
    for path in ("", "preview", "statistics", "download"):
        assert other_api.get(f"/api/v1/datasets/{ds['id']}/{path}").status_code == 404
    assert other_api.post(f"/api/v1/datasets/{ds['id']}/validate").status_code == 404
    assert other_api.delete(f"/api/v1/datasets/{ds['id']}/").status_code == 404
    assert other_api.get("/api/v1/datasets/").json()["count"] == 0
    from rest_framework.test import APIClient

    staff = APIClient()
    staff.force_authenticate(staff_user)
    assert staff.get(f"/api/v1/datasets/{ds['id']}/").status_code == 200


def test_anonymous_is_refused(anon_api):
    res = anon_api.get("/api/v1/datasets/")
    assert res.status_code == 401
    assert res.json()["code"] == "not_authenticated"


def sheet_bytes(rows: list[list]) -> bytes:
    """An .xlsx workbook whose first sheet holds `rows` as they are (None is an empty cell)."""
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_title_above_the_header_keeps_every_column(api):
    months = pd.date_range("1969-01-01", periods=24, freq="MS")
    rows = [["UK driver deaths"], [None], ["Month", "Deaths"]]
    rows += [[m.to_pydatetime(), 1500 + i] for i, m in enumerate(months)]
    res = upload(api, "deaths.xlsx", sheet_bytes(rows))
    assert res.status_code == 201, res.json()
    body = res.json()
    assert [c["name"] for c in body["columns_info"]] == ["Month", "Deaths"]
    assert body["num_rows"] == 24
    assert body["time_column"] == "Month" and body["frequency"].startswith("M")


def test_xlsx_cells_right_of_the_header_keep_their_column(api):
    rows = [["a", "b"]] + [[i, i * 2, i * 3] for i in range(30)]
    res = upload(api, "wide.xlsx", sheet_bytes(rows))
    assert res.status_code == 201, res.json()
    body = res.json()
    assert [c["name"] for c in body["columns_info"]] == ["a", "b", "column_3"]
    preview = api.get(f"/api/v1/datasets/{body['id']}/preview").json()
    assert preview["rows"][2] == [2, 4, 6]


def test_xlsx_cells_right_of_the_table_past_the_lookahead_are_refused(api, monkeypatch):
    from datasets import io as dio

    monkeypatch.setattr(dio, "_XLSX_LOOKAHEAD", 5)
    rows = [["a", "b"]] + [[i, i] for i in range(20)] + [[1, 2, 3]]
    res = upload(api, "late.xlsx", sheet_bytes(rows))
    assert res.status_code == 400
    assert res.json()["code"] == "ragged_rows"
    assert "Row 22" in res.json()["detail"]
    assert Dataset.objects.count() == 0


def test_list_filters_by_name_and_kind_as_the_datasets_page_does(api, other_api):
    """`?search=` / `?name=` are the page's "Name contains", `?dataset_type=` its "Kind"."""
    from conftest import upload_sample

    table = upload_sample(api, "penguins.csv", name="Palmer penguins")
    series = upload_sample(api, "series_airpassengers.csv", name="Air passengers")

    def names(query: str) -> set[str]:
        res = api.get(f"/api/v1/datasets/?{query}")
        assert res.status_code == 200, res.json()
        return {d["name"] for d in res.json()["results"]}

    assert names("dataset_type=time_series") == {series["name"]}
    assert names("dataset_type=tabular") == {table["name"]}
    assert names("search=PENGUIN") == names("name=penguin") == {table["name"]}
    assert names("search=air&dataset_type=tabular") == set()
    assert names("search=&dataset_type=") == {table["name"], series["name"]}  # empty: no filter
    assert other_api.get("/api/v1/datasets/?search=penguin").json()["results"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [("dataset_type=image", "dataset_type"), ("search=air&name=penguin", "name")],
)
def test_a_malformed_list_filter_is_a_400_naming_it(api, query, field):
    res = api.get(f"/api/v1/datasets/?{query}")
    assert res.status_code == 400
    body = res.json()
    assert body["code"] == "validation_error" and field in body["errors"]
    assert body["detail"].startswith(f"{field}: ")
    if field == "dataset_type":
        assert "time_series, tabular" in body["detail"]
