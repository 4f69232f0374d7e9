"""Turns a dataset profile, a preprocessing config and an algorithm choice into one unfitted
scikit-learn `Pipeline` (`preprocess` -> `features` -> `model`), plus the weighted ensemble model.

The `preprocess` step comes from `preprocessing.builder` (its one owner; see there what each
strategy does and which steps apply to the training rows only); the names it had here stay
importable. Django-free.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from features.config import FeatureConfig
from features.tabular import build_feature_step
from modeling import catalog
from preprocessing.builder import (
    ONEHOT_MAX_LEVELS,
    build_preprocessor,
    infer_schema,
    native_names,
    used_columns,
)
from preprocessing.config import PreprocessingConfig

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


def build_model(
    algorithm: str,
    hyperparameters: dict[str, Any] | None,
    problem_type: str,
    random_state: int = 0,
    categorical_features: list[str] | None = None,
) -> Any:
    """The unfitted estimator of catalogue entry `algorithm` (hyperparameters validated first).

    `categorical_features` names the integer-coded category columns of its input, for an
    algorithm that splits on categories itself (`native_categories` in the catalogue)."""
    spec = catalog.get_algorithm(algorithm)
    if problem_type not in spec.problem_types:
        raise ValueError(f"'{algorithm}' does not solve {problem_type}.")
    errors = spec.validate(hyperparameters or {})
    if errors:
        first = next(iter(errors.items()))
        raise ValueError(f"Invalid hyperparameter {first[0]}: {first[1]}.")
    params = spec.resolve(hyperparameters or {}, problem_type)
    if spec.factory is None:
        raise ValueError(f"'{algorithm}' has no estimator to build.")
    context = {"problem_type": problem_type, "random_state": random_state}
    if spec.native_categories and categorical_features:
        context["categorical_features"] = list(categorical_features)
    return spec.factory(params, context)


def build_pipeline(
    *,
    df_schema: list[dict[str, Any]],
    target: str,
    problem_type: str,
    algorithm: str,
    hyperparameters: dict[str, Any] | None,
    preprocessing_config: PreprocessingConfig | dict[str, Any] | None = None,
    feature_columns: list[str] | None = None,
    random_state: int = 0,
    feature_config: FeatureConfig | dict[str, Any] | None = None,
) -> Pipeline:
    """An unfitted `preprocess` -> `features` -> `model` Pipeline with pandas output.

    `preprocessing_config` is parsed by `PreprocessingConfig.parse` (a dict is accepted).
    An algorithm that splits on categories itself (histogram gradient boosting) gets the
    categorical and text columns as integer codes it treats as categories, not one-hot or
    target encoded (`preprocessing.builder`, `native_categories`).
    """
    profiles = used_columns(df_schema, target, feature_columns)
    native = catalog.get_algorithm(algorithm).native_categories
    coded = native_names(profiles, preprocessing_config) if native else []
    pipeline = Pipeline(
        [
            (
                "preprocess",
                build_preprocessor(
                    profiles,
                    preprocessing_config,
                    random_state,
                    problem_type,
                    native_categories=native,
                ),
            ),
            ("features", build_feature_step(feature_config, keep=coded)),
            ("model", build_model(algorithm, hyperparameters, problem_type, random_state, coded)),
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

    @available_if(_is_classifier_ensemble)  # type: ignore[untyped-decorator]  # sklearn: untyped
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


class TargetScaledRegressor(catalog.WrapsRegressor, BaseEstimator):
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
