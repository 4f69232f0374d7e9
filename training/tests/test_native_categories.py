"""Histogram gradient boosting splits on categories itself: the builder codes categorical and
text columns as integers learned from the training rows (`native__<column>`), the model is told
their names, other algorithms keep one-hot / target encoding, and serving neither converts the
category splits to ONNX nor compiles a grouped-levels encoder to numpy."""

import io

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from features.tabular import DropConstantFeatures
from modeling.rowplan import compile_prefix, program_matches
from modeling.serving import to_onnx
from preprocessing.builder import NATIVE_MAX_LEVELS, build_preprocessor, native_names
from training.builder import build_pipeline, infer_schema


def _frame(n: int = 400, levels: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    agent = rng.integers(0, levels, n)
    # Each level has its own effect, unordered: a threshold on codes cannot isolate it.
    effect = rng.normal(0, 10, levels)
    df = pd.DataFrame(
        {
            "agent": [f"agent_{i}" for i in agent],
            "meal": rng.choice(["bb", "hb", "fb"], n),
            "nights": rng.integers(1, 10, n).astype(float),
        }
    )
    df["price"] = 100 + effect[agent] + 2 * df["nights"] + rng.normal(0, 1, n)
    return df


def _pipe(df: pd.DataFrame, algorithm: str = "hist_gradient_boosting", **kw):
    return build_pipeline(
        df_schema=infer_schema(df),
        target="price",
        problem_type="regression",
        algorithm=algorithm,
        hyperparameters=kw.pop("params", {"max_iter": 50}),
        **kw,
    )


def _encoder(pipe, branch: str):
    encode = pipe.named_steps["preprocess"].named_steps["encode"]
    return encode.named_transformers_[branch].named_steps["encode"]


def test_boosting_codes_categories_and_is_told_their_names():
    df = _frame()
    X, y = df.drop(columns="price"), df["price"]
    pipe = _pipe(df).fit(X, y)
    model = pipe.named_steps["model"]
    names = list(model.feature_names_in_)
    assert {"native__agent", "native__meal"} <= set(names)
    assert not any(n.startswith(("onehot__", "target__")) for n in names)
    flagged = {n for n, cat in zip(names, model.is_categorical_, strict=True) if cat}
    assert flagged == {"native__agent", "native__meal"}


def test_other_algorithms_keep_onehot_and_target_encoding():
    df = _frame()
    pipe = _pipe(df, algorithm="linear", params={}).fit(df.drop(columns="price"), df["price"])
    names = list(pipe[:-1].transform(df.head(2)).columns)
    assert any(n.startswith("target__agent") for n in names)
    assert any(n.startswith("onehot__meal") for n in names)
    assert not any(n.startswith("native__") for n in names)


def test_a_chosen_encoding_applies_to_boosting_too():
    df = _frame()
    pipe = _pipe(df, preprocessing_config={"categorical_encoding": "onehot"})
    pipe.fit(df.drop(columns="price"), df["price"])
    assert pipe.named_steps["model"].is_categorical_ is None


def test_category_splits_beat_one_code_order_on_unordered_levels():
    df = _frame(n=4000, levels=30)
    train, test = df.iloc[:3000], df.iloc[3000:]
    params = {"max_iter": 15, "early_stopping": False}
    native = _pipe(df, params=params).fit(train.drop(columns="price"), train["price"])
    ordinal = _pipe(df, params=params, preprocessing_config={"categorical_encoding": "ordinal"})
    ordinal.fit(train.drop(columns="price"), train["price"])

    def rmse(p):
        err = p.predict(test.drop(columns="price")) - test["price"]
        return float(np.sqrt(np.mean(err**2)))

    assert rmse(native) < 0.8 * rmse(ordinal)


def test_codes_are_learned_from_training_rows_only_and_unseen_levels_are_gaps():
    df = _frame()
    train = df[df["agent"] != "agent_3"]
    pipe = _pipe(df).fit(train.drop(columns="price"), train["price"])
    enc = _encoder(pipe, "native")
    assert "agent_3" not in set(enc.categories_[0]) and "agent_4" in set(enc.categories_[0])
    rows = df[df["agent"] == "agent_3"].head(2).drop(columns="price")
    coded = pipe[:-1].transform(rows)
    assert coded["native__agent"].isna().all()
    assert np.isfinite(pipe.predict(rows)).all()


def test_more_levels_than_the_model_takes_keep_target_encoding():
    df = _frame(n=1500, levels=NATIVE_MAX_LEVELS + 40, seed=1)
    profiles = [p for p in infer_schema(df) if p["name"] != "price"]
    assert native_names(profiles) == ["native__meal"]
    pipe = _pipe(df).fit(df.drop(columns="price"), df["price"])
    names = list(pipe.named_steps["model"].feature_names_in_)
    assert "target__agent" in names and "native__meal" in names


def test_rare_levels_beyond_the_limit_share_one_code_in_training_rows():
    # A profile that undercounts (or none at all) still never gives the model > 255 levels.
    values = pd.DataFrame({"c": [f"v{i}" for i in range(NATIVE_MAX_LEVELS + 30)] * 2})
    profiles = [{"name": "c", "semantic_type": "categorical", "unique_count": None}]
    pre = build_preprocessor(profiles, problem_type="regression", native_categories=True)
    out = pre.fit(values, np.arange(len(values), dtype=float)).transform(values)
    assert out.shape[1] == 1 and len(np.unique(out[:, 0])) == NATIVE_MAX_LEVELS


def test_a_category_constant_in_training_rows_is_kept_for_the_model():
    df = _frame()
    df["meal"] = "bb"
    pipe = _pipe(df).fit(df.drop(columns="price"), df["price"])
    assert "native__meal" in list(pipe.named_steps["model"].feature_names_in_)


def test_log_target_boosting_gets_the_names_too_and_pickles():
    df = _frame()
    X, y = df.drop(columns="price"), df["price"]
    pipe = _pipe(df, params={"max_iter": 30, "target_transform": "log"}).fit(X, y)
    inner = pipe.named_steps["model"].regressor_
    assert inner.is_categorical_.sum() == 2
    buf = io.BytesIO()
    joblib.dump(pipe, buf)
    buf.seek(0)
    assert np.allclose(joblib.load(buf).predict(X.head(20)), pipe.predict(X.head(20)))


def test_drop_constant_saved_before_keep_existed_still_loads_and_transforms():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 0.0, 0.0]})
    step = DropConstantFeatures().fit(X)
    state = step.__getstate__()
    state.pop("keep")
    old = DropConstantFeatures.__new__(DropConstantFeatures)
    old.__setstate__(state)
    assert old.get_params()["keep"] == ()
    assert old.transform(X).shape == (3, 1)


def test_serving_does_not_convert_category_splits_to_onnx():
    rng = np.random.default_rng(0)
    X = np.c_[rng.integers(0, 20, 600), rng.normal(size=600)]
    y = (X[:, 0] % 3 == 0) * 5.0 + X[:, 1]
    categorical = HistGradientBoostingRegressor(max_iter=20, categorical_features=[True, False])
    assert to_onnx(categorical.fit(X, y), 2) is None
    plain = HistGradientBoostingRegressor(max_iter=20).fit(X, y)
    assert to_onnx(plain, 2) is not None


@pytest.mark.parametrize("levels", [12, NATIVE_MAX_LEVELS + 30])
def test_numpy_program_only_for_encoders_without_grouped_levels(levels):
    n = 2 * levels
    df = pd.DataFrame({"c": [f"v{i % levels}" for i in range(n)], "x": np.arange(n, dtype=float)})
    df["price"] = np.arange(n, dtype=float)
    profiles = [
        {"name": "c", "semantic_type": "categorical", "unique_count": None},
        {"name": "x", "semantic_type": "numeric", "unique_count": n},
    ]
    pipe = build_pipeline(
        df_schema=[*profiles, {"name": "price", "semantic_type": "numeric"}],
        target="price",
        problem_type="regression",
        algorithm="hist_gradient_boosting",
        hyperparameters={"max_iter": 10},
    ).fit(df[["c", "x"]], df["price"])
    prefix = pipe[:-1]
    program = compile_prefix(prefix)
    assert program is not None
    # Both compiled parts (numeric and codes) when no level is grouped; else the numeric only.
    assert program.numpy_parts == (1 if levels > NATIVE_MAX_LEVELS else 2)
    rare = f"v{levels - 1}"  # among the grouped levels when there are too many
    rows = pd.DataFrame({"c": ["v1", rare, "unseen", None], "x": [1.0, 2.0, 3.0, 4.0]})
    assert program_matches(prefix, program, rows)
