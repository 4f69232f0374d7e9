"""Tests for model and permutation importances on small fitted scikit-learn pipelines."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from features.importance import (
    feature_label,
    importance_shares,
    merge_importances,
    model_importances,
    permutation_importances,
)


def _data(n: int = 240, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "signal": rng.normal(size=n),
            "noise": rng.normal(size=n),
            "colour": rng.choice(["red", "blue"], n),
        }
    )
    X.loc[:5, "noise"] = np.nan
    y = pd.Series(5 * X["signal"] + 0.3 * (X["colour"] == "red") + 0.1 * rng.normal(size=n))
    return X, y


def _pipeline(model) -> Pipeline:
    preprocess = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                ["signal", "noise"],
            ),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"]),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("model", model)])


@pytest.fixture(scope="module")
def fitted():
    X, y = _data()
    train = slice(0, 180)  # fitted on the first rows only; importances are read on the rest
    model = RandomForestRegressor(n_estimators=30, max_depth=5, random_state=0, n_jobs=1)
    pipeline = _pipeline(model).fit(X.iloc[train], y.iloc[train])
    return pipeline, X.iloc[180:], y.iloc[180:]


def test_model_importances_rank_the_informative_feature_first(fitted):
    pipeline, _, _ = fitted
    result = model_importances(pipeline)
    assert result[0]["feature"] == "num__signal"
    assert {r["feature"] for r in result} == {
        "num__signal",
        "num__noise",
        "cat__colour_blue",
        "cat__colour_red",
    }
    values = [r["importance"] for r in result]
    assert values == sorted(values, reverse=True)
    assert sum(values) == pytest.approx(1.0)
    json.dumps(result, allow_nan=False)


def test_model_importances_use_given_names_and_check_their_count(fitted):
    pipeline, _, _ = fitted
    names = ["s", "n", "blue", "red"]
    assert model_importances(pipeline, feature_names=names)[0]["feature"] == "s"
    with pytest.raises(ValueError, match="feature names"):
        model_importances(pipeline, feature_names=["only_one"])


def test_linear_models_use_absolute_coefficients():
    X, y = _data()
    labels = (y > 0).astype(int)
    pipeline = _pipeline(LogisticRegression(max_iter=500)).fit(X, labels)
    result = model_importances(pipeline)
    assert result[0]["feature"] == "num__signal"
    coef = pipeline[-1].coef_.ravel()
    assert result[0]["importance"] == pytest.approx(np.abs(coef).max())


def test_models_without_importances_answer_none():
    X, y = _data()
    pipeline = _pipeline(KNeighborsRegressor(n_jobs=1)).fit(X, y)
    assert model_importances(pipeline) is None


def test_permutation_importances_rank_raw_columns(fitted):
    pipeline, X_val, y_val = fitted
    result = permutation_importances(pipeline, X_val, y_val, n_repeats=3)
    assert [r["feature"] for r in result][0] == "signal"
    assert {r["feature"] for r in result} == {"signal", "noise", "colour"}
    assert result[0]["importance"] > 10 * abs(result[-1]["importance"])
    assert all(r["std"] >= 0 for r in result)
    json.dumps(result, allow_nan=False)


def test_permutation_importances_are_reproducible_and_cap_rows(fitted):
    pipeline, X_val, y_val = fitted
    first = permutation_importances(pipeline, X_val, y_val, n_repeats=2, random_state=3)
    again = permutation_importances(pipeline, X_val, y_val, n_repeats=2, random_state=3)
    assert first == again
    capped = permutation_importances(pipeline, X_val, y_val, n_repeats=2, max_rows=20)
    assert capped[0]["feature"] == "signal"


def test_permutation_importances_skip_rows_without_target(fitted):
    pipeline, X_val, y_val = fitted
    y_gappy = y_val.copy()
    y_gappy.iloc[:10] = np.nan
    result = permutation_importances(
        pipeline, X_val, y_gappy.reset_index(drop=True), n_repeats=2, scoring="r2"
    )
    assert result[0]["feature"] == "signal"


def test_importance_shares_sum_to_one_without_negatives_or_prefixes():
    out = importance_shares(["num__a", "cat__b_x", "c"], np.array([3.0, -1.0, np.nan]))
    assert out == [
        {"feature": "a", "importance": 1.0},
        {"feature": "b_x", "importance": 0.0},
        {"feature": "c", "importance": 0.0},
    ]
    assert importance_shares(["a"], [0.0]) == [{"feature": "a", "importance": 0.0}]


def test_merge_importances_weights_each_list():
    first = [{"feature": "a", "importance": 1.0}]
    second = [{"feature": "a", "importance": 0.5}, {"feature": "b", "importance": 0.5}]
    merged = merge_importances([(first, 0.5), (second, 0.5)])
    assert merged == [
        {"feature": "a", "importance": pytest.approx(0.75)},
        {"feature": "b", "importance": pytest.approx(0.25)},
    ]


def test_merged_importances_keep_each_name_whole():
    # A member's one-hot names lost their step prefix already; merging must not cut them again
    # ("Home___missing__" became "_missing__", so two columns' missing levels shared one bar).
    first = importance_shares(
        ["onehot__Home___missing__", "onehot__Marital___missing__", "num__a__b"], [2.0, 1.0, 1.0]
    )
    merged = merge_importances([(first, 0.5), (first, 0.5)])
    assert [m["feature"] for m in merged] == ["Home___missing__", "Marital___missing__", "a__b"]
    assert importance_shares(["a__b"], [1.0], strip_prefix=False)[0]["feature"] == "a__b"


def test_feature_label_names_the_column_of_a_coded_level():
    assert feature_label("Home___missing__") == "Home: missing"
    assert feature_label("sex___missing__") == "sex: missing"
    assert feature_label("Job_infrequent_sklearn") == "Job: rare levels"
    assert feature_label("Home_OWN") == "Home_OWN"
    assert feature_label("age") == "age"


def test_transformed_names_count_for_the_column_they_come_from():
    from features.importance import by_column

    items = [
        {"feature": "Status_good", "importance": 0.3},
        {"feature": "Status_bad", "importance": 0.2},
        {"feature": "Status_code_A", "importance": 0.1},  # a column named Status_code
        {"feature": "missingindicator_Assets", "importance": 0.1},
        {"feature": "Assets", "importance": 0.2},
        {"feature": "Price x Age", "importance": 0.1},  # no column: kept as it is
    ]
    out = {
        i["feature"]: i["importance"] for i in by_column(items, ["Status", "Status_code", "Assets"])
    }
    assert out == pytest.approx(
        {"Status": 0.5, "Status_code": 0.1, "Assets": 0.3, "Price x Age": 0.1}
    )


def test_a_blend_of_own_and_permutation_importances_is_on_input_columns_only():
    """A blend of a model with its own importances (one-hot levels) and one measured by
    permutation (input columns) once listed both "Status" and "Status_good"."""
    from features.importance import by_column, merge_importances

    own = [{"feature": "Status_good", "importance": 0.6}, {"feature": "Price", "importance": 0.4}]
    permuted = [{"feature": "Status", "importance": 0.5}, {"feature": "Price", "importance": 0.5}]
    columns = ["Status", "Price"]
    merged = merge_importances(
        [(by_column(own, columns), 0.5), (by_column(permuted, columns), 0.5)]
    )
    assert {i["feature"] for i in merged} == {"Status", "Price"}
    assert sum(i["importance"] for i in merged) == pytest.approx(1.0)
