"""Words stay whole in a real headless Chromium: a one-word label beside its field ("Kind") or a
one-word table cell ("Seniority", "Values") is never split over two lines at 1280 or 390 px,
on the dataset list, a dataset page's quality report and the wizard's preprocessing step."""

from __future__ import annotations

import pytest

from conftest import upload_sample
from vur.tests.browser import horizontal_overflow, set_width, sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The one-word text nodes directly inside inline labels and table cells whose text is laid out
# on more than one line (a word cut in two).
SPLIT_WORDS_JS = """
const split = [];
for (const el of document.querySelectorAll('label.inline, th, td')) {
  for (const node of el.childNodes) {
    if (node.nodeType !== Node.TEXT_NODE) continue;
    const word = node.textContent.trim();
    if (!word || /\\s/.test(word)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const lines = new Set(Array.from(range.getClientRects())
      .filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (lines.size > 1) split.push(word);
  }
}
return split;
"""


def _split_words(driver, ready: str) -> dict[int, list[str]]:
    """The words cut in two at each width, once the element with id `ready` is there."""
    from selenium.webdriver.common.by import By

    found = {}
    for width in (1280, 390):
        set_width(driver, width)
        wait(driver).until(lambda d: d.find_elements(By.ID, ready))
        found[width] = driver.execute_script(SPLIT_WORDS_JS)
        assert horizontal_overflow(driver) <= 0, f"the page scrolls sideways at {width}px"
    set_width(driver, 1280)
    return found


def test_labels_and_table_cells_keep_words_whole(live_stack, browser, owner, api):
    from datasets.models import Dataset
    from pipelines.services import pipeline_create

    dataset = upload_sample(api, "credit_scoring.csv", name="Credit")
    pipeline = pipeline_create(
        owner=owner,
        dataset=Dataset.objects.get(pk=dataset["id"]),
        name="Credit risk",
        target_column="Status",
        problem_type="classification",
    )
    sign_in(browser, live_stack, "owner", "owner-pass-123")

    browser.get(f"{live_stack}/datasets/")
    assert _split_words(browser, "id_type") == {1280: [], 390: []}

    browser.get(f"{live_stack}/datasets/{dataset['id']}/")
    assert _split_words(browser, "quality-issues") == {1280: [], 390: []}

    browser.get(f"{live_stack}/pipelines/{pipeline.pk}/wizard/preprocessing/")
    assert _split_words(browser, "prep-changes") == {1280: [], 390: []}
