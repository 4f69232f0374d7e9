"""Preprocessing API: analyze a messy real table, previews leave the dataset alone, apply saves."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from conftest import create_pipeline, upload_sample
from datasets.models import Dataset

pytestmark = pytest.mark.django_db


def _file_bytes(dataset_id: int) -> bytes:
    with default_storage.open(Dataset.objects.get(pk=dataset_id).file.name or "", "rb") as fh:
        return fh.read()


def test_options_list_every_choice(api):
    options = api.get("/api/v1/preprocessing/options").json()
    text = str(options)
    for choice in (
        "median",
        "forward_fill",
        "isolation_forest",
        "cap",
        "robust",
        "target",
        "box_cox",
    ):
        assert choice in text, choice


def _page_choices(client, pipeline_id: int) -> dict[str, list[str]]:
    """The values each select of a pipeline's wizard preprocessing page offers (the
    transformation select under `transformations`, without its empty "—")."""
    import re

    html = client.get(f"/pipelines/{pipeline_id}/wizard/preprocessing/").content.decode()
    form = html.split('id="prep-form"')[1].split("</form>")[0]
    out: dict[str, list[str]] = {}
    for name, body in re.findall(r'<select name="([a-z_]+)"[^>]*>(.*?)</select>', form, re.S):
        if name == "transform_column":
            continue
        values = [v for v in re.findall(r'<option value="([^"]*)"', body) if v]
        out["transformations" if name == "transform_type" else name] = values
    return out


def test_options_of_a_pipeline_are_those_its_page_offers(api, other_api, client, owner):
    """A forecasting pipeline's options are its series' own (no scaling, encoding or per-column
    outlier method of a table); a table's transformations leave out the series-only difference.
    Both are what the pipeline's wizard page offers."""
    client.force_login(owner)
    credit = upload_sample(api, "credit_scoring.csv")
    series = upload_sample(api, "series_airpassengers.csv")
    table = create_pipeline(api, credit["id"], "Status", "classification")
    forecaster = create_pipeline(
        api, series["id"], "passengers", "forecasting", time_column="month"
    )
    url = "/api/v1/preprocessing/options"
    answers = {}
    for pipe in (table, forecaster):
        res = api.get(f"{url}?pipeline_id={pipe['id']}")
        assert res.status_code == 200, res.content
        body = answers[pipe["problem_type"]] = res.json()
        page = _page_choices(client, pipe["id"])
        offered = {k: list(v["choices"]) for k, v in body.items() if "choices" in v}
        assert offered == page, (pipe["problem_type"], offered, page)
    series_options = answers["forecasting"]
    assert set(series_options) == {
        "missing_values_strategy", "outlier_treatment", "outlier_threshold", "transformations",
    }  # fmt: skip
    assert list(series_options["missing_values_strategy"]["choices"]) == [
        "interpolate", "forward_fill",
    ]  # fmt: skip
    assert list(series_options["transformations"]["choices"]) == ["log", "box_cox", "difference"]
    table_options = answers["classification"]
    assert {"scaling_method", "categorical_encoding", "outlier_detection_method"} <= set(
        table_options
    )
    assert "difference" not in table_options["transformations"]["choices"]
    assert "median" in table_options["missing_values_strategy"]["choices"]
    # Without a pipeline: every choice, as before. Another user's pipeline is not found.
    assert "difference" in api.get(url).json()["transformations"]["choices"]
    res = other_api.get(f"{url}?pipeline_id={forecaster['id']}")
    assert res.status_code == 404, res.content
    assert api.get(f"{url}?pipeline_id=abc").status_code == 400


def test_analyze_reports_issues_with_severity_and_score(api, other_api):
    ds = upload_sample(api, "credit_scoring.csv")
    res = api.post("/api/v1/preprocessing/analyze", {"dataset_id": ds["id"]}, format="json")
    assert res.status_code == 200, res.json()
    body = res.json()
    assert body["dataset_id"] == ds["id"] and body["total_rows"] == 4454
    assert 0 <= body["overall_score"] <= 1
    missing = [i for i in body["issues"] if i["issue_type"] == "missing_values"]
    assert {i["column"] for i in missing} >= {"Income", "Assets"}
    for issue in body["issues"]:
        assert issue["severity"] in ("low", "medium", "high", "critical")
        assert issue["description"] and issue["suggested_action"]
    assert body["recommendations"]
    sampled = api.post(
        "/api/v1/preprocessing/analyze", {"dataset_id": ds["id"], "sample_size": 500}, format="json"
    ).json()
    assert sampled["total_rows"] == 4454
    bad = api.post(
        "/api/v1/preprocessing/analyze",
        {"dataset_id": ds["id"], "columns": ["nope"]},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "unknown_column"
    assert (
        other_api.post(
            "/api/v1/preprocessing/analyze", {"dataset_id": ds["id"]}, format="json"
        ).status_code
        == 404
    )


def test_previews_never_change_the_stored_dataset(api):
    ds = upload_sample(api, "credit_scoring.csv")
    before = _file_bytes(ds["id"])
    res = api.post(
        "/api/v1/preprocessing/missing-values",
        {"dataset_id": ds["id"], "strategy": "median", "columns": ["Income"]},
        format="json",
    )
    assert res.status_code == 200, res.json()
    body = res.json()
    # Every row is a training row; Income and its missing-value indicator come out.
    assert body["processed_shape"] == [body["original_shape"][0], 2]
    assert body["preview"]["columns"] == ["Income", "missingindicator_Income"]
    assert "Income" in body["changes_summary"]
    assert body["preview"]["columns"] and body["preview"]["rows"]
    out = api.post(
        "/api/v1/preprocessing/outliers",
        {"dataset_id": ds["id"], "method": "iqr", "treatment": "remove", "columns": ["Income"]},
        format="json",
    ).json()
    assert out["outliers"]["Income"] > 0
    assert out["processed_shape"][0] == out["original_shape"][0] - out["outliers"]["Income"]
    tr = api.post(
        "/api/v1/preprocessing/transformations",
        {"dataset_id": ds["id"], "transformations": [{"column": "Amount", "type": "log"}]},
        format="json",
    )
    assert tr.status_code == 200
    neg = api.post(
        "/api/v1/preprocessing/transformations",
        {"dataset_id": ds["id"], "transformations": [{"column": "Home", "type": "box_cox"}]},
        format="json",
    )
    assert neg.status_code == 400 and neg.json()["detail"]
    bad = api.post(
        "/api/v1/preprocessing/missing-values",
        {"dataset_id": ds["id"], "strategy": "guess"},
        format="json",
    )
    assert bad.status_code == 400 and "strategy" in bad.json()["errors"]
    assert _file_bytes(ds["id"]) == before
    assert Dataset.objects.get(pk=ds["id"]).num_rows == 4454


def test_apply_saves_a_valid_config_and_rejects_a_bad_one(api):
    ds = upload_sample(api, "credit_scoring.csv")
    pipe = create_pipeline(api, ds["id"], "Status", "classification")
    config = {
        "missing_values_strategy": "median",
        "outlier_detection_method": "iqr",
        "outlier_treatment": "cap",
        "scaling_method": "minmax",
        "categorical_encoding": "onehot",
        "transformations": [{"column": "Amount", "type": "log"}],
    }
    res = api.post(
        "/api/v1/preprocessing/apply", {"pipeline_id": pipe["id"], "config": config}, format="json"
    )
    assert res.status_code == 200, res.json()
    assert {s["applies"] for s in res.json()["steps"]} == {"training_and_prediction"}
    saved = api.get(f"/api/v1/pipelines/{pipe['id']}/").json()
    # Saved in its canonical form: every key, so training reads exactly what was previewed.
    assert saved["preprocessing_config"] == {
        **config,
        "outlier_threshold": None,
        "custom_rules": None,
    }
    assert "preprocessing" in saved["completed_steps"]
    bad = api.post(
        "/api/v1/preprocessing/apply",
        {"pipeline_id": pipe["id"], "config": {"scaling_method": "cosmic", "colour": 1}},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) >= {"scaling_method", "colour"}
    assert api.get(f"/api/v1/pipelines/{pipe['id']}/").json()["preprocessing_config"] == {
        **config,
        "outlier_threshold": None,
        "custom_rules": None,
    }


def test_apply_accepts_aliases_and_says_which_steps_are_training_only(api):
    ds = upload_sample(api, "credit_scoring.csv")
    pipe = create_pipeline(api, ds["id"], "Status", "classification")
    config = {"fill_method": "drop", "threshold": 3, "outlier_treatment": "remove"}
    res = api.post(
        "/api/v1/preprocessing/apply", {"pipeline_id": pipe["id"], "config": config}, format="json"
    )
    assert res.status_code == 200, res.json()
    body = res.json()
    assert body["processed_shape"][0] < body["original_shape"][0]
    assert body["changes_summary"]["*"]["applies"] == "training"
    training_only = [s["step"] for s in body["steps"] if s["applies"] == "training"]
    assert training_only == ["missing_values", "outliers"]
    saved = api.get(f"/api/v1/pipelines/{pipe['id']}/").json()["preprocessing_config"]
    assert saved["missing_values_strategy"] == "drop" and saved["outlier_threshold"] == 3.0
    assert "fill_method" not in saved and "threshold" not in saved


def test_a_forecasting_preview_describes_the_series_preparation(api):
    ds = upload_sample(api, "series_airpassengers.csv")
    pipe = create_pipeline(api, ds["id"], "passengers", "forecasting")
    res = api.post(
        "/api/v1/preprocessing/apply",
        {"pipeline_id": pipe["id"], "config": {"outlier_treatment": "transform"}},
        format="json",
    )
    assert res.status_code == 400 and "outlier_treatment" in res.json()["errors"]
    res = api.post(
        "/api/v1/preprocessing/apply",
        {"pipeline_id": pipe["id"], "config": {"outlier_treatment": "cap"}},
        format="json",
    )
    assert res.status_code == 200, res.json()
    steps = res.json()["steps"]
    assert [s["applies"] for s in steps] == ["training_and_prediction", "training"]
    preview = res.json()["preview"]
    assert preview["columns"] == [
        "month",
        "passengers",
        "passengers (prepared)",
        "passengers (model input)",
    ]
    # the series (time and target) the model reads, not the preview table's four columns
    assert res.json()["original_shape"] == res.json()["processed_shape"] == [144, 2]


def test_analyze_tells_unreadable_dates_from_missing_ones(api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    lines = ["signed_on,amount"]
    for i in range(40):
        lines.append(f"2021-{i % 12 + 1:02d}-{i % 28 + 1:02d},{100 + i}")
    lines += ["not a date,5", "31st of never,6", ",7", ",8", ",9"]
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("signed.csv", "\n".join(lines).encode()), "name": "signed"},
        format="multipart",
    )
    assert res.status_code == 201, res.content
    ds = res.json()
    kinds = {c["name"]: c["semantic_type"] for c in ds["columns_info"]}
    assert kinds["signed_on"] == "datetime"
    body = api.post("/api/v1/preprocessing/analyze", {"dataset_id": ds["id"]}, format="json").json()
    found = {(i["column"], i["issue_type"]): i for i in body["issues"]}
    assert found[("signed_on", "missing_values")]["count"] == 3
    unread = found[("signed_on", "inconsistent_format")]
    assert unread["count"] == 2
    assert "'not a date'" in unread["description"], unread
    # Asking for another column leaves the date column out of the report.
    only = api.post(
        "/api/v1/preprocessing/analyze",
        {"dataset_id": ds["id"], "columns": ["amount"]},
        format="json",
    ).json()
    assert {i["column"] for i in only["issues"]} <= {"amount", None}
