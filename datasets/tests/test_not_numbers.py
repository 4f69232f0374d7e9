"""A value that is not a number ("oops" in a column of numbers): the upload profile counts it
with its first row, and the checks name it."""

from __future__ import annotations

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db

PHRASE = "1 value that is not a number ('oops' in row 41)"
HTML_PHRASE = PHRASE.replace("'", "&#x27;")  # as a template writes it


def daily_sales_csv() -> str:
    """60 days of sales: day 41 reads `oops`, day 50 is empty and 2024-01-20 is not in the file
    (a gap), as in the walk's daily_sales.csv."""
    days = pd.date_range("2024-01-01", periods=61, freq="D").drop(pd.Timestamp("2024-01-20"))
    rows = []
    for i, day in enumerate(days, start=1):
        value = "oops" if i == 41 else "" if i == 50 else f"{100 + (i % 7) * 3.5:.2f}"
        rows.append(f"{day.date()},{value}")
    return "date,sales\n" + "\n".join(rows) + "\n"


def test_the_profile_counts_values_that_are_not_numbers_with_the_first_row(api):
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("daily_sales.csv", daily_sales_csv().encode()), "name": "d"},
        format="multipart",
    )
    assert res.status_code == 201, res.content
    daily = res.json()
    sales = next(c for c in daily["columns_info"] if c["name"] == "sales")
    assert sales["semantic_type"] == "numeric"
    assert sales["null_count"] == 1  # the empty cell; "oops" is written, so not missing
    assert sales["non_numeric_count"] == 1
    assert sales["non_numeric_example"] == {"value": "oops", "row": 41}
    checks = api.post(f"/api/v1/datasets/{daily['id']}/validate").json()
    assert f"Column 'sales' has {PHRASE}; it is read as missing." in checks["warnings"]


@pytest.mark.parametrize(
    ("text", "spec", "number"),
    [
        ("1,234.50", {"thousands": ","}, 1234.5),
        ("1.234,50", {"thousands": ".", "decimal": ","}, 1234.5),
        ("3,5", {"decimal": ","}, 3.5),
        ("$ 12", {}, 12.0),
        ("-4.2e3", {}, -4200.0),
        (".5", {}, 0.5),
    ],
)
def test_text_is_read_in_plain_decimal_notation(text, spec, number):
    from datasets.semantics import text_number

    assert text_number(text, spec) == number


@pytest.mark.parametrize("text", ["1_000", "1__0", "0x1A", "12 34 5e", "1e", "--1"])
def test_pythons_other_number_spellings_are_no_numbers(text):
    """float() reads some of these; a file or a form that holds them holds no number (an id
    such as 1_000), so they are counted like "oops", never used as values."""
    import math

    from datasets.semantics import text_number

    assert math.isnan(text_number(text, {}))


@pytest.mark.parametrize("text", ["inf", "-Infinity", "1e999"])
def test_infinity_is_read_as_infinity_for_the_callers_to_refuse_as_not_finite(text):
    import math

    from datasets.semantics import text_number

    assert math.isinf(text_number(text, {}))
