"""Pipeline API: create with checks against the dataset, read, update, delete, ownership."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import sample_path
from pipelines.models import Pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset_id(api) -> int:
    content = sample_path("penguins.csv").read_bytes()
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("penguins.csv", content), "name": "Penguins"},
        format="multipart",
    )
    return res.json()["id"]


def test_create_pipeline_answers_201(api, dataset_id):
    res = api.post(
        "/api/v1/pipelines/",
        {
            "name": "Species",
            "dataset_id": dataset_id,
            "target_column": "species",
            "problem_type": "classification",
        },
        format="json",
    )
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["dataset_id"] == dataset_id and body["status"] == "draft"
    assert body["completed_steps"] == ["upload"]
    for field in ("preprocessing_config", "feature_config", "model_configs", "current_step"):
        assert field in body


def test_unknown_target_answers_400_and_creates_nothing(api, dataset_id):
    res = api.post(
        "/api/v1/pipelines/",
        {
            "name": "x",
            "dataset_id": dataset_id,
            "target_column": "nope",
            "problem_type": "classification",
        },
        format="json",
    )
    assert res.status_code == 400
    assert "target_column" in res.json()["errors"]
    assert Pipeline.objects.count() == 0


def test_forecasting_needs_a_datetime_column(api, dataset_id):
    res = api.post(
        "/api/v1/pipelines/",
        {
            "name": "x",
            "dataset_id": dataset_id,
            "target_column": "body_mass_g",
            "problem_type": "forecasting",
        },
        format="json",
    )
    assert res.status_code == 400
    assert "time_column" in res.json()["errors"]


def test_other_users_dataset_and_pipeline_are_404(api, other_api, dataset_id):
    body = {
        "name": "x",
        "dataset_id": dataset_id,
        "target_column": "species",
        "problem_type": "classification",
    }
    assert other_api.post("/api/v1/pipelines/", body, format="json").status_code == 404
    pid = api.post("/api/v1/pipelines/", body, format="json").json()["id"]
    assert other_api.get(f"/api/v1/pipelines/{pid}/").status_code == 404
    assert (
        other_api.patch(f"/api/v1/pipelines/{pid}/", {"name": "y"}, format="json").status_code
        == 404
    )
    assert other_api.delete(f"/api/v1/pipelines/{pid}/").status_code == 404
    res = api.patch(f"/api/v1/pipelines/{pid}/", {"name": "Renamed"}, format="json")
    assert res.status_code == 200 and res.json()["name"] == "Renamed"
    assert api.delete(f"/api/v1/pipelines/{pid}/").status_code == 204


def test_pipeline_list_filters_by_dataset(api, owner):
    from conftest import pipeline_on_sample

    first = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    res = api.get(f"/api/v1/pipelines/?dataset_id={first.dataset_id}")
    assert res.status_code == 200
    assert [p["id"] for p in res.json()["results"]] == [first.pk]
    assert api.get("/api/v1/pipelines/?dataset_id=").json()["count"] == 2
    bad = api.get("/api/v1/pipelines/?dataset_id=first")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["dataset_id"]
