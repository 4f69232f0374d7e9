"""Reads of alerts shared by the API, the pages and the dashboard, limited to the user."""

from __future__ import annotations

from django.db.models import QuerySet

from monitoring.models import Alert
from vur.errors import NotFound
from vur.models import owned_by


def alert_list(*, user, acknowledged: bool | None = None, model_id=None) -> QuerySet[Alert]:
    """Alerts `user` may see, newest first; optionally only open/acknowledged or one model's."""
    qs = owned_by(Alert.objects.select_related("model__pipeline"), user)
    if acknowledged is not None:
        qs = qs.filter(acknowledged=acknowledged)
    if model_id is not None:
        qs = qs.filter(model_id=model_id)
    return qs.order_by("-created_at", "-id")


def alert_list_open(*, user) -> QuerySet[Alert]:
    """The user's open (unacknowledged) alerts, newest first: what the dashboard shows."""
    return alert_list(user=user, acknowledged=False)


def alert_get(*, user, alert_id) -> Alert:
    """One alert `user` may see; NotFound (404) otherwise."""
    try:
        return owned_by(Alert.objects.all(), user).get(pk=alert_id)
    except (Alert.DoesNotExist, ValueError, TypeError):
        raise NotFound("Alert not found.", code="alert_not_found") from None
