"""The algorithm catalogue: every trainable algorithm, its hyperparameter schema and its factory.

Tabular entries are defined here; forecasting entries come from `modeling.forecast_catalog`.
Factories take validated, resolved hyperparameters and a context dict (`problem_type`,
`random_state`) and build an unfitted scikit-learn estimator that uses one thread. Django-free.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier, SGDRegressor
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from modeling.forecast_catalog import FORECASTING_SPECS
from modeling.hyperparams import AlgorithmSpec, HyperParam

__all__ = [
    "ALGORITHMS",
    "TABULAR_SPECS",
    "ClippedInputRegressor",
    "LogTargetRegressor",
    "PlattSVC",
    "algorithms_for",
    "auto_algorithms",
    "display_name",
    "get_algorithm",
]

CLS = "classification"
REG = "regression"
BOTH = (CLS, REG)


def _is_cls(context: dict[str, Any]) -> bool:
    return bool(context.get("problem_type", CLS) == CLS)


def _seed(context: dict[str, Any]) -> int:
    return int(context.get("random_state", 0) or 0)


def _depth(value: int) -> int | None:
    """0 means unlimited depth."""
    return None if not value else int(value)


def _max_features(value: Any) -> Any:
    return 1.0 if value == "all" else value


def _hidden(value: str) -> tuple[int, ...]:
    return tuple(int(v) for v in str(value).split(",") if v.strip())


class WrapsRegressor:
    """For a regressor that wraps a fitted inner one (`regressor_`): it answers for the inner
    one's input width and column names, so a served matrix is named before it reaches it."""

    regressor_: Any

    def _inner_fitted(self, fitted: Any) -> None:
        """Keep `fitted` as the inner regressor and take its input width."""
        self.regressor_ = fitted
        if hasattr(fitted, "n_features_in_"):
            self.n_features_in_ = fitted.n_features_in_

    @property
    def feature_names_in_(self) -> np.ndarray:
        """The column names the inner regressor was fitted on (AttributeError when it has none)."""
        return self.regressor_.feature_names_in_


class LogTargetRegressor(WrapsRegressor, RegressorMixin, BaseEstimator):
    """A regressor fitted on log1p(target) whose predictions come back through expm1.

    A multiplicative target (prices, wages) has errors that grow with its size; on the log scale
    they are even, so squared-error trees and linear models fit it better. Predictions are kept
    within the training range on the log scale (widened by `margin` of its width), so a linear
    model cannot extrapolate into exp-sized errors: on the Ames houses, two partial sales of
    4,700-5,100 sq ft houses at 184,000 were predicted 1.0-1.1 million with a 10% margin, and a
    blend holding that model at 12% weight scored worse than each of its other members. The
    target must be greater than -1.
    """

    def __init__(self, regressor: Any = None, margin: float = 0.0):
        self.regressor = regressor
        self.margin = margin

    def fit(self, X: Any, y: Any) -> LogTargetRegressor:
        """Fit a clone of `regressor` on log1p(y)."""
        y = np.asarray(y, dtype="float64")
        if y.size and y.min() <= -1.0:
            raise ValueError("A log target needs every target value above -1.")
        z = np.log1p(y)
        width = float(z.max() - z.min()) if z.size else 0.0
        self.low_ = float(z.min()) - self.margin * width
        self.high_ = float(z.max()) + self.margin * width
        self._inner_fitted(clone(self.regressor).fit(X, z))
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predictions in the target's units."""
        z = np.asarray(self.regressor_.predict(X), dtype="float64")
        out: np.ndarray = np.expm1(np.clip(z, self.low_, self.high_))
        return out


class ClippedInputRegressor(WrapsRegressor, RegressorMixin, BaseEstimator):
    """A regressor whose every input column is clipped to the central range of its training
    values, in fitting and in prediction, so a linear model does not extrapolate on a row far
    outside what it was fitted on.

    The bounds of a column are training values: the `quantile`-th lowest and highest (with 0.01,
    the 1st and 99th percentiles). A column where these meet (a rare 0/1 flag, a value that is
    mostly zero) keeps its whole training range instead, so no column is flattened. Only the
    training rows set the bounds (cross-validation folds learn their own).
    """

    def __init__(self, regressor: Any = None, quantile: float = 0.01):
        self.regressor = regressor
        self.quantile = quantile

    @staticmethod
    def bounds(values: np.ndarray, quantile: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
        """The (lower, upper) bound of each column of `values` (rows x columns, NaN ignored)."""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column stays unbounded
            low = np.nanquantile(values, quantile, axis=0, method="lower")
            high = np.nanquantile(values, 1.0 - quantile, axis=0, method="higher")
            flat = ~(high > low)
            lower = np.where(flat, np.nanmin(values, axis=0), low)
            upper = np.where(flat, np.nanmax(values, axis=0), high)
        return np.nan_to_num(lower, nan=-np.inf), np.nan_to_num(upper, nan=np.inf)

    def _clipped(self, X: Any) -> Any:
        values = np.asarray(X, dtype="float64")
        clipped = np.clip(values, self.lower_, self.upper_)
        if hasattr(X, "columns"):  # keep a frame's names for the inner model
            return type(X)(clipped, index=X.index, columns=X.columns)
        return clipped

    def fit(self, X: Any, y: Any) -> ClippedInputRegressor:
        """Learn each column's bounds from the rows of `X`, then fit a clone of `regressor` on
        the clipped rows."""
        self.lower_, self.upper_ = self.bounds(np.asarray(X, dtype="float64"), self.quantile)
        self._inner_fitted(clone(self.regressor).fit(self._clipped(X), y))
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The inner regressor's predictions on the clipped rows."""
        return np.asarray(self.regressor_.predict(self._clipped(X)), dtype="float64")


class PlattSVC(ClassifierMixin, BaseEstimator):
    """A support vector classifier with Platt-scaled probabilities: the sigmoid is fitted on
    out-of-fold decision values, then one SVC is fitted on every row. This is what
    `SVC(probability=True)` did, which scikit-learn 1.9 deprecates.

    Up to `folds` stratified folds, fewer when the rarest class has fewer rows, so each fold
    trains on every class. A class with a single row leaves no fold to hold it out; then the
    sigmoid is fitted on the training rows' own decision values.
    """

    def __init__(
        self,
        C: float = 1.0,
        kernel: str = "rbf",
        gamma: Any = "scale",
        folds: int = 5,
        random_state: int | None = None,
    ):
        self.C = C
        self.kernel = kernel
        self.gamma = gamma
        self.folds = folds
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> PlattSVC:
        """Fit the SVC and its probability calibration."""
        svc = SVC(C=self.C, kernel=self.kernel, gamma=self.gamma, random_state=self.random_state)
        rarest = int(np.unique(np.asarray(y), return_counts=True)[1].min())
        folds = min(self.folds, rarest)
        if folds >= 2:
            cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            self.calibrated_ = CalibratedClassifierCV(svc, cv=cv, ensemble=False, n_jobs=1)
        else:  # one split holding every row out of an SVC that is already fitted on them
            rows = np.arange(len(y))
            self.calibrated_ = CalibratedClassifierCV(
                FrozenEstimator(svc.fit(X, y)), cv=[(rows, rows)]
            )
        self.calibrated_.fit(X, y)
        self.classes_ = self.calibrated_.classes_
        self.n_features_in_ = self.calibrated_.n_features_in_
        return self

    @property
    def feature_names_in_(self) -> np.ndarray:
        """The column names the calibrated SVC was fitted on (AttributeError when it has none),
        so a served matrix is named before it reaches it."""
        return self.calibrated_.feature_names_in_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated class probabilities, columns in `classes_` order."""
        out: np.ndarray = self.calibrated_.predict_proba(X)
        return out

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class."""
        return np.asarray(self.classes_)[np.argmax(self.predict_proba(X), axis=1)]


def _log_target(model: Any, params: dict[str, Any], context: dict[str, Any]) -> Any:
    """`model`, wrapped to fit on log1p(target) when asked (regression only)."""
    if _is_cls(context) or params.get("target_transform", "none") != "log":
        return model
    return LogTargetRegressor(regressor=model)


_TARGET_TRANSFORM = HyperParam(
    "target_transform",
    "categorical",
    "none",
    choices=("none", "log"),
    description="Regression: fit on log1p(target), predict with expm1 (target > -1).",
    only_for="regression",
)


def _linear(params: dict[str, Any], context: dict[str, Any]) -> Any:
    if _is_cls(context):
        return LogisticRegression(
            C=1.0 / params["alpha"], max_iter=int(params["max_iter"]), random_state=_seed(context)
        )
    ridge: Any = Ridge(alpha=params["alpha"], random_state=_seed(context))
    if params.get("clip_inputs"):
        ridge = ClippedInputRegressor(regressor=ridge)
    return _log_target(ridge, params, context)


def _forest(params: dict[str, Any], context: dict[str, Any], cls: type, reg: type) -> Any:
    kwargs = {
        "n_estimators": params["n_estimators"],
        "max_depth": _depth(params["max_depth"]),
        "min_samples_leaf": params["min_samples_leaf"],
        "max_features": _max_features(params["max_features"]),
        "bootstrap": params["bootstrap"],
        "n_jobs": 1,
        "random_state": _seed(context),
    }
    if _is_cls(context):
        return cls(criterion=params["criterion_cls"], **kwargs)
    return _log_target(reg(**kwargs), params, context)


def _random_forest(params: dict[str, Any], context: dict[str, Any]) -> Any:
    return _forest(params, context, RandomForestClassifier, RandomForestRegressor)


def _extra_trees(params: dict[str, Any], context: dict[str, Any]) -> Any:
    return _forest(params, context, ExtraTreesClassifier, ExtraTreesRegressor)


def _hgb(params: dict[str, Any], context: dict[str, Any]) -> Any:
    kwargs = {
        "learning_rate": params["learning_rate"],
        "max_iter": params["max_iter"],
        "max_leaf_nodes": params["max_leaf_nodes"],
        "max_depth": _depth(params["max_depth"]),
        "min_samples_leaf": params["min_samples_leaf"],
        "l2_regularization": params["l2_regularization"],
        "max_features": params["max_features"],
        "early_stopping": params["early_stopping"],
        "validation_fraction": 0.1,
        "n_iter_no_change": 20,
        "random_state": _seed(context),
        # Names of the integer-coded category columns (`preprocessing.builder.native_names`).
        "categorical_features": context.get("categorical_features") or None,
    }
    if _is_cls(context):
        return HistGradientBoostingClassifier(**kwargs)
    return _log_target(HistGradientBoostingRegressor(**kwargs), params, context)


def _gradient_boosting(params: dict[str, Any], context: dict[str, Any]) -> Any:
    kwargs = {
        "n_estimators": params["n_estimators"],
        "learning_rate": params["learning_rate"],
        "max_depth": params["max_depth"],
        "subsample": params["subsample"],
        "min_samples_leaf": params["min_samples_leaf"],
        "max_features": None if params["max_features"] == "all" else params["max_features"],
        "random_state": _seed(context),
    }
    if _is_cls(context):
        return GradientBoostingClassifier(**kwargs)
    return GradientBoostingRegressor(**kwargs)


def _knn(params: dict[str, Any], context: dict[str, Any]) -> Any:
    kwargs = {"n_neighbors": params["n_neighbors"], "weights": params["weights"], "p": params["p"]}
    if _is_cls(context):
        return KNeighborsClassifier(n_jobs=1, **kwargs)
    return KNeighborsRegressor(n_jobs=1, **kwargs)


def _mlp(params: dict[str, Any], context: dict[str, Any]) -> Any:
    kwargs = {
        "hidden_layer_sizes": _hidden(params["hidden_layer_sizes"]),
        "activation": params["activation"],
        "alpha": params["alpha"],
        "learning_rate_init": params["learning_rate_init"],
        "batch_size": params["batch_size"],
        "max_iter": params["max_iter"],
        "early_stopping": params["early_stopping"],
        "random_state": _seed(context),
    }
    if _is_cls(context):
        return MLPClassifier(**kwargs)
    return MLPRegressor(**kwargs)


def _sgd(params: dict[str, Any], context: dict[str, Any]) -> Any:
    kwargs = {
        "penalty": params["penalty"],
        "alpha": params["alpha"],
        "l1_ratio": params["l1_ratio"],
        "learning_rate": params["learning_rate"],
        "eta0": params["eta0"],
        "max_iter": params["max_iter"],
        "random_state": _seed(context),
    }
    if _is_cls(context):
        return SGDClassifier(loss="log_loss", n_jobs=1, **kwargs)
    return SGDRegressor(loss="squared_error", **kwargs)


def _svm(params: dict[str, Any], context: dict[str, Any]) -> Any:
    kwargs = {"C": params["C"], "kernel": params["kernel"], "gamma": params["gamma"]}
    if _is_cls(context):
        return PlattSVC(random_state=_seed(context), **kwargs)
    # On the standardised target, so that C and epsilon mean the same on prices as on rates.
    return TransformedTargetRegressor(
        regressor=SVR(epsilon=params["epsilon"], **kwargs), transformer=StandardScaler()
    )


def _decision_tree(params: dict[str, Any], context: dict[str, Any]) -> Any:
    kwargs = {
        "max_depth": _depth(params["max_depth"]),
        "min_samples_leaf": params["min_samples_leaf"],
        "random_state": _seed(context),
    }
    if _is_cls(context):
        return DecisionTreeClassifier(**kwargs)
    return DecisionTreeRegressor(**kwargs)


def _forest_params(n_estimators: int) -> tuple[HyperParam, ...]:
    return (
        HyperParam("n_estimators", "int", n_estimators, 10, 1000, description="Number of trees."),
        HyperParam(
            "max_depth",
            "int",
            0,
            0,
            60,
            description="Tree depth limit (0 = no limit).",
            zero_means="no limit",
        ),
        HyperParam("min_samples_leaf", "int", 1, 1, 50, log=True, description="Rows per leaf."),
        HyperParam(
            "max_features",
            "categorical",
            "sqrt",
            choices=("sqrt", "log2", "all", 0.5),
            description="Features tried per split ('all' = every feature).",
        ),
        HyperParam("bootstrap", "bool", False, description="Sample rows with replacement."),
        HyperParam(
            "criterion_cls",
            "categorical",
            "gini",
            choices=("gini", "entropy"),
            description="Split criterion (classification only).",
            only_for="classification",
        ),
        _TARGET_TRANSFORM,
    )


_RF_PARAMS = list(_forest_params(200))
_RF_PARAMS[4] = HyperParam("bootstrap", "bool", True, description="Sample rows with replacement.")

TABULAR_SPECS: list[AlgorithmSpec] = [
    AlgorithmSpec(
        name="hist_gradient_boosting",
        display_name="Histogram gradient boosting",
        problem_types=BOTH,
        description="Fast gradient-boosted trees on binned features; strong default for tables.",
        hyperparameters=(
            HyperParam("learning_rate", "float", 0.1, 0.005, 1.0, log=True),
            HyperParam("max_iter", "int", 300, 10, 3000, log=True, description="Boosting rounds."),
            HyperParam("max_leaf_nodes", "int", 31, 4, 256, log=True),
            HyperParam(
                "max_depth",
                "int",
                0,
                0,
                20,
                description="Depth limit (0 = no limit).",
                zero_means="no limit",
            ),
            HyperParam("min_samples_leaf", "int", 20, 1, 200, log=True),
            HyperParam("l2_regularization", "float", 0.0, 0.0, 10.0),
            HyperParam("max_features", "float", 1.0, 0.1, 1.0, description="Feature fraction."),
            HyperParam("early_stopping", "bool", True, description="Stop on a validation slice."),
            _TARGET_TRANSFORM,
        ),
        factory=_hgb,
        native_categories=True,
    ),
    AlgorithmSpec(
        name="linear",
        display_name="Linear model (logistic / ridge)",
        problem_types=BOTH,
        description="Logistic regression for classes, ridge regression for numbers.",
        problem_names={CLS: "Logistic regression", REG: "Ridge regression"},
        problem_descriptions={
            CLS: "Linear model of the class probabilities with an L2 penalty; fast, a baseline.",
            REG: "Least squares with an L2 penalty on the weights; fast, a baseline.",
        },
        hyperparameters=(
            HyperParam("alpha", "float", 1.0, 1e-4, 1e4, log=True, description="L2 strength."),
            HyperParam("max_iter", "int", 1000, 50, 10000, log=True),
            _TARGET_TRANSFORM,
            HyperParam(
                "clip_inputs",
                "bool",
                False,
                description="Regression: clip each input to its 1st-99th percentile in the "
                "training rows (a rare flag keeps its whole range), so far-out rows are not "
                "extrapolated.",
                only_for="regression",
            ),
        ),
        factory=_linear,
    ),
    AlgorithmSpec(
        name="random_forest",
        display_name="Random forest",
        problem_types=BOTH,
        description="Averaged bootstrap decision trees; robust, little tuning.",
        hyperparameters=tuple(_RF_PARAMS),
        factory=_random_forest,
    ),
    AlgorithmSpec(
        name="extra_trees",
        display_name="Extra trees",
        problem_types=BOTH,
        description="Randomised-split tree ensemble; fast and low-variance.",
        hyperparameters=_forest_params(200),
        factory=_extra_trees,
    ),
    AlgorithmSpec(
        name="gradient_boosting",
        display_name="Gradient boosting",
        problem_types=BOTH,
        description="Classic gradient boosting, trained stage by stage with per-epoch metrics.",
        hyperparameters=(
            HyperParam("n_estimators", "int", 200, 10, 3000, log=True, description="Stages."),
            HyperParam("learning_rate", "float", 0.1, 0.005, 1.0, log=True),
            HyperParam("max_depth", "int", 3, 1, 12),
            HyperParam("subsample", "float", 1.0, 0.3, 1.0),
            HyperParam("min_samples_leaf", "int", 1, 1, 100, log=True),
            HyperParam("max_features", "categorical", "all", choices=("all", "sqrt", "log2")),
        ),
        supports_epochs=True,
        factory=_gradient_boosting,
    ),
    AlgorithmSpec(
        name="mlp",
        display_name="Neural network (MLP)",
        problem_types=BOTH,
        description="Multi-layer perceptron trained epoch by epoch with Adam.",
        hyperparameters=(
            HyperParam(
                "hidden_layer_sizes",
                "categorical",
                "128,64",
                choices=("32", "64", "128", "64,32", "128,64", "256,128", "128,64,32"),
                description="Units per hidden layer, comma-separated.",
            ),
            HyperParam("activation", "categorical", "relu", choices=("relu", "tanh", "logistic")),
            HyperParam("alpha", "float", 1e-4, 1e-7, 1.0, log=True, description="L2 strength."),
            HyperParam("learning_rate_init", "float", 1e-3, 1e-5, 0.1, log=True),
            HyperParam("batch_size", "int", 64, 8, 2048, log=True),
            HyperParam("max_iter", "int", 200, 1, 5000, description="Epoch cap outside AutoML."),
            HyperParam("early_stopping", "bool", False, description="sklearn's own stopping."),
        ),
        supports_epochs=True,
        factory=_mlp,
    ),
    AlgorithmSpec(
        name="sgd",
        display_name="Linear model (SGD)",
        problem_types=BOTH,
        description="Linear model trained by stochastic gradient descent, epoch by epoch.",
        problem_names={CLS: "Logistic regression (SGD)", REG: "Linear regression (SGD)"},
        problem_descriptions={
            CLS: "Logistic regression trained by stochastic gradient descent, epoch by epoch.",
            REG: "Linear regression trained by stochastic gradient descent, epoch by epoch.",
        },
        hyperparameters=(
            HyperParam("alpha", "float", 1e-4, 1e-7, 1.0, log=True),
            HyperParam("penalty", "categorical", "l2", choices=("l2", "l1", "elasticnet")),
            HyperParam("l1_ratio", "float", 0.15, 0.0, 1.0),
            HyperParam(
                "learning_rate",
                "categorical",
                "adaptive",
                choices=("optimal", "invscaling", "adaptive", "constant"),
            ),
            HyperParam("eta0", "float", 0.05, 1e-5, 1.0, log=True, description="Initial step."),
            HyperParam("max_iter", "int", 1000, 1, 10000, description="Epoch cap outside AutoML."),
        ),
        supports_epochs=True,
        factory=_sgd,
    ),
    AlgorithmSpec(
        name="knn",
        display_name="k-nearest neighbours",
        problem_types=BOTH,
        description="Predicts from the closest training rows; best on small, scaled data.",
        hyperparameters=(
            HyperParam("n_neighbors", "int", 15, 1, 200, log=True),
            HyperParam("weights", "categorical", "distance", choices=("uniform", "distance")),
            HyperParam("p", "int", 2, 1, 2, description="1 = Manhattan, 2 = Euclidean."),
        ),
        factory=_knn,
    ),
    AlgorithmSpec(
        name="svm",
        display_name="Support vector machine",
        problem_types=BOTH,
        description="Kernel SVM; strong on small data, slow beyond a few thousand rows.",
        hyperparameters=(
            HyperParam("C", "float", 1.0, 1e-3, 1e3, log=True),
            HyperParam("kernel", "categorical", "rbf", choices=("rbf", "linear", "poly")),
            HyperParam("gamma", "categorical", "scale", choices=("scale", "auto")),
            HyperParam(
                "epsilon",
                "float",
                0.1,
                0.0,
                10.0,
                description="Regression tube width, in standard deviations of the target.",
                only_for="regression",
            ),
        ),
        factory=_svm,
    ),
    AlgorithmSpec(
        name="decision_tree",
        display_name="Decision tree",
        problem_types=BOTH,
        description="One interpretable tree; a baseline.",
        hyperparameters=(
            HyperParam(
                "max_depth",
                "int",
                8,
                0,
                60,
                description="Depth limit (0 = no limit).",
                zero_means="no limit",
            ),
            HyperParam("min_samples_leaf", "int", 5, 1, 200, log=True),
        ),
        factory=_decision_tree,
        in_auto=False,
    ),
]

ALGORITHMS: dict[str, AlgorithmSpec] = {
    spec.name: spec for spec in [*TABULAR_SPECS, *FORECASTING_SPECS]
}


def algorithms_for(problem_type: str) -> list[AlgorithmSpec]:
    """Every catalogue entry that solves `problem_type`."""
    return [s for s in ALGORITHMS.values() if problem_type in s.problem_types]


def get_algorithm(name: str) -> AlgorithmSpec:
    """The catalogue entry called `name`; raises KeyError for an unknown name."""
    try:
        return ALGORITHMS[name]
    except KeyError:
        raise KeyError(f"Unknown algorithm '{name}'.") from None


def display_name(name: Any, problem_type: Any = None) -> str:
    """The name people know algorithm `name` by ("Histogram gradient boosting"), for logs and
    pages alike. Given a problem type, an algorithm that is one thing per problem type is named
    as that ("Ridge regression" for a regression "linear", not "Linear model (logistic /
    ridge)"); a table's blend (stored as "ensemble") is "Weighted blend"."""
    key, kind = str(name or ""), str(problem_type or "")
    spec = ALGORITHMS.get(key)
    if spec is not None and (not kind or kind in spec.problem_types):
        return spec.name_for(kind)
    if key in ("blend", "ensemble"):  # a table's blend is stored as "ensemble" too
        return "Weighted blend"
    if spec is not None:
        return spec.display_name
    return key.replace("_", " ").capitalize()


def auto_algorithms(problem_type: str) -> list[str]:
    """The algorithms tried when the user asks for "auto", most promising first."""
    return [s.name for s in algorithms_for(problem_type) if s.in_auto]
