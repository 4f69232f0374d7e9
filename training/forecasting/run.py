"""One forecasting run in progress: its settings, series, fit plan, time ledger, results so far,
and the event, stop and time-share helpers every phase uses."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modeling.catalog import display_name
from training.budget import Ledger
from training.forecasting.backtest import FitPlan
from training.forecasting.inputs import PreparedInput, SeriesData
from training.forecasting.refit import refit_reserve
from training.forecasting.settings import Cancelled, ForecastSettings

EventSink = Callable[[str, dict[str, Any]], None]
SEARCH_SHARE, CALIBRATION_SHARE = 0.65, 0.85  # of the budget: backtests end, calibration ends
# The backtests and the calibration also end early enough to leave the predicted refits (on the
# whole history) of the rank-1 model, seasonal_naive and the likely ensemble members, and the
# saving of the models (`refit_reserve`).


@dataclass
class Run:
    """The state the phases of one run share; `results` maps each backtested algorithm to its
    backtest (metrics, windows, calibration, interval card, residuals, fit time)."""

    settings: ForecastSettings
    data: PreparedInput
    plan: FitPlan
    ledger: Ledger
    on_event: EventSink
    should_stop: Callable[[], bool]
    start: float
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def series(self) -> list[SeriesData]:
        """The regularised series being forecast."""
        return self.data.series

    @property
    def budget(self) -> float:
        """The run's time budget in seconds."""
        return self.settings.time_budget_s

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.start

    def label(self, name: str) -> str:
        """Algorithm `name` as log lines name it: its display name for forecasting ("ARIMA
        (AutoARIMA)" for "arima"); events and records keep the key."""
        return display_name(name, "forecasting")

    def log(self, message: str, level: str = "info") -> None:
        """Send one log line to the caller."""
        self.on_event("log", {"message": message, "level": level})

    def check_stop(self) -> None:
        """Raise `Cancelled` (after logging it) when the caller asks the run to stop."""
        if self.should_stop():
            self.log("Cancelled on request.", "warning")
            raise Cancelled("The forecasting job was cancelled.")

    def until(self, share: float) -> float:
        """Seconds from the start a phase may use: its share, less the reserved refits."""
        reserve = refit_reserve(
            self.results,
            self.series,
            self.plan.n_windows,
            self.plan.horizon,
            self.plan.params["ensemble"] if "ensemble" in self.settings.algorithms else None,
        )
        return min(share * self.budget, self.budget - reserve)
