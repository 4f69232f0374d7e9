"""End to end on the real stack: an ASGI server (daphne) and a Celery worker started as separate
processes on the test database and Redis (the `live_stack` fixture from vur/tests/browser.py),
driven over HTTP, SSE, WebSocket and a real browser.
"""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.error
import urllib.request
import uuid

import pandas as pd
import pytest

from conftest import sample_path
from vur.tests.browser import chrome
from vur.tests.browser import wait as page_wait

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Client:
    """A tiny JSON-over-HTTP client with a bearer token (what a REST user would write)."""

    def __init__(self, base: str):
        self.base = base
        self.token = ""

    def call(self, method: str, path: str, body=None, *, raw: bytes | None = None, ctype=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", ctype or "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=60) as res:
                return res.status, res.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def json(self, method: str, path: str, body=None, **kw):
        status, content = self.call(method, path, body, **kw)
        return status, json.loads(content) if content else None

    def upload(self, path: str, fields: dict, filename: str, content: bytes):
        boundary = uuid.uuid4().hex
        buf = io.BytesIO()
        for key, value in fields.items():
            buf.write(
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="{key}"\r\n\r\n{value}\r\n'.encode()
            )
        buf.write(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        buf.write(content + f"\r\n--{boundary}--\r\n".encode())
        return self.json(
            "POST", path, raw=buf.getvalue(), ctype=f"multipart/form-data; boundary={boundary}"
        )


def _sse_reader(url: str, token: str, out: list) -> None:
    req = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    )
    with urllib.request.urlopen(req, timeout=300) as res:
        out.append(("content-type", res.headers.get("Content-Type")))
        for line in res:
            line = line.decode().rstrip("\n")
            if line.startswith("data: "):
                out.append((time.monotonic(), json.loads(line[6:])))


def test_rest_client_path_on_the_real_stack(live_stack, django_user_model):
    import websocket

    django_user_model.objects.create_user(username="alice", password="alice-pass-123")
    django_user_model.objects.create_user(username="bob", password="bob-pass-123")
    alice, bob = Client(live_stack), Client(live_stack)
    status, tokens = alice.json(
        "POST", "/api/v1/auth/token/", {"username": "alice", "password": "alice-pass-123"}
    )
    assert status == 200 and tokens["access"] and tokens["refresh"]
    alice.token = tokens["access"]
    bob.token = bob.json(
        "POST", "/api/v1/auth/token/", {"username": "bob", "password": "bob-pass-123"}
    )[1]["access"]
    assert (
        alice.json("POST", "/api/v1/auth/token/", {"username": "alice", "password": "wrong"})[0]
        == 401
    )

    status, ds = alice.upload(
        "/api/v1/datasets/upload",
        {"name": "credit"},
        "credit.csv",
        sample_path("credit_scoring.csv").read_bytes(),
    )
    assert status == 201, ds
    status, pipe = alice.json(
        "POST",
        "/api/v1/pipelines/",
        {
            "name": "credit",
            "dataset_id": ds["id"],
            "target_column": "Status",
            "problem_type": "classification",
        },
    )
    assert status == 201, pipe
    status, job = alice.json(
        "POST",
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "algorithms": "auto", "time_budget_s": 10},
    )
    assert status == 202, job

    sse: list = []
    reader = threading.Thread(
        target=_sse_reader,
        args=(f"{live_stack}/api/v1/training/{job['job_id']}/logs", alice.token, sse),
    )
    reader.start()
    reader.join(timeout=240)
    assert not reader.is_alive(), "the SSE stream ends when the job ends"
    assert sse[0][1].startswith("text/event-stream")
    events = [e for _, e in sse[1:]]
    assert events[-1] == {"type": "end", "status": "completed"}
    assert events[-2]["type"] == "status" and events[-2]["status"] == "completed", events[-3:]
    assert any(e["type"] == "progress" for e in events)

    status, board = alice.json("GET", f"/api/v1/models/?pipeline_id={pipe['id']}")
    best = board["results"][0]
    assert best["rank"] == 1
    assert bob.json("GET", f"/api/v1/models/{best['id']}/")[0] == 404
    assert bob.json("GET", f"/api/v1/datasets/{ds['id']}/")[0] == 404
    assert bob.json("GET", "/api/v1/datasets/")[1]["count"] == 0
    status, dep = alice.json(
        "POST", "/api/v1/deployment/deploy", {"model_id": best["id"], "target": "realtime"}
    )
    assert status == 201, dep

    frame = pd.read_csv(sample_path("credit_scoring.csv")).drop(columns=["Status"])
    row = json.loads(frame.iloc[[3]].to_json(orient="records"))[0]
    status, single = alice.json(
        "POST",
        "/api/v1/predictions/single",
        {"model_id": best["id"], "data": row, "return_probabilities": True},
    )
    assert status == 200 and single["predictions"][0] in ("good", "bad")

    ws = websocket.create_connection(
        f"ws://127.0.0.1:{live_stack.rsplit(':', 1)[1]}/ws/predictions/?token={alice.token}",
        timeout=30,
    )
    try:
        ws.send(json.dumps({"model_id": best["id"], "data": row, "request_id": "r1"}))
        answer = json.loads(ws.recv())
        assert answer["request_id"] == "r1" and answer["predictions"] == single["predictions"]
        ws.send("{broken")
        assert json.loads(ws.recv())["error"]["code"] == "bad_json"
        ws.send(json.dumps({"model_id": best["id"], "data": row, "request_id": "r2"}))
        assert json.loads(ws.recv())["request_id"] == "r2"
    finally:
        ws.close()

    big = frame.sample(n=10_000, replace=True, random_state=0)
    status, batch = alice.upload(
        "/api/v1/predictions/batch",
        {"model_id": best["id"]},
        "rows.csv",
        big.to_csv(index=False).encode(),
    )
    assert status == 202, batch
    deadline = time.monotonic() + 180
    while True:
        status, state = alice.json("GET", f"/api/v1/predictions/batch/{batch['job_id']}")
        if state["status"] in ("completed", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert state["status"] == "completed", state
    assert state["rows_done"] == 10_000
    status, content = alice.call("GET", state["result_url"])
    result = pd.read_csv(io.BytesIO(content))
    assert status == 200 and len(result) == 10_000
    assert {"prediction", "proba_good", "proba_bad"} <= set(result.columns)
    assert bob.call("GET", state["result_url"])[0] == 404


def test_browser_sign_in_dashboard_admin_and_docs(live_stack, django_user_model, owner):
    from django.core.files import File
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    from datasets.services import dataset_upload

    django_user_model.objects.create_superuser(username="root", password="root-pass-123")
    with open(sample_path("penguins.csv"), "rb") as fh:
        dataset_upload(owner=owner, upload=File(fh, name="penguins.csv"), name="Penguins of Palmer")
    driver = chrome()
    try:
        # Keeps polling through Chromium's "Node with given id does not belong to the document",
        # which staleness_of can meet while the refused sign-in's new page replaces the old.
        wait = page_wait(driver)
        driver.get(live_stack + "/")
        wait.until(ec.presence_of_element_located((By.ID, "id_username")))
        assert "/accounts/login/" in driver.current_url
        driver.find_element(By.ID, "id_username").send_keys("owner")
        driver.find_element(By.ID, "id_password").send_keys("wrong-password")
        old_button = driver.find_element(By.ID, "sign-in")
        old_button.click()
        # The refusal is a new page: wait for the old one to go before reading the new form
        # (an alert found first could belong to the old page, whose fields then go stale).
        wait.until(ec.staleness_of(old_button))
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]")))
        driver.find_element(By.ID, "id_password").send_keys("owner-pass-123")
        driver.find_element(By.ID, "id_username").clear()
        driver.find_element(By.ID, "id_username").send_keys("owner")
        driver.find_element(By.ID, "sign-in").click()
        wait.until(ec.presence_of_element_located((By.ID, "datasets")))
        assert "Penguins of Palmer" in driver.find_element(By.ID, "datasets").text
        css = driver.execute_script(
            "return getComputedStyle(document.querySelector('header.top')).borderBottomStyle"
        )
        assert css == "solid", "the local stylesheet is served and applied"

        driver.get(live_stack + "/api/v1/docs/")
        # Swagger UI renders the schema it fetched from /api/v1/schema/ with local assets only.
        assert wait.until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".swagger-ui .info"), "VUR API")
        )
        assert "/api/v1/training/start" in driver.find_element(By.CSS_SELECTOR, ".swagger-ui").text

        driver.delete_all_cookies()
        driver.get(live_stack + "/admin/")
        wait.until(ec.presence_of_element_located((By.ID, "id_username")))
        driver.find_element(By.ID, "id_username").send_keys("root")
        driver.find_element(By.ID, "id_password").send_keys("root-pass-123")
        driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        # The login page has #content-main too: wait for the admin index, not the element alone.
        wait.until(ec.presence_of_element_located((By.ID, "user-tools")))
        text = driver.find_element(By.ID, "content-main").text
        for label in ("Datasets", "Pipelines", "Training jobs", "Trained models", "Deployments"):
            assert label in text, label
    finally:
        driver.quit()
