"""Alerts: raised by the periodic task on a real worker, one open per model and kind,
acknowledged through the API (idempotently), pushed to the owner's WebSocket."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from conftest import wait_for
from monitoring import services
from monitoring.models import Alert
from monitoring.tasks import run_monitoring_checks
from predictions.logbook import LogEntry, prediction_log_write
from vur.asgi import application


def _failures(model, n: int, ok: int = 0) -> None:
    entries = [
        LogEntry(owner_id=model.owner_id, model_id=model.pk, error_code="invalid_rows")
        for _ in range(n)
    ]
    entries += [
        LogEntry(owner_id=model.owner_id, model_id=model.pk, prediction="Adelie", latency_ms=2.0)
        for _ in range(ok)
    ]
    prediction_log_write(entries)


@pytest.mark.django_db
def test_one_open_alert_per_model_and_kind(owner, deployed_model):
    first = services.alert_raise(
        owner_id=owner.pk, model=deployed_model, kind="drift", subject="model:1", message="a"
    )
    again = services.alert_raise(
        owner_id=owner.pk, model=deployed_model, kind="drift", subject="model:1", message="b"
    )
    other_kind = services.alert_raise(
        owner_id=owner.pk, model=deployed_model, kind="error_rate", subject="model:1", message="c"
    )
    assert first and again is None and other_kind
    assert Alert.objects.filter(kind="drift").count() == 1
    services.alert_acknowledge(alert=first)
    # Acknowledged within the snooze period: the same problem does not reopen at once.
    assert (
        services.alert_raise(
            owner_id=owner.pk, model=deployed_model, kind="drift", subject="model:1", message="d"
        )
        is None
    )
    Alert.objects.filter(pk=first.pk).update(
        acknowledged_at=timezone.now() - timezone.timedelta(days=2)
    )
    assert services.alert_raise(
        owner_id=owner.pk, model=deployed_model, kind="drift", subject="model:1", message="e"
    )


@pytest.mark.django_db
def test_error_rate_check_raises_and_the_api_acknowledges(api, other_api, deployed_model):
    _failures(deployed_model, 20, ok=20)
    raised = services.model_check(model=deployed_model, window="1h")
    assert [a.kind for a in raised] == ["error_rate"]
    assert services.model_check(model=deployed_model, window="1h") == []  # still open: no second
    listing = api.get("/api/v1/monitoring/alerts").json()
    assert listing["count"] == 1
    alert = listing["results"][0]
    assert alert["kind"] == "error_rate" and alert["model_id"] == deployed_model.pk
    assert alert["acknowledged"] is False and "50%" in alert["message"]
    assert other_api.get("/api/v1/monitoring/alerts").json()["count"] == 0
    url = f"/api/v1/monitoring/alerts/{alert['id']}/acknowledge"
    assert other_api.post(url).status_code == 404
    first = api.post(url)
    assert first.status_code == 200 and first.json()["acknowledged"] is True
    second = api.post(url).json()
    assert second["acknowledged_at"] == first.json()["acknowledged_at"]
    assert api.get("/api/v1/monitoring/alerts?acknowledged=false").json()["count"] == 0
    assert api.post("/api/v1/monitoring/alerts/999999/acknowledge").status_code == 404
    assert api.get("/api/v1/monitoring/alerts?acknowledged=maybe").status_code == 400


@pytest.mark.django_db
def test_performance_drop_against_the_training_accuracy(deployed_model):
    deployed_model.test_metrics = {"accuracy": 0.95}
    deployed_model.save(update_fields=["test_metrics"])
    entries = [
        LogEntry(owner_id=deployed_model.owner_id, model_id=deployed_model.pk, prediction="Adelie")
        for _ in range(40)
    ]
    prediction_log_write(entries)
    from predictions.services import prediction_feedback

    for i, e in enumerate(entries):
        prediction_feedback(
            user=deployed_model.owner, prediction_id=e.id, actual="Adelie" if i < 20 else "Gentoo"
        )
    kinds = [a.kind for a in services.model_check(model=deployed_model, window="1h")]
    assert "performance" in kinds
    alert = Alert.objects.get(kind="performance")
    assert alert.details["live"] == pytest.approx(0.5) and alert.details["training"] == 0.95


@pytest.mark.django_db(transaction=True)
def test_periodic_task_on_a_worker_raises_alerts_and_pushes_them(
    celery_worker, owner, deployed_model
):
    from pipelines.models import Pipeline
    from training.models import TrainingJob

    token = AccessToken.for_user(owner)
    pipeline = Pipeline.objects.get(pk=deployed_model.pipeline_id)
    job = TrainingJob.objects.create(
        owner=owner, pipeline=pipeline, status="failed", error="boom", completed_at=timezone.now()
    )
    _failures(deployed_model, 30, ok=10)

    async def scenario() -> list[dict]:
        comm = WebsocketCommunicator(application, f"/ws/alerts/?token={token}")
        connected, _ = await comm.connect(timeout=10)
        assert connected
        try:
            from asgiref.sync import sync_to_async

            result = await sync_to_async(
                lambda: run_monitoring_checks.apply_async(queue="scoring").get(timeout=120)
            )()
            assert result["alerts_raised"] == 2
            return [await comm.receive_json_from(timeout=20) for _ in range(2)]
        finally:
            await comm.disconnect()

    events = async_to_sync(scenario)()
    kinds = {e["alert"]["kind"] for e in events}
    assert kinds == {"error_rate", "job_failed"}
    assert all(e["type"] == "alert" for e in events)
    failed = Alert.objects.get(kind="job_failed")
    assert failed.subject == f"job:{job.pk}" and "boom" in failed.message
    # A second pass raises nothing new: both are open (and a failed job alerts once).
    again = run_monitoring_checks.apply_async(queue="scoring").get(timeout=120)
    assert again["alerts_raised"] == 0

    # A late page first receives the open alerts.
    async def late() -> list[dict]:
        comm = WebsocketCommunicator(application, f"/ws/alerts/?token={token}")
        connected, _ = await comm.connect(timeout=10)
        assert connected
        try:
            return [await comm.receive_json_from(timeout=10) for _ in range(2)]
        finally:
            await comm.disconnect()

    assert {e["alert"]["kind"] for e in async_to_sync(late)()} == kinds
    assert wait_for(lambda: Alert.objects.filter(acknowledged=False).count(), lambda n: n == 2)


@pytest.mark.django_db(transaction=True)
def test_alert_socket_refuses_anonymous_clients():
    async def scenario():
        comm = WebsocketCommunicator(application, "/ws/alerts/")
        connected, code = await comm.connect(timeout=10)
        await comm.disconnect()
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert connected is False


@pytest.mark.django_db
def test_dashboard_counts_served_rows_and_open_alerts(api, other_api, owner, deployed_model):
    prediction_log_write(
        [
            LogEntry(owner_id=owner.pk, model_id=deployed_model.pk, prediction="Adelie"),
            LogEntry(owner_id=owner.pk, model_id=deployed_model.pk, channel="batch", row_count=99),
        ]
    )
    stats = api.get("/api/v1/dashboard/stats").json()
    assert stats["recent_predictions"] == 100 and stats["open_alerts"] == 0
    assert stats["system_health"] == "healthy"
    services.alert_raise(
        owner_id=owner.pk, model=deployed_model, kind="drift", subject="model:x", message="m"
    )
    stats = api.get("/api/v1/dashboard/stats").json()
    assert stats["open_alerts"] == 1 and stats["system_health"] == "warning"
    theirs = other_api.get("/api/v1/dashboard/stats").json()
    assert theirs["recent_predictions"] == 0 and theirs["open_alerts"] == 0


@pytest.mark.django_db
def test_drift_of_recent_inputs_raises_a_drift_alert(deployed_model):
    import pandas as pd

    from conftest import sample_path

    frame = pd.read_csv(sample_path("penguins.csv")).dropna()
    rows = frame.drop(columns="species").sample(150, random_state=0).to_dict("records")
    entries = []
    for row in rows:
        row = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        row["body_mass_g"] = row["body_mass_g"] * 1.5
        entries.append(
            LogEntry(
                owner_id=deployed_model.owner_id,
                model_id=deployed_model.pk,
                inputs=row,
                prediction="Adelie",
            )
        )
    prediction_log_write(entries)
    raised = services.model_check(model=deployed_model, window="1h")
    assert [a.kind for a in raised] == ["drift"]
    assert raised[0].details["features"] == ["body_mass_g"]
    # The message names the model as people know it, not by its id.
    name = f"#{deployed_model.rank} Random forest of pipeline {deployed_model.pipeline.name}"
    assert raised[0].message == f"Inputs of {name} drifted in the last 1h: body_mass_g."
    assert f"model {deployed_model.pk}" not in raised[0].message


@pytest.mark.django_db
def test_alerts_name_their_model_and_pipeline_in_the_api_the_push_and_the_dashboard(
    owner, api, deployed_model
):
    from django.test import Client

    alert = services.alert_raise(
        owner_id=owner.pk,
        model=deployed_model,
        kind="error_rate",
        subject=f"model:{deployed_model.pk}",
        message="Half the requests failed.",
    )
    name = f"#{deployed_model.rank} Random forest of pipeline {deployed_model.pipeline.name}"
    listed = api.get("/api/v1/monitoring/alerts").json()["results"][0]
    assert listed["model_name"] == name
    assert listed["pipeline_id"] == deployed_model.pipeline_id
    assert listed["pipeline_name"] == deployed_model.pipeline.name
    pushed = services.alert_payload(alert)
    assert pushed["model_name"] == name and pushed["pipeline_name"] == deployed_model.pipeline.name
    no_model = services.alert_raise(
        owner_id=owner.pk, kind="job_failed", subject="job:x", message="A job failed."
    )
    assert services.alert_payload(no_model)["model_name"] is None
    web = Client()
    web.force_login(owner)
    html = web.get("/").content.decode()
    link = f'<a href="/monitoring/models/{deployed_model.pk}/" class="alert-model">{name}</a>'
    assert link in html


@pytest.mark.django_db
def test_forecast_coverage_far_under_its_level_raises_a_coverage_alert(owner, deployed_model):
    from datetime import timedelta

    from predictions.models import ForecastActual, PredictionRecord

    model = deployed_model
    model.problem_type = "forecasting"
    model.save(update_fields=["problem_type"])
    start = timezone.now().replace(microsecond=0) - timedelta(days=60)
    stamps = [start + timedelta(days=i) for i in range(40)]
    PredictionRecord.objects.create(
        owner=owner,
        model=model,
        source="forecast",
        prediction={
            "timestamps": [s.isoformat() for s in stamps],
            "forecast": [10.0] * 40,
            "intervals": {"80": {"lower": [9.0] * 40, "upper": [11.0] * 40}},
            "series_id": None,
            "origin": (start - timedelta(days=1)).isoformat(),
        },
    )
    # Half the actuals fall outside the 80% band: coverage 50%, 30 points under.
    ForecastActual.objects.bulk_create(
        ForecastActual(owner=owner, model=model, timestamp=s, value=10.5 if i % 2 else 14.0)
        for i, s in enumerate(stamps)
    )
    raised = services.model_check(model=model, window="1h")
    assert [a.kind for a in raised] == ["coverage"]
    assert raised[0].details["coverage"] == pytest.approx(0.5) and raised[0].details["n"] == 40


def test_beat_runs_the_checks_every_interval(settings):
    from vur.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["monitoring-checks"]
    assert entry["task"] == "monitoring.run_checks" == run_monitoring_checks.name
    assert entry["schedule"] == settings.VUR_MONITORING_INTERVAL_S
    assert entry["options"]["queue"] == "scoring"
    assert "monitoring.run_checks" in app.tasks
