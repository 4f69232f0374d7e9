"""Series frequencies are said in words on the pages ("monthly (month start)"), never as bare
pandas aliases ("MS") a newcomer cannot read."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import sample_path
from datasets.templatetags.frequency import frequency_words


@pytest.mark.parametrize(
    ("alias", "words"),
    [
        ("MS", "monthly (month start)"),
        ("ME", "monthly (month end)"),
        ("QS", "quarterly (quarter start)"),
        ("QS-OCT", "quarterly (quarter start, Oct)"),
        ("YS", "yearly (year start)"),
        ("W-SAT", "weekly (Saturdays)"),
        ("D", "daily"),
        ("2D", "every 2 days"),
        ("h", "hourly"),
        ("30min", "every 30 minutes"),
        ("B", "every business day"),
        ("irregular", "irregular"),
        ("", ""),
        (None, ""),
    ],
)
def test_frequency_words(alias, words):
    assert frequency_words(alias) == words


@pytest.mark.django_db
def test_series_pages_say_the_frequency_in_words(client, owner):
    client.force_login(owner)
    name = "series_airpassengers.csv"
    res = client.post(
        "/datasets/upload/",
        {"file": SimpleUploadedFile(name, sample_path(name).read_bytes()), "name": "Air"},
    )
    assert res.status_code == 302
    base = res["Location"]
    page = client.get(base).content.decode()
    assert '<span class="value">monthly (month start)</span>' in page
    series = client.get(base + "series/", HTTP_HX_REQUEST="true").content.decode()
    assert "Monthly (month start) steps of <strong>month</strong>" in series
    stats = client.get(base + "statistics/", HTTP_HX_REQUEST="true").content.decode()
    assert "<dd>monthly (month start)</dd>" in stats
    dataset_id = base.rstrip("/").split("/")[-1]
    setup = client.get(f"/pipelines/new/?dataset={dataset_id}").content.decode()
    assert "the usual horizon for monthly (month start) data" in setup
    for text in (page, series, stats, setup):
        assert ">MS<" not in text and "Every MS" not in text and "(MS)" not in text
