"""Stored JSON in the admin, read-only and readable: a one-line summary, with the whole value
pretty-printed in a collapsed block beneath it.

`ReadableJSONAdmin` goes before a ModelAdmin base: every JSON field of the model becomes a
read-only display (never a form field), summarised by `json_summaries[name]` when given; with
`all_read_only` every field is read-only. (An admin using it must not define its own
`get_readonly_fields`, which would hide the mixin's; it sets `readonly_fields` instead.)
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, ClassVar

from django.db import models
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

SHORT = 80  # a value whose compact JSON is at most this long is shown whole, on one line
PRE_STYLE = "max-height:28em;overflow:auto;white-space:pre-wrap;margin:0.5em 0 0 0"


def _scalar(value: Any) -> str:
    """A scalar as a person reads it: floats to four significant figures."""
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value if len(value) <= 40 else f"{value[:39]}…"
    return json.dumps(value, default=str)


def _names(items: list[str], shown: int = 6) -> str:
    head = ", ".join(items[:shown])
    return head + (f", … ({len(items)} in all)" if len(items) > shown else "")


def json_summary(value: Any) -> str:
    """One line saying what a JSON value holds: a mapping's scalar entries or its keys, a
    list's length and first entries."""
    if isinstance(value, dict):
        if all(not isinstance(v, (dict, list)) for v in value.values()):
            return _names([f"{k}: {_scalar(v)}" for k, v in value.items()])
        return f"{len(value)} entries: {_names([str(k) for k in value])}"
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return f"{len(value)} items: {_names([_scalar(v) for v in value])}"
        return f"{len(value)} items"
    return _scalar(value)


def json_block(value: Any, summary: str | None = None) -> SafeString | str:
    """HTML for a stored JSON value: "-" when empty, short values whole on one line, longer
    ones as a summary line over the pretty-printed JSON in a collapsed <details>."""
    if value is None or value == {} or value == []:
        return "-"
    compact = json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
    if len(compact) <= SHORT and summary is None:
        return format_html("<code>{}</code>", compact)
    pretty = json.dumps(value, ensure_ascii=False, default=str, indent=2)
    return format_html(
        '<details class="vur-json"><summary>{}</summary><pre style="{}">{}</pre></details>',
        summary if summary is not None else json_summary(value),
        PRE_STYLE,
        pretty,
    )


def _display(field: models.Field, summarise: Callable[[Any], str] | None) -> Callable:
    """The admin's read-only display callable for one JSON field."""

    def show(obj: Any) -> SafeString | str:
        value = getattr(obj, field.attname)
        if summarise is None or value in (None, {}, []):
            return json_block(value)
        return json_block(value, summarise(value))

    show.__name__ = field.name
    show.short_description = field.verbose_name  # type: ignore[attr-defined]
    return show


class ReadableJSONAdmin:
    """Admin mixin: the model's JSON fields are read-only, shown summarised and pretty-printed.
    `json_summaries` maps a field name to a function giving its summary line."""

    json_summaries: ClassVar[dict[str, Callable[[Any], str]]] = {}
    all_read_only: ClassVar[bool] = False
    model: type[models.Model]

    def _json_fields(self) -> dict[str, Callable]:
        cache = self.__dict__.get("_json_displays")
        if cache is None:
            cache = {
                f.name: _display(f, self.json_summaries.get(f.name))
                for f in self.model._meta.fields
                if isinstance(f, models.JSONField)
            }
            self.__dict__["_json_displays"] = cache
        return cache

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        """The JSON fields never become form fields."""
        exclude = super().get_exclude(request, obj)  # type: ignore[misc]
        return [*(exclude or []), *self._json_fields()]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """The read-only fields, each JSON field replaced by its display (in place, or added at
        the end when it was not listed)."""
        displays = self._json_fields()
        if self.all_read_only:
            names: list[Any] = [f.name for f in self.model._meta.fields]
        else:
            names = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        out = [displays.get(n, n) if isinstance(n, str) else n for n in names]
        out += [show for name, show in displays.items() if name not in names]
        return out
