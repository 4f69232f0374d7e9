"""Every error under /api/v1/ is the contract's JSON `{detail, code}`, also where no API view
answered (an unknown address, a refused host, a crash); pages keep their HTML error pages.

This module is also the URLconf of the crash tests: the project's routes plus two that fail.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path
from django.views import defaults

from vur import urls as project_urls

pytestmark = pytest.mark.django_db


def _crash(request):
    raise RuntimeError("a bug")


urlpatterns = [path("api/v1/crash/", _crash), path("crash/", _crash), *project_urls.urlpatterns]
# The project's handlers (Django's own where the project sets none).
handler500 = getattr(project_urls, "handler500", defaults.server_error)


def _json_error(res, status: int, code: str) -> dict:
    assert res.status_code == status, res.content[:200]
    assert res["Content-Type"].startswith("application/json"), res["Content-Type"]
    body = res.json()
    assert body["code"] == code and body["detail"], body
    return body


@pytest.mark.parametrize(
    "address",
    [
        "/api/v1/nope/",
        "/api/v1/nope",
        "/api/v1/",
        "/api/v1/training/not-a-job/status",
        "/api/v1/datasets/1/no-such-action",
    ],
)
def test_unknown_api_address_answers_json_404(api, anon_api, address):
    body = _json_error(api.get(address), 404, "not_found")
    assert "/api/v1/docs/" in body["detail"]
    _json_error(anon_api.get(address), 404, "not_found")
    _json_error(api.post(address, {}, format="json"), 404, "not_found")


def test_unknown_page_keeps_the_html_404(owner):
    client = Client()
    client.force_login(owner)
    res = client.get("/no-such-page/")
    assert res.status_code == 404
    assert res["Content-Type"].startswith("text/html")
    assert b"We couldn't find that page" in res.content


def test_docs_and_schema_errors_are_json(api):
    _json_error(api.post("/api/v1/docs/"), 405, "method_not_allowed")
    _json_error(api.delete("/api/v1/schema/"), 405, "method_not_allowed")
    _json_error(api.get("/api/v1/schema/?format=nonsense"), 404, "not_found")
    # Their own answers keep their own types.
    assert api.get("/api/v1/docs/")["Content-Type"].startswith("text/html")


def test_refused_host_under_the_api_answers_json_400():
    res = Client(HTTP_HOST="evil.example").get("/api/v1/datasets/")
    _json_error(res, 400, "bad_request")
    page = Client(HTTP_HOST="evil.example").get("/datasets/")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


@pytest.mark.urls(__name__)
def test_a_crash_under_the_api_answers_json_500_and_a_page_html():
    client = Client(raise_request_exception=False)
    _json_error(client.get("/api/v1/crash/"), 500, "server_error")
    page = client.get("/crash/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
    assert b"Something went wrong" in page.content
