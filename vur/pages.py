"""Small helpers shared by the apps' page views (pages.py): 404 pages and plain-words errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import Http404

from vur.errors import NotFound

T = TypeVar("T")


def get_or_404(selector: Callable[..., T], **kwargs: Any) -> T:
    """Call a `<noun>_get(user=..., <noun>_id=...)` selector; its NotFound becomes the 404 page."""
    try:
        return selector(**kwargs)
    except NotFound as err:
        raise Http404(err.detail) from None


def error_fields(err: Exception) -> dict[str, list[str]]:
    """Field -> messages of a VURError (empty when it names no field), for forms to show."""
    errors = getattr(err, "errors", None) or {}
    return {k: v if isinstance(v, list) else [str(v)] for k, v in errors.items()}
