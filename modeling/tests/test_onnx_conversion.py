"""Every estimator kind listed for ONNX Runtime converts and answers like scikit-learn: a
library upgrade that breaks a converter (as protobuf 7 broke the histogram boosting one, which
then served every such model in scikit-learn without a word) fails here. Tree nodes are counted
for the conversion's predicted cost, and a model with too many is not converted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import ensemble, linear_model
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from modeling import serving
from modeling.serving import (
    ONNX,
    ONNX_ESTIMATORS,
    ONNX_TREES,
    SKLEARN,
    compile_cost_s,
    compile_for_serving,
    model_tree_nodes,
    to_onnx,
    tree_nodes,
)

rng = np.random.default_rng(0)
X = rng.normal(size=(400, 6))
X_GAPS = X.copy()
X_GAPS[rng.random(X.shape) < 0.1] = np.nan  # histogram boosting routes missing values itself
Y_CLASS = np.where(X[:, 0] + X[:, 1] ** 2 > 0.5, "yes", "no")
Y_VALUE = X[:, 0] * 3 + X[:, 2] - X[:, 3] ** 2

ESTIMATORS = {
    "RandomForestClassifier": ensemble.RandomForestClassifier(n_estimators=20, random_state=0),
    "RandomForestRegressor": ensemble.RandomForestRegressor(n_estimators=20, random_state=0),
    "ExtraTreesClassifier": ensemble.ExtraTreesClassifier(n_estimators=20, random_state=0),
    "ExtraTreesRegressor": ensemble.ExtraTreesRegressor(n_estimators=20, random_state=0),
    "GradientBoostingClassifier": ensemble.GradientBoostingClassifier(n_estimators=20),
    "GradientBoostingRegressor": ensemble.GradientBoostingRegressor(n_estimators=20),
    "HistGradientBoostingClassifier": ensemble.HistGradientBoostingClassifier(max_iter=40),
    "HistGradientBoostingRegressor": ensemble.HistGradientBoostingRegressor(max_iter=40),
    "LogisticRegression": linear_model.LogisticRegression(),
    "Ridge": linear_model.Ridge(),
    "LinearRegression": linear_model.LinearRegression(),
}


def test_every_listed_kind_is_covered():
    assert set(ESTIMATORS) == set(ONNX_ESTIMATORS)


@pytest.mark.parametrize("kind", sorted(ESTIMATORS))
def test_each_listed_kind_converts_and_answers_alike(kind):
    estimator = ESTIMATORS[kind]
    rows = X_GAPS if kind.startswith("HistGradient") else X
    classifier = kind.endswith("Classifier") or kind == "LogisticRegression"
    estimator.fit(rows, Y_CLASS if classifier else Y_VALUE)
    converted = to_onnx(estimator, rows.shape[1])
    assert converted is not None, f"{kind} did not convert"
    fresh = X_GAPS[:200] if kind.startswith("HistGradient") else rng.normal(size=(200, 6))
    if classifier:
        want = estimator.predict_proba(fresh)
        assert np.abs(converted.predict_proba(fresh) - want).max() < 1e-5
        assert (converted.predict(fresh) == estimator.predict(fresh)).mean() >= 0.99
    else:
        tolerance = 1e-4 if kind in ONNX_TREES else 1e-8  # trees sum in float32
        assert np.allclose(converted.predict(fresh), estimator.predict(fresh), atol=tolerance)


@pytest.mark.parametrize("kind", sorted(ONNX_TREES))
def test_tree_nodes_counts_every_tree_of_each_kind(kind):
    estimator = ESTIMATORS[kind]
    rows = X_GAPS if kind.startswith("HistGradient") else X
    classifier = kind.endswith("Classifier")
    estimator.fit(rows, Y_CLASS if classifier else Y_VALUE)
    nodes = tree_nodes(estimator)
    if kind.startswith("HistGradient"):
        want = sum(len(p.nodes) for it in estimator._predictors for p in it)
    else:
        want = sum(t.tree_.node_count for t in np.ravel(estimator.estimators_))
    assert nodes == want > 20  # more than one node per tree: real trees were counted


def test_linear_models_have_no_tree_nodes():
    assert tree_nodes(linear_model.Ridge().fit(X, Y_VALUE)) == 0


def _forest_pipeline(n_estimators: int) -> Pipeline:
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("model", ensemble.RandomForestRegressor(n_estimators=n_estimators, random_state=0)),
        ]
    ).fit(pd.DataFrame(X, columns=list("abcdef")), Y_VALUE)


def test_compile_cost_grows_with_the_trees_to_convert():
    small, big = _forest_pipeline(5), _forest_pipeline(50)
    assert model_tree_nodes(big) > 5 * model_tree_nodes(small) > 0
    assert compile_cost_s(big) > compile_cost_s(small) > 0


def test_compile_cost_grows_with_the_input_width():
    """A check runs the model's own preprocessing on its rows several times: on a table of a
    thousand columns that is most of its time, with few trees to convert."""
    rng = np.random.default_rng(0)
    narrow, wide = (pd.DataFrame(rng.random((60, n))).add_prefix("c") for n in (5, 1000))
    y = rng.random(60)
    costs = [
        compile_cost_s(
            Pipeline([("scale", StandardScaler()), ("model", linear_model.Ridge())]).fit(frame, y)
        )
        for frame in (narrow, wide)
    ]
    assert costs[1] - costs[0] == pytest.approx(995 * serving.CHECK_COLUMN_S)


def test_a_model_over_the_node_limit_is_served_without_onnx(monkeypatch):
    fitted = _forest_pipeline(10)
    rows = pd.DataFrame(X[:100], columns=list("abcdef"))
    assert compile_for_serving(fitted, rows).path == ONNX
    nodes = model_tree_nodes(fitted)
    monkeypatch.setattr(serving, "ONNX_MAX_NODES", nodes - 1)
    served = compile_for_serving(fitted, rows)
    assert served.path == SKLEARN and f"{nodes:,} nodes" in served.detail
    assert np.allclose(served.predict(rows), fitted.predict(rows))
    # Nothing is converted, so the predicted check is its fixed part and its input's width.
    assert compile_cost_s(fitted) == pytest.approx(
        serving.CHECK_BASE_S + 6 * serving.CHECK_COLUMN_S
    )
    # A card that recorded ONNX for it (an older check) is served without ONNX too.
    assert compile_for_serving(fitted, onnx="trusted").path == SKLEARN


def test_compile_cost_counts_the_converter_import_in_a_process_without_it(monkeypatch):
    """A job's first serving check in a process that has not imported skl2onnx imports it
    (seconds under load): the prediction says so, so the budget can refuse the check."""
    import sys

    fitted = _forest_pipeline(5)
    import skl2onnx  # noqa: F401

    loaded = compile_cost_s(fitted)
    monkeypatch.delitem(sys.modules, "skl2onnx")
    assert compile_cost_s(fitted) == pytest.approx(loaded + serving.CHECK_IMPORT_S)


def test_a_worker_preloads_what_training_and_serving_checks_import():
    from celery.signals import worker_init

    from vur.celery import PRELOAD, app, preload_libraries, preload_on_worker_start

    assert {"skl2onnx", "onnxruntime", "training.automl"} <= set(PRELOAD)
    assert preload_libraries() == []
    import sys

    assert all(name in sys.modules for name in PRELOAD)
    assert app.conf.task_acks_late is not None  # configured: the receivers are connected
    assert preload_on_worker_start in [receiver for _key, receiver in worker_init.receivers]
