"""Tests of the preprocessing builder: training-only row steps (fitted on the given rows only),
what applies when, and the series preparation."""

import numpy as np
import pandas as pd
import pytest

from preprocessing.builder import (
    build_preprocessor,
    describe_steps,
    drop_training_rows,
    infer_schema,
    series_preparation,
)
from preprocessing.config import PreprocessingConfig
from preprocessing.outliers import fences


def _frame(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"a": rng.normal(0, 1, n), "c": rng.choice(["u", "v"], n).astype(object)})
    df.loc[[1, 2], "a"] = np.nan
    df.loc[[3], "c"] = None
    df.loc[[10], "a"] = 50.0
    return df


def test_drop_removes_rows_with_a_missing_feature_value():
    df = _frame()
    y = pd.Series(np.arange(len(df)))
    kept = drop_training_rows(df, y, {"missing_values_strategy": "drop"}, infer_schema(df))
    assert kept.missing == 3 and kept.outliers == 0 and len(kept.X) == len(df) - 3
    assert list(kept.y) == list(y.drop([1, 2, 3]))
    assert not kept.X.isna().any().any()


def test_remove_drops_outlier_rows_with_fences_from_the_given_rows_only():
    df = _frame()
    config = {"outlier_treatment": "remove", "outlier_detection_method": "iqr"}
    kept = drop_training_rows(df, None, config, infer_schema(df))
    assert kept.outliers >= 1 and 50.0 not in kept.X["a"].tolist()
    low, high = fences(df["a"].to_numpy(), "iqr")
    assert kept.X["a"].dropna().between(low, high).all()
    # Leakage: a far value outside these rows does not move the fences used on them.
    other = drop_training_rows(df.iloc[:40], None, config, infer_schema(df))
    assert other.outliers == int(
        (
            (df["a"][:40] < fences(df["a"][:40].to_numpy(), "iqr")[0])
            | (df["a"][:40] > fences(df["a"][:40].to_numpy(), "iqr")[1])
        ).sum()
    )


def test_no_row_step_keeps_every_row():
    df = _frame()
    kept = drop_training_rows(df, None, {"outlier_treatment": "cap"}, infer_schema(df))
    assert kept.X is df and kept.dropped == 0


def test_steps_say_what_applies_at_training_only():
    steps = describe_steps(
        {"missing_values_strategy": "drop", "outlier_treatment": "remove", "scaling_method": "none"}
    )
    training_only = [s["step"] for s in steps if s["applies"] == "training"]
    assert training_only == ["missing_values", "outliers"]
    assert all(s["applies"] == "training_and_prediction" for s in steps[2:])
    capped = describe_steps({"outlier_treatment": "cap"})
    assert {s["applies"] for s in capped} == {"training_and_prediction"}


def test_treatments_build_the_matching_numeric_steps():
    df = _frame()
    profiles = infer_schema(df)

    def numeric_steps(config):
        pre = build_preprocessor(profiles, config)
        return [n for n, _ in pre.named_steps["encode"].transformers[0][1].steps]

    assert numeric_steps({}) == ["impute", "scale"]
    assert numeric_steps({"outlier_treatment": "cap"}) == ["cap", "impute", "scale"]
    assert numeric_steps({"outlier_treatment": "transform"}) == ["outliers", "impute", "scale"]
    assert numeric_steps({"outlier_treatment": "remove"}) == ["impute", "scale"]
    assert numeric_steps({"scaling_method": "none"}) == ["impute"]
    with pytest.raises(ValueError):
        build_preprocessor(profiles, {"scaling_method": "cosmic"})


def test_series_preparation_from_one_config():
    prep = series_preparation(
        {
            "fill_method": "ffill",
            "threshold": 3,
            "outlier_treatment": "remove",
            "transformations": [{"column": "y", "type": "log"}, {"column": "y", "type": "sqrt"}],
        }
    )
    assert prep == {
        "fill_method": "forward_fill",
        "outlier_treatment": "interpolate",
        "outlier_threshold": 3.0,
        "transforms": [{"type": "log", "params": {}}],
    }
    default = series_preparation(None)
    assert default["fill_method"] == "interpolate" and default["outlier_treatment"] is None
    assert default["outlier_threshold"] == 4.0
    steps = describe_steps(
        PreprocessingConfig.parse({"outlier_treatment": "cap"}), forecasting=True
    )
    assert [s["applies"] for s in steps] == ["training_and_prediction", "training"]
