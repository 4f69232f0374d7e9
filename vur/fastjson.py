"""JSON for the prediction path: orjson where it gives what the `json` module would, the `json`
module where it would not. Django-free.

Parsing is strict like our other parsers (NaN and Infinity are refused). orjson reads an integer
beyond 64 bits as a float and refuses a lone surrogate escape; a body that may hold either is
read by the `json` module, so a value never changes with the parser. Writing is compact UTF-8
with NaN and infinities as null; what orjson cannot write (an integer beyond 64 bits, a key that
is not text) is written by the `json` module.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "dumps_text", "loads"]

# A run of 19 ASCII digits (2**63 has 19; anything shorter fits orjson), found by mapping every
# digit to 1 and every other byte to 0: a tenth of a regular expression's time on a number-heavy
# body.
_DIGIT_MAP = bytes(0x31 if 0x30 <= i <= 0x39 else 0x30 for i in range(256))
_LONG_RUN = b"1" * 19


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(raw: bytes | str) -> Any:
    """The value of a JSON document; ValueError (UnicodeDecodeError included) when it is not
    one, NaN and Infinity included."""
    data = raw.encode() if isinstance(raw, str) else raw
    if data.translate(_DIGIT_MAP).find(_LONG_RUN) < 0:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # the json module decides: a lone surrogate is valid for it
    return json.loads(data, parse_constant=_no_constants)


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON bytes; TypeError or ValueError for what JSON cannot hold."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError: a huge integer, a non-text key, another type
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode()


def dumps_text(value: Any) -> str:
    """`dumps` as text (a database JSON column's input)."""
    return dumps(value).decode()
