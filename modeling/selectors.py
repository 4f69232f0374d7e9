"""Reads of model configs and trained models, limited to what the user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from modeling.models import ModelConfig, TrainedModel
from vur.errors import NotFound
from vur.models import owned_by


def trained_model_list(*, user, pipeline_id=None) -> QuerySet[TrainedModel]:
    """Trained models `user` may see, optionally of one pipeline, ordered by rank."""
    qs = owned_by(TrainedModel.objects.all(), user)
    if pipeline_id is not None:
        qs = qs.filter(pipeline_id=pipeline_id)
    return qs.order_by("pipeline_id", "-created_at", "rank")


def trained_model_get(*, user, model_id) -> TrainedModel:
    """One trained model `user` may see; NotFound (404) otherwise."""
    try:
        return owned_by(TrainedModel.objects.all(), user).get(pk=model_id)
    except (TrainedModel.DoesNotExist, ValueError, TypeError):
        raise NotFound("Model not found.", code="model_not_found") from None


def model_config_get(*, user, config_id) -> ModelConfig:
    """One saved model config `user` may see; NotFound (404) otherwise."""
    try:
        return owned_by(ModelConfig.objects.all(), user).get(pk=config_id)
    except (ModelConfig.DoesNotExist, ValueError, TypeError):
        raise NotFound("Model config not found.", code="model_config_not_found") from None
