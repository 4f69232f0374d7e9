"""Tests for datasets.profiling: semantic types, coercion, time series, validation, statistics."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from datasets.profiling import (
    coerce_types,
    column_statistics,
    detect_time_series,
    profile_chunks,
    profile_frame,
    statistics_chunks,
    validate_frame,
)

N = 30


def _types(df: pd.DataFrame) -> dict[str, str]:
    return {c["name"]: c["semantic_type"] for c in profile_frame(df)["columns_info"]}


def _info(df: pd.DataFrame) -> list[dict]:
    return profile_frame(df)["columns_info"]


@pytest.fixture
def messy() -> pd.DataFrame:
    days = pd.date_range("2024-01-01", periods=N, freq="D")
    stamps = pd.date_range("2024-03-25 10:00", periods=N, freq="D", tz="Europe/Paris")
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(N)],
            "Unnamed: 0": range(N),
            "OrderID": np.arange(5000, 5000 + N)[::-1],
            "row_counter": range(1, N + 1),
            "price": rng.gamma(2.0, 10.0, N).round(2),
            "whole_price": rng.integers(100, 900, N).astype(float),
            "amount_text": [f"{1000 + 37 * i:,}.50" for i in range(N)],
            "euro_text": [f"{i},5" for i in range(N)],
            "money": [f"${i}.99" for i in range(N)],
            "year": range(1990, 1990 + N),
            "iso_date": days.strftime("%Y-%m-%d"),
            "iso_tz": [s.isoformat() for s in stamps],
            "day_first": days.strftime("%d/%m/%Y"),
            "month_first": days.strftime("%m/%d/%Y"),
            "long_date": days.strftime("%d %B %Y"),
            "yes_no": ["yes", "no", "No"] * (N // 3),
            "true_false": [True, False] * (N // 2),
            "zero_one": [0, 1, 1] * (N // 3),
            "color": ["red", "green", "blue"] * (N // 3),
            "comment": [f"customer wrote a fairly long remark number {i} here" for i in range(N)],
            "zip": ["01234", "02345", "01234"] * (N // 3),
            "score": ["3", "?", "4", "NA", "5", "6"] * (N // 6),
        }
    )
    frame.loc[2, "price"] = np.nan
    return frame


def test_semantic_types_on_a_messy_frame(messy: pd.DataFrame) -> None:
    types = _types(messy)
    assert types == {
        "customer_id": "id",
        "Unnamed: 0": "id",
        "OrderID": "id",
        "row_counter": "id",
        "price": "numeric",
        "whole_price": "numeric",
        "amount_text": "numeric",
        "euro_text": "numeric",
        "money": "numeric",
        "year": "numeric",
        "iso_date": "datetime",
        "iso_tz": "datetime",
        "day_first": "datetime",
        "month_first": "datetime",
        "long_date": "datetime",
        "yes_no": "boolean",
        "true_false": "boolean",
        "zero_one": "boolean",
        "color": "categorical",
        "comment": "text",
        "zip": "categorical",
        "score": "numeric",
    }


def test_continuous_unique_floats_are_numeric_not_ids() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"measurement_id": rng.normal(size=50), "value": np.arange(50) + 0.5})
    assert _types(frame) == {"measurement_id": "numeric", "value": "numeric"}


def test_profile_counts_and_samples_are_json_safe(messy: pd.DataFrame) -> None:
    profile = profile_frame(messy)
    assert profile["num_rows"] == N
    assert profile["num_columns"] == messy.shape[1]
    price = next(c for c in profile["columns_info"] if c["name"] == "price")
    assert price["null_count"] == 1
    assert price["null_percentage"] == pytest.approx(100 / N, abs=0.01)
    assert price["dtype"] == "float64"
    color = next(c for c in profile["columns_info"] if c["name"] == "color")
    assert color["unique_count"] == 3
    assert color["sample_values"] == ["red", "green", "blue"]
    json.dumps(profile, allow_nan=False)
    assert profile_frame(messy, total_rows=1000)["num_rows"] == 1000


def test_day_first_and_month_first_are_decided_by_the_data(messy: pd.DataFrame) -> None:
    typed = coerce_types(messy, _info(messy))
    expected = pd.date_range("2024-01-01", periods=N, freq="D")
    for name in ("iso_date", "day_first", "month_first", "long_date"):
        assert typed[name].tolist() == expected.tolist(), name
    # Every value <= 12 on both sides: the reading that runs forward day by day wins.
    ambiguous = pd.DataFrame({"d": pd.date_range("2024-01-01", periods=12).strftime("%d/%m/%Y")})
    info = _info(ambiguous)
    assert info[0]["parse"]["formats"] == ["%d/%m/%Y"]


def test_time_zones_become_utc_consistently(messy: pd.DataFrame) -> None:
    info = _info(messy)
    typed = coerce_types(messy, info)
    assert str(typed["iso_tz"].dtype) == "datetime64[ns, UTC]"
    # 10:00 in Paris is 09:00 UTC before the DST switch (31 March) and 08:00 after it.
    assert typed["iso_tz"][0] == pd.Timestamp("2024-03-25 09:00", tz="UTC")
    assert typed["iso_tz"][10] == pd.Timestamp("2024-04-04 08:00", tz="UTC")
    assert str(typed["iso_date"].dtype) == "datetime64[ns]"


def test_coerce_types_converts_and_is_idempotent(messy: pd.DataFrame) -> None:
    info = _info(messy)
    typed = coerce_types(messy, info)
    assert typed["amount_text"][:2].tolist() == [1000.5, 1037.5]
    assert typed["euro_text"][:2].tolist() == [0.5, 1.5]
    assert typed["money"][1] == 1.99
    assert typed["score"][:3].tolist()[0] == 3.0 and np.isnan(typed["score"][1])
    assert typed["yes_no"][:3].tolist() == [1.0, 0.0, 0.0]
    assert typed["true_false"].dtype == np.float64
    assert typed["zip"][0] == "01234"
    pd.testing.assert_frame_equal(coerce_types(typed, info), typed)
    assert messy["amount_text"][0] == "1,000.50"  # the input is not modified


def test_coerce_types_gives_prediction_rows_the_training_dtypes(messy: pd.DataFrame) -> None:
    info = _info(messy)
    train = coerce_types(messy, info)
    incoming = pd.DataFrame.from_records(
        [
            {
                "price": 12,
                "iso_date": "2024-02-01",
                "iso_tz": "2024-02-01T10:00:00+01:00",
                "day_first": "31/01/2024",
                "yes_no": "YES",
                "zip": 1234.0,
                "color": " red ",
            }
        ]
    )
    typed = coerce_types(incoming, info)
    for name in incoming.columns:
        assert typed[name].dtype == train[name].dtype, name
    assert typed["day_first"][0] == pd.Timestamp("2024-01-31")
    assert typed["iso_tz"][0] == pd.Timestamp("2024-02-01 09:00", tz="UTC")
    assert typed["yes_no"][0] == 1.0
    assert typed["color"][0] == "red"


def test_profile_chunks_counts_exactly_over_the_stream(messy: pd.DataFrame) -> None:
    chunks = [messy.iloc[i : i + 7] for i in range(0, N, 7)]
    streamed = profile_chunks(iter(chunks), sample_rows=10)
    whole = profile_frame(messy)
    assert streamed["num_rows"] == N
    for got, want in zip(streamed["columns_info"], whole["columns_info"], strict=True):
        assert got["null_count"] == want["null_count"]
        assert got["unique_count"] == want["unique_count"]
    capped = profile_chunks(iter(chunks), unique_limit=5)
    customer = next(c for c in capped["columns_info"] if c["name"] == "customer_id")
    assert customer["unique_count"] == 5 and customer["unique_count_capped"]
    assert profile_chunks(iter([])) == {"num_rows": 0, "num_columns": 0, "columns_info": []}


def _daily(days: int = 40, start: str = "2024-01-01") -> list[str]:
    return pd.date_range(start, periods=days, freq="D").strftime("%Y-%m-%d").tolist()


def test_daily_series_with_gaps_and_duplicates() -> None:
    dates = _daily()
    kept = dates[:10] + dates[13:] + [dates[20], dates[21]]
    frame = pd.DataFrame({"date": sorted(kept), "sales": np.arange(len(kept), dtype=float)})
    result = detect_time_series(coerce_types(frame, _info(frame)), _info(frame))
    assert result["is_time_series"] is True
    assert result["time_column"] == "date"
    assert result["frequency"] == "D"
    assert result["gaps"] == 3
    assert result["duplicates"] == 2
    assert result["num_series"] == 1 and result["id_column"] is None
    assert result["start"] == "2024-01-01T00:00:00" and result["end"] == "2024-02-09T00:00:00"


def test_two_series_in_one_file_are_split_by_the_id_column() -> None:
    dates = _daily(30)
    frame = pd.DataFrame(
        {
            "store": ["north"] * 30 + ["south"] * 30,
            "date": dates + dates,
            "units": np.arange(60, dtype=float),
        }
    ).drop(index=[35])
    result = detect_time_series(frame, _info(frame))
    assert result["is_time_series"] is True
    assert result["id_column"] == "store"
    assert result["num_series"] == 2
    assert result["gaps"] == 1 and result["duplicates"] == 0


@pytest.mark.parametrize(
    ("freq", "alias"),
    [
        ("h", "h"),
        ("15min", "15min"),
        ("W-SUN", "W-SUN"),
        ("MS", "MS"),
        ("ME", "ME"),
        ("QS", "QS"),
        ("YE", "YE"),
        ("B", "B"),
    ],
)
def test_frequency_aliases(freq: str, alias: str) -> None:
    frame = pd.DataFrame({"t": pd.date_range("2021-01-01", periods=40, freq=freq), "v": 1.0})
    result = detect_time_series(frame, _info(frame))
    assert result["is_time_series"] is True
    assert result["frequency"] == alias


def test_a_table_with_random_dates_is_not_a_series() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "signup": (
                pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, 200), "D")
            ).strftime("%d/%m/%Y"),
            "spend": rng.random(200),
        }
    )
    assert _types(frame)["signup"] == "datetime"
    result = detect_time_series(frame, _info(frame))
    assert result["is_time_series"] is False
    no_dates = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]})
    assert detect_time_series(no_dates, _info(no_dates))["time_column"] is None


def test_validate_reports_errors_and_warnings() -> None:
    frame = pd.DataFrame(
        {
            "empty": [np.nan] * 6,
            "const": ["a"] * 6,
            "mostly_missing": [1.0, np.nan, np.nan, np.nan, 2.0, np.nan],
            "x": [1.0, 2.0, 3.0, 3.0, 5.0, 6.0],
            "y": ["p", "q", "r", "r", "p", "q"],
        }
    )
    frame.loc[3, "mostly_missing"] = np.nan
    result = validate_frame(frame, _info(frame))
    assert result["valid"] is False
    assert any("'empty'" in e for e in result["errors"])
    text = " ".join(result["warnings"])
    assert "'const'" in text and "constant" in text
    assert "'mostly_missing'" in text and "66.7%" in text
    assert "duplicates" in text
    assert result["detected"]["target_candidates"][:2] == ["y", "x"]
    json.dumps(result, allow_nan=False)


def test_validate_empty_and_unusable_frames() -> None:
    assert validate_frame(pd.DataFrame({"a": []}), [])["errors"] == ["The dataset has no rows."]
    ids = pd.DataFrame({"id": range(10)})
    assert any("No usable columns" in e for e in validate_frame(ids, _info(ids))["errors"])


def test_validate_series_warns_about_gaps_duplicates_and_mixed_formats() -> None:
    dates = _daily(30)
    kept = dates[:5] + dates[7:] + [dates[10]]
    frame = pd.DataFrame({"when": sorted(kept), "y": np.arange(len(kept), dtype=float)})
    frame["when"] = frame["when"].astype(object)
    frame.loc[0, "when"] = "01/01/2024"  # one value written another way
    result = validate_frame(frame, _info(frame))
    assert result["valid"] is True
    assert result["detected"]["time_column"] == "when"
    assert result["detected"]["frequency"] == "D"
    assert result["detected"]["target_candidates"] == ["y"]
    text = " ".join(result["warnings"])
    assert "2 missing timestamp" in text
    assert "1 timestamp(s) are repeated" in text
    assert "mixes date formats" in text
    missing = validate_frame(frame, _info(frame), time_column="nope")
    assert missing["valid"] is False


def test_column_statistics_are_exact_and_json_safe(messy: pd.DataFrame) -> None:
    frame = messy.copy()
    frame.loc[5, "price"] = np.inf
    info = _info(messy)
    stats = column_statistics(frame, info)
    json.dumps(stats, allow_nan=False)
    finite = frame["price"][np.isfinite(frame["price"])]
    price = stats["price"]
    assert price["count"] == len(finite)
    assert price["mean"] == pytest.approx(finite.mean())
    assert price["p50"] == pytest.approx(finite.median())
    assert price["max"] == pytest.approx(finite.max())
    assert stats["color"]["top_values"][0] == {"value": "red", "count": 10}
    assert stats["color"]["unique"] == 3
    assert stats["iso_date"]["min"] == "2024-01-01T00:00:00"
    assert stats["iso_date"]["frequency"] == "D" and stats["iso_date"]["gaps"] == 0
    empty = column_statistics(
        pd.DataFrame({"v": [np.nan, np.nan]}), [{"name": "v", "semantic_type": "numeric"}]
    )
    assert empty["v"]["mean"] is None and empty["v"]["count"] == 0


def test_statistics_chunks_match_the_whole_frame(messy: pd.DataFrame) -> None:
    info = _info(messy)
    whole = column_statistics(messy, info)
    streamed = statistics_chunks((messy.iloc[i : i + 8] for i in range(0, N, 8)), info)
    json.dumps(streamed, allow_nan=False)
    for key in ("count", "mean", "std", "min", "max", "p50"):
        assert streamed["price"][key] == pytest.approx(whole["price"][key]), key
    assert streamed["color"]["top_values"] == whole["color"]["top_values"]
    assert streamed["iso_date"]["min"] == whole["iso_date"]["min"]
    assert streamed["iso_date"]["frequency"] == "D"


def test_boolean_top_values_are_the_files_words(messy: pd.DataFrame) -> None:
    """A boolean column's top values name its values as the file writes them (0/1, True as
    JSON writes it, each spelling of a word), whole or streamed, not the 1.0/0.0 it is typed
    as; its mean is still the share of true values."""
    info = _info(messy)
    streamed = statistics_chunks((messy.iloc[i : i + 8] for i in range(0, N, 8)), info)
    whole = column_statistics(messy, info)
    third, half = N // 3, N // 2
    for stats in (whole, streamed):
        assert stats["zero_one"]["top_values"] == [
            {"value": "1", "count": 2 * third},
            {"value": "0", "count": third},
        ]
        assert stats["zero_one"]["mean"] == pytest.approx(2 / 3)
        assert {v["value"] for v in stats["true_false"]["top_values"]} == {"true", "false"}
        assert stats["true_false"]["top_values"][0]["count"] == half
        assert sorted(v["value"] for v in stats["yes_no"]["top_values"]) == ["No", "no", "yes"]
        assert stats["yes_no"]["mean"] == pytest.approx(1 / 3)
