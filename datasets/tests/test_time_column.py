"""A named time column on upload: quarters as R writes them read, a column VUR cannot read as
dates (counters, epoch seconds, years before 1678, text) is refused with nothing saved, and
validation tells unreadable dates apart from missing values and duplicate rows."""

from __future__ import annotations

import pandas as pd
import pytest

from datasets.models import Dataset
from datasets.tests.test_api import stored_files, upload
from datasets.validation import validate_frame

pytestmark = pytest.mark.django_db


def quarters_csv(label) -> bytes:
    """Two states, 12 quarters each, the quarter written by `label(year, quarter)`."""
    rows = [
        f"{label(1998 + q // 4, q % 4 + 1)},{state},{10 + q}"
        for state in ("Tasmania", "Victoria")
        for q in range(12)
    ]
    return ("Date,State,Takings\n" + "\n".join(rows) + "\n").encode()


@pytest.mark.parametrize(
    "label",
    [
        lambda y, q: f"{y} Q{q}",
        lambda y, q: f"{y} q{q}",
        lambda y, q: f"Q{q} {y}",
        lambda y, q: f"{y}-Q{q}",
    ],
    ids=["1998 Q1", "1998 q1", "Q1 1998", "1998-Q1"],
)
def test_upload_reads_quarters_written_with_a_space(api, label):
    res = upload(api, "aus.csv", quarters_csv(label), time_column="Date")
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["dataset_type"] == "time_series"
    assert body["frequency"].startswith("Q")
    assert body["series_info"]["start"].startswith("1998-01-01")
    assert body["series_info"]["id_column"] == "State"
    report = api.post(f"/api/v1/datasets/{body['id']}/validate").json()
    assert report["valid"] is True, report
    assert not [w for w in report["warnings"] if "Date" in w or "duplicate" in w]


@pytest.mark.parametrize(
    "label",
    [lambda y, q: f"{y} Q{q}", lambda y, q: f"{y}-Q{q}", lambda y, q: f"Q{q} {y}"],
    ids=["1998 Q1", "1998-Q1", "Q1 1998"],
)
def test_a_quarter_column_is_found_without_being_named(api, label):
    res = upload(api, "aus.csv", quarters_csv(label))
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["dataset_type"] == "time_series"
    assert body["time_column"] == "Date"
    assert body["frequency"].startswith("Q")
    date = next(c for c in body["columns_info"] if c["name"] == "Date")
    assert date["semantic_type"] == "datetime"


def assert_refused(res, code: str, *words: str) -> None:
    assert res.status_code == 400, res.json()
    assert res.json()["code"] == code
    for word in words:
        assert word in res.json()["detail"]


@pytest.mark.parametrize(
    ("name", "values", "example"),
    [
        ("minute", range(1, 101), "'1'"),
        ("ts", range(1_609_459_200, 1_609_459_200 + 3600 * 100, 3600), "'1609459200'"),
    ],
    ids=["counter", "epoch seconds"],
)
def test_upload_refuses_a_time_column_of_plain_numbers(api, name, values, example):
    content = pd.DataFrame({name: list(values), "users": range(100)}).to_csv(index=False)
    before = stored_files()
    res = upload(api, "usage.csv", content.encode(), time_column=name)
    assert_refused(res, "unreadable_time_column", f"'{name}'", example, "not dates")
    assert Dataset.objects.count() == 0
    assert stored_files() == before


def test_upload_refuses_a_time_column_of_text_that_is_no_date(api):
    content = pd.DataFrame({"when": ["soon", "later", "never"] * 10, "y": range(30)})
    res = upload(api, "t.csv", content.to_csv(index=False).encode(), time_column="when")
    assert_refused(res, "unreadable_time_column", "'when'", "'soon'", "30 of 30")
    assert Dataset.objects.count() == 0


def test_upload_refuses_years_before_1678_saying_how_many(api):
    content = pd.DataFrame({"year": range(-6000, 1980), "ring_width": 1.0})
    before = stored_files()
    res = upload(api, "rings.csv", content.to_csv(index=False).encode(), time_column="year")
    assert_refused(res, "dates_out_of_range", "'year'", "7678 of 7980", "'-6000'", "1678")
    assert Dataset.objects.count() == 0
    assert stored_files() == before


def test_upload_refuses_text_dates_before_1678(api):
    days = [f"16{y:02d}-01-01" for y in range(50)] + ["1700-01-01"] * 2
    content = pd.DataFrame({"day": days, "y": range(52)})
    res = upload(api, "old.csv", content.to_csv(index=False).encode(), time_column="day")
    assert_refused(res, "dates_out_of_range", "50 of 52", "'1600-01-01'")


def test_upload_still_reads_four_digit_years(api):
    content = pd.DataFrame({"year": range(1960, 2000), "rice": range(40)})
    res = upload(api, "rice.csv", content.to_csv(index=False).encode(), time_column="year")
    assert res.status_code == 201, res.json()
    assert res.json()["frequency"].startswith("Y")


def test_upload_reads_years_of_a_column_with_a_blank(api):
    years = [str(y) for y in range(1960, 2000)]
    years[5] = ""  # the column reads as floats: 1961.0 must still be the year 1961
    content = pd.DataFrame({"year": years, "rice": range(40)})
    res = upload(api, "rice.csv", content.to_csv(index=False).encode(), time_column="year")
    assert res.status_code == 201, res.json()
    assert res.json()["series_info"]["start"].startswith("1960-01-01")
    assert res.json()["frequency"].startswith("Y")


def test_validate_tells_unreadable_dates_from_missing_ones(api):
    good = pd.date_range("2024-01-01", periods=30, freq="D").strftime("%Y-%m-%d").tolist()
    days = good[:20] + ["no date"] * 10  # readable enough to upload, 10 unreadable
    content = pd.DataFrame({"day": days, "y": range(30)})
    res = upload(api, "d.csv", content.to_csv(index=False).encode(), time_column="day")
    assert res.status_code == 201, res.json()
    report = api.post(f"/api/v1/datasets/{res.json()['id']}/validate").json()
    text = " ".join(report["errors"] + report["warnings"])
    assert "10 value(s) of 'day' are not readable dates, such as 'no date'" in text
    assert "missing" not in text and "duplicate" not in text and "empty" not in text


def test_validate_never_calls_an_unread_time_column_empty_or_its_rows_duplicate():
    frame = pd.DataFrame({"Date": [f"{1998 + i // 4}/Z{i % 4}" for i in range(40)], "y": 1.0})
    info = [
        {"name": "Date", "semantic_type": "datetime"},
        {"name": "y", "semantic_type": "numeric"},
    ]
    report = validate_frame(frame, info, time_column="Date")
    assert report["errors"] == [
        "The time column 'Date' holds no readable dates (such as '1998/Z0')."
    ]
    text = " ".join(report["warnings"])
    assert "empty" not in text and "duplicate" not in text and "missing" not in text


def test_validate_warns_when_title_lines_gave_the_column_names(api):
    months = pd.date_range("1969-01-01", periods=120, freq="MS")
    body = "\n".join(f"{m:%Y-%m-%d},{1500 + i}" for i, m in enumerate(months))
    data = f"UK driver deaths, monthly\nSource: R datasets\n\nmonth,deaths\n{body}\n".encode()
    res = upload(api, "titled.csv", data)
    assert res.status_code == 201, res.json()
    report = api.post(f"/api/v1/datasets/{res.json()['id']}/validate").json()
    titled = [w for w in report["warnings"] if "title or note lines" in w]
    assert titled and "first 2 row(s)" in titled[0], report["warnings"]


def test_no_title_warning_for_a_file_that_starts_with_missing_values(api):
    rows = ["n/a,,x"] + [f"{i},{i * 2.5},{'ab'[i % 2]}" for i in range(40)]
    res = upload(api, "plain.csv", ("a,b,c\n" + "\n".join(rows) + "\n").encode())
    assert res.status_code == 201, res.json()
    report = api.post(f"/api/v1/datasets/{res.json()['id']}/validate").json()
    assert not [w for w in report["warnings"] if "title or note lines" in w], report["warnings"]
