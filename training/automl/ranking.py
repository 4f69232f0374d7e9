"""How candidates are ordered: the rank key, ties within the noise of the folds, and candidates
scored on every fold before those the budget cut short. Django-free.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["PREFERENCE", "SCORE_TOL", "SPREAD_TOL", "full_first", "leaderboard", "rank_key"]

# Scores closer than this count as a tie (AUC: absolute; RMSE: relative); fold spreads likewise.
SCORE_TOL = 1e-4
SPREAD_TOL = 1e-3
# Among tied candidates, the earlier algorithm wins: simpler and more stable models first.
PREFERENCE = (
    "linear",
    "ensemble",
    "hist_gradient_boosting",
    "random_forest",
    "extra_trees",
    "gradient_boosting",
    "svm",
    "knn",
    "sgd",
    "mlp",
    "decision_tree",
)

RankKey = tuple[float, int, int, float]
T = TypeVar("T")


def rank_key(
    algorithm: str, value: float | None, raw_key: tuple[float, float], spread: float, cls: bool
) -> RankKey:
    """The sort key of a candidate, greater is better: (score, -spread, -preference, secondary).

    The score is the AUC, or -log(RMSE) so that a fixed step is a relative RMSE difference.
    The spread (standard deviation of the per-fold scores, relative to the RMSE for regression)
    is snapped to `SPREAD_TOL`; the preference is the position in `PREFERENCE`; the secondary
    figure is -log loss / -MAE. `leaderboard` decides ties on the score with these.
    """
    pref = PREFERENCE.index(algorithm) if algorithm in PREFERENCE else len(PREFERENCE)
    if value is None or not math.isfinite(value):
        return (-math.inf, -(10**9), -pref, raw_key[1])
    if cls:
        score, unit = float(value), SPREAD_TOL
    else:
        score = -math.log(max(value, 1e-300))
        unit = SPREAD_TOL * max(value, 1e-300)
    spread_q = round(spread / unit) if math.isfinite(spread) else 10**9
    return (score, -spread_q, -pref, raw_key[1])


def full_first(
    items: list[T], key_of: Callable[[T], tuple[Any, ...]], full_of: Callable[[T], bool]
) -> list[T]:
    """`leaderboard` of the candidates scored on every fold, then of those the budget cut short.

    A score from fewer folds is measured on fewer rows and is noisier, so it does not outrank a
    fully cross-validated one; it still gets a place, after them.
    """
    return leaderboard([i for i in items if full_of(i)], key_of) + leaderboard(
        [i for i in items if not full_of(i)], key_of
    )


def leaderboard(items: list[T], key_of: Callable[[T], tuple[Any, ...]]) -> list[T]:
    """`items` best first, treating scores within `SCORE_TOL` of the best remaining as a tie.

    Out-of-fold scores that differ by less than the tolerance are within the noise of the folds.
    So each place goes to the candidate, among those scoring within `SCORE_TOL` of the best one
    left, whose per-fold scores spread least, then whose algorithm comes first in `PREFERENCE`
    (simpler and more stable models), then with the better secondary figure. Deterministic, and
    a place never goes to a candidate more than the tolerance below the best one left.
    """
    left = list(items)
    out = []
    while left:
        top = max(key_of(i)[0] for i in left)
        tied = [i for i in left if key_of(i)[0] >= top - SCORE_TOL]
        pick = max(tied, key=lambda i: (key_of(i)[1:], key_of(i)[0]))
        out.append(pick)
        left.remove(pick)
    return out
