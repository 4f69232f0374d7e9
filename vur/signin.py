"""Sign-in with fair use: the login form and the JWT token views, throttled and locked out.

After `VUR_LOGIN_MAX_FAILURES` wrong passwords for one username from one address, both refuse
sign-in for `VUR_LOGIN_LOCKOUT_S` seconds (the form with a sentence, the API with 429 and
Retry-After); the token views are also rate limited per address (scope `auth`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from vur.throttling import (
    AuthRateThrottle,
    client_address,
    locked_message,
    login_failed,
    login_locked,
    login_succeeded,
)

# The mixin only runs inside an AuthenticationForm: let mypy check it as one.
if TYPE_CHECKING:
    _Form = AuthenticationForm
else:
    _Form = object


class _LockoutMixin(_Form):
    """clean() that refuses a locked-out username and counts wrong passwords."""

    locked_message = ""  # the sentence the page shows instead of "didn't match" when locked

    def clean(self) -> dict:
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request) if self.request else "unknown"
        locked = login_locked(username, address)
        if locked:
            self.locked_message = locked_message(locked)
            raise ValidationError(self.locked_message, code="locked_out")
        try:
            cleaned = super().clean()
        except ValidationError:
            if self.get_user() is None:  # a wrong password, not a right one refused for rights
                login_failed(username, address)
            raise
        login_succeeded(username, address)
        return cleaned


class LockoutAuthenticationForm(_LockoutMixin, AuthenticationForm):
    """The sign-in form, refusing for a while after repeated wrong passwords."""


class AdminLockoutAuthenticationForm(_LockoutMixin, AdminAuthenticationForm):
    """The admin site's sign-in form, with the same lockout."""


class LockedOut(exceptions.Throttled):
    """Sign-in refused for a while after repeated wrong passwords (429 with Retry-After)."""

    default_code = "locked_out"

    def __init__(self, wait: int, detail: str):
        exceptions.APIException.__init__(self, detail, self.default_code)
        self.wait = wait


class ThrottledTokenObtainPairView(TokenObtainPairView):
    """`auth/token/`: rate limited per address, and locked after repeated wrong passwords."""

    throttle_classes = [AuthRateThrottle]

    def post(self, request: Request, *args, **kwargs):
        username = str(request.data.get("username") or "") if hasattr(request.data, "get") else ""
        address = client_address(request)
        locked = login_locked(username, address)
        if locked:
            raise LockedOut(wait=locked, detail=locked_message(locked))
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:
            login_succeeded(username, address)
        return response

    def handle_exception(self, exc: Exception):
        if isinstance(exc, exceptions.AuthenticationFailed):
            data = self.request.data
            username = data.get("username") if hasattr(data, "get") else ""
            login_failed(str(username or ""), client_address(self.request))
        return super().handle_exception(exc)


class ThrottledTokenRefreshView(TokenRefreshView):
    """`auth/token/refresh/`: rate limited per address."""

    throttle_classes = [AuthRateThrottle]
