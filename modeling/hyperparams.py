"""Hyperparameter schemas: the typed description of each algorithm's knobs, and their validation.

Django-free, so the catalogue, the REST layer and the search code share one definition.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PARAM_TYPES = ("int", "float", "bool", "categorical")


@dataclass(frozen=True)
class HyperParam:
    """One tunable parameter: type, default, bounds or choices, and log-scale search or not."""

    name: str
    type: str
    default: Any
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    log: bool = False
    description: str = ""
    # The one problem type the parameter means something for (None: every type it solves).
    only_for: str | None = None
    # What 0 stands for when it is not a number of anything ("no limit" for a depth); logs say
    # it next to the 0. Not in the API answer (its description says it).
    zero_means: str = ""

    def meaning(self, value: Any) -> str:
        """What `value` stands for in words when it is not taken literally ("no limit" for a
        max_depth of 0, or of None as a resolved depth), else ""."""
        if not self.zero_means or isinstance(value, bool):
            return ""
        return self.zero_means if value is None or value == 0 else ""

    def applies_to(self, problem_type: str | None) -> bool:
        """Whether the parameter means something for `problem_type` (None: any)."""
        return problem_type is None or self.only_for is None or self.only_for == problem_type

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape the API answers (`models/algorithms`)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "default": self.default}
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.choices is not None:
            out["choices"] = list(self.choices)
        out["log"] = self.log
        if self.description:
            out["description"] = self.description
        if self.only_for:
            out["only_for"] = self.only_for
        return out

    def check(self, value: Any) -> str | None:
        """Return an error message for `value`, or None when it is acceptable."""
        if self.type == "bool":
            return None if isinstance(value, bool) else "must be true or false"
        if self.type == "categorical":
            if value in (self.choices or ()):
                return None
            return f"must be one of {list(self.choices or ())}"
        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    return "must be an integer"
        elif self.type == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return "must be a number"
            if not math.isfinite(float(value)):
                return "must be a finite number"
        if self.min is not None and value < self.min:
            return f"must be at least {self.min}"
        if self.max is not None and value > self.max:
            return f"must be at most {self.max}"
        return None


@dataclass(frozen=True)
class AlgorithmSpec:
    """A catalogue entry: what the algorithm is, what it solves, its knobs and how to build it."""

    name: str
    display_name: str
    problem_types: tuple[str, ...]
    description: str
    hyperparameters: tuple[HyperParam, ...] = ()
    supports_epochs: bool = False
    # Builds an unfitted estimator/forecaster from validated hyperparameters and a context dict
    # (problem_type, random_state, ...). Not part of the API answer.
    factory: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    # Included when the user asks for "auto".
    in_auto: bool = True
    # Splits on integer-coded categories itself (the factory reads the coded columns' names
    # from the context's "categorical_features"): the preprocessing codes categories for it.
    native_categories: bool = False
    # What a trained model of this algorithm is called for one problem type, where the
    # catalogue's name covers both ({"regression": "Ridge regression"}). Not in the API answer.
    problem_names: dict[str, str] = field(default_factory=dict, compare=False)
    # What it is for one problem type, where the catalogue's description covers both (the
    # description of "Logistic regression" on a classification page). Not in the API answer.
    problem_descriptions: dict[str, str] = field(default_factory=dict, compare=False)

    def name_for(self, problem_type: str | None) -> str:
        """The name of this algorithm for `problem_type` ("Ridge regression" for a regression
        model of "linear"); the catalogue's name when it has no name of its own for it."""
        return self.problem_names.get(problem_type or "", self.display_name)

    def description_for(self, problem_type: str | None) -> str:
        """What this algorithm is for `problem_type` (logistic regression's sentence on a
        classification pipeline); the catalogue's description when it has none of its own."""
        return self.problem_descriptions.get(problem_type or "", self.description)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape the API answers (`models/algorithms`)."""
        return {
            "name": self.name,
            "display_name": self.display_name,
            "problem_types": list(self.problem_types),
            "description": self.description,
            "supports_epochs": self.supports_epochs,
            "hyperparameters": [p.as_dict() for p in self.hyperparameters],
        }

    def params_for(self, problem_type: str | None) -> tuple[HyperParam, ...]:
        """The hyperparameters that mean something for `problem_type` (None: all)."""
        return tuple(p for p in self.hyperparameters if p.applies_to(problem_type))

    def defaults(self, problem_type: str | None = None) -> dict[str, Any]:
        """Every hyperparameter that applies to `problem_type` (None: all) at its default."""
        return {p.name: p.default for p in self.params_for(problem_type)}

    def validate(self, values: dict[str, Any]) -> dict[str, str]:
        """Per-parameter error messages for `values`; empty when all are valid."""
        known = {p.name: p for p in self.hyperparameters}
        errors: dict[str, str] = {}
        if not isinstance(values, dict):
            return {"hyperparameters": "must be an object of name: value"}
        for key, value in values.items():
            param = known.get(key)
            if param is None:
                errors[key] = f"unknown parameter for {self.name}"
                continue
            msg = param.check(value)
            if msg:
                errors[key] = msg
        return errors

    def resolve(
        self, values: dict[str, Any] | None, problem_type: str | None = None
    ) -> dict[str, Any]:
        """Defaults overlaid with `values` (which must already be valid), ints coerced; with a
        `problem_type`, only the parameters that mean something for it."""
        out = self.defaults(problem_type)
        for key, value in (values or {}).items():
            param = next(p for p in self.hyperparameters if p.name == key)
            if param.applies_to(problem_type):
                out[key] = int(value) if param.type == "int" else value
        return out
