"""The wizard's preprocessing preview page says which steps apply at training only and which
travel with the model."""

from __future__ import annotations

import pytest

from conftest import upload_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, owner):
    client.force_login(owner)
    return client


def test_preview_page_says_when_each_step_applies(web, api):
    credit = upload_sample(api, "credit_scoring.csv")
    res = web.post(
        "/pipelines/new/",
        {
            "dataset": credit["id"],
            "name": "Credit",
            "target_column": "Status",
            "problem_type": "classification",
        },
    )
    base = res["Location"].rsplit("preprocessing/", 1)[0]
    html = web.post(
        base + "preprocessing/preview/",
        {"missing_values_strategy": "drop", "outlier_treatment": "cap"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "<th>Applies when</th>" in html and 'id="prep-steps"' in html
    assert "training rows with missing values</td>" in html
    changes = html.split('id="prep-changes"')[1].split("</table>")[0]
    # The change says its own counts (missing values filled, categories encoded); a "Values"
    # column showed the largest of them, which meant something else on every row.
    assert "<thead><tr><th>Column</th><th>Change</th><th>Applies when</th></tr></thead>" in changes
    assert "<td>training only</td>" in changes  # the dropped rows
    assert "<td>training and prediction</td>" in changes  # the caps, scaling, encodings
    steps = html.split('id="prep-steps"')[1].split("</table>")[0]
    assert "Drop the training rows with a missing value.</td><td>training only</td>" in steps


def test_wizard_offers_the_transformations_the_pipeline_can_use(web, api):
    credit = upload_sample(api, "credit_scoring.csv")
    series = upload_sample(api, "series_airpassengers.csv")
    pages = {}
    for dataset, target, problem in (
        (credit, "Status", "classification"),
        (series, "passengers", "forecasting"),
    ):
        body = {
            "dataset": dataset["id"],
            "name": problem,
            "target_column": target,
            "problem_type": problem,
        }
        if problem == "forecasting":
            body.update(time_column="month", forecast_horizon=12)
        res = web.post("/pipelines/new/", body)
        pages[problem] = web.get(res["Location"]).content.decode()
    assert 'value="difference"' not in pages["classification"]
    assert 'value="box_cox"' in pages["classification"]
    assert 'value="difference"' in pages["forecasting"]
    assert 'value="sqrt"' not in pages["forecasting"]
