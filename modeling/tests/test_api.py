"""Model-selection API: the catalogue, config validation with per-field messages, configure."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_algorithms_list_schema_for_each_problem_type(api):
    for problem in ("classification", "regression", "forecasting"):
        res = api.get(f"/api/v1/models/algorithms?problem_type={problem}")
        assert res.status_code == 200
        algos = res.json()
        assert len(algos) >= 5, problem
        for algo in algos:
            assert problem in algo["problem_types"]
            for param in algo["hyperparameters"]:
                assert param["type"] in ("int", "float", "bool", "categorical")
                assert "default" in param
    names = {
        a["name"] for a in api.get("/api/v1/models/algorithms?problem_type=classification").json()
    }
    assert {"linear", "random_forest", "extra_trees", "hist_gradient_boosting", "knn"} <= names
    assert api.get("/api/v1/models/algorithms?problem_type=poetry").status_code == 400


def test_validate_config_gives_a_message_per_parameter(api):
    res = api.post(
        "/api/v1/models/validate-config",
        {
            "algorithm": "random_forest",
            "hyperparameters": {"n_estimators": -3, "max_depth": "deep", "colour": 1},
        },
        format="json",
    )
    assert res.status_code == 200
    body = res.json()
    assert body["valid"] is False
    assert set(body["errors"]) == {"n_estimators", "max_depth", "colour"}
    ok = api.post(
        "/api/v1/models/validate-config",
        {"algorithm": "random_forest", "hyperparameters": {"n_estimators": 50}},
        format="json",
    ).json()
    assert ok == {"valid": True, "errors": {}}
    unknown = api.post(
        "/api/v1/models/validate-config", {"algorithm": "magic"}, format="json"
    ).json()
    assert unknown["valid"] is False and "algorithm" in unknown["errors"]
