"""`deployment/` filters: one model's deployments (its page's history) and by status."""

from __future__ import annotations

import pytest

from predictions.models import Deployment

pytestmark = pytest.mark.django_db


def test_deployment_list_filters_by_model_and_status(api, other_api, deployed_model):
    old = Deployment.objects.create(
        owner=deployed_model.owner, model=deployed_model, target="api", status="inactive"
    )

    def ids(query: str) -> list[int]:
        res = api.get(f"/api/v1/deployment/?{query}")
        assert res.status_code == 200, res.json()
        return sorted(d["id"] for d in res.json()["results"])

    everything = ids("")
    assert len(everything) == 2
    assert ids(f"model_id={deployed_model.pk}") == everything
    assert ids(f"model_id={deployed_model.pk + 1}") == []
    assert ids("status=inactive") == [old.pk]
    assert ids("status=active") == [d for d in everything if d != old.pk]
    assert other_api.get(f"/api/v1/deployment/?model_id={deployed_model.pk}").json()["count"] == 0


@pytest.mark.parametrize(
    ("query", "field"), [("status=on", "status"), ("model_id=1.5", "model_id")]
)
def test_deployment_list_refuses_a_malformed_filter(api, query, field):
    res = api.get(f"/api/v1/deployment/?{query}")
    assert res.status_code == 400
    body = res.json()
    assert body["code"] == "validation_error" and list(body["errors"]) == [field]
