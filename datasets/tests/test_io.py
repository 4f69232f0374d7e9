"""Tests for datasets.io: format detection, whole and chunked reads, errors on bad files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datasets.io import (
    SUPPORTED_FORMATS,
    DatasetReadError,
    count_rows,
    detect_format,
    iter_chunks,
    read_frame,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": np.arange(1, 26),
            "city": ["Oslo", "Lima", "Kyiv", "Pune", "Baku"] * 5,
            "amount": np.round(rng.normal(100, 10, 25), 3),
            "when": pd.date_range("2024-01-01", periods=25, freq="D"),
        }
    )


def _write(frame: pd.DataFrame, path: Path, kind: str) -> None:
    if kind == "csv":
        frame.to_csv(path, index=False)
    elif kind == "xlsx":
        frame.to_excel(path, index=False)
    elif kind == "parquet":
        frame.to_parquet(path, index=False, row_group_size=7)
    elif kind == "records":
        frame.to_json(path, orient="records", date_format="iso")
    elif kind == "lines":
        frame.to_json(path, orient="records", lines=True, date_format="iso")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.csv", "csv"),
        ("B.XLSX", "xlsx"),
        ("c.json", "json"),
        ("d.jsonl", "json"),
        ("e.parquet", "parquet"),
        ("dir/f.tsv", "csv"),
    ],
)
def test_detect_format_reads_the_extension(name: str, fmt: str) -> None:
    assert detect_format(name) == fmt
    assert fmt in SUPPORTED_FORMATS


@pytest.mark.parametrize("name", ["model.pkl", "notes.txt", "noextension", ""])
def test_detect_format_refuses_other_types(name: str) -> None:
    with pytest.raises(DatasetReadError, match="Unsupported file type"):
        detect_format(name)


@pytest.mark.parametrize(
    ("kind", "fmt"),
    [
        ("csv", "csv"),
        ("xlsx", "xlsx"),
        ("parquet", "parquet"),
        ("records", "json"),
        ("lines", "json"),
    ],
)
def test_each_format_reads_whole_and_in_chunks_the_same(
    tmp_path: Path, frame: pd.DataFrame, kind: str, fmt: str
) -> None:
    path = tmp_path / f"table.{fmt}"
    _write(frame, path, kind)
    whole = read_frame(path, fmt)
    assert list(whole.columns) == list(frame.columns)
    assert len(whole) == 25
    assert whole["amount"].tolist() == pytest.approx(frame["amount"].tolist())
    assert whole["city"].tolist() == frame["city"].tolist()
    chunks = list(iter_chunks(path, fmt, chunksize=10))
    assert [len(c) for c in chunks] == [10, 10, 5]
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole)
    assert count_rows(path, fmt) == 25
    head = read_frame(path, fmt, nrows=4, usecols=["city", "amount"])
    assert head.shape == (4, 2)
    assert head["city"].tolist() == ["Oslo", "Lima", "Kyiv", "Pune"]


def test_reads_from_a_binary_file_object(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = tmp_path / "t.xlsx"
    _write(frame, path, "xlsx")
    handle = io.BytesIO(path.read_bytes())
    handle.read(10)  # a half-read upload is rewound
    assert read_frame(handle, "xlsx")["id"].tolist() == list(range(1, 26))


def test_csv_with_semicolons_latin1_and_decimal_commas() -> None:
    table = read_frame(DATA / "semicolon_latin1.csv", "csv")
    assert list(table.columns) == ["nom", "prix", "ville", "date"]
    assert table["ville"].tolist() == ["Montréal", "Zürich", "Köln"]
    assert table["nom"][0] == "Café crème"
    assert table["prix"].tolist() == [3.5, 2.25, 4.0]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(
        f"a{delimiter}b{delimiter}c\n1{delimiter}x y{delimiter}2.5\n3{delimiter}z{delimiter}4\n"
    )
    table = read_frame(path, "csv")
    assert list(table.columns) == ["a", "b", "c"]
    assert table["c"].tolist() == [2.5, 4.0]


def test_csv_utf8_bom_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffname,n\nÅsa,1\n".encode())
    table = read_frame(path, "csv")
    assert list(table.columns) == ["name", "n"]
    assert table["name"][0] == "Åsa"


def test_csv_non_utf8_byte_after_the_sniffed_head_falls_back_to_latin1(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    body = "k,v\n" + "".join(f"row{i},{i}\n" for i in range(120_000))
    path.write_bytes(body.encode() + "café,1\n".encode("latin-1"))
    chunks = list(iter_chunks(path, "csv", chunksize=50_000))
    total = pd.concat(chunks, ignore_index=True)
    assert len(total) == 120_001
    assert total["k"].iloc[-1] == "café"
    assert total["k"].iloc[0] == "row0"


@pytest.mark.parametrize(
    "payload",
    [
        [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}],
        {"a": [1, 2], "b": ["x", "y"]},
        {"columns": ["a", "b"], "data": [[1, "x"], [2, "y"]]},
        {"data": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]},
    ],
)
def test_json_shapes(tmp_path: Path, payload: object) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(payload))
    table = read_frame(path, "json")
    assert table.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}


def test_json_nested_objects_are_flattened(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_text(json.dumps([{"a": 1, "geo": {"lat": 1.5}}, {"a": 2, "geo": {"lat": 2.5}}]))
    assert read_frame(path, "json")["geo.lat"].tolist() == [1.5, 2.5]


def test_header_only_csv_reads_as_an_empty_frame(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a,b\n")
    table = read_frame(path, "csv")
    assert list(table.columns) == ["a", "b"]
    assert len(table) == 0
    assert count_rows(path, "csv") == 0


@pytest.mark.parametrize("fmt", SUPPORTED_FORMATS)
def test_empty_file_raises(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"empty.{fmt}"
    path.write_bytes(b"")
    with pytest.raises(DatasetReadError, match="empty"):
        read_frame(path, fmt)


@pytest.mark.parametrize(
    ("fmt", "content", "message"),
    [
        ("parquet", b"PAR1 not really parquet", "Parquet"),
        ("json", b'{"a": [1, 2', "not valid JSON"),
        ("json", b'{"a": 1}\n{"a": oops}\n', "Line 2"),
        ("json", b"[1, 2, 3]", "objects"),
        ("json", b'{"a": [1, 2], "b": [1]}', "different lengths"),
        ("csv", b"\x00\x01\x02\x03binary", "binary"),
        ("csv", b"\n\n\n", "empty"),
        ("csv", b'a,b\n"unterminated,1\n', "starts on line 2 is never closed"),
    ],
)
def test_corrupt_files_raise_a_clear_error(
    tmp_path: Path, fmt: str, content: bytes, message: str
) -> None:
    path = tmp_path / f"bad.{fmt}"
    path.write_bytes(content)
    with pytest.raises(DatasetReadError, match=message):
        read_frame(path, fmt)


def test_corrupt_workbook_raises() -> None:
    with pytest.raises(DatasetReadError, match="Excel"):
        read_frame(DATA / "corrupt.xlsx", "xlsx")


def test_unknown_usecols_raise(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = tmp_path / "t.parquet"
    _write(frame, path, "parquet")
    with pytest.raises(DatasetReadError, match="nope"):
        read_frame(path, "parquet", usecols=["nope"])


def test_iter_chunks_streams_lazily(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("a\n" + "\n".join(str(i) for i in range(1000)) + "\n")
    first = next(iter(iter_chunks(path, "csv", chunksize=100)))
    assert first["a"].tolist() == list(range(100))
