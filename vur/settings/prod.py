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
