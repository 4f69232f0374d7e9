"""Unit and leakage tests of the custom preprocessing transformers."""

import numpy as np
import pandas as pd
import pytest

from preprocessing.transformers import (
    BooleanEncoder,
    CategoricalImputer,
    ColumnMathTransformer,
    ColumnSelector,
    DateTimeExpander,
    OutlierLogTransformer,
    Winsorizer,
)
from vur.testing import sklearn_contract_checks


def _expected_failed_checks(estimator):
    """Checks these frame-oriented transformers cannot meet, and why."""
    return {
        # Values that are not numbers become NaN (imputed downstream) instead of raising.
        "check_dtype_object": "non-numeric values become NaN by design",
        # The output is always float64 (the imputer and scaler that follow expect it).
        "check_transformer_preserve_dtypes": "always outputs float64",
    }


@sklearn_contract_checks(
    [Winsorizer(), OutlierLogTransformer(), ColumnMathTransformer(), BooleanEncoder()],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_winsorizer_bounds_come_from_training_rows_only():
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan]})
    test = pd.DataFrame({"x": [-100.0, 3.0, 1000.0]})
    w = Winsorizer(method="iqr").fit(train)
    q1, q3 = np.quantile([1, 2, 3, 4, 5], [0.25, 0.75])
    assert w.lower_[0] == pytest.approx(q1 - 1.5 * (q3 - q1))
    assert w.upper_[0] == pytest.approx(q3 + 1.5 * (q3 - q1))
    out = w.transform(test)["x"].tolist()
    assert out == pytest.approx([w.lower_[0], 3.0, w.upper_[0]])
    refit = Winsorizer(method="iqr").fit(pd.concat([train, test]))
    assert refit.upper_[0] != w.upper_[0]


def test_winsorizer_zscore_and_keeps_missing():
    train = pd.DataFrame({"x": np.arange(100, dtype=float)})
    w = Winsorizer(method="zscore", threshold=1.0).fit(train)
    out = w.transform(pd.DataFrame({"x": [np.nan, 1e6]}))
    assert np.isnan(out["x"].iloc[0])
    assert out["x"].iloc[1] == pytest.approx(train["x"].mean() + train["x"].std(ddof=0))


def test_datetime_expander_keeps_varying_parts_and_names_them():
    train = pd.DataFrame({"when": ["2021-01-01", "2021-03-15", "2022-07-04", None]})
    dt = DateTimeExpander().fit(train)
    names = list(dt.get_feature_names_out())
    assert "when_year" in names and "when_month" in names and "when_dayofweek" in names
    assert "when_hour" not in names  # dates only: the hour never varies
    out = dt.transform(pd.DataFrame({"when": ["2023-02-01 10:00", "garbage"]}))
    assert list(out.columns) == names
    assert out["when_year"].iloc[0] == 2023 and np.isnan(out["when_year"].iloc[1])


def test_boolean_encoder_maps_text_and_bools():
    enc = BooleanEncoder().fit(pd.DataFrame({"b": ["yes", "no"]}))
    out = enc.transform(pd.DataFrame({"b": ["Yes", "FALSE", True, None, "maybe"]}))
    assert out["b"].iloc[:3].tolist() == [1.0, 0.0, 1.0]
    assert out["b"].iloc[3:].isna().all()


@pytest.mark.parametrize(
    "values",
    [
        ["Yes", " no ", "TRUE", "f", "1", "0", "1.0", "0.0", "maybe", "", None, np.nan, pd.NA],
        [True, False, 1, 0, 1.0, 0.0, 2, "on", "OFF", None],
        [1, 0, 1, 1, 0],
        [1.0, 0.0, np.nan, 0.5, 1.0],
        [True, False, True],
        [],
    ],
)
@pytest.mark.parametrize("dtype", [None, "object", "category"])
def test_boolean_column_reads_each_value_as_boolean_number_does(values, dtype):
    from datasets.semantics import boolean_number
    from preprocessing.transformers import boolean_column

    col = pd.Series(values, dtype=dtype)
    expected = np.asarray([boolean_number(v) for v in col.tolist()], dtype="float64")
    np.testing.assert_array_equal(boolean_column(col), expected)


def test_boolean_frame_reads_every_dtype_as_boolean_number_does():
    from datasets.semantics import boolean_number
    from preprocessing.transformers import boolean_frame

    frame = pd.DataFrame(
        {
            "ints": [1, 0, 2, -1, 1, 0],
            "floats": [1.0, 0.0, -0.0, 0.5, np.nan, 1.0],
            "bools": [True, False, True, True, False, False],
            "nullable_ints": pd.array([1, None, 0, 3, 1, 0], dtype="Int64"),
            "nullable_bools": pd.array([True, None, False, True, None, False], dtype="boolean"),
            "text": ["yes", "No", " t ", "maybe", None, "1.0"],
            "mixed": [True, 0, "off", 1.0, np.nan, "2"],
        }
    )
    expected = np.asarray(
        [[boolean_number(v) for v in frame[c].tolist()] for c in frame.columns], dtype="float64"
    ).T
    np.testing.assert_array_equal(boolean_frame(frame), expected)
    out = BooleanEncoder().fit(frame).transform(frame)
    assert list(out.columns) == list(frame.columns) and (out.dtypes == "float64").all()


def test_categorical_imputer_mode_is_the_training_mode():
    train = pd.DataFrame({"c": ["a", "a", "b", None]})
    full = pd.concat([train, pd.DataFrame({"c": ["b", "b", "b"]})])
    imp = CategoricalImputer(strategy="most_frequent").fit(train)
    assert imp.fill_values_ == {"c": "a"}
    assert CategoricalImputer(strategy="most_frequent").fit(full).fill_values_ == {"c": "b"}
    assert imp.transform(pd.DataFrame({"c": [None, 3]}))["c"].tolist() == ["a", "3"]
    const = CategoricalImputer().fit(train)
    assert const.transform(train)["c"].tolist()[-1] == "__missing__"


def test_column_math_transformer_learns_shift_on_training_rows():
    train = pd.DataFrame({"x": [-2.0, 0.0, 3.0], "y": [1.0, 4.0, 9.0]})
    tr = ColumnMathTransformer(
        transformations=[{"column": "x", "type": "log"}, {"column": "y", "type": "sqrt"}]
    ).fit(train)
    assert tr.steps_[0][2] == 2.0  # shift = -min(training x)
    out = tr.transform(pd.DataFrame({"x": [-2.0, 8.0], "y": [16.0, 1.0]}))
    assert out["x"].tolist() == pytest.approx([0.0, np.log1p(10.0)])
    assert out["y"].tolist() == pytest.approx([4.0, 1.0])
    bc = ColumnMathTransformer(transformations=[{"column": "y", "type": "box_cox"}]).fit(train)
    assert np.isfinite(bc.transform(train)["y"]).all()


def test_column_selector_ignores_extra_columns_and_order():
    sel = ColumnSelector(columns=["a", "b"]).fit(pd.DataFrame({"a": [1], "b": [2], "c": [3]}))
    out = sel.transform(pd.DataFrame({"z": [0], "b": [5], "a": [4]}))
    assert list(out.columns) == ["a", "b"] and out.iloc[0].tolist() == [4, 5]
    with pytest.raises(ValueError, match="Missing input columns"):
        sel.transform(pd.DataFrame({"a": [1]}))


def test_outlier_log_compresses_only_columns_with_training_outliers():
    train = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0, 4.0, 5.0, 80.0], "z": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}
    )
    t = OutlierLogTransformer(method="iqr").fit(train)
    assert list(t.compress_) == [True, False]
    out = t.transform(pd.DataFrame({"x": [-9.0, np.nan], "z": [100.0, 2.0]}))
    assert out["x"].iloc[0] == pytest.approx(-np.log1p(9.0)) and np.isnan(out["x"].iloc[1])
    assert out["z"].tolist() == [100.0, 2.0]


def test_standardize_and_minmax_use_training_statistics():
    train = pd.DataFrame({"x": [2.0, 4.0, 6.0, 8.0]})
    t = ColumnMathTransformer(
        transformations=[{"column": "x", "type": "standardize"}, {"column": "x", "type": "minmax"}]
    ).fit(train)
    out = t.transform(pd.DataFrame({"x": [2.0, 8.0, 14.0]}))["x"].tolist()
    assert out == pytest.approx([0.0, 1.0, 2.0])
