"""Chart data for the dataset page: a histogram per numeric column, top values per other column.

Computed by the same typed read as the statistics (`dataset_frame`), on the whole dataset.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from datasets.jsonsafe import json_safe
from datasets.models import Dataset
from datasets.services import dataset_frame

MAX_BARS = 15


def column_distribution(values: pd.Series, semantic_type: str, bins: int = 20) -> dict[str, Any]:
    """{kind: "histogram", edges, counts} for numbers, {kind: "bars", labels, counts} otherwise."""
    present = values.dropna()
    if semantic_type == "numeric" and pd.api.types.is_numeric_dtype(present):
        finite = present[np.isfinite(present.astype(float))].astype(float)
        if finite.empty:
            return {"kind": "empty"}
        counts, edges = np.histogram(finite, bins=min(bins, max(1, finite.nunique())))
        return {
            "kind": "histogram",
            "edges": [float(e) for e in edges],
            "counts": [int(c) for c in counts],
        }
    if semantic_type == "datetime":
        stamps = pd.to_datetime(present, errors="coerce", utc=True).dropna()
        if stamps.empty:
            return {"kind": "empty"}
        counts, edges = np.histogram(stamps.astype("int64"), bins=bins)
        return {
            "kind": "histogram",
            "edges": [pd.Timestamp(int(e), tz="UTC").isoformat() for e in edges],
            "counts": [int(c) for c in counts],
        }
    top = present.astype(str).value_counts().head(MAX_BARS)
    return {
        "kind": "bars",
        "labels": [json_safe(v) for v in top.index],
        "counts": [int(c) for c in top.to_numpy()],
        "others": int(len(present) - int(top.sum())),
    }


def dataset_distributions(
    *, dataset: Dataset, columns: list[str] | None = None, bins: int = 20
) -> dict[str, dict[str, Any]]:
    """Column name -> its distribution for a chart (see `column_distribution`), for `columns`
    (all when None). Reads only those columns of the file."""
    wanted = [
        c
        for c in dataset.columns_info
        if (columns is None or c["name"] in columns) and c.get("semantic_type") != "id"
    ]
    if not wanted:
        return {}
    frame = dataset_frame(dataset, usecols=[c["name"] for c in wanted])
    return {
        c["name"]: column_distribution(frame[c["name"]], c.get("semantic_type", ""), bins)
        for c in wanted
        if c["name"] in frame.columns
    }
