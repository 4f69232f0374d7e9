"""The typed settings of one tabular AutoML run, validated once, and the run's error types.

Django-free.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from features.config import FeatureConfig, FeatureConfigError
from modeling import catalog
from modeling.metrics import primary_metric
from preprocessing.analysis import PreprocessingError
from preprocessing.config import PreprocessingConfig

__all__ = ["PROBLEM_TYPES", "SEARCH_METHODS", "AutoMLError", "AutoMLSettings", "Cancelled"]

PROBLEM_TYPES = ("classification", "regression")
SEARCH_METHODS = ("random", "grid", "bayesian")


class AutoMLError(ValueError):
    """The input cannot be trained on (bad target, columns, row count, settings...)."""


class Cancelled(Exception):  # noqa: N818 - the name is part of the shared API
    """The caller asked the run to stop."""


@dataclass(frozen=True)
class AutoMLSettings:
    """What to train and how: the target, the algorithms, the validation scheme and the budget.

    Validated when built (`__post_init__` raises AutoMLError naming the bad setting); the
    engine reads these fields and the derived properties, never a dict of options.
    `search` is `{"method": "random" | "grid" | "bayesian", "n_iter": int, "time_budget_s":
    float}` (each optional); an empty or absent search leaves the user's own hyperparameters
    untuned.
    """

    target: str
    problem_type: str
    feature_columns: list[str] | None = None
    schema: list[dict[str, Any]] | None = None
    algorithms: str | list[str] = "auto"
    hyperparameters: dict[str, dict[str, Any]] | None = None
    search: dict[str, Any] | None = None
    time_budget_s: float = 60.0
    validation_split: float = 0.2
    cross_validation: bool = False
    cv_folds: int = 5
    early_stopping: bool = True
    max_epochs: int = 100
    preprocessing_config: PreprocessingConfig | dict[str, Any] | None = None
    random_state: int = 0
    feature_config: FeatureConfig | dict[str, Any] | None = None
    # The dataset's profile of the target column: the job log names a regression target's
    # values that are not numbers (`non_numeric_count`, `non_numeric_example`) apart from the
    # empty ones.
    target_info: Mapping[str, Any] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.target, str) or not self.target:
            raise AutoMLError("The target column must be named.")
        if self.problem_type not in PROBLEM_TYPES:
            raise AutoMLError(
                f"Problem type '{self.problem_type}' is not classification or regression."
            )
        _check_number("validation_split", self.validation_split, 0.05, 0.5)
        _check_number("time_budget_s", self.time_budget_s)  # below 0.1 s counts as 0.1 s
        _check_int("cv_folds", self.cv_folds, 2)
        _check_int("max_epochs", self.max_epochs, 1)
        _check_int("random_state", self.random_state, 0)
        self._check_search()
        _ = self.algorithm_names  # resolves the algorithms and checks their hyperparameters
        _ = self.preprocessing  # parses the preprocessing config
        _ = self.features  # and the feature config

    def _check_search(self) -> None:
        if self.search is None:
            return
        if not isinstance(self.search, dict):
            raise AutoMLError("search must be a dict (method, n_iter, time_budget_s).")
        if self.search.get("method") and self.search["method"] not in SEARCH_METHODS:
            known = ", ".join(SEARCH_METHODS)
            raise AutoMLError(f"Search method '{self.search['method']}' is not one of {known}.")
        if self.search.get("n_iter") is not None:
            _check_int("search n_iter", self.search["n_iter"], 0)
        if self.search.get("time_budget_s"):
            _check_number("search time_budget_s", self.search["time_budget_s"], 0.0, math.inf)

    @cached_property
    def preprocessing(self) -> PreprocessingConfig:
        """The typed preprocessing config (parsed once; aliases resolved there)."""
        try:
            return PreprocessingConfig.parse(self.preprocessing_config)
        except PreprocessingError as exc:
            raise AutoMLError(f"Invalid preprocessing_config: {exc.errors}.") from None

    @cached_property
    def features(self) -> FeatureConfig:
        """The typed feature config (parsed once)."""
        try:
            return FeatureConfig.parse(self.feature_config)
        except FeatureConfigError as exc:
            raise AutoMLError(f"Invalid feature_config: {exc.errors}.") from None

    @property
    def metric(self) -> tuple[str, bool]:
        """The primary metric's name and whether greater is better."""
        return primary_metric(self.problem_type)

    @property
    def is_classification(self) -> bool:
        """Whether the target is a class label."""
        return self.problem_type == "classification"

    @property
    def budget_s(self) -> float:
        """The time budget in seconds (at least 0.1)."""
        return max(float(self.time_budget_s), 0.1)

    @property
    def search_method(self) -> str:
        """How the search proposes configurations (random unless asked)."""
        return (self.search or {}).get("method") or "random"

    @property
    def search_n_iter(self) -> int | None:
        """The most configurations the search tries (None: until the time runs out)."""
        n_iter = (self.search or {}).get("n_iter")
        return None if n_iter is None else int(n_iter)

    @property
    def search_time_s(self) -> float | None:
        """The search's own time limit, if any."""
        seconds = (self.search or {}).get("time_budget_s")
        return float(seconds) if seconds else None

    @property
    def tunes_user_params(self) -> bool:
        """Whether the search also tunes algorithms the user gave hyperparameters for."""
        return bool(self.search)

    @cached_property
    def _resolved(self) -> tuple[list[str], dict[str, dict[str, Any]]]:
        return _resolve_algorithms(self.algorithms, self.problem_type, self.hyperparameters)

    @property
    def algorithm_names(self) -> list[str]:
        """The chosen algorithms, in order, without repeats ("auto" resolved)."""
        return self._resolved[0]

    @property
    def user_params(self) -> dict[str, dict[str, Any]]:
        """The hyperparameters the user set, per algorithm (validated)."""
        return self._resolved[1]


def _check_number(name: str, value: Any, low: float = -math.inf, high: float = math.inf) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise AutoMLError(f"{name} must be a number; got {value!r}.")
    if not low <= float(value) <= high:
        raise AutoMLError(f"{name} must be between {low} and {high}.")


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise AutoMLError(f"{name} must be a whole number; got {value!r}.")
    if value < low:
        raise AutoMLError(f"{name} must be at least {low}; got {value}.")


def _resolve_algorithms(
    algorithms: str | list[str],
    problem_type: str,
    hyperparameters: dict[str, dict[str, Any]] | None,
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    names = catalog.auto_algorithms(problem_type) if algorithms == "auto" else list(algorithms)
    if not names:
        raise AutoMLError("No algorithm was chosen.")
    user: dict[str, dict[str, Any]] = {}
    for name in names:
        try:
            spec = catalog.get_algorithm(name)
        except KeyError:
            raise AutoMLError(f"Unknown algorithm '{name}'.") from None
        if problem_type not in spec.problem_types or spec.factory is None:
            raise AutoMLError(f"Algorithm '{name}' does not solve {problem_type}.")
        given = (hyperparameters or {}).get(name)
        if given:
            errors = spec.validate(given)
            if errors:
                param, msg = next(iter(errors.items()))
                raise AutoMLError(f"Hyperparameter '{param}' of {name} {msg}.")
            user[name] = dict(given)
    return list(dict.fromkeys(names)), user
