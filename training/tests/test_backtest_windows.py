"""A forecaster keeps its backtest MASE window by window, and its model page lists them."""

from __future__ import annotations

import math
import re

import pytest

from conftest import create_pipeline, train, upload_sample
from training.forecasting.model import ForecastCandidate


def test_window_means_average_each_window_over_the_series_it_is_known_for():
    cand = ForecastCandidate(
        algorithm="ets",
        hyperparameters={},
        model=None,
        backtest_metrics={},
        window_mase={"a": [1.0, 2.0, 4.0], "b": [3.0, math.nan, 2.0], "c": []},
    )
    assert cand.window_means() == [2.0, 2.0, 3.0]
    assert ForecastCandidate("ets", {}, None, {}).window_means() == []


@pytest.mark.django_db(transaction=True)
def test_a_forecasters_page_lists_its_backtest_windows(api, celery_worker, client, owner):
    from modeling.models import TrainedModel

    ds = upload_sample(api, "series_airpassengers.csv")
    pipe = create_pipeline(api, ds["id"], "passengers", "forecasting", forecast_horizon=12)
    train(api, pipe["id"], ["seasonal_naive", "ets"], 10)
    model = TrainedModel.objects.filter(pipeline_id=pipe["id"]).order_by("rank").first()
    windows = model.card["backtest_windows"]
    # 144 months less 12 held for each window: six windows fit, and their mean is the rank's.
    assert len(windows) == 6
    assert sum(windows) / 6 == pytest.approx(model.primary_value)
    client.force_login(owner)
    html = client.get(f"/models/{model.pk}/").content.decode()
    table = html.split('id="backtest-windows"', 1)[1].split("</table>", 1)[0]
    labels = re.findall(r"<tr><td>([^<]*)</td>", table)
    assert labels == ["1 (oldest)", "2", "3", "4", "5", "6 (newest)"]
