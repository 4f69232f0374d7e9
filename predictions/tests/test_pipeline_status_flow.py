"""Each stage moves its pipeline's status through `pipelines.services.pipeline_set_status`:
training start and end, deploy and undeploy (they live in later apps, so the test lives here)."""

from __future__ import annotations

import pytest

from conftest import pipeline_on_sample
from modeling.models import TrainedModel
from pipelines.models import Pipeline
from pipelines.services import pipeline_set_config
from predictions.services import deployment_create, deployment_undeploy
from training.models import TrainingJob
from training.services import training_job_cancel, training_job_start

S = Pipeline.Status
pytestmark = pytest.mark.django_db


def _stored(pipeline: Pipeline) -> str:
    return Pipeline.objects.values_list("status", flat=True).get(pk=pipeline.pk)


@pytest.fixture
def pipeline(owner) -> Pipeline:
    """A configured classification pipeline on the penguins sample."""
    pipeline = pipeline_on_sample(
        owner, "penguins.csv", "species", Pipeline.ProblemType.CLASSIFICATION
    )
    return pipeline_set_config(pipeline=pipeline, field="feature_config", value={}, step="features")


def _start(pipeline: Pipeline, owner, capture) -> TrainingJob:
    # The broker hand-off runs after commit; it is captured, not run, so the job stays queued.
    with capture(execute=False):
        return training_job_start(pipeline=pipeline, user=owner, config={"algorithms": "auto"})


def _model(pipeline: Pipeline, job: TrainingJob) -> TrainedModel:
    return TrainedModel.objects.create(
        owner=pipeline.owner,
        pipeline=pipeline,
        training_job_id=job.pk,
        problem_type=pipeline.problem_type,
        algorithm="random_forest",
        primary_metric="auc",
    )


def test_training_then_deploying_moves_the_status_along(
    pipeline, owner, django_capture_on_commit_callbacks
):
    assert _stored(pipeline) == S.CONFIGURED
    job = _start(pipeline, owner, django_capture_on_commit_callbacks)
    assert _stored(pipeline) == S.TRAINING
    # A job that ends leaves the pipeline trained when it has a model, configured when not.
    training_job_cancel(job=job)
    assert _stored(pipeline) == S.CONFIGURED
    job = _start(pipeline, owner, django_capture_on_commit_callbacks)
    model = _model(pipeline, job)
    training_job_cancel(job=job)
    assert _stored(pipeline) == S.TRAINED
    deployment = deployment_create(owner=owner, model=model, target="api")
    assert _stored(pipeline) == S.DEPLOYED
    deployment_undeploy(deployment=deployment)
    assert _stored(pipeline) == S.TRAINED


def test_a_job_that_ends_while_another_runs_leaves_the_pipeline_training(
    pipeline, owner, django_capture_on_commit_callbacks
):
    first = _start(pipeline, owner, django_capture_on_commit_callbacks)
    # A second start is refused while the first is queued (409 training_in_progress); two jobs
    # of one pipeline can still be active together from before that rule, as made here.
    TrainingJob.objects.create(owner=owner, pipeline=pipeline, status="running", config={})
    training_job_cancel(job=first)
    assert _stored(pipeline) == S.TRAINING
