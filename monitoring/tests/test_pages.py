"""Monitoring pages render for the owner and are 404 for anyone else."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_monitoring_overview_lists_deployed_models(owner, deployed_model):
    deployed_model.is_deployed = True
    deployed_model.save(update_fields=["is_deployed"])
    html = _client(owner).get("/monitoring/").content.decode()
    assert f"/monitoring/models/{deployed_model.pk}/" in html
    assert 'id="alerts-list"' in html


def test_model_monitoring_page_and_404_for_someone_else(owner, other_user, deployed_model):
    res = _client(owner).get(f"/monitoring/models/{deployed_model.pk}/?window=7d")
    assert res.status_code == 200
    assert 'data-window="7d"' in res.content.decode()
    assert _client(other_user).get(f"/monitoring/models/{deployed_model.pk}/").status_code == 404
    assert "/monitoring/models/" not in _client(other_user).get("/monitoring/").content.decode()


def test_drift_distributions_put_training_and_recent_counts_side_by_side(
    owner, other_user, deployed_model
):
    from predictions.services import predict_rows

    row = dict(
        zip(
            [c["name"] for c in deployed_model.input_schema["columns"]],
            ["Torgersen", 39.1, 18.7, 181.0, 3750.0, "male", 2007],
            strict=False,
        )
    )
    predict_rows(user=owner, model=deployed_model, data=[row] * 3)
    url = f"/monitoring/models/{deployed_model.pk}/distributions/?window=1h"
    body = _client(owner).get(url).json()
    island = body["features"]["island"]
    assert len(island["labels"]) == len(island["reference"]) == len(island["current"])
    assert sum(island["current"]) == 3 and sum(island["reference"]) > 3
    mass = body["features"]["body_mass_g"]
    assert sum(mass["current"]) == 3 and len(mass["labels"]) == len(mass["reference"])
    assert _client(other_user).get(url).status_code == 404
    bad = _client(owner).get(f"/monitoring/models/{deployed_model.pk}/distributions/?window=9y")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_window"


def test_admin_runs_the_checks_now_and_acknowledges_alerts(staff_user, owner, deployed_model):
    from monitoring.models import Alert
    from monitoring.services import alert_raise

    staff_user.is_superuser = True
    staff_user.save()
    web = _client(staff_user)
    res = web.post(
        "/admin/modeling/trainedmodel/",
        {"action": "run_checks_now", "_selected_action": [deployed_model.pk]},
        follow=True,
    )
    assert f"Model {deployed_model.pk}: drift not detected" in res.content.decode()
    alert = alert_raise(
        owner_id=owner.pk, kind="drift", subject="model:x", message="m", model=deployed_model
    )
    assert web.get("/admin/monitoring/alert/add/").status_code == 403
    web.post("/admin/monitoring/alert/", {"action": "acknowledge", "_selected_action": [alert.pk]})
    assert Alert.objects.get(pk=alert.pk).acknowledged
