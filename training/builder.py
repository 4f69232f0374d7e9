"""Turns a dataset profile, a preprocessing config and an algorithm choice into one unfitted
scikit-learn `Pipeline` (`preprocess` -> `features` -> `model`), plus the weighted ensemble model.

Preprocessing follows each column's semantic type:

- id: left out. datetime: year/month/day/dayofweek/dayofyear/hour/minute (those that vary).
- numeric: optional per-column transformations, optional winsorizing, imputation with missing
  indicators, scaling. boolean: 0/1 then most-frequent imputation.
- categorical: missing values become a `__missing__` level (or the training mode for "mode"),
  then one-hot (at most 15 distinct values, rarer levels grouped) or cross-fitted target encoding
  (more than 15), unless `categorical_encoding` asks for "onehot", "target" or "ordinal" for all.
- text: treated as a high-cardinality categorical (target encoding), so repeated values still
  carry signal and unique ones fall back to the prior.

Row-wise `missing_values_strategy` values cannot run inside a model that scores one row at a time,
so "drop", "interpolate" and "forward_fill" impute with the training median (the caller drops rows
with a missing target when the strategy is "drop"); "mode" means most frequent. Rows cannot be
removed at predict time either, so every `outlier_treatment` ("cap", "remove", "transform") caps
values at bounds learned from the training rows (`outlier_detection_method` picks the bounds: iqr,
zscore, or the 1st/99th percentiles for isolation_forest). `custom_rules` are kept on the config but
not applied here. Django-free.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
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
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from features.tabular import NUMERIC_BRANCH, build_feature_step
from modeling import catalog
from preprocessing.transformers import (
    BooleanEncoder,
    CategoricalImputer,
    ColumnMathTransformer,
    ColumnSelector,
    DateTimeExpander,
    Winsorizer,
)

__all__ = [
    "ONEHOT_MAX_LEVELS",
    "TargetScaledRegressor",
    "WeightedEnsemble",
    "build_model",
    "build_pipeline",
    "build_preprocessor",
    "infer_schema",
    "used_columns",
]

SEMANTIC_TYPES = ("numeric", "categorical", "datetime", "text", "boolean", "id")
ONEHOT_MAX_LEVELS = 15
_IMPUTE = {
    None: "median",
    "median": "median",
    "mean": "mean",
    "mode": "most_frequent",
    "most_frequent": "most_frequent",
    "drop": "median",
    "interpolate": "median",
    "forward_fill": "median",
}
_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}
_WINSOR = {"iqr": "iqr", "zscore": "zscore", "isolation_forest": "quantile", "quantile": "quantile"}
_BOOL_TEXT = {"true", "false", "yes", "no", "t", "f", "y", "n"}


def _looks_datetime(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(50)
    if sample.empty or sample.str.fullmatch(r"[-+]?\d+(\.\d+)?").all():
        return False
    if not sample.str.contains(r"\d").all() or not sample.str.contains(r"[-/:.T ]").all():
        return False
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


def _semantic_type(col: pd.Series, n_rows: int) -> str:
    non_null = col.dropna()
    unique = int(non_null.nunique())
    if pd.api.types.is_bool_dtype(col.dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return "datetime"
    if pd.api.types.is_numeric_dtype(col.dtype):
        name = str(col.name).lower()
        is_int = pd.api.types.is_integer_dtype(col.dtype) or (
            len(non_null) and bool((non_null == non_null.round()).all())
        )
        id_name = (
            name == "id" or name.endswith(("_id", " id")) or name.endswith("id") and len(name) <= 4
        )
        if is_int and n_rows > 20 and unique == len(non_null) and id_name:
            return "id"
        return "numeric"
    if pd.api.types.is_object_dtype(col.dtype) or isinstance(col.dtype, pd.CategoricalDtype):
        text = non_null.astype(str)
        if unique and set(text.str.strip().str.lower().unique()) <= _BOOL_TEXT:
            return "boolean"
        if _looks_datetime(text):
            return "datetime"
        words = float(text.str.split().str.len().mean()) if len(text) else 0.0
        if n_rows > 20 and unique >= 0.95 * max(len(non_null), 1):
            return "text" if words > 2 else "id"
        if unique > 50 and words > 3:
            return "text"
        return "categorical"
    return "categorical"


def infer_schema(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Column profiles (name, dtype, semantic_type, null_count, unique_count) guessed from `df`."""
    out = []
    for name in df.columns:
        col = df[name]
        out.append(
            {
                "name": str(name),
                "dtype": str(col.dtype),
                "semantic_type": _semantic_type(col, len(df)),
                "null_count": int(col.isna().sum()),
                "unique_count": int(col.nunique(dropna=True)),
            }
        )
    return out


def used_columns(
    df_schema: list[dict[str, Any]], target: str, feature_columns: list[str] | None = None
) -> list[dict[str, Any]]:
    """The profiles of the columns the model reads: the features minus the target and id columns."""
    by_name = {c["name"]: c for c in df_schema}
    names = list(feature_columns) if feature_columns is not None else list(by_name)
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValueError(f"No column profile for {missing}.")
    return [
        by_name[n]
        for n in names
        if n != target and by_name[n].get("semantic_type", "numeric") != "id"
    ]


def _numeric_step(names: list[str], config: dict[str, Any]) -> Pipeline:
    steps: list[tuple[str, Any]] = []
    wanted = [t for t in config.get("transformations") or [] if t.get("column") in names]
    if wanted:
        steps.append(("transform", ColumnMathTransformer(transformations=wanted)))
    method = config.get("outlier_detection_method")
    treatment = config.get("outlier_treatment")
    if treatment or method:
        steps.append(("cap", Winsorizer(method=_WINSOR.get(method or "iqr", "iqr"))))
    strategy = _IMPUTE.get(config.get("missing_values_strategy"), "median")
    steps.append(("impute", SimpleImputer(strategy=strategy, add_indicator=True)))
    scaler = _scaler(config)
    if scaler is not None:
        steps.append(("scale", scaler))
    return Pipeline(steps)


def _scaler(config: dict[str, Any]) -> Any:
    """A new scaler of the configured kind (standard by default), or None for "none"."""
    kind = _SCALERS.get(config.get("scaling_method") or "standard")
    return kind() if kind is not None else None


def _categorical_steps(
    profiles: list[dict[str, Any]],
    config: dict[str, Any],
    random_state: int,
    problem_type: str | None = None,
) -> list[tuple[str, Any, list[str]]]:
    encoding = config.get("categorical_encoding")
    fill = "most_frequent" if config.get("missing_values_strategy") == "mode" else "constant"
    groups: dict[str, list[str]] = {"onehot": [], "target": [], "ordinal": []}
    for p in profiles:
        if encoding in groups:
            groups[encoding].append(p["name"])
        elif p.get("semantic_type") == "text":
            groups["target"].append(p["name"])
        else:
            unique = p.get("unique_count")
            many = unique is not None and unique > ONEHOT_MAX_LEVELS
            groups["target" if many else "onehot"].append(p["name"])
    encoders = {
        "onehot": OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            max_categories=ONEHOT_MAX_LEVELS + 1 if encoding != "onehot" else 50,
            sparse_output=False,
        ),
        # A regression target of whole numbers (prices in dollars) would otherwise be read as
        # thousands of classes, and every column encoded once per class.
        "target": TargetEncoder(
            cv=5, target_type="continuous" if problem_type == "regression" else "auto"
        ),
        "ordinal": OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
        ),
    }
    steps = {kind: [("impute", CategoricalImputer(strategy=fill)), ("encode", enc)]
             for kind, enc in encoders.items()}  # fmt: skip
    # A regression target encoding is a mean in target units (a price: 1e5), which would swamp
    # distances (knn, svm) and blow up gradient-trained models (mlp, sgd): scale it like the
    # numeric columns. Classification encodings are probabilities in [0, 1] already.
    scaler = _scaler(config)
    if problem_type == "regression" and scaler is not None:
        steps["target"].append(("scale", scaler))
    return [(kind, Pipeline(steps[kind]), cols) for kind in encoders if (cols := groups[kind])]


def build_preprocessor(
    profiles: list[dict[str, Any]],
    preprocessing_config: dict[str, Any] | None = None,
    random_state: int = 0,
    problem_type: str | None = None,
) -> Pipeline:
    """The `preprocess` step for the given (used) column profiles: select, then encode by type.

    `problem_type` "regression" makes target encoding treat the target as continuous even when
    its values are whole numbers; otherwise the encoder infers the target type.
    """
    config = preprocessing_config or {}
    by_type: dict[str, list[dict[str, Any]]] = {t: [] for t in SEMANTIC_TYPES}
    for p in profiles:
        by_type.setdefault(p.get("semantic_type") or "numeric", []).append(p)
    names = {t: [p["name"] for p in ps] for t, ps in by_type.items()}
    parts: list[tuple[str, Any, list[str]]] = []
    if names["numeric"]:
        parts.append((NUMERIC_BRANCH, _numeric_step(names["numeric"], config), names["numeric"]))
    if names["datetime"]:
        dt = Pipeline(
            [("expand", DateTimeExpander()), ("impute", SimpleImputer(strategy="median"))]
        )
        parts.append(("dt", dt, names["datetime"]))
    if names["boolean"]:
        bo = Pipeline(
            [("encode", BooleanEncoder()), ("impute", SimpleImputer(strategy="most_frequent"))]
        )
        parts.append(("bool", bo, names["boolean"]))
    cats = by_type["categorical"] + by_type["text"]
    parts.extend(_categorical_steps(cats, config, random_state, problem_type))
    if not parts:
        raise ValueError("There are no usable feature columns (only the target or id columns).")
    columns = [p["name"] for p in profiles]
    encode = ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0, n_jobs=1)
    return Pipeline([("select", ColumnSelector(columns=columns)), ("encode", encode)])


def build_model(
    algorithm: str, hyperparameters: dict[str, Any] | None, problem_type: str, random_state: int = 0
) -> Any:
    """The unfitted estimator of catalogue entry `algorithm` (hyperparameters validated first)."""
    spec = catalog.get_algorithm(algorithm)
    if problem_type not in spec.problem_types:
        raise ValueError(f"'{algorithm}' does not solve {problem_type}.")
    errors = spec.validate(hyperparameters or {})
    if errors:
        first = next(iter(errors.items()))
        raise ValueError(f"Invalid hyperparameter {first[0]}: {first[1]}.")
    params = spec.resolve(hyperparameters or {})
    return spec.factory(params, {"problem_type": problem_type, "random_state": random_state})


def build_pipeline(
    *,
    df_schema: list[dict[str, Any]],
    target: str,
    problem_type: str,
    algorithm: str,
    hyperparameters: dict[str, Any] | None,
    preprocessing_config: dict[str, Any] | None = None,
    feature_columns: list[str] | None = None,
    random_state: int = 0,
    feature_config: dict[str, Any] | None = None,
) -> Pipeline:
    """An unfitted `preprocess` -> `features` -> `model` Pipeline with pandas output."""
    profiles = used_columns(df_schema, target, feature_columns)
    pipeline = Pipeline(
        [
            (
                "preprocess",
                build_preprocessor(profiles, preprocessing_config, random_state, problem_type),
            ),
            ("features", build_feature_step(feature_config)),
            ("model", build_model(algorithm, hyperparameters, problem_type, random_state)),
        ]
    )
    return pipeline.set_output(transform="pandas")


def _is_classifier_ensemble(self: WeightedEnsemble) -> bool:
    return self.problem_type == "classification"


class WeightedEnsemble(BaseEstimator):
    """Weighted average of several pipelines' probabilities (classification) or predictions.

    `fit` refits clones of `estimators` on the same rows; `from_fitted` assembles members that
    were already fitted on the training rows.
    """

    def __init__(
        self,
        estimators: list[Any] | None = None,
        weights: list[float] | None = None,
        problem_type: str = "classification",
    ):
        self.estimators = estimators
        self.weights = weights
        self.problem_type = problem_type

    def _finish(self) -> WeightedEnsemble:
        w = np.asarray(self.weights if self.weights is not None else [1.0] * len(self.estimators_))
        self.weights_ = w / w.sum()
        if self.problem_type == "classification":
            self.classes_ = np.asarray(self.estimators_[0].classes_)
        return self

    def fit(self, X: Any, y: Any) -> WeightedEnsemble:
        """Fit a clone of every member on (X, y)."""
        self.estimators_ = [clone(e).fit(X, y) for e in self.estimators or []]
        if not self.estimators_:
            raise ValueError("WeightedEnsemble needs at least one estimator.")
        return self._finish()

    @classmethod
    def from_fitted(
        cls, estimators: list[Any], weights: list[float], problem_type: str
    ) -> WeightedEnsemble:
        """An ensemble of already-fitted members (no refit)."""
        ens = cls(estimators=estimators, weights=weights, problem_type=problem_type)
        ens.estimators_ = list(estimators)
        return ens._finish()

    @available_if(_is_classifier_ensemble)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Weighted mean of the members' probabilities, columns in `classes_` order."""
        check_is_fitted(self, "estimators_")
        total = np.zeros((len(X), len(self.classes_)))
        for est, w in zip(self.estimators_, self.weights_, strict=True):
            proba = np.asarray(est.predict_proba(X))
            cols = [list(self.classes_).index(c) for c in est.classes_]
            total[:, cols] += w * proba
        return total

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class, or the weighted mean prediction."""
        check_is_fitted(self, "estimators_")
        if self.problem_type == "classification":
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        preds = [np.asarray(e.predict(X), dtype=float) for e in self.estimators_]
        return np.average(np.vstack(preds), axis=0, weights=self.weights_)


class TargetScaledRegressor(BaseEstimator):
    """A regressor trained on the standardised target; predictions come back in target units.

    Gradient-trained models (mlp, sgd) need a target near unit scale to converge.
    """

    def __init__(self, regressor: Any = None):
        self.regressor = regressor

    def fit(self, X: Any, y: Any) -> TargetScaledRegressor:
        """Learn the target's mean and scale from (training) `y`, then fit the regressor."""
        y = np.asarray(y, dtype="float64")
        self.mean_ = float(y.mean())
        self.scale_ = float(y.std()) or 1.0
        self.regressor_ = clone(self.regressor).fit(X, (y - self.mean_) / self.scale_)
        return self

    @classmethod
    def from_fitted(cls, regressor: Any, mean: float, scale: float) -> TargetScaledRegressor:
        """Wrap a regressor already trained on `(y - mean) / scale`."""
        out = cls(regressor=regressor)
        out.regressor_, out.mean_, out.scale_ = regressor, float(mean), float(scale)
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Predictions in the target's units."""
        check_is_fitted(self, "regressor_")
        return np.asarray(self.regressor_.predict(X), dtype="float64") * self.scale_ + self.mean_
