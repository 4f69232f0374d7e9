"""The deployable forecasting model (`ForecastModel`, the object saved with joblib) and the
candidate record the engine returns for each backtested algorithm."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from datasets.jsonsafe import json_safe
from datasets.timeseries import past_calendar_sentence, steps_past_calendar
from modeling.forecasters import Forecaster
from pipelines.limits import MAX_HORIZON
from preprocessing.series import future_index
from training.forecasting.settings import ForecastError, HorizonPastCalendar

# A live observation further than this many times its series' training range beyond that range
# is warned about (not refused: a series may leave its range for good).
FAR_SPANS = 2.0
# The model card keeps the most common fitted forms of a multi-series model, each with the
# first few series that share it (and how many do).
FORMS_KEPT = 3
SERIES_NAMED = 3


class ForecastModel:
    """The one object saved (joblib) and deployed: fitted forecasters per series with the history
    they need, frequency, seasons, default horizon and time zone, the horizon its backtests
    checked (`checked_horizon`: fewer steps than the default when the history was short), and
    the ids of the series left out of training (too short or too sparse), with the reason
    (`left_out`)."""

    # Pickles name a class by its module: saved models say training.forecasting.ForecastModel
    # (the module before it became a package, re-exported there), so files written before and
    # after the move load with either version of the code.
    __module__ = "training.forecasting"

    def __init__(
        self,
        *,
        algorithm: str,
        time_column: str,
        target: str,
        id_column: str | None,
        freq: str,
        timezone: str | None,
        horizon: int,
        levels: tuple[int, ...],
        season_lengths: dict[Any, list[int]],
        forecasters: dict[Any, Forecaster],
        left_out: dict[Any, str] | None = None,
        checked_horizon: int | None = None,
        value_ranges: dict[Any, tuple[float, float]] | None = None,
    ):
        self.algorithm = algorithm
        self.time_column = time_column
        self.target = target
        self.id_column = id_column
        self.freq = freq
        self.timezone = timezone
        self.horizon = horizon
        self.levels = tuple(levels)
        self.season_lengths = season_lengths
        self.forecasters = forecasters
        self.left_out = dict(left_out or {})
        self.checked_horizon = int(checked_horizon or horizon)
        self.value_ranges = dict(value_ranges or {})

    @property
    def series_ids(self) -> list[Any]:
        """Ids of the series this model forecasts (one None id without an id column)."""
        return list(self.forecasters)

    def _stamp(self, ts: pd.Timestamp) -> str:
        if self.timezone:
            return str(ts.tz_localize("UTC").tz_convert(self.timezone).isoformat())
        return str(ts.isoformat())

    def _one(self, key: Any, horizon: int, levels: tuple[int, ...]) -> dict[str, Any]:
        out = self.forecasters[key].predict(horizon, levels)
        return out.as_json([self._stamp(ts) for ts in out.timestamps])

    def predict(
        self,
        horizon: int | None = None,
        levels: tuple[int, ...] | list[int] = (80, 95),
        series_id: Any = None,
    ) -> dict[str, Any]:
        """Forecast `horizon` steps (default: the trained horizon) after the history.

        One series: {timestamps, forecast, intervals}. With an id column: {"series": [{id, ...}]}
        plus the first (or the requested) series' fields at top level.
        """
        h = int(horizon or self.horizon)
        if h < 1 or h > MAX_HORIZON:
            raise ForecastError(f"The horizon must be between 1 and {MAX_HORIZON}.")
        latest = max(f.last_timestamp_ for f in self.forecasters.values())  # ends last
        most = steps_past_calendar(latest, self.freq, h)
        if most is not None:
            raise HorizonPastCalendar(past_calendar_sentence(h, self.freq, most))
        lv = tuple(int(v) for v in levels)
        if any(v <= 0 or v >= 100 for v in lv):
            raise ForecastError("Interval levels must be percentages between 0 and 100.")
        if not self.id_column:
            return self._one(next(iter(self.forecasters)), h, lv)
        keys = list(self.forecasters)
        if series_id is not None:
            match = [k for k in keys if str(k) == str(series_id)]
            if not match:
                raise ForecastError(self.unknown_series(series_id))
            keys = match
        series = [{"id": json_safe(k), **self._one(k, h, lv)} for k in keys]
        first = {k: v for k, v in series[0].items() if k != "id"}
        return {"series": series, **first}

    def forecast_notes(self, horizon: int) -> list[str]:
        """What a client should know about a forecast of `horizon` steps: its intervals were
        calibrated on backtests of the checked horizon, so steps beyond it are extrapolated."""
        # models saved before `checked_horizon` existed were checked on their whole horizon
        trained = int(getattr(self, "checked_horizon", None) or self.horizon)
        if horizon <= trained:
            return []
        return [
            f"The intervals were calibrated on backtests of {trained} steps; those of steps "
            f"{trained + 1} to {horizon} reach beyond what the backtests checked and are less "
            "reliable the further they go."
        ]

    def far_value_note(self, key: Any, value: float) -> str | None:
        """A warning when a live observation of series `key` lies more than `FAR_SPANS` times
        the range of its training values beyond that range (a typo or a unit mistake, most
        often): a sentence saying so, or None (also for models saved without the ranges)."""
        known = (getattr(self, "value_ranges", None) or {}).get(key)
        if known is None or not math.isfinite(value):
            return None
        low, high = known
        span = (high - low) or max(abs(high), 1.0)
        if low - FAR_SPANS * span <= value <= high + FAR_SPANS * span:
            return None
        which = "the series" if key is None else f"series {key!r}"
        return (
            f"{value:g} is far outside the values {which} was trained on ({low:g} to "
            f"{high:g}): check it for a typo or a unit mistake. An observation cannot be taken "
            "back; undeploying the model and deploying it again starts its live state afresh."
        )

    def left_out_reason(self, series_id: Any) -> str | None:
        """Why series `series_id` was left out of training, or None when it was not."""
        left_out = getattr(self, "left_out", None) or {}  # models saved before it existed
        return next((why for k, why in left_out.items() if str(k) == str(series_id)), None)

    def unknown_series(self, series_id: Any) -> str:
        """The sentence that answers a request for a series this model does not forecast."""
        why = self.left_out_reason(series_id)
        if why is None:
            return f"Unknown series id {series_id!r}."
        return (
            f"Series {str(series_id)!r} was left out when this model was trained because it had "
            f"too little data ({why})."
        )

    def fitted_forms(self) -> dict[str, Any]:
        """What was fitted on the series, grouped by form (`Forecaster.fitted_form`): {n_series,
        n_forms, forms: [{text, form, n_series, series}]}, the `FORMS_KEPT` forms most series
        share first, each naming up to `SERIES_NAMED` of its series (none without an id
        column). {} when no forecaster holds its fitted state."""
        groups: dict[str, dict[str, Any]] = {}
        for key, forecaster in self.forecasters.items():
            form = forecaster.fitted_form()
            if not form:
                continue
            group = groups.setdefault(
                form["text"], {"text": form["text"], "form": form, "n_series": 0, "series": []}
            )
            group["n_series"] += 1
            if self.id_column and len(group["series"]) < SERIES_NAMED:
                group["series"].append(json_safe(key))
        if not groups:
            return {}
        ranked = sorted(groups.values(), key=lambda g: -g["n_series"])  # stable: first seen
        return {
            "n_series": sum(g["n_series"] for g in ranked),
            "n_forms": len(ranked),
            "forms": ranked[:FORMS_KEPT],
        }

    def input_schema(self) -> dict[str, Any]:
        """What the model was trained on: time column, target, id column, frequency, horizon."""
        return {
            "problem_type": "forecasting",
            "time_column": self.time_column,
            "target": self.target,
            "id_column": self.id_column,
            "frequency": self.freq,
            "timezone": self.timezone,
            "horizon": self.horizon,
            "checked_horizon": int(getattr(self, "checked_horizon", None) or self.horizon),
            "levels": list(self.levels),
            "season_lengths": {str(k): v for k, v in self.season_lengths.items()},
            "series_ids": [json_safe(k) for k in self.series_ids] if self.id_column else None,
            "left_out_series": [
                {"id": json_safe(k), "reason": why}
                for k, why in (getattr(self, "left_out", None) or {}).items()
            ],
            "last_timestamps": {
                str(k): self._stamp(f.last_timestamp_) for k, f in self.forecasters.items()
            },
        }


@dataclass
class ForecastCandidate:
    """One backtested algorithm: its metrics, ranking and (when refitted) deployable model."""

    algorithm: str
    hyperparameters: dict[str, Any]
    model: ForecastModel | None
    backtest_metrics: dict[str, float]
    primary_metric: str = "mase"
    primary_value: float = math.inf
    fit_time_s: float = 0.0
    rank: int = 0
    residual_analysis: dict[str, Any] = field(default_factory=dict)
    prediction_intervals: dict[str, Any] = field(default_factory=dict)
    # Each backtest window's MASE by series id (oldest window first): what the mean ranked on.
    window_mase: dict[Any, list[float]] = field(default_factory=dict)

    def window_means(self) -> list[float | None]:
        """Each backtest window's MASE averaged over the series (oldest window first; None for
        a window without a known value): how steady the candidate was, window by window."""
        rows = [errors for errors in self.window_mase.values() if errors]
        if not rows:
            return []
        out: list[float | None] = []
        for w in range(min(len(r) for r in rows)):
            known = [r[w] for r in rows if math.isfinite(r[w])]
            out.append(sum(known) / len(known) if known else None)
        return out


def forecast_timestamps(last: pd.Timestamp, freq: str, horizon: int) -> list[pd.Timestamp]:
    """The timestamps that follow `last` (re-exported for callers that only have a model card)."""
    return list(future_index(last, freq, horizon))
