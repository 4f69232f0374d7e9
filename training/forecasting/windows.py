"""A backtest window: one forecast from one origin, with its actuals and the model's intervals
(scored by `modeling.metrics.forecast_metrics`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Window:
    """One forecast of `horizon` steps from one origin: the actuals, the forecast, the model's
    bounds per level, the MASE scale of its training part and its origin (training length)."""

    actual: np.ndarray
    forecast: np.ndarray
    bounds: dict[int, tuple[np.ndarray, np.ndarray]]
    scale: float
    cutoff: int = -1  # training length of the window (its position in the series)
