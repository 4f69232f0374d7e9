"""Production settings: the base settings hardened; secrets have no default here."""

from vur.settings.base import *  # noqa: F403
from vur.settings.base import env

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = False
SESSION_COOKIE_SECURE = env.bool("VUR_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HTTPS only: redirect plain HTTP (health checks and scrapes from the load balancer excepted),
# and tell browsers to stay on HTTPS (HSTS). Behind a proxy, it must set X-Forwarded-Proto.
SECURE_SSL_REDIRECT = env.bool("VUR_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("VUR_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("VUR_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("VUR_HSTS_PRELOAD", default=True)
SESSION_COOKIE_HTTPONLY = True
