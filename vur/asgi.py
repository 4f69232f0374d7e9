"""ASGI entry point: HTTP through Django (ordinary `predictions/single` requests answered ahead
of it by `predictions.fastpath`); WebSockets through Channels behind origin and auth."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vur.settings.base")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from monitoring.routing import websocket_urlpatterns as monitoring_ws  # noqa: E402
from predictions.fastpath import FastPredictApp  # noqa: E402
from predictions.routing import websocket_urlpatterns as prediction_ws  # noqa: E402
from predictions.served import serving_warm_deployed  # noqa: E402
from training.routing import websocket_urlpatterns as training_ws  # noqa: E402
from vur.bodylimit import BodyLimitMiddleware, install_daphne_limit  # noqa: E402
from vur.ws_auth import OriginCheck, VURAuthStack  # noqa: E402

install_daphne_limit()  # daphne refuses an over-limit body before spooling it

if settings.VUR_WARM_ON_START:  # a restarted web process serves its first requests warm
    serving_warm_deployed()

application = ProtocolTypeRouter(
    {
        "http": BodyLimitMiddleware(FastPredictApp(django_asgi_app)),
        "websocket": OriginCheck(
            VURAuthStack(URLRouter(training_ws + prediction_ws + monitoring_ws))
        ),
    }
)
