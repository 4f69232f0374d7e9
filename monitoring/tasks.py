"""Celery tasks of the monitoring stage: they call one service."""

from __future__ import annotations

from celery import shared_task

from monitoring import services


@shared_task(name="monitoring.run_checks", acks_late=True)
def run_monitoring_checks() -> dict[str, int]:
    """The periodic pass of every check (beat runs it every VUR_MONITORING_INTERVAL_S)."""
    return services.monitoring_check_all()
