"""A value that is not a number ("oops" in a column of numbers) is named by the quality report (a
format issue, not a missing value), the column card and the series chart (a row without a
value, not a gap), whose text and legend count the same gaps."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.tests.test_not_numbers import HTML_PHRASE, PHRASE, daily_sales_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def daily(api) -> dict:
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("daily_sales.csv", daily_sales_csv().encode()), "name": "d"},
        format="multipart",
    )
    assert res.status_code == 201, res.content
    return res.json()


@pytest.fixture
def web(client, owner):
    client.force_login(owner)
    return client


def test_the_quality_report_calls_it_a_format_issue_not_a_missing_value(api, daily):
    report = api.post(
        "/api/v1/preprocessing/analyze", {"dataset_id": daily["id"]}, format="json"
    ).json()
    issues = {(i["column"], i["issue_type"]): i for i in report["issues"]}
    assert issues[("sales", "inconsistent_format")]["description"] == (
        f"'sales' has {PHRASE}, 1.67% of rows; it is read as missing."
    )
    missing = issues[("sales", "missing_values")]
    assert missing["count"] == 1
    assert missing["description"] == "'sales' has 1 missing value, 1.67% of rows."


def test_the_column_card_and_the_series_chart_name_it_and_count_the_gaps_alike(web, daily):
    cards = web.get(f"/datasets/{daily['id']}/statistics/").content.decode()
    sales_card = cards.split('id="col-1"')[1].split("</article>")[0]
    assert "numbers written as text" in sales_card and "object" not in sales_card
    assert f'<span class="warn" id="not-numbers-1">{HTML_PHRASE}</span>' in sales_card
    series = web.get(f"/datasets/{daily['id']}/series/")
    facts = series.content.decode().split('id="series-facts">')[1].split("</p>")[0]
    assert f"1 missing timestamp; 'sales' has {HTML_PHRASE}." in facts
    line = series.context["lines"][0]
    assert line["gaps"] == ["2024-01-20T00:00:00"]  # the one missing timestamp
    assert line["no_value"] == ["2024-02-11T00:00:00", "2024-02-20T00:00:00"]  # oops, empty
    legend = [t["name"] for t in line["figure"]["data"]]
    assert "gaps (1)" in legend and "no value (2)" in legend
