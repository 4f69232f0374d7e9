"""The live chart's training history of the series it is switched to
(`/models/<id>/series-history/?series_id=`): each series' own rows, the first by default; a
series the model does not forecast and another person's model are 404s."""

from __future__ import annotations

import pandas as pd
import pytest

from predictions.tests.test_live_panel_browser import (
    STAMPS,
    _daily,
    deployed_forecaster,
    deployed_two_series_forecaster,
    iso_file,
)

pytestmark = pytest.mark.django_db


def test_each_series_answers_its_own_history(client, owner, other_user):
    model, values = deployed_two_series_forecaster(owner)
    url = f"/models/{model.pk}/series-history/"
    client.force_login(owner)
    first = client.get(url).json()
    assert first["series_id"] == "A"
    assert first["values"] == pytest.approx(list(values["A"]))
    second = client.get(url, {"series_id": "B"}).json()
    assert second["series_id"] == "B"
    assert second["values"] == pytest.approx(list(values["B"]))
    assert second["timestamps"] == [ts.isoformat() for ts in STAMPS]
    unknown = client.get(url, {"series_id": "C"})
    assert unknown.status_code == 404
    assert unknown.json() == {
        "detail": "Series 'C' is not in this model.",
        "code": "series_not_found",
    }
    client.force_login(other_user)
    assert client.get(url, {"series_id": "B"}).status_code == 404


def test_a_single_series_model_has_no_other_series(client, owner):
    model = deployed_forecaster(owner, iso_file())
    url = f"/models/{model.pk}/series-history/"
    client.force_login(owner)
    whole = client.get(url).json()
    assert whole["series_id"] is None and len(whole["values"]) == len(STAMPS)
    res = client.get(url, {"series_id": "A"})
    assert res.status_code == 404 and res.json()["code"] == "series_not_found"


def test_a_model_that_forecasts_nothing_has_no_series(client, owner, deployed_model):
    client.force_login(owner)
    res = client.get(f"/models/{deployed_model.pk}/series-history/")
    assert res.status_code == 404 and res.json()["code"] == "series_not_found"


def test_a_deleted_dataset_file_is_a_clear_409_and_the_model_page_says_so(client, api, owner):
    """The history read the training file: once it was deleted from storage the endpoint
    answered 500, and the model page said only that 'the model file or its data' is missing."""
    from django.core.files.storage import default_storage
    from django.utils.html import escape

    model, _ = deployed_two_series_forecaster(owner)
    default_storage.delete(model.pipeline.dataset.file.name)
    sentence = (
        "The training data of this model is no longer there: the stored file of dataset "
        "'stores' is missing, so its history cannot be drawn."
    )
    client.force_login(owner)
    for url in (f"/models/{model.pk}/series-history/", f"/models/{model.pk}/series-forecast/"):
        for query in ({}, {"series_id": "B"}):
            res = client.get(url, query)
            assert res.status_code == 409, (url, query)
            assert res.json() == {"detail": sentence, "code": "dataset_file_missing"}
    page = client.get(f"/models/{model.pk}/")
    assert page.status_code == 200
    assert f'<p class="error" role="alert">{escape(sentence)}</p>' in page.content.decode()
    assert 'id="forecast-chart"' not in page.content.decode()
    # The dataset's own endpoints that read the file say the same code, no longer a 500.
    res = api.get(f"/api/v1/datasets/{model.pipeline.dataset.pk}/preview")
    assert res.status_code == 409 and res.json() == {
        "detail": "The stored file of dataset 'stores' is missing: its data is no longer "
        "there. Restore the file or upload it again.",
        "code": "dataset_file_missing",
    }


def test_a_zoned_model_draws_history_and_forecast_on_the_files_clock_and_names_it(client, owner):
    """Times written with an offset (+02:00, local midnight) are read in UTC for training and
    forecast back in that zone: the history the charts draw is written in the same zone (it was
    UTC, two hours off the forecast), and the model page says which zone that is."""
    values = _daily(len(STAMPS))
    text = "date,sales\n" + "\n".join(
        f"{ts:%Y-%m-%d}T00:00:00+02:00,{v}" for ts, v in zip(STAMPS, values, strict=True)
    )
    zoned = deployed_forecaster(
        owner, text, date_format="ISO8601", name="zoned", timezone="UTC+02:00"
    )
    client.force_login(owner)
    history = client.get(f"/models/{zoned.pk}/series-history/").json()
    assert history["timestamps"][-1] == f"{STAMPS[-1]:%Y-%m-%d}T00:00:00+02:00"
    chart = client.get(f"/models/{zoned.pk}/series-forecast/").json()
    assert chart["history"]["timestamps"][-1] == f"{STAMPS[-1]:%Y-%m-%d}T00:00:00+02:00"
    next_day = STAMPS[-1] + pd.Timedelta(days=1)
    assert chart["forecast"]["timestamps"][0] == f"{next_day:%Y-%m-%d}T00:00:00+02:00"
    html = client.get(f"/models/{zoned.pk}/").content.decode()
    assert 'Times are in <span id="forecast-zone">UTC+02:00</span>, the zone' in html
    assert (
        '<p class="muted small" id="live-forecast-zone">Times are in UTC+02:00, the zone of the '
        "training file's timestamps.</p>"
    ) in html
    plain = deployed_forecaster(owner, iso_file(), name="plain")
    assert client.get(f"/models/{plain.pk}/series-history/").json()["timestamps"][-1] == (
        f"{STAMPS[-1]:%Y-%m-%d}T00:00:00"
    )
    assert "Times are in" not in client.get(f"/models/{plain.pk}/").content.decode()
