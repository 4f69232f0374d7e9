"""Test settings: the base settings, faster and isolated (own media dir, own Redis keyspace)."""

from __future__ import annotations

import os
from pathlib import Path

from vur.settings.base import *  # noqa: F403
from vur.settings.base import CELERY_BROKER_TRANSPORT_OPTIONS, DATABASES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# An end-to-end test hands its media folder to the servers it starts.
MEDIA_ROOT = Path(
    os.environ.get("VUR_TEST_MEDIA_ROOT") or VAR_DIR / "test-media" / str(os.getpid())
)
VUR_DEFAULT_TIME_BUDGET_S = 5.0
# Servers a test starts load no models at start unless the test asks (VUR_WARM_ON_START=1).
VUR_WARM_ON_START = os.environ.get("VUR_WARM_ON_START", "") == "1"
# Generous fair-use limits so the suite never trips them; the throttle tests set their own.
VUR_THROTTLE_RATES = dict.fromkeys(("auth", "uploads", "training", "batch", "drift"), "100000/min")
VUR_LOGIN_MAX_FAILURES = 10_000
VUR_MAX_ACTIVE_JOBS_PER_USER = 10_000
# Predictions are logged during the request, inside the test's transaction.
VUR_PREDICTION_LOG_ASYNC = False
if "pool" in DATABASES["default"].get("OPTIONS", {}) and not os.environ.get("VUR_TEST_SERVER"):
    # The pytest process itself runs code on threads that end with the test (event loops of
    # async_to_sync, a worker thread pool, client threads); a pooled connection left on such a
    # thread is never returned. Servers a test starts (VUR_TEST_SERVER=1) keep the pool, as in
    # production, and tests of the pool run against them.
    del DATABASES["default"]["OPTIONS"]["pool"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not :memory:) so a worker or server started by an end-to-end test sees the same rows.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

# Keep test traffic apart from a `make run` sharing the same Redis, and the suite's parallel
# processes (pytest-xdist's gw0, gw1, ...) apart from each other: each has its own test
# database (pytest-django adds the suffix), Celery worker, channel groups and cache keys.
_XDIST = os.environ.get("PYTEST_XDIST_WORKER", "")
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = os.environ.get(  # noqa: F405
    "VUR_CHANNEL_PREFIX", f"vurtest{_XDIST}"
)
CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = os.environ.get(
    "VUR_BROKER_PREFIX", f"vurtest{_XDIST}:"
)
CACHES["default"]["KEY_PREFIX"] = f"vurtest{_XDIST}"  # noqa: F405
