"""Pipeline work: create and update with checks against the dataset; record stage progress."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from datasets.columns import problem_refusal, target_refusal
from datasets.models import Dataset
from datasets.services import storage_delete_files
from datasets.signals import Cleanup
from datasets.timeseries import (
    MIN_TRAIN_POINTS,
    checked_horizon,
    grid_steps,
    past_calendar_sentence,
    steps_past_calendar,
)
from pipelines.limits import MAX_HORIZON, default_horizon, short_history_note
from pipelines.models import STEPS, Pipeline
from pipelines.signals import pipeline_deleting
from vur.errors import Conflict, InvalidInput, in_use

_S = Pipeline.Status
# The one table of a pipeline's status changes: status -> the statuses it may move to.
# `draft` is only where a pipeline starts and `failed` is entered by no flow (old rows may hold
# it; they leave it by being configured or trained again), so no change enters either. Trained and
# deployed follow facts the callers hold (a model exists, one is deployed), so they may be entered
# from any other status, a draft included: before this service a whole-row save could write a
# stale draft back over a trained pipeline, and its models must stay deployable.
_WORKING = frozenset({_S.CONFIGURED, _S.TRAINING, _S.TRAINED, _S.DEPLOYED})
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    _S.DRAFT: _WORKING,
    _S.CONFIGURED: _WORKING,
    _S.TRAINING: _WORKING,
    _S.TRAINED: _WORKING,
    _S.DEPLOYED: _WORKING,
    _S.FAILED: frozenset({_S.CONFIGURED, _S.TRAINING}),
}


class PipelineStatusError(Conflict):
    """A status change that the pipeline's state machine does not allow."""

    code = "pipeline_status_invalid"


def pipeline_status_allowed(current: str, new: str) -> bool:
    """Whether a pipeline in status `current` may move to `new` (see STATUS_TRANSITIONS)."""
    return new in STATUS_TRANSITIONS.get(current, frozenset())


def pipeline_set_status(*, pipeline: Pipeline, status: str) -> Pipeline:
    """Move `pipeline` to `status` (a `Pipeline.Status`): the one writer of a pipeline's status.

    A conditional update on the row's current status, so a change that raced with another is
    judged against what is stored, not against the caller's copy; `pipeline.status` is refreshed.
    Raises PipelineStatusError (409) for a change STATUS_TRANSITIONS does not allow. Setting the
    status the pipeline already has changes nothing, so a repeat call is safe.
    """
    new = Pipeline.Status(status)
    allowed_from = [old for old, targets in STATUS_TRANSITIONS.items() if new in targets]
    rows = Pipeline.objects.filter(pk=pipeline.pk)
    if rows.filter(status=new).exists() or rows.filter(status__in=allowed_from).update(
        status=new, updated_at=timezone.now()
    ):
        pipeline.status = new
        return pipeline
    current = rows.values_list("status", flat=True).first()
    if current is None:
        raise Pipeline.DoesNotExist(f"pipeline {pipeline.pk} no longer exists")
    raise PipelineStatusError(
        f"A pipeline cannot go from {current} to {new}.",
        errors={"status": [f"{current} -> {new} is not allowed"]},
    )


NAME_MAX = Pipeline._meta.get_field("name").max_length or 200


def default_pipeline_name(dataset_name: str) -> str:
    """The name a new pipeline is offered: "<dataset name> model", the dataset's name shortened
    with "…" (at a space when one is near the end) when the whole would pass `NAME_MAX`."""
    whole = f"{dataset_name} model"
    if len(whole) <= NAME_MAX:
        return whole
    room = NAME_MAX - len("… model")
    cut = dataset_name[:room]
    space = cut.rfind(" ")
    if space >= room - 20:  # end on a whole word unless that drops much of the name
        cut = cut[:space]
    return f"{cut.rstrip()}… model"


def _name_errors(name: Any) -> dict[str, list[str]]:
    """A pipeline name must be some text of at most `NAME_MAX` characters."""
    if not isinstance(name, str) or not name.strip():
        return {"name": ["Give the pipeline a name."]}
    if len(name) > NAME_MAX:
        return {"name": [f"At most {NAME_MAX} characters ({len(name)} given)."]}
    return {}


def _day(stamp: str) -> str:
    """A stored timestamp as a reader writes it: the date alone when it is midnight."""
    text = str(stamp)
    return text.removesuffix("T00:00:00").removesuffix(" 00:00:00")


def _history_too_short(dataset: Dataset) -> str:
    """Why no series of the dataset can be forecast at all, or "": a series needs
    `MIN_TRAIN_POINTS` observations to train a backtest on and one more to check it, and none
    can hold more than the grid from the table's first timestamp to its last. A horizon longer
    than the history holds is not refused: its backtests check fewer steps (the setup form
    says so beside the horizon)."""
    steps = grid_steps(dataset.series_info)
    if steps is None or steps > MIN_TRAIN_POINTS:
        return ""
    first, last = (_day(dataset.series_info[k]) for k in ("start", "end"))
    return (
        f"The series spans only {steps} steps ({first} to {last}): at least "
        f"{MIN_TRAIN_POINTS + 1} are needed to forecast."
    )


def _past_calendar(dataset: Dataset, horizon: int | None) -> str:
    """Why `horizon` steps after the dataset's last timestamp cannot be forecast (they run past
    2262), or ""."""
    info = dataset.series_info or {}
    end, freq = info.get("end"), info.get("frequency")
    if not (horizon and end and freq):
        return ""
    most = steps_past_calendar(end, freq, horizon)
    return "" if most is None else past_calendar_sentence(horizon, freq, most)


def series_steps(*, dataset: Dataset, time_column: str = "") -> int | None:
    """Steps of the dataset's series grid (first to last timestamp) when a pipeline forecasts
    along the dataset's own time column; None when it uses another one or the facts are
    missing."""
    if time_column not in ("", dataset.time_column):
        return None
    return grid_steps(dataset.series_info)


def default_forecast_horizon(*, dataset: Dataset, time_column: str = "") -> int:
    """The horizon a forecasting pipeline on `dataset` without one of its own is trained for
    (`pipelines.limits.default_horizon`: M4's for the frequency, less on a short series)."""
    return default_horizon(
        dataset.frequency, series_steps(dataset=dataset, time_column=time_column)
    )


def pipeline_forecast_horizon(pipeline: Pipeline) -> int:
    """The horizon `pipeline` forecasts: its own, else the default for its series (the one
    rule for pipelines made on the setup page and through REST)."""
    return pipeline.forecast_horizon or default_forecast_horizon(
        dataset=pipeline.dataset, time_column=pipeline.time_column
    )


def pipeline_horizon_facts(pipeline: Pipeline) -> dict[str, Any]:
    """What the training step says of a forecasting pipeline's horizon, its series' length read
    once: the horizon it forecasts (`pipeline_forecast_horizon`), how many steps its backtests
    will check (fewer when the grid cannot hold the horizon plus `MIN_TRAIN_POINTS`; a grid too
    short is refused anyway), and the setup form's warning (`forecast_horizon_note`, "")."""
    dataset = pipeline.dataset
    steps = series_steps(dataset=dataset, time_column=pipeline.time_column)
    horizon = pipeline.forecast_horizon or default_horizon(dataset.frequency, steps)
    checked = (checked_horizon(steps, horizon) or horizon) if steps else horizon
    return {
        "horizon": horizon,
        "checked_horizon": checked,
        "horizon_note": short_history_note(dataset.frequency, steps, horizon),
    }


def forecast_horizon_note(*, dataset: Dataset, time_column: str, horizon: int | None) -> str:
    """The setup form's warning beside the horizon (`horizon`, or the default when None): why
    it leaves the series too little history; "" when it leaves enough. Not a refusal."""
    steps = series_steps(dataset=dataset, time_column=time_column)
    if horizon is None:
        horizon = default_horizon(dataset.frequency, steps)
    return short_history_note(dataset.frequency, steps, horizon)


def _check(
    *,
    dataset: Dataset,
    target_column: str,
    problem_type: str,
    feature_columns: list[str],
    time_column: str,
    forecast_horizon: int | str | None,
) -> dict[str, list[str]]:
    names = set(dataset.column_names)
    errors: dict[str, list[str]] = {}
    if not target_column:
        errors["target_column"] = ["Choose the column to predict."]
    elif target_column not in names:
        errors["target_column"] = [f"'{target_column}' is not a column of the dataset."]
    else:
        profile = dataset.column(target_column) or {}
        refusal = target_refusal(profile, dataset.num_rows) or problem_refusal(
            profile, problem_type, dataset.num_rows
        )
        if refusal:
            errors["target_column"] = [refusal]
    if problem_type not in Pipeline.ProblemType.values:
        errors["problem_type"] = [
            "Choose a problem type: classification, regression or forecasting."
        ]
    unknown = [c for c in feature_columns if c not in names]
    if unknown:
        errors["feature_columns"] = [f"Unknown columns: {', '.join(unknown)}."]
    if target_column in feature_columns:
        errors.setdefault("feature_columns", []).append("The target cannot be a feature.")
    if time_column and time_column not in names:
        errors["time_column"] = [f"'{time_column}' is not a column of the dataset."]
    if problem_type == Pipeline.ProblemType.FORECASTING:
        if not (time_column or dataset.time_column):
            errors["time_column"] = ["Forecasting needs a datetime column; none was found."]
        steps = (
            forecast_horizon
            if isinstance(forecast_horizon, int) and not isinstance(forecast_horizon, bool)
            else None
        )
        if forecast_horizon is not None and not (steps is not None and 1 <= steps <= MAX_HORIZON):
            errors["forecast_horizon"] = [
                f"Must be a whole number of steps between 1 and {MAX_HORIZON}."
            ]
        elif time_column in ("", dataset.time_column):
            short = _history_too_short(dataset) or _past_calendar(dataset, steps)
            if short:
                errors["forecast_horizon"] = [short]
        target = dataset.column(target_column)
        if target and target.get("semantic_type") not in ("numeric", None):
            errors.setdefault("target_column", []).append("A forecast target must be numeric.")
    return errors


def pipeline_create(*, owner, dataset: Dataset, **fields: Any) -> Pipeline:
    """Create a pipeline for `dataset` after checking its columns. Atomic; not idempotent."""
    fields.setdefault("feature_columns", [])
    fields["feature_columns"] = fields["feature_columns"] or []
    fields["time_column"] = fields.get("time_column") or ""
    if fields["problem_type"] == Pipeline.ProblemType.FORECASTING:
        fields["time_column"] = fields["time_column"] or dataset.time_column
        fields.setdefault("id_column", dataset.id_column)
        fields.setdefault("forecast_horizon", None)
    errors = _check(
        dataset=dataset,
        target_column=fields["target_column"],
        problem_type=fields["problem_type"],
        feature_columns=fields["feature_columns"],
        time_column=fields["time_column"],
        forecast_horizon=fields.get("forecast_horizon"),
    )
    errors.update(_name_errors(fields.get("name")))
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, code="invalid_pipeline", errors=errors)
    with transaction.atomic():
        return Pipeline.objects.create(
            owner=owner, dataset=dataset, completed_steps=["upload"], **fields
        )


def pipeline_update(*, pipeline: Pipeline, **fields: Any) -> Pipeline:
    """Change a pipeline's name, target, columns or horizon, re-checking them. Safe to repeat."""
    merged = {
        "target_column": fields.get("target_column", pipeline.target_column),
        "problem_type": fields.get("problem_type", pipeline.problem_type),
        "feature_columns": fields.get("feature_columns", pipeline.feature_columns) or [],
        "time_column": fields.get("time_column", pipeline.time_column) or "",
        "forecast_horizon": fields.get("forecast_horizon", pipeline.forecast_horizon),
    }
    errors = _check(dataset=pipeline.dataset, **merged)
    if "name" in fields:
        errors.update(_name_errors(fields["name"]))
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, code="invalid_pipeline", errors=errors)
    for key, value in fields.items():
        setattr(pipeline, key, value if value is not None or key == "forecast_horizon" else "")
    # Only the edited fields: a save of the whole row would write back a stale status.
    pipeline.save(update_fields=[*fields, "updated_at"])
    return pipeline


def pipeline_delete(*, pipeline: Pipeline) -> None:
    """Delete a pipeline with its jobs and models and, once the deletion commits, their stored
    files (model artifacts and cards, batch inputs and results). The dataset stays.

    Conflict (409, `pipeline_in_use`) while a training or batch job runs on it or one of its
    models is deployed; nothing changes then.
    """
    cleanup = Cleanup()
    with transaction.atomic():
        if not Pipeline.objects.select_for_update().filter(pk=pipeline.pk).exists():
            return
        pipeline_deleting.send(sender=Pipeline, pipeline=pipeline, cleanup=cleanup)
        if cleanup.blockers:
            raise _pipeline_in_use(cleanup.blockers)
        pipeline.delete()
        transaction.on_commit(partial(storage_delete_files, list(cleanup.files)))


def _pipeline_in_use(blockers: list[str]) -> Conflict:
    return in_use(
        "The pipeline",
        blockers,
        "Cancel its jobs and undeploy its models, then delete it.",
        "pipeline_in_use",
    )


def pipeline_delete_blockers(*, pipeline: Pipeline) -> list[str]:
    """Why `pipeline` cannot be deleted now (running jobs, deployed models); [] when it can.
    Reads only (the admin's confirmation page shows these)."""
    cleanup = Cleanup()
    pipeline_deleting.send(sender=Pipeline, pipeline=pipeline, cleanup=cleanup)
    return cleanup.blockers


def pipeline_delete_refusal(*, pipeline: Pipeline) -> str:
    """The sentence `pipeline_delete` would refuse with now; "" when the pipeline may go."""
    blockers = pipeline_delete_blockers(pipeline=pipeline)
    return _pipeline_in_use(blockers).detail if blockers else ""


def _save_steps(pipeline: Pipeline, done: list[str]) -> None:
    """Store `done` as the pipeline's completed steps, `current_step` the first step not in it."""
    later = [s for s in STEPS if s not in done]
    pipeline.completed_steps = done
    pipeline.current_step = later[0] if later else "monitoring"
    pipeline.save(update_fields=["completed_steps", "current_step", "updated_at"])


def _stored_steps(pipeline: Pipeline) -> list[str]:
    """The completed steps as stored now, not the caller's copy (a training job holds its
    pipeline for minutes, while models may be deleted and their steps dropped)."""
    stored = Pipeline.objects.filter(pk=pipeline.pk).values_list("completed_steps", flat=True)
    return list(stored.first() or [])


def pipeline_mark_step(*, pipeline: Pipeline, step: str, status: str | None = None) -> Pipeline:
    """Record that `step` is done and move `current_step` on; with `status`, move the pipeline
    there through `pipeline_set_status` (which may refuse it). Idempotent."""
    done = _stored_steps(pipeline)
    if step not in done:
        done.append(step)
    _save_steps(pipeline, done)
    if status:
        pipeline_set_status(pipeline=pipeline, status=status)
    return pipeline


def pipeline_unmark_step(*, pipeline: Pipeline, step: str) -> Pipeline:
    """Record that `step` and every step after it are no longer done (what they made is gone,
    e.g. its last trained model was deleted) and move `current_step` back. Idempotent."""
    undone = set(STEPS[STEPS.index(step) :])
    stored = _stored_steps(pipeline)
    done = [s for s in stored if s not in undone]
    if done != stored:
        _save_steps(pipeline, done)
    else:
        pipeline.completed_steps = stored
    return pipeline


def pipeline_set_config(*, pipeline: Pipeline, field: str, value: Any, step: str) -> Pipeline:
    """Save one stage's config on the pipeline and mark that stage done. Safe to repeat."""
    if field not in ("preprocessing_config", "feature_config", "model_configs"):
        raise ValueError(field)
    setattr(pipeline, field, value)
    pipeline.save(update_fields=[field, "updated_at"])
    return pipeline_mark_step(pipeline=pipeline, step=step, status=Pipeline.Status.CONFIGURED)
