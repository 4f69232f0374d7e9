"""Hostile and careless files: each answered with a clear 4xx naming the limit, memory bounded.

The tests make their own nasty files (bombs included). Memory is asserted with tracemalloc around
the upload service: the limits are judged by streaming before any parser sees the file.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from django.core.files import File

from datasets.models import Dataset
from datasets.services import dataset_upload
from datasets.tests.test_api import stored_files, upload
from vur.errors import InvalidInput, PayloadTooLarge

pytestmark = pytest.mark.django_db


def _refused(res, status: int, code: str, *words: str) -> dict:
    assert res.status_code == status, res.content
    body = res.json()
    assert body["code"] == code, body
    for word in words:
        assert word in body["detail"], body
    assert Dataset.objects.count() == 0
    return body


def _xlsx_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()


def _xlsx_bomb(path: Path, unpacked_mb: int) -> Path:
    """A real workbook whose first sheet is replaced by `unpacked_mb` MB of highly packed XML."""
    good = zipfile.ZipFile(io.BytesIO(_xlsx_bytes(pd.DataFrame({"a": [1, 2]}))))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in good.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item, good.read(item))
                continue
            with bomb.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(b'<?xml version="1.0"?><worksheet><sheetData>')
                block = b" " * (1 << 20)
                for _ in range(unpacked_mb):
                    sheet.write(block)
                sheet.write(b"</sheetData></worksheet>")
    return path


def _peak_upload_mb(path: Path, name: str) -> tuple[Exception | None, float]:
    """Run the upload service on a file on disk; the error it raised and its peak memory."""
    tracemalloc.start()
    error = None
    try:
        with open(path, "rb") as fh:
            dataset_upload(owner=_owner(), upload=File(fh, name=name), name=name)
    except (InvalidInput, PayloadTooLarge) as exc:
        error = exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return error, peak / (1 << 20)


def _owner():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="owner")


def test_xlsx_zip_bomb_is_refused_from_its_directory_with_bounded_memory(api, tmp_path):
    bomb = _xlsx_bomb(tmp_path / "bomb.xlsx", unpacked_mb=300)
    assert bomb.stat().st_size < 2 * (1 << 20)  # a small file that unpacks to 300 MB
    error, peak_mb = _peak_upload_mb(bomb, "bomb.xlsx")
    assert isinstance(error, PayloadTooLarge)
    assert error.code == "compression_ratio"
    assert "VUR_MAX_COMPRESSION_RATIO" in error.detail
    assert peak_mb < 20, peak_mb  # nothing was unpacked
    res = upload(api, "bomb.xlsx", bomb.read_bytes())
    _refused(res, 413, "compression_ratio", "compressed", "to 1")


def test_xlsx_over_the_unpacked_size_is_refused(api, settings):
    settings.VUR_MAX_UNPACKED_MB = 1
    frame = pd.DataFrame({f"c{i}": [f"text {j} {i}" for j in range(3000)] for i in range(8)})
    res = upload(api, "wide.xlsx", _xlsx_bytes(frame))
    _refused(res, 413, "unpacked_too_large", "1 MB", "VUR_MAX_UNPACKED_MB")


def test_one_line_csv_with_a_million_separators_is_a_400(api):
    res = upload(api, "seps.csv", b"," * 1_000_000 + b"\n")
    _refused(res, 400, "too_many_columns", "1,000,001 columns", "VUR_MAX_COLUMNS")


def test_csv_columns_limit_is_configurable(api, settings):
    settings.VUR_MAX_COLUMNS = 10
    content = (",".join(f"c{i}" for i in range(11)) + "\n" + ",".join("1" * 11) + "\n").encode()
    _refused(upload(api, "w.csv", content), 400, "too_many_columns", "limit is 10")
    settings.VUR_MAX_COLUMNS = 11
    assert upload(api, "w.csv", content).status_code == 201


def test_whitespace_bomb_is_refused_by_line_length_with_bounded_memory(api, tmp_path):
    path = tmp_path / "spaces.csv"
    with open(path, "wb") as fh:
        fh.write(b"a,b\n1,")
        for _ in range(40):
            fh.write((b" " * 1023 + b",") * 1024)
        fh.write(b"\n")
    error, peak_mb = _peak_upload_mb(path, "spaces.csv")
    assert isinstance(error, InvalidInput)
    assert error.code == "line_too_long"
    assert "Line 2" in error.detail and "VUR_MAX_LINE_BYTES" in error.detail
    assert peak_mb < 30, peak_mb  # read in 1 MB blocks, never as one line


def test_one_huge_whitespace_value_is_refused_by_value_length(api, tmp_path):
    path = tmp_path / "blank.csv"
    with open(path, "wb") as fh:
        fh.write(b"a,b\n1,")
        for _ in range(20):
            fh.write(b" " * (1 << 20))
    error, peak_mb = _peak_upload_mb(path, "blank.csv")
    assert error.code == "cell_too_long" and "VUR_MAX_CELL_BYTES" in error.detail
    assert peak_mb < 30, peak_mb


def test_long_cell_is_refused_naming_the_limit(api, settings):
    settings.VUR_MAX_CELL_BYTES = 1000
    content = b"a,b\n1,short\n2," + b"x" * 2000 + b"\n"
    _refused(upload(api, "cell.csv", content), 400, "cell_too_long", "1000 bytes")


def test_deeply_nested_json_is_a_400_not_a_500(api):
    deep = "[" * 200_000 + "]" * 200_000
    _refused(upload(api, "deep.json", deep.encode()), 400, "json_too_deep", "nested too deeply")
    nested = '[{"a": ' + '{"b": ' * 100_000 + "1" + "}" * 100_000 + "}]"
    _refused(upload(api, "deep2.json", nested.encode()), 400, "json_too_deep")


def test_json_lines_with_a_huge_line_is_refused(api, settings):
    settings.VUR_MAX_LINE_BYTES = 1000
    lines = [json.dumps({"a": 1, "b": "x"}), json.dumps({"a": 2, "b": "y" * 5000})]
    _refused(upload(api, "rows.jsonl", "\n".join(lines).encode()), 400, "line_too_long")


def test_compressed_csv_is_refused_clearly(api):
    content = gzip.compress(b"a,b\n1,2\n3,4\n")
    _refused(upload(api, "data.csv", content), 400, "compressed_file", "gzip")


@pytest.mark.parametrize(
    "codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"], ids=lambda c: c
)
def test_utf16_and_utf32_files_with_a_bom_are_decoded(api, codec):
    bom = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
        "utf-32-be": codecs.BOM_UTF32_BE,
    }[codec]
    text = "name,amount,city\nÅsa,1.5,Zürich\nBjörn,2.5,Kraków\nČeněk,3.5,Łódź\n"
    res = upload(api, "wide.csv", bom + text.encode(codec))
    assert res.status_code == 201, res.json()
    body = res.json()
    assert [c["name"] for c in body["columns_info"]] == ["name", "amount", "city"]
    assert body["num_rows"] == 3
    preview = api.get(f"/api/v1/datasets/{body['id']}/preview").json()
    assert preview["rows"][0] == ["Åsa", 1.5, "Zürich"]
    assert preview["rows"][2][2] == "Łódź"


def test_utf16_json_with_a_bom_is_decoded(api):
    text = json.dumps([{"k": "ä", "v": 1}, {"k": "ö", "v": 2}])
    res = upload(api, "rows.json", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert res.status_code == 201, res.json()
    assert res.json()["num_rows"] == 2


def test_utf16_without_a_bom_is_refused_in_words(api):
    text = "name,amount\n" + "".join(f"n{i},{i}\n" for i in range(40))
    res = upload(api, "nobom.csv", text.encode("utf-16-le"))
    _refused(res, 400, "bad_encoding", "UTF-16", "UTF-8")


def test_unclosed_quote_is_explained_in_plain_words(api):
    content = b'a,b\n1,"two\n3,4\n5,6\n'
    body = _refused(upload(api, "q.csv", content), 400, "malformed_csv", "quote")
    assert "C error" not in body["detail"] and "tokenizing" not in body["detail"]


def test_ragged_row_is_explained_in_plain_words(api):
    content = b"a,b,c\n1,2,3\n4,5,6,7\n"
    body = _refused(upload(api, "r.csv", content), 400, "malformed_csv")
    assert body["detail"].startswith("Line 3 has 4 values but the header has 3 columns")


def test_nothing_is_stored_for_any_refused_file(api):
    before = stored_files()
    upload(api, "seps.csv", b"," * 100_000 + b"\n")
    upload(api, "deep.json", b"[" * 50_000 + b"]" * 50_000)
    assert stored_files() == before


def _wide_csv(columns: int, rows: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(columns))
    lines = [",".join(str((r * 7 + i) % 13) for i in range(columns)) for r in range(rows)]
    return ("\n".join([header, *lines]) + "\n").encode()


def test_wide_table_statistics_and_validate_answer_page_by_page(api):
    ds = upload(api, "wide.csv", _wide_csv(3000, 20)).json()
    assert ds["num_columns"] == 3000
    listed = api.get("/api/v1/datasets/").json()["results"][0]
    assert "columns_info" not in listed and listed["num_columns"] == 3000
    assert len(api.get(f"/api/v1/datasets/{ds['id']}/").json()["columns_info"]) == 3000
    stats = api.get(f"/api/v1/datasets/{ds['id']}/statistics?page=2&page_size=1000").json()
    assert stats["total_columns"] == 3000 and stats["num_pages"] == 3
    assert list(stats["columns"])[:2] == ["c1000", "c1001"] and len(stats["columns"]) == 1000
    assert stats["columns"]["c1000"]["count"] == 20
    first = api.get(f"/api/v1/datasets/{ds['id']}/statistics").json()
    assert first["page_size"] == 500 and len(first["columns"]) == 500
    report = api.post(f"/api/v1/datasets/{ds['id']}/validate?page=3&page_size=1000").json()
    assert report["valid"] is True
    assert report["columns"]["names"][0] == "c2000" and len(report["columns"]["names"]) == 1000
    preview = api.get(f"/api/v1/datasets/{ds['id']}/preview?column_page=3&page_size=5").json()
    assert preview["columns"][0] == "c1000" and len(preview["columns"]) == 500
    assert preview["column_pages"] == 6 and preview["total_columns"] == 3000
    assert len(preview["rows"]) == 5 and len(preview["rows"][0]) == 500
    assert preview["rows"][0][0] == 1000 % 13  # row 0, column c1000
    res = api.get(f"/api/v1/datasets/{ds['id']}/statistics?page=9&page_size=1000")
    assert res.status_code == 404 and res.json()["code"] == "no_such_page"


def test_paged_validate_still_counts_duplicate_rows_over_all_columns(api):
    frame = pd.DataFrame({f"c{i}": [1, 2, 1, 3] for i in range(6)})
    frame["c5"] = [9, 9, 9, 9]
    ds = upload(api, "dups.csv", frame.to_csv(index=False).encode()).json()
    paged = api.post(f"/api/v1/datasets/{ds['id']}/validate?page_size=2").json()
    whole = api.post(f"/api/v1/datasets/{ds['id']}/validate").json()
    assert any("1 row(s) are exact duplicates" in w for w in paged["warnings"])
    assert any("1 row(s) are exact duplicates" in w for w in whole["warnings"])
    assert paged["columns"]["num_pages"] == 3


def test_preview_truncates_long_cells_visibly(api):
    long = "x" * (1 << 20)
    content = f"id,text\n1,short\n2,{long}\n".encode()
    ds = upload(api, "long.csv", content).json()
    body = api.get(f"/api/v1/datasets/{ds['id']}/preview").json()
    assert body["truncated"] is True and body["truncated_cells"] == [[1, 1]]
    assert body["rows"][1][1] == "x" * 200 + "\u2026"
    assert body["rows"][0][1] == "short"
    assert len(json.dumps(body)) < 5000


def test_parquet_bomb_and_width_are_judged_from_its_metadata(api, settings):
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    table = pa.table({"blob": pa.array([b"\0" * (1 << 20)] * 200, type=pa.binary())})
    pq.write_table(table, buffer, compression="zstd", use_dictionary=False)
    assert len(buffer.getvalue()) < (1 << 20)  # 200 MB of values in a file under 1 MB
    _refused(upload(api, "bomb.parquet", buffer.getvalue()), 413, "compression_ratio")
    settings.VUR_MAX_COLUMNS = 3
    wide = io.BytesIO()
    pd.DataFrame({f"c{i}": [1, 2] for i in range(4)}).to_parquet(wide, index=False)
    _refused(upload(api, "wide.parquet", wide.getvalue()), 400, "too_many_columns", "limit is 3")


def test_xlsx_whose_parts_lie_about_their_size_is_a_400(api):
    import struct

    buffer = io.BytesIO()
    pd.DataFrame({"a": list(range(2000)), "b": ["x"] * 2000}).to_excel(buffer, index=False)
    data = bytearray(buffer.getvalue())
    pos = data.find(b"PK\x01\x02")  # central directory entries
    while pos != -1:
        name_len = struct.unpack("<H", data[pos + 28 : pos + 30])[0]
        if bytes(data[pos + 46 : pos + 46 + name_len]) == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", data, pos + 24, 500)  # declared unpacked size: 500 bytes
        pos = data.find(b"PK\x01\x02", pos + 4)
    _refused(upload(api, "liar.xlsx", bytes(data)), 400, "unreadable_file", "Excel")
