"""The data migration that gives models trained before their input columns carried `parse` the
dataset's parse specs (so their requests are read in the training file's notation)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

pytestmark = pytest.mark.django_db

migration = importlib.import_module("modeling.migrations.0002_input_schema_parse")


def test_models_trained_before_get_their_datasets_parse_specs(deployed_model):
    dataset = deployed_model.pipeline.dataset
    spec = {"formats": ["%d/%m/%Y"], "utc": False}
    dataset.columns_info = [
        {**c, "parse": spec} if c["name"] == "year" else c for c in dataset.columns_info
    ]
    dataset.save(update_fields=["columns_info"])
    own = {"decimal": ",", "thousands": None}
    schema = deployed_model.input_schema
    for column in schema["columns"]:
        column.pop("parse", None)
        if column["name"] == "island":
            column["parse"] = own  # a model's own spec is kept
    deployed_model.input_schema = schema
    deployed_model.save(update_fields=["input_schema"])

    migration.add_parse_specs(apps, None)
    migration.add_parse_specs(apps, None)  # twice changes nothing more

    deployed_model.refresh_from_db()
    parse = {c["name"]: c.get("parse") for c in deployed_model.input_schema["columns"]}
    assert parse["year"] == spec
    assert parse["island"] == own
    assert parse["bill_length_mm"] is None
