"""Template filters that word monitoring's stored codes for people, as the monitoring page's
script words them too: an alert kind ("job_failed" -> "Job failed")."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def alert_kind(kind: Any) -> str:
    """An alert kind as a sentence: "job_failed" -> "Job failed", "error_rate" -> "Error rate"
    (the words app.js's `vurAlertKind` writes for alerts that arrive live)."""
    words = str(kind or "alert").replace("_", " ")
    return words[:1].upper() + words[1:]
