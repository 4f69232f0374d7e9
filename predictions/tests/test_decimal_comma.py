"""A model trained on a ';'-separated file with decimal commas reads "13,28" in a request as the
file did (13.28): the decimal comma is a file-level reading option, recorded as each numeric
column's parse spec at upload and carried into the model's input schema."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import train_and_deploy
from modeling.models import TrainedModel
from predictions.served import served_cache_clear

pytestmark = pytest.mark.django_db(transaction=True)


def wine_csv() -> bytes:
    """Like the wine cultivar file: ';' between values, ',' before decimals, labels 1/2/3."""
    rng = np.random.default_rng(3)
    cultivar = np.repeat([1, 2, 3], 30)
    alcohol = 12.0 + cultivar * 0.6 + rng.normal(scale=0.3, size=90)
    malic = 1.5 + (cultivar == 3) * 2.0 + rng.normal(scale=0.4, size=90)
    frame = pd.DataFrame(
        {"alcohol": alcohol.round(2), "malic_acid": malic.round(2), "cultivar": cultivar}
    )
    return frame.to_csv(index=False, sep=";", decimal=",").encode()


def train(api) -> dict:
    up = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("wine.csv", wine_csv()), "name": "wine"},
        format="multipart",
    )
    assert up.status_code == 201, up.json()
    return train_and_deploy(api, up.json()["id"], "cultivar", "classification", ["linear"])


def predict(api, model_id: int, row: dict) -> dict:
    res = api.post(
        "/api/v1/predictions/single",
        {"model_id": model_id, "data": row, "return_probabilities": True},
        format="json",
    )
    assert res.status_code == 200, res.json()
    return res.json()


def test_a_decimal_comma_request_predicts_like_the_number(api, celery_worker):
    best = train(api)
    dataset = TrainedModel.objects.get(pk=best["id"]).pipeline.dataset
    alcohol = next(c for c in dataset.columns_info if c["name"] == "alcohol")
    assert alcohol["parse"] == {"decimal": ",", "thousands": None}
    for row in ({"alcohol": 13.28, "malic_acid": 1.64}, {"alcohol": 12.37, "malic_acid": 3.84}):
        text = {k: str(v).replace(".", ",") for k, v in row.items()}
        as_text, as_number = predict(api, best["id"], text), predict(api, best["id"], row)
        assert as_text["predictions"] == as_number["predictions"]
        assert as_text["probabilities"] == as_number["probabilities"]
    # A dot still reads as a decimal point; a comma in a number column of a dot file does not.
    dotted = predict(api, best["id"], {"alcohol": "13.28", "malic_acid": "1.64"})
    assert (
        dotted["predictions"]
        == predict(api, best["id"], {"alcohol": 13.28, "malic_acid": 1.64})["predictions"]
    )


def test_models_trained_before_learn_the_decimal_comma_of_their_file(api, celery_worker):
    """The data migrations: the dataset's numeric columns get the spec from the stored file,
    then the model's input columns copy it; a second run changes nothing more."""
    best = train(api)
    dataset = TrainedModel.objects.get(pk=best["id"]).pipeline.dataset
    model = TrainedModel.objects.get(pk=best["id"])
    dataset.columns_info = [
        {k: v for k, v in c.items() if k != "parse"} for c in dataset.columns_info
    ]
    dataset.save(update_fields=["columns_info"])
    schema = model.input_schema
    for column in schema["columns"]:
        column.pop("parse", None)
    model.input_schema = schema
    model.save(update_fields=["input_schema"])
    refused = api.post(
        "/api/v1/predictions/single",
        {"model_id": best["id"], "data": {"alcohol": "13,28", "malic_acid": "1,64"}},
        format="json",
    )
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_rows"

    datasets_0002 = importlib.import_module("datasets.migrations.0002_decimal_comma_parse")
    modeling_0003 = importlib.import_module("modeling.migrations.0003_input_schema_decimal_comma")
    for _ in range(2):
        datasets_0002.add_decimal_comma(apps, None)
        modeling_0003.add_decimal_comma_specs(apps, None)

    model.refresh_from_db()
    parse = {c["name"]: c.get("parse") for c in model.input_schema["columns"]}
    assert parse == {
        "alcohol": {"decimal": ",", "thousands": None},
        "malic_acid": {"decimal": ",", "thousands": None},
    }
    served_cache_clear()  # as a process started after the migration would hold it
    text = {"alcohol": "13,28", "malic_acid": "1,64"}
    number = {"alcohol": 13.28, "malic_acid": 1.64}
    assert (
        predict(api, best["id"], text)["predictions"]
        == predict(api, best["id"], number)["predictions"]
    )
