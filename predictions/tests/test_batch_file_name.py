"""A batch job on the model page is named by the file the person uploaded ("loans.csv"), not by
the tail of its storage key ("…-e54d6a3effec/input-loans.csv")."""

from __future__ import annotations

import uuid

from django.template.loader import render_to_string

from predictions.models import BatchJob


def _job(name: str, status: str = "completed") -> BatchJob:
    job = BatchJob(id=uuid.uuid4(), owner_id=7, status=status, rows_done=200, rows_total=200)
    job.input_file.name = name
    return job


def test_input_filename_is_the_uploaded_name():
    job = _job(f"batch/7/{uuid.uuid4()}/input-loan applications 2024.csv")
    assert job.input_filename == "loan applications 2024.csv"
    assert _job("").input_filename == ""


def test_batch_status_shows_the_uploaded_file_name():
    job = _job(f"batch/7/{uuid.uuid4()}/input-loans.csv")
    html = render_to_string("predictions/_batch_status.html", {"job": job, "error": ""})
    assert '/">loans.csv</a>' in html
    assert "input-" not in html and "batch/" not in html.replace("/predictions/batch/", "")
