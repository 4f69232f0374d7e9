"""Pipeline pages: the list (optionally for one stage), creating a pipeline from a dataset, and
the pipeline page, which resumes the wizard where the person left it.

The wizard's later steps call downstream stages, so they are wired at the project level
(`vur/wizard.py`); this module only uses datasets and pipelines.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from datasets.columns import suggested_problem_type, target_refusal
from datasets.models import Dataset
from datasets.selectors import dataset_get, dataset_list
from pipelines import selectors, services
from pipelines.limits import MAX_HORIZON, frequency_horizon
from pipelines.models import Pipeline
from vur.errors import VURError
from vur.pages import error_fields, fields_banner, get_or_404

# Wizard steps in order: (slug, label, the pipeline step that marks it done).
WIZARD_STEPS = (
    ("setup", "Target and problem", "upload"),
    ("preprocessing", "Preprocessing", "preprocessing"),
    ("features", "Features", "features"),
    ("model_selection", "Algorithms", "model_selection"),
    ("training", "Training", "training"),
)
STAGE_LABELS = {
    "preprocessing": "Preprocessing",
    "features": "Feature engineering",
    "model_selection": "Model selection",
}


def wizard_steps(pipeline: Pipeline | None, current: str) -> list[dict[str, Any]]:
    """The wizard's step list for templates: slug, label, done, current."""
    done = set(pipeline.completed_steps or []) if pipeline else set()
    return [
        {"slug": slug, "label": label, "done": mark in done, "current": slug == current}
        for slug, label, mark in WIZARD_STEPS
    ]


def resume_step(pipeline: Pipeline) -> str:
    """The first wizard step not done yet (training when everything is configured)."""
    done = set(pipeline.completed_steps or [])
    for slug, _label, mark in WIZARD_STEPS:
        if mark not in done:
            return slug
    return "training"


def _deployed_model_id(pipeline: Pipeline) -> int | None:
    """The best-ranked deployed model of a deployed pipeline (through the reverse relation, so
    this stage imports nothing downstream), else None."""
    if pipeline.status != Pipeline.Status.DEPLOYED:
        return None
    models = pipeline.trained_models.filter(is_deployed=True).order_by("-created_at", "rank")
    return models.values_list("pk", flat=True).first()


@login_required
def pipeline_list_page(request: HttpRequest) -> HttpResponse:
    """The user's pipelines with their progress; `?stage=` opens that step of each."""
    stage = request.GET.get("stage", "")
    stage = stage if stage in STAGE_LABELS else ""
    page = Paginator(selectors.pipeline_list(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "pipeline": p,
            "steps": wizard_steps(p, ""),
            "resume": resume_step(p),
            "deployed_model_id": _deployed_model_id(p),
        }
        for p in page.object_list
    ]
    return render(
        request,
        "pipelines/list.html",
        {"page": page, "rows": rows, "stage": stage, "stage_label": STAGE_LABELS.get(stage, "")},
    )


def setup_values(data: QueryDict, dataset: Dataset) -> dict[str, Any]:
    """The setup form's fields as the pipeline services take them."""
    horizon = (data.get("forecast_horizon") or "").strip()
    fields: dict[str, Any] = {
        "name": (data.get("name") or "").strip() or services.default_pipeline_name(dataset.name),
        "target_column": data.get("target_column") or "",
        "problem_type": data.get("problem_type") or "",
        "feature_columns": [c for c in data.getlist("feature_columns") if c],
        "time_column": data.get("time_column") or "",
    }
    if fields["problem_type"] == Pipeline.ProblemType.FORECASTING:
        try:
            fields["forecast_horizon"] = int(horizon) if horizon else None
        except ValueError:  # "2.5" or "ten": kept as typed, so the check names it
            fields["forecast_horizon"] = horizon
    return fields


# The setup form's fields: an error naming only these is shown at its field, not twice.
SETUP_FIELDS = frozenset(
    ("name", "target_column", "problem_type", "feature_columns", "time_column", "forecast_horizon")
)


def setup_banner(err: VURError) -> str:
    """The line above the setup form for a refused save: a pointer to the marked fields when
    each message sits at its field, else the error itself."""
    return fields_banner(err, SETUP_FIELDS)


def horizon_facts(
    dataset: Dataset, time_column: str, horizon: Any, refused: bool = False
) -> dict[str, Any]:
    """What the setup form says about the horizon: the default (and the frequency's M4 one it
    may be smaller than), the series' steps, and the warning when the horizon typed (or the
    default, when none is) leaves the series too little history; none for a refused one."""
    time_column = time_column or ""
    steps = services.series_steps(dataset=dataset, time_column=time_column)
    typed = horizon if isinstance(horizon, int) and not isinstance(horizon, bool) else None
    note = ""
    if not refused and (typed is not None or horizon in (None, "")):
        note = services.forecast_horizon_note(
            dataset=dataset, time_column=time_column, horizon=typed
        )
    return {
        "horizon_default": services.default_forecast_horizon(
            dataset=dataset, time_column=time_column
        ),
        "horizon_frequency": frequency_horizon(dataset.frequency),
        "horizon_steps": steps,
        "horizon_note": note,
    }


def target_choices(dataset: Dataset) -> list[dict[str, Any]]:
    """The columns a model can predict (no dates), each with the problem type it most likely
    is (a number of a time series is forecast, not regressed; the column naming a file's series
    is suggested as nothing) and, for a column without values or of one value, why it cannot be
    the target (`refused`; listed, not offered)."""
    timeseries = dataset.dataset_type == Dataset.Type.TIME_SERIES
    targets = []
    for c in dataset.columns_info:
        if c.get("semantic_type") == "datetime" or c["name"] == dataset.time_column:
            continue
        refused = target_refusal(c, dataset.num_rows)
        series_id = timeseries and c["name"] == dataset.id_column
        suggest = "" if refused or series_id else suggested_problem_type(c, dataset.num_rows)
        if timeseries and suggest == Pipeline.ProblemType.REGRESSION:
            suggest = Pipeline.ProblemType.FORECASTING
        targets.append({**c, "suggest": suggest, "refused": refused})
    return targets


def setup_context(dataset: Dataset, values: dict[str, Any], errors: dict) -> dict[str, Any]:
    """Columns and suggestions for the setup form: targets are the columns a model can predict
    (no dates), each with the problem type it most likely is."""
    columns = dataset.columns_info
    targets = target_choices(dataset)
    return {
        "dataset": dataset,
        "columns": columns,
        "target_columns": targets,
        "datetime_columns": [c for c in columns if c.get("semantic_type") == "datetime"],
        "values": values,
        "errors": errors,
        "problem_types": Pipeline.ProblemType.choices,
        "name_max": services.NAME_MAX,
        **horizon_facts(
            dataset,
            values.get("time_column") or "",
            values.get("forecast_horizon"),
            refused="forecast_horizon" in errors,
        ),
    }


def _default_setup(dataset: Dataset) -> dict[str, Any]:
    """What a new pipeline's form starts with: the default name, forecasting for a time series,
    and the target when only one column can be one (a series of a single value column)."""
    timeseries = dataset.dataset_type == Dataset.Type.TIME_SERIES
    problem = Pipeline.ProblemType.FORECASTING if timeseries else ""
    candidates = [c["name"] for c in target_choices(dataset) if c["suggest"]]
    return {
        "name": services.default_pipeline_name(dataset.name),
        "target_column": candidates[0] if len(candidates) == 1 else "",
        "problem_type": problem,
        "time_column": dataset.time_column,
        "feature_columns": [],
    }


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_create_page(request: HttpRequest) -> HttpResponse:
    """Step 1 for a new pipeline: pick the dataset, then the target and problem type."""
    dataset_id = request.POST.get("dataset") or request.GET.get("dataset")
    if not dataset_id:
        return render(
            request,
            "pipelines/choose_dataset.html",
            {
                "datasets": dataset_list(user=request.user)[:200],
                "steps": wizard_steps(None, "setup"),
            },
        )
    dataset = get_or_404(dataset_get, user=request.user, dataset_id=dataset_id)
    if request.method == "GET":
        ctx = setup_context(dataset, _default_setup(dataset), {})
        return render(
            request, "pipelines/setup.html", {**ctx, "steps": wizard_steps(None, "setup")}
        )
    values = setup_values(request.POST, dataset)
    asked = values["name"]
    values["name"] = _free_name(request.user, asked)
    try:
        pipeline = services.pipeline_create(owner=request.user, dataset=dataset, **values)
    except VURError as err:
        ctx = setup_context(dataset, values, error_fields(err))
        ctx.update(steps=wizard_steps(None, "setup"), error=setup_banner(err))
        return render(request, "pipelines/setup.html", ctx, status=err.status_code)
    note = f" ({asked} was taken by another of your pipelines)" if pipeline.name != asked else ""
    messages.success(request, f"Created the pipeline {pipeline.name}{note}.")
    warn_short_history(request, pipeline)
    return redirect("wizard", pipeline_id=pipeline.pk, step="preprocessing")


def warn_short_history(request: HttpRequest, pipeline: Pipeline) -> None:
    """After a save: say when the forecasting pipeline's horizon (its own or the default)
    leaves its series too little history, as the form said beside the field."""
    if pipeline.problem_type != Pipeline.ProblemType.FORECASTING:
        return
    note = services.forecast_horizon_note(
        dataset=pipeline.dataset,
        time_column=pipeline.time_column,
        horizon=pipeline.forecast_horizon,
    )
    if note:
        messages.warning(request, note)


def _free_name(user: Any, name: str) -> str:
    """`name`, or `name (2)`, `name (3)`... when the user has a pipeline named so already, so
    two pipelines (a form sent again from the back button, say) never look the same."""
    taken = set(
        selectors.pipeline_list(user=user)
        .filter(name__startswith=name)
        .values_list("name", flat=True)
    )
    if name not in taken:
        return name
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    suffix = f" ({number})"
    return name[: services.NAME_MAX - len(suffix)] + suffix


@login_required
@require_http_methods(["POST"])
def horizon_note_partial(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """The setup form's warning beside the horizon, for the horizon and time column being typed
    (htmx partial; nothing saved). A horizon that is no whole number gets none: saving names it."""
    dataset = get_or_404(dataset_get, user=request.user, dataset_id=dataset_id)
    text = (request.POST.get("forecast_horizon") or "").strip()
    horizon: Any = int(text) if text.isdigit() and 1 <= int(text) <= MAX_HORIZON else text
    facts = horizon_facts(dataset, request.POST.get("time_column") or "", horizon)
    return render(request, "pipelines/_horizon_note.html", facts)


@login_required
def pipeline_detail_page(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """Resume the wizard at the first step not done yet."""
    pipeline = get_or_404(selectors.pipeline_get, user=request.user, pipeline_id=pipeline_id)
    return redirect("wizard", pipeline_id=pipeline.pk, step=resume_step(pipeline))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def pipeline_delete_page(request: HttpRequest, pipeline_id: int) -> HttpResponse:
    """Delete a pipeline (its configs, jobs and models go with it). A GET (a typed or bookmarked
    address) deletes nothing: it opens the pipeline, whose wizard has the Delete control."""
    pipeline = get_or_404(selectors.pipeline_get, user=request.user, pipeline_id=pipeline_id)
    if request.method != "POST":
        messages.info(request, "To delete this pipeline, use “Delete this pipeline” below.")
        return redirect("pipelines_ui:detail", pipeline_id=pipeline.pk)
    name = pipeline.name
    try:
        services.pipeline_delete(pipeline=pipeline)  # refuses while in use; removes its files
    except VURError as exc:
        messages.error(request, exc.detail)
        return redirect("pipelines_ui:detail", pipeline_id=pipeline_id)
    messages.success(request, f"Deleted the pipeline {name}.")
    return redirect("pipelines_ui:list")
