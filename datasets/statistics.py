"""Per-column statistics (numeric summaries, category counts, date ranges with frequency and
gaps), computed over a stream of chunks so a big file is never held whole. Django-free.

Counts, mean, std, min and max are exact; quantiles come from a uniform random sample of
`quantile_sample` values per column (exact when the column has no more values than that);
category counts stop growing past `category_limit` distinct values (then top_values are
approximate and "approximate" is set); date frequencies and gaps are computed while fewer than
a million distinct timestamps have been seen.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from datasets.coercion import coerce_types
from datasets.jsonsafe import json_safe
from datasets.timeseries import series_facts
from datasets.validation import complete_info

__all__ = ["column_statistics", "statistics_chunks"]

_MAX_STAMPS = 1_000_000


def column_statistics(df: pd.DataFrame, columns_info: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-column statistics of one frame keyed by column name (`statistics_chunks` over it);
    columns the list does not describe are profiled first. JSON-safe."""
    return statistics_chunks([df], complete_info(df, columns_info))


def statistics_chunks(
    chunks: Iterable[pd.DataFrame],
    columns_info: list[dict[str, Any]],
    *,
    quantile_sample: int = 50_000,
    category_limit: int = 100_000,
    seed: int = 0,
) -> dict[str, Any]:
    """Per-column statistics over a stream of raw frames (each is coerced to its profiled types
    here), keyed by column name; JSON-safe (None instead of NaN/inf)."""
    rng = np.random.default_rng(seed)
    state: dict[str, dict[str, Any]] = {}
    for chunk in chunks:
        typed = coerce_types(chunk, columns_info)
        for col in columns_info:
            name, semantic = col["name"], col["semantic_type"]
            if name not in typed.columns:
                continue
            values = typed[name]
            st = state.setdefault(name, {"nulls": 0})
            st["nulls"] += int(values.isna().sum())
            if semantic == "numeric":
                _update_numeric(st, values.astype("float64").to_numpy(), rng, quantile_sample)
            elif semantic == "datetime":
                _update_datetime(st, values.dropna())
            elif semantic == "boolean":
                present = values.notna()
                _update_categories(st, values[present], semantic, category_limit)
                _update_spellings(st, chunk.loc[present.to_numpy(), name])
            else:
                _update_categories(st, values.dropna(), semantic, category_limit)
    result: dict[str, Any] = {}
    for col in columns_info:
        name, semantic = col["name"], col["semantic_type"]
        st = state.get(name, {"nulls": 0})
        stats: dict[str, Any] = {"semantic_type": semantic, "null_count": st["nulls"]}
        if semantic == "numeric":
            stats.update(_finish_numeric(st))
        elif semantic == "datetime":
            stats.update(_finish_datetime(st))
        else:
            stats.update(_finish_categories(st, semantic))
        result[name] = stats
    return result


def _update_numeric(st: dict[str, Any], values: np.ndarray, rng: Any, keep: int) -> None:
    """Fold one chunk into running count/mean/M2 (Chan et al.), min/max and a bottom-k sample."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return
    n_b, mean_b = len(finite), float(finite.mean())
    m2_b = float(((finite - mean_b) ** 2).sum())
    n_a, mean_a, m2_a = st.get("n", 0), st.get("mean", 0.0), st.get("m2", 0.0)
    n = n_a + n_b
    delta = mean_b - mean_a
    st["n"], st["mean"] = n, mean_a + delta * n_b / n
    st["m2"] = m2_a + m2_b + delta**2 * n_a * n_b / n
    st["min"] = min(st.get("min", math.inf), float(finite.min()))
    st["max"] = max(st.get("max", -math.inf), float(finite.max()))
    # Bottom-k by random key keeps a uniform sample without holding the column.
    keys = np.concatenate([st.get("keys", np.empty(0)), rng.random(n_b)])
    kept = np.concatenate([st.get("sample", np.empty(0)), finite])
    if len(kept) > keep:
        order = np.argpartition(keys, keep)[:keep]
        keys, kept = keys[order], kept[order]
    st["keys"], st["sample"] = keys, kept


def _finish_numeric(st: dict[str, Any]) -> dict[str, Any]:
    n = st.get("n", 0)
    if not n:
        keys = ("mean", "std", "min", "p25", "p50", "p75", "max")
        return {"count": 0, **dict.fromkeys(keys)}
    q = np.quantile(st["sample"], [0.25, 0.5, 0.75]).tolist()
    return {
        "count": int(n),
        "mean": json_safe(st["mean"]),
        "std": json_safe(math.sqrt(st["m2"] / (n - 1))) if n > 1 else None,
        "min": json_safe(st["min"]),
        "p25": json_safe(q[0]),
        "p50": json_safe(q[1]),
        "p75": json_safe(q[2]),
        "max": json_safe(st["max"]),
    }


def _update_datetime(st: dict[str, Any], present: pd.Series) -> None:
    """Fold one chunk's timestamps into min/max/count and the set of distinct instants."""
    if not len(present):
        return
    st["min"] = min(st.get("min", present.min()), present.min())
    st["max"] = max(st.get("max", present.max()), present.max())
    st["count"] = st.get("count", 0) + len(present)
    stamps = st.setdefault("stamps", set())
    if stamps is None:
        return
    if present.dt.tz is not None:
        present = present.dt.tz_convert("UTC").dt.tz_localize(None)
    stamps.update(present.astype("int64").tolist())
    if len(stamps) > _MAX_STAMPS:
        st["stamps"] = None


def _finish_datetime(st: dict[str, Any]) -> dict[str, Any]:
    stamps = st.get("stamps")
    facts = None
    if stamps and len(stamps) > 1:
        index = pd.DatetimeIndex(np.array(sorted(stamps), dtype="datetime64[ns]"))
        facts = series_facts(pd.Series(index), None)
    regular = bool(facts and facts["regular"])
    return {
        "count": st.get("count", 0),
        "min": json_safe(st.get("min")),
        "max": json_safe(st.get("max")),
        "frequency": facts["frequency"] if facts and regular else None,
        "gaps": facts["gaps"] if facts and regular else None,
    }


def _update_categories(st: dict[str, Any], present: pd.Series, semantic: str, limit: int) -> None:
    """Fold one chunk's values into the category counter (and a boolean's running sum)."""
    counter = st.setdefault("counter", Counter())
    st["count"] = st.get("count", 0) + len(present)
    if semantic == "boolean" and len(present):
        st["sum"] = st.get("sum", 0.0) + float(present.astype("float64").sum())
    for value, count in present.astype(str).value_counts().items():
        if value in counter or len(counter) < limit:
            counter[value] += int(count)
        else:
            st["approximate"] = True


def _written(value: Any) -> str:
    """A boolean column's value as the file writes it: text stripped, a whole number without
    its ".0" (pandas reads a 0/1 column with gaps as 1.0), a real boolean as JSON writes it."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value).strip()


def _update_spellings(st: dict[str, Any], written: pd.Series) -> None:
    """Count a boolean column's present values by how the file writes them ("1"/"0", "Yes"/
    "no"), so its top values name them so, not as the 1.0/0.0 it is typed as."""
    spellings = st.setdefault("spellings", Counter())
    spellings.update(_written(v) for v in written.tolist())


def _finish_categories(st: dict[str, Any], semantic: str) -> dict[str, Any]:
    counter = st.get("spellings") or st.get("counter", Counter())
    count = st.get("count", 0)
    stats: dict[str, Any] = {
        "count": count,
        "unique": len(counter),
        "top_values": [
            {"value": json_safe(v), "count": int(c)} for v, c in counter.most_common(10)
        ],
    }
    if semantic == "boolean" and count:
        stats["mean"] = json_safe(st["sum"] / count)
    if st.get("approximate"):
        stats["approximate"] = True
    return stats
