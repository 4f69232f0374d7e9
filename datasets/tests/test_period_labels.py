"""Months and weeks written as spreadsheets and statistics offices write them ("Jan-20",
"2020 Jan", "2020M01", "2020-W05") upload as time series of the right frequency, whether the
time column is named or found, and the same notation reads in requests and live observations."""

from __future__ import annotations

import pandas as pd
import pytest

from datasets.coercion import coerce_types, read_timestamp
from datasets.models import Dataset
from datasets.semantics import datetime_spec, infer_column, week_starts
from datasets.tests.test_api import upload

pytestmark = pytest.mark.django_db

MONTH_LABELS = {
    "Jan-20": "%b-%y",
    "Jan-2020": "%b-%Y",
    "January-2020": "%B-%Y",
    "2020 Jan": "%Y %b",
    "2020-Jan": "%Y-%b",
    "2020 January": "%Y %B",
    "2020M01": "%YM%m",
}


def labelled_csv(labels: list[str], column: str = "period") -> bytes:
    rows = [f"{label},{100 + 3 * i + (i % 4)}" for i, label in enumerate(labels)]
    return (f"{column},sales\n" + "\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("fmt", list(MONTH_LABELS.values()), ids=list(MONTH_LABELS))
def test_month_labels_upload_as_a_monthly_series(api, fmt):
    months = pd.date_range("2017-03-01", periods=40, freq="MS")
    res = upload(api, "m.csv", labelled_csv([m.strftime(fmt) for m in months]))
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["dataset_type"] == "time_series"
    assert body["time_column"] == "period"
    assert body["frequency"] == "MS"
    assert body["series_info"]["start"].startswith("2017-03-01")
    assert body["series_info"]["end"].startswith("2020-06-01")
    report = api.post(f"/api/v1/datasets/{body['id']}/validate").json()
    assert report["valid"] is True, report
    assert not [w for w in report["warnings"] if "period" in w], report["warnings"]
    # Training frames and single requests read the column's notation the same way.
    info = Dataset.objects.get(pk=body["id"]).columns_info
    typed = coerce_types(pd.DataFrame({"period": [months[5].strftime(fmt)]}), info)
    assert typed["period"].iloc[0] == months[5]
    spec = next(c for c in info if c["name"] == "period")["parse"]
    assert read_timestamp(pd.Timestamp("2021-02-01").strftime(fmt), spec) == pd.Timestamp(
        "2021-02-01"
    )


@pytest.mark.parametrize(
    "label",
    [lambda y, w: f"{y}-W{w:02d}", lambda y, w: f"{y}W{w:02d}", lambda y, w: f"{y} W{w}"],
    ids=["2020-W05", "2020W05", "2020 W5"],
)
def test_iso_weeks_upload_as_a_weekly_series_of_mondays(api, label):
    mondays = pd.date_range("2019-12-30", periods=70, freq="W-MON")  # 2020-W01 onwards
    labels = [label(*m.isocalendar()[:2]) for m in mondays]
    assert "53" in " ".join(labels)  # 2020 has a week 53
    res = upload(api, "w.csv", labelled_csv(labels, column="week"))
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["dataset_type"] == "time_series"
    assert body["time_column"] == "week"
    assert body["frequency"] == "W-MON"
    assert body["series_info"]["start"].startswith("2019-12-30")
    assert body["series_info"]["end"].startswith(str(mondays[-1].date()))
    report = api.post(f"/api/v1/datasets/{body['id']}/validate").json()
    assert report["valid"] is True, report
    info = Dataset.objects.get(pk=body["id"]).columns_info
    spec = next(c for c in info if c["name"] == "week")["parse"]
    assert read_timestamp("2021-W30", spec) == pd.Timestamp("2021-07-26")


def test_week_starts_reads_weekdays_and_refuses_weeks_a_year_does_not_have():
    text = pd.Series(["2020-W05", "2020W05-3", "2020 w53", "2021-W53", "2020-W00", "W05", "x"])
    read = week_starts(text)
    assert read.iloc[:3].tolist() == [
        pd.Timestamp("2020-01-27"),
        pd.Timestamp("2020-01-29"),
        pd.Timestamp("2020-12-28"),
    ]
    assert read.iloc[3:].isna().all()


def test_text_that_only_starts_like_a_month_is_not_a_date():
    codes = pd.Series([f"{word}-{n}" for word in ("Alpha", "Bravo", "Delta") for n in range(20)])
    assert infer_column(codes, "code")[0] != "datetime"
    mixed = pd.Series(["Jan-20", "Feb-20", "ship-1", "ship-2"] * 10)
    assert datetime_spec(mixed) is None
