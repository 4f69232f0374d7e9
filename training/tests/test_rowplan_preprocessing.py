"""Serving's compiled rows (modeling.rowplan) give the fitted preprocessing's own answer for
every numeric step the preprocessing builder makes, including the signed-log outlier
treatment and the standardize/minmax column transforms."""

import numpy as np
import pandas as pd
import pytest

from modeling.rowplan import compile_prefix, program_matches
from training.builder import build_pipeline, infer_schema


@pytest.mark.parametrize(
    "config",
    [
        {"outlier_treatment": "transform"},
        {"outlier_treatment": "cap", "outlier_detection_method": "zscore"},
        {
            "transformations": [
                {"column": "a", "type": "standardize"},
                {"column": "a", "type": "log"},
                {"column": "b", "type": "minmax"},
            ]
        },
    ],
)
def test_compiled_rows_equal_the_fitted_preprocessing(config):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.lognormal(0, 1, 200), "b": rng.normal(0, 1, 200)})
    df.loc[[3, 7], "a"] = np.nan
    df.loc[5, "b"] = 40.0
    df["y"] = df["b"] * 2 + rng.normal(0, 0.1, 200)
    pipe = build_pipeline(
        df_schema=infer_schema(df),
        target="y",
        problem_type="regression",
        algorithm="linear",
        hyperparameters={},
        preprocessing_config=config,
    )
    pipe.fit(df[["a", "b"]], df["y"])
    prefix = pipe[:-1]
    program = compile_prefix(prefix)
    assert program is not None and program.numpy_parts == 1
    rows = pd.DataFrame({"a": [0.5, np.nan, 90.0], "b": [-50.0, 0.1, 3.0]})
    assert program_matches(prefix, program, rows)
