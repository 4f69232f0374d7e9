"""Deploy-and-predict pages: the model page (scores and charts from modeling, plus deployment,
a prediction form generated from the input schema, batch scoring, the live stream and a
forecaster's live forecast), the deployments list, and their htmx partials.

Thin: each action calls one predictions service; errors come back in plain words next to
the field or button that caused them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from datasets.semantics import NULL_TOKENS, text_number
from datasets.uploads import uploaded_file
from modeling.models import TrainedModel
from modeling.pages import model_page_context, series_forecast, series_history
from modeling.selectors import trained_model_get
from predictions import selectors, services
from predictions.levels import out_of_range, unseen_values
from predictions.models import BatchJob, Deployment
from vur.errors import InvalidInput, NotFound, VURError
from vur.pages import is_htmx
from vur.workers import queued_job_note

# What a deployment is for. The target is a record, not a switch: a model with any active
# deployment answers on REST, the WebSocket stream and batch scoring alike (the API contract's
# serving rule), so the page offers it as the deployment's main use.
TARGETS = [
    ("api", "REST API", "requests to /api/v1/predictions/single or /forecast"),
    ("realtime", "Realtime stream", "messages on the WebSocket /ws/predictions/"),
    ("batch", "Batch files", "files scored with /api/v1/predictions/batch"),
]
SERVING_RULE = (
    "A deployed model answers on REST, the live stream and batch scoring alike; the target "
    "records what this deployment is for."
)
RECENT_BATCHES = 5


def _model(request: HttpRequest, model_id) -> TrainedModel:
    try:
        return trained_model_get(user=request.user, model_id=model_id)
    except NotFound:
        raise Http404("Model not found.") from None


def _deployment(request: HttpRequest, deployment_id) -> Deployment:
    try:
        return selectors.deployment_list(user=request.user).get(pk=deployment_id)
    except (Deployment.DoesNotExist, ValueError, TypeError):
        raise Http404("Deployment not found.") from None


def _batch(request: HttpRequest, job_id) -> BatchJob:
    try:
        return selectors.batch_job_get(user=request.user, job_id=job_id)
    except NotFound:
        raise Http404("Batch job not found.") from None


# ---------------------------------------------------------------- form from the input schema
def form_fields(model: TrainedModel) -> list[dict[str, Any]]:
    """One form field per input column: name, kind (number/text), suggestions, initial, and the
    column's number notation (`parse`) so a typed value is read as the API reads it.

    No field needs a value: the form always sends every column, and an empty one is a missing
    value that the model fills as it did in training (the schema's `required` only says that a
    request must name the column), so none is marked required.
    """
    info = {c["name"]: c for c in (model.pipeline.dataset.columns_info or [])}
    fields = []
    for index, col in enumerate((model.input_schema or {}).get("columns", [])):
        meta = info.get(col["name"], {})
        samples = [s for s in (meta.get("sample_values") or []) if s is not None and s != ""]
        semantic = col.get("semantic_type") or meta.get("semantic_type") or "text"
        kind = "number" if semantic == "numeric" else "text"
        fields.append(
            {
                "key": f"f{index}",
                "name": col["name"],
                "kind": kind,
                "semantic_type": semantic,
                "required": False,
                "parse": col.get("parse") or {},
                "suggestions": [str(s) for s in samples],
                "initial": str(samples[0]) if samples else "",
            }
        )
    return fields


def _row_from_post(fields: list[dict[str, Any]], post) -> tuple[dict[str, Any], dict[str, str]]:
    """The request row and the form errors by field key. A number field is read as the API
    reads a numeric column's text (its separators and currency signs; "", "n/a", "-", ... are
    a missing value); anything else there is an error naming the column, never a silent gap."""
    row: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        name = field["name"]
        raw = (post.get(field["key"]) or "").strip()
        if field["kind"] != "number":
            row[name] = raw or None
            continue
        if raw.lower() in NULL_TOKENS:
            row[name] = None
            continue
        number = text_number(raw, field.get("parse") or {})
        if math.isnan(number):
            errors[field["key"]] = f"{name} must be a number (leave it empty for a missing value)."
        elif not math.isfinite(number):
            errors[field["key"]] = f"{name} must be a finite number."
        else:
            whole = number.is_integer() and abs(number) < 2**53 and "." not in raw
            row[name] = int(number) if whole else number
    return row, errors


def _field_errors(exc: VURError, fields: list[dict[str, Any]]) -> tuple[dict[str, str], str]:
    """Map the service's `data[0].<column>` errors onto form keys; the rest is a general error."""
    by_name = {f["name"]: f["key"] for f in fields}
    out: dict[str, str] = {}
    general = []
    for key, messages_ in (exc.errors or {}).items():
        items = messages_ if isinstance(messages_, list) else [messages_]
        text = "; ".join(str(m) for m in items)
        column = key.split(".", 1)[1] if key.startswith("data[0].") else None
        if column in by_name:
            out[by_name[column]] = text
        else:
            general.append(text)
    return out, " ".join(general) if general else ("" if out else exc.detail)


# ---------------------------------------------------------------- the model page
def _deployment_context(request: HttpRequest, model: TrainedModel, **extra) -> dict[str, Any]:
    history = list(selectors.deployment_list(user=request.user, model_id=model.pk))
    active = [d for d in history if d.status == Deployment.Status.ACTIVE]
    for d in active:
        d.model = model
        d.undeploy_question = undeploy_question(d, last=len(active) == 1)  # type: ignore[attr-defined]
    active_targets = {d.target for d in active}
    return {
        "model": model,
        "deployments": history,
        "active_deployments": active,
        "is_deployed": bool(active),
        "serving_rule": SERVING_RULE,
        "targets": [
            {
                "value": v,
                "label": label,
                "help": help_,
                "active": v in active_targets,
                # The first target with no active deployment is chosen (a disabled checked
                # radio would send nothing).
                "checked": v == next((t for t, *_ in TARGETS if t not in active_targets), None),
            }
            for v, label, help_ in TARGETS
        ],
        **extra,
    }


@login_required
def model_detail(request: HttpRequest, model_id) -> HttpResponse:
    """The model page: scores and charts, deployment with its history, and the predict panels."""
    model = _model(request, model_id)
    context = model_page_context(model)
    context.update(_predict_context(request, model, context))
    return render(request, "modeling/detail.html", context)


def _predict_context(request: HttpRequest, model: TrainedModel, page: dict) -> dict[str, Any]:
    """Deployment state, form fields, recent batch files and an example stream message."""
    context = _deployment_context(request, model)
    forecaster = model.problem_type == "forecasting"
    fields = [] if forecaster else form_fields(model)
    if forecaster:
        from predictions.live import value_spec

        example = {"model_id": model.pk, "observations": _next_observation(model, context, page)}
        context["value_decimal"] = (value_spec(model) or {}).get("decimal") or "."
    else:
        example = {"model_id": model.pk, "data": {f["name"]: _initial(f) for f in fields}}
    context.update(
        {
            "is_forecaster": forecaster,
            "fields": fields,
            "batches": owned_batches(request.user, model)[:RECENT_BATCHES],
            "stream_example": {**example, "request_id": "ui-1"},
        }
    )
    return context


def _next_observation(model: TrainedModel, context: dict, page: dict) -> list[dict[str, Any]]:
    """The stream panel's example observation: the step the deployment's live state expects
    next (not the training end, which a deployment that took observations refuses), with the
    one-step forecast as a value to edit; the trained model's first forecast step otherwise."""
    if context.get("is_deployed"):
        from predictions.live import live_next

        try:
            nxt = live_next(model, services.load_model(model))
        except VURError:
            nxt = None
        if nxt is not None:
            value = None if nxt["forecast"] is None else round(nxt["forecast"], 2)
            item = {"timestamp": nxt["timestamp"], "value": value}
            if nxt["series_id"] is not None:
                item["series_id"] = nxt["series_id"]
            return [item]
    upcoming = (page.get("charts", {}).get("forecast") or {}).get("forecast") or {}
    stamps, values = upcoming.get("timestamps") or [], upcoming.get("forecast") or []
    if not stamps or not values:
        return []
    value = values[0] if values[0] is None else round(float(values[0]), 2)
    return [{"timestamp": stamps[0], "value": value}]


def _initial(field: dict[str, Any]) -> Any:
    if field["initial"] == "":
        return None
    if field["kind"] == "number":
        try:
            return float(field["initial"])
        except ValueError:
            return field["initial"]
    return field["initial"]


def owned_batches(user, model: TrainedModel):
    """The model's batch jobs that `user` may see, newest first."""
    from vur.models import owned_by

    return owned_by(BatchJob.objects.filter(model=model), user).order_by("-created_at")


@login_required
@require_POST
def model_deploy(request: HttpRequest, model_id) -> HttpResponse:
    """Deploy the model for the chosen target; answers the deployment panel (htmx) or redirects."""
    model = _model(request, model_id)
    target = request.POST.get("target", "")
    error = ""
    if target not in {t[0] for t in TARGETS}:
        error = "Choose what the deployment is for: REST API, realtime stream or batch files."
    else:
        try:
            services.deployment_create(owner=request.user, model=model, target=target)
        except VURError as exc:
            error = exc.detail
    return _after_deployment_change(request, model, error, "Model deployed.")


@login_required
@require_POST
def deployment_undeploy(request: HttpRequest, deployment_id) -> HttpResponse:
    """Take a deployment out of service (safe to repeat)."""
    deployment = _deployment(request, deployment_id)
    error = ""
    try:
        services.deployment_undeploy(deployment=deployment)
    except VURError as exc:
        error = exc.detail
    return _after_deployment_change(request, deployment.model, error, "Deployment stopped.")


def _after_deployment_change(
    request: HttpRequest, model: TrainedModel, error: str, done: str
) -> HttpResponse:
    model.refresh_from_db()
    if is_htmx(request):
        context = _deployment_context(request, model, deploy_error=error, oob=True)
        response = render(request, "predictions/_deployment.html", context)
        # The predict panels depend on whether the model is in service: reload them.
        response["HX-Trigger"] = "deployment-changed"
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    target = request.POST.get("next") or reverse("ui-model-detail", args=[model.pk])
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("ui-model-detail", args=[model.pk])
    return redirect(target)


@login_required
def model_observation_check(request: HttpRequest, model_id) -> HttpResponse:
    """The live forecast panel's line under the timestamp (htmx): how `?timestamp=` reads and
    what sending it would do (the next step, steps to fill, or why it would be refused), by the
    checks the live update itself applies, and a warning when `?value=` lies far outside the
    series' training values. Writes nothing."""
    model = _model(request, model_id)
    timestamp = (request.GET.get("timestamp") or "").strip()
    check = None
    if timestamp:
        try:
            check = services.forecast_observation_check(
                model=model,
                timestamp=timestamp,
                series_id=request.GET.get("series_id") or None,
                value=request.GET.get("value"),
            )
        except VURError as exc:
            check = {"ok": False, "detail": exc.detail}
    return render(
        request, "predictions/_observation_check.html", {"check": check, "timestamp": timestamp}
    )


def _series_json(
    request: HttpRequest, model_id: Any, read: Callable[[TrainedModel, Any], dict[str, Any]]
) -> JsonResponse:
    """A chart's JSON for the series in `?series_id=` (the first when absent): `read(model,
    series_id)` of the user's model, or its error as `{detail, code}` with its status."""
    model = _model(request, model_id)
    try:
        return JsonResponse(read(model, request.GET.get("series_id") or None))
    except VURError as exc:
        return JsonResponse({"detail": exc.detail, "code": exc.code}, status=exc.status_code)


@login_required
def model_live_history(request: HttpRequest, model_id) -> JsonResponse:
    """The live chart's data (JSON): the steps the deployment took after the training history,
    observed or filled, so a reload draws the state the server has. Read-only."""
    return _series_json(
        request,
        model_id,
        lambda model, series_id: services.forecast_live_history(model=model, series_id=series_id),
    )


@login_required
@require_GET
def model_live_forecast(request: HttpRequest, model_id) -> JsonResponse:
    """The live chart's forecast (JSON, `?series_id=`, the first by default): the deployed
    forecaster's forecast from its live state with 80/95% intervals, as the REST forecast
    answers it, but recording nothing: opening the page is not a served prediction, so
    monitoring does not count it. Read-only; errors as the REST forecast's (409 when not
    deployed, 404 for a series the model does not forecast)."""
    return _series_json(
        request,
        model_id,
        lambda model, series_id: services.forecast(
            user=request.user, model=model, series_id=series_id, record=False
        ),
    )


@login_required
def model_series_history(request: HttpRequest, model_id) -> JsonResponse:
    """The live chart's training history of the series it is switched to (JSON, `?series_id=`,
    the first by default): `{series_id, timestamps, values}`. Read-only; 404 for a series the
    model does not forecast."""
    return _series_json(request, model_id, series_history)


@login_required
def model_series_forecast(request: HttpRequest, model_id) -> JsonResponse:
    """The model chart's data for the series it is switched to (JSON, `?series_id=`, the first
    by default): that series' training history and its forecast from the stored model with
    80/95% intervals, as `series_forecast` answers it (the model need not be deployed).
    Read-only; 404 for a series the model does not forecast."""
    return _series_json(request, model_id, series_forecast)


@login_required
def model_predict_panel(request: HttpRequest, model_id) -> HttpResponse:
    """The predict panels partial (reloaded when the deployment changes)."""
    model = _model(request, model_id)
    page = model_page_context(model) if model.problem_type == "forecasting" else {}
    context = {**page, **_predict_context(request, model, page)}
    return render(request, "predictions/_predict.html", context)


@login_required
@require_POST
def model_predict(request: HttpRequest, model_id) -> HttpResponse:
    """Score the form's row with predict_rows; answers the result (or the errors) partial."""
    model = _model(request, model_id)
    fields = form_fields(model)
    row, typed_errors = _row_from_post(fields, request.POST)
    context: dict[str, Any] = {"model": model, "fields": fields, "row": row}
    status = 200
    if typed_errors:
        context["field_errors"] = typed_errors
        status = 200 if is_htmx(request) else 400
        return render(request, "predictions/_predict_result.html", context, status=status)
    try:
        answer = services.predict_rows(
            user=request.user, model=model, data=row, return_probabilities=True
        )
    except VURError as exc:
        context["field_errors"], context["error"] = _field_errors(exc, fields)
        status = 200 if is_htmx(request) else exc.status_code
    else:
        # Values the model's encoders never saw are scored as "unknown", and numbers outside
        # the training range are extrapolated: say so beside the answer (neither is refused).
        context["unseen"] = unseen_values(model, row)
        context["out_of_range"] = out_of_range(model, row)
        probabilities = (answer.get("probabilities") or [None])[0]
        context["answer"] = {
            "prediction": answer["predictions"][0],
            "prediction_id": answer["prediction_ids"][0],
            "latency_ms": answer["latency_ms"],
            "probabilities": sorted(probabilities.items(), key=lambda kv: -kv[1])
            if probabilities
            else None,
        }
    return render(request, "predictions/_predict_result.html", context, status=status)


def _typed_actual(model: TrainedModel, raw: str) -> float:
    """A regression actual typed on the page, read as the training file wrote the target's
    numbers (its separators and currency signs), as the prediction form reads its fields."""
    pipeline = model.pipeline
    target = pipeline.dataset.column(pipeline.target_column) or {}
    number = text_number(raw, target.get("parse") or {})
    if not math.isfinite(number):
        raise InvalidInput(f"The actual must be a number, not {raw!r}.", code="bad_actual")
    return number


@login_required
@require_POST
def model_feedback(request: HttpRequest, model_id) -> HttpResponse:
    """Record the actual outcome of one prediction this model made from the page (the REST
    feedback's checks: a class the model knows, a finite number); answers the feedback partial.
    A prediction of another model, or of another user, is not found and nothing is written."""
    model = _model(request, model_id)
    prediction_id = request.POST.get("prediction_id", "")
    actual: Any = request.POST.get("actual", "").strip()
    context: dict[str, Any] = {"model": model, "prediction_id": prediction_id}
    try:
        if actual == "":
            raise InvalidInput("Choose or type the actual outcome first.", code="bad_actual")
        if model.problem_type == "regression":
            actual = _typed_actual(model, actual)
        record = services.prediction_feedback(
            user=request.user, prediction_id=prediction_id, actual=actual, model_id=model.pk
        )
    except VURError as exc:
        context["error"] = exc.detail
        return render(
            request,
            "predictions/_feedback_result.html",
            context,
            status=200 if is_htmx(request) else exc.status_code,
        )
    context["recorded"] = record.actual
    return render(request, "predictions/_feedback_result.html", context)


# ---------------------------------------------------------------- batch
@login_required
@require_POST
def model_batch(request: HttpRequest, model_id) -> HttpResponse:
    """Start batch scoring of the uploaded file; answers the job's status partial (which polls)."""
    model = _model(request, model_id)
    try:
        upload = uploaded_file(request)  # PayloadTooLarge (413) for a file over the limit
        if upload is None:
            raise InvalidInput(
                "Choose a CSV, Excel, JSON or Parquet file to score.", code="required"
            )
        job = services.batch_start(owner=request.user, model=model, upload=upload)
    except VURError as exc:
        return render(
            request,
            "predictions/_batch_status.html",
            {"model": model, "error": exc.detail},
            status=200 if is_htmx(request) else exc.status_code,
        )
    return render(request, "predictions/_batch_status.html", _batch_context(model, job))


@login_required
def batch_status(request: HttpRequest, job_id) -> HttpResponse:
    """A batch job's progress partial, which polls itself until the job ends; opened directly
    (not by htmx), the same status as a full page with a way back to the model."""
    job = _batch(request, job_id)
    template = "_batch_status.html" if is_htmx(request) else "batch_job.html"
    return render(request, f"predictions/{template}", _batch_context(job.model, job))


def _batch_context(model: TrainedModel, job: BatchJob) -> dict:
    """The status partial's context, with the note for a job no worker takes from."""
    note = queued_job_note(job.status, job.enqueued_at or job.created_at)
    return {"model": model, "job": job, "worker_note": note}


# ---------------------------------------------------------------- deployments
@login_required
def deployment_list(request: HttpRequest) -> HttpResponse:
    """Every deployment of the user (active first, then history), each linking to its model."""
    deployments = (
        selectors.deployment_list(user=request.user)
        .select_related("model__pipeline")
        .order_by("status", "-deployed_at")
    )
    page = Paginator(deployments, 30).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # Whether undeploying a row takes its model out of service (its last active deployment),
    # for the confirmation the Undeploy button asks.
    active = Counter(
        selectors.deployment_list(user=request.user)
        .filter(model_id__in={d.model_id for d in rows}, status=Deployment.Status.ACTIVE)
        .values_list("model_id", flat=True)
    )
    for d in rows:
        d.undeploy_question = undeploy_question(d, last=active[d.model_id] <= 1)  # type: ignore[attr-defined]
    return render(
        request,
        "predictions/deployments.html",
        {"page": page, "deployments": rows, "serving_rule": SERVING_RULE},
    )


def undeploy_question(deployment: Deployment, *, last: bool) -> str:
    """The confirmation asked before undeploying: what stops answering, in words."""
    from modeling.templatetags.modeling_labels import model_name
    from predictions.templatetags.deployment_labels import target_label

    name = model_name(deployment.model)
    if last:
        return (
            f"Undeploy {name}? It is its last active deployment: the model stops answering "
            "REST, stream and batch requests at once."
        )
    return (
        f"Undeploy {name} ({target_label(deployment.target)})? The model keeps answering "
        "through its other active deployment."
    )
