"""The bundled sample datasets: loaded for the demo user by `make run`, and by anyone from the
empty Datasets page or dashboard; owned by who loads them, each sample once."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from datasets.models import Dataset
from datasets.services import dataset_samples_load, sample_entries, sample_name

SAMPLE_NAMES = {sample_name(e) for e in sample_entries()}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_samples_load_once_for_their_owner(owner, other_user):
    assert len(SAMPLE_NAMES) == 6
    loaded = dataset_samples_load(owner=owner)
    assert {d.name for d in loaded} == SAMPLE_NAMES
    assert all(d.owner_id == owner.pk for d in loaded)
    kinds = Dataset.objects.filter(owner=owner).values_list("dataset_type", flat=True)
    assert sorted(kinds) == ["tabular"] * 3 + ["time_series"] * 3
    assert dataset_samples_load(owner=owner) == []  # a repeat loads nothing
    Dataset.objects.get(owner=owner, name="Air passengers").delete()
    assert [d.name for d in dataset_samples_load(owner=owner)] == ["Air passengers"]
    assert not Dataset.objects.filter(owner=other_user).exists()
    call_command("load_sample_data", "--username", "other", stdout=io.StringIO())
    assert set(Dataset.objects.filter(owner=other_user).values_list("name", flat=True)) == (
        SAMPLE_NAMES
    )


@pytest.mark.django_db
def test_empty_datasets_page_and_dashboard_offer_the_samples_and_the_button_loads_them(owner):
    client = _client(owner)
    for page in ("/datasets/", "/"):
        html = client.get(page).content.decode()
        assert 'id="load-samples"' in html and "Air passengers" in html, page
    res = client.post("/datasets/samples/", follow=True)
    assert res.redirect_chain == [("/datasets/", 302)]
    html = res.content.decode()
    assert "Loaded 6 sample datasets" in html and 'id="dataset-table"' in html
    assert set(Dataset.objects.filter(owner=owner).values_list("name", flat=True)) == (SAMPLE_NAMES)
    for page in ("/datasets/", "/"):  # with datasets, no more offer
        assert 'id="load-samples"' not in client.get(page).content.decode(), page
    again = client.post("/datasets/samples/", follow=True).content.decode()
    assert "You have every sample dataset already." in again
    assert Dataset.objects.filter(owner=owner).count() == 6


@pytest.mark.django_db
def test_a_get_or_an_anonymous_post_loads_nothing(owner):
    assert _client(owner).get("/datasets/samples/")["Location"] == "/datasets/"
    res = Client().post("/datasets/samples/")
    assert res.status_code == 302 and res["Location"].startswith("/accounts/login/")
    assert not Dataset.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_loads_at_once_load_each_sample_once(owner):
    def load() -> list[Dataset]:
        try:
            return dataset_samples_load(owner=owner)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(load) for _ in range(2)]
        loaded = [d.name for future in futures for d in future.result(timeout=120)]
    assert sorted(loaded) == sorted(SAMPLE_NAMES)  # between them, each sample once
    names = list(Dataset.objects.filter(owner=owner).values_list("name", flat=True))
    assert sorted(names) == sorted(SAMPLE_NAMES)
