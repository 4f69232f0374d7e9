"""The day/month order of dates whose days are all 12 or less (first-of-month data): the order
that makes the column a regular series wins, once, in the parse spec that the profile, the
frequency, validation, training and requests all read; a real guess is a validation warning."""

from __future__ import annotations

import pandas as pd
import pytest

from datasets.coercion import coerce_types
from datasets.models import Dataset
from datasets.semantics import datetime_spec
from datasets.tests.test_api import upload

pytestmark = pytest.mark.django_db


def monthly_csv(fmt: str, months: int = 48) -> bytes:
    """`DATE,UNEMPLOY` like ggplot2's economics: the first of each month from July 1967."""
    stamps = pd.date_range("1967-07-01", periods=months, freq="MS")
    rows = [f"{ts.strftime(fmt)},{2944 + 7 * i}" for i, ts in enumerate(stamps)]
    return ("DATE,UNEMPLOY\n" + "\n".join(rows) + "\n").encode()


def test_us_first_of_month_dates_read_month_first():
    text = pd.Series(pd.date_range("1967-07-01", periods=48, freq="MS").strftime("%m/%d/%Y"))
    assert datetime_spec(text) == {"formats": ["%m/%d/%Y"], "utc": False}


def test_european_first_of_month_dates_read_day_first():
    text = pd.Series(pd.date_range("1967-07-01", periods=48, freq="MS").strftime("%d/%m/%Y"))
    assert datetime_spec(text) == {"formats": ["%d/%m/%Y"], "utc": False}


@pytest.mark.parametrize(("fmt", "first"), [("%m/%d/%Y", "07/01/1967"), ("%d/%m/%Y", "01/07/1967")])
def test_upload_of_first_of_month_dates_is_a_monthly_series(api, fmt, first):
    res = upload(api, "unemploy.csv", monthly_csv(fmt), time_column="DATE")
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["dataset_type"] == "time_series"
    assert body["frequency"] == "MS"
    assert body["series_info"]["start"].startswith("1967-07-01")
    assert body["series_info"]["end"].startswith("1971-06-01")
    report = api.post(f"/api/v1/datasets/{body['id']}/validate").json()
    assert report["valid"] is True and report["detected"]["frequency"] == "MS", report
    assert not [w for w in report["warnings"] if "DATE" in w], report["warnings"]
    stats = api.get(f"/api/v1/datasets/{body['id']}/statistics").json()
    date = stats["DATE"] if "DATE" in stats else stats["columns"]["DATE"]
    assert str(date["min"]).startswith("1967-07-01"), date
    # Training frames and requests are typed by the same columns_info: July, not 7 January.
    info = Dataset.objects.get(pk=body["id"]).columns_info
    typed = coerce_types(pd.DataFrame({"DATE": [first]}), info)
    assert typed["DATE"].iloc[0] == pd.Timestamp("1967-07-01")


def test_a_daily_file_still_reads_daily(api):
    stamps = pd.date_range("2020-01-01", periods=120, freq="D")
    rows = [f"{ts.strftime('%m/%d/%Y')},{i}" for i, ts in enumerate(stamps)]
    res = upload(api, "daily.csv", ("day,value\n" + "\n".join(rows)).encode(), time_column="day")
    assert res.status_code == 201, res.json()
    assert res.json()["frequency"] == "D"
    assert res.json()["series_info"]["end"].startswith("2020-04-29")


def test_validation_warns_when_the_order_stays_a_guess(api):
    """Ten days of January read month-first, or the first of ten months read day-first: both
    are complete series, so the order is a guess and validation says which one VUR took."""
    stamps = pd.date_range("2020-01-01", periods=10, freq="D")
    rows = [f"{ts.strftime('%m/%d/%Y')},{i}" for i, ts in enumerate(stamps)]
    res = upload(api, "short.csv", ("day,value\n" + "\n".join(rows)).encode())
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["frequency"] == "D"  # month-first, pandas' habit, when nothing decides
    info = next(c for c in body["columns_info"] if c["name"] == "day")
    assert info["parse"]["order_ambiguous"] is True
    report = api.post(f"/api/v1/datasets/{body['id']}/validate").json()
    warned = [w for w in report["warnings"] if "day-first and month-first" in w]
    assert len(warned) == 1 and "reads them month-first" in warned[0], report["warnings"]
    assert "'01/01/2020'" in warned[0]
