"""The live chart's training history of the series it is switched to
(`/models/<id>/series-history/?series_id=`): each series' own rows, the first by default; a
series the model does not forecast and another person's model are 404s."""

from __future__ import annotations

import pytest

from predictions.tests.test_live_panel_browser import (
    STAMPS,
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
