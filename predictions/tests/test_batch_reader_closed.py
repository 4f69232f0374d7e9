"""A batch file that lacks the model's columns fails the job with that reason, and its chunk
reader is closed before its file: no "Exception ignored ... I/O operation on closed file" from
a generator finalised after the file was closed."""

from __future__ import annotations

import gc
import sys

import pytest
from django.core.files.base import ContentFile

from predictions.models import BatchJob
from predictions.services import batch_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def unraisable(monkeypatch):
    """The exceptions Python could only report as 'Exception ignored in ...' during the test."""
    seen: list = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append((u.exc_value, u.object)))
    return seen


def test_a_file_without_the_models_columns_fails_cleanly(deployed_model, unraisable):
    rows = "\n".join(["sepal,petal,kind", *[f"{i},{i * 2},a" for i in range(50)]]) + "\n"
    job = BatchJob.objects.create(owner=deployed_model.owner, model=deployed_model)
    job.input_file.save("iris_like.csv", ContentFile(rows.encode()))
    batch_run(job_id=job.pk)
    gc.collect()
    job.refresh_from_db()
    assert job.status == BatchJob.Status.FAILED
    assert job.error.startswith("The file lacks the model's columns: island")
    assert unraisable == []
