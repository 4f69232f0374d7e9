"""Preprocessing work: quality analysis and previews on a dataset sample, and saving a config.

Previews never change the stored dataset. The saved config is fitted on training rows only,
when training builds the model's pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from django.utils import timezone

from datasets.models import Dataset
from datasets.services import dataset_frame, dataset_iter_chunks
from pipelines.models import Pipeline
from pipelines.services import pipeline_set_config
from preprocessing import analysis, preview
from vur.errors import InvalidInput

DEFAULT_SAMPLE = 10_000


def dataset_sample(
    dataset: Dataset, sample_size: int = DEFAULT_SAMPLE, seed: int = 0
) -> pd.DataFrame:
    """The whole dataset when small, else an even random sample read chunk by chunk."""
    if dataset.num_rows <= sample_size:
        return dataset_frame(dataset)
    fraction = sample_size / dataset.num_rows
    parts = [
        chunk.sample(frac=fraction, random_state=seed + i)
        for i, chunk in enumerate(dataset_iter_chunks(dataset, chunksize=50_000))
    ]
    return pd.concat(parts, ignore_index=False).head(sample_size)


def _run(fn: Callable[..., dict], *args: Any, **kwargs: Any) -> dict:
    try:
        return fn(*args, **kwargs)
    except (analysis.PreprocessingError, ValueError) as exc:
        errors = getattr(exc, "errors", None) or None
        raise InvalidInput(
            str(exc), code="invalid_preprocessing",
            errors={k: [v] for k, v in errors.items()} if errors else None,
        ) from None  # fmt: skip


def _check_columns(dataset: Dataset, columns: list[str] | None) -> None:
    unknown = [c for c in columns or [] if c not in dataset.column_names]
    if unknown:
        raise InvalidInput(
            f"Unknown columns: {', '.join(unknown)}.", code="unknown_column",
            errors={"columns": [f"not in the dataset: {', '.join(unknown)}"]},
        )  # fmt: skip


def quality_analyze(*, dataset: Dataset, columns: list[str] | None, sample_size: int) -> dict:
    """Issues per column, an overall score and recommendations, on a sample of the dataset."""
    _check_columns(dataset, columns)
    frame = dataset_sample(dataset, sample_size)
    report = _run(analysis.analyze_quality, frame, columns=columns, total_rows=dataset.num_rows)
    return {
        "dataset_id": dataset.pk,
        **report,
        "total_rows": dataset.num_rows,
        "analysis_timestamp": timezone.now().isoformat(),
    }


def missing_values_preview(*, dataset: Dataset, strategy: str, columns: list[str] | None) -> dict:
    """What a missing-value strategy would do, on a sample; the dataset is left unchanged."""
    _check_columns(dataset, columns)
    frame = dataset_sample(dataset)
    return _run(preview.preview_missing_values, frame, strategy=strategy, columns=columns)


def outliers_preview(
    *,
    dataset: Dataset,
    method: str,
    treatment: str,
    columns: list[str] | None,
    threshold: float | None,
) -> dict:
    """What an outlier method and treatment would do, on a sample; the dataset is left unchanged."""
    _check_columns(dataset, columns)
    frame = dataset_sample(dataset)
    return _run(
        preview.preview_outliers, frame, method=method, treatment=treatment,
        columns=columns, threshold=threshold,
    )  # fmt: skip


def transformations_preview(*, dataset: Dataset, transformations: list[dict]) -> dict:
    """What column transformations would do, on a sample; the dataset is left unchanged."""
    _check_columns(dataset, [t.get("column") for t in transformations])
    frame = dataset_sample(dataset)
    return _run(preview.preview_transformations, frame, transformations=transformations)


def preprocessing_apply(*, pipeline: Pipeline, config: dict[str, Any]) -> dict:
    """Validate and save a preprocessing config on the pipeline; answer its preview.

    Atomic (nothing saved on a bad config); repeating with the same config is harmless.
    """
    errors = preview.validate_config(config)
    transforms = config.get("transformations") or []
    _check_columns(pipeline.dataset, [t.get("column") for t in transforms if isinstance(t, dict)])
    transformed = [t.get("column") for t in transforms if isinstance(t, dict)]
    if pipeline.target_column in transformed and pipeline.problem_type != "forecasting":
        errors["transformations"] = "the target cannot be transformed here"
    if errors:
        raise InvalidInput(
            "The preprocessing config is not valid.", code="invalid_preprocessing",
            errors={k: [v] for k, v in errors.items()},
        )  # fmt: skip
    frame = dataset_sample(pipeline.dataset)
    result = _run(preview.preview_config, frame, config=config, target=pipeline.target_column)
    pipeline_set_config(
        pipeline=pipeline, field="preprocessing_config", value=config, step="preprocessing"
    )
    return result
