"""A compiled serving form hands a wrapped model (log target, scaled target, Platt-scaled SVM) the
column names it was fitted with, so serving neither warns "X does not have valid feature names"
on every request nor depends on column order alone."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline

from modeling import serving
from training.builder import TargetScaledRegressor, build_pipeline, infer_schema


def _frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "size": rng.uniform(50, 300, n),
            "rooms": rng.integers(1, 8, n).astype(float),
            "area": rng.choice(["north", "south", "east"], n),
        }
    )
    df["price"] = 1000 * df["size"] * (1 + 0.1 * (df["area"] == "north")) + rng.normal(0, 5e3, n)
    return df


def _served_warnings(fitted, rows: pd.DataFrame) -> tuple[serving.ServingModel, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled = serving.compile_for_serving(fitted, rows)
        compiled.model.predict(rows)
    return compiled, [str(w.message) for w in caught if "feature names" in str(w.message)]


def test_a_log_target_model_is_served_with_its_column_names():
    df = _frame()
    X, y = df.drop(columns="price"), df["price"]
    fitted = build_pipeline(
        df_schema=infer_schema(df), target="price", problem_type="regression",
        algorithm="hist_gradient_boosting",
        hyperparameters={"max_iter": 20, "target_transform": "log"},
    ).fit(X, y)  # fmt: skip
    assert list(fitted.named_steps["model"].feature_names_in_)
    compiled, noise = _served_warnings(fitted, X.head(50))
    assert noise == []
    assert np.allclose(compiled.model.predict(X.head(50)), fitted.predict(X.head(50)))


def test_a_clipped_input_ridge_is_served_with_its_column_names_and_clips_there_too():
    df = _frame()
    X, y = df.drop(columns="price"), df["price"]
    fitted = build_pipeline(
        df_schema=infer_schema(df), target="price", problem_type="regression",
        algorithm="linear", hyperparameters={"clip_inputs": True},
    ).fit(X, y)  # fmt: skip
    far = X.head(3).assign(size=[1e4, 300.0, -1e4])
    rows = pd.concat([X.head(50), far], ignore_index=True)
    compiled, noise = _served_warnings(fitted, rows)
    assert noise == []
    served = compiled.model.predict(rows)
    assert np.allclose(served, fitted.predict(rows))
    # A house of 10,000 m2 is priced like the largest training ones, not 40 times one of them.
    assert served[-3] <= 1.02 * served[-2] and served[-3] < 1.1 * y.max()


def test_a_scaled_target_network_is_served_with_its_column_names():
    df = _frame()
    X, y = df.drop(columns="price"), df["price"]
    base = build_pipeline(
        df_schema=infer_schema(df), target="price", problem_type="regression",
        algorithm="linear", hyperparameters={},
    )  # fmt: skip
    net = TargetScaledRegressor(MLPRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=0))
    fitted = Pipeline([*base.steps[:-1], ("model", net)]).fit(X, y)
    compiled, noise = _served_warnings(fitted, X.head(50))
    assert noise == []
    assert np.allclose(compiled.model.predict(X.head(50)), fitted.predict(X.head(50)))


def test_a_platt_scaled_svm_is_served_with_its_column_names():
    df = _frame()
    df["dear"] = np.where(df["price"] > df["price"].median(), "yes", "no")
    X, y = df.drop(columns=["price", "dear"]), df["dear"]
    fitted = build_pipeline(
        df_schema=infer_schema(df.drop(columns="price")), target="dear",
        problem_type="classification", algorithm="svm", hyperparameters={},
    ).fit(X, y)  # fmt: skip
    compiled, noise = _served_warnings(fitted, X.head(50))
    assert noise == []
    assert np.allclose(compiled.model.predict_proba(X.head(50)), fitted.predict_proba(X.head(50)))


def test_an_unfitted_wrapper_has_no_names():
    assert not hasattr(TargetScaledRegressor(MLPRegressor()), "feature_names_in_")
