"""The feature stage's config, typed: `FeatureConfig.parse(data)` validates a pipeline's
`feature_config` dict once, where it enters (the training engines, the feature step builder),
and code past that boundary reads typed attributes instead of `.get()` with defaults.

The dict is written by `features/generate` (lags, rolling_windows, calendar, fourier_terms,
seasons, interactions, features) and `features/select` (selection, selected); `drop_constant`
and `variance_threshold` tune the tabular feature step. Django-free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LAG_MIN", "WINDOW_MIN", "FeatureConfig", "FeatureConfigError"]

# The shortest lag and rolling window (a window of one value has no spread): the one rule that
# the generate request, the wizard and the training engines check a feature config against.
LAG_MIN = 1
WINDOW_MIN = 2


class FeatureConfigError(ValueError):
    """A feature config that cannot be used; `errors` names each bad key."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def _ints(value: Any, low: int) -> tuple[int, ...] | str:
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return "must be a list of whole numbers"
    if any(v < low for v in value):
        return f"every value must be at least {low}"
    return tuple(sorted(set(value)))


def _pairs(value: Any) -> tuple[tuple[str, str], ...] | str:
    if value is False:  # the generate request's flag saved as is: no interactions
        return ()
    if not isinstance(value, list | tuple):
        return "must be a list of [column, column] pairs"
    out = []
    for pair in value:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return "must be a list of [column, column] pairs"
        out.append((str(pair[0]), str(pair[1])))
    return tuple(out)


def _names(value: Any) -> tuple[str, ...] | str:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return "must be a list of column names"
    return tuple(value)


def _flag(value: Any) -> bool | str:
    return value if isinstance(value, bool) else "must be true or false"


def _count(value: Any) -> int | str:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return "must be a whole number, 0 or more"
    return value


def _threshold(value: Any) -> float | str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "must be a number"
    return float(value) if value >= 0 else "must not be negative"


_READERS = {
    "lags": lambda v: _ints(v, LAG_MIN),
    "rolling_windows": lambda v: _ints(v, WINDOW_MIN),
    "seasons": lambda v: _ints(v, 1),
    "calendar": _flag,
    "fourier_terms": _count,
    "interactions": _pairs,
    "selected": _names,
    "drop_constant": _flag,
    "variance_threshold": _threshold,
}
# Kept as given: descriptions for the pages, and the selection request that chose `selected`.
_KEPT = ("features", "selection")


@dataclass(frozen=True)
class FeatureConfig:
    """A validated feature config; build it with `parse`."""

    lags: tuple[int, ...] = ()
    rolling_windows: tuple[int, ...] = ()
    seasons: tuple[int, ...] = ()
    calendar: bool = True
    fourier_terms: int | None = None
    interactions: tuple[tuple[str, str], ...] = ()
    selected: tuple[str, ...] = ()
    drop_constant: bool = True
    variance_threshold: float = 0.0
    features: Any = field(default=None, compare=False)
    selection: Any = field(default=None, compare=False)

    @classmethod
    def parse(cls, data: Mapping[str, Any] | FeatureConfig | None) -> FeatureConfig:
        """The typed config of `data` (a dict as saved on a pipeline; None is the defaults).

        Raises FeatureConfigError naming each bad key.
        """
        if isinstance(data, FeatureConfig):
            return data
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise FeatureConfigError("The feature config must be an object.")
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for key, value in data.items():
            if key in _KEPT:
                values[key] = value
            elif key not in _READERS:
                known = ", ".join([*_READERS, *_KEPT])
                errors[str(key)] = f"unknown option; known: {known}"
            elif value is not None:
                read = _READERS[key](value)
                if isinstance(read, str):
                    errors[key] = read
                else:
                    values[key] = read
        if errors:
            raise FeatureConfigError("The feature config is invalid.", errors)
        return cls(**values)

    def series_params(self) -> dict[str, Any]:
        """The lag regressors' overrides: `lags`, `windows`, `fourier_terms` when set."""
        out: dict[str, Any] = {}
        if self.lags:
            out["lags"] = list(self.lags)
        if self.rolling_windows:
            out["windows"] = list(self.rolling_windows)
        if self.fourier_terms is not None:
            out["fourier_terms"] = self.fourier_terms
        return out
