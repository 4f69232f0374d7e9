"""Tests of the tabular feature step."""

import numpy as np
import pandas as pd

from features.tabular import DropConstantFeatures, build_feature_step
from vur.testing import sklearn_contract_checks


@sklearn_contract_checks([DropConstantFeatures()])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_constant_columns_are_learned_from_training_rows_only():
    train = pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [1.0, 2.0, 3.0]})
    step = DropConstantFeatures().set_output(transform="pandas").fit(train)
    assert list(step.get_feature_names_out()) == ["b"]
    # On the full data "a" varies, but the step only saw the training rows.
    out = step.transform(pd.DataFrame({"a": [5.0], "b": [7.0]}))
    assert list(out.columns) == ["b"]
    assert list(DropConstantFeatures().fit(pd.concat([train, out.assign(a=5.0)])).keep_) == [
        True,
        True,
    ]


def test_keeps_one_column_when_all_are_constant():
    step = DropConstantFeatures().fit(np.ones((4, 3)))
    assert step.transform(np.ones((2, 3))).shape == (2, 1)


def test_build_feature_step_passthrough_when_disabled():
    assert build_feature_step({"drop_constant": False}) == "passthrough"
    assert isinstance(build_feature_step(None), DropConstantFeatures)
