"""Signed-in answers are never kept by the browser: after a delete (or a sign-out) the Back
button asks the server again instead of showing a cached page of something that is gone."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers
from django.utils.deprecation import MiddlewareMixin


class PrivatePagesNoStoreMiddleware(MiddlewareMixin):
    """Marks every answer to a signed-in person `Cache-Control: no-store` (with Django's
    never-cache set: max-age=0, no-cache, must-revalidate, private), unless the view chose its
    own Cache-Control."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """Add the never-cache headers to a signed-in person's answer."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
