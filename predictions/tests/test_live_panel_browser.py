"""Browser tests of a deployed forecaster's live panel on the real stack (daphne and a Celery
worker as processes, headless Chromium): what a typed timestamp would do before it is sent,
refusals that leave the deployment as it was, and screenshots at 1280 and 390 px. The model is
fitted in this process on the uploaded file's series (training itself is tested elsewhere)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.core.files.base import ContentFile
from selenium.webdriver.common.by import By

from vur.tests.browser import check_page, sign_in, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = 120  # generous: the machine may be busy
STAMPS = pd.date_range("2023-09-03", "2023-12-31", freq="D")  # 120 days, ISO in the file


def _daily(n: int) -> np.ndarray:
    t = np.arange(n)
    return np.round(120 + 0.1 * t + 12 * np.sin(2 * np.pi * t / 7), 2)


def deployed_forecaster(
    owner,
    text: str,
    *,
    sep: str = ",",
    date_format: str = "%Y-%m-%d",
    name: str = "sales",
    timezone: str | None = None,
):
    """A seasonal naive forecaster of the file `text` (columns date, sales; daily; `sep`
    ";" means a decimal comma too), stored as training stores one (its input schema keeps the
    file's parse specs; `timezone`, the zone training read from offsets in the times) and
    deployed."""
    from datasets.services import dataset_upload
    from modeling.artifacts import artifact_save
    from modeling.forecasters import PreparedForecaster, SeasonalNaiveForecaster
    from modeling.models import TrainedModel
    from pipelines.services import pipeline_create
    from predictions.services import deployment_create
    from training.forecasting import ForecastModel

    dataset = dataset_upload(
        owner=owner, upload=ContentFile(text.encode(), name=f"{name}.csv"), name=name
    )
    pipeline = pipeline_create(
        owner=owner, dataset=dataset, name=name, target_column="sales",
        problem_type="forecasting", forecast_horizon=7,
    )  # fmt: skip
    rows = [line.split(sep) for line in text.strip().splitlines()[1:]]
    values = [float(v.replace(",", ".")) if sep == ";" else float(v) for _, v in rows]
    index = pd.to_datetime([d for d, _ in rows], format=date_format)
    if index.tz is not None:  # training fits on UTC times, written back in the file's zone
        index = index.tz_convert("UTC").tz_localize(None)
    series = pd.Series(values, index=index)
    series.index.freq = "D"
    forecaster = PreparedForecaster(SeasonalNaiveForecaster(season_length=7)).fit(series)
    fitted = ForecastModel(
        algorithm="seasonal_naive", time_column="date", target="sales", id_column=None,
        freq="D", timezone=timezone, horizon=7, levels=(80, 95), season_lengths={None: [7]},
        forecasters={None: forecaster},
        value_ranges={None: (float(series.min()), float(series.max()))},
    )  # fmt: skip
    saved = artifact_save(fitted, f"{owner.pk}/live-panel/{name}")
    columns = [
        {"name": c["name"], "dtype": c["dtype"], "semantic_type": c["semantic_type"],
         "required": True, **({"parse": c["parse"]} if c.get("parse") else {})}
        for c in dataset.columns_info
    ]  # fmt: skip
    model = TrainedModel.objects.create(
        owner=owner, pipeline=pipeline, problem_type="forecasting", algorithm="seasonal_naive",
        primary_metric="mase", artifact=saved.name, sha256=saved.sha256,
        input_schema={**fitted.input_schema(), "columns": columns},
    )  # fmt: skip
    deployment_create(owner=owner, model=model, target="realtime")
    return model


def deployed_two_series_forecaster(owner, *, deploy: bool = True):
    """A deployed seasonal naive forecaster of two daily series, stores "A" and "B" (B a
    thousand above A), from one uploaded file with an id column (date, store, sales); left
    undeployed when `deploy` is false."""
    from datasets.services import dataset_upload
    from modeling.artifacts import artifact_save
    from modeling.forecasters import Forecaster, PreparedForecaster, SeasonalNaiveForecaster
    from modeling.models import TrainedModel
    from pipelines.services import pipeline_create
    from predictions.services import deployment_create
    from training.forecasting import ForecastModel

    values = {"A": _daily(len(STAMPS)), "B": _daily(len(STAMPS)) + 1000}
    text = "date,store,sales\n" + "\n".join(
        f"{ts:%Y-%m-%d},{store},{v}"
        for store, series in values.items()
        for ts, v in zip(STAMPS, series, strict=True)
    )
    dataset = dataset_upload(
        owner=owner, upload=ContentFile(text.encode(), name="stores.csv"), name="stores"
    )
    pipeline = pipeline_create(
        owner=owner, dataset=dataset, name="stores", target_column="sales",
        problem_type="forecasting", forecast_horizon=7,
    )  # fmt: skip
    forecasters: dict[str, Forecaster] = {}
    for store, series in values.items():
        history = pd.Series(series, index=pd.DatetimeIndex(STAMPS, freq="D"))
        forecasters[store] = PreparedForecaster(SeasonalNaiveForecaster(season_length=7)).fit(
            history
        )
    fitted = ForecastModel(
        algorithm="seasonal_naive", time_column="date", target="sales", id_column="store",
        freq="D", timezone=None, horizon=7, levels=(80, 95),
        season_lengths={k: [7] for k in forecasters}, forecasters=forecasters,
    )  # fmt: skip
    saved = artifact_save(fitted, f"{owner.pk}/live-panel/stores")
    columns = [
        {"name": c["name"], "dtype": c["dtype"], "semantic_type": c["semantic_type"],
         "required": True, **({"parse": c["parse"]} if c.get("parse") else {})}
        for c in dataset.columns_info
    ]  # fmt: skip
    model = TrainedModel.objects.create(
        owner=owner, pipeline=pipeline, problem_type="forecasting", algorithm="seasonal_naive",
        primary_metric="mase", artifact=saved.name, sha256=saved.sha256,
        input_schema={**fitted.input_schema(), "columns": columns},
    )  # fmt: skip
    if deploy:
        deployment_create(owner=owner, model=model, target="realtime")
    return model, values


def iso_file() -> str:
    values = _daily(len(STAMPS))
    return "date,sales\n" + "\n".join(
        f"{ts:%Y-%m-%d},{v}" for ts, v in zip(STAMPS, values, strict=True)
    )


def open_live_panel(browser, base: str, model) -> None:
    browser.get(f"{base}/models/{model.pk}/")
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "live-forecast-chart").get_attribute("data-first-forecast")
    )


def reading(browser, typed: str) -> str:
    """Type `typed` as the observation's timestamp; the line under it, once it has answered."""
    stamp = browser.find_element(By.ID, "obs-timestamp")
    stamp.clear()
    stamp.send_keys(typed)
    answered = f'#obs-reading-text[data-timestamp="{typed}"]'
    wait(browser, LONG).until(lambda d: d.find_elements(By.CSS_SELECTOR, answered))
    return browser.find_element(By.ID, "obs-reading").text


def send(browser, value: str) -> None:
    box = browser.find_element(By.ID, "obs-value")
    box.clear()
    box.send_keys(value)
    browser.find_element(By.ID, "obs-send").click()


def test_a_typed_timestamp_says_what_it_would_do_and_refusals_change_nothing(
    live_stack, browser, owner
):
    from predictions.models import ForecastActual, ForecastState

    model = deployed_forecaster(owner, iso_file())
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    open_live_panel(browser, live_stack, model)
    # The form holds the next step, and the line under it says so.
    wait(browser, LONG).until(
        lambda d: "Reads as 2024-01-01" in d.find_element(By.ID, "obs-reading").text
    )
    assert "the next step after 2023-12-31" in browser.find_element(By.ID, "obs-reading").text

    # 02.01.2024 on an ISO series: 2 January or 1 February? Refused, not guessed.
    text = reading(browser, "02.01.2024")
    assert text.startswith("Would be refused: '02.01.2024' could be 2 January 2024 or 1 February")
    assert "write it in ISO 8601 as the training file did (2024-01-31)" in text
    check_page(browser, "model-live-ambiguous-timestamp")
    send(browser, "130")
    wait(browser, LONG).until(lambda d: d.find_element(By.ID, "obs-error").text)
    error = browser.find_element(By.ID, "obs-error").text
    assert error.startswith("'02.01.2024' could be 2 January 2024 or 1 February 2024"), error

    # A year typed wrong would invent thousands of steps: refused, saying what and why.
    text = reading(browser, "2030-01-01")
    assert text.startswith("Would be refused: The observation at 2030-01-01T00:00:00+00:00")
    assert "after the last known one, 2023-12-31T00:00:00+00:00 (the next expected is " in text
    assert "At most 7 missing steps are filled" in text
    check_page(browser, "model-live-gap-too-long")
    send(browser, "130")
    wait(browser, LONG).until(lambda d: "would leave" in d.find_element(By.ID, "obs-error").text)
    assert not ForecastState.objects.exists() and not ForecastActual.objects.exists()

    # Three days on: accepted, with the two steps between filled as the line said.
    text = reading(browser, "2024-01-03")
    assert "Reads as 2024-01-03T00:00:00+00:00: 2 steps missing between " in text
    assert "would be filled with linear interpolation" in text
    send(browser, "130")
    wait(browser, LONG).until(
        lambda d: "Reads as 2024-01-04" in d.find_element(By.ID, "obs-reading").text
    )
    assert browser.find_element(By.ID, "obs-error").get_attribute("hidden")
    assert ForecastState.objects.get().updated_through.date().isoformat() == "2024-01-03"


def traces(browser) -> dict:
    """The live chart's traces by name: {name: [x, y]}."""
    return browser.execute_script(
        "const out = {};"
        "for (const t of document.getElementById('live-forecast-chart').data || [])"
        " out[t.name] = [t.x, t.y];"
        "return out;"
    )


def test_the_live_chart_draws_what_the_deployment_took_and_keeps_it_after_a_reload(
    live_stack, browser, owner
):
    model = deployed_forecaster(owner, iso_file())
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    open_live_panel(browser, live_stack, model)
    # Not ISO, but one reading only: drawn at the date the server read, not the raw text.
    reading(browser, "January 1, 2024")
    send(browser, "131.5")
    wait(browser, LONG).until(
        lambda d: (
            d.find_element(By.ID, "live-forecast-chart").get_attribute("data-live-points") == "1"
        )
    )
    x, y = traces(browser)["sent observations"]
    assert x == ["2023-12-31T00:00:00", "2024-01-01T00:00:00"] and y[-1] == 131.5
    # Two steps skipped: drawn, as filled in.
    reading(browser, "2024-01-04")
    send(browser, "140")
    wait(browser, LONG).until(
        lambda d: (
            d.find_element(By.ID, "live-forecast-chart").get_attribute("data-live-points") == "4"
        )
    )

    def drawn() -> None:
        lines = traces(browser)
        x, y = lines["sent observations"]
        assert x[1:] == [f"2024-01-0{d}T00:00:00" for d in (1, 2, 3, 4)]
        assert y[1:] == pytest.approx([131.5, 131.5 + 8.5 / 3, 131.5 + 17 / 3, 140.0])
        assert lines["filled in"][0] == ["2024-01-02T00:00:00", "2024-01-03T00:00:00"]
        # The forecast starts right after the last observation: no gap.
        assert lines["forecast"][0][:2] == ["2024-01-04T00:00:00", "2024-01-05T00:00:00"]

    drawn()
    # A daily series' last step is a date, not "2024-01-04T00:00:00".
    through = browser.find_element(By.ID, "forecast-through").text
    assert through == "History known through 2024-01-04; the forecast starts after it."
    check_page(browser, "model-live-chart")
    browser.refresh()  # the page draws the state the deployment keeps
    wait(browser, LONG).until(
        lambda d: (
            d.find_element(By.ID, "live-forecast-chart").get_attribute("data-live-points") == "4"
        )
    )
    drawn()
    wait(browser, LONG).until(
        lambda d: "Reads as 2024-01-05" in d.find_element(By.ID, "obs-reading").text
    )


def test_the_observed_value_takes_a_decimal_comma_and_refuses_what_is_no_number(
    live_stack, browser, owner
):
    """`<input type=number>` turned 101,5 into 1015 and sent it (file: 01.01.2023;100,38)."""
    from predictions.models import ForecastActual

    values = _daily(len(STAMPS))
    euro = "date;sales\n" + "\n".join(
        f"{ts:%d.%m.%Y};{str(v).replace('.', ',')}" for ts, v in zip(STAMPS, values, strict=True)
    )
    model = deployed_forecaster(owner, euro, sep=";", date_format="%d.%m.%Y", name="umsatz")
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    open_live_panel(browser, live_stack, model)
    box = browser.find_element(By.ID, "obs-value")
    assert box.get_attribute("type") == "text" and box.get_attribute("inputmode") == "decimal"
    assert "," in box.get_attribute("placeholder")  # the forecast hint in the file's notation
    for bad in ("101,5 kg", "1O1"):
        reading(browser, "01.01.2024")  # the file's own day-first notation
        send(browser, bad)
        wait(browser, LONG).until(lambda d: d.find_element(By.ID, "obs-value-error").text)
        error = browser.find_element(By.ID, "obs-value-error").text
        assert error == f"Value '{bad}' is not a number.", error
        assert box.get_attribute("aria-invalid") == "true"
        assert browser.find_element(By.ID, "obs-error").get_attribute("hidden")
    check_page(browser, "model-live-value-error")
    assert not ForecastActual.objects.exists()
    send(browser, "101,5")
    wait(browser, LONG).until(
        lambda d: (
            d.find_element(By.ID, "live-forecast-chart").get_attribute("data-live-points") == "1"
        )
    )
    assert ForecastActual.objects.get().value == 101.5
    assert traces(browser)["sent observations"][1][-1] == 101.5
    assert not browser.find_element(By.ID, "obs-value-error").text
    assert box.get_attribute("aria-invalid") is None


def test_the_live_chart_follows_the_series_chosen(live_stack, browser, owner):
    """A model with an id column: the live chart only ever drew the first series (and an
    observation sent for the second was drawn over the first one's history). Looking is not
    traffic: opening the page and switching series record no prediction (each recorded one, a
    forecast served, which monitoring counted); sending an observation does."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    from predictions.models import PredictionRecord

    model, values = deployed_two_series_forecaster(owner)
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    open_live_panel(browser, live_stack, model)
    chart = browser.find_element(By.ID, "live-forecast-chart")
    assert chart.get_attribute("data-series") == "A"
    choice = browser.find_element(By.ID, "forecast-series")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=forecast-series]").text == "Series"
    assert [o.text for o in Select(choice).options] == ["A", "B"]
    assert Select(choice).first_selected_option.text == "A"
    x, y = traces(browser)["history"]
    assert y == pytest.approx(list(values["A"])) and x[-1] == "2023-12-31T00:00:00"

    # By keyboard: the chart moves to B, its history and its forecast (a week of B's values).
    choice.send_keys(Keys.ARROW_DOWN)
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "live-forecast-chart").get_attribute("data-series") == "B"
    )
    lines = traces(browser)
    assert lines["history"][1] == pytest.approx(list(values["B"]))
    assert lines["forecast"][1][1:] == pytest.approx(list(values["B"][-7:]))
    assert chart.get_attribute("aria-label") == (
        "Live forecast of series B with 80% and 95% intervals"
    )
    check_page(browser, "model-live-second-series")
    assert not PredictionRecord.objects.exists()

    # An observation of B is drawn on B's line, and the chart keeps B.
    wait(browser, LONG).until(
        lambda d: "Reads as 2024-01-01" in d.find_element(By.ID, "obs-reading").text
    )
    send(browser, "1140")
    wait(browser, LONG).until(
        lambda d: (
            d.find_element(By.ID, "live-forecast-chart").get_attribute("data-live-points") == "1"
        )
    )
    lines = traces(browser)
    assert lines["sent observations"][1] == pytest.approx([values["B"][-1], 1140.0])
    assert lines["history"][1] == pytest.approx(list(values["B"]))
    # A prediction request: its forecast of B is recorded, on the stream.
    [served] = PredictionRecord.objects.all()
    assert served.prediction["series_id"] == "B" and served.channel == "websocket"
    # Back to A: nothing was sent for it.
    Select(choice).select_by_value("A")
    wait(browser, LONG).until(
        lambda d: d.find_element(By.ID, "live-forecast-chart").get_attribute("data-series") == "A"
    )
    lines = traces(browser)
    assert "sent observations" not in lines
    assert lines["history"][1] == pytest.approx(list(values["A"]))
    open_live_panel(browser, live_stack, model)  # opened again: still only what was served
    assert list(PredictionRecord.objects.values_list("pk", flat=True)) == [served.pk]


def test_a_value_the_model_cannot_forecast_from_is_refused_under_the_value(
    live_stack, browser, owner
):
    """1e300 typed as an observation answered 'The forecast failed on the server.' (a 500
    behind it, or intervals that were no numbers from then on); it is refused, under the value
    it is about, and nothing is stored."""
    from predictions.models import ForecastActual, ForecastState

    model = deployed_forecaster(owner, iso_file())
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    open_live_panel(browser, live_stack, model)
    reading(browser, "2024-01-01")
    send(browser, "1e300")
    wait(browser, LONG).until(lambda d: d.find_element(By.ID, "obs-value-error").text)
    error = browser.find_element(By.ID, "obs-value-error").text
    assert error == (
        "The value 1e+300 at 2024-01-01T00:00:00+00:00 cannot be added to the history: its "
        "forecast would not be a finite number. Nothing was stored; check the value for a "
        "typo or a unit mistake."
    ), error
    box = browser.find_element(By.ID, "obs-value")
    assert box.get_attribute("aria-invalid") == "true"
    assert browser.switch_to.active_element == box
    assert browser.find_element(By.ID, "obs-error").get_attribute("hidden")
    check_page(browser, "model-live-value-not-forecastable")
    assert not ForecastState.objects.exists() and not ForecastActual.objects.exists()
    send(browser, "130")
    wait(browser, LONG).until(
        lambda d: (
            d.find_element(By.ID, "live-forecast-chart").get_attribute("data-live-points") == "1"
        )
    )
    assert not browser.find_element(By.ID, "obs-value-error").text


def test_a_typed_value_far_outside_the_training_values_is_warned_about_before_sending(
    live_stack, browser, owner
):
    """Typing 1e12 for a series trained near 100: the line under the fields warns before it is
    sent (an observation cannot be taken back), and a plain value clears the warning."""
    model = deployed_forecaster(owner, iso_file())
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    open_live_panel(browser, live_stack, model)
    reading(browser, "2024-01-01")
    box = browser.find_element(By.ID, "obs-value")
    box.send_keys("1e12")
    note = wait(browser, LONG).until(lambda d: d.find_elements(By.ID, "obs-value-note"))[0]
    assert note.text.startswith("1e+12 is far outside the values the series was trained on")
    assert "undeploying the model and deploying it again" in note.text
    check_page(browser, "model-live-far-value")
    box.clear()
    box.send_keys("130")
    wait(browser, LONG).until(lambda d: not d.find_elements(By.ID, "obs-value-note"))
    assert "Reads as" in browser.find_element(By.ID, "obs-reading").text


def test_the_backtest_windows_fit_a_phone_without_scrolling(live_stack, browser, owner):
    from vur.tests.browser import set_width

    model = deployed_forecaster(owner, iso_file())
    model.card = {"backtest_windows": [0.8218, 0.2943, None, 1.495]}
    model.save(update_fields=["card"])
    sign_in(browser, live_stack, "owner", "owner-pass-123")
    set_width(browser, 390)
    browser.get(f"{live_stack}/models/{model.pk}/")
    table = wait(browser).until(lambda d: d.find_element(By.ID, "backtest-windows"))
    rows = [r.text for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert rows == ["1 (oldest) 0.8218", "2 0.2943", "3 –", "4 (newest) 1.495"]
    box = table.find_element(By.XPATH, "..")
    assert browser.execute_script("return arguments[0].scrollWidth", box) <= box.size["width"]
