"""The OpenAPI document and Swagger UI, for signed-in users only.

Anonymous API clients get the contract's 401; an anonymous browser is sent to the sign-in page.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request


class SchemaView(SpectacularAPIView):
    """The OpenAPI document, for signed-in users only."""

    permission_classes = [IsAuthenticated]


class DocsView(SpectacularSwaggerView):
    """Swagger UI for signed-in users; an anonymous browser is redirected to the sign-in page."""

    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc: Exception):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            request: Request = self.request
            if "text/html" in request.META.get("HTTP_ACCEPT", ""):
                return redirect_to_login(request.get_full_path())
        return super().handle_exception(exc)
