"""Fair use: request rates per scope, and a lockout after repeated wrong passwords.

Rates come from `VUR_THROTTLE_RATES` (read on each request, so tests and operators can change
them) and are counted in the Django cache (Redis), so every web process shares them.

- `AuthRateThrottle`: sign-in endpoints (JWT token and refresh), per client address.
- `ScopedEndpointThrottle` (a default throttle class): per user on the expensive endpoints,
  chosen by route name (uploads, training start, batch scoring, drift detection).
- `login_locked` / `login_failed` / `login_succeeded` (used by `vur.signin`): after
  `VUR_LOGIN_MAX_FAILURES` wrong passwords for one username from one address, sign-in (form
  and token) is refused for `VUR_LOGIN_LOCKOUT_S` seconds, even with the right password.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

# Route name (as the routers name them) -> throttle scope; only these POSTs are rate limited.
EXPENSIVE_ROUTES = {
    "dataset-upload": "uploads",
    "training-start": "training",
    "predictions-batch": "batch",
    "monitoring-drift-detection": "drift",
}


class _LiveRateThrottle(SimpleRateThrottle):
    """A SimpleRateThrottle whose rate is read from settings on each request."""

    def __init__(self) -> None:  # the parent reads a class-level rate table at import time
        pass

    def get_rate(self) -> str | None:
        return settings.VUR_THROTTLE_RATES.get(self.scope or "")

    def _prepare(self) -> bool:
        self.rate = self.get_rate()
        if not self.rate:
            return False
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return True


class AuthRateThrottle(_LiveRateThrottle):
    """Sign-in attempts per client address (scope `auth`)."""

    scope = "auth"

    def allow_request(self, request: Request, view: Any) -> bool:
        return super().allow_request(request, view) if self._prepare() else True

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ScopedEndpointThrottle(_LiveRateThrottle):
    """Per-user rate on the expensive endpoints listed in EXPENSIVE_ROUTES (POST only)."""

    scope = ""

    def allow_request(self, request: Request, view: Any) -> bool:
        match = getattr(request, "resolver_match", None)
        scope = EXPENSIVE_ROUTES.get(getattr(match, "url_name", None) or "")
        if request.method != "POST" or not scope:
            return True
        self.scope = scope
        return super().allow_request(request, view) if self._prepare() else True

    def get_cache_key(self, request: Request, view: Any) -> str:
        user = request.user
        ident = f"user-{user.pk}" if user and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


# ---------------------------------------------------------------- lockout


def _lockout_key(username: str, address: str) -> str:
    # Hashed: a username is user input (any length, any characters) and must not shape the key.
    name = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]
    return f"vur:login-failures:{name}:{address}"


def client_address(request: Any) -> str:
    """The client's address as the server saw it (behind a proxy: the proxy's, by design)."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def login_locked(username: str, address: str) -> int:
    """Seconds until this username may sign in again from this address; 0 when not locked."""
    key = _lockout_key(username, address)
    if (cache.get(key) or 0) < int(settings.VUR_LOGIN_MAX_FAILURES):
        return 0
    ttl = getattr(cache, "ttl", None)
    return int(ttl(key)) if callable(ttl) else int(settings.VUR_LOGIN_LOCKOUT_S)


def login_failed(username: str, address: str) -> None:
    """Count one wrong password; the count expires `VUR_LOGIN_LOCKOUT_S` after the first."""
    key = _lockout_key(username, address)
    cache.add(key, 0, timeout=int(settings.VUR_LOGIN_LOCKOUT_S))
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=int(settings.VUR_LOGIN_LOCKOUT_S))


def login_succeeded(username: str, address: str) -> None:
    """Forget the failures of a username that signed in."""
    cache.delete(_lockout_key(username, address))


def locked_message(seconds: int) -> str:
    """The sentence a locked-out person reads."""
    minutes = max(1, -(-seconds // 60))
    return (
        f"Too many wrong passwords for this account; try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}."
    )
