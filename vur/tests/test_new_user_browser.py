"""A new team member's first steps in a real headless Chromium against the real stack: the
sign-in page says how to get an account, and the empty dashboard and Datasets page offer the
bundled sample datasets."""

from __future__ import annotations

import pytest

from vur.tests.browser import check_page, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_page_tells_people_without_an_account_whom_to_ask(live_stack, browser):
    from selenium.webdriver.common.by import By

    browser.get(live_stack + "/accounts/login/")
    hint = wait(browser).until(lambda d: d.find_element(By.ID, "no-account"))
    assert hint.is_displayed()
    assert "Ask your VUR administrator" in hint.text
    card = browser.find_element(By.ID, "sign-in-card")
    assert hint in card.find_elements(By.TAG_NAME, "p")  # on the sign-in card, under the form
    check_page(browser, "sign-in")


def test_a_new_user_loads_the_sample_datasets_from_the_empty_pages(
    live_stack, browser, django_user_model
):
    from selenium.webdriver.common.by import By

    from datasets.models import Dataset
    from datasets.services import sample_entries, sample_name
    from vur.tests.browser import sign_in

    newcomer = django_user_model.objects.create_user(username="newcomer", password="new-pass-123")
    sign_in(browser, live_stack, "newcomer", "new-pass-123")
    # The dashboard's datasets card offers the samples...
    card = wait(browser).until(lambda d: d.find_element(By.ID, "datasets"))
    assert card.find_element(By.ID, "load-samples").is_displayed()
    check_page(browser, "dashboard-new-user")
    # ...and so does the empty Datasets page, whose button loads them.
    browser.get(live_stack + "/datasets/")
    empty = wait(browser).until(lambda d: d.find_element(By.ID, "empty"))
    assert "Air passengers" in empty.text
    check_page(browser, "datasets-new-user")
    empty.find_element(By.ID, "load-samples").click()
    table = wait(browser).until(lambda d: d.find_element(By.ID, "dataset-table"))
    names = {sample_name(e) for e in sample_entries()}
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert {row.find_element(By.TAG_NAME, "a").text for row in rows} == names
    assert "Loaded 6 sample datasets" in browser.find_element(By.CLASS_NAME, "messages").text
    owned = Dataset.objects.filter(owner=newcomer).values_list("name", flat=True)
    assert set(owned) == names
    check_page(browser, "datasets-samples-loaded")
    # Back on the dashboard the offer is gone and the samples are listed.
    browser.get(live_stack + "/")
    card = wait(browser).until(lambda d: d.find_element(By.ID, "datasets"))
    assert not card.find_elements(By.ID, "load-samples")
    assert len(card.find_elements(By.CSS_SELECTOR, "li a")) == 5  # the five newest
