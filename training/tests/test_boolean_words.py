"""One boolean vocabulary: the dataset profiler, type coercion, the fitted pipeline's boolean
encoder and feedback label matching all accept exactly `datasets.semantics.BOOLEAN_PAIRS`."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from datasets.profiling import coerce_types, profile_frame
from datasets.semantics import BOOLEAN_PAIRS, FALSE_TOKENS, TRUE_TOKENS
from preprocessing.transformers import BooleanEncoder
from training.labels import label_like

BOOLEAN = [{"name": "b", "semantic_type": "boolean"}]


def _readings(word: str) -> tuple[float, float, object]:
    """(dataset coercion, pipeline encoder, feedback label) readings of one value."""
    frame = pd.DataFrame({"b": [word]}, dtype=object)
    coerced = float(coerce_types(frame, BOOLEAN)["b"].iloc[0])
    encoded = float(BooleanEncoder().fit_transform(frame)["b"].iloc[0])
    return coerced, encoded, label_like(word, [False, True])


@pytest.mark.parametrize(("true", "false"), BOOLEAN_PAIRS)
def test_every_reader_accepts_the_same_boolean_words(true, false):
    for word, expected in ((true, True), (true.upper(), True), (f" {false} ", False)):
        coerced, encoded, label = _readings(word)
        assert coerced == encoded == float(expected)
        assert label is expected
    column = pd.DataFrame({"b": [true, false] * 15})
    assert profile_frame(column)["columns_info"][0]["semantic_type"] == "boolean"


def test_on_and_off_are_booleans_everywhere():
    assert "on" in TRUE_TOKENS and "off" in FALSE_TOKENS
    assert _readings("On") == (1.0, 1.0, True)
    assert _readings("off") == (0.0, 0.0, False)


@pytest.mark.parametrize("word", ["maybe", "2", "si", "enabled", "yes please"])
def test_other_words_are_not_booleans_anywhere(word):
    coerced, encoded, label = _readings(word)
    assert math.isnan(coerced) and math.isnan(encoded)
    assert label == word
    column = pd.DataFrame({"b": [word, "no"] * 15})
    assert profile_frame(column)["columns_info"][0]["semantic_type"] != "boolean"
