"""Tests of the algorithm catalogue: schemas, factories and look-ups."""

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor

from modeling import catalog

REQUIRED = [
    "linear",
    "random_forest",
    "extra_trees",
    "hist_gradient_boosting",
    "gradient_boosting",
    "knn",
    "mlp",
    "sgd",
]


def test_required_algorithms_exist_with_schemas():
    for name in REQUIRED:
        spec = catalog.get_algorithm(name)
        assert set(spec.problem_types) == {"classification", "regression"}
        assert spec.hyperparameters, name
        assert spec.validate(spec.defaults()) == {}
        assert spec.as_dict()["hyperparameters"][0]["type"] in (
            "int",
            "float",
            "bool",
            "categorical",
        )
    assert catalog.get_algorithm("mlp").supports_epochs
    assert catalog.get_algorithm("sgd").supports_epochs
    assert catalog.get_algorithm("gradient_boosting").supports_epochs


@pytest.mark.parametrize("spec", catalog.TABULAR_SPECS, ids=lambda s: s.name)
def test_factories_build_single_threaded_seeded_estimators(spec):
    for problem in spec.problem_types:
        est = spec.factory(spec.defaults(), {"problem_type": problem, "random_state": 7})
        assert is_classifier(est) if problem == "classification" else is_regressor(est)
        params = est.get_params()
        # LogisticRegression's n_jobs has no effect since scikit-learn 1.8 (always one thread).
        if "n_jobs" in params and not name_is_logistic(est):
            assert params["n_jobs"] == 1
        if "random_state" in params:
            assert params["random_state"] == 7


def name_is_logistic(est):
    return type(est).__name__ == "LogisticRegression"


def test_lookups():
    with pytest.raises(KeyError):
        catalog.get_algorithm("nope")
    cls = {s.name for s in catalog.algorithms_for("classification")}
    assert set(REQUIRED) <= cls
    auto = catalog.auto_algorithms("regression")
    assert "hist_gradient_boosting" in auto and "decision_tree" not in auto
    assert all(catalog.ALGORITHMS[n].in_auto for n in auto)


def test_validation_reports_bad_values():
    spec = catalog.get_algorithm("random_forest")
    errors = spec.validate({"n_estimators": 0, "max_features": "bogus", "nope": 1})
    assert set(errors) == {"n_estimators", "max_features", "nope"}


def test_parameters_of_one_problem_type_are_left_out_of_the_other():
    svm = catalog.get_algorithm("svm")
    assert "epsilon" in svm.resolve({}, "regression")
    assert "epsilon" not in svm.resolve({"epsilon": 0.5}, "classification")
    assert svm.resolve({"C": 2}, "classification") == {"C": 2, "kernel": "rbf", "gamma": "scale"}
    forest = catalog.get_algorithm("random_forest")
    assert "criterion_cls" not in forest.defaults("regression")
    assert "target_transform" not in forest.defaults("classification")
    assert set(forest.defaults()) == {p.name for p in forest.hyperparameters}
    listed = {p["name"]: p for p in svm.as_dict()["hyperparameters"]}
    assert listed["epsilon"]["only_for"] == "regression" and "only_for" not in listed["C"]
    # Every factory builds from the parameters of each type it solves, and nothing else.
    for spec in catalog.ALGORITHMS.values():
        for problem_type in spec.problem_types:
            if spec.factory is not None and problem_type != "forecasting":
                context = {"problem_type": problem_type, "random_state": 0}
                assert spec.factory(spec.resolve({}, problem_type), context) is not None


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["low", "mid", "high"]),
        np.array([0, 1, 2]),
        np.array([True, False, True]),
    ],
    ids=["text", "int", "bool"],
)
def test_the_svm_classifier_gives_calibrated_probabilities_without_deprecated_options(labels):
    import pickle
    import warnings

    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    codes = np.digitize(X[:, 0] + 0.3 * X[:, 1], [-0.4, 0.4])
    classes = np.unique(labels)
    y = labels[codes % len(labels)] if len(classes) == 3 else np.where(codes > 0, *classes[::-1])
    spec = catalog.get_algorithm("svm")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn 1.9 deprecates SVC(probability=True)
        model = spec.factory(spec.resolve({}, "classification"), {"problem_type": "classification"})
        model.fit(X, y)
        proba = model.predict_proba(X)
    assert list(model.classes_) == sorted(set(y.tolist()))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(X) == np.asarray(model.classes_)[proba.argmax(axis=1)]).all()
    assert (model.predict(X) == y).mean() > 0.85
    again = pickle.loads(pickle.dumps(model))
    assert np.array_equal(again.predict_proba(X), proba)


def test_the_svm_classifier_copes_with_a_class_of_one_or_two_rows():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    for rare in (1, 2):
        y = np.array(["common"] * (40 - rare) + ["rare"] * rare)
        X[-rare:] += 4.0
        model = catalog.PlattSVC(random_state=0).fit(X, y)
        proba = model.predict_proba(X)
        assert proba.shape == (40, 2) and np.allclose(proba.sum(axis=1), 1.0)
        assert proba[-1, 1] > proba[0, 1]  # the rare rows look rarer than a common one


def test_a_log_target_model_never_predicts_beyond_the_training_range():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    X = rng.uniform(1.0, 3.0, size=(200, 1))
    y = np.exp(1.0 + X[:, 0]) * rng.lognormal(0.0, 0.05, 200)
    model = catalog.LogTargetRegressor(LinearRegression()).fit(X, y)
    # Inside the range the model's own answers stand.
    z = model.regressor_.predict(X)
    within = (z >= model.low_) & (z <= model.high_)
    assert within.mean() > 0.9
    assert np.allclose(model.predict(X)[within], np.expm1(z[within]))
    # A row far outside the training inputs: the log-linear fit would give exp-sized values.
    far = model.predict(np.array([[10.0], [-10.0]]))
    assert np.expm1(model.regressor_.predict(np.array([[10.0]])))[0] > 100 * y.max()
    assert far[0] == pytest.approx(y.max()) and far[1] == pytest.approx(y.min())
    assert model.predict(X).max() <= y.max() * (1 + 1e-12)


def test_a_clipped_input_model_holds_far_out_rows_at_the_training_percentiles():
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    size = rng.uniform(1.0, 3.0, 500)
    flag = (np.arange(500) < 3).astype(float)  # a rare 0/1 flag: 3 rows of 500
    X = pd.DataFrame({"size": size, "flag": flag})
    y = 2.0 * size + 5.0 * flag
    model = catalog.ClippedInputRegressor(LinearRegression()).fit(X, y)
    # The bounds are training values at the 1st / 99th percentiles; the rare flag keeps 0..1.
    assert model.lower_[0] == pytest.approx(np.quantile(size, 0.01, method="lower"))
    assert model.upper_[0] == pytest.approx(np.quantile(size, 0.99, method="higher"))
    assert list(model.lower_[1:]) == [0.0] and list(model.upper_[1:]) == [1.0]
    assert list(model.feature_names_in_) == ["size", "flag"]
    far = pd.DataFrame({"size": [30.0, -30.0], "flag": [1.0, 0.0]})
    hold = model.predict(far)
    assert hold[0] == pytest.approx(
        model.predict(pd.DataFrame({"size": [model.upper_[0]], "flag": [1.0]}))[0]
    )
    assert hold[1] == pytest.approx(2.0 * model.lower_[0], abs=0.1)
    # The rare flag still counts: it is not flattened to 0.
    assert model.regressor_.coef_[1] == pytest.approx(5.0, abs=0.5)


def test_the_linear_regressor_clips_inputs_when_asked_and_not_otherwise():
    from sklearn.linear_model import Ridge

    spec = catalog.get_algorithm("linear")
    context = {"problem_type": "regression", "random_state": 0}
    plain = spec.factory(spec.resolve({}, "regression"), context)
    assert isinstance(plain, Ridge)
    params = spec.resolve({"clip_inputs": True, "target_transform": "log"}, "regression")
    model = spec.factory(params, context)
    assert isinstance(model, catalog.LogTargetRegressor)
    assert isinstance(model.regressor, catalog.ClippedInputRegressor)
    assert "clip_inputs" not in spec.defaults("classification")


def test_a_zero_meaning_is_described_in_the_words_the_logs_and_pages_use():
    """The API's description of a hyperparameter whose 0 stands for a rule says "0 = <rule>" in
    the very words of `zero_means`, which the job logs and the model page show ("0 = unlimited"
    and "0 = none" once sat beside a page and logs that said "no limit")."""
    params = [p for spec in catalog.ALGORITHMS.values() for p in spec.hyperparameters]
    zero_meaning = [p for p in params if p.zero_means]
    assert {p.name for p in zero_meaning} >= {"max_depth", "season_length", "max_lag"}
    for param in zero_meaning:
        assert f"0 = {param.zero_means}" in param.description, (param.name, param.description)
