"""Registration keeps the job's time budget: after the rank-1 model, serving checks (compiling
forests for ONNX Runtime takes seconds) run only while the budget allows; the others are served
by scikit-learn and the job's last log line says which."""

from __future__ import annotations

import time

import pytest

from conftest import pipeline_on_sample
from modeling import serving
from modeling.models import TrainedModel
from pipelines.models import Pipeline
from training import services
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


def _register(owner, deadline: float | None) -> tuple[list[TrainedModel], str]:
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
    services._register(job, pipeline, engine, run.results, run.columns, deadline)
    models = list(TrainedModel.objects.filter(training_job_id=job.pk).order_by("rank"))
    last = TrainingEvent.objects.filter(job_id=job.pk, kind="log").order_by("id").last()
    assert last is not None
    return models, last.payload["message"]


def test_past_the_budget_only_the_rank_one_model_is_compiled(owner):
    models, message = _register(owner, deadline=time.monotonic() - 1.0)
    first, *others = models
    assert first.card["serving"]["checked_rows"] > 0  # checked whatever the clock says
    for model in others:
        assert model.card["serving"] == {
            "path": serving.SKLEARN,
            "detail": services.NOT_COMPILED,
            "checked_rows": 0,
        }
        assert model.algorithm in message
    assert "Not compiled for ONNX Runtime, to keep the time budget" in message
    assert TrainingJob.objects.get(pk=models[0].training_job_id).status == "completed"


def test_within_the_budget_every_model_is_checked(owner):
    models, message = _register(owner, deadline=time.monotonic() + 3600)
    assert all(m.card["serving"]["checked_rows"] > 0 for m in models)
    assert "Not compiled" not in message


def test_the_check_plan_times_the_slowest_check():
    plan = services._CheckPlan(deadline=time.monotonic() + 5.0)
    assert plan.affordable(rank=2)
    plan.entry(2, "slow", lambda affordable: time.sleep(0.05) or {"detail": ""})
    assert plan.last_cost >= 0.05
    plan.last_cost = 10.0  # the slowest check so far would end past the deadline
    assert plan.affordable(rank=1) and not plan.affordable(rank=3)
    out = plan.entry(3, "late", lambda affordable: {"detail": services.NOT_COMPILED})
    assert out["detail"] == services.NOT_COMPILED and plan.skipped == ["late"]
    assert services._CheckPlan(deadline=None).affordable(rank=9)
