"""Registration keeps the job's time budget: serving checks (compiling forests for ONNX Runtime
takes seconds to minutes) run only while their predicted cost fits in the budget (the rank-1
model's within a small slack past it); the others are served by scikit-learn and the job's last
log line says which."""

from __future__ import annotations

import time

import pytest

from conftest import pipeline_on_sample
from modeling import serving
from modeling.catalog import display_name
from modeling.models import TrainedModel
from pipelines.models import Pipeline
from training import services
from training.budget import CheckPlan
from training.engines import engine_for
from training.models import TrainingEvent, TrainingJob

pytestmark = pytest.mark.django_db


def _running_job(owner) -> tuple[TrainingJob, Pipeline]:
    pipeline = pipeline_on_sample(
        owner, "penguins.csv", "species", Pipeline.ProblemType.CLASSIFICATION
    )
    job = TrainingJob.objects.create(
        owner=owner,
        pipeline=pipeline,
        config={"time_budget_s": 20},
        status=TrainingJob.Status.RUNNING,
    )
    return job, pipeline


def _register(owner, deadline: float | None, slack: float = 0.0) -> tuple[list[TrainedModel], str]:
    job, pipeline = _running_job(owner)
    engine = engine_for(pipeline)
    run = engine.run(
        {
            "algorithms": ["linear", "random_forest"],
            "hyperparameters": {"random_forest": {"n_estimators": 30}},
            "search": {"n_iter": 1},
            "random_state": 0,
        },
        time_budget_s=20.0,
        on_event=lambda kind, payload: None,
        should_stop=lambda: False,
    )
    assert len(run.results) >= 2
    services._register(job, pipeline, engine, run.results, run.columns, deadline, slack)
    models = list(TrainedModel.objects.filter(training_job_id=job.pk).order_by("rank"))
    last = TrainingEvent.objects.filter(job_id=job.pk, kind="log").order_by("id").last()
    assert last is not None
    return models, last.payload["message"]


def test_past_the_budget_only_the_rank_one_model_is_checked_within_its_slack(owner):
    models, message = _register(owner, deadline=time.monotonic() - 1.0, slack=3600.0)
    first, *others = models
    assert first.card["serving"]["checked_rows"] > 0
    for model in others:
        assert model.card["serving"] == {
            "path": serving.SKLEARN,
            "detail": services.NOT_COMPILED,
            "checked_rows": 0,
        }
        assert display_name(model.algorithm, model.problem_type) in message
    assert "Not compiled for ONNX Runtime, to keep the time budget" in message
    assert TrainingJob.objects.get(pk=models[0].training_job_id).status == "completed"


def test_past_the_budget_and_its_slack_no_model_is_checked(owner):
    models, message = _register(owner, deadline=time.monotonic() - 1.0, slack=0.5)
    assert all(m.card["serving"]["detail"] == services.NOT_COMPILED for m in models)
    assert all(display_name(m.algorithm, m.problem_type) in message for m in models)
    assert TrainingJob.objects.get(pk=models[0].training_job_id).status == "completed"


def test_within_the_budget_every_model_is_checked(owner):
    models, message = _register(owner, deadline=time.monotonic() + 3600)
    assert all(m.card["serving"]["checked_rows"] > 0 for m in models)
    assert "Not compiled" not in message


def test_the_check_plan_predicts_each_check_and_learns_the_load():
    plan = CheckPlan(deadline=time.monotonic() + 5.0, slack=10.0)
    assert plan.affordable(rank=2, predicted=1.0)
    assert not plan.affordable(rank=2, predicted=30.0)  # a big forest: past the deadline
    assert plan.affordable(rank=1, predicted=12.0)  # rank 1 may use the slack
    assert not plan.affordable(rank=1, predicted=30.0)
    # A check that ran three times slower than predicted scales the later predictions.
    plan.entry(2, "slow", 1.0, lambda affordable: time.sleep(0.0) or {"detail": ""})
    assert plan.slowdown == 1.0  # faster than predicted: the rate stands
    slow = CheckPlan(deadline=time.monotonic() + 5.0)
    slow.entry(2, "slow", 1.0, lambda affordable: time.sleep(1.2) or {"detail": ""})
    assert slow.slowdown >= 1.2
    # 4 s at the learnt rate (4.8 s or more) no longer fits in the 3.8 s or less that are left.
    assert not slow.affordable(rank=3, predicted=4.0)
    out = slow.entry(3, "late", 5.0, lambda affordable: {"affordable": affordable})
    assert out == {"affordable": False} and slow.skipped == ["late"]
    assert CheckPlan(deadline=None).affordable(rank=9, predicted=1e9)
    # A model with nothing to check (a forecaster) is never listed, whatever the clock says.
    past = CheckPlan(deadline=time.monotonic() - 10.0)
    past.entry(2, "forecaster", 0.0, lambda affordable: {"affordable": affordable})
    assert past.skipped == []
