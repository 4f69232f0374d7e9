"""Browser test of a refused batch file on a model's page: the refusal is shown next to the
upload form, and the status of the job shown before it stays as it was (no reload needed)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from conftest import sample_path
from vur.tests.browser import sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = 120


def _batch_file(path, heavy: bool) -> None:
    """The first 10 penguins without their species; with `heavy`, body_mass_g reads 'heavy'."""
    rows = [r.split(",") for r in sample_path("penguins.csv").read_text().splitlines()[:11]]
    at = rows[0].index("body_mass_g")
    if heavy:
        for row in rows[1:]:
            row[at] = "heavy"
    path.write_text("\n".join(",".join(r[1:]) for r in rows) + "\n")


def test_a_refused_file_is_explained_and_the_previous_job_stays(
    live_stack, browser, deployed_model, tmp_path
):
    deployed_model.is_deployed = True
    deployed_model.save(update_fields=["is_deployed"])
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    _batch_file(good, heavy=False)
    _batch_file(bad, heavy=True)

    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/models/{deployed_model.pk}/")
    wait(browser, LONG).until(ec.element_to_be_clickable((By.ID, "batch-button")))
    browser.find_element(By.ID, "batch-file").send_keys(str(good))
    browser.find_element(By.ID, "batch-button").click()
    wait(browser, LONG).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#batch-status a[download]"))
    )
    shown = browser.find_element(By.CSS_SELECTOR, "#batch-status .batch-job")
    job_id, before = shown.get_attribute("id"), shown.text
    assert "10 of 10 rows scored" in before

    browser.find_element(By.ID, "batch-file").clear()
    browser.find_element(By.ID, "batch-file").send_keys(str(bad))
    browser.find_element(By.ID, "batch-button").click()
    wait(browser, LONG).until(
        lambda d: "'heavy' in row 2" in d.find_element(By.ID, "batch-file-error").text
    )
    error = browser.find_element(By.ID, "batch-file-error").text
    assert "body_mass_g: 10 values are not numbers" in error, error
    assert browser.find_element(By.ID, "batch-file").get_attribute("aria-invalid") == "true"
    # The job shown before is still there, unchanged, with its download.
    jobs = browser.find_elements(By.CSS_SELECTOR, "#batch-status .batch-job")
    assert [j.get_attribute("id") for j in jobs] == [job_id]
    assert jobs[0].text == before
    assert browser.find_elements(By.CSS_SELECTOR, "#batch-status a[download]")
    assert not browser.find_elements(By.CSS_SELECTOR, "#batch-status #batch-error")

    # A good file after it clears the error and shows its own job.
    browser.find_element(By.ID, "batch-file").clear()
    browser.find_element(By.ID, "batch-file").send_keys(str(good))
    browser.find_element(By.ID, "batch-button").click()
    wait(browser, LONG).until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, "#batch-status .batch-job").get_attribute("id")
            != job_id
        )
    )
    assert browser.find_element(By.ID, "batch-file-error").text == ""
