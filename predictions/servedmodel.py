"""One interface for a served model, whatever it predicts: what predictions asks of a model
(score rows, forecast, take a batch file, its endpoint, its feedback shape) is answered by a
tabular or a forecasting implementation chosen once, by `served_model_of`, when the model enters
the serving cache (or a service picks it up). Nothing else in predictions tests the problem type
to decide what a model may do.
"""

from __future__ import annotations

from typing import Any, Protocol

from modeling.models import TrainedModel
from vur.errors import InvalidInput


class ServedModel(Protocol):
    """What predictions asks of a served model."""

    model: TrainedModel
    forecaster: bool

    def rows_allowed(self, hint: str) -> None:
        """Raise (400 `use_forecast`) when it does not score rows; `hint` says where to go."""

    def forecast_allowed(self) -> None:
        """Raise (400 `not_a_forecaster`) when the model does not forecast."""

    def batch_allowed(self) -> None:
        """Raise (400 `not_tabular`) when the model does not score files."""

    def endpoint(self, target: str) -> str:
        """The URL path a deployment for `target` ("api", "batch", "realtime") answers on."""

    def feedback_allowed(self) -> None:
        """Raise (400 `use_forecast`) when `{prediction_id, actual}` feedback does not apply."""


class TabularServed:
    """A classifier or regressor: scores rows (REST, WebSocket, batch files)."""

    forecaster = False

    def __init__(self, model: TrainedModel):
        self.model = model

    def rows_allowed(self, hint: str) -> None:
        """Rows are what it scores."""

    def forecast_allowed(self) -> None:
        """Refuse: a tabular model has no forecast."""
        raise InvalidInput(
            "This model is not a forecaster; use predictions/single.", code="not_a_forecaster"
        )

    def batch_allowed(self) -> None:
        """Files are scored row by row."""

    def endpoint(self, target: str) -> str:
        """`predictions/single`, `predictions/batch` or the WebSocket."""
        if target == "realtime":
            return "/ws/predictions/"
        return "/api/v1/predictions/" + ("batch" if target == "batch" else "single")

    def feedback_allowed(self) -> None:
        """Each served prediction takes its actual."""


class ForecastServed:
    """A forecaster: answers forecasts from its (live) history, not rows."""

    forecaster = True

    def __init__(self, model: TrainedModel):
        self.model = model

    def rows_allowed(self, hint: str) -> None:
        """Refuse: a forecaster takes observations, not rows."""
        raise InvalidInput(f"This is a forecasting model; {hint}", code="use_forecast")

    def forecast_allowed(self) -> None:
        """Forecasts are what it answers."""

    def batch_allowed(self) -> None:
        """Refuse: batch files are for tabular models."""
        raise InvalidInput("Batch scoring is for tabular models.", code="not_tabular")

    def endpoint(self, target: str) -> str:
        """`predictions/forecast`, the batch path or the WebSocket."""
        if target == "realtime":
            return "/ws/predictions/"
        return "/api/v1/predictions/" + ("batch" if target == "batch" else "forecast")

    def feedback_allowed(self) -> None:
        """Refuse: a forecast's actuals are sent by timestamp."""
        raise InvalidInput(
            "For a forecast send {model_id, timestamp, actual, series_id?}.", code="use_forecast"
        )


def served_model_of(model: TrainedModel) -> TabularServed | ForecastServed:
    """The served-model implementation of `model`: the one place its problem type is read."""
    kinds: dict[str, Any] = {"forecasting": ForecastServed}
    return kinds.get(model.problem_type, TabularServed)(model)
