"""A signed-in person's pages are not stored by the browser (Back after a delete asks the
server again)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import sample_path

pytestmark = pytest.mark.django_db


def test_owned_pages_are_no_store_and_a_deleted_dataset_answers_404(client, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile("penguins.csv", sample_path("penguins.csv").read_bytes())
    detail = client.post("/datasets/upload/", {"file": upload, "name": "P"})["Location"]
    for url in ("/", "/datasets/", detail, detail + "preview/"):
        cache = client.get(url)["Cache-Control"]
        assert "no-store" in cache and "private" in cache, (url, cache)
    client.post(detail + "delete/")
    gone = client.get(detail)
    assert gone.status_code == 404 and "no-store" in gone["Cache-Control"]


def test_the_api_answers_as_drf_does(api):
    """The REST API has no Back button; its prediction fast path must answer with exactly
    DRF's headers (predictions/tests/test_fastpath.py), so it is left alone."""
    assert not api.get("/api/v1/datasets/").has_header("Cache-Control")
