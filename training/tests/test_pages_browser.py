"""Training pages in headless Chromium on the real stack: cancelling asks first."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from vur.tests.browser import sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cancel_asks_for_confirmation_first(live_stack, browser, owner, deployed_model):
    from training.models import TrainingJob

    job = TrainingJob.objects.create(
        owner=owner, pipeline=deployed_model.pipeline, config={"time_budget_s": 5}
    )
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/training/{job.pk}/")
    assert "discards every model scored so far" in browser.find_element(By.ID, "cancel-help").text
    browser.find_element(By.ID, "cancel-job").click()
    alert = wait(browser).until(lambda d: d.switch_to.alert)
    assert "no model is kept" in alert.text
    alert.dismiss()
    job.refresh_from_db()
    assert job.status == "queued"
    browser.find_element(By.ID, "cancel-job").click()
    wait(browser).until(lambda d: d.switch_to.alert).accept()
    wait(browser).until(lambda d: d.find_elements(By.ID, "cancel-done"))
    job.refresh_from_db()
    assert job.status == "cancelled"
