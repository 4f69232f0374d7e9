"""Admin of datasets, pipelines and modeling: lists with filters and search render, computed
fields are read-only, and records only the system creates cannot be added."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PAGES = (
    "datasets/dataset",
    "pipelines/pipeline",
    "modeling/modelconfig",
    "modeling/trainedmodel",
)


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="root-pass-123")
    client.force_login(root)
    return client


def test_admin_lists_filter_and_search(admin_client, deployed_model):
    for page in PAGES:
        res = admin_client.get(f"/admin/{page}/?q=p")
        assert res.status_code == 200, page
        assert b'id="changelist-filter"' in res.content, page
    res = admin_client.get("/admin/modeling/trainedmodel/?is_deployed__exact=1")
    assert b"random_forest" in res.content


def test_admin_cannot_add_system_records(admin_client):
    for page in PAGES:
        assert admin_client.get(f"/admin/{page}/add/").status_code == 403, page


def test_admin_shows_computed_fields_read_only(admin_client, deployed_model):
    res = admin_client.get(f"/admin/modeling/trainedmodel/{deployed_model.pk}/change/")
    assert res.status_code == 200
    assert b'name="sha256"' not in res.content and deployed_model.sha256.encode() in res.content
    dataset = admin_client.get(
        f"/admin/datasets/dataset/{deployed_model.pipeline.dataset_id}/change/"
    )
    assert b'name="name"' in dataset.content and b'name="num_rows"' not in dataset.content
    pipeline = admin_client.get(f"/admin/pipelines/pipeline/{deployed_model.pipeline_id}/change/")
    assert b'name="name"' in pipeline.content and b'name="completed_steps"' not in pipeline.content
