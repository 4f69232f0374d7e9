"""The OpenAPI schema is true to the answers: real responses validate against it."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from conftest import upload_sample

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _inline(node: Any, components: dict) -> Any:
    """Resolve $ref and turn OpenAPI's `nullable` into JSON Schema."""
    if isinstance(node, list):
        return [_inline(n, components) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _inline(copy.deepcopy(components[name]), components)
    out = {k: _inline(v, components) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def check(openapi: dict, path: str, method: str, response) -> None:
    """Validate `response` against the schema's answer for (path, method, status)."""
    # The schema writes each route with its trailing slash; the server answers both spellings.
    operation = (openapi["paths"].get(path) or openapi["paths"][path + "/"])[method]
    answer = operation["responses"][str(response.status_code)]
    schema = answer["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), _inline(schema, openapi["components"]["schemas"]))


def test_answers_match_the_schema(api, openapi, deployed_model):
    ds = upload_sample(api, "series_airpassengers.csv")
    res = api.get(f"/api/v1/datasets/{ds['id']}/")
    check(openapi, "/api/v1/datasets/{id}/", "get", res)
    check(openapi, "/api/v1/datasets/", "get", api.get("/api/v1/datasets/"))
    check(
        openapi,
        "/api/v1/datasets/{id}/preview",
        "get",
        api.get(f"/api/v1/datasets/{ds['id']}/preview"),
    )
    check(
        openapi,
        "/api/v1/datasets/{id}/validate",
        "post",
        api.post(f"/api/v1/datasets/{ds['id']}/validate"),
    )

    pipe = api.post(
        "/api/v1/pipelines/",
        {
            "name": "air",
            "dataset_id": ds["id"],
            "target_column": "passengers",
            "problem_type": "forecasting",
        },
        format="json",
    )
    check(openapi, "/api/v1/pipelines/", "post", pipe)
    check(
        openapi,
        "/api/v1/pipelines/{id}/",
        "get",
        api.get(f"/api/v1/pipelines/{pipe.json()['id']}/"),
    )
    gen = api.post("/api/v1/features/generate", {"pipeline_id": pipe.json()["id"]}, format="json")
    check(openapi, "/api/v1/features/generate", "post", gen)
    analysis = api.post("/api/v1/preprocessing/analyze", {"dataset_id": ds["id"]}, format="json")
    check(openapi, "/api/v1/preprocessing/analyze", "post", analysis)
    filled = api.post(
        "/api/v1/preprocessing/missing-values",
        {"dataset_id": ds["id"], "strategy": "interpolate"},
        format="json",
    )
    check(openapi, "/api/v1/preprocessing/missing-values", "post", filled)

    started = api.post("/api/v1/training/start", {"pipeline_id": pipe.json()["id"]}, format="json")
    check(openapi, "/api/v1/training/start", "post", started)
    job = started.json()["job_id"]
    check(
        openapi,
        "/api/v1/training/{job_id}/status",
        "get",
        api.get(f"/api/v1/training/{job}/status"),
    )
    check(openapi, "/api/v1/training/", "get", api.get("/api/v1/training/"))
    check(
        openapi,
        "/api/v1/training/{job_id}/metrics",
        "get",
        api.get(f"/api/v1/training/{job}/metrics"),
    )
    check(
        openapi,
        "/api/v1/training/{job_id}/cancel",
        "post",
        api.post(f"/api/v1/training/{job}/cancel"),
    )

    check(openapi, "/api/v1/models/", "get", api.get("/api/v1/models/"))
    check(openapi, "/api/v1/models/{id}/", "get", api.get(f"/api/v1/models/{deployed_model.pk}/"))
    check(openapi, "/api/v1/models/algorithms", "get", api.get("/api/v1/models/algorithms"))
    valid = api.post(
        "/api/v1/models/validate-config",
        {"algorithm": "knn", "hyperparameters": {"n_neighbors": 0}},
        format="json",
    )
    check(openapi, "/api/v1/models/validate-config", "post", valid)
    dep = api.post("/api/v1/deployment/deploy", {"model_id": deployed_model.pk}, format="json")
    check(openapi, "/api/v1/deployment/deploy", "post", dep)
    check(openapi, "/api/v1/deployment/", "get", api.get("/api/v1/deployment/"))
    row = {c["name"]: None for c in deployed_model.input_schema["columns"]}
    row.update({"island": "Dream", "bill_length_mm": 45.0, "sex": "female"})
    single = api.post(
        "/api/v1/predictions/single",
        {"model_id": deployed_model.pk, "data": row, "return_probabilities": True},
        format="json",
    )
    check(openapi, "/api/v1/predictions/single", "post", single)
