"""Tests of the tabular feature step."""

import numpy as np
import pandas as pd

from features.tabular import DropConstantFeatures, InteractionFeatures, build_feature_step
from vur.testing import sklearn_contract_checks


@sklearn_contract_checks([DropConstantFeatures(), InteractionFeatures(pairs=[("a", "b")])])
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


def test_interactions_multiply_the_preprocessed_numeric_columns():
    X = pd.DataFrame(
        {
            "num__a": [1.0, 2.0, -1.0],
            "num__b": [3.0, 0.5, 2.0],
            "num__c": [0.0, 1.0, 1.0],
            "onehot__city_x": [1.0, 0.0, 1.0],
        }
    )
    step = InteractionFeatures(pairs=[("a", "b"), ("b", "c"), ("a", "city"), ("a", "gone")])
    out = step.set_output(transform="pandas").fit(X).transform(X)
    assert list(out.columns) == [*X.columns, "a*b", "b*c"]
    assert out["a*b"].tolist() == [3.0, 1.0, -2.0]
    assert out["b*c"].tolist() == [0.0, 0.5, 2.0]
    # A categorical column or one left out by feature selection is not multiplied.
    assert step.skipped_ == ["a*city", "a*gone"]


def test_feature_step_adds_interactions_before_dropping_constants():
    step = build_feature_step({"interactions": [["a", "b"]]}).set_output(transform="pandas")
    X = pd.DataFrame({"num__a": [1.0, 2.0, 3.0], "num__b": [2.0, 2.0, 2.0], "num__k": [1.0] * 3})
    out = step.fit_transform(X)
    assert list(out.columns) == ["num__a", "a*b"]  # b and k are constant, a*b is not
    assert build_feature_step({"interactions": False}).__class__ is DropConstantFeatures
