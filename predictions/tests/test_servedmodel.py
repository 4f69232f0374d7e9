"""The served-model interface: the implementation is chosen once from the problem type, and each
says what its kind does (endpoints, which requests it refuses and with which code)."""

from __future__ import annotations

import pytest

from modeling.models import TrainedModel
from predictions.servedmodel import ForecastServed, TabularServed, served_model_of
from vur.errors import InvalidInput


def _refused(call) -> str:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value.code


@pytest.mark.parametrize("problem", ["classification", "regression"])
def test_tabular_models_score_rows_and_files_and_refuse_forecasts(problem):
    kind = served_model_of(TrainedModel(problem_type=problem))
    assert isinstance(kind, TabularServed) and not kind.forecaster
    kind.rows_allowed("x")
    kind.batch_allowed()
    kind.feedback_allowed()
    assert _refused(kind.forecast_allowed) == "not_a_forecaster"
    assert [kind.endpoint(t) for t in ("api", "batch", "realtime")] == [
        "/api/v1/predictions/single", "/api/v1/predictions/batch", "/ws/predictions/",
    ]  # fmt: skip


def test_forecasters_forecast_and_refuse_rows_files_and_row_feedback():
    kind = served_model_of(TrainedModel(problem_type="forecasting"))
    assert isinstance(kind, ForecastServed) and kind.forecaster
    kind.forecast_allowed()
    assert _refused(lambda: kind.rows_allowed("ask predictions/forecast.")) == "use_forecast"
    assert _refused(kind.batch_allowed) == "not_tabular"
    assert _refused(kind.feedback_allowed) == "use_forecast"
    assert [kind.endpoint(t) for t in ("api", "batch", "realtime")] == [
        "/api/v1/predictions/forecast", "/api/v1/predictions/batch", "/ws/predictions/",
    ]  # fmt: skip
