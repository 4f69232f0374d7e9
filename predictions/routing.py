"""WebSocket routes of the predictions stage."""

from django.urls import re_path

from predictions.consumers import PredictionConsumer

websocket_urlpatterns = [
    re_path(r"^ws/predictions/?$", PredictionConsumer.as_asgi()),
    re_path(r"^api/v1/predictions/real-time/?$", PredictionConsumer.as_asgi()),
]
