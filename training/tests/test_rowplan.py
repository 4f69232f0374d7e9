"""The numpy preprocessing program gives the fitted steps' very matrix: for every kind of step the
builder makes (imputers with indicators, scalers, capping, log and power transforms, one-hot with
rare and unseen levels, target and ordinal encoding, booleans, dates, interactions), for one row
and for many, and for values it has no numpy form for (numbers in a text column)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modeling.rowplan import Columns, compile_prefix, program_matches
from training.builder import build_pipeline

N = 1200


def _frame(seed: int = 0, n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(4)})
    df.loc[rng.random(n) < 0.1, "x1"] = np.nan
    df["x3"] = np.abs(df["x3"]) * 10
    common = ["a", "b", "c", "d"]
    rare = [f"r{i}" for i in range(30)]
    df["c0"] = rng.choice(common + rare, n, p=[0.2] * 3 + [0.1] + [0.3 / 30] * 30)
    df["c1"] = rng.choice(np.array(["u", "v", None], dtype=object), n)
    df["hi"] = rng.choice([f"h{i}" for i in range(40)], n)
    df["flag"] = rng.choice([1.0, 0.0, np.nan], n)
    df["when"] = pd.date_range("2020-01-01", periods=n, freq="37h").astype(str)
    return df


SCHEMA = [
    {"name": "x0", "semantic_type": "numeric", "unique_count": N},
    {"name": "x1", "semantic_type": "numeric", "unique_count": N},
    {"name": "x2", "semantic_type": "numeric", "unique_count": N},
    {"name": "x3", "semantic_type": "numeric", "unique_count": N},
    {"name": "c0", "semantic_type": "categorical", "unique_count": 34},
    {"name": "c1", "semantic_type": "categorical", "unique_count": 2},
    {"name": "hi", "semantic_type": "categorical", "unique_count": 40},
    {"name": "flag", "semantic_type": "boolean", "unique_count": 2},
    {"name": "when", "semantic_type": "datetime", "unique_count": N},
]
CONFIGS = [
    ("classification", {}),
    (
        "multiclass",
        {
            "scaling_method": "minmax",
            "outlier_treatment": "cap",
            "transformations": [
                {"column": "x2", "type": "yeo_johnson"},
                {"column": "x3", "type": "log"},
            ],
        },
    ),  # fmt: skip
    (
        "classification",
        {
            "scaling_method": "robust",
            "categorical_encoding": "ordinal",
            "missing_values_strategy": "mode",
        },
    ),  # fmt: skip
    ("regression", {"categorical_encoding": "onehot", "scaling_method": "none"}),
    (
        "regression",
        {
            "transformations": [
                {"column": "x3", "type": "box_cox"},
                {"column": "x0", "type": "sqrt"},
            ]
        },
    ),  # fmt: skip
]


def _fitted(problem: str, config: dict):
    df = _frame()
    rng = np.random.default_rng(1)
    if problem == "regression":
        y = df["x0"] * 2 + rng.normal(size=N)
    elif problem == "multiclass":
        y = pd.Series(rng.choice(["p", "q", "r"], N))
    else:
        y = pd.Series(np.where(df["x0"] + (df["c0"] == "a") > 0.2, "yes", "no"))
    kind = "regression" if problem == "regression" else "classification"
    pipe = build_pipeline(
        df_schema=SCHEMA, target="t", problem_type=kind, algorithm="random_forest",
        hyperparameters={"n_estimators": 10}, preprocessing_config=config,
        feature_config={"interactions": [["x0", "x1"]]},
    )  # fmt: skip
    return pipe.fit(df, y)


@pytest.mark.parametrize(("problem", "config"), CONFIGS)
def test_program_gives_the_fitted_steps_matrix(problem, config):
    fitted = _fitted(problem, config)
    prefix = fitted[:-1]
    program = compile_prefix(prefix)
    assert program is not None and program.numpy_parts >= 3  # dates run their fitted step
    rows = _frame(seed=5, n=300)
    rows.loc[rows.index[:7], "c0"] = "never seen"
    rows.loc[rows.index[7:9], "hi"] = "unseen too"
    rows.loc[rows.index[9:12], ["x0", "x3", "flag"]] = np.nan
    assert program_matches(prefix, program, rows)
    for one in (rows.iloc[[0]], rows.iloc[[10]], rows.iloc[:40]):  # a dict lookup per value
        want = np.asarray(prefix.transform(one), dtype=float)
        np.testing.assert_array_equal(program.transform(one.reset_index(drop=True)), want)
    columns = Columns({n: rows[n].to_numpy() for n in rows.columns}, len(rows), rows.columns)
    np.testing.assert_array_equal(
        program.transform_columns(columns.data), np.asarray(prefix.transform(rows), dtype=float)
    )


def test_values_without_a_numpy_form_run_the_fitted_step():
    fitted = _fitted("classification", {})
    prefix = fitted[:-1]
    program = compile_prefix(prefix)
    rows = _frame(seed=6, n=50)
    rows["c0"] = rows["c0"].astype(object)
    rows.loc[rows.index[:5], "c0"] = [3, 3.0, 2.5, True, None]  # numbers in a text column
    rows["flag"] = rows["flag"].astype(object)
    rows.loc[rows.index[:3], "flag"] = ["yes", "off", "maybe"]  # text in a boolean column
    want = np.asarray(prefix.transform(rows), dtype=float)
    np.testing.assert_array_equal(program.transform(rows), want)


def test_a_prefix_not_built_by_the_builder_is_not_compiled():
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    assert compile_prefix(Pipeline([("scale", StandardScaler())])) is None
    assert compile_prefix("passthrough") is None
