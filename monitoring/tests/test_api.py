"""Dashboard endpoints: counts per user, activity feed, next steps."""

from __future__ import annotations

import pytest

from conftest import create_pipeline, upload_sample

pytestmark = pytest.mark.django_db


def test_stats_activity_and_quick_actions_follow_the_user(api, other_api):
    empty = api.get("/api/v1/dashboard/quick-actions").json()
    assert [a["id"] for a in empty] == ["upload"]
    ds = upload_sample(api, "penguins.csv")
    create_pipeline(api, ds["id"], "species", "classification")
    stats = api.get("/api/v1/dashboard/stats").json()
    assert stats["total_datasets"] == 1 and stats["total_pipelines"] == 1
    assert stats["system_health"] == "healthy"
    assert stats["storage_used"] > 0 and stats["last_activity"]
    for field in (
        "active_pipelines",
        "total_models",
        "recent_predictions",
        "storage_limit",
        "user_activity_score",
    ):
        assert field in stats
    assert other_api.get("/api/v1/dashboard/stats").json()["total_datasets"] == 0
    feed = api.get("/api/v1/dashboard/recent-activity?limit=1").json()
    assert feed["total_count"] == 1 and feed["has_more"] is False
    assert (
        feed["activities"][0]["type"] == "upload" and feed["activities"][0]["status"] == "success"
    )
    assert api.get("/api/v1/dashboard/recent-activity?limit=0").status_code == 400
    actions = [a["id"] for a in api.get("/api/v1/dashboard/quick-actions").json()]
    assert any(a.startswith("train-") for a in actions)
