"""The dataset page judges a time series' outliers once: the series chart and the quality report
both count the points far from the series' trend and seasonal pattern, so a clean seasonal
series has none and injected spikes are found by both."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import upload_text

pytestmark = pytest.mark.django_db

MONTHLY = (Path(__file__).parent / "data" / "monthly_sales.csv").read_text()


@pytest.fixture
def web(client, owner):
    client.force_login(owner)
    return client


def _upload(api, text: str) -> int:
    return upload_text(api, "sales.csv", text, "sales")


def _chart_outliers(web, dataset_id: int) -> list[str]:
    html = web.get(f"/datasets/{dataset_id}/series/", HTTP_HX_REQUEST="true").content.decode()
    script = re.search(r'id="series-0"[^>]*>(.*?)</script>', html, re.S)
    assert script is not None
    figure = json.loads(script.group(1))
    marked = [t for t in figure["data"] if t["name"].startswith("outliers")]
    return marked[0]["x"] if marked else []


def test_a_clean_seasonal_series_has_no_outliers_on_the_chart_or_in_the_report(web, api):
    dataset_id = _upload(api, MONTHLY)
    assert _chart_outliers(web, dataset_id) == []  # was 27: every peak and trough
    quality = web.get(f"/datasets/{dataset_id}/quality/", HTTP_HX_REQUEST="true")
    assert b'id="quality-clean"' in quality.content


def test_spikes_are_found_by_the_chart_and_the_report_alike(web, api):
    lines = MONTHLY.strip().splitlines()
    for row, bump in ((11, 60.0), (41, -50.0), (78, 80.0)):  # data rows 10, 40, 77
        month, value = lines[row].split(",")
        lines[row] = f"{month},{float(value) + bump:.2f}"
    dataset_id = _upload(api, "\n".join(lines) + "\n")
    stamps = [s[:10] for s in _chart_outliers(web, dataset_id)]
    assert stamps == [lines[11][:10], lines[41][:10], lines[78][:10]]
    quality = web.get(f"/datasets/{dataset_id}/quality/", HTTP_HX_REQUEST="true")
    assert "&#x27;sales&#x27; has 3 values far from its trend and seasonal pattern" in (
        quality.content.decode()
    )
    report = api.post(
        "/api/v1/preprocessing/analyze", {"dataset_id": dataset_id}, format="json"
    ).json()
    outliers = [i for i in report["issues"] if i["issue_type"] == "outliers"]
    assert [(i["column"], i["count"]) for i in outliers] == [("sales", 3)]


SHORT = (Path(__file__).parent / "data" / "monthly_30.csv").read_text()


def test_a_short_clean_series_has_no_outliers_on_the_page_and_its_spikes_are_found(web, api):
    # 30 months of trend, yearly wave and noise: the page said 14 of them (46.67%) were far
    # from the trend and seasonal pattern and drew 14 red circles on a clean line
    dataset_id = _upload(api, SHORT)
    assert _chart_outliers(web, dataset_id) == []
    quality = web.get(f"/datasets/{dataset_id}/quality/", HTTP_HX_REQUEST="true")
    assert b'id="quality-clean"' in quality.content
    lines = SHORT.strip().splitlines()
    for row, bump in ((8, 80), (21, -70)):  # data rows 7 and 20
        month, value = lines[row].split(",")
        lines[row] = f"{month},{int(value) + bump}"
    spiked = _upload(api, "\n".join(lines) + "\n")
    assert [s[:7] for s in _chart_outliers(web, spiked)] == [lines[8][:7], lines[21][:7]]
    report = api.post("/api/v1/preprocessing/analyze", {"dataset_id": spiked}, format="json")
    outliers = [i for i in report.json()["issues"] if i["issue_type"] == "outliers"]
    assert [(i["column"], i["count"]) for i in outliers] == [("visitors", 2)]
