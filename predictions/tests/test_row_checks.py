"""The request path's quick checks agree with the close ones: column-by-column row checking
against the per-value check, whole-array output conversion against the JSON-safe converter,
and bulk prediction ids."""

from __future__ import annotations

import math
import random
import uuid

import numpy as np
import pytest

from datasets.jsonsafe import json_safe
from predictions import services
from predictions.served import RowPlan
from training.labels import label_key
from vur.errors import InvalidInput


class _Schema:
    input_schema = {
        "columns": [
            {"name": "n", "semantic_type": "numeric", "required": True},
            {"name": "m", "semantic_type": "numeric", "required": False},
            {"name": "c", "semantic_type": "categorical", "required": True},
            {"name": "b", "semantic_type": "boolean", "required": False},
        ]
    }


PLAN = RowPlan.of(_Schema())  # type: ignore[arg-type]
VALUES = [
    0, 1, -7, 2.5, -0.0, 1e300, 2**70, None, True, False, "x", "", "3.5", "abc", "nan",
    math.nan, math.inf, -math.inf, [1], {"a": 1}, np.float64(1.5), np.int64(3),
]  # fmt: skip


def _random_rows(rng: random.Random) -> list:
    rows: list = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.03:
            rows.append(rng.choice([[], "row", 3, None]))
            continue
        row = {"n": rng.choice([1, 2.5, -3]), "c": rng.choice(["a", "b", 1])}
        for name in ("m", "b"):
            if rng.random() < 0.6:
                row[name] = rng.choice([0.5, None, True, "y"])
        if rng.random() < 0.5:  # one value anywhere from the awkward list
            row[rng.choice(["n", "m", "c", "b"])] = rng.choice(VALUES)
        if rng.random() < 0.05:
            row.pop(rng.choice(["n", "c"]))
        if rng.random() < 0.05:
            row["unknown"] = 1
        rows.append(row)
    return rows


def _detailed(rows: list) -> InvalidInput | None:
    try:
        services.check_each_value(PLAN, rows)
    except InvalidInput as exc:
        return exc
    return None


def test_column_checks_pass_only_rows_the_value_checks_pass_and_log_them_as_they_came():
    rng = random.Random(7)
    plain_seen = refused = 0
    for _ in range(3000):
        rows = _random_rows(rng)
        expected = _detailed(rows)
        try:
            got, plain = services.checked_rows(PLAN, rows)
        except InvalidInput as exc:
            assert expected is not None, rows
            assert (exc.detail, exc.errors) == (expected.detail, expected.errors)
            refused += 1
            continue
        assert expected is None, (rows, expected.detail)
        assert got is rows
        if plain:
            plain_seen += 1
            for row in rows:  # logged as it came: it must be what the JSON-safe copy gives
                assert json_safe(row) == row
                assert all(type(v) in (str, int, float, bool, type(None)) for v in row.values())
    assert plain_seen > 300 and refused > 300  # both ways taken often


def test_a_float_out_of_range_only_in_sum_still_passes():
    rows = [{"n": 1e308, "c": "a"}, {"n": 1e308, "c": "b"}]  # sum overflows, values are fine
    got, plain = services.checked_rows(PLAN, rows)
    assert got is rows and plain is False


@pytest.mark.parametrize(
    "values",
    [
        np.array([1.5, np.nan, np.inf, -2.0]),
        np.array([1.5, 2.25]),
        np.array([3, -1, 2**40]),
        np.array([True, False]),
        np.array(["yes", "no"], dtype=object),
        np.array(["yes", "no"]),
        np.array([1, "a", None, np.float64("nan"), np.int64(4)], dtype=object),
        np.array(["2024-01-01", "NaT"], dtype="datetime64[ns]"),
    ],
)
def test_outputs_converted_whole_equal_the_json_safe_values(values):
    got = services.plain_values(values)
    want = [json_safe(v) for v in values.tolist()]
    assert got == want
    assert [type(v) for v in got] == [type(v) for v in want]


def test_probability_rows_are_rounded_and_keyed_like_labels():
    classes = np.array([0, 1, 2])
    proba = np.array([[0.1234567, 0.5, 0.3765433], [1 / 3, 1 / 3, 1 / 3]])
    rows = services.probability_dicts(classes, proba)
    assert [list(r) for r in rows] == [[label_key(c) for c in classes]] * 2
    for row, want in zip(rows, proba, strict=True):
        for got, p in zip(row.values(), want, strict=True):
            assert type(got) is float and abs(got - p) <= 5e-7 and got == round(got, 6)


def test_bulk_prediction_ids_are_distinct_version_4_uuids():
    ids = services.new_prediction_ids(500)
    assert len(set(ids)) == 500
    assert all(i.version == 4 and i.variant == uuid.RFC_4122 for i in ids)


@pytest.mark.parametrize("value", [True, False, 1, 0, 1.0, "yes", " No ", "t", "0", "n/a", None])
def test_a_boolean_column_takes_what_training_read_as_true_false_or_missing(value):
    rows = [{"n": 1, "c": "a", "b": value}]
    assert services.checked_rows(PLAN, rows)[0] is rows


@pytest.mark.parametrize("value", ["maybe", "2", 2, 0.5, "yes!"])
def test_a_boolean_column_refuses_what_is_neither_true_nor_false(value):
    """Before, such a value was predicted as a missing one, with no word to the caller."""
    with pytest.raises(InvalidInput) as err:
        services.checked_rows(PLAN, [{"n": 1, "c": "a", "b": value}])
    assert err.value.detail == "data[0].b: must be true or false (or null for a missing value)."
