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
