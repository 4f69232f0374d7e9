"""classification_metrics and the label helpers with every kind of class label (no database)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modeling.metrics import classification_metrics, label_codes
from training.labels import label_key, label_like, normalize_labels

# (labels of a binary or multiclass target, y_true, y_pred); one wrong prediction in each.
CASES = {
    "int binary": ([0, 1], [0, 1, 1, 0, 1, 0], [0, 1, 0, 0, 1, 0]),
    "bool binary": ([False, True], [False, True, True, False, True, False],
                    [False, True, False, False, True, False]),
    "float binary": ([1.0, 2.0], [1.0, 2.0, 2.0, 1.0, 2.0, 1.0], [1.0, 2.0, 1.0, 1.0, 2.0, 1.0]),
    "str binary": (["no", "yes"], ["no", "yes", "yes", "no", "yes", "no"],
                   ["no", "yes", "no", "no", "yes", "no"]),
    "int multiclass": ([0, 1, 2], [0, 1, 2, 0, 1, 2], [0, 1, 2, 0, 2, 2]),
    "str multiclass": (["a", "b", "c"], ["a", "b", "c", "a", "b", "c"],
                       ["a", "b", "c", "a", "c", "c"]),
}  # fmt: skip


def _proba(labels: list, y_true: list) -> np.ndarray:
    """Probabilities that rank every row's true class first, columns in `labels` order."""
    out = np.full((len(y_true), len(labels)), 0.2 / max(len(labels) - 1, 1))
    for i, value in enumerate(y_true):
        out[i, labels.index(value)] = 0.8
    return out


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("as_numpy", [False, True])
def test_classification_metrics_accept_every_label_type(case, as_numpy):
    labels, y_true, y_pred = CASES[case]
    if as_numpy:  # what the engine passes: typed numpy arrays (int64, bool, float64, object)
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    out = classification_metrics(y_true, y_pred, _proba(labels, list(y_true)), labels)
    assert out["accuracy"] == pytest.approx(5 / 6)
    assert out["auc"] == pytest.approx(1.0)
    assert out["log_loss"] == pytest.approx(-np.log(0.8))
    assert 0 < out["precision"] <= 1 and 0 < out["recall"] <= 1 and 0 < out["f1"] <= 1


def test_binary_scores_are_for_the_last_class():
    # 1 is the positive class: 2 of 3 positives found, no false alarm.
    out = classification_metrics(np.array([1, 1, 1, 0]), np.array([1, 1, 0, 0]), None, [0, 1])
    assert out["recall"] == pytest.approx(2 / 3)
    assert out["precision"] == pytest.approx(1.0)


def test_metrics_without_classes_sort_the_labels_they_see():
    out = classification_metrics(np.array([True, False, True]), np.array([True, False, False]))
    assert out["accuracy"] == pytest.approx(2 / 3)
    assert out["recall"] == pytest.approx(0.5)  # True is the positive class


def test_a_label_outside_the_classes_counts_as_wrong():
    # Feedback can name a class the model never saw; it is an error, not a crash.
    out = classification_metrics(["a", "b", "new"], ["a", "b", "a"], None, ["a", "b"])
    assert out["accuracy"] == pytest.approx(2 / 3)


def test_label_codes_match_by_value_then_by_text():
    assert label_codes(np.array([0, 1, 1]), [0, 1]).tolist() == [0, 1, 1]
    assert label_codes(["1", 0, "x"], [0, 1]).tolist() == [1, 0, -1]
    assert label_codes(np.array([2.0, 1.0]), [1, 2]).tolist() == [1, 0]


@pytest.mark.parametrize(
    ("values", "dtype", "expected"),
    [
        ([0, 1, 1], "int64", [0, 1, 1]),
        ([0, 1, 1], "Int64", [0, 1, 1]),
        ([True, False], "bool", [True, False]),
        ([1.0, 2.0, 2.0], "float64", [1, 2, 2]),
        ([0.5, 1.5], "float64", ["0.5", "1.5"]),
        (["yes", "no"], "object", ["yes", "no"]),
        ([1, "no"], "object", ["1", "no"]),
        ([True, False], "boolean", [True, False]),
        (["b", "a"], "category", ["b", "a"]),
    ],
)
def test_normalize_labels_gives_one_plain_type(values, dtype, expected):
    y = normalize_labels(pd.Series(values, dtype=dtype))
    assert y.tolist() == expected
    assert [type(v) for v in y.tolist()] == [type(v) for v in expected]
    assert y.dtype != "category"


def test_label_like_turns_json_actuals_into_the_models_labels():
    assert label_like("1", [0, 1]) == 1 and isinstance(label_like("1", [0, 1]), int)
    assert label_like(1, [False, True]) is True
    assert label_like("false", [False, True]) is False
    assert label_like(2.0, [1, 2]) == 2 and isinstance(label_like(2.0, [1, 2]), int)
    assert label_like("yes", ["no", "yes"]) == "yes"
    assert label_like("maybe", ["no", "yes"]) == "maybe"
    assert label_like(True, [0, 1]) == 1 and not isinstance(label_like(True, [0, 1]), bool)


def test_label_like_reads_a_whole_number_written_with_decimals_as_that_class():
    """The text "1.0" names the class 1 as the JSON number 1.0 does (it was refused as an
    unknown class); a number that is no class, or not whole, still matches none."""
    assert label_like("1.0", [0, 1]) == 1 and type(label_like("1.0", [0, 1])) is int
    assert label_like(" 0.0 ", [0, 1]) == 0 and type(label_like(" 0.0 ", [0, 1])) is int
    assert label_like("2.00", [1, 2, 3]) == 2
    assert label_like("0.5", [0, 1]) == "0.5"
    assert label_like("3.0", [0, 1]) == "3.0"
    assert label_like("nan", [0, 1]) == "nan" and label_like("inf", [0, 1]) == "inf"


def test_label_key_names_classes_as_json_writes_them():
    assert [label_key(v) for v in (np.int64(1), np.bool_(True), False, 2.0, "a")] == [
        "1",
        "true",
        "false",
        "2",
        "a",
    ]
