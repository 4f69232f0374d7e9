"""Which categories a trained model saw per input column (from its fitted encoders), so the
predict form can say when a value is new to the model instead of silently scoring it."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from modeling.models import TrainedModel
from predictions.services import load_model

logger = logging.getLogger(__name__)

_MAX_DEPTH = 8


def _walk(obj: Any, out: dict[str, set[str]], depth: int, columns: list | None = None) -> None:
    """Collect column -> `categories_` of every fitted encoder inside `obj`; a column
    transformer's column lists name the columns of encoders fitted on plain arrays."""
    if obj is None or depth > _MAX_DEPTH or isinstance(obj, (str, bytes, int, float, bool)):
        return
    if isinstance(obj, (list, tuple)):
        for item in obj:
            _walk(item, out, depth, columns)
        return
    if isinstance(obj, dict):
        for item in obj.values():
            _walk(item, out, depth, columns)
        return
    categories = getattr(obj, "categories_", None)
    names = getattr(obj, "feature_names_in_", None)
    names = list(names) if names is not None else columns
    if categories is not None and names is not None and len(names) == len(categories):
        for name, levels in zip(names, categories, strict=True):
            out.setdefault(str(name), set()).update(str(v) for v in levels)
        return
    fitted = getattr(obj, "transformers_", None)
    if isinstance(fitted, list):
        for entry in fitted:
            if isinstance(entry, tuple) and len(entry) == 3:
                cols = entry[2]
                cols = [str(c) for c in cols] if isinstance(cols, (list, tuple)) else None
                _walk(entry[1], out, depth + 1, cols)
        return
    if not hasattr(obj, "__dict__"):
        return
    for value in vars(obj).values():
        if isinstance(value, (list, tuple, dict)) or hasattr(value, "__dict__"):
            _walk(value, out, depth + 1, columns)


@lru_cache(maxsize=64)
def _levels(model_id: int, sha256: str) -> dict[str, frozenset[str]]:
    model = TrainedModel.objects.get(pk=model_id)
    found: dict[str, set[str]] = {}
    _walk(load_model(model), found, 0)
    return {name: frozenset(levels) for name, levels in found.items()}


def known_levels(model: TrainedModel) -> dict[str, frozenset[str]]:
    """Column -> the categories the model's encoders learned (empty when none could be read)."""
    if model.problem_type == "forecasting":
        return {}
    try:
        return _levels(model.pk, model.sha256)
    except Exception:
        logger.exception("could not read the known categories of model %s", model.pk)
        return {}


def unseen_values(model: TrainedModel, row: dict[str, Any]) -> list[dict[str, str]]:
    """The row's text values its column's encoder never saw in training: [{column, value}]."""
    levels = known_levels(model)
    out = []
    for column, value in row.items():
        if value is None or column not in levels or not isinstance(value, str):
            continue
        if value not in levels[column]:
            out.append({"column": column, "value": value})
    return out
