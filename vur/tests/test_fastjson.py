"""`vur.fastjson` reads and writes what the json module would, only faster."""

from __future__ import annotations

import json
import math
import random

import pytest

from vur import fastjson


def _document(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randint(-(2**80), 2**80) if rng.random() < 0.2 else rng.randint(-999, 999)
    if kind == 2:
        return rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-12, 12)
    if kind in (3, 4, 5):
        return "".join(rng.choice('aé"\\\n\t/0123456789 ') for _ in range(rng.randint(0, 12)))
    if kind in (6, 7):
        return [_document(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f"k{i}": _document(rng, depth + 1) for i in range(rng.randint(0, 4))}


def test_random_documents_read_back_as_the_json_module_reads_them():
    rng = random.Random(3)
    for _ in range(2000):
        value = _document(rng)
        text = json.dumps(value)
        assert fastjson.loads(text.encode()) == json.loads(text)
        written = fastjson.dumps(value)
        assert json.loads(written) == value
        assert fastjson.dumps_text(value) == written.decode()


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 123456789012345678901234567890}',
        b"[-9223372036854775809, 18446744073709551616]",
        b'{"x": "\\ud800"}',
        b'"12345678901234567890"',
    ],
)
def test_what_orjson_reads_differently_is_read_by_the_json_module(body):
    got = fastjson.loads(body)
    assert got == json.loads(body)
    assert [type(v) for v in _leaves(got)] == [type(v) for v in _leaves(json.loads(body))]


def _leaves(value):
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


@pytest.mark.parametrize("body", [b"[NaN]", b'{"a": Infinity}', b"-Infinity", b"{", b"\xff", b""])
def test_what_is_not_json_is_a_value_error(body):
    with pytest.raises(ValueError):
        fastjson.loads(body)


def test_what_orjson_cannot_write_is_written_by_the_json_module():
    assert json.loads(fastjson.dumps({"n": 2**70, "s": "é"})) == {"n": 2**70, "s": "é"}
    assert fastjson.dumps({1: "a"}) == b'{"1":"a"}'
    assert fastjson.dumps([math.nan, math.inf]) == b"[null,null]"
