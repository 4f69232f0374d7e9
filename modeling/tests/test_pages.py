"""The model page's scores (the hold-out table and, apart from it, the validation score that
ranks the models), hyperparameters and residuals (Django test client)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from modeling.models import TrainedModel
from modeling.pages import metric_rows, validation_score

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


def _validation(html: str) -> str:
    """The text of the validation score block (tags removed, spaces collapsed)."""
    block = html[html.index('<dl class="facts" id="validation-score">') :]
    block = block[block.index(">") + 1 : block.index("</dl>")]
    return " ".join(re.sub(r"<[^>]+>", " ", block).split())


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
def test_the_validation_score_says_the_direction_of_the_metric_that_ranks(
    web, deployed_model, metric, better
):
    deployed_model.primary_metric = metric
    deployed_model.metrics = {"cv_score": 0.5}
    deployed_model.test_metrics = {metric: 0.5}
    deployed_model.save()
    rows = {r["name"]: r for r in metric_rows(deployed_model)}
    assert rows[metric]["better"] == better
    assert validation_score(deployed_model)["better"] == f"{better} is better"
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    assert f"(ranks the models; {better} is better)" in _validation(html)
    assert _row(html, "Hold-out")[2] == better


def test_scores_are_rounded_and_say_their_unit(web, deployed_model):
    deployed_model.problem_type = "regression"
    deployed_model.primary_metric = "rmse"
    deployed_model.metrics = {"cv_score": 72616.68331}
    deployed_model.test_metrics = {"rmse": 70001.4, "mape": 21.6571, "r2": 0.8710974878850724}
    deployed_model.hyperparameters = {"learning_rate": 0.8710974878850724}
    deployed_model.save()
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    assert _validation(html) == "Validation RMSE (ranks the models; lower is better) 72,617"
    assert _row(html, "Hold-out RMSE")[1:] == ["70,001", "lower"]
    assert _row(html, "MAPE")[1:] == ["21.66%", "lower"]
    assert _row(html, "R²")[1:] == ["0.8711", "higher"]
    assert "0.8710974878850724</code>" not in html and "0.8711</code>" in html


def test_the_hold_out_table_holds_hold_out_scores_only_and_the_validation_score_is_apart(
    web, deployed_model
):
    """The card said "Scores on the hold-out rows" over a table whose first row was the
    validation score, measured on the training rows' folds; the two are now apart, each named
    for the rows it was measured on."""
    deployed_model.metrics = {"cv_score": 0.7538519965277779}
    deployed_model.test_metrics = {"auc": 0.8194444444444444, "accuracy": 0.9}
    deployed_model.save()
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    assert "Scores on the hold-out rows" not in html
    assert '<h2 id="scores-heading">Scores</h2>' in html
    table = html[html.index('id="metrics-table"') :]
    table = table[: table.index("</table>")]
    assert "Validation" not in table and "0.7539" not in table
    cells = re.findall(r'data-label="Metric">(.*?)</td>', table)
    labels = [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
    assert labels == ["Hold-out AUC primary", "Accuracy"]
    card = html[html.index('id="scores-heading"') : html.index('id="about-heading"')]
    headings = re.findall(r'<h3 id="(\w+)-heading">([^<]*)</h3>', card)
    assert headings == [
        ("validation", "On the validation folds"),
        ("holdout", "On the hold-out rows"),
    ]
    assert _validation(html) == "Validation AUC (ranks the models; higher is better) 0.7539"
    note = re.search(r'<p class="muted small" id="validation-note">(.*?)</p>', html).group(1)
    assert note == (
        "Measured on the training rows' validation folds, not on the hold-out rows: each fold "
        "is predicted by a model fitted without it."
    )
    assert card.index('id="validation-score"') < card.index('id="metrics-table"')

    # A model without a validation score (older ones) shows the hold-out table alone.
    deployed_model.metrics = {"cv_score": None}
    deployed_model.save()
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    assert 'id="validation-score"' not in html and 'id="metrics-table"' in html
    deployed_model.test_metrics = {}
    deployed_model.save()
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    assert "No hold-out scores were recorded for this model." in html


def test_a_forecaster_keeps_its_backtest_errors_and_has_no_validation_score():
    model = TrainedModel(
        problem_type="forecasting", primary_metric="mase", metrics={"cv_score": 0.8},
        test_metrics={"mase": 0.9, "smape": 12.5, "coverage_80": 0.81},
    )  # fmt: skip
    assert validation_score(model) is None
    rows = metric_rows(model)
    assert [(r["label"], r["text"], r["better"]) for r in rows] == [
        ("Backtest MASE", "0.9", "lower"),
        ("sMAPE", "12.5%", "lower"),
        ("80% interval coverage", "81%", "close to 80%"),
    ]


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


def test_the_importance_card_says_in_words_how_it_was_measured(web, deployed_model):
    deployed_model.feature_importance = [{"feature": "Home", "importance": 1.0}]
    deployed_model.card = {**(deployed_model.card or {}), "importance_method": "blend"}
    deployed_model.save(update_fields=["feature_importance", "card"])
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    assert (
        "Measured by: its members&#x27; importances, summed by input column and weighted as in "
        "the blend." in html
    )
