"""The pipeline wizard in a real headless Chromium against the real stack: from a dataset page
through every step (with a server-side error shown next to its field) to the Start training
click; screenshots of each step at 1280 and 390 px."""

from __future__ import annotations

import pytest

from conftest import upload_sample
from vur.tests.browser import check_page, sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGE = "arguments[0].dispatchEvent(new Event('change', {bubbles: true}))"


def test_walk_the_wizard_to_start_training(live_stack, browser, owner, api):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    dataset = upload_sample(api, "penguins.csv", name="Penguins")
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/datasets/{dataset['id']}/")
    browser.find_element(By.ID, "new-pipeline").click()

    # Step 1: target and problem type.
    wait(browser).until(lambda d: d.find_elements(By.ID, "setup-form"))
    # Choosing the target ticks the problem type it suggests (a table has none ticked before);
    # a type the user ticks themselves is not overridden by a later choice of target.
    target = Select(browser.find_element(By.ID, "id_target_column"))
    target.select_by_value("species")
    wait(browser).until(lambda d: d.find_element(By.ID, "id_problem_classification").is_selected())
    assert "looks like classification" in browser.find_element(By.ID, "problem-suggestion").text
    browser.find_element(By.ID, "id_problem_regression").click()
    target.select_by_value("island")
    assert browser.find_element(By.ID, "id_problem_regression").is_selected()
    target.select_by_value("species")
    browser.find_element(By.ID, "id_problem_classification").click()
    check_page(browser, "wizard-setup")
    browser.find_element(By.ID, "save-setup").click()

    # Step 2: preprocessing, with the preview of what it changes.
    wait(browser).until(lambda d: "/wizard/preprocessing/" in d.current_url)
    wait(browser).until(lambda d: d.find_elements(By.ID, "prep-result"))
    Select(browser.find_element(By.ID, "id_missing_values_strategy")).select_by_value("mean")
    wait(browser).until(lambda d: "with the mean" in d.find_element(By.ID, "prep-preview").text)
    # A bad threshold: its message appears once, at its field, and goes when it is fixed.
    threshold = browser.find_element(By.ID, "id_outlier_threshold")
    threshold.send_keys("-4")
    browser.execute_script(CHANGE, threshold)

    def field_error(d):
        return d.find_element(By.ID, "outlier_threshold-error").text

    wait(browser).until(lambda d: "must be a positive number" in field_error(d))
    assert "positive" not in browser.find_element(By.ID, "prep-preview").text
    threshold.clear()
    browser.execute_script(CHANGE, threshold)
    wait(browser).until(lambda d: d.find_elements(By.ID, "prep-result") and not field_error(d))
    check_page(
        browser, "wizard-preprocessing", ready=lambda d: d.find_elements(By.ID, "prep-result")
    )
    browser.find_element(By.ID, "save-preprocessing").click()

    # Step 3: features; selection draws importance bars.
    wait(browser).until(lambda d: "/wizard/features/" in d.current_url)
    browser.find_element(By.ID, "select").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "importance-bars"))
    assert browser.find_elements(By.CSS_SELECTOR, "#importance-bars .bar")
    check_page(browser, "wizard-features")
    browser.find_element(By.ID, "features-continue").click()

    # Step 4: algorithms; a value out of range is refused by the server next to the form.
    wait(browser).until(lambda d: "/wizard/model_selection/" in d.current_url)
    browser.find_element(By.CSS_SELECTOR, "#algo-random_forest summary").click()
    trees = browser.find_element(By.ID, "random_forest-n_estimators")
    trees.clear()
    trees.send_keys("5")
    wait(browser).until(
        lambda d: (
            "Number of trees: must be"
            in d.find_element(By.ID, "random_forest-n_estimators-error").text
        )
    )
    assert "n_estimators" not in browser.find_element(By.ID, "check-random_forest").text
    check_page(browser, "wizard-algorithms")
    # Sent anyway, the server refuses it at the field, with its label, not in a banner.
    browser.find_element(By.ID, "add-random_forest").click()
    wait(browser).until(
        lambda d: (
            d.find_element(By.ID, "random_forest-n_estimators-error").text.startswith(
                "Number of trees: must be"
            )
            and d.find_elements(By.ID, "form-error")
        )
    )
    assert browser.find_element(By.ID, "form-error").text == "Check the field marked below."
    trees = browser.find_element(By.ID, "random_forest-n_estimators")
    assert trees.get_attribute("aria-invalid") == "true"
    trees.clear()
    trees.send_keys("40")
    wait(browser).until(lambda d: "valid" in d.find_element(By.ID, "check-random_forest").text)
    assert not browser.find_element(By.ID, "random_forest-n_estimators-error").text.strip()
    browser.find_element(By.ID, "add-random_forest").click()

    # Step 5: training settings; the earlier steps show as done.
    wait(browser).until(lambda d: "/wizard/training/" in d.current_url)
    done = [
        li.get_attribute("data-step")
        for li in browser.find_elements(By.CSS_SELECTOR, ".steps li.done")
    ]
    assert {"setup", "preprocessing", "features", "model_selection"} <= set(done)
    budget = browser.find_element(By.ID, "id_time_budget_s")
    budget.clear()
    budget.send_keys("0")
    browser.find_element(By.ID, "start-training").click()
    wait(browser).until(lambda d: d.find_element(By.ID, "time_budget_s-error").text.strip())
    check_page(browser, "wizard-training")
    budget = browser.find_element(By.ID, "id_time_budget_s")
    budget.clear()
    budget.send_keys("5")
    browser.find_element(By.CSS_SELECTOR, "input[name=choice][value=chosen]").click()
    browser.find_element(By.ID, "start-training").click()
    wait(browser).until(lambda d: d.current_url.rstrip("/").split("/")[-2] == "training")
    job_id = browser.current_url.rstrip("/").split("/")[-1]
    status = api.get(f"/api/v1/training/{job_id}/status")
    assert status.status_code == 200

    browser.get(live_stack + "/pipelines/")
    check_page(browser, "pipelines")


def test_delete_a_pipeline_from_its_wizard(live_stack, browser, owner):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    from conftest import pipeline_on_sample
    from pipelines.models import Pipeline

    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/pipelines/{pipeline.pk}/delete/")  # a GET deletes nothing
    wait(browser).until(lambda d: d.find_elements(By.ID, "delete-pipeline"))
    assert "To delete this pipeline" in browser.find_element(By.TAG_NAME, "main").text
    check_page(browser, "wizard-delete")
    browser.find_element(By.CSS_SELECTOR, "#delete-pipeline summary").click()
    button = browser.find_element(By.ID, "delete-pipeline-button")
    wait(browser).until(lambda d: button.is_displayed())
    button.click()
    confirm = wait(browser).until(ec.alert_is_present())
    assert confirm.text == (
        "Delete the pipeline p with its 0 training jobs and 0 trained models? The dataset stays."
    )
    confirm.dismiss()  # nothing goes without a yes
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()
    button.click()
    wait(browser).until(ec.alert_is_present()).accept()
    wait(browser).until(lambda d: d.current_url.endswith("/pipelines/"))
    assert "Deleted the pipeline p." in browser.find_element(By.TAG_NAME, "main").text
    assert not Pipeline.objects.filter(pk=pipeline.pk).exists()


def test_features_step_refuses_bad_lags_at_the_field_and_keeps_them(live_stack, browser, owner):
    """`-1, 2` in Lags: refused as the REST call and training refuse it, the message at the
    Lags field, the field still holding what was typed."""
    from selenium.webdriver.common.by import By

    from conftest import pipeline_on_sample

    pipeline = pipeline_on_sample(
        owner, "series_airpassengers.csv", "passengers", "forecasting", forecast_horizon=12
    )
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/pipelines/{pipeline.pk}/wizard/features/")
    lags = wait(browser).until(lambda d: d.find_element(By.ID, "id_lags"))
    lags.send_keys("-1, 2")
    browser.find_element(By.ID, "generate").click()
    wait(browser).until(lambda d: d.find_element(By.ID, "lags-error").text.strip())
    assert browser.find_element(By.ID, "lags-error").text == "-1: must be at least 1"
    lags = browser.find_element(By.ID, "id_lags")
    assert lags.get_attribute("value") == "-1, 2"
    assert lags.get_attribute("aria-invalid") == "true"
    assert not browser.find_elements(By.ID, "generated-features")
    check_page(browser, "wizard-features-bad-lags")
    lags.clear()
    lags.send_keys("1, 2, 12")
    browser.find_element(By.ID, "generate").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "generated-features"))
    assert "lag_12" in browser.find_element(By.ID, "generated-features").text
    assert not browser.find_element(By.ID, "lags-error").text.strip()


def test_longest_dataset_name_saves_its_default_pipeline_name(live_stack, browser, owner, api):
    """A dataset with a 200-character name: the offered pipeline name fits the field and
    saves; a name the server refuses is shown at the name field."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    long_name = "Quarterly visitors " * 10 + "Quarterly1"
    dataset = upload_sample(api, "series_airpassengers.csv", name=long_name)
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/pipelines/new/?dataset={dataset['id']}")
    name = wait(browser).until(lambda d: d.find_element(By.ID, "id_name"))
    offered = name.get_attribute("value")
    assert len(offered) <= int(name.get_attribute("maxlength")) and offered.endswith("… model")
    Select(browser.find_element(By.ID, "id_target_column")).select_by_value("passengers")
    # A name longer than the field allows (sent by a script or an old page) is refused at it.
    browser.execute_script("arguments[0].value = 'x'.repeat(201)", name)
    browser.find_element(By.ID, "save-setup").click()
    wait(browser).until(lambda d: d.find_element(By.ID, "name-error").text.strip())
    assert browser.find_element(By.ID, "name-error").text == "At most 200 characters (201 given)."
    assert browser.find_element(By.ID, "form-error").text == "Check the field marked below."
    assert browser.find_element(By.ID, "id_name").get_attribute("aria-invalid") == "true"
    check_page(browser, "pipeline-name-refused")
    browser.get(f"{live_stack}/pipelines/new/?dataset={dataset['id']}")
    target = wait(browser).until(lambda d: d.find_element(By.ID, "id_target_column"))
    Select(target).select_by_value("passengers")
    browser.find_element(By.ID, "save-setup").click()
    wait(browser).until(lambda d: "/wizard/preprocessing/" in d.current_url)
    assert offered in browser.find_element(By.TAG_NAME, "h1").text


def test_a_horizon_leaving_little_history_is_warned_about_beside_the_field(
    live_stack, browser, owner, api
):
    """30 months: the offered default is 6 steps; typing 18 shows a warning beside the field
    (the series keeps fewer than two seasons), which goes when the horizon is cleared."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from pipelines.tests.test_horizon import MONTHLY_30

    dataset = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("monthly_30.csv", MONTHLY_30.encode()), "name": "m30"},
        format="multipart",
    ).json()
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/pipelines/new/?dataset={dataset['id']}")
    target = wait(browser).until(lambda d: d.find_element(By.ID, "id_target_column"))
    Select(target).select_by_value("visitors")
    help_text = browser.find_element(By.ID, "horizon-help").text
    assert help_text.startswith("Leave empty for the default: 6 steps ahead")
    warning = browser.find_element(By.ID, "forecast_horizon-warning")
    assert not warning.is_displayed()
    horizon = browser.find_element(By.ID, "id_forecast_horizon")
    horizon.send_keys("18")

    def shown(d):
        note = d.find_element(By.ID, "forecast_horizon-warning")
        return note.is_displayed() and note.text

    wait(browser).until(shown)
    assert browser.find_element(By.ID, "forecast_horizon-warning").text.startswith(
        "A horizon of 18 leaves 12 of the 30 steps before the last backtest window"
    )
    check_page(browser, "setup-horizon-warning")
    horizon.clear()
    horizon.send_keys("6")
    wait(browser).until(
        lambda d: not d.find_element(By.ID, "forecast_horizon-warning").is_displayed()
    )


def test_a_series_preprocessing_step_offers_only_what_applies(live_stack, browser, owner):
    """A forecasting pipeline: gap filling and the outlier treatment against trend and season,
    in the words the preview's steps use; no table-only choices."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from conftest import pipeline_on_sample

    pipeline = pipeline_on_sample(
        owner, "series_airpassengers.csv", "passengers", "forecasting", forecast_horizon=12
    )
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/pipelines/{pipeline.pk}/wizard/preprocessing/")
    wait(browser).until(lambda d: d.find_elements(By.ID, "prep-result"))
    names = [
        s.get_attribute("name") for s in browser.find_elements(By.CSS_SELECTOR, "#prep-form select")
    ]
    assert names[:2] == ["missing_values_strategy", "outlier_treatment"]
    assert not set(names) & {"outlier_detection_method", "scaling_method", "categorical_encoding"}
    treatment = Select(browser.find_element(By.ID, "id_outlier_treatment"))
    treatment.select_by_value("cap")
    assert "in the training history only" in treatment.first_selected_option.text
    wait(browser).until(lambda d: "robust z above 4" in d.find_element(By.ID, "prep-preview").text)
    steps = browser.find_element(By.ID, "prep-steps").text
    assert "are capped at it, in the training history only. training only" in steps
    check_page(browser, "wizard-series-preprocessing")


def test_a_refused_form_moves_the_focus_to_its_error_summary(live_stack, browser, owner, api):
    """After the server refuses a form, the focus is on the line summing up what to fix (a
    keyboard or screen-reader user starts there), not at the top of the page."""
    from selenium.webdriver.common.by import By

    dataset = upload_sample(api, "penguins.csv", name="Penguins")
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/pipelines/new/?dataset={dataset['id']}")
    wait(browser).until(lambda d: d.find_elements(By.ID, "setup-form"))
    browser.find_element(By.ID, "save-setup").click()  # no target, no problem type
    wait(browser).until(lambda d: d.find_elements(By.ID, "form-error"))

    def focused(d):
        return d.execute_script("return document.activeElement && document.activeElement.id")

    wait(browser).until(lambda d: focused(d) == "form-error")
    assert browser.find_element(By.ID, "form-error").text == "Check the 2 fields marked below."
    browser.get(f"{live_stack}/datasets/upload/")  # a page without an error keeps its focus
    wait(browser).until(lambda d: d.find_elements(By.ID, "id_file"))
    assert focused(browser) in ("", None)


def test_a_series_setup_preselects_its_only_target_and_suggests_forecasting(
    live_stack, browser, owner, api
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from selenium.webdriver.common.by import By

    from pipelines.tests.test_horizon import MONTHLY_30

    dataset = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("monthly_30.csv", MONTHLY_30.encode()), "name": "m30"},
        format="multipart",
    ).json()
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/pipelines/new/?dataset={dataset['id']}")
    target = wait(browser).until(lambda d: d.find_element(By.ID, "id_target_column"))
    assert target.get_attribute("value") == "visitors"
    assert browser.find_element(By.ID, "id_problem_forecasting").is_selected()
    note = browser.find_element(By.ID, "problem-suggestion").text
    assert note == "'visitors' is a number measured over time: forecast it."
    assert "regression" not in note
    browser.find_element(By.ID, "save-setup").click()  # nothing to choose: it saves as offered
    wait(browser).until(lambda d: "/wizard/preprocessing/" in d.current_url)


def test_the_wizard_steps_are_the_only_step_numbers_on_the_page(live_stack, browser, owner):
    """The top menu said "4. Preprocessing" above the wizard's "2. Preprocessing": the menu
    names places without numbers, so the wizard's are the only ones."""
    from selenium.webdriver.common.by import By

    from conftest import pipeline_on_sample

    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    browser.get(f"{live_stack}/pipelines/{pipeline.pk}/wizard/preprocessing/")
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".steps li.current"))
    before = "return getComputedStyle(arguments[0], '::before').content"
    menu = browser.find_element(By.CSS_SELECTOR, "#stages a[aria-current=page]")
    assert menu.text == "Preprocessing"
    assert browser.execute_script(before, menu) in ("none", "normal", "")
    assert not browser.find_elements(By.CSS_SELECTOR, "#stages ol")
    step = browser.find_element(By.CSS_SELECTOR, ".steps li.current a")
    assert step.text == "Preprocessing"
    assert "counter(step)" in browser.execute_script(before, step)  # its number, 2
