"""Object ids and list filters from query strings: ids are ASCII digits, no larger than a database
column holds; a malformed filter is a 400, never a silently empty or unfiltered list."""

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


def id_filter(noun: str) -> serializers.IntegerField:
    """A list filter by the id of a `noun` ("pipeline"): a positive integer, empty for none; any
    other value is a 400 that says so."""
    message = f"Give the {noun}'s id as a positive whole number."
    return serializers.IntegerField(
        required=False,
        allow_null=True,  # an empty value (`?pipeline_id=`) means no filter, as in a form
        min_value=1,
        max_value=MAX_ID,
        help_text=f"Only those of this {noun}.",
        error_messages={"invalid": message, "min_value": message, "max_value": message},
    )


def choice_filter(
    choices: list[tuple[str, str]], noun: str, help_text: str
) -> serializers.ChoiceField:
    """A list filter by one of `choices` (a model's TextChoices.choices), empty for none; an
    unknown value is a 400 naming the known ones."""
    values = ", ".join(value for value, _label in choices)
    return serializers.ChoiceField(
        choices=choices,
        required=False,
        allow_blank=True,
        help_text=help_text,
        error_messages={"invalid_choice": f'"{{input}}" is not a {noun}; use one of {values}.'},
    )


def list_filters(query: type[serializers.Serializer], params: Any) -> dict[str, Any]:
    """The filters of a list request, read from its query string (`params`) by the serializer
    `query`, with the absent and empty ones left out. A malformed value raises DRF's
    ValidationError: a 400 `validation_error` naming the parameter, never a silent empty list."""
    form = query(data=params)
    form.is_valid(raise_exception=True)
    return {key: value for key, value in form.validated_data.items() if value not in (None, "")}
