"""The data migration that drops the completed steps pipelines kept after their models were
deleted (training and deployment with no model left, deployment with none deployed)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from modeling.models import TrainedModel
from pipelines.models import STEPS, Pipeline

pytestmark = pytest.mark.django_db

migration = importlib.import_module("modeling.migrations.0004_pipeline_steps_from_models")


def _steps(pipeline: Pipeline, steps: list[str], current: str = "monitoring") -> None:
    Pipeline.objects.filter(pk=pipeline.pk).update(completed_steps=steps, current_step=current)


def _stored(pipeline: Pipeline) -> tuple[list[str], str]:
    pipeline.refresh_from_db()
    return pipeline.completed_steps, pipeline.current_step


def test_stale_training_and_deployment_steps_are_dropped(deployed_model):
    pipeline = deployed_model.pipeline
    TrainedModel.objects.filter(pk=deployed_model.pk).update(is_deployed=True)
    _steps(pipeline, list(STEPS))
    migration.drop_stale_steps(apps, None)
    assert _stored(pipeline) == (list(STEPS), "monitoring")  # deployed: everything stays

    TrainedModel.objects.filter(pk=deployed_model.pk).update(is_deployed=False)
    migration.drop_stale_steps(apps, None)
    assert _stored(pipeline) == (list(STEPS[:-1]), "deployment")

    TrainedModel.objects.filter(pk=deployed_model.pk).delete()
    migration.drop_stale_steps(apps, None)
    migration.drop_stale_steps(apps, None)  # twice changes nothing more
    assert _stored(pipeline) == (list(STEPS[:-2]), "training")
