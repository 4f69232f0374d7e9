"""Drift math: compare current values of a column with its training reference profile.

Numeric columns: Kolmogorov-Smirnov (two-sample, the reference's quantile sketch standing in for
its rows, the p-value from the true reference size) and PSI on the reference's decile bins.
Categorical columns: chi-squared on the 2 x k table of reference and current level counts, and
PSI on level shares. A column drifts when its test rejects at `alpha` AND its PSI reaches
`min_psi`, so under no change the false-alarm rate per column stays at or below `alpha`, and a
huge sample does not flag a shift too small to matter. No Django here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from training.reference import OTHER, bin_index, level_key

PSI_EPS = 1e-4
MIN_EXPECTED = 5.0
# A column's drift status: judged, too few current values to judge, or nothing to compare.
TESTED, INSUFFICIENT, NO_VALUES = "tested", "insufficient_data", "no_values"


@dataclass(frozen=True)
class DriftSettings:
    """Significance level per column, the smallest PSI that counts, the fewest values to test."""

    alpha: float = 0.05
    min_psi: float = 0.05
    min_samples: int = 30


def psi(reference_counts: Any, current_counts: Any) -> float:
    """Population stability index of two count vectors over the same bins (shares smoothed)."""
    r = np.asarray(reference_counts, dtype="float64")
    c = np.asarray(current_counts, dtype="float64")
    if r.sum() <= 0 or c.sum() <= 0:
        return 0.0
    rp = np.clip(r / r.sum(), PSI_EPS, None)
    cp = np.clip(c / c.sum(), PSI_EPS, None)
    return float(np.sum((cp - rp) * np.log(cp / rp)))


def ks_against_sketch(sketch: Any, n_reference: int, current: np.ndarray) -> tuple[float, float]:
    """KS statistic between the reference (its quantile sketch) and `current`, with the p-value
    of a two-sample test of sizes `n_reference` and len(current) (scipy's asymptotic form)."""
    ref = np.sort(np.asarray(sketch, dtype="float64"))
    cur = np.sort(current)
    points = np.concatenate([ref, cur])
    f_ref = np.searchsorted(ref, points, side="right") / len(ref)
    f_cur = np.searchsorted(cur, points, side="right") / len(cur)
    d = float(np.max(np.abs(f_ref - f_cur)))
    n_ref = max(int(n_reference), len(ref))
    en = n_ref * len(cur) / (n_ref + len(cur))
    p = float(stats.kstwo.sf(d, max(int(round(en)), 1)))
    return d, min(max(p, 0.0), 1.0)


def chi2_levels(reference_levels: dict[str, int], current: dict[str, int]) -> tuple[float, float]:
    """Chi-squared test of homogeneity between reference and current level counts.

    Levels unseen in the reference count as `__other__`; levels too rare for the test (expected
    count under 5 in either row) are pooled together.
    """
    levels = list(reference_levels)
    ref = np.array([reference_levels[k] for k in levels], dtype="float64")
    cur = np.zeros(len(levels))
    index = {k: i for i, k in enumerate(levels)}
    extra = 0.0
    for key, count in current.items():
        if key in index:
            cur[index[key]] += count
        else:
            extra += count
    if extra:
        if OTHER in index:
            cur[index[OTHER]] += extra
        else:
            ref = np.append(ref, 0.0)
            cur = np.append(cur, extra)
    table = np.vstack([ref, cur])
    total = table.sum()
    if total <= 0 or cur.sum() <= 0 or ref.sum() <= 0:
        return 0.0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / total
    rare = (expected < MIN_EXPECTED).any(axis=0)
    if rare.any():
        pooled = table[:, rare].sum(axis=1, keepdims=True)
        table = np.hstack([table[:, ~rare], pooled]) if (~rare).any() else pooled
        table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0
    res = stats.chi2_contingency(table, correction=False)
    return float(res.statistic), float(res.pvalue)


def _numeric(values: Any) -> np.ndarray:
    x: np.ndarray = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(
        "float64"
    )
    return x[np.isfinite(x)]


def _level_counts(values: Any) -> dict[str, int]:
    s = pd.Series(values, dtype="object").dropna()
    return {str(k): int(v) for k, v in s.map(level_key).value_counts().items()}


def column_drift(
    name: str, profile: dict[str, Any], values: Any, settings: DriftSettings
) -> dict[str, Any]:
    """Drift of one column: `{feature, method, statistic, p_value, psi, drift, n, status}`.

    `status` is "tested", "no_values" (nothing to compare) or "insufficient_data": fewer than
    `min_samples` current values, so the test is not judged (its figures are still given, with
    a `note` saying how many values were missing) and the column never drifts.
    """
    if profile["kind"] == "numeric":
        current = _numeric(values)
        n = int(len(current))
        out: dict[str, Any] = {"feature": name, "method": "ks", "n": n}
        if n == 0 or not profile.get("sketch"):
            return _untested(out)
        d, p = ks_against_sketch(profile["sketch"], profile["n"], current)
        counts = np.bincount(bin_index(current, profile["edges"]), minlength=len(profile["counts"]))
        value = psi(profile["counts"], counts)
    else:
        current_levels = _level_counts(values)
        n = int(sum(current_levels.values()))
        out = {"feature": name, "method": "chi2", "n": n}
        if n == 0 or not profile.get("levels"):
            return _untested(out)
        d, p = chi2_levels(profile["levels"], current_levels)
        keys = list(profile["levels"])
        ref_counts = [profile["levels"][k] for k in keys]
        cur_counts = [current_levels.get(k, 0) for k in keys]
        unseen = sum(v for k, v in current_levels.items() if k not in profile["levels"])
        if OTHER in profile["levels"]:
            cur_counts[keys.index(OTHER)] += unseen
        elif unseen:
            ref_counts.append(0)
            cur_counts.append(unseen)
        value = psi(ref_counts, cur_counts)
    enough = n >= settings.min_samples
    drift = bool(enough and p < settings.alpha and value >= settings.min_psi)
    answer = {
        **out,
        "statistic": _round(d),
        "p_value": _round(p),
        "psi": _round(value),
        "drift": drift,
        "status": TESTED if enough else INSUFFICIENT,
    }
    if not enough:
        answer["note"] = (
            f"not enough recent values: {n} of {settings.min_samples} needed; not tested"
        )
    return answer


def _untested(out: dict[str, Any]) -> dict[str, Any]:
    """A column with no current values (or no reference to compare them with)."""
    return {
        **out,
        "statistic": None,
        "p_value": None,
        "psi": None,
        "drift": False,
        "status": NO_VALUES,
        "note": "no recent values to compare",
    }


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.6g}")


def frame_drift(
    reference_columns: dict[str, Any],
    current: pd.DataFrame,
    settings: DriftSettings | None = None,
) -> dict[str, Any]:
    """Drift of every reference column present in `current`, plus an overall verdict and score.

    `overall_score` is the share of tested columns that drifted (0 none, 1 all); `mean_psi`
    averages their PSI. A column with too few current values is listed but not tested, so it
    counts in neither (`features_compared` counts the tested ones).
    """
    settings = settings or DriftSettings()
    features = [
        column_drift(name, profile, current[name], settings)
        for name, profile in reference_columns.items()
        if name in current.columns
    ]
    tested = [f for f in features if f["status"] == TESTED]
    drifted = [f for f in tested if f["drift"]]
    psis = [f["psi"] for f in tested if f["psi"] is not None]
    return {
        "drift_detected": bool(drifted),
        "overall_score": round(len(drifted) / len(tested), 4) if tested else 0.0,
        "mean_psi": round(float(np.mean(psis)), 6) if psis else None,
        "drifted_features": [f["feature"] for f in drifted],
        "features_compared": len(tested),
        "features": features,
    }
