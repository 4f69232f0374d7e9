"""The pipeline wizard's pages: one step per stage (target and problem type, preprocessing,
features, algorithms, training settings), each saved on the pipeline so a person can resume.

Wired at the project level because its steps reach every stage; each view validates the form,
calls that stage's service and renders a template.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from features import services as feature_services
from features.selection import METHODS as SELECTION_METHODS
from features.serializers import GenerateSerializer
from modeling import catalog
from modeling import services as modeling_services
from modeling.forecast_catalog import INTERMITTENT_ALGORITHMS
from modeling.forecasters import and_list
from modeling.hyperparams import AlgorithmSpec
from modeling.selectors import model_config_get
from modeling.templatetags.modeling_labels import param_label
from pipelines import services as pipeline_services
from pipelines.models import Pipeline
from pipelines.pages import (
    setup_banner,
    setup_context,
    setup_values,
    warn_short_history,
    wizard_steps,
)
from pipelines.selectors import pipeline_get
from preprocessing import services as prep_services
from preprocessing.config import SERIES_OPTIONS, preprocessing_options
from preprocessing.pages import score_percent
from training.forecasting.inputs import series_plan
from training.models import TrainingJob
from training.serializers import TrainingStartSerializer
from training.services import planned_series_lengths, training_job_active, training_job_start
from vur.errors import VURError
from vur.pages import error_fields, fields_banner, get_or_404


def _pipeline(request: HttpRequest, pipeline_id: int) -> Pipeline:
    return get_or_404(pipeline_get, user=request.user, pipeline_id=pipeline_id)


def _render(
    request: HttpRequest, pipeline: Pipeline, step: str, ctx: dict, status: int = 200
) -> HttpResponse:
    base = {"pipeline": pipeline, "steps": wizard_steps(pipeline, step), "step": step}
    return render(request, f"pipelines/wizard_{step}.html", {**base, **ctx}, status=status)


def _failed(
    request, pipeline, step: str, ctx: dict, err: VURError, banner: str | None = None
) -> HttpResponse:
    ctx = {**ctx, "error": banner or err.detail, "errors": error_fields(err)}
    return _render(request, pipeline, step, ctx, status=err.status_code)


# ------------------------------------------------------------------ step 1: target and problem


def _setup(request: HttpRequest, pipeline: Pipeline) -> HttpResponse:
    saved = {
        "name": pipeline.name,
        "target_column": pipeline.target_column,
        "problem_type": pipeline.problem_type,
        "feature_columns": pipeline.feature_columns,
        "time_column": pipeline.time_column,
        "forecast_horizon": pipeline.forecast_horizon,
    }
    if request.method == "GET":
        return _render(request, pipeline, "setup", setup_context(pipeline.dataset, saved, {}))
    values = setup_values(request.POST, pipeline.dataset)
    try:
        pipeline_services.pipeline_update(pipeline=pipeline, **values)
    except VURError as err:
        ctx = setup_context(pipeline.dataset, values, error_fields(err))
        ctx["error"] = setup_banner(err)
        return _render(request, pipeline, "setup", ctx, status=err.status_code)
    messages.success(request, "Saved the target and problem type.")
    warn_short_history(request, pipeline)
    return redirect("wizard", pipeline_id=pipeline.pk, step="preprocessing")


# ------------------------------------------------------------------ step 2: preprocessing

PREP_CHOICE_KEYS = (
    "missing_values_strategy",
    "outlier_detection_method",
    "outlier_treatment",
    "scaling_method",
    "categorical_encoding",
)


def _prep_config(data: QueryDict) -> dict[str, Any]:
    """The preprocessing form as a config (`preprocessing/apply`'s `config`)."""
    config: dict[str, Any] = {k: data[k] for k in PREP_CHOICE_KEYS if data.get(k)}
    threshold = (data.get("outlier_threshold") or "").strip()
    if threshold:
        try:
            config["outlier_threshold"] = float(threshold)
        except ValueError:
            config["outlier_threshold"] = threshold  # the service names the bad value
    columns = data.getlist("transform_column")
    kinds = data.getlist("transform_type")
    config["transformations"] = [
        {"column": c, "type": t} for c, t in zip(columns, kinds, strict=False) if c and t
    ]
    return config


# A forecasting pipeline's form offers only what its forecaster runs on one series (gap filling
# and the outlier treatment against trend and season, `preprocessing.config.SERIES_OPTIONS`):
# no per-column outlier method, scaling or category encoding.
SERIES_CHOICE_KEYS = ("missing_values_strategy", "outlier_treatment")


def _prep_choice_keys(pipeline: Pipeline) -> tuple[str, ...]:
    """The selects this pipeline's preprocessing form offers (a series' or a table's)."""
    forecasting = pipeline.problem_type == Pipeline.ProblemType.FORECASTING
    return tuple(SERIES_CHOICE_KEYS if forecasting else PREP_CHOICE_KEYS)


def _prep_fields(pipeline: Pipeline) -> tuple[str, ...]:
    """The form's fields that show their own messages (`<key>-error`) on this pipeline's page;
    "columns" shows with the transformations."""
    return (*_prep_choice_keys(pipeline), "outlier_threshold", "transformations")


def _prep_option(key: str, config: dict[str, Any], errors: dict, offered: dict) -> dict:
    """One select of the form: its choices among those `offered` (a series' own, in its
    words), the value shown and its messages."""
    option = {**offered[key], "key": key, "errors": errors.get(key, [])}
    value = config.get(key, option["default"])
    if value not in option["choices"]:  # a series saved with a table's strategy interpolates
        value = option["default"]
    return {**option, "value": value}


def _transform_columns(pipeline: Pipeline) -> list[str]:
    """The columns a transformation can apply to: a series pipeline's target (what the
    forecaster transforms), or a table's numeric feature columns (not the target, the time or
    an id column, which are not numeric features)."""
    if pipeline.problem_type == Pipeline.ProblemType.FORECASTING:
        return [pipeline.target_column]
    dataset = pipeline.dataset
    skip = {pipeline.target_column, pipeline.time_column, pipeline.id_column}
    skip |= {dataset.time_column, dataset.id_column}
    return [
        c["name"]
        for c in dataset.columns_info or []
        if c.get("semantic_type") == "numeric" and c["name"] not in skip
    ]


def _prep_context(
    pipeline: Pipeline, config: dict[str, Any], errors: dict | None = None
) -> dict[str, Any]:
    errors = errors or {}
    forecasting = pipeline.problem_type == Pipeline.ProblemType.FORECASTING
    keys = _prep_choice_keys(pipeline)
    # What this kind of pipeline offers, as `preprocessing/options?pipeline_id=` answers it.
    offered = preprocessing_options(forecasting)
    options = [_prep_option(k, config, errors, offered) for k in keys]
    transforms = list(config.get("transformations") or []) + [{"column": "", "type": ""}]
    return {
        "options": options,
        "threshold_help": SERIES_OPTIONS["outlier_threshold"]["description"]
        if forecasting
        else "IQR multiplier (1.5), z-score limit (3) or Isolation Forest share (0.01).",
        "config": config,
        "threshold": config.get("outlier_threshold"),
        "transforms": transforms,
        "transformation_types": offered["transformations"]["choices"],
        "columns": _transform_columns(pipeline),
    }


def _prep_field_errors(
    pipeline: Pipeline, errors: dict[str, list[str]]
) -> tuple[list[tuple[str, list[str]]], bool]:
    """Each field's messages on this pipeline's form (empty for a field without one), and
    whether every error has its field there (then the message shows at the field only, not
    again above the form). Only fields the page has are listed: the preview swaps each into
    its `<key>-error` element."""
    keys = _prep_fields(pipeline)
    merged = {k: list(v) for k, v in errors.items()}
    if "columns" in merged:
        merged.setdefault("transformations", []).extend(merged.pop("columns"))
    fields = [(key, merged.get(key, [])) for key in keys]
    return fields, bool(merged) and set(merged) <= set(keys)


def _preprocessing(request: HttpRequest, pipeline: Pipeline) -> HttpResponse:
    if request.method == "GET":
        return _render(
            request,
            pipeline,
            "preprocessing",
            _prep_context(pipeline, pipeline.preprocessing_config),
        )
    config = _prep_config(request.POST)
    try:
        prep_services.preprocessing_apply(pipeline=pipeline, config=config)
    except VURError as err:
        errors = error_fields(err)
        ctx = _prep_context(pipeline, config, errors)
        # A message that belongs to a field is shown there only.
        ctx["error_inline"] = _prep_field_errors(pipeline, errors)[1]
        return _failed(request, pipeline, "preprocessing", ctx, err)
    messages.success(request, "Saved the preprocessing settings.")
    return redirect("wizard", pipeline_id=pipeline.pk, step="features")


@login_required
@require_POST
def preprocessing_preview_partial(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """What the form's preprocessing would change, on a sample (htmx partial; nothing saved)."""
    pipeline = _pipeline(request, pipeline_id)
    try:
        result = prep_services.preprocessing_preview(
            pipeline=pipeline, config=_prep_config(request.POST)
        )
    except VURError as err:
        fields, at_fields = _prep_field_errors(pipeline, error_fields(err))
        ctx = {"error": err.detail, "fields": fields, "at_fields": at_fields}
        return render(request, "pipelines/_prep_preview.html", ctx)
    changes = sorted(result["changes_summary"].items(), key=lambda kv: kv[0] != "*")
    rows = [
        [round(v, 4) if isinstance(v, float) else v for v in row]
        for row in result["preview"]["rows"][:10]
    ]
    ctx = {
        "result": result,
        "changes": changes,
        "rows": rows,
        "fields": _prep_field_errors(pipeline, {})[0],  # clears the messages of fields now fixed
        "score_before": score_percent(result["quality_before"]),
        "score_after": score_percent(result["quality_after"]),
        "forecasting": pipeline.problem_type == Pipeline.ProblemType.FORECASTING,
    }
    return render(request, "pipelines/_prep_preview.html", ctx)


# ------------------------------------------------------------------ step 3: features


# The Generate form's fields that show their own messages (`<key>-error`), with their labels.
GENERATE_FIELDS = {
    "lags": "Lags",
    "rolling_windows": "Rolling windows",
    "fourier_terms": "Fourier terms",
}


def _list_items(text: str) -> list[str] | None:
    """The items of a comma (or space) separated field as typed; None when it is empty."""
    parts = [p for p in text.replace(" ", ",").split(",") if p]
    return parts or None


def _generate_request(pipeline: Pipeline, data: QueryDict) -> dict[str, Any]:
    """The Generate form as the body of `features/generate`, checked by that call's own
    serializer (one rule for the wizard and REST); VURError names each bad field and value."""
    # A table's date columns are always split into calendar parts by its preprocessing, so its
    # form has no calendar choice; a series' calendar features are the form's to choose.
    forecasting = pipeline.problem_type == Pipeline.ProblemType.FORECASTING
    calendar = data.get("calendar") == "on" if forecasting else True
    body: dict[str, Any] = {"pipeline_id": pipeline.pk, "calendar": calendar}
    typed: dict[str, list[str]] = {}
    if forecasting:
        for key in ("lags", "rolling_windows"):
            items = _list_items(data.get(key, ""))
            if items is not None:
                body[key] = typed[key] = items
        fourier = (data.get("fourier_terms") or "").strip()
        if fourier:
            body["fourier_terms"] = fourier
    else:
        body["interactions"] = data.get("interactions") == "on"
    form = GenerateSerializer(data=body)
    if form.is_valid():
        values = dict(form.validated_data)
        values.pop("pipeline_id")
        return values
    errors: dict[str, list[str]] = {}
    for key, problem in form.errors.items():
        if isinstance(problem, dict):  # a list field: messages per item, by position
            errors[key] = [
                f"{typed[key][int(i)]}: {msg}" for i, msgs in problem.items() for msg in msgs
            ]
        else:
            errors[key] = [str(m) for m in problem]
    first = next(iter(errors))
    label = GENERATE_FIELDS.get(first, first.replace("_", " ").capitalize())
    raise VURError(f"{label}: {errors[first][0]}.", code="validation_error", errors=errors)


def _features_context(pipeline: Pipeline, **extra: Any) -> dict[str, Any]:
    config = pipeline.feature_config or {}
    # Selection needs input columns; a series of only its target has none to score.
    selectable = bool(feature_services.selectable_columns(pipeline))
    return {
        "config": config,
        "generated": config.get("features") or [],
        "selected": config.get("selected") or [],
        "selection": config.get("selection") or {},
        "methods": SELECTION_METHODS,
        "forecasting": pipeline.problem_type == Pipeline.ProblemType.FORECASTING,
        "selectable": selectable,
        "date_columns": feature_services.date_columns(pipeline),
        # A failed selection shows its error beside its button only, not also at the top.
        "error_inline": selectable and extra.get("failed_action") == "select",
        **extra,
    }


def _features(request: HttpRequest, pipeline: Pipeline) -> HttpResponse:
    if request.method == "GET":
        return _render(request, pipeline, "features", _features_context(pipeline))
    action = request.POST.get("action")
    data = request.POST
    try:
        if action == "generate":
            kwargs = _generate_request(pipeline, data)
            result = feature_services.features_generate(pipeline=pipeline, **kwargs)
            messages.success(request, f"Generated {len(result['features'])} features.")
            return redirect("wizard", pipeline_id=pipeline.pk, step="features")
        if action == "select":
            k = (data.get("k") or "").strip()
            result = feature_services.features_select(
                pipeline=pipeline, method=data.get("method") or "mutual_info",
                k=int(k) if k.isdigit() else None,
            )  # fmt: skip
            top = max([abs(v) for v in result["scores"].values() if v is not None] or [1]) or 1
            bars = [
                {"name": n, "score": s, "pct": round(abs(s or 0) / top * 100, 1),
                 "selected": n in result["selected"]}
                for n, s in sorted(result["scores"].items(), key=lambda kv: -(kv[1] or 0))
            ]  # fmt: skip
            pipeline.refresh_from_db()
            ctx = _features_context(pipeline, bars=bars, rule=result["threshold"])
            return _render(request, pipeline, "features", ctx)
        if action == "unselect":
            feature_services.features_unselect(pipeline=pipeline)
            messages.success(request, "Training will use every input column again.")
            return redirect("wizard", pipeline_id=pipeline.pk, step="features")
        if action == "skip":
            pipeline_services.pipeline_mark_step(pipeline=pipeline, step="features")
            return redirect("wizard", pipeline_id=pipeline.pk, step="model_selection")
    except VURError as err:
        ctx = _features_context(pipeline, failed_action=action)
        banner = None
        if action == "generate":
            # The form keeps what was typed, and shows each message at its field.
            ctx["typed"] = {key: data.get(key, "") for key in GENERATE_FIELDS}
            banner = fields_banner(err, GENERATE_FIELDS)
        return _failed(request, pipeline, "features", ctx, err, banner)
    raise Http404("Unknown action.")


# ------------------------------------------------------------------ step 4: algorithms


def _parse_hyperparameters(spec: AlgorithmSpec, data: QueryDict) -> dict[str, Any]:
    """The algorithm form's fields typed by the catalogue's schema (left as text when they do
    not parse, so the server-side validation names them)."""
    values: dict[str, Any] = {}
    for param in spec.hyperparameters:
        key = f"hp_{param.name}"
        if param.type == "bool":
            values[param.name] = data.get(key) == "on"
            continue
        raw = (data.get(key) or "").strip()
        if raw == "":
            continue
        if param.type == "int":
            try:
                values[param.name] = int(raw)
            except ValueError:
                values[param.name] = raw
        elif param.type == "float":
            try:
                values[param.name] = float(raw)
            except ValueError:
                values[param.name] = raw
        elif param.choices is not None:
            values[param.name] = next((c for c in param.choices if str(c) == raw), raw)
        else:
            values[param.name] = raw
    return values


def _algorithm_field_errors(
    spec: AlgorithmSpec, problem_type: str, errors: dict[str, list[str]]
) -> tuple[list[tuple[str, list[str]]], dict[str, list[str]]]:
    """Each field of an algorithm's form with its messages worded with its label ("Number of
    trees: must be at least 20"; empty for a good field, so a fixed one is cleared), the search
    select as `search`, and the messages that belong to no field."""
    names = [p.name for p in spec.params_for(problem_type)]
    fields: list[tuple[str, list[str]]] = []
    for name in names:
        msgs = errors.get(name, []) + errors.get(f"hyperparameters.{name}", [])
        fields.append((name, [f"{param_label(name)}: {m}" for m in msgs]))
    search = [f"Search: {m}" for k, v in errors.items() if k.startswith("search.") for m in v]
    fields.append(("search", search))
    placed = {*names, *(f"hyperparameters.{n}" for n in names)}
    other = {k: v for k, v in errors.items() if k not in placed and not k.startswith("search.")}
    return fields, other


def _algorithm_forms(
    pipeline: Pipeline,
    chosen: str = "",
    values: dict | None = None,
    errors: dict[str, list[str]] | None = None,
) -> list:
    forms = []
    for spec in catalog.algorithms_for(pipeline.problem_type):
        mine = spec.name == chosen
        own = values if mine and values is not None else {}
        fields, other = _algorithm_field_errors(
            spec, pipeline.problem_type, (errors or {}) if mine else {}
        )
        messages_of = dict(fields)
        forms.append(
            {
                "spec": spec,
                "params": [
                    {
                        "p": p,
                        "value": own.get(p.name, p.default),
                        "choices": [str(c) for c in p.choices] if p.choices else None,
                        "step": "1" if p.type == "int" else "any",
                        "errors": messages_of.get(p.name, []),
                    }
                    for p in spec.params_for(pipeline.problem_type)
                ],
                "search_errors": messages_of["search"],
                "other_errors": other,
                "open": mine,
            }
        )
    return forms


def _model_selection(request: HttpRequest, pipeline: Pipeline) -> HttpResponse:
    configs = list(pipeline.model_configs or [])
    if request.method == "GET":
        ctx: dict[str, Any] = {"forms": _algorithm_forms(pipeline), "configs": configs}
        return _render(request, pipeline, "model_selection", ctx)
    if request.POST.get("action") == "auto":
        pipeline_services.pipeline_mark_step(pipeline=pipeline, step="model_selection")
        messages.success(request, "VUR will choose and tune the algorithms for you.")
        return redirect("wizard", pipeline_id=pipeline.pk, step="training")
    name = request.POST.get("algorithm", "")
    try:
        spec = catalog.get_algorithm(name)
    except KeyError:
        raise Http404("Unknown algorithm.") from None
    values = _parse_hyperparameters(spec, request.POST)
    search_method = request.POST.get("search_method") or "none"
    search = None if search_method == "none" else {"method": search_method}
    try:
        modeling_services.model_config_create(
            owner=request.user, pipeline=pipeline, algorithm=name,
            hyperparameters=values, search=search,
        )  # fmt: skip
    except VURError as err:
        errors = error_fields(err)
        ctx = {"forms": _algorithm_forms(pipeline, name, values, errors), "configs": configs,
               "error_algorithm": name}  # fmt: skip
        # Each message sits at its field, with the field's label; the line above points there.
        _fields, other = _algorithm_field_errors(spec, pipeline.problem_type, errors)
        banner = None if other else fields_banner(err, errors)
        return _failed(request, pipeline, "model_selection", ctx, err, banner)
    label = catalog.display_name(spec.name, pipeline.problem_type)
    messages.success(request, f"Added {label} to this pipeline's algorithms.")
    return redirect("wizard", pipeline_id=pipeline.pk, step="training")


@login_required
@require_POST
def algorithm_validate_partial(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """Check an algorithm form on the server as it is filled in (htmx partial)."""
    pipeline = _pipeline(request, pipeline_id)
    name = request.POST.get("algorithm", "")
    try:
        spec = catalog.get_algorithm(name)
    except KeyError:
        unknown = {"algorithm": ["unknown algorithm"]}
        return render(request, "pipelines/_validation.html", {"errors": unknown, "marked": True})
    values = _parse_hyperparameters(spec, request.POST)
    errors = modeling_services.algorithm_config_errors(name, values, pipeline.problem_type)
    fields, other = _algorithm_field_errors(
        spec, pipeline.problem_type, {k: [v] for k, v in errors.items()}
    )
    ctx = {"algorithm": name, "fields": fields, "errors": other, "marked": bool(errors)}
    return render(request, "pipelines/_validation.html", ctx)


# ------------------------------------------------------------------ step 5: training settings


# How many ended jobs "Earlier runs" lists (training.js keeps to it as jobs end on the page).
PAST_JOBS_SHOWN = 5

TRAINING_LABELS = {
    "time_budget_s": "Time budget",
    "validation_split": "Hold-out share",
    "cv_folds": "Folds",
    "algorithms": "Which models",
    "model_config": "Which models",
}


def auto_validation_text(rows: int, validation_split: Any) -> str:
    """What training validates the candidates on when cross-validation is off (the rule of
    `training.automl.make_folds`), for `rows` dataset rows less the hold-out share."""
    try:
        share = min(max(float(validation_split), 0.0), 0.9)
    except (TypeError, ValueError):
        share = 0.2
    n = int(rows * (1 - share))
    if n < 2000:
        how = "5-fold cross-validation"
    elif n < 10000:
        how = "3-fold cross-validation"
    else:
        how = "one 20% validation split"
    return f"about {n} training rows, so {how}"


def _auto_extra(pipeline: Pipeline) -> str:
    """What the automatic choice adds on some data: for forecasting, the intermittent-demand
    methods on intermittent series (`training.forecasting.search`); "" otherwise."""
    if pipeline.problem_type != Pipeline.ProblemType.FORECASTING:
        return ""
    names = [catalog.display_name(n, "forecasting") for n in INTERMITTENT_ALGORITHMS]
    return f"and on intermittent demand {and_list(names)}"


def _training_context(pipeline: Pipeline, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "auto_validation": auto_validation_text(
            pipeline.dataset.num_rows or 0, values.get("validation_split", 0.2)
        ),
        "configs": [
            {
                **c,
                "key": f"config-{c['id']}",
                "display": catalog.display_name(c["algorithm"], pipeline.problem_type),
            }
            for c in pipeline.model_configs or []
        ],
        "auto_names": [
            catalog.display_name(n, pipeline.problem_type)
            for n in catalog.auto_algorithms(pipeline.problem_type)
        ],
        "auto_extra": _auto_extra(pipeline),
        "values": values,
        "default_budget": int(settings.VUR_DEFAULT_TIME_BUDGET_S),
        # A job queued or running is pointed to above the form (and Start is off meanwhile);
        # "Earlier runs" are the ones that ended.
        "active_job": training_job_active(pipeline=pipeline),
        "jobs": pipeline.training_jobs.exclude(
            status__in=(TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING)
        ).order_by("-created_at")[:PAST_JOBS_SHOWN],
        "jobs_shown": PAST_JOBS_SHOWN,
        # the horizon, the steps its backtests check and the setup form's warning, again
        # where training starts (a short history, say)
        **(
            _forecast_facts(pipeline)
            if pipeline.problem_type == Pipeline.ProblemType.FORECASTING
            else {"horizon": None, "checked_horizon": None, "horizon_note": ""}
        ),
    }


def _forecast_facts(pipeline: Pipeline) -> dict[str, Any]:
    """The pipeline's horizon facts (`pipeline_horizon_facts`) and the backtest windows the
    engine will rank on (`windows` of `ranking_windows`, from its plan for the series, with
    several series the plan that fits them all, as the "Before training" warning says; None
    when the lengths are unknown)."""
    facts = pipeline_services.pipeline_horizon_facts(pipeline)
    dataset = pipeline.dataset
    lengths = planned_series_lengths(
        dataset=dataset,
        time_column=pipeline.time_column,
        id_column=pipeline.id_column,
        target=pipeline.target_column,
    )
    plan = series_plan(lengths, dataset.frequency, facts["horizon"]) if lengths else None
    facts["windows"] = plan.windows if plan else None
    facts["ranking_windows"] = plan.ranking_windows if plan else None
    return facts


def _training(request: HttpRequest, pipeline: Pipeline) -> HttpResponse:
    defaults = {
        "choice": "auto",
        "time_budget_s": int(settings.VUR_DEFAULT_TIME_BUDGET_S),
        "validation_split": 0.2,
        "cross_validation": False,
        "cv_folds": 5,
    }
    if request.method == "GET":
        return _render(request, pipeline, "training", _training_context(pipeline, defaults))
    data = request.POST
    values: dict[str, Any] = {
        "choice": data.get("choice") or "auto",
        "time_budget_s": data.get("time_budget_s") or defaults["time_budget_s"],
        "validation_split": data.get("validation_split") or 0.2,
        "cross_validation": data.get("cross_validation") == "on",
        "cv_folds": data.get("cv_folds") or 5,
    }
    body: dict[str, Any] = {
        "pipeline_id": pipeline.pk,
        "time_budget_s": values["time_budget_s"],
        "validation_split": values["validation_split"],
        "cross_validation": values["cross_validation"],
        "cv_folds": values["cv_folds"],
    }
    choice = values["choice"]
    if choice == "chosen":
        body["algorithms"] = list(dict.fromkeys(c["algorithm"] for c in pipeline.model_configs))
    elif choice.startswith("config-"):
        body["model_config"] = int(choice[7:]) if choice[7:].isdigit() else -1
    form = TrainingStartSerializer(data=body)
    try:
        if not form.is_valid():
            errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
            first_key = next(iter(errors))
            label = TRAINING_LABELS.get(first_key, first_key.replace("_", " "))
            raise VURError(f"{label}: {errors[first_key][0]}", errors=errors)
        config = dict(form.validated_data)
        config.pop("pipeline_id", None)
        if isinstance(config.get("model_config"), int):
            config["model_config"] = get_or_404(
                model_config_get, user=request.user, config_id=config["model_config"]
            )
        job = training_job_start(pipeline=pipeline, user=request.user, config=config)
    except VURError as err:
        return _failed(request, pipeline, "training", _training_context(pipeline, values), err)
    return redirect(f"/training/{job.pk}/")


# ------------------------------------------------------------------ dispatch

STEP_VIEWS = {
    "setup": _setup,
    "preprocessing": _preprocessing,
    "features": _features,
    "model_selection": _model_selection,
    "training": _training,
}


@login_required
@require_http_methods(["GET", "POST"])
def wizard_step_page(request: HttpRequest, pipeline_id: int, step: str) -> HttpResponse:
    """One step of the wizard for one of the user's pipelines (404 for anyone else's)."""
    view = STEP_VIEWS.get(step)
    if view is None:
        raise Http404("Unknown wizard step.")
    return view(request, _pipeline(request, pipeline_id))
