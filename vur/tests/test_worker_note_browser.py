"""In Chromium, with no Celery worker running: a training job's page and the dashboard say that
no worker answers once the job has waited a moment; a worker started later takes the job, the
note goes away and the job completes as usual."""

from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By

from conftest import pipeline_on_sample
from vur.tests.browser import sign_in, wait
from vur.tests.stack import http_json, running_stack

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "No worker is answering: the job will start when one is back (see /health/)."
FAST = {"VUR_QUEUE_NOTE_AFTER_S": "1", "VUR_WORKER_STATUS_CACHE_S": "1"}


def _note_shown(driver) -> bool:
    notes = driver.find_elements(By.ID, "job-worker-note")
    return bool(notes) and notes[0].is_displayed() and notes[0].text == NOTE


def test_a_queued_job_says_no_worker_answers_until_one_is_back(browser, owner, tmp_path):
    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    prefix = f"vurt{uuid.uuid4().hex[:8]}"
    (tmp_path / "web").mkdir()
    (tmp_path / "worker").mkdir()
    with running_stack(tmp_path / "web", web=True, worker=False, prefix=prefix, **FAST) as web:
        base = web.base
        _, token = http_json(
            "POST", f"{base}/api/v1/auth/token/",
            {"username": "owner", "password": "owner-pass-123"},
        )  # fmt: skip
        status, started = http_json(
            "POST", f"{base}/api/v1/training/start",
            {"pipeline_id": pipeline.pk, "algorithms": ["decision_tree"], "time_budget_s": 4},
            token=token["access"],
        )  # fmt: skip
        assert status == 202, started
        job_id = started["job_id"]

        sign_in(browser, base, "owner", "owner-pass-123")
        browser.get(f"{base}/")
        wait(browser).until(
            lambda d: NOTE in d.find_element(By.ID, "jobs-body").text  # polled every 3 s
        )
        browser.get(f"{base}/training/{job_id}/")
        assert browser.find_element(By.ID, "job-status").text == "Queued"
        wait(browser).until(_note_shown)

        with running_stack(tmp_path / "worker", web=False, worker=True, prefix=prefix):
            # The worker takes the waiting job: the page follows it live, without the note.
            wait(browser, 120).until(
                lambda d: d.find_element(By.ID, "job-status").text == "Completed"
            )
            assert not browser.find_element(By.ID, "job-worker-note").is_displayed()
            browser.get(f"{base}/")
            wait(browser).until(lambda d: NOTE not in d.find_element(By.ID, "jobs-body").text)
