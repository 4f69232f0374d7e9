"""Over-limit bodies are refused before they are read: in the ASGI app and in daphne itself."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync

ROOT = Path(__file__).resolve().parents[2]
GIGABYTE = 1 << 30


def _scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


def _call(scope: dict, receive) -> list[dict]:
    from vur.asgi import application

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async_to_sync(application)(scope, receive, send)
    return sent


def test_declared_gigabyte_is_refused_without_reading_the_body():
    reads = []

    async def receive() -> dict:
        reads.append(1)
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    scope = _scope(
        "/api/v1/datasets/upload",
        [
            (b"content-type", b"multipart/form-data; boundary=x"),
            (b"content-length", b"%d" % GIGABYTE),
        ],
    )
    sent = _call(scope, receive)
    assert reads == []  # not one byte of the body was asked for
    assert sent[0]["status"] == 413
    body = json.loads(sent[1]["body"])
    assert body["code"] == "file_too_large" and "100 MB" in body["detail"]


def test_streamed_body_is_cut_off_once_past_the_limit(settings):
    settings.VUR_MAX_UPLOAD_MB = 1
    received = []

    async def receive() -> dict:
        received.append(65536)
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    scope = _scope(
        "/api/v1/datasets/upload", [(b"content-type", b"multipart/form-data; boundary=x")]
    )
    sent = _call(scope, receive)
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["code"] == "file_too_large"
    assert sum(received) <= (1 << 20) + 2 * 65536  # stopped right after the limit


def test_json_bodies_have_the_smaller_data_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000

    async def receive() -> dict:
        raise AssertionError("the body must not be read")

    scope = _scope(
        "/api/v1/predictions/single",
        [(b"content-type", b"application/json"), (b"content-length", b"200000")],
    )
    assert _call(scope, receive)[0]["status"] == 413


@pytest.fixture
def daphne_server(tmp_path):
    """daphne as its own process with a 1 MB upload limit; yields its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="vur.settings.test", VUR_MAX_UPLOAD_MB="1")
    log = open(tmp_path / "daphne.log", "w")  # noqa: SIM115 - closed below
    daphne = Path(sys.executable).parent / "daphne"
    proc = subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "vur.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2).close()
                break
            except urllib.error.HTTPError:
                break  # answering at all is enough
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError((tmp_path / "daphne.log").read_text()) from None
                time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _read_answer(sock: socket.socket) -> bytes:
    sock.settimeout(60)
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(65536)
        if not part:
            break
        data += part
    return data


def test_daphne_refuses_a_declared_gigabyte_from_the_headers(daphne_server):
    with socket.create_connection(("127.0.0.1", daphne_server), timeout=60) as sock:
        sock.sendall(
            b"POST /api/v1/datasets/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: %d\r\n\r\n" % GIGABYTE
        )
        answer = _read_answer(sock)  # no body byte was sent: the answer comes from the headers
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"file_too_large" in answer


def test_daphne_stops_a_chunked_body_past_the_limit(daphne_server):
    sent = 0
    chunk = b"x" * 65536
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    with socket.create_connection(("127.0.0.1", daphne_server), timeout=60) as sock:
        sock.sendall(
            b"POST /api/v1/datasets/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        try:
            while sent < 64 * (1 << 20):
                ready, _, _ = select.select([sock], [], [], 0)
                if ready:
                    break
                sock.sendall(frame)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 16 * (1 << 20)  # the server answered long before the client stopped


def test_the_upload_handler_tells_api_requests_by_the_apis_own_prefix():
    """datasets.uploads refuses API uploads with a 413 and stops a page's upload for its view;
    it tells them apart by the API's prefix, which it cannot import from vur.views."""
    from datasets.uploads import API_PREFIX as upload_prefix
    from vur.views import API_PREFIX

    assert upload_prefix == API_PREFIX
