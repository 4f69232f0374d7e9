"""Tests of the pipeline builder: schema inference, typed preprocessing and leakage."""

import io

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from training.builder import WeightedEnsemble, build_pipeline, infer_schema


def _frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "customer_id": np.arange(1000, 1000 + n),
            "age": rng.normal(40, 10, n),
            "city": rng.choice(["paris", "lyon", "nice"], n),
            "signup": pd.date_range("2020-01-01 08:00", periods=n, freq="97h").astype(str),
            "active": rng.choice(["yes", "no"], n),
        }
    )
    df.loc[::6, "age"] = np.nan
    df.loc[::5, "city"] = None
    df["label"] = np.where(df["age"].fillna(40) + (df["city"] == "paris") * 15 > 45, "high", "low")
    return df


def _build(df, algorithm="linear", problem="classification", target="label", params=None, **kw):
    return build_pipeline(
        df_schema=infer_schema(df),
        target=target,
        problem_type=problem,
        algorithm=algorithm,
        hyperparameters=params or {},
        **kw,
    )


def test_infer_schema_semantic_types():
    types = {c["name"]: c["semantic_type"] for c in infer_schema(_frame())}
    assert types == {
        "customer_id": "id",
        "age": "numeric",
        "city": "categorical",
        "signup": "datetime",
        "active": "boolean",
        "label": "categorical",
    }


def test_pipeline_steps_drop_ids_and_expand_dates():
    df = _frame()
    pipe = _build(df).fit(df.drop(columns="label"), df["label"])
    assert [name for name, _ in pipe.steps] == ["preprocess", "features", "model"]
    cols = list(pipe[:-1].transform(df.head(3)).columns)
    assert not any("customer_id" in c for c in cols)
    for part in ("year", "month", "day", "dayofweek", "hour"):
        assert f"dt__signup_{part}" in cols
    assert "num__missingindicator_age" in cols and "bool__active" in cols


def test_string_labels_unseen_categories_extra_columns_and_joblib():
    df = _frame()
    pipe = _build(df, algorithm="hist_gradient_boosting", params={"max_iter": 20}).fit(
        df.drop(columns="label"), df["label"]
    )
    assert list(pipe.classes_) == ["high", "low"]
    new = df.drop(columns=["label", "customer_id"]).head(4).iloc[:, ::-1].copy()
    new["city"] = ["marseille", None, "paris", "lyon"]  # unseen and missing categories
    new["unrelated"] = 1
    pred = pipe.predict(new)
    assert set(pred) <= {"high", "low"}
    assert pipe.predict_proba(new).shape == (4, 2)
    buf = io.BytesIO()
    joblib.dump(pipe, buf)
    buf.seek(0)
    assert list(joblib.load(buf).predict(new)) == list(pred)


def test_imputer_statistic_is_the_training_median():
    df = _frame()
    train = df.iloc[:60]
    pipe = _build(df, preprocessing_config={"missing_values_strategy": "median"})
    pipe.fit(train.drop(columns="label"), train["label"])
    num = pipe.named_steps["preprocess"].named_steps["encode"].named_transformers_["num"]
    stat = num.named_steps["impute"].statistics_[0]
    assert stat == pytest.approx(train["age"].median())
    assert stat != pytest.approx(df["age"].median())


def test_onehot_categories_learned_from_training_rows_only():
    df = _frame()
    train = df[df["city"] != "nice"]
    pipe = _build(df).fit(train.drop(columns="label"), train["label"])
    enc = pipe.named_steps["preprocess"].named_steps["encode"].named_transformers_["onehot"]
    cats = set(enc.named_steps["encode"].categories_[0])
    assert "nice" not in cats and "paris" in cats


def test_target_encoder_learned_from_training_rows_only():
    df = _frame(200)
    df["city"] = [f"c{i % 40}" for i in range(len(df))]  # high cardinality -> target encoding
    train = df.iloc[:100]
    pipe = _build(df[["city", "label"]], feature_columns=["city"])
    pipe.fit(train[["city"]], train["label"])
    enc = pipe.named_steps["preprocess"].named_steps["encode"].named_transformers_["target"]
    te = enc.named_steps["encode"]
    assert te.target_mean_ == pytest.approx((train["label"] == "low").mean())


def test_config_scaling_caps_and_transformations():
    df = _frame()
    config = {
        "scaling_method": "minmax",
        "outlier_detection_method": "iqr",
        "outlier_treatment": "cap",
        "categorical_encoding": "ordinal",
        "transformations": [{"column": "age", "type": "yeo_johnson"}],
        "custom_rules": [{"anything": 1}],
    }
    train = df.iloc[:80]
    pipe = _build(df, preprocessing_config=config).fit(train.drop(columns="label"), train["label"])
    num = pipe.named_steps["preprocess"].named_steps["encode"].named_transformers_["num"]
    assert [n for n, _ in num.steps] == ["transform", "cap", "impute", "scale"]
    cap = num.named_steps["cap"]
    transformed = num.named_steps["transform"].transform(train[["age"]])["age"].dropna()
    q1, q3 = np.quantile(transformed, [0.25, 0.75])
    assert cap.upper_[0] == pytest.approx(q3 + 1.5 * (q3 - q1))
    out = pipe[:-1].transform(df)
    assert "ordinal__city" in out.columns


def test_regression_pipeline_and_no_usable_columns():
    df = _frame()
    df["spend"] = np.random.default_rng(1).normal(size=len(df))
    pipe = _build(df.drop(columns="label"), algorithm="random_forest", problem="regression",
                  target="spend", params={"n_estimators": 10})  # fmt: skip
    pipe.fit(df.drop(columns=["label", "spend"]), df["spend"])
    assert pipe.predict(df.head(2)).shape == (2,)
    with pytest.raises(ValueError, match="no usable feature columns"):
        _build(df[["customer_id", "label"]])


def test_weighted_ensemble_fits_and_averages():
    df = _frame()
    X, y = df.drop(columns="label"), df["label"]
    members = [_build(df), _build(df, algorithm="knn")]
    ens = Pipeline([("model", WeightedEnsemble(estimators=members, weights=[1, 3]))]).fit(X, y)
    fitted = ens.named_steps["model"].estimators_
    expected = 0.25 * fitted[0].predict_proba(X) + 0.75 * fitted[1].predict_proba(X)
    assert np.allclose(ens.predict_proba(X), expected)
    assert set(ens.predict(X)) <= {"high", "low"}


def test_a_blends_serving_check_is_predicted_to_read_each_members_input():
    """Each member runs its own preprocessing in the check; the width a blend's check is
    predicted to pay for is every member's input columns."""
    from modeling import serving

    df = _frame()
    X, y = df.drop(columns="label"), df["label"]
    members = [_build(df), _build(df, algorithm="knn")]
    ens = Pipeline([("model", WeightedEnsemble(estimators=members, weights=[1, 3]))]).fit(X, y)
    single = members[0].fit(X, y)
    width = single.n_features_in_
    extra = serving.compile_cost_s(ens) - serving.compile_cost_s(single)
    assert extra == pytest.approx(width * serving.CHECK_COLUMN_S)


def test_log_target_regressor_predicts_in_target_units_and_pickles():
    df = _frame().drop(columns="label")
    rng = np.random.default_rng(2)
    df["price"] = np.exp(rng.normal(10, 1, len(df)) + (df["city"] == "paris") * 1.0)
    pipe = _build(df, algorithm="hist_gradient_boosting", problem="regression", target="price",
                  params={"target_transform": "log", "max_iter": 30})  # fmt: skip
    X = df.drop(columns="price")
    pipe.fit(X, df["price"])
    model = pipe.named_steps["model"]
    # Fitted on log1p(price); its answers are bounded by the training range on that scale.
    assert model.high_ == pytest.approx(np.log1p(df["price"].max()))
    assert model.low_ == pytest.approx(np.log1p(df["price"].min()))
    pred = pipe.predict(X.head(5))
    assert pred.shape == (5,) and (pred > 0).all()
    assert pred.min() > df["price"].min() / 10  # original scale, not log scale
    buf = io.BytesIO()
    joblib.dump(pipe, buf)
    buf.seek(0)
    assert np.allclose(joblib.load(buf).predict(X.head(5)), pred)


def test_log_target_is_ignored_for_classification():
    pipe = _build(_frame(), algorithm="linear", params={"target_transform": "log"})
    assert type(pipe.named_steps["model"]).__name__ == "LogisticRegression"


def test_whole_number_regression_target_is_target_encoded_as_continuous():
    rng = np.random.default_rng(3)
    n = 300
    df = pd.DataFrame(
        {"area": rng.normal(size=n), "street": rng.choice([f"s{i}" for i in range(40)], n)}
    )
    df["price"] = rng.integers(50_000, 400_000, n)  # whole dollars: not 300 classes
    pipe = _build(df, algorithm="linear", problem="regression", target="price")
    Xt = pipe[:-1].fit_transform(df.drop(columns="price"), df["price"])
    assert Xt.shape[1] < 10  # one target-encoded column, not one per distinct price


def test_regression_target_encoding_is_scaled_like_the_numeric_columns():
    # Category means in dollars would swamp knn distances and make mlp/sgd diverge.
    rng = np.random.default_rng(4)
    n = 400
    street = rng.choice([f"s{i}" for i in range(40)], n)
    df = pd.DataFrame({"area": rng.normal(size=n), "street": street})
    df["price"] = 100_000 + 50_000 * df["street"].str[1:].astype(int) / 40 + rng.normal(0, 5e3, n)
    pipe = _build(df, algorithm="knn", problem="regression", target="price")
    Xt = pipe[:-1].fit_transform(df.drop(columns="price"), df["price"])
    encoded = [c for c in Xt.columns if "street" in c]
    assert encoded
    for col in encoded:
        assert abs(Xt[col].mean()) < 0.5
        assert 0.5 < Xt[col].std() < 1.5


def test_svm_regression_learns_a_target_in_dollars():
    # An SVR on the raw target with epsilon 0.1 and C 1 barely moves off a constant.
    rng = np.random.default_rng(0)
    n = 500
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    df["y"] = 1e5 * (1 + df["a"] + 0.5 * df["b"] ** 2) + rng.normal(0, 1e4, n)
    pipe = _build(df, algorithm="svm", problem="regression", target="y")
    pipe.fit(df[["a", "b"]][:400], df["y"][:400])
    rmse = np.sqrt(np.mean((pipe.predict(df[["a", "b"]][400:]) - df["y"][400:]) ** 2))
    assert rmse < 0.5 * df["y"][400:].std()
