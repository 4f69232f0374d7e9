"""The actual outcome of a prediction made on a regression model's page, typed as the training
file wrote its numbers, is recorded for the live metrics; text that is no number is refused."""

from __future__ import annotations

import pytest

from conftest import create_pipeline, train, upload_sample
from predictions.models import PredictionRecord

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_regression_actual_typed_on_the_page_is_read_as_a_number(
    api, celery_worker, client, owner
):
    from modeling.models import TrainedModel
    from predictions.pages import form_fields

    ds = upload_sample(api, "sacramento_housing.csv")
    pipe = create_pipeline(api, ds["id"], "price", "regression")
    train(api, pipe["id"], ["linear"], 5)
    model = TrainedModel.objects.get(pipeline_id=pipe["id"], rank=1)
    assert (
        api.post("/api/v1/deployment/deploy", {"model_id": model.pk}, format="json").status_code
        == 201
    )
    client.force_login(owner)
    form = {f["key"]: f["initial"] for f in form_fields(model)}
    page = client.post(f"/models/{model.pk}/predict/", form, **HTMX).content.decode()
    assert 'id="feedback-actual" name="actual" inputmode="decimal"' in page
    record = PredictionRecord.objects.get(model=model)
    url = f"/models/{model.pk}/feedback/"
    refused = client.post(url, {"prediction_id": str(record.pk), "actual": "lots"}, **HTMX)
    assert "The actual must be a number, not &#x27;lots&#x27;." in refused.content.decode()
    record.refresh_from_db()
    assert record.feedback_at is None
    taken = client.post(url, {"prediction_id": str(record.pk), "actual": " $ 250000 "}, **HTMX)
    assert 'id="feedback-recorded"' in taken.content.decode()
    record.refresh_from_db()
    assert record.actual == 250000.0
