"""A regression trained by a real worker stores the residual analysis of its hold-out rows, and
its model page draws it (the forecasting refit stores the same figures for its backtest)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from conftest import create_pipeline, upload_sample, wait_job
from modeling.models import TrainedModel

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_regression_model_keeps_and_shows_its_hold_out_residuals(api, owner, celery_worker):
    ds = upload_sample(api, "sacramento_housing.csv")
    pipe = create_pipeline(api, ds["id"], "price", "regression")
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": ["linear"], "time_budget_s": 4},
        format="json",
    ).json()
    final = wait_job(api, job["job_id"], 120)
    assert final["status"] == "completed", final
    model = TrainedModel.objects.get(pipeline_id=pipe["id"], rank=1)

    res = model.residual_analysis
    holdout = round(932 * 0.2)  # the default hold-out share of the 932 rows
    assert abs(res["n"] - holdout) <= 2, res["n"]
    assert len(res["actual"]) == len(res["predicted"]) == res["n"]  # under the 500-row bound
    errors = [a - p for a, p in zip(res["actual"], res["predicted"], strict=True)]
    assert res["mean"] == pytest.approx(sum(errors) / len(errors))
    assert res["p05"] <= res["median"] <= res["p95"] and res["std"] > 0
    # The hold-out RMSE on the card is the RMSE of these residuals.
    rmse = (sum(e * e for e in errors) / len(errors)) ** 0.5
    assert model.test_metrics["rmse"] == pytest.approx(rmse)
    api_body = api.get(f"/api/v1/models/{model.pk}/").json()
    assert api_body["residual_analysis"]["n"] == res["n"]

    web = Client()
    web.force_login(owner)
    html = web.get(f"/models/{model.pk}/").content.decode()
    assert 'id="residual-chart"' in html and "No residual sample" not in html
    charts = json.loads(
        re.search(r'<script id="model-charts" type="application/json">(.*?)</script>', html, re.S)[
            1
        ]
    )
    assert charts["residuals"]["actual"] == res["actual"]
    assert 'id="residual-facts"' in html
