"""`target_label`: a deployment target in words ("api" -> "REST API")."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

TARGET_LABELS = {"api": "REST API", "realtime": "Realtime stream", "batch": "Batch files"}


@register.filter
def target_label(target: Any) -> str:
    """The page name of deployment target `target` (an unknown one is shown as stored)."""
    return TARGET_LABELS.get(str(target), str(target))
