"""Every CSV/XLSX export neutralises cells a spreadsheet would run as formulas (CSV injection).

Text cells starting with =, +, -, @, tab or CR come back prefixed with '; real numbers, including
negative ones, stay numbers.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import sample_path, wait_for
from datasets.io import neutralize_cell, neutralize_formulas

RISKY = ["=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\tx", "\rx"]


def _upload(api, name: str, content: bytes) -> dict:
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile(name, content), "name": name},
        format="multipart",
    )
    assert res.status_code == 201, res.json()
    return res.json()


def test_neutralize_cell_keeps_numbers_and_prefixes_formula_text():
    for value in RISKY:
        assert neutralize_cell(value) == "'" + value
    for value in ("-2.5", "+3", "-1e5", "-0,5", "plain", "a=b", "", None, -4, 1.5):
        assert neutralize_cell(value) == value


def test_neutralize_formulas_touches_text_columns_only():
    frame = pd.DataFrame({"n": [-1.5, 2.0, -3.0], "t": ["=A1", "ok", "-7"], "k": [1, 2, 3]})
    out = neutralize_formulas(frame)
    assert out["t"].tolist() == ["'=A1", "ok", "-7"]
    assert out["n"].tolist() == [-1.5, 2.0, -3.0] and out["n"].dtype == "float64"
    assert frame["t"].tolist() == ["=A1", "ok", "-7"]  # the input is left alone
    clean = pd.DataFrame({"t": ["a", "b"]})
    assert neutralize_formulas(clean) is clean


@pytest.mark.django_db
def test_csv_download_prefixes_formula_cells_and_keeps_negative_numbers(api):
    rows = [["name", "amount"], *[[v, str(-i - 0.5)] for i, v in enumerate(RISKY)], ["ok", "3"]]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    ds = _upload(api, "risky.csv", buffer.getvalue().encode())
    res = api.get(f"/api/v1/datasets/{ds['id']}/download")
    assert res.status_code == 200
    assert res["X-Formulas-Neutralized"] == "true"
    assert "risky.csv" in res["Content-Disposition"]
    text = b"".join(res.streaming_content).decode()
    got = list(csv.reader(io.StringIO(text, newline="")))
    assert got[0] == ["name", "amount"]
    assert [r[0] for r in got[1:-1]] == ["'" + v for v in RISKY]
    assert [r[1] for r in got[1:]] == [str(-i - 0.5) for i in range(len(RISKY))] + ["3"]


@pytest.mark.django_db
def test_xlsx_download_prefixes_formula_text_and_keeps_numbers(api):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["name", "amount"])
    for i, value in enumerate(RISKY[:4]):
        sheet.append([value, -(i + 1)])
        sheet.cell(row=i + 2, column=1).data_type = "s"  # stored as text, not as a formula
    buffer = io.BytesIO()
    book.save(buffer)
    ds = _upload(api, "risky.xlsx", buffer.getvalue())
    res = api.get(f"/api/v1/datasets/{ds['id']}/download")
    assert res.status_code == 200 and res["X-Formulas-Neutralized"] == "true"
    out = openpyxl.load_workbook(io.BytesIO(b"".join(res.streaming_content)), data_only=False)
    values = list(out.active.iter_rows(values_only=True))
    assert values[0] == ("name", "amount")
    assert [r[0] for r in values[1:]] == ["'" + v for v in RISKY[:4]]
    assert [r[1] for r in values[1:]] == [-1, -2, -3, -4]


@pytest.mark.django_db(transaction=True)
def test_batch_results_neutralise_formula_cells(api, deployed_model, celery_worker):
    rows = pd.read_csv(sample_path("penguins.csv")).drop(columns=["species"]).head(12)
    rows["sex"] = rows["sex"].astype(object)
    rows.loc[0, "sex"] = '=HYPERLINK("http://evil","x")'
    rows.loc[1, "sex"] = "@cmd"
    batch = api.post(
        "/api/v1/predictions/batch",
        {
            "file": SimpleUploadedFile("rows.csv", rows.to_csv(index=False).encode()),
            "model_id": deployed_model.pk,
        },
        format="multipart",
    )
    assert batch.status_code == 202, batch.json()
    bid = batch.json()["job_id"]
    status = wait_for(
        lambda: api.get(f"/api/v1/predictions/batch/{bid}").json(),
        lambda b: b["status"] in ("completed", "failed"),
        120,
    )
    assert status["status"] == "completed", status
    download = api.get(f"/api/v1/predictions/batch/{bid}/download")
    result = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert result[0]["sex"] == '\'=HYPERLINK("http://evil","x")'
    assert result[1]["sex"] == "'@cmd"
    assert result[2]["sex"] == rows.loc[2, "sex"]
    assert float(result[0]["bill_length_mm"]) == rows.loc[0, "bill_length_mm"]
