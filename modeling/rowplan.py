"""Compiled preprocessing for serving: the fitted `preprocess` + `features` steps of a tabular
pipeline rebuilt as plain numpy on request columns (no DataFrame, no scikit-learn validation),
so one row costs tens of microseconds instead of a ColumnTransformer pass. Django-free.

`compile_prefix(prefix)` reads only the fitted steps' public learned attributes (`statistics_`,
`mean_`, `categories_`, `encodings_`, `transformers_`, `keep_`, ...) and returns a
`RowProgram`, or None when the prefix is not shaped like the builder's (the caller keeps
scikit-learn). A part of the ColumnTransformer it has no numpy form for (dates) runs through its
own fitted scikit-learn step on a small frame. `modeling.serving` uses a program only after its
output matched scikit-learn's on the registration's rows; a request value it cannot treat exactly
like scikit-learn (text in a number column, a category the encoder would refuse) raises
`NotCompiled` inside, and that part of that request runs its fitted scikit-learn step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from features.tabular import DropConstantFeatures, InteractionFeatures
from preprocessing.transformers import (
    BooleanEncoder,
    CategoricalImputer,
    ColumnMathTransformer,
    ColumnSelector,
    OutlierLogTransformer,
    Winsorizer,
    signed_log,
)

__all__ = ["Columns", "NotCompiled", "RowProgram", "compile_prefix", "program_matches"]

Matrix = Callable[[np.ndarray], np.ndarray]
Head = Callable[[list[Any]], np.ndarray]


class NotCompiled(Exception):
    """The program cannot answer these values exactly like scikit-learn; use scikit-learn."""


# ---------------------------------------------------------------- column heads
def _numbers(columns: list[Any]) -> np.ndarray:
    out = np.empty((len(columns[0]), len(columns)), dtype=np.float64)
    for j, col in enumerate(columns):
        arr = np.asarray(col)
        if arr.dtype.kind not in "fiub":
            raise NotCompiled("a numeric column holds non-numbers")
        out[:, j] = arr
    return out


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if type(value) is float:
        return math.isnan(value)
    return bool(pd.isna(value)) if not isinstance(value, str) else False


def _text_label(value: Any) -> str:
    """CategoricalImputer's text of a non-missing value (whole floats print as integers)."""
    if isinstance(value, str):
        return value
    whole = isinstance(value, (float, np.floating)) and math.isfinite(value)
    if whole and float(value).is_integer():
        return str(int(value))
    return str(value)


def _texts(imputer: CategoricalImputer) -> Head:
    fills = [imputer.fill_values_[str(c)] for c in imputer.feature_names_in_]

    def head(columns: list[Any]) -> np.ndarray:
        out = np.empty((len(columns[0]), len(columns)), dtype=object)
        for j, col in enumerate(columns):
            fill = fills[j]
            values = np.asarray(col, dtype=object)
            missing = pd.isna(values)
            if all(type(v) is str for v in values[~missing].tolist()):
                out[:, j] = values
                out[missing, j] = fill
                continue
            for i, v in enumerate(values.tolist()):
                out[i, j] = fill if _missing(v) else _text_label(v)
        return out

    return head


def _flags(columns: list[Any]) -> np.ndarray:
    """BooleanEncoder on floats (what the request path makes of JSON booleans): 1.0, 0.0 and
    NaN stay, anything else is not handled here."""
    out = _numbers(columns)
    if not np.all(np.isnan(out) | (out == 0.0) | (out == 1.0)):
        raise NotCompiled("a boolean column holds other numbers")
    return out


# ---------------------------------------------------------------- matrix stages
def _column_math(step: ColumnMathTransformer) -> Matrix:
    names = [str(c) for c in step.feature_names_in_]
    scales = getattr(step, "scales_", None) or [1.0] * len(step.steps_)
    plan = [
        (names.index(n), kind, shift, power, scale)
        for (n, kind, shift, power), scale in zip(step.steps_, scales, strict=True)
    ]

    def run(X: np.ndarray) -> np.ndarray:
        X = X.copy()
        for j, kind, shift, power, scale in plan:
            X[:, j] = ColumnMathTransformer.apply_step(X[:, j], kind, shift, power, scale)
        return X

    return run


def _imputer(step: SimpleImputer) -> Matrix | None:
    stats = np.asarray(step.statistics_)
    missing = step.missing_values
    if stats.dtype.kind != "f" or not (isinstance(missing, float) and math.isnan(missing)):
        return None
    if getattr(step, "keep_empty_features", False):
        return None
    valid = np.flatnonzero(~np.isnan(stats))
    fill = stats[valid]
    indicator = getattr(step, "indicator_", None) if step.add_indicator else None
    flagged = np.asarray(indicator.features_) if indicator is not None else None
    if indicator is not None and indicator.features != "missing-only":
        return None

    def run(X: np.ndarray) -> np.ndarray:
        mask = np.isnan(X)
        out = X[:, valid] if len(valid) != X.shape[1] else X.copy()
        holes = mask[:, valid]
        if holes.any():
            out[holes] = np.broadcast_to(fill, out.shape)[holes]
        if flagged is not None:
            out = np.hstack([out, mask[:, flagged].astype(np.float64)])
        return out

    return run


def _scaler(step: Any) -> Matrix | None:
    kind = type(step)
    if kind is StandardScaler:
        mean = step.mean_ if step.with_mean else None
        scale = step.scale_ if step.with_std else None

        def standard(X: np.ndarray) -> np.ndarray:
            X = X.copy()
            if mean is not None:
                X -= mean
            if scale is not None:
                X /= scale
            return X

        return standard
    if kind is MinMaxScaler:
        low, high = step.feature_range

        def minmax(X: np.ndarray) -> np.ndarray:
            X = X * step.scale_
            X += step.min_
            if step.clip:
                np.clip(X, low, high, out=X)
            return X

        return minmax
    if kind is RobustScaler:
        center = step.center_ if step.with_centering else None
        scale = step.scale_ if step.with_scaling else None

        def robust(X: np.ndarray) -> np.ndarray:
            X = X.copy()
            if center is not None:
                X -= center
            if scale is not None:
                X /= scale
            return X

        return robust
    return None


def _lookup(categories: np.ndarray) -> dict[str, int] | None:
    if not all(isinstance(c, str) for c in categories.tolist()):
        return None
    return {c: i for i, c in enumerate(categories.tolist())}


def _codes(values: np.ndarray, index: dict[str, int]) -> np.ndarray:
    """Each value's position among the fitted categories (-1 when unknown): a dict lookup per
    value for a few rows, one hashed pass (`Index.get_indexer`) for many."""
    if len(values) <= 32:
        return np.fromiter((index.get(v, -1) for v in values.tolist()), np.intp, len(values))
    return pd.Index(list(index), dtype=object).get_indexer(values)


def _onehot(step: OneHotEncoder) -> Matrix | None:
    if step.drop is not None or step.sparse_output:
        return None
    infrequent = getattr(step, "infrequent_categories_", None) or [None] * len(step.categories_)
    # Per feature: category index, each category's output column, width, unknowns' column
    # (-2: none, all zeros; -1: the encoder refuses them).
    layouts = []
    for cats, rare in zip(step.categories_, infrequent, strict=True):
        index = _lookup(np.asarray(cats))
        if index is None:
            return None
        rare_set = set(np.asarray(rare).tolist()) if rare is not None else set()
        frequent = [c for c in index if c not in rare_set]
        position = {c: k for k, c in enumerate(frequent)}
        columns = np.asarray([position.get(c, len(frequent)) for c in index], dtype=np.intp)
        width = len(frequent) + (1 if rare_set else 0)
        grouped = rare_set and step.handle_unknown == "infrequent_if_exist"
        unknown = len(frequent) if grouped else -2
        if step.handle_unknown == "error":
            unknown = -1
        layouts.append((index, columns, width, unknown))

    def run(X: np.ndarray) -> np.ndarray:
        blocks = []
        rows = np.arange(X.shape[0])
        for j, (index, columns, width, unknown) in enumerate(layouts):
            codes = _codes(X[:, j], index)
            known = codes >= 0
            if unknown == -1 and not known.all():
                raise NotCompiled("a category the encoder refuses")
            cols = np.where(known, columns[np.maximum(codes, 0)], unknown)
            hit = cols >= 0
            block = np.zeros((X.shape[0], width))
            block[rows[hit], cols[hit]] = 1.0
            blocks.append(block)
        return np.hstack(blocks)

    return run


def _target(step: TargetEncoder) -> Matrix | None:
    found = [_lookup(np.asarray(c)) for c in step.categories_]
    indexes = [i for i in found if i is not None]
    if len(indexes) < len(found):
        return None
    encodings = [np.asarray(e, dtype=np.float64) for e in step.encodings_]
    means = np.atleast_1d(np.asarray(step.target_mean_, dtype=np.float64))
    per = len(step.classes_) if step.target_type_ == "multiclass" else 1

    def run(X: np.ndarray) -> np.ndarray:
        out = np.empty((X.shape[0], len(encodings)))
        codes = [_codes(X[:, j], index) for j, index in enumerate(indexes)]
        for e, encoding in enumerate(encodings):
            j, mean = e // per, means[e % per]
            out[:, e] = np.where(codes[j] >= 0, encoding[np.maximum(codes[j], 0)], mean)
        return out

    return run


def _ordinal(step: OrdinalEncoder) -> Matrix | None:
    # Grouped rare levels share one code the lookup below does not know: left to scikit-learn.
    if any(r is not None for r in getattr(step, "infrequent_categories_", None) or []):
        return None
    found = [_lookup(np.asarray(c)) for c in step.categories_]
    indexes = [i for i in found if i is not None]
    if len(indexes) < len(found):
        return None
    unknown = step.unknown_value if step.handle_unknown == "use_encoded_value" else None

    def run(X: np.ndarray) -> np.ndarray:
        out = np.empty(X.shape, dtype=np.float64)
        for j, index in enumerate(indexes):
            codes = _codes(X[:, j], index)
            known = codes >= 0
            if unknown is None and not known.all():
                raise NotCompiled("a category the encoder refuses")
            out[:, j] = np.where(known, codes, unknown if unknown is not None else 0)
        return out

    return run


def _matrix_stage(step: Any) -> Matrix | None:
    kind = type(step)
    if kind is ColumnMathTransformer:
        return _column_math(step)
    if kind is Winsorizer:
        low, high = step.lower_, step.upper_
        return lambda X: np.clip(X, low, high)
    if kind is OutlierLogTransformer:
        compress = np.asarray(step.compress_, dtype=bool)

        def signed_logs(X: np.ndarray) -> np.ndarray:
            X = X.copy()
            X[:, compress] = signed_log(X[:, compress])
            return X

        return signed_logs
    if kind is SimpleImputer:
        return _imputer(step)
    if kind is OneHotEncoder:
        return _onehot(step)
    if kind is TargetEncoder:
        return _target(step)
    if kind is OrdinalEncoder:
        return _ordinal(step)
    if kind is DropConstantFeatures:
        keep = np.asarray(step.keep_)
        return lambda X: X[:, keep]
    if kind is InteractionFeatures:
        pairs = list(step.positions_)
        if not pairs:
            return lambda X: X
        return lambda X: np.hstack([X, np.column_stack([X[:, i] * X[:, j] for i, j in pairs])])
    if step is None or step == "passthrough":
        return lambda X: X
    if kind is Pipeline:
        stages = [_matrix_stage(s) for _, s in step.steps]
        known = [s for s in stages if s is not None]
        return _chain(known) if len(known) == len(stages) else None
    return _scaler(step)


def _chain(stages: Sequence[Matrix]) -> Matrix:
    def run(X: np.ndarray) -> np.ndarray:
        for stage in stages:
            X = stage(X)
        return X

    return run


# ---------------------------------------------------------------- parts
# The steps a numeric branch of the builder can start with.
_NUMERIC_FIRST = (ColumnMathTransformer, Winsorizer, OutlierLogTransformer, SimpleImputer)


def _part(transformer: Any) -> tuple[Head, Matrix] | None:
    """(head, tail) of one ColumnTransformer part, or None when it has no numpy form."""
    steps = transformer.steps if type(transformer) is Pipeline else [("only", transformer)]
    first = steps[0][1]
    rest = steps[1:]
    if type(first) is CategoricalImputer:
        head: Head = _texts(first)
    elif type(first) is BooleanEncoder:
        head = _flags
    elif type(first) in _NUMERIC_FIRST or _scaler(first):
        head, rest = _numbers, steps
    else:
        return None
    stages = [_matrix_stage(s) for _, s in rest]
    known = [s for s in stages if s is not None]
    if len(known) < len(stages):
        return None
    return head, _chain(known)


def _frame_part(transformer: Any, names: list[str]) -> Head:
    """A part's own fitted transform on a frame of its columns (scikit-learn's answer)."""

    def head(columns: list[Any]) -> np.ndarray:
        frame = pd.DataFrame(dict(zip(names, columns, strict=True)), columns=names)
        return np.asarray(transformer.transform(frame), dtype=np.float64)

    return head


class _Part:
    """One ColumnTransformer part: its numpy form when it has one, else (and for values the
    numpy form does not take) its fitted scikit-learn step."""

    def __init__(self, transformer: Any, names: list[str]):
        self.names = names
        self.compiled = _part(transformer)
        self.fallback = _frame_part(transformer, names)

    def run(self, columns: list[Any]) -> np.ndarray:
        if self.compiled is not None:
            head, tail = self.compiled
            try:
                return tail(head(columns))
            except NotCompiled:
                pass
        return self.fallback(columns)


class RowProgram:
    """A compiled `preprocess` + `features` prefix: request columns in, the model's input
    matrix (float64) out, equal to the prefix's own `transform`."""

    def __init__(self, parts: list[_Part], features: Matrix):
        self.parts = parts
        self.features = features
        self.inputs = tuple(dict.fromkeys(n for part in parts for n in part.names))
        self.numpy_parts = sum(part.compiled is not None for part in parts)

    def transform_columns(self, columns: Mapping[str, Any]) -> np.ndarray:
        """The model input of the rows given column by column (arrays of equal length)."""
        blocks = [part.run([columns[n] for n in part.names]) for part in self.parts]
        X = blocks[0] if len(blocks) == 1 else np.hstack(blocks)
        return self.features(X)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The model input of a frame typed like the training rows."""
        return self.transform_columns({n: frame[n].to_numpy() for n in self.inputs})


def compile_prefix(prefix: Any) -> RowProgram | None:
    """The program of a fitted `Pipeline([("preprocess", ...), ("features", ...)])` as the
    builder makes it (ColumnSelector -> ColumnTransformer), or None for any other shape."""
    steps = getattr(prefix, "steps", None)
    if type(prefix) is not Pipeline or not steps or len(steps) != 2:
        return None
    preprocess, features = steps[0][1], steps[1][1]
    if type(preprocess) is not Pipeline or len(preprocess.steps) != 2:
        return None
    select, encode = preprocess.steps[0][1], preprocess.steps[1][1]
    if type(select) is not ColumnSelector or type(encode) is not ColumnTransformer:
        return None
    feature_stage = _matrix_stage(features)
    if feature_stage is None:
        return None
    parts: list[_Part] = []
    for _name, transformer, cols in encode.transformers_:
        if isinstance(transformer, str):
            if transformer == "drop":
                continue
            return None  # passthrough columns: not built by the builder
        names = [str(c) for c in cols]
        if not names:
            continue
        parts.append(_Part(transformer, names))
    if not parts:
        return None
    return RowProgram(parts, feature_stage)


class Columns:
    """Request rows column by column (`data`: name -> array of `n` values), typed like the
    training rows; what a compiled serving form reads without building a DataFrame."""

    def __init__(self, data: dict[str, Any], n: int, names: Sequence[str]):
        self.data, self.n, self.names = data, n, list(names)

    def __len__(self) -> int:
        return self.n

    def frame(self) -> pd.DataFrame:
        """The same rows as a DataFrame (for steps that need one)."""
        return pd.DataFrame(self.data, columns=self.names, index=pd.RangeIndex(self.n))


def program_matches(prefix: Any, program: RowProgram, rows: pd.DataFrame) -> bool:
    """Whether `program` gives `prefix.transform(rows)` (NaN where it has NaN, values within
    1e-9 relative): checked before a program serves."""
    want = np.asarray(prefix.transform(rows), dtype=np.float64)
    got = program.transform(rows)
    return want.shape == got.shape and bool(
        np.allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
    )
