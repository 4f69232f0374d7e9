"""The OpenAPI document and Swagger UI, for signed-in users only.

Anonymous API clients get the contract's 401; an anonymous browser is sent to the sign-in page.
Their errors are JSON like every API answer, not YAML or HTML from their own renderers.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response


def _as_json(request: Request, response: Response) -> Response:
    """Render an error answer with JSON, whatever renderer the view's content was to use."""
    request.accepted_renderer = JSONRenderer()
    request.accepted_media_type = JSONRenderer.media_type
    return response


class SchemaView(SpectacularAPIView):
    """The OpenAPI document, for signed-in users only."""

    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc: Exception):
        return _as_json(self.request, super().handle_exception(exc))


class DocsView(SpectacularSwaggerView):
    """Swagger UI for signed-in users; an anonymous browser is redirected to the sign-in page."""

    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc: Exception):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            request: Request = self.request
            if "text/html" in request.META.get("HTTP_ACCEPT", ""):
                return redirect_to_login(request.get_full_path())
        return _as_json(self.request, super().handle_exception(exc))
