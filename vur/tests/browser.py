"""Browser-test fixtures: the real stack (daphne + a Celery worker on the test DB/Redis, one for
the session) and a headless Chromium driven by Selenium, with screenshots of every page at 1280
and 390 px.

Registered from the root conftest (`pytest_plugins`). Use with `pytest.mark.browser` and
`pytest.mark.django_db(transaction=True)`.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from vur.tests.stack import Stack, running_stack, wait_until

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = ROOT / "var" / "screenshots"
WIDTHS = (1280, 390)
WAIT_S = 60


@pytest.fixture(scope="session")
def _shared_stack(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Stack]:
    """daphne and a prefork Celery worker on the test database and Redis, started at the first
    browser test and kept for the session (starting and stopping them took 10 s a test).

    Torn down before the test database is dropped, as it depends on `django_db_setup`."""
    with (
        django_db_blocker.unblock(),
        running_stack(tmp_path_factory.mktemp("stack"), web=True, worker=True) as stack,
    ):
        wait_until(lambda: _health_ok(stack.base), 90, "/health/ to see the worker")
        yield stack


@pytest.fixture
def live_stack(transactional_db, _shared_stack) -> Iterator[str]:
    """The base URL of the session's stack (`vur.tests.stack.running_stack`: daphne and a
    Celery worker as their own processes), on this test's data.

    Each test's rows are flushed after it (`transactional_db`); before that, training jobs it
    left running are cancelled and waited for, so the next test finds the worker free."""
    stack = _shared_stack
    dead = [name for name, proc in stack.procs.items() if proc.poll() is not None]
    assert not dead, f"the shared stack's {dead} ended:\n" + "\n".join(map(stack.log, dead))
    yield stack.base
    _cancel_running_jobs()


@pytest.fixture
def stack_channel_layer(settings, _shared_stack) -> None:
    """This test process publishes on the shared stack's channel layer (its own prefix): what a
    service called here sends (an alert, a job's events) reaches the stack's web server and its
    WebSockets as if the stack's worker had sent it."""
    import copy

    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"]["CONFIG"]["prefix"] = _shared_stack.env["VUR_CHANNEL_PREFIX"]
    settings.CHANNEL_LAYERS = layers  # channels drops its cached layer on the change


def _cancel_running_jobs(timeout: float = 120.0) -> None:
    """Ask the training jobs a worker has started and that are still running to stop (as the
    cancel button does), and wait until they end; a job only marked running, with no worker
    behind it, is left alone. The model is looked up by name: this module is shared by every
    app's tests and must not import a later stage."""
    from django.apps import apps

    jobs = apps.get_model("training", "TrainingJob").objects

    def started() -> Any:
        return jobs.filter(status="running", started_at__isnull=False)

    started().update(cancel_requested=True)
    wait_until(lambda: not started().exists(), timeout, "the test's training jobs to end")


def _health_ok(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/health/", timeout=2) as res:
            return res.status == 200
    except OSError:
        return False


def chrome(width: int = WIDTHS[0], height: int = 900):
    """A headless Chromium (Debian's chromium + chromedriver) at the given window size."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)  # fmt: skip
    # The page's console is kept, so `check_page` can fail on a script's error.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    set_width(driver, width, height)
    return driver


def _inner_width(driver, timeout: float = 10.0) -> int:
    """The page's `innerWidth` once it has caught up with the window: a resize reaches the page
    a moment after the window changes, so a read right after it can still give the old width
    (1280 in a 390 px window, which made the correction below a negative width)."""
    deadline = time.monotonic() + timeout
    last = -1
    while True:
        outer = driver.get_window_size()["width"]
        inner = int(driver.execute_script("return window.innerWidth") or 0)
        if 0 < inner <= outer and inner == last:
            return inner
        if time.monotonic() > deadline:
            return inner if 0 < inner <= outer else outer
        last = inner
        time.sleep(0.05)


def set_width(driver, width: int, height: int = 900) -> None:
    """Make the page's viewport `width` CSS pixels wide (the window adds its own chrome)."""
    driver.set_window_size(width, height)
    inner = _inner_width(driver)
    if inner != width:
        chrome = max(0, driver.get_window_size()["width"] - inner)
        driver.set_window_size(width + chrome, height)
        _inner_width(driver)


@pytest.fixture
def browser(request) -> Iterator[Any]:
    """A Selenium Chrome driver at 1280 px (`set_width` changes it); saved on failure."""
    driver = chrome()
    request.node._vur_browser = driver
    try:
        yield driver
    finally:
        driver.quit()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:120] or "page"


def screenshot(driver, page: str, width: int | None = None) -> Path:
    """Save the whole page at `width` px to var/screenshots/<page>-<width>.png; keep the width."""
    width = width or driver.execute_script("return window.innerWidth")
    set_width(driver, width)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{_safe(page)}-{width}.png"
    full = driver.execute_script("return document.documentElement.scrollHeight") or 900
    set_width(driver, width, min(max(int(full) + 140, 600), 6000))
    driver.save_screenshot(str(path))
    set_width(driver, width)
    return path


def horizontal_overflow(driver) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return int(
        driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    )


# The drawn charts whose plot is taller than their box (it would run over what follows).
_CHARTS_OVER_THEIR_BOX = """
return Array.from(document.querySelectorAll('[data-drawn]')).filter(function (el) {
  var svg = el.querySelector('.main-svg');
  return svg && svg.getBoundingClientRect().height > el.getBoundingClientRect().height + 2;
}).map(function (el) { return el.id || el.className; });
"""


def charts_over_their_box(driver) -> list[str]:
    """Ids of the drawn charts whose plot is taller than their box (empty when all fit)."""
    return list(driver.execute_script(_CHARTS_OVER_THEIR_BOX) or [])


# htmx errors that always mean the page and its answers disagree (an out-of-band message with
# no element to go to, a target that is not there, a swap that threw). htmx also logs, as
# errors, requests that `hx-sync` replaced on purpose and refusals (4xx) that tests provoke.
_HTMX_BUGS = ("htmx:oobErrorNoTarget", "htmx:targetError", "htmx:swapError", "htmx:onLoadError")


def script_errors(driver) -> list[str]:
    """The errors scripts threw or logged in the browser's console since the last call: any
    uncaught exception, any error our scripts log, and htmx's own errors of `_HTMX_BUGS`.
    Failed network requests are left out: tests send refused input on purpose, and a
    refusal's answer is checked where it is shown."""
    found = []
    for entry in driver.get_log("browser"):
        message, source = entry["message"], entry.get("source")
        if entry["level"] != "SEVERE" or source not in ("console-api", "javascript"):
            continue
        ours = source == "javascript" or "htmx:" not in message
        if ours or any(name in message for name in _HTMX_BUGS):
            found.append(message)
    return found


def check_page(driver, page: str, ready: Callable[[Any], Any] | None = None) -> None:
    """Screenshot the current page at 1280 and 390 px (resizing the loaded page, as a turned
    phone or a narrowed window does); assert no sideways scroll at 390 px, that every drawn
    chart still fits its box and that no script logged an error since the last check.

    `ready(driver)` is waited for at each width (e.g. a chart has drawn) before the shot.
    """
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    for width in WIDTHS:
        set_width(driver, width)
        if ready is not None:
            WebDriverWait(driver, WAIT_S).until(ready)
        screenshot(driver, page, width)
        if width <= 400:
            over = horizontal_overflow(driver)
            assert over <= 0, f"{page} scrolls sideways by {over}px at {width}px"
        # Plotly re-lays a chart out shortly after a resize: wait for it to settle.
        with contextlib.suppress(TimeoutException):
            WebDriverWait(driver, 10).until(lambda d: not charts_over_their_box(d))
        over_box = charts_over_their_box(driver)
        assert not over_box, f"{page}: charts taller than their box at {width}px: {over_box}"
    errors = script_errors(driver)
    assert not errors, f"{page}: script errors in the console: {errors}"
    set_width(driver, WIDTHS[0])


def wait(driver, timeout: float = WAIT_S):
    """A WebDriverWait with a generous timeout (machines may be busy) that keeps polling while
    the page is being replaced: missing or stale elements, and Chromium's "Node with given id
    does not belong to the document", its form of a stale element when a submitted form's new
    page replaces the old one between finding an element and reading it. Anything else still
    fails the wait, by its timeout."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        WebDriverException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(
        driver,
        timeout,
        ignored_exceptions=(
            NoSuchElementException,
            StaleElementReferenceException,
            WebDriverException,
        ),
    )


def sign_in(driver, base: str, username: str, password: str) -> None:
    """Sign in through the login page and wait for the dashboard."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(base + "/accounts/login/")
    wait(driver).until(ec.presence_of_element_located((By.ID, "id_username")))
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(password)
    driver.find_element(By.ID, "sign-in").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "sign-out")))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, save what its browser shows to var/screenshots/FAILED-<test>."""
    outcome = yield
    report = outcome.get_result()
    driver = getattr(item, "_vur_browser", None)
    if driver is None or not report.failed or report.when not in ("call", "setup"):
        return
    try:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"FAILED-{_safe(item.name)}.png"
        driver.save_screenshot(str(path))
        report.sections.append(("browser", f"screenshot: {path}\nurl: {driver.current_url}"))
    except Exception:  # the report must not fail because the browser is gone
        import logging

        logging.getLogger(__name__).exception("could not save the failure screenshot")
