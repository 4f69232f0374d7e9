"""Tests for the preprocessing previews: each strategy's effect, no mutation, errors, config."""

import json

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from preprocessing.preview import (
    PREPROCESSING_OPTIONS,
    PreprocessingError,
    preview_config,
    preview_missing_values,
    preview_outliers,
    preview_transformations,
    validate_config,
)

RESULT_KEYS = {
    "original_shape",
    "processed_shape",
    "changes_summary",
    "quality_improvement",
    "processing_time",
    "warnings",
    "preview",
}


@pytest.fixture
def messy() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 60
    df = pd.DataFrame(
        {
            "x": rng.normal(10, 2, n),
            "pos": rng.uniform(1, 5, n),
            "cat": rng.choice(["a", "b"], n).astype(object),
            "y": rng.normal(size=n),
        }
    )
    df.loc[[2, 5, 9], "x"] = np.nan
    df.loc[[0], "x"] = 100.0  # one far outlier
    df.loc[[3, 4], "cat"] = None
    return df


def _column(result: dict, name: str) -> list:
    i = result["preview"]["columns"].index(name)
    return [row[i] for row in result["preview"]["rows"]]


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        (preview_missing_values, {"strategy": s})
        for s in ("drop", "mean", "median", "mode", "interpolate", "forward_fill")
    ]
    + [
        (preview_outliers, {"method": m, "treatment": t})
        for m in ("iqr", "zscore", "isolation_forest")
        for t in ("remove", "cap", "transform")
    ]
    + [
        (preview_transformations, {"transformations": [{"column": "pos", "type": t}]})
        for t in ("log", "sqrt", "box_cox", "yeo_johnson", "difference", "standardize", "minmax")
    ]
    + [
        (preview_config, {"config": {"categorical_encoding": e}, "target": "y"})
        for e in ("onehot", "ordinal", "target")
    ],
)
def test_previews_never_change_the_input_and_answer_json(messy, call, kwargs):
    before = messy.copy()
    result = call(messy, **kwargs)
    assert_frame_equal(messy, before)
    assert set(result) >= RESULT_KEYS
    assert result["original_shape"] == [60, 4]
    assert len(result["preview"]["rows"]) == min(20, result["processed_shape"][0])
    json.dumps(result, allow_nan=False)


def test_median_fills_with_the_median(messy):
    result = preview_missing_values(messy, strategy="median", columns=["x"])
    median = float(messy["x"].median())
    filled = _column(result, "x")
    assert filled[2] == pytest.approx(median) and filled[5] == pytest.approx(median)
    assert result["changes_summary"]["x"]["count"] == 3
    assert result["quality_improvement"] > 0


def test_mean_on_text_column_is_a_warning_not_a_change(messy):
    result = preview_missing_values(messy, strategy="mean", columns=["x", "cat"])
    assert any("'cat' is not numeric" in w for w in result["warnings"])
    assert "cat" not in result["changes_summary"]
    assert _column(result, "cat")[3] is None


def test_mode_fills_text_columns(messy):
    result = preview_missing_values(messy, strategy="mode", columns=["cat"])
    mode = messy["cat"].mode().iloc[0]
    assert _column(result, "cat")[3] == mode


def test_drop_drops_the_rows(messy):
    result = preview_missing_values(messy, strategy="drop")
    assert result["processed_shape"] == [55, 4]
    assert result["changes_summary"]["*"]["count"] == 5


def test_interpolate_and_forward_fill(messy):
    interpolated = _column(preview_missing_values(messy, strategy="interpolate"), "x")
    assert interpolated[2] == pytest.approx((messy["x"][1] + messy["x"][3]) / 2)
    filled = _column(preview_missing_values(messy, strategy="forward_fill"), "x")
    assert filled[2] == pytest.approx(messy["x"][1])


def test_cap_bounds_values_to_the_iqr_fences(messy):
    result = preview_outliers(messy, method="iqr", treatment="cap", columns=["x"])
    q1, q3 = messy["x"].quantile([0.25, 0.75])
    high = q3 + 1.5 * (q3 - q1)
    assert result["outliers"]["x"] >= 1
    assert _column(result, "x")[0] == pytest.approx(high)
    assert max(v for v in _column(result, "x") if v is not None) <= high + 1e-9


def test_remove_drops_outlier_rows_and_threshold_changes_the_count(messy):
    result = preview_outliers(messy, method="zscore", treatment="remove", columns=["x"])
    assert result["outliers"] == {"x": 1}
    assert result["processed_shape"] == [59, 4]
    loose = preview_outliers(messy, method="iqr", treatment="remove", columns=["x"], threshold=0.1)
    assert loose["outliers"]["x"] > 1


def test_isolation_forest_flags_the_far_value(messy):
    result = preview_outliers(
        messy, method="isolation_forest", treatment="remove", columns=["x"], threshold=0.02
    )
    assert result["outliers"]["x"] >= 1
    assert 100.0 not in _column(result, "x")


def test_outlier_options_are_validated(messy):
    with pytest.raises(PreprocessingError):
        preview_outliers(messy, method="magic", treatment="cap")
    with pytest.raises(PreprocessingError):
        preview_outliers(messy, method="iqr", treatment="cap", threshold=-1)
    with pytest.raises(PreprocessingError, match="nope"):
        preview_outliers(messy, method="iqr", treatment="cap", columns=["nope"])


def test_transformations_apply_in_order(messy):
    result = preview_transformations(
        messy,
        transformations=[{"column": "pos", "type": "log"}, {"column": "pos", "type": "minmax"}],
    )
    values = np.array(_column(result, "pos"))
    expected = np.log(messy["pos"])
    expected = ((expected - expected.min()) / (expected.max() - expected.min()))[:20]
    np.testing.assert_allclose(values, expected)
    assert result["changes_summary"]["pos"]["action"] == "log, minmax"


@pytest.mark.parametrize("kind", ["log", "box_cox", "sqrt"])
def test_transformations_reject_negative_values_naming_the_column(messy, kind):
    df = messy.assign(neg=messy["pos"] - 10)
    with pytest.raises(PreprocessingError, match="'neg'"):
        preview_transformations(df, transformations=[{"column": "neg", "type": kind}])


def test_transformations_reject_unknown_or_text_columns_and_types(messy):
    with pytest.raises(PreprocessingError, match="'ghost'"):
        preview_transformations(messy, transformations=[{"column": "ghost", "type": "log"}])
    with pytest.raises(PreprocessingError, match="'cat'"):
        preview_transformations(messy, transformations=[{"column": "cat", "type": "log"}])
    with pytest.raises(PreprocessingError, match="unknown|Unknown"):
        preview_transformations(messy, transformations=[{"column": "pos", "type": "cube"}])


def test_preview_config_scales_and_encodes_but_leaves_the_target(messy):
    result = preview_config(
        messy,
        config={
            "missing_values_strategy": "median",
            "outlier_detection_method": "iqr",
            "outlier_treatment": "cap",
            "scaling_method": "standard",
            "categorical_encoding": "onehot",
            "transformations": [{"column": "pos", "type": "log"}],
        },
        target="y",
    )
    columns = result["preview"]["columns"]
    assert "cat" not in columns and {"cat_a", "cat_b"} <= set(columns)
    assert _column(result, "y") == pytest.approx(list(messy["y"][:20]))
    assert None not in _column(result, "x")
    assert result["changes_summary"]["pos"]["action"] == "log, standard scaling"
    assert result["outliers"]["x"] >= 1 and "y" not in result["outliers"]


def test_target_encoding_without_target_falls_back_to_ordinal(messy):
    result = preview_config(messy, config={"categorical_encoding": "target"})
    assert any("ordinal" in w for w in result["warnings"])
    assert set(_column(result, "cat")) <= {0.0, 1.0, 2.0}


def test_validate_config_reports_each_bad_key():
    errors = validate_config(
        {
            "scaling_method": "zscore",
            "colour": "blue",
            "transformations": [{"column": "a", "type": "cube"}],
            "outlier_threshold": -2,
        }
    )
    assert set(errors) == {"scaling_method", "colour", "transformations", "outlier_threshold"}
    assert validate_config({"scaling_method": "robust", "transformations": []}) == {}
    assert validate_config("nope") == {"config": "must be an object"}


def test_invalid_config_raises_with_errors(messy):
    with pytest.raises(PreprocessingError) as info:
        preview_config(messy, config={"categorical_encoding": "hash"})
    assert "categorical_encoding" in info.value.errors


def test_options_describe_every_choice():
    for key, option in PREPROCESSING_OPTIONS.items():
        assert option["description"], key
        for choice, text in option.get("choices", {}).items():
            assert isinstance(text, str) and text, (key, choice)
    json.dumps(PREPROCESSING_OPTIONS)


def test_target_encoding_is_cross_fitted(messy):
    """Leakage: a row's target encoding comes from other folds, so one category gets several
    values instead of the single in-sample mean that would include the row's own target."""
    result = preview_config(messy, config={"categorical_encoding": "target"}, target="y")
    encoded = pd.Series(_column(result, "cat"))
    labels = messy["cat"][:20].reset_index(drop=True)
    assert encoded[labels == "a"].nunique() > 1
    assert not np.allclose(encoded[labels == "a"], messy.loc[messy["cat"] == "a", "y"].mean())


def test_integer_columns_take_fractional_fills_and_caps():
    df = pd.DataFrame({"n": pd.array([1, 2, None, 4, 5, 6, 7, 100], dtype="Int64")})
    filled = preview_missing_values(df, strategy="median")
    assert _column(filled, "n")[2] == pytest.approx(5.0)
    capped = preview_outliers(df, method="iqr", treatment="cap")
    q1, q3 = df["n"].astype(float).quantile([0.25, 0.75])
    assert _column(capped, "n")[-1] == pytest.approx(q3 + 1.5 * (q3 - q1))
