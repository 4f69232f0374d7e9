"""A pipeline's status changes only through `pipeline_set_status`, along STATUS_TRANSITIONS."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import sample_path
from pipelines.models import Pipeline
from pipelines.services import (
    STATUS_TRANSITIONS,
    PipelineStatusError,
    pipeline_create,
    pipeline_mark_step,
    pipeline_set_config,
    pipeline_set_status,
    pipeline_status_allowed,
    pipeline_unmark_step,
    pipeline_update,
)

S = Pipeline.Status
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(owner) -> Pipeline:
    """A fresh (draft) classification pipeline on the penguins sample."""
    from django.core.files import File

    from datasets.services import dataset_upload

    with open(sample_path("penguins.csv"), "rb") as fh:
        dataset = dataset_upload(owner=owner, upload=File(fh, name="penguins.csv"), name="p")
    return pipeline_create(
        owner=owner,
        dataset=dataset,
        name="p",
        target_column="species",
        problem_type=Pipeline.ProblemType.CLASSIFICATION,
    )


def _stored(pipeline: Pipeline) -> str:
    return Pipeline.objects.values_list("status", flat=True).get(pk=pipeline.pk)


def _force(pipeline: Pipeline, status: str) -> None:
    """Put the row in `status` directly: the test's setup, not a flow of the product."""
    Pipeline.objects.filter(pk=pipeline.pk).update(status=status)
    pipeline.status = status


def test_the_table_names_every_status_and_nothing_enters_draft_or_failed():
    assert set(STATUS_TRANSITIONS) == set(S.values)
    for targets in STATUS_TRANSITIONS.values():
        assert S.DRAFT not in targets and S.FAILED not in targets
    # A failed pipeline is trained again before it claims a model.
    assert not pipeline_status_allowed(S.FAILED, S.TRAINED)
    assert not pipeline_status_allowed(S.FAILED, S.DEPLOYED)
    assert not pipeline_status_allowed(S.TRAINED, S.DRAFT)
    assert pipeline_status_allowed(S.TRAINED, S.DEPLOYED)


def test_the_lifecycle_goes_through_the_service(pipeline):
    assert _stored(pipeline) == S.DRAFT
    for status in (S.CONFIGURED, S.TRAINING, S.TRAINED, S.DEPLOYED, S.TRAINED, S.TRAINING):
        assert pipeline_set_status(pipeline=pipeline, status=status).status == status
        assert _stored(pipeline) == status


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (current, new)
        for current in S.values
        for new in S.values
        if current != new and new not in STATUS_TRANSITIONS[current]
    ],
)
def test_an_illegal_change_is_refused_and_changes_nothing(pipeline, current, new):
    _force(pipeline, current)
    with pytest.raises(PipelineStatusError) as err:
        pipeline_set_status(pipeline=pipeline, status=new)
    assert err.value.status_code == 409 and err.value.code == "pipeline_status_invalid"
    assert _stored(pipeline) == current and pipeline.status == current


def test_the_change_is_judged_against_the_stored_row_not_a_stale_copy(pipeline):
    stale = Pipeline.objects.get(pk=pipeline.pk)  # still thinks it is a draft
    _force(pipeline, S.FAILED)
    # draft -> configured is allowed, but the stored row is failed and failed -> trained is not.
    with pytest.raises(PipelineStatusError):
        pipeline_set_status(pipeline=stale, status=S.TRAINED)
    assert pipeline_set_status(pipeline=stale, status=S.CONFIGURED).status == S.CONFIGURED
    assert _stored(pipeline) == S.CONFIGURED


def test_setting_the_same_status_twice_is_harmless(pipeline):
    pipeline_set_status(pipeline=pipeline, status=S.CONFIGURED)
    pipeline_set_status(pipeline=pipeline, status=S.CONFIGURED)
    assert _stored(pipeline) == S.CONFIGURED


def test_saving_a_stage_config_configures_a_draft(pipeline):
    pipeline_set_config(pipeline=pipeline, field="feature_config", value={}, step="features")
    assert _stored(pipeline) == S.CONFIGURED


def test_edits_and_steps_never_write_back_a_stale_status(pipeline):
    stale = Pipeline.objects.get(pk=pipeline.pk)
    pipeline_set_status(pipeline=pipeline, status=S.TRAINING)
    pipeline_update(pipeline=stale, name="renamed")
    pipeline_mark_step(pipeline=stale, step="features")
    assert _stored(pipeline) == S.TRAINING
    assert Pipeline.objects.get(pk=pipeline.pk).name == "renamed"


def test_steps_are_marked_and_unmarked_on_the_stored_row_not_a_stale_copy(pipeline):
    for step in ("preprocessing", "training", "deployment"):
        pipeline_mark_step(pipeline=pipeline, step=step)
    stale = Pipeline.objects.get(pk=pipeline.pk)  # a training job's copy, held for its run
    pipeline_unmark_step(pipeline=pipeline, step="training")  # its last model was deleted
    pipeline_unmark_step(pipeline=pipeline, step="training")  # twice changes nothing more
    stored = Pipeline.objects.get(pk=pipeline.pk)
    assert (stored.completed_steps, stored.current_step) == (
        ["upload", "preprocessing"],
        "features",
    )
    pipeline_mark_step(pipeline=stale, step="training")  # the job registers its models
    assert Pipeline.objects.get(pk=pipeline.pk).completed_steps == [
        "upload",
        "preprocessing",
        "training",
    ]  # deployment, dropped meanwhile, is not written back


def _status_writes(path: Path) -> list[str]:
    """Places in `path` that write a pipeline's status other than through the service."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            writes = node.func.attr in ("update", "create", "update_or_create", "bulk_update")
            status = any(k.arg in ("status", "defaults") for k in node.keywords)
            if writes and status and "Pipeline.objects" in ast.unparse(node.func.value):
                found.append(f"{path}:{node.lineno}")
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                named = isinstance(target, ast.Attribute) and target.attr == "status"
                if named and ast.unparse(target).lower().endswith("pipeline.status"):
                    found.append(f"{path}:{node.lineno}")
    return found


def _project_sources() -> list[Path]:
    """The project's own Python files outside tests and migrations (no virtualenv, no var)."""
    tops = [
        d for d in ROOT.iterdir() if d.is_dir() and not d.name.startswith(".") and d.name != "var"
    ]
    return [
        p
        for top in tops
        for p in top.rglob("*.py")
        if "migrations" not in p.parts and "tests" not in p.parts
    ]


def test_no_module_writes_a_pipeline_status_but_the_service():
    skip = {ROOT / "pipelines" / "services.py"}
    files = [p for p in _project_sources() if p not in skip]
    assert len(files) > 50
    assert [hit for p in files for hit in _status_writes(p)] == []
