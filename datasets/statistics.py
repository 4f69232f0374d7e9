"""Per-column statistics (numeric summaries, category counts, date ranges with frequency and
gaps), computed over a stream of chunks so a big file is never held whole. Django-free.
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


def _top_values(counts: pd.Series | Counter, k: int = 10) -> list[dict[str, Any]]:
    items = counts.most_common(k) if isinstance(counts, Counter) else list(counts.head(k).items())
    return [{"value": json_safe(v), "count": int(c)} for v, c in items]


def _numeric_stats(values: pd.Series) -> dict[str, Any]:
    finite = values[np.isfinite(values)]
    if finite.empty:
        keys = ("mean", "std", "min", "p25", "p50", "p75", "max")
        return {"count": 0, **dict.fromkeys(keys)}
    q = finite.quantile([0.25, 0.5, 0.75]).tolist()
    return {
        "count": int(len(finite)),
        "mean": json_safe(finite.mean()),
        "std": json_safe(finite.std()) if len(finite) > 1 else None,
        "min": json_safe(finite.min()),
        "p25": json_safe(q[0]),
        "p50": json_safe(q[1]),
        "p75": json_safe(q[2]),
        "max": json_safe(finite.max()),
    }


def _datetime_stats(values: pd.Series) -> dict[str, Any]:
    present = values.dropna()
    facts = series_facts(present, None) if len(present) > 1 else None
    return {
        "count": int(len(present)),
        "min": json_safe(present.min()) if len(present) else None,
        "max": json_safe(present.max()) if len(present) else None,
        "frequency": facts["frequency"] if facts and facts["regular"] else None,
        "gaps": facts["gaps"] if facts and facts["regular"] else None,
    }


def column_statistics(df: pd.DataFrame, columns_info: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-column statistics keyed by column name; JSON-safe (None instead of NaN/inf)."""
    info = complete_info(df, columns_info)
    typed = coerce_types(df, info)
    result: dict[str, Any] = {}
    for col in info:
        name, semantic = col["name"], col["semantic_type"]
        values = typed[name]
        stats: dict[str, Any] = {"semantic_type": semantic, "null_count": int(values.isna().sum())}
        if semantic == "numeric":
            stats.update(_numeric_stats(values.astype("float64")))
        elif semantic == "datetime":
            stats.update(_datetime_stats(values))
        else:
            present = values.dropna()
            if present.map(lambda v: isinstance(v, (list, dict))).any():
                present = present.astype(str)
            counts = present.value_counts()
            stats.update(
                {
                    "count": int(len(present)),
                    "unique": int(len(counts)),
                    "top_values": _top_values(counts),
                }
            )
            if semantic == "boolean" and len(present):
                stats["mean"] = json_safe(present.astype("float64").mean())
        result[name] = stats
    return result


def statistics_chunks(
    chunks: Iterable[pd.DataFrame],
    columns_info: list[dict[str, Any]],
    *,
    quantile_sample: int = 50_000,
    category_limit: int = 100_000,
    seed: int = 0,
) -> dict[str, Any]:
    """column_statistics over a stream of frames.

    Counts, mean, std, min and max are exact; quantiles come from a uniform random sample of
    `quantile_sample` values per column; category counts stop growing past `category_limit`
    distinct values (then top_values are approximate and "approximate" is set).
    """
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
                present = values.dropna()
                if len(present):
                    st["min"] = min(st.get("min", present.min()), present.min())
                    st["max"] = max(st.get("max", present.max()), present.max())
                    st["count"] = st.get("count", 0) + len(present)
                    stamps = st.setdefault("stamps", set())
                    if stamps is not None:
                        stamps.update(
                            present.astype("int64").tolist()
                            if present.dt.tz is None
                            else present.dt.tz_convert("UTC")
                            .dt.tz_localize(None)
                            .astype("int64")
                            .tolist()
                        )
                        if len(stamps) > 1_000_000:
                            st["stamps"] = None
            else:
                counter = st.setdefault("counter", Counter())
                present = values.dropna()
                st["count"] = st.get("count", 0) + len(present)
                for value, count in present.astype(str).value_counts().items():
                    if value in counter or len(counter) < category_limit:
                        counter[value] += int(count)
                    else:
                        st["approximate"] = True
    result: dict[str, Any] = {}
    for col in columns_info:
        name, semantic = col["name"], col["semantic_type"]
        st = state.get(name, {"nulls": 0})
        stats: dict[str, Any] = {"semantic_type": semantic, "null_count": st["nulls"]}
        if semantic == "numeric":
            stats.update(_finish_numeric(st))
        elif semantic == "datetime":
            stamps = st.get("stamps")
            facts = None
            if stamps and len(stamps) > 1:
                index = pd.DatetimeIndex(np.array(sorted(stamps), dtype="datetime64[ns]"))
                facts = series_facts(pd.Series(index), None)
            stats.update(
                {
                    "count": st.get("count", 0),
                    "min": json_safe(st.get("min")),
                    "max": json_safe(st.get("max")),
                    "frequency": facts["frequency"] if facts and facts["regular"] else None,
                    "gaps": facts["gaps"] if facts and facts["regular"] else None,
                }
            )
        else:
            counter = st.get("counter", Counter())
            stats.update(
                {
                    "count": st.get("count", 0),
                    "unique": len(counter),
                    "top_values": _top_values(counter),
                }
            )
            if st.get("approximate"):
                stats["approximate"] = True
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
        return _numeric_stats(pd.Series(dtype="float64"))
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
