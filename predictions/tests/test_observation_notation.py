"""Forecast observations and feedback read their timestamps in the notation of the model's time
column: quarters as the training file wrote them (`Q3 1983`), mapped to the model's own point of
the quarter (its end for a quarter-end model), and dates in the file's day/month order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from modeling.artifacts import artifact_save
from modeling.forecasters import PreparedForecaster, SeasonalNaiveForecaster
from modeling.models import TrainedModel
from predictions.models import ForecastActual
from training.forecasting import ForecastModel

pytestmark = pytest.mark.django_db


def _model(
    api, owner, stamps: pd.DatetimeIndex, written: list[str], freq: str, decimal: str = "."
) -> TrainedModel:
    """A seasonal naive forecaster on `stamps`, stored like training stores one: its input
    schema's columns are the uploaded file's (`written` is how the file wrote each stamp, and
    `decimal` its numbers' decimal mark), so they keep the parse specs the upload chose."""
    values = 100 + np.arange(len(stamps)) % 4 * 5.25
    csv = "period;income\n" + "\n".join(
        f"{w};{str(v).replace('.', decimal)}" for w, v in zip(written, values, strict=True)
    )
    up = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("q.csv", csv.encode()), "name": "q", "time_column": "period"},
        format="multipart",
    )
    assert up.status_code == 201, up.json()
    body = up.json()
    pipe = api.post(
        "/api/v1/pipelines/",
        {"name": "q", "dataset_id": body["id"], "target_column": "income",
         "problem_type": "forecasting", "time_column": "period", "forecast_horizon": 4},
        format="json",
    )  # fmt: skip
    assert pipe.status_code == 201, pipe.json()
    series = pd.Series(values, index=stamps)
    forecaster = PreparedForecaster(SeasonalNaiveForecaster(season_length=4)).fit(series)
    fitted = ForecastModel(
        algorithm="seasonal_naive", time_column="period", target="income", id_column=None,
        freq=freq, timezone=None, horizon=4, levels=(80, 95), season_lengths={None: [4]},
        forecasters={None: forecaster},
    )  # fmt: skip
    saved = artifact_save(fitted, f"{owner.pk}/notation/{freq}")
    columns = [
        {"name": c["name"], "dtype": c["dtype"], "semantic_type": c["semantic_type"],
         "required": True, **({"parse": c["parse"]} if c.get("parse") else {})}
        for c in body["columns_info"]
    ]  # fmt: skip
    model = TrainedModel.objects.create(
        owner=owner, pipeline_id=pipe.json()["id"], problem_type="forecasting",
        algorithm="seasonal_naive", primary_metric="mase", artifact=saved.name,
        sha256=saved.sha256, input_schema={**fitted.input_schema(), "columns": columns},
    )  # fmt: skip
    res = api.post("/api/v1/deployment/deploy", {"model_id": model.pk, "target": "api"})
    assert res.status_code == 201, res.json()
    return model


def _observe(api, model, timestamp: str):
    return api.post(
        "/api/v1/predictions/forecast",
        {"model_id": model.pk, "horizon": 2,
         "observations": [{"timestamp": timestamp, "value": 30000}]},
        format="json",
    )  # fmt: skip


def test_an_observation_written_as_the_files_quarters_is_read(api, owner):
    stamps = pd.date_range("1971-01-01", "1983-04-01", freq="QS")
    written = [f"Q{ts.quarter} {ts.year}" for ts in stamps]
    model = _model(api, owner, stamps, written, "QS")
    res = _observe(api, model, "Q3 1983")
    assert res.status_code == 200, res.json()
    assert res.json()["updated_through"].startswith("1983-07-01")
    assert res.json()["timestamps"][0].startswith("1983-10-01")
    for later in ("1983 Q4", "1984-Q1"):  # the other ways R and pandas write quarters
        assert _observe(api, model, later).status_code == 200
    assert _observe(api, model, "1984-04-01").status_code == 200  # ISO still reads
    feedback = api.post(
        "/api/v1/predictions/feedback",
        {"model_id": model.pk, "timestamp": "Q4 1984", "actual": 1.0},
        format="json",
    )
    assert feedback.status_code == 201, feedback.json()
    assert ForecastActual.objects.filter(model=model, timestamp__year=1984).count() == 3


def test_a_quarter_label_means_the_quarter_end_for_a_quarter_end_model(api, owner):
    stamps = pd.date_range("1965-03-31", "1992-09-30", freq="QE")
    written = [ts.strftime("%Y-%m-%d") for ts in stamps]
    model = _model(api, owner, stamps, written, "QE")
    res = _observe(api, model, "1992-Q4")
    assert res.status_code == 200, res.json()
    assert res.json()["updated_through"].startswith("1992-12-31")
    off = _observe(api, model, "1993-02-15")
    assert off.status_code == 400 and off.json()["code"] == "observation_off_frequency"


def test_an_observation_reads_in_the_files_day_month_order(api, owner):
    """01.02.1993 after 31.01.1993 in a dd.mm.yyyy file is 1 February, not 2 January."""
    stamps = pd.date_range("1992-10-01", "1993-01-31", freq="D")
    written = [ts.strftime("%d.%m.%Y") for ts in stamps]
    model = _model(api, owner, stamps, written, "D")
    res = _observe(api, model, "01.02.1993")
    assert res.status_code == 200, res.json()
    assert res.json()["updated_through"].startswith("1993-02-01")
    bad = _observe(api, model, "Q5 1993")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_timestamp"


def test_an_ambiguous_date_on_an_iso_series_is_refused_not_guessed(api, owner):
    """02.01.1993 on a series written 1993-01-31 was read month first (1 February) and the
    steps up to it filled; it could as well be 2 January, so it is refused and nothing moves."""
    from predictions.models import ForecastState

    stamps = pd.date_range("1992-10-01", "1993-01-31", freq="D")
    model = _model(api, owner, stamps, [ts.strftime("%Y-%m-%d") for ts in stamps], "D")
    for written in ("01.02.1993", "02/01/1993"):
        res = _observe(api, model, written)
        assert res.status_code == 400, res.json()
        assert res.json()["code"] == "ambiguous_timestamp"
        assert res.json()["detail"] == (
            f"observations[0]: '{written}' could be 2 January 1993 or 1 February 1993; write "
            "it in ISO 8601 as the training file did (2024-01-31)."
        )
    assert not ForecastState.objects.exists() and not ForecastActual.objects.exists()
    for written in ("1 February 1993", "Feb 2, 1993", "1993-02-03"):  # one reading each
        res = _observe(api, model, written)
        assert res.status_code == 200, (written, res.json())
        assert res.json()["missing_steps"] == 0
    assert res.json()["updated_through"].startswith("1993-02-03")


def test_a_day_first_series_names_its_own_notation_when_a_date_is_ambiguous(api, owner):
    stamps = pd.date_range("1992-10-01", "1993-01-31", freq="D")
    model = _model(api, owner, stamps, [ts.strftime("%d.%m.%Y") for ts in stamps], "D")
    res = _observe(api, model, "02/01/1993")  # not the file's dd.mm.yyyy
    assert res.status_code == 400 and res.json()["code"] == "ambiguous_timestamp"
    assert res.json()["detail"].endswith(
        "write it as the training file did (31.01.2024) or in ISO 8601 (2024-01-31)."
    )
    res = _observe(api, model, "02.02.1993")  # the file's notation: 2 February, one step on
    assert res.status_code == 200 and res.json()["missing_steps"] == 1


def test_an_observed_value_written_as_text_reads_in_the_files_decimal_notation(api, owner):
    """A file written 31.01.1993;100,5: values sent as text read with its decimal comma (12,345
    is twelve and a bit there); a decimal-point file refuses 12,345 as ambiguous."""
    from predictions.live import parse_points, time_spec, value_spec
    from predictions.services import load_model
    from vur.errors import InvalidInput

    stamps = pd.date_range("1992-10-01", "1993-01-31", freq="D")
    written = [ts.strftime("%d.%m.%Y") for ts in stamps]
    cases = {
        ",": {"101,5": 101.5, "12,345": 12.345, "100": 100.0},
        ".": {"101,5": 101.5, "12.345": 12.345, "12,345": None},
    }
    for decimal, readings in cases.items():
        model = _model(api, owner, stamps, written, "D", decimal=decimal)
        assert (value_spec(model) or {}).get("decimal", ".") == decimal
        fitted = load_model(model)
        for text, number in readings.items():
            item = [{"timestamp": "01.02.1993", "value": text}]
            if number is None:
                with pytest.raises(InvalidInput, match="could be 12345 or 12.345"):
                    parse_points(fitted, item, spec=time_spec(model), numbers=value_spec(model))
                continue
            [point] = parse_points(fitted, item, spec=time_spec(model), numbers=value_spec(model))
            assert point.value == number, (decimal, text)


def test_a_rest_value_written_as_text_reads_in_the_files_decimal_notation(api, owner):
    """Over REST too (it took JSON numbers only): 12,345 on a decimal-comma file is 12.345."""
    stamps = pd.date_range("1992-10-01", "1993-01-31", freq="D")
    written = [ts.strftime("%d.%m.%Y") for ts in stamps]
    model = _model(api, owner, stamps, written, "D", decimal=",")
    res = api.post(
        "/api/v1/predictions/forecast",
        {"model_id": model.pk, "observations": [{"timestamp": "01.02.1993", "value": "12,345"}]},
        format="json",
    )
    assert res.status_code == 200, res.json()
    assert ForecastActual.objects.get(model=model).value == 12.345
