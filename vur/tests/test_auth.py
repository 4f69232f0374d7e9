"""Tests of JWT sign-in: tokens work, and every refusal is the contract's one-sentence body."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_token_pair_signs_in_and_refreshes(owner, anon_api):
    res = anon_api.post(
        "/api/v1/auth/token/", {"username": "owner", "password": "owner-pass-123"}, format="json"
    )
    assert res.status_code == 200
    tokens = res.json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get("/api/v1/datasets/").status_code == 200
    res = anon_api.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert res.status_code == 200
    assert res.json()["access"]


def test_wrong_password_is_a_401_with_a_sentence(owner, anon_api):
    res = anon_api.post(
        "/api/v1/auth/token/", {"username": "owner", "password": "nope"}, format="json"
    )
    assert res.status_code == 401
    body = res.json()
    assert body["code"] == "no_active_account"
    assert "credentials" in body["detail"]


@pytest.mark.parametrize(
    ("header", "code"),
    [("Bearer not-a-token", "token_not_valid"), ("Bearer", "bad_authorization_header")],
)
def test_bad_bearer_token_is_a_401_with_a_sentence(header, code):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    res = client.get("/api/v1/datasets/")
    assert res.status_code == 401
    body = res.json()
    assert body["code"] == code
    # One readable sentence, not a serialised Python structure.
    assert "ErrorDetail" not in body["detail"]
    assert "{" not in body["detail"]
    assert body["detail"].strip()
