"""The model chart's data for the series it is switched to
(`/models/<id>/series-forecast/?series_id=`): that series' training history and its forecast
from the stored model, also for a model that is not deployed; a series the model does not
forecast and another person's model are 404s."""

from __future__ import annotations

import pytest

from predictions.models import Deployment
from predictions.tests.test_live_panel_browser import STAMPS, deployed_two_series_forecaster

pytestmark = pytest.mark.django_db


def test_each_series_answers_its_history_and_its_forecast_without_a_deployment(
    client, owner, other_user
):
    model, values = deployed_two_series_forecaster(owner, deploy=False)
    assert not Deployment.objects.filter(model=model).exists()
    url = f"/models/{model.pk}/series-forecast/"
    client.force_login(owner)
    first = client.get(url).json()
    assert first["series_id"] == "A" and first["target"] == "sales"
    assert first["history"]["values"] == pytest.approx(list(values["A"]))
    second = client.get(url, {"series_id": "B"})
    assert second.status_code == 200, second.json()
    body = second.json()
    assert body["series_id"] == "B"
    assert body["history"]["values"] == pytest.approx(list(values["B"]))
    assert body["history"]["timestamps"] == [ts.isoformat() for ts in STAMPS]
    # Seasonal naive with a week's season: the next week repeats B's last week.
    assert body["forecast"]["forecast"] == pytest.approx(list(values["B"][-7:]))
    assert body["forecast"]["timestamps"][0].startswith("2024-01-01")
    for level in ("80", "95"):
        band = body["forecast"]["intervals"][level]
        assert len(band["lower"]) == len(band["upper"]) == 7
        assert all(lo <= f <= up for lo, f, up in zip(
            band["lower"], body["forecast"]["forecast"], band["upper"], strict=True
        ))  # fmt: skip
    unknown = client.get(url, {"series_id": "C"})
    assert unknown.status_code == 404
    assert unknown.json() == {
        "detail": "Series 'C' is not in this model.",
        "code": "series_not_found",
    }
    client.force_login(other_user)
    assert client.get(url, {"series_id": "B"}).status_code == 404


def test_the_model_page_offers_the_series_to_choose(client, owner):
    model, _ = deployed_two_series_forecaster(owner, deploy=False)
    client.force_login(owner)
    page = client.get(f"/models/{model.pk}/").content.decode()
    assert '<label for="chart-series">Series</label>' in page
    assert '<option value="A" selected>A</option><option value="B">B</option>' in page
    assert f'data-url="/models/{model.pk}/series-forecast/"' in page
