"""Label coercion and the spreadsheet-formula guard work on each distinct value once; they must
give what the value-by-value rules give, mixed columns (True beside 1) included."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from datasets import coercion
from datasets import io as dio

POOL = ["a", " a", "b ", "", "  ", None, np.nan, 1, 1.0, True, False, 0, -0.0, 2.5, "=x", "+1",
        "-", "@a", "\tz", pd.NA, pd.NaT, "1", "True"]  # fmt: skip


def _series(rng: random.Random) -> pd.Series:
    n = rng.randint(0, 30)
    kind = rng.randrange(5)
    if kind == 0:
        texts = ["a", " a", "b ", "", None, "=x", "1", "True", "@q", "-3"]
        series = pd.Series([rng.choice(texts) for _ in range(n)], dtype=object)
        return series.astype("string") if rng.random() < 0.3 else series
    if kind == 1:
        return pd.Series([rng.choice([1.0, 2.5, np.nan, -0.0, 3.0]) for _ in range(n)])
    if kind == 2:
        return pd.Series([rng.choice([1, 2, 3]) for _ in range(n)], dtype="int64")
    if kind == 3:
        return pd.Series([rng.choice([True, False]) for _ in range(n)], dtype=bool)
    return pd.Series([rng.choice(POOL) for _ in range(n)], dtype=object)


def test_labels_equal_the_value_by_value_rule():
    rng = random.Random(0)
    for _ in range(2000):
        values = _series(rng)
        got = coercion._to_label(values)
        want = pd.Series([coercion.label_of(v) for v in values], index=values.index, dtype=object)
        assert got.dtype == object and list(got.index) == list(want.index)
        assert list(got.isna()) == list(want.isna()), list(values)
        assert list(got[got.notna()]) == list(want[want.notna()]), list(values)


def test_mixed_true_and_one_keep_their_own_labels():
    got = coercion._to_label(pd.Series([True, 1, 1.0, "1", False, 0], dtype=object))
    assert list(got) == ["True", "1", "1", "1", "False", "0"]


def _same(a, b) -> bool:
    return a is b or (pd.isna(a) and pd.isna(b)) or a == b


def test_the_formula_guard_equals_the_cell_by_cell_rule():
    rng = random.Random(1)
    for _ in range(2000):
        values = _series(rng)
        frame = pd.DataFrame({"c": values, "n": np.arange(len(values), dtype=float)})
        risky = [isinstance(v, str) and v[:1] in dio._FORMULA_START for v in values]
        want = [dio.neutralize_cell(v) if r else v for v, r in zip(values, risky, strict=True)]
        out = dio.neutralize_formulas(frame)
        assert all(_same(a, b) for a, b in zip(out["c"], want, strict=True)), list(values)
        assert (out is not frame) == any(risky)
