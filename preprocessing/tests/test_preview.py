"""Tests for the preprocessing previews: each strategy's effect (as the fitted preprocessor
does it), no mutation, which steps apply when, errors."""

import json

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from preprocessing.outliers import fences
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
    "steps",
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
        for t in ("none", "remove", "cap", "transform")
    ]
    + [
        (preview_transformations, {"transformations": [{"column": "pos", "type": t}]})
        for t in ("log", "sqrt", "box_cox", "yeo_johnson", "standardize", "minmax")
    ]
    + [
        (preview_config, {"config": {"categorical_encoding": e}, "target": "y"})
        for e in ("auto", "onehot", "ordinal", "target")
    ],
)
def test_previews_never_change_the_input_and_answer_json(messy, call, kwargs):
    before = messy.copy()
    result = call(messy, **kwargs)
    assert_frame_equal(messy, before)
    assert set(result) >= RESULT_KEYS
    assert result["original_shape"] == [60, 4]
    assert len(result["preview"]["rows"]) == min(20, result["processed_shape"][0])
    for step in result["steps"]:
        assert step["applies"] in ("training", "training_and_prediction") and step["description"]
    json.dumps(result, allow_nan=False)


def test_median_fills_with_the_median_and_marks_the_gaps(messy):
    result = preview_missing_values(messy, strategy="median", columns=["x"])
    median = float(messy["x"].median())
    filled = _column(result, "x")
    assert filled[2] == pytest.approx(median) and filled[5] == pytest.approx(median)
    assert _column(result, "missingindicator_x")[2] == 1.0
    assert result["changes_summary"]["x"]["count"] == 3
    assert result["changes_summary"]["x"]["applies"] == "training_and_prediction"
    assert result["quality_improvement"] > 0


def test_mean_keeps_text_gaps_as_their_own_category(messy):
    result = preview_missing_values(messy, strategy="mean", columns=["x", "cat"])
    assert _column(result, "cat")[3] == "__missing__"
    assert result["changes_summary"]["cat"]["action"] == "missing category"
    assert _column(result, "x")[2] == pytest.approx(messy["x"].mean())


def test_mode_fills_text_columns(messy):
    result = preview_missing_values(messy, strategy="mode", columns=["cat"])
    mode = messy["cat"].mode().iloc[0]
    assert _column(result, "cat")[3] == mode


def test_drop_drops_training_rows_only_and_says_so(messy):
    result = preview_missing_values(messy, strategy="drop")
    assert result["processed_shape"][0] == 55
    assert result["changes_summary"]["*"] == {
        "action": "drop",
        "count": 5,
        "detail": "dropped 5 training rows with missing values",
        "applies": "training",
    }
    applies = {(s["step"], s["applies"]) for s in result["steps"]}
    assert ("missing_values", "training") in applies
    assert ("missing_values", "training_and_prediction") in applies  # rows to predict: imputed


def test_series_fills_are_the_training_median_for_a_tabular_model(messy):
    for strategy in ("interpolate", "forward_fill"):
        result = preview_missing_values(messy, strategy=strategy, columns=["x"])
        assert _column(result, "x")[2] == pytest.approx(messy["x"].median())
        assert any("median" in w for w in result["warnings"])


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
    assert result["processed_shape"][0] == 59
    assert result["changes_summary"]["*"]["applies"] == "training"
    loose = preview_outliers(messy, method="iqr", treatment="remove", columns=["x"], threshold=0.1)
    assert loose["outliers"]["x"] > 1


def test_transform_is_a_signed_log_of_the_columns_with_outliers(messy):
    result = preview_outliers(messy, method="iqr", treatment="transform", columns=["x", "pos"])
    assert _column(result, "x")[0] == pytest.approx(np.log1p(100.0))
    assert _column(result, "pos") == pytest.approx(list(messy["pos"][:20]))


def test_isolation_forest_flags_the_far_value(messy):
    result = preview_outliers(
        messy, method="isolation_forest", treatment="remove", columns=["x"], threshold=0.02
    )
    assert result["outliers"]["x"] >= 1
    assert 100.0 not in _column(result, "x")


def test_outlier_counts_use_the_shared_fences(messy):
    result = preview_outliers(messy, method="zscore", treatment="none", columns=["x"])
    low, high = fences(messy["x"].to_numpy(), "zscore")
    values = messy["x"].dropna()
    assert result["outliers"]["x"] == int(((values < low) | (values > high)).sum())


def test_outlier_options_are_validated(messy):
    with pytest.raises(PreprocessingError):
        preview_outliers(messy, method="magic", treatment="cap")
    with pytest.raises(PreprocessingError) as info:
        preview_outliers(messy, method="iqr", treatment="cap", threshold=-1)
    assert "threshold" in info.value.errors
    with pytest.raises(PreprocessingError, match="nope"):
        preview_outliers(messy, method="iqr", treatment="cap", columns=["nope"])


def test_transformations_apply_in_order(messy):
    result = preview_transformations(
        messy,
        transformations=[{"column": "pos", "type": "log"}, {"column": "pos", "type": "minmax"}],
    )
    values = np.array(_column(result, "pos"))
    expected = np.log1p(messy["pos"])
    expected = ((expected - expected.min()) / (expected.max() - expected.min()))[:20]
    np.testing.assert_allclose(values, expected)
    assert result["changes_summary"]["pos"]["action"] == "log, minmax"


def test_difference_is_refused_for_a_single_row_model(messy):
    with pytest.raises(PreprocessingError, match="time series"):
        preview_transformations(messy, transformations=[{"column": "pos", "type": "difference"}])


def test_transformations_reject_unknown_or_text_columns_and_types(messy):
    with pytest.raises(PreprocessingError, match="ghost"):
        preview_transformations(messy, transformations=[{"column": "ghost", "type": "log"}])
    with pytest.raises(PreprocessingError, match="'cat'"):
        preview_transformations(messy, transformations=[{"column": "cat", "type": "log"}])
    with pytest.raises(PreprocessingError):
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
    assert "cat" not in columns and {"cat_a", "cat_b", "cat___missing__"} <= set(columns)
    assert _column(result, "y") == pytest.approx(list(messy["y"][:20]))
    assert None not in _column(result, "x")
    assert result["changes_summary"]["pos"]["action"] == "log, standard scaling"
    assert result["outliers"]["x"] >= 1 and "y" not in result["outliers"]


def test_rows_without_a_target_are_not_training_rows(messy):
    df = messy.copy()
    df.loc[[10, 11], "y"] = np.nan
    result = preview_config(df, config={}, target="y")
    assert result["processed_shape"][0] == 58
    assert any("no target value" in w for w in result["warnings"])


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


def test_target_encoding_is_fitted_on_the_training_rows(messy):
    """The shown rows are the fitted encoder's answer: one value per category, the smoothed
    training mean, the same for every row of that category."""
    result = preview_config(messy, config={"categorical_encoding": "target"}, target="y")
    encoded = pd.Series(_column(result, "cat"))
    labels = messy["cat"][:20].fillna("__missing__").reset_index(drop=True)
    assert encoded[labels == "a"].nunique() == 1
    assert encoded[labels == "a"].iloc[0] != encoded[labels == "b"].iloc[0]


def test_integer_columns_take_fractional_fills_and_caps():
    df = pd.DataFrame({"n": pd.array([1, 2, None, 4, 5, 6, 7, 100], dtype="Int64")})
    filled = preview_missing_values(df, strategy="median")
    assert _column(filled, "n")[2] == pytest.approx(5.0)
    capped = preview_outliers(df, method="iqr", treatment="cap")
    values = df["n"].dropna().astype(float)
    q1, q3 = values.quantile([0.25, 0.75])
    assert _column(capped, "n")[-1] == pytest.approx(q3 + 1.5 * (q3 - q1))
