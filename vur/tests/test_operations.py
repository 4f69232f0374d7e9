"""Operations endpoints: Prometheus metrics at /metrics and the dependency check at /health/."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from conftest import wait_for
from predictions.logbook import LogEntry, prediction_log_write

pytestmark = pytest.mark.django_db


def _samples(text: str) -> dict[tuple, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_expose_requests_predictions_jobs_and_queues(api, owner, deployed_model):
    prediction_log_write(
        [
            LogEntry(owner_id=owner.pk, model_id=deployed_model.pk, prediction="Adelie")
            for _ in range(3)
        ]
        + [LogEntry(owner_id=owner.pk, model_id=deployed_model.pk, channel="batch", row_count=500)]
    )
    api.get("/api/v1/dashboard/stats")
    res = Client().get("/metrics")  # no credentials: scrapers are not users
    assert res.status_code == 200 and res["Content-Type"].startswith("text/plain")
    text = res.content.decode()
    samples = _samples(text)
    mid = str(deployed_model.pk)
    served = "vur_predictions_served_total"
    assert samples[(served, (("channel", "rest"), ("model_id", mid)))] == 3
    assert samples[(served, (("channel", "batch"), ("model_id", mid)))] == 500
    assert samples[("vur_training_jobs", (("status", "failed"),))] == 0
    assert ("vur_queue_length", (("queue", "training"),)) in samples
    assert samples[("vur_redis_up", ())] == 1
    requests = [
        v
        for (name, labels), v in samples.items()
        if name == "vur_http_requests_total" and ("view", "dashboard-stats") in labels
    ]
    assert requests and requests[0] >= 1
    assert "owner" not in text  # no user data in labels


def test_health_names_what_is_down(celery_worker):
    # The worker may still be starting: wait for its first pong.
    res = wait_for(lambda: Client().get("/health/"), lambda r: r.status_code == 200, 60)
    assert res.status_code == 200, res.content
    assert res.json() == {"status": "healthy", "database": "ok", "redis": "ok", "workers": "ok"}
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0", VUR_HEALTH_TIMEOUT_S=0.5):
        down = Client().get("/health/")
    assert down.status_code == 503
    body = down.json()
    assert body["redis"] == "down" and body["database"] == "ok" and body["workers"] == "unknown"
    assert "redis" in body["detail"]


def test_health_reports_missing_workers(settings):
    """A web process whose broker no worker listens on (another Redis database) answers 503.

    Run in its own process: kombu remembers declared pidbox queues per process, so pinging
    through another database here would hide the real workers from later tests."""
    import json
    import os
    import subprocess
    import sys
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(settings.CELERY_BROKER_URL)
    env = {**os.environ, "REDIS_URL": urlunsplit(parts._replace(path="/15"))}
    env.update(DJANGO_SETTINGS_MODULE="vur.settings.test", VUR_HEALTH_TIMEOUT_S="0.5")
    code = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/health/'); print(json.dumps([r.status_code, r.json()]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    status, body = json.loads(out.stdout.strip().splitlines()[-1])
    assert status == 503, out.stderr
    assert body["workers"] == "down" and body["redis"] == "ok" and body["database"] == "ok"
    assert "workers" in body["detail"]
    assert "health: not answering: workers" in out.stderr  # one warning naming what is down,
    assert "ERROR django.request" not in out.stderr  # not a server error on top


def test_grafana_dashboard_and_scrape_config_use_the_exposed_metrics(deployed_model, owner):
    import json
    import re
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2] / "docker"
    prediction_log_write([LogEntry(owner_id=owner.pk, model_id=deployed_model.pk)])
    Client().get("/health/")
    text = Client().get("/metrics").content.decode()
    dashboard = json.loads((root / "grafana" / "dashboards" / "vur.json").read_text())
    names = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bvur_[a-z_]+", target["expr"])
    }
    assert len(names) >= 6
    for name in names:
        assert re.search(rf"^{name}[{{ ]", text, re.M), name
    scrape = yaml.safe_load((root / "prometheus.yml").read_text())
    job = scrape["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics" and job["static_configs"][0]["targets"] == ["web:8000"]
    compose = yaml.safe_load((root / "compose.yaml").read_text())
    assert {"prometheus", "grafana"} <= set(compose["services"])
