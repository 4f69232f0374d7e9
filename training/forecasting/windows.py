"""A backtest window (one forecast from one origin, with its actuals and model intervals) and
the point metrics it is scored by."""

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


def mase_scale(train: np.ndarray, m: int) -> float:
    """In-sample mean absolute error of the seasonal naive forecast (naive when too short)."""
    x = train[np.isfinite(train)]
    for lag in (m, 1):
        if len(x) > lag:
            scale = float(np.mean(np.abs(x[lag:] - x[:-lag])))
            if scale > 1e-12:
                return scale
    return max(float(np.mean(np.abs(x))) * 1e-3, 1e-9)


def point_metrics(actual: np.ndarray, pred: np.ndarray, scale: float) -> dict[str, float]:
    """MASE (against `scale`), sMAPE and MAPE (percent), RMSE and MAE over the known actuals;
    empty when no actual is known."""
    ok = np.isfinite(actual)
    a, p = actual[ok], pred[ok]
    if len(a) == 0:
        return {}
    err = a - p
    denom = np.abs(a) + np.abs(p)
    smape = float(np.mean(np.where(denom > 0, 2 * np.abs(err) / np.where(denom > 0, denom, 1), 0)))
    nz = np.abs(a) > 1e-12
    mape = float(np.mean(np.abs(err[nz]) / np.abs(a[nz]))) * 100 if nz.any() else float("nan")
    return {
        "mase": float(np.mean(np.abs(err)) / scale),
        "smape": smape * 100,
        "mape": mape,
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
    }
