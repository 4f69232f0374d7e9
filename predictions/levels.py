"""What a trained model saw per input column: the categories of its fitted encoders, and the
range of each numeric column on its training rows (from the monitoring reference stored beside
its card), so the predict form can say when a value is new to the model or outside what it was
trained on, instead of silently scoring it."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from modeling.models import TrainedModel
from predictions.services import load_model
from training.reference_store import reference_load

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


@lru_cache(maxsize=64)
def _ranges(model_id: int, sha256: str, name: str) -> dict[str, tuple[float, float]]:
    reference = reference_load(name) or {}
    out = {}
    for column, profile in (reference.get("columns") or {}).items():
        sketch = profile.get("sketch") if profile.get("kind") == "numeric" else None
        if sketch:  # sorted: its ends are the smallest and largest training values
            out[column] = (float(sketch[0]), float(sketch[-1]))
    return out


def training_ranges(model: TrainedModel) -> dict[str, tuple[float, float]]:
    """Numeric column -> (smallest, largest) value on the model's training rows; empty when the
    model stores no reference (trained before references existed, or its file is gone)."""
    name = (model.card or {}).get("monitoring_reference", "")
    if not name or model.problem_type == "forecasting":
        return {}
    try:
        return _ranges(model.pk, model.sha256, name)
    except Exception:
        logger.exception("could not read the training ranges of model %s", model.pk)
        return {}


def out_of_range(model: TrainedModel, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The row's numbers outside their column's training range: [{column, value, low, high}]
    (the model still scores them; it extrapolates)."""
    ranges = training_ranges(model)
    out = []
    for column, value in row.items():
        if column not in ranges or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        low, high = ranges[column]
        if value < low or value > high:
            out.append(
                {
                    "column": column,
                    "value": value,
                    "low": low,
                    "high": high,
                    "text": f"{column} = {_plain(value)} is outside the range seen in training "
                    f"({_plain(low)} to {_plain(high)}); the model extrapolates, so treat the "
                    "prediction with care.",
                }
            )
    return out


def _plain(value: float) -> str:
    """A number as a person reads it: whole numbers with thousands separators, others with
    six significant digits."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.6g}"
