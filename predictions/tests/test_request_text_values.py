"""Request rows are read the way the training file was: a numeric column's text in the file's
own notation (currency signs, thousands separators, decimal commas), its words for "missing",
and dates in the file's day/month order (a date that reads as none is refused), on the REST and
WebSocket paths alike."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from datasets.columns import column_info as profile_column
from modeling.models import TrainedModel
from predictions.services import prepare_rows
from vur.errors import InvalidInput


def _model(frame: pd.DataFrame) -> TrainedModel:
    columns = [{**profile_column(frame[c], c), "required": False} for c in frame.columns]
    return TrainedModel(input_schema={"columns": columns})


PRICES = pd.DataFrame(
    {"price": ["$1.200,50", "$980,00", "n/a", "$2.050,75", "$10,00"] * 8}
)  # a file written in a German locale: '.' groups thousands, ',' marks the decimals
DATES = pd.DataFrame(
    {"sold": ["13/01/2020", "14/01/2020", "15/01/2020", "16/01/2020", "17/01/2020"] * 8}
)


def test_the_price_column_was_profiled_from_text_with_its_separators():
    info = _model(PRICES).input_schema["columns"][0]
    assert info["semantic_type"] == "numeric"
    assert info["parse"]["decimal"] == ","


def test_numbers_in_the_files_notation_and_missing_words_are_read():
    rows = [{"price": "$1.300,25"}, {"price": "n/a"}, {"price": ""}, {"price": 99.5}]
    frame = prepare_rows(_model(PRICES), rows)
    got = frame["price"].tolist()
    assert got[0] == pytest.approx(1300.25)
    assert math.isnan(got[1]) and math.isnan(got[2])
    assert got[3] == 99.5


def test_text_that_is_no_number_is_still_refused_by_name():
    with pytest.raises(InvalidInput) as caught:
        prepare_rows(_model(PRICES), [{"price": "unknown"}])
    assert caught.value.code == "invalid_rows"
    assert "data[0].price" in str(caught.value.detail)


def test_dates_are_read_in_the_files_day_month_order():
    # 03/04/2020 alone could be either; the file's dates were day-first.
    frame = prepare_rows(_model(DATES), [{"sold": "03/04/2020"}])
    assert frame["sold"].iloc[0] == pd.Timestamp("2020-04-03")


def test_text_that_is_no_date_is_refused_by_name_and_missing_words_stay_missing():
    with pytest.raises(InvalidInput) as caught:
        prepare_rows(_model(DATES), [{"sold": "n/a"}, {"sold": "13/14/2020"}, {"sold": "soon"}])
    assert caught.value.code == "invalid_rows"
    assert caught.value.errors == {
        "data[1].sold": ["must be a date (or null for a missing value)"],
        "data[2].sold": ["must be a date (or null for a missing value)"],
    }
    frame = prepare_rows(_model(DATES), [{"sold": v} for v in ("", " NA ", None, "-")])
    assert frame["sold"].isna().all()
