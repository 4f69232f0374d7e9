"""The shared layout and the dashboard in a real headless Chromium against the real stack:
running jobs and open alerts on the dashboard (jobs refresh without a reload), keyboard focus,
the phone menu, the favicon and signing out."""

from __future__ import annotations

import urllib.request

import pytest
from django.core.files import File

from conftest import sample_path
from vur.tests.browser import check_page, set_width, sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def running_job(owner):
    """A pipeline on the penguins sample with a training job marked running at 40 %."""
    from datasets.services import dataset_upload
    from pipelines.services import pipeline_create
    from training.models import TrainingJob

    with open(sample_path("penguins.csv"), "rb") as fh:
        dataset = dataset_upload(owner=owner, upload=File(fh, name="penguins.csv"), name="P")
    pipeline = pipeline_create(
        owner=owner, dataset=dataset, name="Penguin species",
        target_column="species", problem_type="classification",
    )  # fmt: skip
    return TrainingJob.objects.create(
        owner=owner, pipeline=pipeline, status="running", progress=0.4, config={}
    )


def test_dashboard_shows_running_jobs_live_and_open_alerts(live_stack, browser, owner, running_job):
    from selenium.webdriver.common.by import By

    from monitoring.models import Alert
    from training.models import TrainingJob

    Alert.objects.create(
        owner=owner, kind="job_failed", subject=f"job:{running_job.pk}", severity="warning",
        message="A training job of Penguin species failed.",
    )  # fmt: skip
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    jobs = browser.find_element(By.ID, "running-jobs")
    assert "Penguin species" in jobs.text and "running" in jobs.text
    link = jobs.find_element(By.CSS_SELECTOR, "a")
    assert link.get_attribute("href").endswith(f"/training/{running_job.pk}/")
    assert "A training job of Penguin species failed." in browser.find_element(By.ID, "alerts").text
    assert browser.find_element(By.ID, "open-alerts-count").text.split() == ["1", "open", "alert"]
    actions = browser.find_elements(By.CSS_SELECTOR, "#quick-actions a")
    assert actions and not any("/api/" in a.get_attribute("href") for a in actions)
    check_page(browser, "dashboard-running")

    browser.execute_script("window.__sameDocument = true;")
    TrainingJob.objects.filter(pk=running_job.pk).update(status="completed", progress=1.0)
    wait(browser).until(lambda d: d.find_elements(By.ID, "no-jobs"))
    assert browser.execute_script("return window.__sameDocument === true;")


def test_layout_keyboard_focus_phone_menu_favicon_and_sign_out(live_stack, browser, owner):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    sign_in(browser, live_stack, "owner", "owner-pass-123")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.text == "Skip to content"
    outline = browser.execute_script(
        "return getComputedStyle(document.activeElement).outlineStyle;"
    )
    assert outline == "solid", "keyboard focus is visible"

    set_width(browser, 390)
    stages = browser.find_element(By.ID, "stages")
    assert not stages.is_displayed()
    toggle = browser.find_element(By.CSS_SELECTOR, "[data-nav-toggle]")
    toggle.click()
    wait(browser).until(lambda d: stages.is_displayed())
    assert toggle.get_attribute("aria-expanded") == "true"
    # Escape closes the open menu (from inside it too) and gives the focus back to its button.
    stages.find_element(By.CSS_SELECTOR, "[data-nav=datasets]").send_keys(Keys.ESCAPE)
    wait(browser).until(lambda d: not stages.is_displayed())
    assert toggle.get_attribute("aria-expanded") == "false"
    assert browser.switch_to.active_element == toggle
    toggle.click()
    wait(browser).until(lambda d: stages.is_displayed())
    stages.find_element(By.CSS_SELECTOR, "[data-nav=datasets]").click()
    wait(browser).until(lambda d: d.current_url.endswith("/datasets/"))
    set_width(browser, 1280)
    current = browser.find_element(By.CSS_SELECTOR, "#stages a[aria-current=page]")
    assert current.get_attribute("data-nav") == "datasets"

    icon = browser.find_element(By.CSS_SELECTOR, "link[rel=icon]").get_attribute("href")
    with urllib.request.urlopen(icon, timeout=30) as res:
        assert res.status == 200 and b"<svg" in res.read()

    browser.find_element(By.ID, "sign-out").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "sign-in"))
    browser.get(live_stack + "/datasets/")
    wait(browser).until(lambda d: "/accounts/login/" in d.current_url)
