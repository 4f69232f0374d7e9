"""Object ids from query strings: ASCII digits only, no larger than a database column holds."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

# The largest value of a signed 64-bit column (PostgreSQL bigint, SQLite INTEGER).
MAX_ID = 2**63 - 1


def query_id(raw: str | None) -> int | None:
    """The id written in `raw` (a query-string value), or None when it is not a positive integer
    a database column can hold (SQLite refuses larger ones with an OverflowError, not a 404)."""
    if raw is None or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """A serializer field for an object id: an integer no larger than MAX_ID (a larger one is a
    400, where SQLite would fail a foreign-key lookup with an OverflowError)."""
    return serializers.IntegerField(max_value=MAX_ID, **kwargs)
