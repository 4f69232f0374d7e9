"""Dataset statistics and validation stream the stored file in chunks (never reading it whole)
and answer exactly what the whole-file computation answers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets import io as dio
from datasets import services
from datasets.profiling import coerce_types, validate_frame

ROWS = 1_000
CHUNK = 90  # rows per streamed chunk in these tests: the file spans 12 chunks


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "day": pd.date_range("2021-01-01", periods=ROWS, freq="D").strftime("%Y-%m-%d"),
            "price": np.round(rng.lognormal(3, 1, ROWS), 2),
            "colour": rng.choice(["red", "green", "blue", "violet"], ROWS, p=[0.4, 0.3, 0.2, 0.1]),
            "member": rng.choice(["yes", "no"], ROWS),
            "mostly_empty": np.where(rng.random(ROWS) < 0.6, np.nan, rng.normal(size=ROWS)),
            "units": rng.integers(0, 50, ROWS),
        }
    )
    frame.loc[rng.choice(ROWS, 30, replace=False), "price"] = np.nan
    frame = frame.drop(index=[100, 500]).reset_index(drop=True)  # two gaps in the days
    frame.loc[ROWS - 5 :, :] = frame.loc[10:12].to_numpy()  # three duplicated rows
    return frame


@pytest.fixture
def streamed(owner, monkeypatch):
    """A stored dataset, whole-file reads forbidden, and a count of the chunks streamed."""
    table = _table()
    data = table.to_csv(index=False).encode()
    dataset = services.dataset_upload(
        owner=owner, upload=SimpleUploadedFile("shop.csv", data), name="shop"
    )
    seen = {"chunks": 0}
    real_iter = dio.iter_chunks

    def counting(*args, **kwargs):
        for chunk in real_iter(*args, **kwargs):
            seen["chunks"] += 1
            assert len(chunk) <= CHUNK
            yield chunk

    def whole(*args, **kwargs):
        raise AssertionError("the whole file was read")

    monkeypatch.setattr(services, "STREAM_CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(dio, "iter_chunks", counting)
    monkeypatch.setattr(dio, "read_frame", whole)
    monkeypatch.setattr(services, "dataset_frame", whole)
    whole_file = pd.read_csv(io.BytesIO(data))
    return dataset, whole_file, seen


@pytest.mark.django_db
def test_statistics_stream_and_equal_the_whole_file(streamed):
    dataset, whole_file, seen = streamed
    stats = services.dataset_statistics(dataset=dataset)["columns"]
    assert seen["chunks"] >= len(whole_file) // CHUNK
    typed = coerce_types(whole_file, dataset.columns_info)
    price = typed["price"].dropna()
    got = stats["price"]
    assert got["count"] == len(price) and got["null_count"] == typed["price"].isna().sum()
    for key, value in {
        "mean": price.mean(),
        "std": price.std(),
        "min": price.min(),
        "max": price.max(),
        "p25": price.quantile(0.25),
        "p50": price.median(),
        "p75": price.quantile(0.75),
    }.items():
        assert got[key] == pytest.approx(value, rel=1e-12), key
    counts = whole_file["colour"].value_counts()
    assert stats["colour"]["top_values"] == [
        {"value": k, "count": int(v)} for k, v in counts.items()
    ]
    assert stats["member"]["mean"] == pytest.approx((whole_file["member"] == "yes").mean())
    assert stats["mostly_empty"]["null_count"] == whole_file["mostly_empty"].isna().sum()
    day = stats["day"]
    assert (day["min"], day["max"]) == (
        pd.Timestamp(whole_file["day"].min()).isoformat(),
        pd.Timestamp(whole_file["day"].max()).isoformat(),
    )
    assert day["frequency"] == "D" and day["gaps"] == 2


@pytest.mark.django_db
def test_validation_streams_and_equals_the_whole_file(streamed):
    dataset, whole_file, seen = streamed
    answer = services.dataset_validate(dataset=dataset)
    assert seen["chunks"] >= len(whole_file) // CHUNK
    expected = validate_frame(whole_file, dataset.columns_info, time_column=dataset.time_column)
    assert answer["valid"] == expected["valid"]
    assert answer["errors"] == expected["errors"]
    assert answer["warnings"] == expected["warnings"]
    for key, value in expected["detected"].items():
        assert answer["detected"][key] == value, key
    text = " ".join(answer["warnings"])
    assert "3 row(s) are exact duplicates" in text
    assert "'mostly_empty' has" in text and "2 missing timestamp(s)" in text
    duplicated = int(coerce_types(whole_file, dataset.columns_info).duplicated().sum())
    assert duplicated == 3
