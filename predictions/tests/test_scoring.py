"""Tests of the scoring helpers shared by single, realtime and batch predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modeling.catalog import algorithms_for
from predictions.services import _labels_and_proba
from training.builder import WeightedEnsemble, build_pipeline, infer_schema


def _table(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], n),
        }
    )
    score = df["x"] + 0.5 * df["z"] + (df["colour"] == "red") + rng.normal(0, 0.7, n)
    df["label"] = np.select([score < -0.5, score < 0.8], ["low", "mid"], "high")
    return df


def _fit(df: pd.DataFrame, algorithm: str):
    pipe = build_pipeline(
        df_schema=infer_schema(df),
        target="label",
        problem_type="classification",
        algorithm=algorithm,
        hyperparameters={},
    )
    return pipe.fit(df.drop(columns="label"), df["label"])


@pytest.mark.parametrize("algorithm", [a.name for a in algorithms_for("classification")])
def test_labels_from_one_pass_match_predict(algorithm):
    df = _table()
    fitted = _fit(df, algorithm)
    rows = _table(80, seed=1).drop(columns="label")
    labels, proba = _labels_and_proba(fitted, rows)
    assert list(labels) == list(fitted.predict(rows))
    np.testing.assert_allclose(proba, fitted.predict_proba(rows))


def test_ensemble_labels_are_its_most_probable_class():
    df = _table()
    members = [_fit(df, "linear"), _fit(df, "random_forest")]
    ens = WeightedEnsemble.from_fitted(members, [2.0, 1.0], "classification")
    rows = _table(60, seed=2).drop(columns="label")
    labels, proba = _labels_and_proba(ens, rows)
    assert list(labels) == list(ens.predict(rows))
    assert set(labels) <= {"low", "mid", "high"}
