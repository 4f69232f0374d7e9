"""A new team member's first steps in a real headless Chromium against the real stack: the
sign-in page says how to get an account."""

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
