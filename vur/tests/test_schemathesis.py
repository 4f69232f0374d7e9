"""Schemathesis against the live schema, in-process: every answer is documented and conforms.

At least 1,500 generated requests (`VUR_SCHEMATHESIS_EXAMPLES`, 30, per operation; deterministic),
signed in as a user with data; each answer must not be a 5xx, must have a status code the
schema documents, and must match the documented body and content type.
"""

from __future__ import annotations

import logging
import os
from collections import Counter

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import create_pipeline, upload_sample

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("VUR_SCHEMATHESIS_EXAMPLES", "30"))
MIN_REQUESTS = int(os.environ.get("VUR_SCHEMATHESIS_MIN_REQUESTS", "1500"))
# Streams that stay open while a job runs: their 404/200 answers are covered by other tests.
SKIP = {"GET /api/v1/training/{job_id}/logs"}


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, kept on the test's database connection (as the test client is)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def user_with_data(owner, api, deployed_model):
    """The owner with a dataset, a pipeline and a deployed model (so ids 1, 2, ... exist)."""
    ds = upload_sample(api, "series_airpassengers.csv")
    create_pipeline(api, ds["id"], "passengers", "forecasting")
    api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("t.csv", b"a,b,c\n1,x,2.5\n2,y,-1\n3,x,0\n")},
        format="multipart",
    )
    return owner


@pytest.mark.timeout(1200)  # a few minutes on a busy machine; the suite's default is 300 s
def test_generated_requests_get_documented_conforming_answers(user_with_data, wsgi_app, settings):
    settings.VUR_THROTTLE_RATES = dict.fromkeys(settings.VUR_THROTTLE_RATES, "")
    auth = {"Authorization": f"Bearer {AccessToken.for_user(user_with_data)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_app, headers=auth)
    sent: Counter[str] = Counter()
    failures: dict[str, str] = {}

    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if label not in SKIP:
            _exercise(operation, label, auth, sent, failures)

    report = "\n\n".join(f"{label}:\n{text}" for label, text in sorted(failures.items()))
    assert not failures, report
    total = sum(sent.values())
    assert total >= MIN_REQUESTS, f"only {total} requests over {len(sent)} operations"
    print(f"schemathesis: {total} requests over {len(sent)} operations")  # noqa: T201


def _exercise(operation, label: str, auth: dict, sent: Counter, failures: dict) -> None:
    """Send EXAMPLES generated requests to one operation; record counts and the first failure."""

    @hsettings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        # Each request in its own savepoint, as each real request has its own transaction: a
        # database error in one answer must not poison the ones after it.
        savepoint = transaction.savepoint()
        response = case.call(headers=auth)
        if response.status_code >= 500:
            transaction.savepoint_rollback(savepoint)
        else:
            transaction.savepoint_commit(savepoint)
        sent[label] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=auth)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected and reported
            logging.getLogger(__name__).warning("%s: check failed", label, exc_info=True)
            failures.setdefault(label, f"{exc}"[:1500])

    run()
