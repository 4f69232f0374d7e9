"""WebSocket routes of the training stage."""

from django.urls import re_path

from training.consumers import TrainingJobConsumer

websocket_urlpatterns = [
    re_path(r"^ws/training/(?P<job_id>[0-9a-fA-F-]{32,36})/?$", TrainingJobConsumer.as_asgi()),
]
