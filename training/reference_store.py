"""Monitoring references of trained models: built when a job registers its models (stored as a
JSON file beside each model card), or rebuilt later from the model's dataset and artifact."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from datasets.jsonsafe import json_safe
from datasets.services import dataset_frame
from modeling.artifacts import artifact_load
from modeling.models import TrainedModel
from pipelines.models import Pipeline
from training import reference
from training.engines import engine_for
from training.models import TrainingJob

logger = logging.getLogger(__name__)


def _frame(pipeline: Pipeline, columns: list[str]) -> Any:
    keep = (
        (pipeline.target_column,)
        if pipeline.problem_type == Pipeline.ProblemType.CLASSIFICATION
        else ()
    )
    usecols = list(dict.fromkeys([*columns, pipeline.target_column]))
    return dataset_frame(pipeline.dataset, usecols=usecols, keep_raw=keep)


def _schema(pipeline: Pipeline, columns: list[str]) -> list[dict[str, Any]]:
    return [c for c in pipeline.dataset.columns_info if c["name"] in columns]


def reference_builder(
    job: TrainingJob, pipeline: Pipeline, columns: list[str]
) -> Callable[[Any, Any], dict[str, Any] | None]:
    """A function (candidate result, fitted object) -> reference for the models of one job.

    The dataset is read once and the training-row column profiles computed once for all
    candidates. Any failure is logged and gives None: monitoring rebuilds it on first use.
    """
    state: dict[str, Any] = {}
    engine = engine_for(pipeline)

    def build(result: Any, fitted: Any) -> dict[str, Any] | None:
        try:
            if "frame" not in state:
                state["frame"] = _frame(pipeline, columns)
            ref = engine.reference(
                state["frame"],
                fitted,
                columns=columns,
                config=job.config or {},
                profiles=state.get("columns"),
            )
            state["columns"] = ref.get("columns")
            return json_safe(ref)
        except Exception:
            logger.exception("monitoring reference of %s could not be built", result)
            return None

    return build


def reference_save(ref: dict[str, Any] | None, key: str) -> str:
    """Store a reference as JSON beside the model card; return its storage name ("" for None)."""
    if ref is None:
        return ""
    payload = json.dumps(ref, separators=(",", ":"), default=str).encode()
    return default_storage.save(f"models/{key}.reference.json", ContentFile(payload))


def reference_load(name: str) -> dict[str, Any] | None:
    """A stored reference, or None when the file is gone or unreadable."""
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as fh:
            return json.loads(fh.read())
    except (OSError, ValueError):
        logger.exception("monitoring reference %s could not be read", name)
        return None


def reference_rebuild(model: TrainedModel) -> dict[str, Any]:
    """Compute a model's reference from its dataset and artifact (models trained before
    references existed, or whose file is gone). Raises on an unreadable dataset."""
    pipeline = model.pipeline
    fitted = artifact_load(model.artifact, model.sha256)
    job = (
        TrainingJob.objects.filter(pk=model.training_job_id).first()
        if model.training_job_id
        else None
    )
    config = (job.config if job else {}) or {}
    if model.problem_type == Pipeline.ProblemType.FORECASTING:
        schema = model.input_schema or {}
        columns = [c for c in (schema.get("time_column"), schema.get("id_column")) if c]
        return json_safe(reference.forecast_reference(fitted, _frame(pipeline, columns)))
    columns = [c["name"] for c in (model.input_schema or {}).get("columns", [])]
    return json_safe(
        reference.tabular_reference(
            _frame(pipeline, columns),
            features=columns,
            schema=_schema(pipeline, columns),
            target=pipeline.target_column,
            problem_type=model.problem_type,
            fitted=fitted,
            validation_split=float(config.get("validation_split", 0.2)),
            seed=int(config.get("random_state", 0)),
        )
    )
