"""The request path's in-process cache of served models, and the fast conversion of request rows.

A served model (its row, whether it is deployed, its compiled serving form and its row plan) is
kept per process and trusted while the model's serving generation in the shared Redis cache is
unchanged: deploy and undeploy (in any process) write a new generation, so every process drops
its copy on its next request. Without Redis each request checks the database, and an entry is
re-read at least every `VUR_SERVING_RECHECK_S` whatever the generation says (a safety net for
writes that bypass the services).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.cache import caches
from django.db.models import Exists, OuterRef

from datasets import profiling
from datasets.coercion import read_dates_quickly
from modeling.artifacts import artifact_load
from modeling.models import TrainedModel
from modeling.rowplan import Columns
from modeling.serving import (
    NUMPY_PREPROCESS,
    ONNX,
    ONNX_SHARED,
    SKLEARN,
    ServingModel,
    compile_for_serving,
)
from predictions.models import Deployment
from predictions.servedmodel import ServedModel, served_model_of
from vur.errors import NotFound

logger = logging.getLogger(__name__)

_MISSING = np.nan  # what `DataFrame.from_records` puts for a column a row leaves out
_EXACT_INT = 2**53  # ints beyond this lose digits in float64: left to the general path


_cache_holder: list[Any] = []


def shared_cache() -> Any:
    """One client of the default cache for the whole process: the `cache` proxy makes a new one
    (and a new Redis connection) in every request context."""
    if not _cache_holder:
        with _lock:
            if not _cache_holder:
                _cache_holder.append(caches.create_connection("default"))
    return _cache_holder[0]


def generation_key(model_id: int) -> str:
    """Shared-cache key of a model's serving generation."""
    return f"vur:serving:gen:{model_id}"


def serving_changed(model_id: int) -> None:
    """Tell every process that `model_id`'s deployment changed (call after commit). Never raises."""
    try:
        shared_cache().set(generation_key(model_id), uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.exception("serving cache: could not publish the change of model %s", model_id)
    with _lock:
        _entries.pop(model_id, None)


def serving_forget(model_id: int) -> None:
    """Drop this process's copy of `model_id` (the next request reads it again)."""
    with _lock:
        _entries.pop(model_id, None)


def shared_generation(key: str, what: str) -> str | None:
    """The generation stored under `key` in the shared cache (made on first use): it changes
    whenever the thing it stands for (`what`, for the log) changes. None when Redis cannot
    answer, so the caller reads the database instead."""
    try:
        cache = shared_cache()
        value = cache.get(key)
        if value is None:
            cache.add(key, uuid.uuid4().hex, timeout=None)
            value = cache.get(key)
        return value
    except Exception:
        logger.exception("serving cache: generation of %s unreadable; using the DB", what)
        return None


def _generation(model_id: int) -> str | None:
    """The model's current generation; None when Redis cannot answer."""
    return shared_generation(generation_key(model_id), f"model {model_id}")


# ---------------------------------------------------------------- rows
@dataclass(frozen=True)
class RowPlan:
    """A model's input schema read once: column order, kinds and what is required."""

    names: tuple[str, ...]
    known: dict[str, dict[str, Any]]
    required: tuple[str, ...]
    infos: dict[str, dict[str, Any]]

    @cached_property
    def required_set(self) -> frozenset[str]:
        """`required` as a set (the request path's column checks)."""
        return frozenset(self.required)

    @cached_property
    def numeric(self) -> frozenset[str]:
        """The columns whose values must be numbers."""
        return frozenset(n for n, info in self.infos.items() if info["semantic_type"] == "numeric")

    @cached_property
    def boolean(self) -> frozenset[str]:
        """The columns whose values must be true or false (a boolean word, 1 or 0)."""
        return frozenset(n for n, info in self.infos.items() if info["semantic_type"] == "boolean")

    @cached_property
    def datetime(self) -> tuple[str, ...]:
        """The date and datetime columns, in column order (their values must read as dates)."""
        return tuple(n for n in self.names if self.infos[n]["semantic_type"] == "datetime")

    @classmethod
    def of(cls, model: TrainedModel) -> RowPlan:
        """The plan of `model`'s `input_schema`."""
        columns = model.input_schema.get("columns", [])
        return cls(
            names=tuple(c["name"] for c in columns),
            known={c["name"]: c for c in columns},
            required=tuple(c["name"] for c in columns if c.get("required", True)),
            infos={c["name"]: column_info(c) for c in columns},
        )


def column_info(col: dict) -> dict:
    """What `profiling.coerce_types` needs of a schema column, its parse spec included, so a
    request's text is read as the training file's was (decimal comma, day-first dates)."""
    info = {
        "name": col["name"],
        "dtype": col.get("dtype"),
        "semantic_type": col.get("semantic_type"),
    }
    if col.get("parse"):
        info["parse"] = col["parse"]
    return info


def _numbers(values: list) -> np.ndarray | None:
    out = np.empty(len(values), dtype="float64")
    for i, v in enumerate(values):
        if v is None:
            out[i] = math.nan
        elif type(v) is float or (type(v) is int and -_EXACT_INT < v < _EXACT_INT):
            out[i] = v
        else:
            return None
    return out


def _labels(values: list) -> np.ndarray | None:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        if type(v) is str:
            s = v.strip()
            out[i] = s if s else np.nan
        elif v is None or (type(v) is float and math.isnan(v)):
            out[i] = np.nan
        else:
            return None
    return out


def _flags(values: list) -> np.ndarray | None:
    out = np.empty(len(values), dtype="float64")
    for i, v in enumerate(values):
        if v is None or (type(v) is float and math.isnan(v)):
            out[i] = math.nan
        elif type(v) is bool:
            out[i] = 1.0 if v else 0.0
        else:
            return None
    return out


_FAST = {"numeric": _numbers, "categorical": _labels, "text": _labels, "boolean": _flags}


def rows_frame(plan: RowPlan, rows: list[dict]) -> pd.DataFrame:
    """The validated `rows` as a frame typed like the training data: equal to
    `profiling.coerce_types(DataFrame.from_records(rows), ...)`, built column by column without
    it for plain values (numbers, strings, booleans, None); other columns go through it alone."""
    return rows_columns(plan, rows).frame()


def rows_columns(plan: RowPlan, rows: list[dict]) -> Columns:
    """The validated `rows` column by column, typed like `rows_frame`'s columns (no frame). A
    date that does not read is NaT here, as in training: `services.check_dates` refuses it."""
    data: dict[str, Any] = {}
    for name in plan.names:
        values = [row.get(name, _MISSING) for row in rows]
        info = plan.infos[name]
        semantic = info.get("semantic_type") or ""
        if semantic == "datetime":
            column = read_dates_quickly(values, info.get("parse"))
        else:
            fast = _FAST.get(semantic)
            column = fast(values) if fast else None
        if column is None:
            one = pd.DataFrame({name: values}) if values else pd.DataFrame({name: []})
            column = profiling.coerce_types(one, [info])[name]
        data[name] = column
    return Columns(data, len(rows), plan.names)


# ---------------------------------------------------------------- served models
@dataclass
class Served:
    """One model as the request path needs it."""

    model: TrainedModel
    deployed: bool
    plan: RowPlan
    generation: str | None
    checked_at: float
    kind: ServedModel  # what the model does (tabular or forecasting), chosen once here
    source: Any = None  # the fitted object `compiled` was built from
    compiled: ServingModel | None = None


_entries: dict[int, Served] = {}
_lock = threading.Lock()


def _may_see(user, model: TrainedModel) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or model.owner_id == user.pk))


def _read(model_id: int, generation: str | None) -> Served:
    """The model row and whether it has an active deployment, in one query."""
    try:
        key = int(model_id)
        model = TrainedModel.objects.annotate(
            _deployed=Exists(
                Deployment.objects.filter(model_id=OuterRef("pk"), status=Deployment.Status.ACTIVE)
            )
        ).get(pk=key)
    except (TrainedModel.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("Model not found.", code="model_not_found") from None
    return Served(
        model=model,
        deployed=bool(model._deployed),
        plan=RowPlan.of(model),
        generation=generation,
        checked_at=time.monotonic(),
        kind=served_model_of(model),
    )


def served_get(*, user, model_id: Any) -> Served:
    """The served model `model_id` as `user` may see it (NotFound otherwise), from this
    process's cache while its generation is unchanged; one Redis read per call."""
    if isinstance(model_id, bool):
        raise NotFound("Model not found.", code="model_not_found")
    try:
        key = int(model_id)
    except (ValueError, TypeError, OverflowError):
        raise NotFound("Model not found.", code="model_not_found") from None
    generation = _generation(key)
    entry = _entries.get(key)
    fresh = (
        entry is not None
        and generation is not None
        and entry.generation == generation
        and time.monotonic() - entry.checked_at < settings.VUR_SERVING_RECHECK_S
    )
    if not fresh or entry is None:  # (fresh implies an entry; said again for the type checker)
        entry = _read(key, generation)
        with _lock:
            _entries[key] = entry
            while len(_entries) > max(8, 4 * settings.VUR_MODEL_CACHE_SIZE):
                _entries.pop(next(iter(_entries)))
    if not _may_see(user, entry.model):
        raise NotFound("Model not found.", code="model_not_found")
    return entry


def served_fitted(entry: Served) -> ServingModel:
    """The compiled serving form of the entry's model. The artifact is loaded (hash-checked, and
    re-checked when its file changes) on every call; the compiled form is rebuilt when the
    loaded object changes."""
    model = entry.model
    fitted = artifact_load(
        model.artifact, model.sha256, label=f"model {model.pk} ({model.algorithm})"
    )
    compiled = entry.compiled
    if compiled is None or entry.source is not fitted:
        compiled = _compiled_form(model, fitted)
        entry.source, entry.compiled = fitted, compiled
    return compiled


# Compiled forms outlive the entries (a re-read of the deployment state must not convert the
# model again): keyed by file, hash and card path, valid while the loaded object is the same.
_compiled: dict[tuple, tuple[Any, ServingModel]] = {}
_compile_locks: dict[tuple, threading.Lock] = {}


def _compiled_form(model: TrainedModel, fitted: Any) -> ServingModel:
    """The cached serving form of `fitted`, compiled once per process (concurrent first
    requests wait for the one compiling instead of converting the model each)."""
    card = (model.card or {}).get("serving") or {}
    key = (model.artifact, model.sha256, card.get("path"), card.get("preprocess"))
    hit = _compiled.get(key)
    if hit is not None and hit[0] is fitted:
        return hit[1]
    with _lock:
        key_lock = _compile_locks.setdefault(key, threading.Lock())
    with key_lock:
        hit = _compiled.get(key)
        if hit is not None and hit[0] is fitted:
            return hit[1]
        compiled = serving_form(model, fitted)
        with _lock:
            _compiled[key] = (fitted, compiled)
            while len(_compiled) > max(8, 2 * settings.VUR_MODEL_CACHE_SIZE):
                evicted = next(iter(_compiled))
                _compiled.pop(evicted)
                _compile_locks.pop(evicted, None)  # the lock table stays as small as the cache
        return compiled


def serving_form(model: TrainedModel, fitted: Any) -> ServingModel:
    """The serving form of `model`'s loaded `fitted` object, on the path its card chose at
    registration (a model whose check refused the compiled form is served as trained)."""
    card = (model.card or {}).get("serving") or {}
    # ONNX and the numpy preprocessing only after registration's check passed for them.
    onnx = "trusted" if card.get("path") in (ONNX, ONNX_SHARED) else "off"
    program = "trusted" if card.get("preprocess") == NUMPY_PREPROCESS else "off"
    if card.get("path") == SKLEARN and program == "off":
        return ServingModel(model=fitted, original=fitted, path=SKLEARN)
    return compile_for_serving(fitted, onnx=onnx, program=program)


def _warm(model_id: int, user: Any) -> bool:
    """Load and compile `model_id` as `user` sees it; False (logged) when that fails."""
    try:
        served_fitted(served_get(user=user, model_id=model_id))
        return True
    except Exception:
        logger.warning(
            "warming model %s failed; its first request loads it", model_id, exc_info=True
        )
        return False


def serving_warm(model_id: int, user: Any) -> threading.Thread:
    """Load and compile a just-deployed model in a background thread of this process, so its
    first prediction does not pay for it (converting a forest for ONNX Runtime takes seconds).
    A request that comes meanwhile waits for the same compile instead of starting another."""

    def work() -> None:
        from django.db import connection

        try:
            _warm(model_id, user)
        finally:
            connection.close()

    thread = threading.Thread(target=work, name=f"warm-model-{model_id}", daemon=True)
    thread.start()
    return thread


def serving_warm_deployed(limit: int | None = None) -> threading.Thread:
    """Warm, in one background thread, the models that have an active deployment (the most
    recently deployed first, at most `limit`, by default the model cache's size), so a web
    process that just started answers their first requests as fast as the ones after."""
    limit = settings.VUR_MODEL_CACHE_SIZE if limit is None else limit

    def work() -> None:
        from django.db import connection

        started = time.monotonic()
        warmed = 0
        try:
            rows = (
                Deployment.objects.filter(status=Deployment.Status.ACTIVE)
                .select_related("model__owner")
                .order_by("-deployed_at")
            )
            chosen: dict[int, Any] = {}
            for deployment in rows.iterator():
                if len(chosen) >= limit:
                    break
                chosen.setdefault(deployment.model_id, deployment.model.owner)
            warmed = sum(_warm(model_id, owner) for model_id, owner in chosen.items())
        except Exception:
            logger.exception("warming the deployed models failed; first requests load them")
        finally:
            connection.close()
        logger.info("warmed %d deployed model(s) in %.1f s", warmed, time.monotonic() - started)

    thread = threading.Thread(target=work, name="warm-deployed-models", daemon=True)
    thread.start()
    return thread


def served_cache_clear() -> None:
    """Forget every served model and compiled form of this process (tests)."""
    with _lock:
        _entries.clear()
        _compiled.clear()
        _compile_locks.clear()
