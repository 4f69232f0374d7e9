"""Features API: generate (defaults from the data), select on training rows, importance."""

from __future__ import annotations

import pytest

from conftest import create_pipeline, upload_sample

pytestmark = pytest.mark.django_db


def test_generate_series_features_from_the_frequency(api):
    ds = upload_sample(api, "series_airpassengers.csv")
    pipe = create_pipeline(api, ds["id"], "passengers", "forecasting", forecast_horizon=12)
    res = api.post("/api/v1/features/generate", {"pipeline_id": pipe["id"]}, format="json")
    assert res.status_code == 200, res.json()
    feats = res.json()["features"]
    kinds = {f["kind"] for f in feats}
    assert {"lag", "rolling", "calendar"} <= kinds
    names = {f["name"] for f in feats}
    assert "lag_12" in names and "lag_1" in names  # monthly data: the yearly season
    config = api.get(f"/api/v1/pipelines/{pipe['id']}/").json()["feature_config"]
    assert 12 in config["seasons"] and config["lags"]
    custom = api.post(
        "/api/v1/features/generate",
        {"pipeline_id": pipe["id"], "lags": [1, 2, 12], "rolling_windows": [6], "fourier_terms": 0},
        format="json",
    ).json()["features"]
    assert {f["name"] for f in custom if f["kind"] == "lag"} == {"lag_1", "lag_2", "lag_12"}
    described = {f["name"]: f["description"] for f in custom if f["kind"] == "lag"}
    assert described["lag_1"] == "passengers 1 step earlier"  # not "1 steps"
    assert described["lag_12"] == "passengers 12 steps earlier"
    assert not [f for f in custom if f["kind"] == "fourier"]


def test_select_scores_on_training_rows_and_saves(api, other_api):
    ds = upload_sample(api, "credit_scoring.csv")
    pipe = create_pipeline(api, ds["id"], "Status", "classification")
    for method in ("mutual_info", "correlation", "variance", "model_based"):
        res = api.post(
            "/api/v1/features/select",
            {"pipeline_id": pipe["id"], "method": method, "k": 5},
            format="json",
        )
        assert res.status_code == 200, (method, res.json())
        body = res.json()
        assert len(body["selected"]) == 5
        assert set(body["selected"]) <= set(body["scores"])
    saved = api.get(f"/api/v1/pipelines/{pipe['id']}/").json()["feature_config"]
    assert saved["selected"] == body["selected"]
    bad = api.post(
        "/api/v1/features/select", {"pipeline_id": pipe["id"], "method": "astrology"}, format="json"
    )
    assert bad.status_code == 400
    assert (
        other_api.post(
            "/api/v1/features/select",
            {"pipeline_id": pipe["id"], "method": "variance"},
            format="json",
        ).status_code
        == 404
    )
    imp = api.get(f"/api/v1/features/importance?pipeline_id={pipe['id']}").json()
    values = [i["importance"] for i in imp["importances"]]
    assert values == sorted(values, reverse=True) and len(values) >= 5
    assert api.get("/api/v1/features/importance").status_code == 400
    assert other_api.get(f"/api/v1/features/importance?pipeline_id={pipe['id']}").status_code == 404


def test_generate_tabular_interactions_from_the_most_informative_numeric_columns(api, other_api):
    ds = upload_sample(api, "credit_scoring.csv")
    pipe = create_pipeline(api, ds["id"], "Status", "classification")
    res = api.post(
        "/api/v1/features/generate",
        {"pipeline_id": pipe["id"], "interactions": True},
        format="json",
    )
    assert res.status_code == 200, res.json()
    inter = [f for f in res.json()["features"] if f["kind"] == "interaction"]
    assert len(inter) == 10  # every pair of the five most informative numeric columns
    sources = {c for f in inter for c in f["source_columns"]}
    assert len(sources) == 5 and "Status" not in sources
    assert sources <= {"Seniority", "Time", "Age", "Expenses", "Income", "Assets", "Debt",
                       "Amount", "Price"}  # fmt: skip
    saved = api.get(f"/api/v1/pipelines/{pipe['id']}/").json()["feature_config"]
    assert sorted("*".join(p) for p in saved["interactions"]) == sorted(f["name"] for f in inter)
    off = api.post("/api/v1/features/generate", {"pipeline_id": pipe["id"]}, format="json")
    assert not [f for f in off.json()["features"] if f["kind"] == "interaction"]
    assert (
        api.get(f"/api/v1/pipelines/{pipe['id']}/").json()["feature_config"]["interactions"] == []
    )
    assert (
        other_api.post(
            "/api/v1/features/generate",
            {"pipeline_id": pipe["id"], "interactions": True},
            format="json",
        ).status_code
        == 404
    )


def test_interactions_need_two_numeric_columns(api):
    ds = upload_sample(api, "credit_scoring.csv")
    pipe = create_pipeline(api, ds["id"], "Status", "classification")
    api.patch(
        f"/api/v1/pipelines/{pipe['id']}/", {"feature_columns": ["Home", "Income"]}, format="json"
    )
    before = api.get(f"/api/v1/pipelines/{pipe['id']}/").json()["feature_config"]
    res = api.post(
        "/api/v1/features/generate",
        {"pipeline_id": pipe["id"], "interactions": True},
        format="json",
    )
    assert res.status_code == 400
    assert res.json()["code"] == "too_few_numeric_columns"
    assert api.get(f"/api/v1/pipelines/{pipe['id']}/").json()["feature_config"] == before


def test_generate_refuses_lags_and_windows_longer_than_the_series_supports(api):
    """Airpassengers' training part has 115 months: a lag of 100 leaves too few rows with
    every feature, so it is refused with a sentence naming the longest that fits; nothing saved."""
    ds = upload_sample(api, "series_airpassengers.csv")
    pipe = create_pipeline(api, ds["id"], "passengers", "forecasting", forecast_horizon=12)
    res = api.post(
        "/api/v1/features/generate", {"pipeline_id": pipe["id"], "lags": [1, 100]}, format="json"
    )
    assert res.status_code == 400
    body = res.json()
    assert body["code"] == "lookback_too_long"
    assert body["errors"]["lags"] == [
        "A lag of 100 steps is longer than this series supports: its training part has 115 "
        "steps, so lags and windows reach back at most 57 steps (half of it)."
    ]
    windows = api.post(
        "/api/v1/features/generate",
        {"pipeline_id": pipe["id"], "rolling_windows": [60]},
        format="json",
    )
    assert windows.status_code == 400 and set(windows.json()["errors"]) == {"rolling_windows"}
    assert api.get(f"/api/v1/pipelines/{pipe['id']}/").json()["feature_config"] == {}
    negative = api.post(
        "/api/v1/features/generate", {"pipeline_id": pipe["id"], "lags": [-1, 2]}, format="json"
    )
    assert negative.status_code == 400
    assert negative.json()["errors"] == {"lags.0": ["must be at least 1"]}
    fits = api.post(
        "/api/v1/features/generate", {"pipeline_id": pipe["id"], "lags": [1, 57]}, format="json"
    )
    assert fits.status_code == 200
