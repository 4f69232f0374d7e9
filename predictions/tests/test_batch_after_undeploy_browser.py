"""Browser test: files scored with a model stay listed, with their downloads, on its page after
it is undeployed (the list used to go with the predict forms, a dead end for the results)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from conftest import sample_path
from vur.tests.browser import check_page, sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = 120

_STATUS_OF = """
var done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: 'same-origin'}).then(function (r) { done(r.status); });
"""


def test_scored_files_stay_downloadable_after_undeploy(
    live_stack, browser, deployed_model, tmp_path
):
    deployed_model.is_deployed = True
    deployed_model.save(update_fields=["is_deployed"])
    rows = [r.split(",") for r in sample_path("penguins.csv").read_text().splitlines()[:11]]
    rows_file = tmp_path / "rows.csv"
    rows_file.write_text("\n".join(",".join(r[1:]) for r in rows) + "\n")

    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/models/{deployed_model.pk}/")
    wait(browser, LONG).until(ec.element_to_be_clickable((By.ID, "batch-button")))
    browser.find_element(By.ID, "batch-file").send_keys(str(rows_file))
    browser.find_element(By.ID, "batch-button").click()
    wait(browser, LONG).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#batch-status a[download]"))
    )
    href = browser.find_element(By.CSS_SELECTOR, "#batch-status a[download]").get_attribute("href")

    browser.find_element(By.CSS_SELECTOR, "#deployment-history button").click()
    wait(browser).until(lambda d: d.switch_to.alert).accept()  # "Undeploy ...?"
    wait(browser, LONG).until(ec.presence_of_element_located((By.ID, "predict-needs-deploy")))
    for reloaded in (False, True):
        if reloaded:
            browser.refresh()
            wait(browser, LONG).until(
                ec.presence_of_element_located((By.ID, "predict-needs-deploy"))
            )
        links = browser.find_elements(By.CSS_SELECTOR, "#batch-recent a[download]")
        assert [a.get_attribute("href") for a in links] == [href], reloaded
        assert "10 of 10 rows scored" in browser.find_element(By.ID, "batch-recent").text
    assert browser.execute_async_script(_STATUS_OF, href) == 200
    check_page(browser, "model-undeployed-with-files")
