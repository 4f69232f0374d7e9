"""The serving form of a fitted model: a blend whose members share one fitted preprocessing runs
it once per request instead of once per member. Django-free.

`compile_for_serving` groups a blend's members by the content hash of their fitted
`preprocess` + `features` steps (identical fitted state gives identical output by construction),
and, when rows are given, checks the compiled answers against the original model's on them
(identical labels, probabilities within `PROBA_TOLERANCE`); any difference falls back to the
original object. `path` names what serves: "sklearn" or "sklearn_shared_preprocess".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

PROBA_TOLERANCE = 1e-5
SKLEARN = "sklearn"
SHARED = "sklearn_shared_preprocess"


@dataclass
class _Group:
    """Members sharing one fitted preprocessing prefix: (final estimator, weight) pairs."""

    prefix: Any
    members: list[tuple[Any, float]] = field(default_factory=list)


class SharedPreprocessBlend:
    """A weighted blend (predict_proba / predict like the original) that transforms the rows once
    per distinct fitted preprocessing, then asks each member's final estimator."""

    def __init__(self, groups: list[_Group], weights_classes: Any, problem_type: str):
        self.groups = groups
        self.classes_ = weights_classes
        self.problem_type = problem_type

    def _transformed(self, X: Any):
        for group in self.groups:
            yield group, group.prefix.transform(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Weighted mean of the members' probabilities, columns in `classes_` order."""
        total = np.zeros((len(X), len(self.classes_)))
        order = {c: i for i, c in enumerate(self.classes_.tolist())}
        for group, Xt in self._transformed(X):
            for est, weight in group.members:
                cols = [order[c] for c in np.asarray(est.classes_).tolist()]
                total[:, cols] += weight * np.asarray(est.predict_proba(Xt))
        return total

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class, or the weighted mean prediction."""
        if self.problem_type == "classification":
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        total = np.zeros(len(X))
        for group, Xt in self._transformed(X):
            for est, weight in group.members:
                total += weight * np.asarray(est.predict(Xt), dtype=float)
        return total


@dataclass
class ServingModel:
    """What answers requests (`model`), the original fitted object and the path's name."""

    model: Any
    original: Any
    path: str
    detail: str = ""

    @property
    def classes_(self) -> Any:
        """The original model's classes (labels in the type it was trained on)."""
        return self.original.classes_


def _blend_of(fitted: Any) -> Any | None:
    """The blend inside `fitted` (a Pipeline of passthrough steps ending in a blend), or None."""
    steps = getattr(fitted, "steps", None)
    if not steps or any(step not in ("passthrough", None) for _, step in steps[:-1]):
        return None
    final = steps[-1][1]
    members = getattr(final, "estimators_", None)
    if not members or not hasattr(final, "weights_") or not hasattr(final, "problem_type"):
        return None
    if not all(hasattr(m, "steps") and len(m.steps) >= 2 for m in members):
        return None
    return final


def _shared_blend(blend: Any) -> SharedPreprocessBlend | None:
    """Members grouped by their fitted prefix's content hash; None when no two share one."""
    groups: dict[str, _Group] = {}
    for member, weight in zip(blend.estimators_, blend.weights_, strict=True):
        prefix = member[:-1]
        key = joblib.hash(prefix)
        groups.setdefault(key, _Group(prefix=prefix)).members.append(
            (member.steps[-1][1], float(weight))
        )
    if len(groups) == len(blend.estimators_):
        return None
    classes = np.asarray(blend.classes_) if blend.problem_type == "classification" else None
    return SharedPreprocessBlend(list(groups.values()), classes, blend.problem_type)


def answers_match(original: Any, compiled: Any, rows: pd.DataFrame, classification: bool) -> str:
    """ "" when `compiled` answers `rows` like `original` (identical labels, probabilities within
    PROBA_TOLERANCE; regression values within the same tolerance relative), else why not."""
    if classification and hasattr(original, "predict_proba"):
        want = np.asarray(original.predict_proba(rows), dtype=float)
        got = np.asarray(compiled.predict_proba(rows), dtype=float)
        if want.shape != got.shape or not np.allclose(got, want, rtol=0, atol=PROBA_TOLERANCE):
            return "probabilities differ"
        want_labels = np.asarray(original.predict(rows))
        if not np.array_equal(np.asarray(compiled.predict(rows)), want_labels):
            return "labels differ"
        return ""
    want = np.asarray(original.predict(rows), dtype=float)
    got = np.asarray(compiled.predict(rows), dtype=float)
    if want.shape != got.shape or not np.allclose(got, want, rtol=PROBA_TOLERANCE, atol=1e-9):
        return "predictions differ"
    return ""


def compile_for_serving(fitted: Any, check_rows: pd.DataFrame | None = None) -> ServingModel:
    """The fastest faithful serving form of `fitted`; `check_rows` (typed like training rows)
    verify it against the original, falling back to the original on any difference or error."""
    blend = _blend_of(fitted)
    if blend is None:
        return ServingModel(model=fitted, original=fitted, path=SKLEARN)
    try:
        shared = _shared_blend(blend)
    except Exception:
        logger.exception("serving: the blend's shared preprocessing could not be built")
        shared = None
    if shared is None:
        return ServingModel(model=fitted, original=fitted, path=SKLEARN,
                            detail="no two members share a fitted preprocessing")  # fmt: skip
    if check_rows is not None and len(check_rows):
        try:
            why = answers_match(fitted, shared, check_rows, blend.problem_type == "classification")
        except Exception as exc:
            logger.exception("serving: the compiled blend failed on the check rows")
            why = f"failed: {type(exc).__name__}"
        if why:
            return ServingModel(model=fitted, original=fitted, path=SKLEARN,
                                detail=f"shared preprocessing refused: {why}")  # fmt: skip
    groups = len(shared.groups)
    return ServingModel(
        model=shared,
        original=fitted,
        path=SHARED,
        detail=f"{len(blend.estimators_)} members, {groups} preprocessing pass(es)",
    )


def serving_card(served: ServingModel, checked_rows: int) -> dict[str, Any]:
    """The model card's `serving` entry: which path serves and on how many rows it was checked."""
    return {"path": served.path, "detail": served.detail, "checked_rows": int(checked_rows)}
