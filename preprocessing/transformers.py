"""Fitted preprocessing steps for tabular training pipelines (scikit-learn transformers).

Each follows scikit-learn's estimator contract: `__init__` stores its arguments unchanged, `fit`
learns only from the rows it is given (the training rows) and returns `self`, learned state ends
in `_`, and `get_feature_names_out` names the output columns. Django-free.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import PowerTransformer
from sklearn.utils.validation import check_array, check_is_fitted

from datasets.semantics import boolean_number
from preprocessing.analysis import PreprocessingError
from preprocessing.outliers import fences, outside

__all__ = [
    "BooleanEncoder",
    "CategoricalImputer",
    "ColumnMathTransformer",
    "ColumnSelector",
    "DateTimeExpander",
    "OutlierLogTransformer",
    "Winsorizer",
    "boolean_column",
    "boolean_frame",
    "signed_log",
]

MISSING_TOKEN = "__missing__"
_MATH_KINDS = ("log", "sqrt", "box_cox", "yeo_johnson", "standardize", "minmax")
_DATE_PARTS = ("year", "month", "day", "dayofweek", "dayofyear", "hour", "minute")


def _as_frame(X: Any, names: list[str] | None = None) -> pd.DataFrame:
    """A DataFrame view of `X` (arrays get the fitted names or x0, x1, ...).

    Arrays are validated like scikit-learn does (2-D, dense, not empty, not complex).
    """
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0:
            raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
        return X
    arr = check_array(X, dtype=None, ensure_all_finite=False, accept_sparse=False)
    cols = names if names is not None and len(names) == arr.shape[1] else None
    return pd.DataFrame(arr, columns=cols or [f"x{i}" for i in range(arr.shape[1])])


def _label(value: Any) -> Any:
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return str(value)


class _ColumnwiseMixin(TransformerMixin, BaseEstimator):
    """Records the input columns on fit and checks them on transform."""

    def __sklearn_tags__(self) -> Any:  # noqa: D105 - scikit-learn protocol
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _remember_input(self, X: Any) -> pd.DataFrame:
        frame = _as_frame(X)
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        return frame

    def _check_input(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "n_features_in_")
        frame = _as_frame(X, list(self.feature_names_in_))
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {frame.shape[1]} features, but {type(self).__name__} "
                f"is expecting {self.n_features_in_} features as input."
            )
        return frame


class ColumnSelector(_ColumnwiseMixin):
    """Keep the named columns in a fixed order; extra columns are ignored, missing ones raise."""

    def __init__(self, columns: list[str] | None = None):
        self.columns = columns

    def fit(self, X: Any, y: Any = None) -> ColumnSelector:
        """Remember which of the named columns exist in the training frame."""
        frame = _as_frame(X)
        self.columns_ = [str(c) for c in (self.columns or list(frame.columns))]
        missing = [c for c in self.columns_ if c not in frame.columns]
        if missing:
            raise ValueError(f"Missing input columns: {missing}.")
        self.n_features_in_ = frame.shape[1]
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """The frame restricted to the fitted columns, in their fitted order."""
        check_is_fitted(self, "columns_")
        frame = _as_frame(X, self.columns_)
        missing = [c for c in self.columns_ if c not in frame.columns]
        if missing:
            raise ValueError(f"Missing input columns: {missing}.")
        return frame[self.columns_]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The selected column names."""
        check_is_fitted(self, "columns_")
        return np.asarray(self.columns_, dtype=object)


class DateTimeExpander(_ColumnwiseMixin):
    """Turn datetime columns into numeric parts (year, month, day, day of week, ...).

    Parts that never vary in the training rows (e.g. `hour` on pure dates) are left out.
    Unparseable values become NaN (imputed downstream).
    """

    def __init__(self, parts: tuple[str, ...] = _DATE_PARTS):
        self.parts = parts

    @staticmethod
    def _to_datetime(col: pd.Series) -> pd.Series:
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            return col.dt.tz_convert("UTC").dt.tz_localize(None)
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            return col
        out = pd.to_datetime(col, errors="coerce", utc=True)
        return out.dt.tz_localize(None)

    @staticmethod
    def _part(col: pd.Series, part: str) -> pd.Series:
        return getattr(col.dt, part).astype("float64")

    def fit(self, X: Any, y: Any = None) -> DateTimeExpander:
        """Choose, per column, the date parts that vary in the training rows."""
        frame = self._remember_input(X)
        self.parts_: dict[str, list[str]] = {}
        for name in frame.columns:
            col = self._to_datetime(frame[name])
            kept = [p for p in self.parts if self._part(col, p).nunique(dropna=True) > 1]
            self.parts_[str(name)] = kept or ["year"]
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """One float column per kept part, named `<column>_<part>`."""
        frame = self._check_input(X)
        out = {}
        for name, parts in self.parts_.items():
            col = self._to_datetime(frame[name])
            for part in parts:
                out[f"{name}_{part}"] = self._part(col, part).to_numpy()
        return pd.DataFrame(out, index=frame.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """`<column>_<part>` for each kept part."""
        check_is_fitted(self, "parts_")
        return np.asarray([f"{c}_{p}" for c, ps in self.parts_.items() for p in ps], dtype=object)


def boolean_column(col: pd.Series) -> np.ndarray:
    """`boolean_number` of every value of `col`, read once per distinct value."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    table = np.fromiter(map(boolean_number, uniques), dtype="float64", count=len(uniques))
    # Missing values have code -1: the NaN appended last.
    out: np.ndarray = np.append(table, np.nan)[codes]
    return out


def _numeric_booleans(values: np.ndarray) -> np.ndarray:
    """`boolean_number` of numbers, at once: 1 and 0 (not -0.0, which reads "-0.0") are true
    and false, anything else NaN."""
    zero = (values == 0) & ~np.signbit(values)
    return np.where(values == 1, 1.0, np.where(zero, 0.0, np.nan))


def boolean_frame(frame: pd.DataFrame) -> np.ndarray:
    """`boolean_number` of every cell of `frame` as a float matrix: the numeric and boolean
    columns together in numpy, the others once per distinct value. A wide table of 0/1 flags
    went through `boolean_number` cell by cell: seconds for a few hundred rows."""
    out = np.empty(frame.shape, dtype="float64")
    numeric = [
        i
        for i, dtype in enumerate(frame.dtypes)
        if pd.api.types.is_bool_dtype(dtype)
        or (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype))
    ]
    if numeric:
        values = frame.iloc[:, numeric].to_numpy(dtype="float64", na_value=np.nan)
        out[:, numeric] = _numeric_booleans(values)
    for i in sorted(set(range(frame.shape[1])) - set(numeric)):
        out[:, i] = boolean_column(frame.iloc[:, i])
    return out


class BooleanEncoder(_ColumnwiseMixin):
    """Map booleans and the boolean words of `datasets.semantics.BOOLEAN_PAIRS` (true/false,
    yes/no, on/off, 1/0...) to 1.0/0.0; anything else becomes NaN."""

    def fit(self, X: Any, y: Any = None) -> BooleanEncoder:
        """Record the input columns (there is nothing else to learn)."""
        self._remember_input(X)
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """The same columns as floats 1.0/0.0/NaN."""
        frame = self._check_input(X)
        return pd.DataFrame(boolean_frame(frame), index=frame.index, columns=frame.columns)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The input column names."""
        check_is_fitted(self, "feature_names_in_")
        return np.asarray(self.feature_names_in_, dtype=object)


class CategoricalImputer(_ColumnwiseMixin):
    """Cast categories to text and fill missing ones: a `__missing__` level, or the training mode.

    strategy: "constant" (missing is its own level, the default) or "most_frequent".
    """

    def __init__(self, strategy: str = "constant", fill_value: str = MISSING_TOKEN):
        self.strategy = strategy
        self.fill_value = fill_value

    @staticmethod
    def _as_text(col: pd.Series) -> pd.Series:
        """Text labels; whole floats print as integers so 3 and 3.0 are one category."""
        mask = col.isna()
        if pd.api.types.is_object_dtype(col.dtype) and not mask.all():
            first = col[~mask].iloc[0]
            if isinstance(first, str) and col[~mask].map(type).eq(str).all():
                return col.astype(object)
        text = col.map(_label).astype(object)
        text[mask] = np.nan
        return text

    def fit(self, X: Any, y: Any = None) -> CategoricalImputer:
        """Learn each column's fill value (its most frequent training value for "most_frequent")."""
        if self.strategy not in ("constant", "most_frequent"):
            raise ValueError(f"Unknown strategy {self.strategy!r}.")
        frame = self._remember_input(X)
        self.fill_values_: dict[str, str] = {}
        for name in frame.columns:
            fill = self.fill_value
            if self.strategy == "most_frequent":
                counts = self._as_text(frame[name]).value_counts(dropna=True)
                if len(counts):
                    fill = str(counts.index[0])
            self.fill_values_[str(name)] = fill
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """Text columns without missing values."""
        frame = self._check_input(X)
        out = {
            c: self._as_text(frame[c]).fillna(self.fill_values_[c]).to_numpy(dtype=object)
            for c in self.fill_values_
        }
        return pd.DataFrame(out, index=frame.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The input column names."""
        check_is_fitted(self, "fill_values_")
        return np.asarray(list(self.fill_values_), dtype=object)


class Winsorizer(_ColumnwiseMixin):
    """Cap numeric values at the fences learned from the training rows (`outliers.fences`).

    method: "iqr", "zscore", "isolation_forest" or "quantile" (1st/99th percentiles);
    threshold: the method's t (None: its default). A column without fences is left as is; NaN
    stays NaN.
    """

    def __init__(
        self,
        method: str = "iqr",
        threshold: float | None = None,
    ):
        self.method = method
        self.threshold = threshold

    def fit(self, X: Any, y: Any = None) -> Winsorizer:
        """Learn `lower_` and `upper_` per column from the training rows (`outliers.fences`)."""
        frame = self._remember_input(X)
        values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
        bounds = [fences(values[:, j], self.method, self.threshold) for j in range(values.shape[1])]
        self.lower_ = np.asarray([-np.inf if b is None else b[0] for b in bounds])
        self.upper_ = np.asarray([np.inf if b is None else b[1] for b in bounds])
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """The values clipped to the training bounds."""
        frame = self._check_input(X)
        values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
        clipped = np.clip(values, self.lower_, self.upper_)
        return pd.DataFrame(clipped, index=frame.index, columns=list(self.feature_names_in_))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The input column names."""
        check_is_fitted(self, "lower_")
        return np.asarray(self.feature_names_in_, dtype=object)


def signed_log(values: np.ndarray) -> np.ndarray:
    """sign(x) * log(1 + |x|): compresses both tails, keeps the sign and zero."""
    out: np.ndarray = np.sign(values) * np.log1p(np.abs(values))
    return out


class OutlierLogTransformer(_ColumnwiseMixin):
    """Compress the columns that hold outliers in the training rows with `signed_log`.

    A column is chosen when some training value lies outside its fences (`outliers.fences` with
    `method` and `threshold`); the same columns are compressed at prediction time. NaN stays NaN.
    """

    def __init__(self, method: str = "iqr", threshold: float | None = None):
        self.method = method
        self.threshold = threshold

    def fit(self, X: Any, y: Any = None) -> OutlierLogTransformer:
        """Learn which columns (`compress_`, a boolean per column) hold training outliers."""
        frame = self._remember_input(X)
        values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
        self.compress_ = np.asarray(
            [
                bool(outside(values[:, j], fences(values[:, j], self.method, self.threshold)).any())
                for j in range(values.shape[1])
            ]
        )
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        """The chosen columns through `signed_log`, the others unchanged (as floats)."""
        frame = self._check_input(X)
        values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
        values[:, self.compress_] = signed_log(values[:, self.compress_])
        return pd.DataFrame(values, index=frame.index, columns=list(self.feature_names_in_))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The input column names."""
        check_is_fitted(self, "compress_")
        return np.asarray(self.feature_names_in_, dtype=object)


class ColumnMathTransformer(_ColumnwiseMixin):
    """Apply per-column transformations: log, sqrt, box_cox, yeo_johnson, standardize, minmax.

    `transformations` is a list of `{"column", "type"}`, applied in order; other columns pass
    through. log and sqrt shift by the training minimum when it is below zero (log1p after the
    shift); box_cox shifts to strictly positive training values; standardize and minmax use the
    training mean/std and min/max. Unknown types (a series-only "difference") and absent columns
    are ignored.
    """

    def __init__(self, transformations: list[dict[str, str]] | None = None):
        self.transformations = transformations

    def fit(self, X: Any, y: Any = None) -> ColumnMathTransformer:
        """Learn the shifts and power-transform parameters from the training rows."""
        frame = self._remember_input(X).copy()
        self.steps_: list[tuple[str, str, float, PowerTransformer | None]] = []
        self.scales_: list[float] = []
        for item in self.transformations or []:
            name, kind = str(item.get("column")), str(item.get("type", "")).lower()
            if name not in frame.columns or kind not in _MATH_KINDS:
                continue
            col = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64")
            finite = col[np.isfinite(col)]
            if kind in ("standardize", "minmax"):
                if kind == "standardize":
                    shift = -float(finite.mean()) if finite.size else 0.0
                    scale = float(finite.std()) if finite.size else 1.0
                else:
                    shift = -float(finite.min()) if finite.size else 0.0
                    scale = float(finite.max() - finite.min()) if finite.size else 1.0
                self.steps_.append((name, kind, shift, None))
                self.scales_.append(scale or 1.0)
                frame[name] = (col + shift) / (scale or 1.0)  # a later step sees this result
                continue
            low = float(finite.min()) if finite.size else 0.0
            shift = 0.0
            power = None
            if kind in ("log", "sqrt"):
                shift = -low if low < 0 else 0.0
            elif kind == "box_cox":
                shift = 1.0 - low if low <= 0 else 0.0
            if kind == "box_cox" and finite.size >= 2 and finite.min() == finite.max():
                message = (
                    f"Box-Cox cannot transform '{name}': its training values are all "
                    f"{finite[0]:g}, and a constant column has no shape to fit. Remove this "
                    "transformation (or the column)."
                )
                raise PreprocessingError(message, {"transformations": message})
            if kind in ("box_cox", "yeo_johnson") and finite.size >= 2:
                method = "box-cox" if kind == "box_cox" else "yeo-johnson"
                power = PowerTransformer(method=method, standardize=False)
                power.fit((finite + shift).reshape(-1, 1))
            self.steps_.append((name, kind, shift, power))
            self.scales_.append(1.0)
            frame[name] = self.apply_step(col, kind, shift, power, 1.0)
        return self

    @staticmethod
    def apply_step(
        col: np.ndarray, kind: str, shift: float, power: PowerTransformer | None, scale: float
    ) -> np.ndarray:
        """One fitted step (`steps_[i]` and `scales_[i]`) on a float column; serving's
        compiled rows call it too, so the math lives here only."""
        col = col + shift
        with np.errstate(invalid="ignore", divide="ignore"):
            if kind == "log":
                return np.log1p(np.where(col > -1, col, np.nan))
            if kind == "sqrt":
                return np.sqrt(np.where(col >= 0, col, np.nan))
            if kind in ("standardize", "minmax"):
                return col / scale
            if power is None:
                return col
            if kind == "box_cox":
                col = np.where(col > 0, col, np.nan)
            ok = np.isfinite(col)
            out = np.full_like(col, np.nan)
            if ok.any():
                out[ok] = power.transform(col[ok].reshape(-1, 1)).ravel()
            return out

    def transform(self, X: Any) -> pd.DataFrame:
        """The frame with the listed columns transformed in order (NaN where undefined)."""
        frame = self._check_input(X).copy()
        # Models saved before standardize/minmax existed have no `scales_`.
        scales = getattr(self, "scales_", None) or [1.0] * len(self.steps_)
        for (name, kind, shift, power), scale in zip(self.steps_, scales, strict=True):
            col = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64")
            frame[name] = self.apply_step(col, kind, shift, power, scale)
        return frame

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The input column names."""
        check_is_fitted(self, "steps_")
        return np.asarray(self.feature_names_in_, dtype=object)
