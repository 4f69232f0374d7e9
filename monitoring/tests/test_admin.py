"""Stored ML outputs in the admin are read-only and readable: a model reference cannot be
edited (a hand-edited reference would corrupt drift detection), and a trained model's JSON
(metrics, importances, schema, card) shows as a summary line over collapsed, pretty-printed
JSON instead of walls of raw text."""

from __future__ import annotations

import pytest

from modeling.models import TrainedModel
from monitoring.models import ModelReference

pytestmark = pytest.mark.django_db


def _content(page) -> str:
    return page.content.decode().split('id="content"')[1]


def test_a_model_reference_cannot_be_edited_and_reads_as_a_summary(admin_client, deployed_model):
    data = {"version": 3, "kind": "tabular", "columns": {"a": {"mean": 1.5}, "b": {"mean": 2}}}
    ref = ModelReference.objects.create(model=deployed_model, source="training", data=data)
    url = f"/admin/monitoring/modelreference/{ref.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    html = _content(page)
    assert "<textarea" not in html and 'name="data"' not in html and 'name="source"' not in html
    assert "<details" in html and "tabular reference, 2 columns, version 3" in html
    assert "&quot;mean&quot;: 1.5" in html
    res = admin_client.post(url, {"model": deployed_model.pk, "source": "dataset", "data": "{}"})
    assert res.status_code == 403
    ref.refresh_from_db()
    assert ref.data == data and ref.source == "training"


def test_a_trained_model_shows_its_json_summarised_and_read_only(admin_client, deployed_model):
    importances = [{"feature": f"f{i}", "importance": round(1 / (i + 1), 4)} for i in range(40)]
    TrainedModel.objects.filter(pk=deployed_model.pk).update(
        feature_importance=importances,
        metrics={
            "accuracy": 0.912345,
            "f1": 0.9,
            "precision": 0.91,
            "recall": 0.89,
            "roc_auc": 0.97,
            "log_loss": 0.25,
            "balanced_accuracy": 0.9,
        },
        hyperparameters={"n_estimators": 20},
        card={"algorithm": "random_forest", "metrics": {"accuracy": 0.91}, "rank": 1},
    )
    html = _content(admin_client.get(f"/admin/modeling/trainedmodel/{deployed_model.pk}/change/"))
    assert "<textarea" not in html
    assert "40 features; top: f0 (1), f1 (0.5), f2 (0.333)" in html
    # jsonb keeps its own key order; the summary line reads six entries and counts the rest.
    assert "accuracy: 0.9123" in html and "f1: 0.9, " in html
    assert "(7 in all)" in html
    assert "<code>{&quot;n_estimators&quot;: 20}</code>" in html  # short: whole, on one line
    assert html.count("<details") == 3  # importances, metrics, schema (the card is short)
    # The full importances are there, pretty-printed, inside the collapsed block.
    assert "&quot;feature&quot;: &quot;f39&quot;" in html
    assert '[{"feature"' not in html and "[{&quot;feature&quot;" not in html
