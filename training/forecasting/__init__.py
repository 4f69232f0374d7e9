"""Forecasting AutoML: validate a time-series frame, backtest candidate forecasters by rolling
origin (likely winners for the series' seasonality first), rank them by MASE, calibrate the
intervals of the best on more backtest windows inside the history, and refit the kept ones into
deployable `ForecastModel`s. The backtests and the calibration end early enough for the
predicted refits and saving (`training.budget`); a refit predicted not to end in time is not
started (that candidate is left out; the rank-1 model and seasonal_naive always are refitted).

One module per phase: `settings` (ForecastSettings, errors), `inputs` (prepare), `search`
(order and backtest loop), `backtest` (rolling origin), `intervals` and `calibration`,
`ensemble`, `refit`, `model` (ForecastModel), `engine` (run_forecast_automl). Django-free.
Saved models are pickled as `training.forecasting.ForecastModel`, so that name stays here.
"""

from training.forecasting.calibration import CALIBRATION_WINDOWS
from training.forecasting.engine import run_forecast_automl
from training.forecasting.inputs import check_input
from training.forecasting.model import ForecastCandidate, ForecastModel, forecast_timestamps
from training.forecasting.settings import (
    AUTO_ALGORITHMS,
    Cancelled,
    ForecastError,
    ForecastSettings,
    HistoryTooShort,
    HorizonPastCalendar,
    SparseSeries,
)

__all__ = [
    "AUTO_ALGORITHMS",
    "CALIBRATION_WINDOWS",
    "Cancelled",
    "ForecastCandidate",
    "ForecastError",
    "ForecastModel",
    "ForecastSettings",
    "HistoryTooShort",
    "HorizonPastCalendar",
    "SparseSeries",
    "check_input",
    "forecast_timestamps",
    "run_forecast_automl",
]
