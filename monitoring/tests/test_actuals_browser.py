"""Browser test of the "Record actuals" card on the real stack: a refused file says which row is
wrong in the card, and a good one is recorded and shows up in the live metrics."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from vur.tests.browser import check_page, sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = 120


def test_uploading_actuals_records_them_and_the_live_metrics_appear(
    live_stack, browser, owner, deployed_model, tmp_path
):
    from predictions.models import PredictionRecord
    from predictions.services import predict_rows

    deployed_model.classes = ["Adelie", "Chinstrap", "Gentoo"]
    deployed_model.save(update_fields=["classes"])
    names = [c["name"] for c in deployed_model.input_schema["columns"]]
    rows = [
        dict(zip(names, ["Torgersen", 39.1, 18.7, 181.0, 3750.0, "male", 2007], strict=False)),
        dict(zip(names, ["Biscoe", 46.5, 14.8, 217.0, 5200.0, "female", 2008], strict=False)),
        dict(zip(names, ["Dream", 49.5, 19.0, 200.0, 3800.0, "male", 2008], strict=False)),
    ]
    ids = predict_rows(user=owner, model=deployed_model, data=rows)["prediction_ids"]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"prediction_id,actual\n{ids[0]},Adelie\n{ids[1]},Emperor\n")
    good = tmp_path / "actuals.csv"
    good.write_text(
        "prediction_id,actual\n"
        + "".join(f"{i},{a}\n" for i, a in zip(ids, ["Adelie", "Gentoo", "Chinstrap"], strict=True))
    )

    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/monitoring/models/{deployed_model.pk}/")
    empty = wait(browser, LONG).until(ec.presence_of_element_located((By.ID, "live-empty")))
    assert "Record actuals" in empty.text and "/api/v1/predictions/feedback" in empty.text

    browser.find_element(By.ID, "actuals-file").send_keys(str(bad))
    browser.find_element(By.ID, "actuals-button").click()
    error = wait(browser, LONG).until(ec.presence_of_element_located((By.ID, "actuals-error")))
    assert "Nothing was recorded" in error.text
    assert 'Row 3: actual "Emperor" is not one of the classes' in error.text
    assert not PredictionRecord.objects.filter(feedback_at__isnull=False).exists()

    browser.find_element(By.ID, "actuals-file").send_keys(str(good))
    browser.find_element(By.ID, "actuals-button").click()
    done = wait(browser, LONG).until(ec.presence_of_element_located((By.ID, "actuals-recorded")))
    assert done.text == "Recorded 3 actuals."
    assert not browser.find_elements(By.ID, "actuals-error")
    # The live metrics reload at once (not at the next 30 s refresh).
    wait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#live-facts dd"))
    facts = {
        dt.get_attribute("data-metric"): dd.text
        for dt, dd in zip(
            browser.find_elements(By.CSS_SELECTOR, "#live-facts dt"),
            browser.find_elements(By.CSS_SELECTOR, "#live-facts dd"),
            strict=True,
        )
    }
    assert facts["n"] == "3" and "accuracy" in facts
    assert not browser.find_elements(By.ID, "live-empty")
    assert browser.find_element(By.ID, "actuals-file").get_attribute("value") == ""
    assert PredictionRecord.objects.filter(feedback_at__isnull=False).count() == 3
    check_page(browser, "monitoring-model-actuals")
