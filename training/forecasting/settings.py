"""The settings of one forecasting run (`ForecastSettings`), checked once when they are made,
and the errors the forecasting engine raises."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modeling.forecast_catalog import FORECASTING_SPECS, INTERMITTENT_ALGORITHMS
from modeling.hyperparams import AlgorithmSpec
from pipelines.limits import MAX_HORIZON
from preprocessing.analysis import PreprocessingError
from preprocessing.config import PreprocessingConfig
from training.automl import Cancelled as Cancelled  # one Cancelled for both engines (re-export)

AUTO_ALGORITHMS = (
    "seasonal_naive",
    "ets",
    "theta",
    "arima",
    "mstl",
    "linear_lags",
    "gbm_lags",
    "ensemble",
)
SPECS: dict[str, AlgorithmSpec] = {spec.name: spec for spec in FORECASTING_SPECS}


class ForecastError(ValueError):
    """Input that cannot be forecast as given; the message is one clear sentence and `code`
    names the reason for the API's error body."""

    code = "cannot_forecast"


class ConstantTarget(ForecastError):
    """Every series holds a single value: there is nothing to forecast."""

    code = "constant_target"


class SparseSeries(ForecastError):
    """Most of the grid between the first and last timestamp has no value."""

    code = "series_too_sparse"


class HorizonPastCalendar(ForecastError):
    """The horizon's last steps fall after 2262-04-11, the last date pandas can hold."""

    code = "horizon_past_calendar"


class HistoryTooShort(ForecastError):
    """No series is long enough for the horizon (and the backtest it is ranked on)."""

    code = "series_too_short"


# Rolling-origin windows the candidates are ranked on, as many as fit up to this. With three,
# the choice between candidates whose true errors are close was mostly noise: on 59 public
# series the project had never seen (bench/fresh_series.py) six windows gave a geometric-mean
# relative MASE 7% lower than three (0.649 against 0.701; better on 22 series, worse on 14),
# and on the bench's own 49 series 1% higher (0.558 against 0.551; better on 18, worse on 11,
# the loss almost all one quarterly series whose three-window ensemble had been lucky), with
# intervals as well covered
# and narrower (80% / 95% coverage 82% / 95% at 0.73 / 0.86 of seasonal naive's width, against
# 81% / 94% at 0.76 / 0.93). Six was the one value tried besides three.
RANKING_WINDOWS = 6
# Fewer ranking windows than this is worth a warning in the job log.
FEW_WINDOWS = 3


@dataclass(frozen=True)
class ForecastSettings:
    """What one forecasting run is asked to do. Checked and normalised when made: `algorithms`
    becomes the tuple of chosen names ("auto" expanded), `levels` a tuple of ints,
    `preprocessing_config` a parsed `PreprocessingConfig`, and `params` the resolved
    hyperparameters of every chosen algorithm and of the ensemble.

    `auto` (set too by `algorithms="auto"`) says the names are the automatic choice: the run
    then adds the intermittent-demand methods when the series are intermittent (`search`), and
    `params` holds theirs."""

    time_column: str
    target: str
    horizon: int
    id_column: str | None = None
    algorithms: str | tuple[str, ...] | list[str] = "auto"
    hyperparameters: Mapping[str, Mapping[str, Any]] | None = None
    time_budget_s: float = 60.0
    levels: tuple[int, ...] = (80, 95)
    n_windows: int = RANKING_WINDOWS
    preprocessing_config: Mapping[str, Any] | PreprocessingConfig | None = None
    feature_config: Mapping[str, Any] | None = None
    random_state: int = 0
    auto: bool = False
    # The dataset's profile of the target column: the job log names its values that are not
    # numbers (`non_numeric_count`, `non_numeric_example`) apart from the empty ones.
    target_info: Mapping[str, Any] | None = field(default=None, compare=False)
    params: dict[str, dict[str, Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.time_column or not isinstance(self.time_column, str):
            raise ForecastError("The time column must be named.")
        if not self.target or not isinstance(self.target, str):
            raise ForecastError("The target column must be named.")
        _check_horizon(self.horizon)
        _set(self, "horizon", int(self.horizon))
        _set(self, "levels", _checked_levels(self.levels))
        _set(self, "n_windows", _whole(self.n_windows, "The number of backtest windows", 1))
        _set(self, "random_state", _whole(self.random_state, "The random state", None))
        budget = self.time_budget_s
        if isinstance(budget, bool) or not isinstance(budget, (int, float, np.number)):
            raise ForecastError("The time budget must be a number of seconds.")
        if not math.isfinite(float(budget)) or budget <= 0:
            raise ForecastError("The time budget must be a positive number of seconds.")
        _set(self, "time_budget_s", float(budget))
        _set(self, "preprocessing_config", _parsed_preprocessing(self.preprocessing_config))
        auto = bool(self.auto) or self.algorithms == "auto" or self.algorithms is None
        names = resolve_algorithms(self.algorithms)
        _set(self, "auto", auto)
        _set(self, "algorithms", tuple(names))
        extra = list(INTERMITTENT_ALGORITHMS) if auto else []
        _set(self, "params", resolve_params([*names, *extra], self.hyperparameters or {}))


def _set(settings: ForecastSettings, name: str, value: Any) -> None:
    """Normalise one field of the frozen settings while they are being made."""
    object.__setattr__(settings, name, value)


def _check_horizon(horizon: Any) -> None:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
        raise ForecastError("The horizon must be a whole number of steps.")
    if horizon < 1 or horizon > MAX_HORIZON:
        raise ForecastError(f"The horizon must be between 1 and {MAX_HORIZON} steps.")


def _whole(value: Any, what: str, minimum: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ForecastError(f"{what} must be a whole number.")
    if minimum is not None and value < minimum:
        raise ForecastError(f"{what} must be at least {minimum}.")
    return int(value)


def _parsed_preprocessing(config: Any) -> PreprocessingConfig:
    try:
        return PreprocessingConfig.parse(config)
    except PreprocessingError as exc:
        detail = "; ".join(f"{k} {v}" for k, v in exc.errors.items())
        raise ForecastError(f"The preprocessing config is invalid: {detail}.") from exc


def _checked_levels(levels: Any) -> tuple[int, ...]:
    try:
        out = tuple(int(v) for v in levels)
    except (TypeError, ValueError) as exc:
        raise ForecastError("Interval levels must be whole percentages.") from exc
    if not out or any(v <= 0 or v >= 100 for v in out):
        raise ForecastError("Interval levels must be percentages between 0 and 100.")
    return out


def resolve_algorithms(algorithms: str | tuple[str, ...] | list[str] | None) -> list[str]:
    """The algorithm names to run: "auto" (or None) is the catalogue's automatic set; unknown
    names and an empty choice are refused."""
    if algorithms == "auto" or algorithms is None:
        return [n for n in AUTO_ALGORITHMS if n in SPECS and SPECS[n].in_auto]
    if isinstance(algorithms, str):
        algorithms = [algorithms]
    unknown = [n for n in algorithms if n not in SPECS]
    if unknown:
        raise ForecastError(f"Unknown forecasting algorithm(s): {', '.join(map(str, unknown))}.")
    if not algorithms:
        raise ForecastError("No forecasting algorithm was chosen.")
    return list(dict.fromkeys(algorithms))


def resolve_params(
    names: list[str], given: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Each named algorithm's (and the ensemble's) hyperparameters, checked against its schema
    and completed with its defaults."""
    out = {}
    for name in set(names) | {"ensemble"}:
        spec = SPECS[name]
        values: Any = given.get(name) or {}
        if isinstance(values, Mapping):
            values = dict(values)
        errors = spec.validate(values)
        if errors:
            detail = "; ".join(f"{k} {v}" for k, v in errors.items())
            raise ForecastError(f"Invalid hyperparameters for {name}: {detail}.")
        out[name] = spec.resolve(values)
    return out
