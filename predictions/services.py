"""Prediction work: deploy/undeploy, single and realtime predictions, forecasts, batch scoring,
feedback. REST views and the WebSocket consumer call the same functions.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import time
import uuid
from contextlib import closing
from datetime import timedelta
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from sklearn.svm import SVC

from datasets import io as dio
from datasets import profiling
from datasets.jsonsafe import json_safe
from datasets.semantics import NULL_TOKENS, boolean_number, text_number
from datasets.services import max_upload_bytes, storage_delete_files
from modeling.artifacts import artifact_load
from modeling.models import TrainedModel
from modeling.rowplan import Columns
from modeling.services import pipeline_status_from_models, pipeline_steps_from_models
from modeling.serving import SKLEARN, ServingModel
from pipelines.models import Pipeline
from pipelines.services import pipeline_mark_step, pipeline_set_status
from predictions import served
from predictions.logbook import (
    LogEntry,
    prediction_log,
    prediction_log_write,
    rollup_feedback_many,
)
from predictions.models import BatchJob, Deployment, PredictionRecord
from predictions.servedmodel import served_model_of
from preprocessing.transformers import boolean_column
from training.labels import label_key, label_like
from vur import jobs
from vur.errors import (
    Conflict,
    InvalidInput,
    ModelNotDeployed,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    VURError,
)

logger = logging.getLogger(__name__)

MAX_ROWS_PER_REQUEST = 10_000


def batch_group(job_id) -> str:
    """Channel-layer group of a batch job's progress events."""
    return f"batch.{job_id}"


# ---------------------------------------------------------------- deployment
def deployment_create(*, owner, model: TrainedModel, target: str) -> Deployment:
    """Deploy `model` for `target`. Idempotent: an active deployment for the pair is returned."""
    with transaction.atomic():
        existing = Deployment.objects.filter(
            model=model, target=target, status=Deployment.Status.ACTIVE
        ).first()
        if existing:
            return existing
        deployment = Deployment.objects.create(owner=owner, model=model, target=target)
        deployment.endpoint_url = served_model_of(model).endpoint(target)
        deployment.save(update_fields=["endpoint_url"])
        TrainedModel.objects.filter(pk=model.pk).update(is_deployed=True)
        transaction.on_commit(partial(served.serving_changed, model.pk))
        transaction.on_commit(partial(served.serving_warm, model.pk, owner))
        pipeline_mark_step(
            pipeline=model.pipeline, step="deployment", status=Pipeline.Status.DEPLOYED
        )
    model.is_deployed = True
    return deployment


def deployment_undeploy(*, deployment: Deployment) -> Deployment:
    """Take a deployment out of service; the model stops answering when none is left. Idempotent."""
    with transaction.atomic():
        Deployment.objects.filter(pk=deployment.pk, status=Deployment.Status.ACTIVE).update(
            status=Deployment.Status.INACTIVE, undeployed_at=timezone.now()
        )
        model = deployment.model
        transaction.on_commit(partial(served.serving_changed, model.pk))
        if not Deployment.objects.filter(model=model, status=Deployment.Status.ACTIVE).exists():
            TrainedModel.objects.filter(pk=model.pk).update(is_deployed=False)
            pipeline_steps_from_models(pipeline=model.pipeline)
            status = pipeline_status_from_models(model.pipeline)
            if status != Pipeline.Status.DEPLOYED:  # another of its models still serves
                pipeline_set_status(pipeline=model.pipeline, status=status)
    deployment.refresh_from_db()
    return deployment


def deployment_delete_refusal(*, deployment: Deployment) -> str:
    """Why `deployment_delete` would refuse now (it is active); "" when it may go."""
    if Deployment.objects.filter(pk=deployment.pk, status=Deployment.Status.ACTIVE).exists():
        return "The deployment is active: undeploy it, then delete it."
    return ""


def deployment_delete(*, deployment: Deployment) -> None:
    """Delete an inactive deployment (history) with its live forecast state. Safe to repeat.

    Conflict (409, `deployment_active`) while it is active: undeploying is what takes a model
    out of service, keeps `is_deployed` and the pipeline's status right."""
    with transaction.atomic():
        row = Deployment.objects.select_for_update().filter(pk=deployment.pk).first()
        if row is None:
            return
        why = deployment_delete_refusal(deployment=row)
        if why:
            raise Conflict(why, code="deployment_active")
        row.delete()


def _require_deployed(model: TrainedModel) -> None:
    if not Deployment.objects.filter(model_id=model.pk, status=Deployment.Status.ACTIVE).exists():
        raise ModelNotDeployed(
            "The model is not deployed; deploy it before asking for predictions."
        )


def load_model(model: TrainedModel) -> Any:
    """The fitted object of a trained model, loaded only after its sha256 matches (cached)."""
    return artifact_load(
        model.artifact, model.sha256, label=f"model {model.pk} ({model.algorithm})"
    )


# ---------------------------------------------------------------- rows in
def _bad_value(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def prepare_rows(
    model: TrainedModel, data: Any, plan: served.RowPlan | None = None
) -> pd.DataFrame:
    """Check request rows against the model's input schema and type them like the training data
    (`served.rows_frame`: the same frame as `profiling.coerce_types` on a `from_records` frame);
    a date that reads as none is refused (`check_dates`)."""
    plan = plan or served.RowPlan.of(model)
    rows = check_rows(plan, data)
    columns = served.rows_columns(plan, rows)
    check_dates(plan, rows, columns)
    return columns.frame()


def check_rows(plan: served.RowPlan, data: Any) -> list[dict]:
    """The request's rows (one object or a list) after checking them against the model's input
    schema; InvalidInput (400) naming the first bad row and column otherwise."""
    return checked_rows(plan, data)[0]


_SCALARS = frozenset({str, int, float, bool, type(None)})
_NUMBERS = frozenset({int, float, type(None)})


def _plain_rows(plan: served.RowPlan, rows: list) -> bool:
    """True when no row needs a closer look: each an object of known columns holding the
    required ones, each value a JSON scalar with floats finite, numeric columns numbers or null.
    Checked column by column (the common case of a many-row request); False sends the rows
    through the per-value check, which names what is wrong."""
    known, required = plan.known.keys(), plan.required_set
    for row in rows:
        if type(row) is not dict:
            return False
        keys = row.keys()
        if not (keys <= known and required <= keys):
            return False
    for name in plan.names:
        values = [row.get(name) for row in rows]
        kinds = set(map(type, values))
        if not kinds <= (_NUMBERS if name in plan.numeric else _SCALARS):
            return False
        if float in kinds and not math.isfinite(sum(v for v in values if type(v) is float)):
            return False  # a NaN or an infinity (or a sum too large: the close look decides)
        if name in plan.boolean and any(map(boolean_problem, values)):
            return False
    return True


def checked_rows(plan: served.RowPlan, data: Any) -> tuple[list[dict], bool]:
    """`check_rows`, and whether every value is a plain JSON scalar (a row is then logged as it
    came, with no JSON-safe copy)."""
    rows = [data] if isinstance(data, dict) else data
    if not isinstance(rows, list) or not rows:
        raise InvalidInput(
            "data must be an object or a non-empty list of objects.", code="bad_rows"
        )
    if len(rows) > MAX_ROWS_PER_REQUEST:
        raise InvalidInput(
            f"At most {MAX_ROWS_PER_REQUEST} rows per request; use predictions/batch for more.",
            code="too_many_rows",
        )
    if _plain_rows(plan, rows):
        return rows, True
    check_each_value(plan, rows)
    return rows, False


NOT_A_NUMBER = "not a number"
NOT_FINITE = "not finite"
NOT_A_BOOLEAN = "not a boolean"
NOT_A_DATE = "not a date"
_ROW_WORDS = {
    NOT_A_NUMBER: "must be a number (or null for a missing value)",
    NOT_FINITE: "must be a finite number",
    NOT_A_BOOLEAN: "must be true or false (or null for a missing value)",
    NOT_A_DATE: "must be a date (or null for a missing value)",
}


def _missing(value: Any) -> bool:
    """Whether a request or file value is a missing one: None, NaN or a word that means missing
    ("", "n/a", "null", ...)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return isinstance(value, str) and value.strip().lower() in NULL_TOKENS


def number_problem(value: Any, spec: dict[str, Any]) -> str | None:
    """Why a numeric column's value is no number (NOT_A_NUMBER or NOT_FINITE), read as the
    training file's text was: its separators (`text_number`), and the words that mean missing
    ("", "n/a", "null", ...) are a missing value. None when it reads or is missing."""
    if _missing(value):
        return None
    number = text_number(value, spec)
    if math.isnan(number):
        return NOT_A_NUMBER
    return None if math.isfinite(number) else NOT_FINITE


def boolean_problem(value: Any) -> str | None:
    """NOT_A_BOOLEAN when a boolean column's value is present but neither true nor false as
    training read them (`boolean_number`: true/false, yes/no, 1/0 and their kin); None when it
    reads or is missing (None, NaN, a missing-value word)."""
    if _missing(value):
        return None
    return NOT_A_BOOLEAN if math.isnan(boolean_number(value)) else None


def unread_dates(raw: pd.Series, parsed: pd.Series) -> np.ndarray:
    """Positions of a date column's values that are present but read as no date: NaT in
    `parsed` (the column as `profiling.coerce_types` reads it, the training file's formats
    included) where `raw` holds neither nothing nor a missing-value word ("", "n/a", ...)."""
    unread = np.flatnonzero(pd.isna(np.asarray(parsed)))
    if not len(unread):
        return unread
    values = raw.iloc[unread]
    words = values.astype(str).str.strip().str.lower()
    missing = values.isna().to_numpy() | words.isin(NULL_TOKENS).to_numpy()
    return unread[~missing]


def check_dates(plan: served.RowPlan, rows: list[dict], columns: Columns) -> None:
    """InvalidInput (400, `invalid_rows`) naming the first row and date column whose value reads
    as no date, with every such value in its `errors`; `columns` are the rows as
    `served.rows_columns` typed them, so each date is parsed once. Empty values and the
    missing-value words stay missing."""
    found: list[tuple[int, int, str]] = []
    for order, name in enumerate(plan.datetime):
        parsed = columns.data[name]
        if not pd.isna(np.asarray(parsed)).any():  # the usual case: every date read
            continue
        raw = pd.Series([row.get(name) for row in rows], dtype=object)
        found.extend((int(i), order, name) for i in unread_dates(raw, parsed))
    if found:
        errors = {f"data[{i}].{name}": [_ROW_WORDS[NOT_A_DATE]] for i, _, name in sorted(found)}
        first_key = next(iter(errors))
        raise InvalidInput(
            f"{first_key}: {errors[first_key][0]}.", code="invalid_rows", errors=errors
        )


def check_each_value(plan: served.RowPlan, rows: list) -> None:
    """The close look at every row and value: InvalidInput (400) naming the first bad row and
    column, with every problem found in its `errors`."""
    known = plan.known
    required = plan.required
    errors: dict[str, list[str]] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[f"data[{i}]"] = ["must be an object of column: value"]
            continue
        unknown = [k for k in row if k not in known]
        if unknown:
            errors[f"data[{i}]"] = [f"unknown columns: {', '.join(map(str, unknown))}"]
        missing = [c for c in required if c not in row]
        if missing:
            errors.setdefault(f"data[{i}]", []).append(f"missing columns: {', '.join(missing)}")
        for key, value in row.items():
            col = known.get(key)
            if col is None:
                continue
            if _bad_value(value):
                errors.setdefault(f"data[{i}].{key}", []).append("NaN or infinity is not a value")
            elif isinstance(value, (dict, list)):
                errors.setdefault(f"data[{i}].{key}", []).append("must be a single value")
            elif col.get("semantic_type") == "numeric" and value is not None:
                if isinstance(value, str):
                    problem = number_problem(value, col.get("parse") or {})
                    if problem is not None:
                        errors.setdefault(f"data[{i}].{key}", []).append(_ROW_WORDS[problem])
                elif isinstance(value, bool) or not isinstance(value, (int, float)):
                    errors.setdefault(f"data[{i}].{key}", []).append("must be a number")
            elif col.get("semantic_type") == "boolean" and boolean_problem(value) is not None:
                errors.setdefault(f"data[{i}].{key}", []).append(_ROW_WORDS[NOT_A_BOOLEAN])
    if errors:
        first_key = next(iter(errors))
        raise InvalidInput(
            f"{first_key}: {errors[first_key][0]}.", code="invalid_rows", errors=errors
        )


def _labels_and_proba(served_model: ServingModel, rows: Any) -> tuple[np.ndarray, np.ndarray]:
    """Class labels (in the type the model was trained on) and probabilities of `rows` (a frame
    or `Columns`), in one pass through the model where possible.

    Every classifier in the catalogue (and the blend) predicts its most probable class, so the
    labels are read off the probabilities, except an `SVC(probability=True)`'s (saved before
    the catalogue moved to `PlattSVC`): they come from its decision function and can disagree
    with its Platt-scaled probabilities, so it is asked twice.
    """
    served_model = _as_serving(served_model)
    proba = served_model.predict_proba(rows)
    if isinstance(served_model.final, SVC):
        return served_model.predict(rows), proba
    return np.asarray(served_model.classes_)[np.argmax(proba, axis=1)], proba


def _as_serving(fitted: Any) -> ServingModel:
    """`fitted` as a ServingModel (a fitted object is served as trained)."""
    if isinstance(fitted, ServingModel):
        return fitted
    return ServingModel(model=fitted, original=fitted, path=SKLEARN)


def _probabilistic(model: TrainedModel, served_model: ServingModel) -> bool:
    return model.problem_type == "classification" and hasattr(served_model.model, "predict_proba")


def _score(model: TrainedModel, served_model: ServingModel, rows: Any, with_proba: bool):
    served_model = _as_serving(served_model)
    probabilities = None
    if with_proba and _probabilistic(model, served_model):
        predictions, proba = _labels_and_proba(served_model, rows)
        probabilities = probability_dicts(served_model.classes_, proba)
    else:
        predictions = served_model.predict(rows)
    return plain_values(predictions), probabilities


def new_prediction_ids(n: int) -> list[uuid.UUID]:
    """`n` random (version 4) prediction ids from one read of the system's random source."""
    raw = os.urandom(16 * n)
    return [uuid.UUID(bytes=raw[i : i + 16], version=4) for i in range(0, 16 * n, 16)]


def probability_dicts(classes: Any, proba: Any) -> list[dict[str, float]]:
    """One `{class: probability}` per row, rounded to 6 decimals, keyed as labels are."""
    keys = [label_key(c) for c in classes]
    table = np.round(np.asarray(proba, dtype="float64"), 6).tolist()
    return [dict(zip(keys, row, strict=True)) for row in table]


def plain_values(values: Any) -> list:
    """Model outputs as JSON-safe Python values (missing ones None), a whole array at a time
    where its type allows."""
    array = np.asarray(values)
    if array.dtype.kind in "iub" or (array.dtype.kind == "f" and np.isfinite(array).all()):
        return array.tolist()
    out = array.tolist()
    if array.dtype.kind in "OU" and all(type(v) is str for v in out):
        return out
    return [json_safe(v) for v in out]


# ---------------------------------------------------------------- single / realtime
def predict_rows(
    *,
    user,
    model: TrainedModel | None = None,
    model_id: Any = None,
    data: Any,
    return_probabilities: bool = False,
    source: str = "api",
) -> dict[str, Any]:
    """Predict one or more rows with a deployed model and log each prediction (in bulk, off the
    request path). The model (by `model_id`, as `user` may see it, or the given `model`) and its
    deployment come from this process's serving cache (`predictions.served`).

    Raises NotFound (404) for a model `user` may not see, ModelNotDeployed (409) for a model not
    in service and InvalidInput (400) for bad rows.
    """
    entry = served.served_get(user=user, model_id=model.pk if model is not None else model_id)
    model = entry.model
    if not entry.deployed:
        raise ModelNotDeployed(
            "The model is not deployed; deploy it before asking for predictions."
        )
    entry.kind.rows_allowed("ask predictions/forecast for its forecast.")
    started = time.perf_counter()
    channel = "websocket" if source == "websocket" else "rest"
    try:
        rows, plain = checked_rows(entry.plan, data)
        columns = served.rows_columns(entry.plan, rows)
        check_dates(entry.plan, rows, columns)
        served_model = served.served_fitted(entry)
        try:
            predictions, probabilities = _score(model, served_model, columns, return_probabilities)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(
                f"The rows could not be scored: {exc}", code="unscorable_rows"
            ) from None
    except Exception as exc:
        _log_failure(user, model, channel, source, exc, started)
        raise
    latency = (time.perf_counter() - started) * 1000
    return _answer(user, model, rows, plain, predictions, probabilities, latency, channel, source)


def _answer(user, model, rows, plain, predictions, probabilities, latency, channel, source) -> dict:
    """The answer of one request, after queueing its log entries (written in bulk off the
    request path; their ids are made here). `plain` rows hold only JSON scalars and are logged
    as they came."""
    ids = new_prediction_ids(len(rows))
    now = timezone.now()
    each_ms = latency / len(rows)
    probas = probabilities or [None] * len(rows)
    entries = [
        LogEntry(
            owner_id=user.pk,
            model_id=model.pk,
            channel=channel,
            source=source,
            inputs=row if plain else json_safe(row),
            prediction=pred,
            probabilities=proba,
            latency_ms=each_ms,
            id=pid,
            created_at=now,
        )
        for row, pred, proba, pid in zip(rows, predictions, probas, ids, strict=True)
    ]
    prediction_log.add(entries)
    answer: dict[str, Any] = {
        "model_id": model.pk,
        "predictions": predictions,
        "prediction_ids": [str(pid) for pid in ids],
        "latency_ms": round(latency, 3),
    }
    if probabilities is not None:
        answer["probabilities"] = probabilities
    return answer


def predict_many(*, user, messages: list[dict[str, Any]], source: str = "websocket") -> list:
    """Answer several prediction messages (`{model_id, data, return_probabilities?}`) at once:
    each is checked on its own, then the rows of every message for the same model are scored
    in one pass through it. Returns, in message order, each answer (as `predict_rows` gives it)
    or the VURError that message gets. Logs like `predict_rows`."""
    started = time.perf_counter()
    channel = "websocket" if source == "websocket" else "rest"
    out: list[Any] = [None] * len(messages)
    entries: dict[Any, served.Served | VURError] = {}
    groups: dict[tuple, list[tuple[int, list[dict], bool]]] = {}
    for i, message in enumerate(messages):
        model_id = message.get("model_id")
        key = model_id if isinstance(model_id, int) and not isinstance(model_id, bool) else None
        try:
            if key is None:
                raise InvalidInput("model_id must be an integer.", code="bad_model_id")
            if key not in entries:
                try:
                    entries[key] = served.served_get(user=user, model_id=key)
                except VURError as exc:
                    entries[key] = exc
            entry = entries[key]
            if isinstance(entry, VURError):
                raise entry
        except VURError as exc:
            out[i] = exc
            continue
        try:
            if not entry.deployed:
                raise ModelNotDeployed(
                    "The model is not deployed; deploy it before asking for predictions."
                )
            entry.kind.rows_allowed("send observations for its forecast.")
            rows, plain = checked_rows(entry.plan, message.get("data"))
        except VURError as exc:
            _log_failure(user, entry.model, channel, source, exc, started)
            out[i] = exc
            continue
        proba = bool(message.get("return_probabilities", True))
        groups.setdefault((key, proba), []).append((i, rows, plain))
    for (key, proba), items in groups.items():
        entry = entries[key]
        _score_group(user, entry, proba, items, out, channel, source, started)
    return out


def _score_group(user, entry, proba, items, out, channel, source, started) -> None:
    """Score the rows of several messages for one model in one pass; on a scoring error, each
    message alone (so only the messages at fault get the error)."""
    model = entry.model
    try:
        served_model = served.served_fitted(entry)
        rows = [row for _, part, _ in items for row in part]
        columns = served.rows_columns(entry.plan, rows)
        try:
            check_dates(entry.plan, rows, columns)
            preds, probas = _score(model, served_model, columns, proba)
        except (ValueError, TypeError, InvalidInput):
            if len(items) == 1:
                raise
            for item in items:
                _score_group(user, entry, proba, [item], out, channel, source, started)
            return
    except Exception as exc:
        if isinstance(exc, (ValueError, TypeError)):
            exc = InvalidInput(f"The rows could not be scored: {exc}", code="unscorable_rows")
        if not isinstance(exc, VURError):
            logger.exception("prediction of model %s failed", model.pk)
        _log_failure(user, model, channel, source, exc, started)
        for i, _, _ in items:
            out[i] = exc
        return
    latency = (time.perf_counter() - started) * 1000
    at = 0
    for i, part, plain in items:
        n = len(part)
        out[i] = _answer(
            user, model, part, plain, preds[at : at + n], probas[at : at + n] if probas else None,
            latency, channel, source,
        )  # fmt: skip
        at += n


# ---------------------------------------------------------------- forecast
def forecast(
    *,
    user,
    model: TrainedModel,
    horizon: int | None = None,
    levels: list[float] | None = None,
    series_id: Any = None,
    observations: list[dict[str, Any]] | None = None,
    channel: str = "rest",
    record: bool = True,
) -> dict[str, Any]:
    """The next `horizon` timestamps, point forecasts and intervals from a deployed forecaster,
    after applying new `observations` ({timestamp, value, series_id?}) to its live state.

    Writes the advanced state, the observations as actuals and the forecast records (see
    `predictions.live.forecast_live`); a refused batch writes nothing. `record=False` (no
    observations) writes nothing at all: the model page's live chart, which monitoring must not
    count as served predictions.
    """
    from predictions import live

    kind = served_model_of(model)
    if not kind.forecaster:
        _require_deployed(model)  # 409 before 400, as for rows
    kind.forecast_allowed()
    return live.forecast_live(  # answers 409 model_not_deployed itself
        user=user,
        model=model,
        fitted=load_model(model),
        horizon=horizon,
        levels=levels,
        series_id=series_id,
        observations=observations,
        channel=channel,
        record=record,
    )


def forecast_observation_check(
    *, model: TrainedModel, timestamp: Any, series_id: Any = None, value: Any = None
) -> dict[str, Any]:
    """What one observation at `timestamp` would do to a deployed forecaster's live state,
    by the checks `forecast` applies, without writing anything (see
    `predictions.live.observation_check`). Raises as `forecast` does for the model."""
    from predictions import live

    kind = served_model_of(model)
    if not kind.forecaster:
        _require_deployed(model)
    kind.forecast_allowed()
    return live.observation_check(
        model=model,
        fitted=load_model(model),
        timestamp=timestamp,
        series_id=series_id,
        value=value,
    )


def forecast_live_history(*, model: TrainedModel, series_id: Any = None) -> dict[str, Any]:
    """The steps a deployed forecaster's live state took after its training history, observed
    or filled (see `predictions.live.live_history`). Read-only."""
    from predictions import live

    kind = served_model_of(model)
    if not kind.forecaster:
        _require_deployed(model)
    kind.forecast_allowed()
    return live.live_history(model, load_model(model), series_id)


def _iso_utc(stamp: str) -> str:
    """An ISO timestamp with its zone: a naive one is read as UTC (the server's zone)."""
    parsed = pd.Timestamp(stamp)
    return (parsed.tz_localize("UTC") if parsed.tzinfo is None else parsed).isoformat()


def _with_time_zone(out: dict[str, Any]) -> dict[str, Any]:
    """Give every forecast timestamp a zone, as the API contract writes times."""
    if "timestamps" in out:
        out["timestamps"] = [_iso_utc(s) for s in out["timestamps"]]
    for series in out.get("series") or []:
        series["timestamps"] = [_iso_utc(s) for s in series.get("timestamps", [])]
    return out


# ---------------------------------------------------------------- feedback
def _log_failure(user, model: TrainedModel, channel: str, source: str, exc, started) -> None:
    """Count a failed prediction request against the model (error rate); never raises."""
    code = getattr(exc, "code", None) or "server_error"
    try:
        prediction_log.add(
            [
                LogEntry(
                    owner_id=user.pk,
                    model_id=model.pk,
                    channel=channel,
                    source=source,
                    inputs={},
                    error_code=str(code)[:64],
                    latency_ms=(time.perf_counter() - started) * 1000,
                )
            ]
        )
    except Exception:
        logger.exception("prediction log: a failed request could not be recorded")


def _find_records(user, keys: set[uuid.UUID]) -> dict[uuid.UUID, PredictionRecord]:
    """The user's served records among `keys`, by id. Flushes this process's log when some are
    missing (and, for ids another process may still hold, waits one flush interval)."""
    from vur.models import owned_by

    # Not the inputs (only the checks' fields), and each model loaded once, not once per row.
    records = owned_by(PredictionRecord.objects.defer("inputs"), user)
    found: dict[uuid.UUID, PredictionRecord] = {}
    models: dict[Any, TrainedModel] = {}

    def look() -> None:
        missing = [k for k in keys if k not in found]
        for i in range(0, len(missing), 5_000):
            part = list(records.filter(pk__in=missing[i : i + 5_000], error_code=""))
            new = {r.model_id for r in part} - set(models)
            models.update(TrainedModel.objects.in_bulk(new) if new else {})
            for r in part:
                r.model = models[r.model_id]
                found[r.pk] = r

    attempts = 2 if settings.VUR_PREDICTION_LOG_ASYNC else 1
    for attempt in range(attempts):
        look()
        if len(found) == len(keys):
            break
        if prediction_log.flush():
            look()
            if len(found) == len(keys):
                break
        if attempt + 1 < attempts:
            time.sleep(settings.VUR_PREDICTION_LOG_FLUSH_S + 0.25)
    return found


def _prediction_key(prediction_id: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(prediction_id).strip())
    except (ValueError, TypeError, AttributeError):
        return None


def _find_record(user, prediction_id) -> PredictionRecord:
    """The user's record `prediction_id`, flushing this process's log (and, for an id another
    process may still hold, waiting one flush interval) before answering NotFound."""
    key = _prediction_key(prediction_id)
    record = _find_records(user, {key}).get(key) if key is not None else None
    if record is None:
        raise NotFound(
            f"Prediction {prediction_id} not found; feedback needs the id of a served prediction.",
            code="prediction_not_found",
        )
    return record


def feedback_actual(record: PredictionRecord, actual: Any) -> Any:
    """`actual` as stored for the served prediction `record`: a classifier's actual as the
    model's own label (1 for "1", true for "true") so it compares equal, a regressor's number
    written as text as that number. InvalidInput when it is none (or the record is a forecast)."""
    if _bad_value(actual) or isinstance(actual, (dict, list)):
        raise InvalidInput("actual must be a single finite value.", code="bad_actual")
    problem = record.model.problem_type
    served_model_of(record.model).feedback_allowed()
    if record.source == "forecast":
        raise InvalidInput(
            "For a forecast send {model_id, timestamp, actual, series_id?}.", code="use_forecast"
        )
    if problem == "regression":
        try:
            number = float(actual)
        except (TypeError, ValueError):
            raise InvalidInput(
                "actual must be a number for a regression model.", code="bad_actual"
            ) from None
        if not math.isfinite(number) or isinstance(actual, bool):
            raise InvalidInput("actual must be a finite number.", code="bad_actual")
        return number if isinstance(actual, str) else actual
    if problem == "classification":
        if actual is None:
            raise InvalidInput("actual must be one class label.", code="bad_actual")
        actual = label_like(actual, record.model.classes)
        _require_class(actual, record.model.classes)
    return actual


def _feedback_save(pairs: list[tuple[PredictionRecord, Any]]) -> list[PredictionRecord]:
    """Store checked actuals `(record, actual)` of one problem type and move them in the
    monitoring rollups, in one transaction; a record that had an actual has it replaced."""
    if not pairs:
        return []
    problem = pairs[0][0].model.problem_type
    now = timezone.now()
    with transaction.atomic():
        locking = PredictionRecord.objects.select_for_update().defer("inputs")
        locked = locking.in_bulk([r.pk for r, _ in pairs])
        changes = []
        for record, actual in pairs:
            row = locked[record.pk]
            changes.append((row, row.actual if row.feedback_at else None))
            row.actual, row.feedback_at, row.updated_at = actual, now, now
        rows = [row for row, _old in changes]
        if len(rows) == 1:
            rows[0].save(update_fields=["actual", "feedback_at", "updated_at"])
        else:
            _feedback_update(rows, now)
        rollup_feedback_many(changes, problem)
    return rows


def _feedback_update(rows: list[PredictionRecord], now) -> None:
    """Write the rows' new actuals: on PostgreSQL one UPDATE joined to the ids and values (the
    ORM's bulk_update, a CASE per row, took 10 s for 10,000), else bulk_update."""
    if connection.vendor != "postgresql":
        PredictionRecord.objects.bulk_update(rows, ["actual", "feedback_at", "updated_at"], 1_000)
        return
    quote = connection.ops.quote_name
    meta = PredictionRecord._meta
    table = quote(meta.db_table)
    column = {f.name: quote(str(f.column)) for f in meta.concrete_fields}
    sql = (
        f"UPDATE {table} SET {column['actual']} = v.actual::jsonb, {column['feedback_at']} = %s, "
        f"{column['updated_at']} = %s FROM unnest(%s::uuid[], %s::text[]) AS v(id, actual) "
        f"WHERE {table}.{column['id']} = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, [r.pk for r in rows], [json.dumps(r.actual) for r in rows]])


def prediction_feedback(
    *, user, prediction_id, actual: Any, model_id: int | None = None
) -> PredictionRecord:
    """Record the ground truth of a served prediction (for live metrics) and add it to the
    monitoring rollups. Repeating overwrites the earlier actual (its contribution is replaced).
    With `model_id`, a prediction of another model is not found (a model page's form)."""
    record = _find_record(user, prediction_id)
    if model_id is not None and record.model_id != model_id:
        raise NotFound(
            "This model made no prediction with that id; nothing was recorded.",
            code="prediction_not_found",
        )
    return _feedback_save([(record, feedback_actual(record, actual))])[0]


MAX_SHOWN_PROBLEMS = 5


def actuals_refused(problems: list[tuple[str, str]], what: str = "row") -> InvalidInput:
    """The 400 refusing a set of actuals for its `(where, why)` problems (`where` such as "row
    3", each a `what`), naming the first few; nothing of the set is recorded."""
    first = problems[:MAX_SHOWN_PROBLEMS]
    # The whole answer says nothing was recorded; a reason that says it too does not repeat it.
    reasons = [why.rstrip(".").removesuffix("; nothing was recorded") for _where, why in first]
    shown = "; ".join(f"{where}: {why}" for (where, _why), why in zip(first, reasons, strict=True))
    more = len(problems) - len(first)
    rest = f"; and {more} more {what}{'s' if more > 1 else ''}" if more > 0 else ""
    count = f"1 {what} has a problem" if len(problems) == 1 else f"{len(problems)} {what}s have"
    return InvalidInput(
        f"Nothing was recorded: {count}{'' if len(problems) == 1 else ' problems'}. "
        f"{shown[0].upper()}{shown[1:]}{rest}.",
        code="bad_actuals",
        errors={where: why for (where, _why), why in zip(first, reasons, strict=True)},
    )


def prediction_feedback_many(
    *, user, model: TrainedModel, items: list[tuple[str, Any, Any]]
) -> list[PredictionRecord]:
    """Record many actuals of served predictions of `model`, all or nothing: `items` are
    `(where, prediction_id, actual)`, `where` naming the item in errors ("row 3"). Every item is
    checked first as `prediction_feedback` checks one (an id of another user, another model or
    none counts as unknown or is refused, as is an id given twice); on any problem InvalidInput
    names the first few and nothing is recorded, else all are stored in one transaction."""
    if not items:
        raise InvalidInput("Send at least one actual.", code="bad_feedback")
    keys = [_prediction_key(pid) for _where, pid, _actual in items]
    found = _find_records(user, {k for k in keys if k is not None})
    problems: list[tuple[str, str]] = []
    pairs: list[tuple[PredictionRecord, Any]] = []
    seen: dict[uuid.UUID, str] = {}
    for (where, pid, actual), key in zip(items, keys, strict=True):
        record = found.get(key) if key is not None else None
        if key is None or record is None:
            shown = _shown(pid) if not _missing(pid) else None
            why = (
                f"no prediction of yours has the id {shown}" if shown else "prediction_id is empty"
            )
            problems.append((where, why))
            continue
        if record.model_id != model.pk:
            other = str(record.model)  # as its page names it
            problems.append((where, f"prediction {key} was made by another model ({other})"))
            continue
        if key in seen:
            problems.append((where, f"prediction {key} is already on {seen[key]}"))
            continue
        seen[key] = where
        if actual is None or (_bad_value(actual) and math.isnan(actual)) or not str(actual).strip():
            problems.append((where, "actual is empty"))
            continue
        try:
            pairs.append((record, feedback_actual(record, actual)))
        except InvalidInput as exc:
            problems.append((where, str(exc.detail)))
    if problems:
        raise actuals_refused(problems)
    return _feedback_save(pairs)


def _require_class(actual: Any, classes: list | None) -> None:
    """Refuse a classification actual that is none of the model's classes (a typo such as
    "Adelei", an empty text, 0.5 for a 0/1 label): taken, it counted as a miss of a class no
    prediction can be, and moved the live accuracy, F1 and the metric-drop alert. Models saved
    without their classes take any label."""
    if not classes or any(type(actual) is type(c) and actual == c for c in classes):
        return
    named = ", ".join(json.dumps(c) for c in classes)
    raise InvalidInput(
        f"actual {json.dumps(actual)} is not one of the classes the model was trained on "
        f"({named}); nothing was recorded.",
        code="unknown_class",
    )


def forecast_feedback(
    *, user, items: list[dict[str, Any]], single: bool = False
) -> list[dict[str, Any]]:
    """Record actuals `{model_id, timestamp, actual, series_id?}` of forecasting models, matched
    by monitoring to every forecast made for those timestamps. All or nothing; a repeat updates
    the value. NotFound for another user's model, InvalidInput for a bad item (named by its
    position in the list, unless the request sent one object: `single`)."""
    from modeling.selectors import trained_model_get
    from predictions import live

    if not items:
        raise InvalidInput("Send at least one actual.", code="bad_feedback")
    groups: dict[Any, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(item["model_id"], []).append(item)
    out: list[dict[str, Any]] = []
    with transaction.atomic():
        for model_id, group in groups.items():
            model = trained_model_get(user=user, model_id=model_id)
            if not served_model_of(model).forecaster:
                raise InvalidInput(
                    f"Model {model_id} is not a forecaster; send {{prediction_id, actual}}.",
                    code="not_a_forecaster",
                )
            out += live.forecast_feedback(
                user=user, model=model, fitted=load_model(model), items=group, single=single
            )
    return out


# ---------------------------------------------------------------- batch
def batch_job_capacity_check(*, user) -> None:
    """Refuse (429) a new batch job while `user` has as many queued or running as allowed."""
    jobs.active_jobs_cap_check(
        BatchJob.objects.filter(owner=user), what="batch", hint="wait for one to finish"
    )


def upload_format(upload: Any) -> str:
    """The format of an uploaded file to read (its name's), refusing one of no known format
    (400), larger than the upload limit (413) or empty (400) before it is read."""
    try:
        fmt = dio.detect_format(upload.name or "")
    except dio.DatasetReadError as exc:
        raise InvalidInput(str(exc), code="unsupported_format") from None
    if upload.size and upload.size > max_upload_bytes():
        raise PayloadTooLarge(
            f"The file is larger than the {settings.VUR_MAX_UPLOAD_MB} MB upload limit."
        )
    if not upload.size:
        raise InvalidInput("The file is empty.", code="empty_file")
    return fmt


def batch_start(
    *,
    owner,
    model: TrainedModel,
    upload: File,
    columns: list[str] | None = None,
    probabilities: bool = True,
) -> BatchJob:
    """Store the uploaded file and queue its scoring after commit. Not idempotent.

    The result holds `prediction`, one `proba_<class>` per class when `probabilities` (and the
    model is a classifier), and the input `columns` named (all of them when None); a column the
    file lacks is a 400 and nothing is stored.
    """
    batch_job_capacity_check(user=owner)
    _require_deployed(model)
    served_model_of(model).batch_allowed()
    fmt = upload_format(upload)
    output: dict[str, Any] = {"probabilities": bool(probabilities)}
    _check_first_chunk(model, upload, fmt, columns or [])
    if columns is not None:
        output["columns"] = list(columns)
    job = BatchJob(owner=owner, model=model, input_format=fmt, output=output)
    job.input_file.save((upload.name or "").rsplit("/", 1)[-1], upload, save=False)
    failures: list[Exception] = []
    try:
        with transaction.atomic():
            jobs.hold_owner(owner)
            batch_job_capacity_check(user=owner)  # again, now that this user's starts queue up
            job.save()
            transaction.on_commit(partial(_batch_enqueue_or_fail, job.pk, failures))
    except Exception:
        job.input_file.delete(save=False)
        raise
    if failures:  # the commit ran the callback here: tell the caller the job could not start
        raise ServiceUnavailable(
            "The task queue is unreachable, so the scoring could not be started; the job is "
            "marked failed. Try again when the broker is back.",
            code="broker_unavailable",
        )
    job.refresh_from_db()
    return job


def batch_job_files(job: BatchJob) -> list[str]:
    """Storage names of a batch job's files: its input, its result and anything else in its
    folder."""
    folder = f"batch/{job.owner_id}/{job.pk}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError, OSError):
        files = []
    stored = [job.input_file.name, job.result_file, *[f"{folder}/{f}" for f in files]]
    return list(dict.fromkeys(name for name in stored if name))


def batch_job_delete_refusal(*, job: BatchJob) -> str:
    """Why `batch_job_delete` would refuse now (the job is queued or running); "" otherwise."""
    active = (BatchJob.Status.QUEUED, BatchJob.Status.RUNNING)
    status = BatchJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
    if status in active:
        return f"Batch job {job.pk} is {status}: let it finish, then delete it."
    return ""


def batch_job_delete(*, job: BatchJob) -> None:
    """Delete a finished batch job; its input and result files go once the deletion commits.
    Safe to repeat. Conflict (409, `batch_job_active`) while it is queued or running."""
    with transaction.atomic():
        row = BatchJob.objects.select_for_update().filter(pk=job.pk).first()
        if row is None:
            return
        why = batch_job_delete_refusal(job=row)
        if why:
            raise Conflict(why, code="batch_job_active")
        files = batch_job_files(row)
        row.delete()
        transaction.on_commit(partial(storage_delete_files, files))


def _check_first_chunk(model: TrainedModel, upload: File, fmt: str, columns: list[str]) -> None:
    """InvalidInput (400) when the file's first chunk shows the job would fail: no rows to
    score, a pass-through column or a model column it lacks, or values its numeric, boolean or
    date columns cannot read (the worker checks the rest of a larger file the same way)."""
    try:
        upload.seek(0)
        with closing(
            dio.iter_chunks(upload, fmt, chunksize=settings.VUR_BATCH_CHUNK_ROWS)
        ) as chunks:
            first = next(iter(chunks), None)
    except dio.DatasetReadError as exc:
        raise InvalidInput(str(exc), code="unreadable_file") from None
    finally:
        upload.seek(0)
    present = set(map(str, first.columns)) if first is not None else set()
    unknown = [c for c in columns if c not in present]
    if unknown:
        raise InvalidInput(
            f"The file has no column {', '.join(map(repr, unknown))} to copy into the result.",
            code="unknown_columns",
        )
    if first is None or first.empty:
        # A header alone (or nothing but blank lines) would queue a job with nothing to score.
        raise InvalidInput(
            "The file has no rows to score: only "
            + ("a header line." if first is not None and len(first.columns) else "blank lines."),
            code="no_rows",
        )
    plan = served.RowPlan.of(model)
    missing = [c for c in plan.required if c not in present]
    if missing:
        raise InvalidInput(
            f"The file lacks the model's columns: {', '.join(missing)}.", code="missing_columns"
        )
    unreadable = UnreadableValues(plan, fmt)
    unreadable.scan(first, 0)
    if unreadable:
        more = len(first) >= settings.VUR_BATCH_CHUNK_ROWS
        raise unreadable.error(checked=len(first) if more else None)


class UnreadableValues:
    """The values of a batch file's numeric, boolean and date columns that are present but read
    as no number, as neither true nor false or as no date (the readers of `single`:
    `number_problem`, `boolean_problem` and `unread_dates`), counted per column with the first
    one and its row. An empty cell or a missing-value word stays a missing value."""

    def __init__(self, plan: served.RowPlan, fmt: str) -> None:
        self.infos = {n: plan.infos[n] for n in plan.names if n in plan.numeric}
        self.booleans = [n for n in plan.names if n in plan.boolean]
        self.dates = {n: plan.infos[n] for n in plan.datetime}
        # Rows as a spreadsheet numbers them (the header is row 1) in text and Excel files.
        self.first_row = 2 if fmt in ("csv", "xlsx") else 1
        self.found: dict[tuple[str, str], list[Any]] = {}  # (column, problem) -> [n, value, row]

    def __bool__(self) -> bool:
        return bool(self.found)

    def scan(self, chunk: pd.DataFrame, start: int, typed: pd.DataFrame | None = None) -> None:
        """Count the unreadable values of `chunk`, whose first row is row `start` (from 0) of
        the file; `typed` is the chunk after `profiling.coerce_types` when already done."""
        for name, info in self.infos.items():
            if name not in chunk.columns:
                continue
            raw = chunk[name]
            if typed is not None and name in typed.columns:
                numbers = typed[name]
            else:
                numbers = profiling.coerce_types(raw.to_frame(), [info])[name]
            suspects = raw.notna().to_numpy() & ~np.isfinite(numbers.to_numpy(dtype="float64"))
            spec = info.get("parse") or {}
            for pos in np.flatnonzero(suspects).tolist():
                self._count(name, number_problem(raw.iat[pos], spec), raw.iat[pos], start + pos)
        for name in self.booleans:
            if name not in chunk.columns:
                continue
            raw = chunk[name]
            suspects = raw.notna().to_numpy() & np.isnan(boolean_column(raw))
            for pos in np.flatnonzero(suspects).tolist():
                self._count(name, boolean_problem(raw.iat[pos]), raw.iat[pos], start + pos)
        for name, info in self.dates.items():
            if name not in chunk.columns:
                continue
            raw = chunk[name]
            if typed is not None and name in typed.columns:
                parsed = typed[name]
            else:
                parsed = profiling.coerce_types(raw.to_frame(), [info])[name]
            bad = unread_dates(raw, parsed)
            if len(bad):
                first = int(bad[0])
                self._count(name, NOT_A_DATE, raw.iat[first], start + first, len(bad))

    def _count(
        self, name: str, problem: str | None, value: Any, index: int, count: int = 1
    ) -> None:
        """Count `count` unreadable values (`problem` None: they read after all), the first of
        them `value` at file row `index`."""
        if problem is not None:
            row = self.first_row + index
            self.found.setdefault((name, problem), [0, value, row])[0] += count

    def error(self, checked: int | None = None) -> InvalidInput:
        """The 400 naming each column, how many values it cannot read and the first one;
        `checked` is the number of rows read when only the start of the file was."""
        words = {
            NOT_A_NUMBER: ("value is not a number", "values are not numbers"),
            NOT_FINITE: ("value is not a finite number", "values are not finite numbers"),
            NOT_A_BOOLEAN: ("value is not true or false", "values are not true or false"),
            NOT_A_DATE: ("value is not a date", "values are not dates"),
        }
        errors: dict[str, list[str]] = {}
        for (name, problem), (count, value, row) in self.found.items():
            what = words[problem][count != 1]
            errors.setdefault(name, []).append(f"{count} {what}, e.g. {_shown(value)} in row {row}")
        parts = "; ".join(f"{name}: {', '.join(msgs)}" for name, msgs in errors.items())
        scope = f" in the first {checked} rows" if checked else ""
        return InvalidInput(
            f"The file has values{scope} that its columns cannot read, so no predictions are kept: "
            f"{parts}. Correct them, or leave a cell empty for a missing value.",
            code="unreadable_values",
            errors=errors,
        )


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _publish_batch(job: BatchJob) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(
        batch_group(job.pk),
        {
            "type": "batch.progress",
            "event": {
                "job_id": str(job.pk),
                "status": job.status,
                "progress": job.progress,
                "rows_done": job.rows_done,
                "rows_total": job.rows_total,
                "error": job.error,
            },
        },
    )


def _batch_enqueue(job_id) -> None:
    """Hand batch job `job_id` to the broker and record the task id; raises if it is down."""
    from predictions.tasks import run_batch_job

    result = run_batch_job.apply_async(args=[str(job_id)], queue="scoring")
    BatchJob.objects.filter(pk=job_id).update(celery_task_id=result.id, enqueued_at=timezone.now())


def _batch_end(job_id, status: str, *, only_from: tuple[str, ...], where=None, **fields) -> bool:
    """Conditionally move a batch job to a terminal status and publish it; True if this call did."""
    rows = BatchJob.objects.filter(pk=job_id, status__in=only_from)
    if where is not None:
        rows = rows.filter(where)
    if not rows.update(status=status, completed_at=timezone.now(), **fields):
        return False
    _publish_batch(BatchJob.objects.get(pk=job_id))
    return True


def _batch_enqueue_or_fail(job_id, failures: list[Exception]) -> None:
    """After commit: enqueue, or end the job failed when the broker is down (noted in failures)."""
    try:
        _batch_enqueue(job_id)
    except Exception as exc:
        logger.exception("could not enqueue batch job %s", job_id)
        failures.append(exc)
        reason = f"The job could not be queued: the task broker was unreachable ({exc})."
        _batch_end(
            job_id, BatchJob.Status.FAILED, only_from=(BatchJob.Status.QUEUED,), error=reason
        )


def _batch_stale(before) -> Q:
    return Q(heartbeat_at__lt=before) | Q(heartbeat_at__isnull=True, started_at__lt=before)


def _batch_reap_running(job: BatchJob, before) -> bool:
    when = (job.heartbeat_at or job.started_at or job.created_at).isoformat(timespec="seconds")
    error = (
        f"The worker scoring this file stopped responding (last heartbeat {when} on "
        f"{job.worker or 'an unknown worker'}): it was killed or lost. Start the batch again."
    )
    ended = _batch_end(
        job.pk,
        BatchJob.Status.FAILED,
        only_from=(BatchJob.Status.RUNNING,),
        where=_batch_stale(before),
        error=error,
    )
    if ended:
        logger.warning("reaped batch job %s (worker %s, last beat %s)", job.pk, job.worker, when)
    return ended


def batch_jobs_reap(*, now=None) -> dict[str, int]:
    """End batch jobs whose worker died; re-send queued ones whose broker message was lost.

    Same rules as training's reaper (`VUR_JOB_STALE_AFTER_S`, `VUR_QUEUED_GRACE_S`,
    `VUR_ENQUEUE_MAX_ATTEMPTS`); every change is conditional, so it is safe to repeat.
    """
    from vur.jobs import broker_task_ids

    now = now or timezone.now()
    before = now - timedelta(seconds=settings.VUR_JOB_STALE_AFTER_S)
    counts = {"reaped": 0, "resent": 0, "failed": 0}
    for job in BatchJob.objects.filter(status=BatchJob.Status.RUNNING).filter(_batch_stale(before)):
        counts["reaped"] += _batch_reap_running(job, before)
    grace = now - timedelta(seconds=settings.VUR_QUEUED_GRACE_S)
    queued = list(
        BatchJob.objects.filter(status=BatchJob.Status.QUEUED, created_at__lt=grace).filter(
            Q(enqueued_at__lt=grace) | Q(enqueued_at__isnull=True)
        )
    )
    waiting = broker_task_ids(["scoring"]) if queued else None
    known = waiting or set()
    for job in queued if waiting is not None else []:
        if job.celery_task_id and job.celery_task_id in known:
            continue
        if job.enqueue_attempts >= settings.VUR_ENQUEUE_MAX_ATTEMPTS:
            lost = job.enqueue_attempts
            error = f"The job never reached a worker: its message was lost {lost} times."
            counts["failed"] += _batch_end(
                job.pk, BatchJob.Status.FAILED, only_from=(BatchJob.Status.QUEUED,), error=error
            )
        elif BatchJob.objects.filter(
            pk=job.pk, status=BatchJob.Status.QUEUED, enqueue_attempts=job.enqueue_attempts
        ).update(enqueue_attempts=job.enqueue_attempts + 1, enqueued_at=now):
            try:
                _batch_enqueue(job.pk)
                counts["resent"] += 1
            except Exception:
                logger.exception("could not re-send batch job %s", job.pk)
    return counts


def batch_run(*, job_id) -> None:
    """Score a batch file chunk by chunk into a result CSV; ends completed or failed with a reason.

    Safe on redelivery: only the call that claims the queued job runs (a redelivered task leaves
    a running job to its worker, or to the reaper when that worker died). While it runs, a
    background thread beats on its row.
    """
    from vur.jobs import Heartbeat, worker_identity

    now = timezone.now()
    if not BatchJob.objects.filter(pk=job_id, status=BatchJob.Status.QUEUED).update(
        status=BatchJob.Status.RUNNING, started_at=now, heartbeat_at=now, worker=worker_identity()
    ):
        return
    with Heartbeat(BatchJob, job_id, settings.VUR_HEARTBEAT_S):
        _batch_run_claimed(job_id)


def _batch_run_claimed(job_id) -> None:
    job = BatchJob.objects.select_related("model").get(pk=job_id)
    try:
        with tempfile.TemporaryDirectory(prefix="vur-batch-") as tmp:
            result_path = os.path.join(tmp, "predictions.csv")
            summaries: list[LogEntry] = []
            with open(result_path, "w", newline="") as out:
                done = _score_file(job, out, summaries)
            if done == 0:
                raise InvalidInput("The file has no rows to score.")
            from django.core.files.storage import default_storage

            with open(result_path, "rb") as result:
                name = default_storage.save(
                    f"batch/{job.owner_id}/{job.pk}/predictions.csv", File(result)
                )
        with transaction.atomic():
            # Conditional: a job the reaper already ended stays ended.
            BatchJob.objects.filter(pk=job.pk, status=BatchJob.Status.RUNNING).update(
                status=BatchJob.Status.COMPLETED,
                result_file=name,
                progress=1.0,
                completed_at=timezone.now(),
            )
            prediction_log_write(summaries)
    except Exception as exc:
        if isinstance(exc, (VURError, dio.DatasetReadError)):  # a readable reason (e.g. 409s)
            message = str(exc)
        else:
            logger.exception("batch job %s failed", job.pk)
            message = f"Scoring failed: {type(exc).__name__}: {exc}"
        BatchJob.objects.filter(pk=job.pk, status=BatchJob.Status.RUNNING).update(
            status=BatchJob.Status.FAILED, error=message, completed_at=timezone.now()
        )
    finally:
        job.refresh_from_db()
        _publish_batch(job)


BATCH_SAMPLE_ROWS = 200
BATCH_PROGRESS_ROWS = 10_000  # rows scored between two progress updates within a chunk


def _batch_chunk_entry(
    job: BatchJob, typed: pd.DataFrame, preds: Any, elapsed_ms: float, index: int
) -> LogEntry:
    """One log entry summarising a scored chunk: row count, time, the distribution of the
    outputs, per-column figures and a uniform sample of rows (what drift checks read)."""
    from training.reference import prediction_profile

    sample = typed.sample(n=min(BATCH_SAMPLE_ROWS, len(typed)), random_state=index)
    stats: dict[str, Any] = {}
    for name in typed.columns:
        col = typed[name]
        entry: dict[str, Any] = {"nulls": int(col.isna().sum())}
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            entry.update(mean=col.mean(), min=col.min(), max=col.max())
        stats[name] = entry
    output = prediction_profile(np.asarray(preds), job.model.problem_type)
    output.pop("sketch", None)
    return LogEntry(
        owner_id=job.owner_id,
        model_id=job.model_id,
        channel="batch",
        source="batch",
        inputs=json_safe(
            {
                "batch_job_id": str(job.pk),
                "chunk": index,
                "columns": stats,
                "sample": sample.astype(object).where(sample.notna(), None).to_dict("records"),
            }
        ),
        prediction=json_safe({"summary": output}),
        latency_ms=elapsed_ms,
        row_count=len(typed),
        timed=False,
    )


def _score_file(job: BatchJob, out, summaries: list | None = None) -> int:
    """Stream the job's input in chunks, append scored rows to `out`; return the rows done.

    One summary entry per chunk is appended to `summaries` (logged once the job completes)."""
    model = job.model
    fitted = served.serving_form(model, load_model(model))
    with job.input_file.open("rb") as fh:
        total = dio.count_rows(fh, job.input_format)
    BatchJob.objects.filter(pk=job.pk).update(rows_total=total)
    job.rows_total = total
    plan = served.RowPlan.of(model)
    names = list(plan.names)
    info = [plan.infos[n] for n in names]
    unreadable = UnreadableValues(plan, job.input_format)
    keep = job.output.get("columns")  # None: every input column
    with_proba = job.output.get("probabilities", True)
    done = read = 0
    last_publish = 0.0

    def advance(rows: int) -> None:
        nonlocal done, last_publish
        done += rows
        job.rows_done = done
        job.progress = min(done / total, 1.0) if total else 1.0
        BatchJob.objects.filter(pk=job.pk).update(
            rows_done=done, progress=job.progress, heartbeat_at=timezone.now()
        )
        if time.monotonic() - last_publish > 0.5:
            last_publish = time.monotonic()
            _publish_batch(job)

    # The chunk reader is closed before its file: left open, a failure below kept it alive in
    # the traceback past the file, and closing it then logged "I/O operation on closed file".
    with (
        job.input_file.open("rb") as fh,
        closing(
            dio.iter_chunks(fh, job.input_format, chunksize=settings.VUR_BATCH_CHUNK_ROWS)
        ) as chunks,
    ):
        for chunk in chunks:
            missing = [c for c in plan.required if c not in chunk.columns]
            if missing:
                raise InvalidInput(f"The file lacks the model's columns: {', '.join(missing)}.")
            start, read = read, read + len(chunk)
            if unreadable:  # the job fails: the rest of the file is only counted, not scored
                unreadable.scan(chunk, start)
                continue
            typed = profiling.coerce_types(chunk.reindex(columns=names), info)
            unreadable.scan(chunk, start, typed)
            if unreadable:
                continue
            chunk_started = time.perf_counter()
            # Scored in slices so that progress moves within a chunk (rows score independently).
            parts = []
            for at in range(0, len(typed), BATCH_PROGRESS_ROWS):
                parts.append(
                    _score_frame(
                        model, fitted, typed.iloc[at : at + BATCH_PROGRESS_ROWS], with_proba
                    )
                )
                if at + BATCH_PROGRESS_ROWS < len(typed):
                    advance(BATCH_PROGRESS_ROWS)
            preds, proba = _joined(parts)
            if summaries is not None:
                elapsed = (time.perf_counter() - chunk_started) * 1000
                summaries.append(_batch_chunk_entry(job, typed, preds, elapsed, len(summaries)))
            # Only what was asked for: the chosen input columns, the prediction, probabilities.
            scored = chunk if keep is None else chunk[keep]
            scored = scored.assign(
                prediction=csv_labels(preds),
                **{f"proba_{label}": v for label, v in (proba or {}).items()},
            )
            # Text a spreadsheet would run as a formula is prefixed with ' (CSV injection).
            dio.neutralize_formulas(scored).to_csv(out, header=start == 0, index=False)
            advance(start + len(chunk) - done)
    if unreadable:
        raise unreadable.error()
    return done


def _joined(parts: list[tuple[Any, dict | None]]) -> tuple[Any, dict | None]:
    """The predictions and probabilities of a chunk scored in slices, as one."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.array([]), None
    preds = np.concatenate([np.asarray(p) for p, _ in parts])
    probas = [pr for _, pr in parts if pr is not None]
    if len(probas) != len(parts):
        return preds, None
    return preds, {k: np.concatenate([pr[k] for pr in probas]) for k in probas[0]}


def csv_labels(preds: Any) -> Any:
    """Predictions as the batch CSV writes them: boolean labels as JSON writes them (true and
    false, like the `proba_true` column names and the REST answers), anything else unchanged."""
    values = np.asarray(preds)
    if values.dtype == bool or (
        values.dtype == object
        and len(values)
        and all(isinstance(v, (bool, np.bool_)) for v in values.tolist())
    ):
        return np.array([label_key(v) for v in values.tolist()], dtype=object)
    return preds


def _score_frame(
    model: TrainedModel, fitted: ServingModel, frame: pd.DataFrame, with_proba: bool = True
):
    if with_proba and _probabilistic(model, fitted):
        preds, matrix = _labels_and_proba(fitted, frame)
        proba = {label_key(c): np.round(matrix[:, i], 6) for i, c in enumerate(fitted.classes_)}
        return preds, proba
    return fitted.predict(frame), None
