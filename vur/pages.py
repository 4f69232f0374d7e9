"""Small helpers shared by the apps' page views (pages.py): 404 pages, plain-words errors and
whether htmx sent the request."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

from django.http import Http404, HttpRequest

from vur.errors import NotFound

T = TypeVar("T")


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (it swaps the answer into the page), as django-htmx's
    middleware reads its header."""
    return bool(getattr(request, "htmx", False))


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


def fields_banner(err: Exception, fields: Collection[str]) -> str:
    """The line above a form for a refused save: a pointer to the marked fields when each
    message sits at one of the form's `fields`, else the error's own sentence."""
    marked = error_fields(err)
    if not marked or not set(marked) <= set(fields):
        return str(getattr(err, "detail", err))
    if len(marked) == 1:
        return "Check the field marked below."
    return f"Check the {len(marked)} fields marked below."
