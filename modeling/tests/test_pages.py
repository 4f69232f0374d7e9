"""The model page's score table, hyperparameters and residuals (Django test client)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from modeling.pages import metric_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def _row(html: str, label: str) -> list[str]:
    """The cells' text of the score table's row whose first cell starts with `label`."""
    table = html[html.index('id="metrics-table"') :]
    table = table[: table.index("</table>")]
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        if cells and cells[0].startswith(label):
            return cells
    raise AssertionError(f"no row {label!r} in {table}")


@pytest.mark.parametrize(
    ("metric", "better"),
    [
        ("rmse", "lower"),
        ("mae", "lower"),
        ("auc", "higher"),
        ("accuracy", "higher"),
        ("r2", "higher"),
    ],
)
def test_the_validation_row_says_the_direction_of_the_metric_that_ranks(
    web, deployed_model, metric, better
):
    deployed_model.primary_metric = metric
    deployed_model.metrics = {"cv_score": 0.5}
    deployed_model.test_metrics = {metric: 0.5}
    deployed_model.save()
    rows = {r["name"]: r for r in metric_rows(deployed_model)}
    assert rows["cv_score"]["better"] == rows[metric]["better"] == better
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    label, _value, shown = _row(html, "Validation")
    assert f"{better} is better" in label and shown == better


def test_scores_are_rounded_and_say_their_unit(web, deployed_model):
    deployed_model.problem_type = "regression"
    deployed_model.primary_metric = "rmse"
    deployed_model.metrics = {"cv_score": 72616.68331}
    deployed_model.test_metrics = {"rmse": 70001.4, "mape": 21.6571, "r2": 0.8710974878850724}
    deployed_model.hyperparameters = {"learning_rate": 0.8710974878850724}
    deployed_model.save()
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    assert _row(html, "Validation RMSE")[1:] == ["72,617", "lower"]
    assert _row(html, "MAPE")[1:] == ["21.66%", "lower"]
    assert _row(html, "R²")[1:] == ["0.8711", "higher"]
    assert "0.8710974878850724</code>" not in html and "0.8711</code>" in html


def test_a_regression_page_draws_the_stored_residuals_with_their_figures(web, deployed_model):
    from modeling.metrics import residual_analysis

    deployed_model.problem_type = "regression"
    deployed_model.residual_analysis = residual_analysis(
        [float(i) for i in range(600)], [i + 0.5 for i in range(600)], max_points=500
    )
    deployed_model.save()
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    assert 'id="residual-chart"' in html and "No residual sample" not in html
    facts = html[html.index('id="residual-facts"') :]
    assert "<dd>600</dd>" in facts and "<dd>-0.5</dd>" in facts  # n and the bias
    assert "a random 500 of the 600 rows are drawn" in html


def test_a_class_the_model_never_predicts_is_said_beside_the_confusion_matrix(web, deployed_model):
    """A rare class can lose every hold-out row to the majority (precision and recall 0) while
    the page looked all green; it now says so."""
    deployed_model.problem_type = "classification"
    deployed_model.classes = [0, 1]
    deployed_model.confusion_matrix = [[72, 0], [8, 0]]  # rows: actual, columns: predicted
    deployed_model.save()
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    notes = re.findall(
        r'<p class="notice warning never-predicted" data-class="(\w+)">(.*?)</p>', html
    )
    assert [(label, "8 of the 80" in text) for label, text in notes] == [("1", True)]
    deployed_model.confusion_matrix = [[70, 2], [5, 3]]
    deployed_model.save()
    assert "never-predicted" not in web.get(f"/models/{deployed_model.pk}/").content.decode()


def test_importance_names_keep_their_column(web, deployed_model):
    import json

    deployed_model.feature_importance = [
        {"feature": "Home___missing__", "importance": 0.3},
        {"feature": "Marital___missing__", "importance": 0.2},
        {"feature": "Home", "importance": 0.1},
    ]
    deployed_model.save(update_fields=["feature_importance"])
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    data = re.search(
        r'<script id="model-charts" type="application/json">(.*?)</script>', html, re.S
    )
    assert data, "the page embeds its chart data"
    names = [i["feature"] for i in json.loads(data.group(1))["importance"]]
    assert names == ["Home: missing", "Marital: missing", "Home"]
