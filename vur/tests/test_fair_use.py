"""Fair use: sign-in throttling and lockout, scoped rates, per-user job caps, private API docs.

The test settings make every limit generous; each test here sets tight ones and clears the
counters it uses (they live in the shared Redis cache).
"""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from conftest import create_pipeline, upload_sample

pytestmark = pytest.mark.django_db

TIGHT = {"auth": "3/min", "uploads": "2/min", "training": "", "batch": "", "drift": ""}


@pytest.fixture
def tight(settings):
    """Tight rates, and clean counters for the test client's address."""
    settings.VUR_THROTTLE_RATES = dict(TIGHT)
    keys = ["throttle_auth_127.0.0.1"]
    cache.delete_many(keys)
    yield settings
    cache.delete_many(keys)


def _token(client: APIClient, username: str, password: str):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_token_endpoint_is_rate_limited_per_address(tight, anon_api, django_user_model):
    name = f"u{uuid.uuid4().hex[:8]}"
    django_user_model.objects.create_user(username=name, password="right-pass-123")
    for _ in range(3):
        assert _token(anon_api, name, "wrong").status_code == 401
    res = _token(anon_api, name, "right-pass-123")
    assert res.status_code == 429
    assert res.json()["code"] == "throttled"
    assert int(res["Retry-After"]) > 0


def test_token_endpoint_locks_an_account_after_repeated_wrong_passwords(
    tight, anon_api, django_user_model
):
    tight.VUR_THROTTLE_RATES = {**TIGHT, "auth": "1000/min"}
    tight.VUR_LOGIN_MAX_FAILURES = 3
    name = f"u{uuid.uuid4().hex[:8]}"
    django_user_model.objects.create_user(username=name, password="right-pass-123")
    assert _token(anon_api, name, "right-pass-123").status_code == 200
    for _ in range(3):
        assert _token(anon_api, name, "wrong").status_code == 401
    res = _token(anon_api, name, "right-pass-123")  # even the right password now
    assert res.status_code == 429
    assert res.json()["code"] == "locked_out"
    assert "Too many wrong passwords" in res.json()["detail"]
    assert 0 < int(res["Retry-After"]) <= tight.VUR_LOGIN_LOCKOUT_S
    other = f"v{uuid.uuid4().hex[:8]}"
    django_user_model.objects.create_user(username=other, password="right-pass-123")
    assert _token(anon_api, other, "right-pass-123").status_code == 200


def test_login_form_locks_after_repeated_wrong_passwords(settings, client, django_user_model):
    settings.VUR_LOGIN_MAX_FAILURES = 3
    name = f"u{uuid.uuid4().hex[:8]}"
    django_user_model.objects.create_user(username=name, password="right-pass-123")
    for _ in range(3):
        res = client.post("/accounts/login/", {"username": name, "password": "wrong"})
        assert res.status_code == 200 and "_auth_user_id" not in client.session
    res = client.post("/accounts/login/", {"username": name, "password": "right-pass-123"})
    assert res.status_code == 200
    assert "Too many wrong passwords" in res.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_form_signs_in_below_the_limit_and_forgets_failures(
    settings, client, django_user_model
):
    settings.VUR_LOGIN_MAX_FAILURES = 3
    name = f"u{uuid.uuid4().hex[:8]}"
    django_user_model.objects.create_user(username=name, password="right-pass-123")
    for _ in range(2):
        client.post("/accounts/login/", {"username": name, "password": "wrong"})
    res = client.post("/accounts/login/", {"username": name, "password": "right-pass-123"})
    assert res.status_code == 302 and "_auth_user_id" in client.session
    client.logout()
    for _ in range(2):  # the success reset the count: two more failures do not lock
        client.post("/accounts/login/", {"username": name, "password": "wrong"})
    res = client.post("/accounts/login/", {"username": name, "password": "right-pass-123"})
    assert res.status_code == 302


def test_uploads_have_a_per_user_rate(tight, api, other_api, owner, other_user):
    keys = [f"throttle_uploads_user-{owner.pk}", f"throttle_uploads_user-{other_user.pk}"]
    cache.delete_many(keys)
    try:
        content = b"a,b\n1,2\n3,4\n"
        for _ in range(2):
            res = api.post(
                "/api/v1/datasets/upload",
                {"file": SimpleUploadedFile("t.csv", content)},
                format="multipart",
            )
            assert res.status_code == 201
        res = api.post(
            "/api/v1/datasets/upload",
            {"file": SimpleUploadedFile("t.csv", content)},
            format="multipart",
        )
        assert res.status_code == 429 and res.json()["code"] == "throttled"
        assert int(res["Retry-After"]) > 0
        assert api.get("/api/v1/datasets/").status_code == 200  # reads are not limited
        res = other_api.post(
            "/api/v1/datasets/upload",
            {"file": SimpleUploadedFile("t.csv", content)},
            format="multipart",
        )
        assert res.status_code == 201  # another person has their own allowance
    finally:
        cache.delete_many(keys)


def test_training_start_is_capped_per_user_with_retry_after(settings, api, owner, other_api):
    from training.models import TrainingJob

    settings.VUR_MAX_ACTIVE_JOBS_PER_USER = 1
    ds = upload_sample(api, "penguins.csv")
    pipe = create_pipeline(api, ds["id"], "species", "classification")
    TrainingJob.objects.create(owner=owner, pipeline_id=pipe["id"], status="running", config={})
    res = api.post("/api/v1/training/start", {"pipeline_id": pipe["id"]}, format="json")
    assert res.status_code == 429
    assert res.json()["code"] == "too_many_active_jobs"
    assert "VUR_MAX_ACTIVE_JOBS_PER_USER=1" in res.json()["detail"]
    assert res["Retry-After"] == str(settings.VUR_ACTIVE_JOBS_RETRY_AFTER_S)
    assert TrainingJob.objects.count() == 1  # nothing was queued
    other_ds = upload_sample(other_api, "penguins.csv")
    other_pipe = create_pipeline(other_api, other_ds["id"], "species", "classification")
    res = other_api.post("/api/v1/training/start", {"pipeline_id": other_pipe["id"]}, format="json")
    assert res.status_code == 202  # the cap is per person


def test_batch_scoring_is_capped_per_user(settings, api, owner, deployed_model):
    from predictions.models import BatchJob

    settings.VUR_MAX_ACTIVE_JOBS_PER_USER = 1
    BatchJob.objects.create(owner=owner, model=deployed_model, input_file="x.csv", status="queued")
    res = api.post(
        "/api/v1/predictions/batch",
        {"file": SimpleUploadedFile("rows.csv", b"island\nDream\n"), "model_id": deployed_model.pk},
        format="multipart",
    )
    assert res.status_code == 429 and res.json()["code"] == "too_many_active_jobs"
    assert int(res["Retry-After"]) > 0
    assert BatchJob.objects.count() == 1


def test_schema_and_docs_require_sign_in(anon_api, api, client):
    res = anon_api.get("/api/v1/schema/")
    assert res.status_code == 401 and b"not_authenticated" in res.content
    assert api.get("/api/v1/schema/").status_code == 200
    res = client.get("/api/v1/docs/", HTTP_ACCEPT="text/html")
    assert res.status_code == 302 and res["Location"].startswith("/accounts/login/")
    assert anon_api.get("/api/v1/docs/").status_code == 401


def test_demo_user_is_not_staff_unless_asked(django_user_model):
    call_command("ensure_demo_user", "--username", "demo1", "--password", "demo-pass-123")
    demo = django_user_model.objects.get(username="demo1")
    assert not demo.is_staff and not demo.is_superuser
    assert demo.check_password("demo-pass-123")
    call_command("ensure_demo_user", "--username", "boss", "--password", "boss-pass-123", "--admin")
    boss = django_user_model.objects.get(username="boss")
    assert boss.is_staff and boss.is_superuser
    call_command("ensure_demo_user", "--username", "boss", "--password", "boss-pass-123")
    boss.refresh_from_db()
    assert not boss.is_staff  # re-running without --admin takes the rights away again


def test_admin_sign_in_has_the_same_lockout(settings, client, django_user_model):
    settings.VUR_LOGIN_MAX_FAILURES = 2
    name = f"a{uuid.uuid4().hex[:8]}"
    django_user_model.objects.create_superuser(username=name, password="right-pass-123")
    for _ in range(2):
        client.post("/admin/login/", {"username": name, "password": "wrong"})
    res = client.post(
        "/admin/login/?next=/admin/", {"username": name, "password": "right-pass-123"}
    )
    assert res.status_code == 200 and "Too many wrong passwords" in res.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_two_starts_at_once_do_not_pass_the_cap_together(settings, owner, monkeypatch):
    """Both requests count the jobs before either creates one; the second must still be refused
    (the count and the create happen one person at a time)."""
    import contextlib
    import threading

    from django.db import connection, transaction

    from conftest import pipeline_on_sample
    from training import services
    from training.models import TrainingJob
    from vur.errors import TooManyRequests

    settings.VUR_MAX_ACTIVE_JOBS_PER_USER = 1
    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    meet = threading.Barrier(2, timeout=3)
    real_check = services.training_job_capacity_check

    def check_then_meet(*, user) -> None:
        real_check(user=user)
        # Hold each request after its count until the other has counted too; when the other is
        # held by the per-person lock the wait times out and this one goes on alone.
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait()

    monkeypatch.setattr(services, "training_job_capacity_check", check_then_meet)
    outcomes: list[str] = []

    def start() -> None:
        try:
            services.training_job_start(pipeline=pipeline, user=owner, config={})
            outcomes.append("queued")
        except TooManyRequests:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["queued", "refused"]
    assert TrainingJob.objects.filter(owner=owner).count() == 1
    assert not transaction.get_connection().in_atomic_block
