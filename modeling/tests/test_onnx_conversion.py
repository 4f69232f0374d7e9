"""Every estimator kind listed for ONNX Runtime converts and answers like scikit-learn: a
library upgrade that breaks a converter (as protobuf 7 broke the histogram boosting one, which
then served every such model in scikit-learn without a word) fails here."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import ensemble, linear_model

from modeling.serving import ONNX_ESTIMATORS, ONNX_TREES, to_onnx

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
