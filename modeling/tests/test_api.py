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


@pytest.mark.parametrize("bad", ["32589158477190044731", str(2**63), "²", "0", "-1", "x", "abc"])
def test_ids_no_column_can_hold_are_refused_not_a_server_error(api, bad):
    """Query ids beyond a 64-bit column (SQLite raised OverflowError: a 500), non-ASCII digits
    and non-positive numbers: a 400 naming the parameter, for the leaderboard (it answered an
    empty list) and the importance query alike."""
    res = api.get(f"/api/v1/models/?pipeline_id={bad}")
    assert res.status_code == 400
    body = res.json()
    assert body["code"] == "validation_error" and list(body["errors"]) == ["pipeline_id"]
    assert body["detail"] == "pipeline_id: Give the pipeline's id as a positive whole number."
    for key in ("model_id", "pipeline_id"):
        res = api.get(f"/api/v1/features/importance?{key}={bad}")
        assert res.status_code == 400, (key, bad)
        assert res.json()["code"] == "bad_query"
    largest = api.get(f"/api/v1/models/?pipeline_id={2**63 - 1}")
    assert largest.status_code == 200 and largest.json()["results"] == []
