"""A time series' quality report counts its missing timestamps (gaps in the regular grid)
against the score as missing values, never shows 100% with an issue found, and advises only
what a forecasting pipeline offers (no robust scaler), on the dataset page and in
`preprocessing/analyze`."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from conftest import sample_path, upload_text
from preprocessing.analysis import analyze_quality
from preprocessing.pages import score_percent

pytestmark = pytest.mark.django_db

DROPPED = [10, 30, 50, 70, 90, 110]  # data rows removed: six missing months
SPIKES = {20: 2.0, 60: 0.5, 100: 1.8}  # data rows made outliers (value times this)


def _gappy_series() -> str:
    frame = pd.read_csv(sample_path("series_airpassengers.csv")).head(138)
    for row, factor in SPIKES.items():
        frame.loc[row, "passengers"] = round(frame.loc[row, "passengers"] * factor)
    return frame.drop(index=DROPPED).to_csv(index=False)


@pytest.fixture
def web(client, owner):
    client.force_login(owner)
    return client


def _upload(api, text: str) -> int:
    return upload_text(api, "air.csv", text, "air")


def test_a_gappy_series_with_outliers_scores_below_100_and_is_advised_forecasting_choices(web, api):
    dataset_id = _upload(api, _gappy_series())
    report = api.post(
        "/api/v1/preprocessing/analyze", {"dataset_id": dataset_id}, format="json"
    ).json()
    gaps = [i for i in report["issues"] if i["column"] == "month"]
    assert [(i["issue_type"], i["count"]) for i in gaps] == [("missing_values", 6)]
    assert "missing 6 timestamps of its regular grid" in gaps[0]["description"]
    assert [i["column"] for i in report["issues"] if i["issue_type"] == "outliers"] == [
        "passengers"
    ]
    # 6 of 138 grid steps have no row: completeness is the grid's share of present cells
    assert report["score_breakdown"]["completeness"] == pytest.approx(132 / 138, abs=1e-4)
    assert report["overall_score"] < 0.98
    advice = " ".join(report["recommendations"] + [i["suggested_action"] for i in report["issues"]])
    assert "robust scaler" not in advice and "median" not in advice
    assert "outlier treatment can cap them or redraw them" in advice
    assert "interpolate or forward-fill" in advice

    html = web.get(f"/datasets/{dataset_id}/quality/", HTTP_HX_REQUEST="true").content.decode()
    score = re.search(r'id="quality-score">(\d+)%', html)
    assert score is not None and int(score.group(1)) == score_percent(report["overall_score"])
    assert int(score.group(1)) < 100
    assert "robust scaler" not in html
    assert "missing timestamps (gaps in the series' regular grid" in html  # the score's help


def test_a_score_short_of_1_never_reads_100_percent():
    assert score_percent(1.0) == 100
    assert score_percent(0.9955) == 99
    assert score_percent(0.876) == 88
    assert score_percent(0.0) == 0


def test_a_table_keeps_its_table_advice_and_its_score():
    frame = pd.DataFrame({"amount": [1.0, 2.0, 3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 500.0, None]})
    report = analyze_quality(frame)
    assert any("robust scaler" in r for r in report["recommendations"])
    assert report["score_breakdown"]["completeness"] == pytest.approx(0.9)


def test_a_forecasting_pipelines_preview_counts_the_gaps_before_and_fills_them_after(api):
    from conftest import create_pipeline

    dataset_id = _upload(api, _gappy_series())
    pipe = create_pipeline(api, dataset_id, "passengers", "forecasting", time_column="month")
    res = api.post(
        "/api/v1/preprocessing/apply",
        {"pipeline_id": pipe["id"], "config": {"missing_values_strategy": "interpolate"}},
        format="json",
    )
    assert res.status_code == 200, res.content
    result = res.json()
    report = api.post(
        "/api/v1/preprocessing/analyze", {"dataset_id": dataset_id}, format="json"
    ).json()
    # before: the dataset page's completeness (6 of 138 months missing, weighed 0.4); after:
    # the gaps are filled
    assert report["score_breakdown"]["completeness"] == pytest.approx(132 / 138, abs=1e-4)
    assert result["quality_before"] <= 1 - 0.4 * 6 / 138 + 1e-4
    assert result["quality_after"] > result["quality_before"]


def test_the_wizard_preview_scores_the_series_before_as_the_dataset_page_does(web, api):
    """Before any preprocessing the wizard's score is the dataset page's: the same missing
    timestamps and the same series outlier rule (not the IQR rule on the file's rows)."""
    from conftest import create_pipeline

    dataset_id = _upload(api, _gappy_series())
    pipe = create_pipeline(api, dataset_id, "passengers", "forecasting", time_column="month")
    report = api.post(
        "/api/v1/preprocessing/analyze", {"dataset_id": dataset_id}, format="json"
    ).json()
    outliers = [i for i in report["issues"] if i["issue_type"] == "outliers"]
    assert [i["column"] for i in outliers] == ["passengers"] and outliers[0]["count"] >= 3
    res = api.post(
        "/api/v1/preprocessing/apply",
        {"pipeline_id": pipe["id"], "config": {}},
        format="json",
    )
    assert res.status_code == 200, res.content
    assert res.json()["quality_before"] == pytest.approx(report["overall_score"], abs=1e-4)

    page = web.get(f"/datasets/{dataset_id}/quality/", HTTP_HX_REQUEST="true").content.decode()
    on_page = re.search(r'id="quality-score">(\d+)%', page)
    wizard = web.post(
        f"/pipelines/{pipe['id']}/wizard/preprocessing/preview/", {}, HTTP_HX_REQUEST="true"
    ).content.decode()
    before = re.search(r'id="prep-quality"><span class="value">(\d+)% →', wizard)
    assert on_page is not None and before is not None, wizard
    assert before.group(1) == on_page.group(1)
