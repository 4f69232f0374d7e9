"""Signed-in pages are never kept by the browser: after a delete (or a sign-out) the Back
button asks the server again instead of showing a cached page of something that is gone. The
REST API is left as DRF answers it (no browser history; its prediction fast path answers with
exactly DRF's headers)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers
from django.utils.deprecation import MiddlewareMixin


class PrivatePagesNoStoreMiddleware(MiddlewareMixin):
    """Marks every page answered to a signed-in person `Cache-Control: no-store` (with Django's
    never-cache set: max-age=0, no-cache, must-revalidate, private), unless the view chose its
    own Cache-Control. Paths under /api/ are not pages."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """Add the never-cache headers to a signed-in person's page."""
        if request.path.startswith("/api/") or response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
