"""Helpers for tests that start real server processes (daphne, a prefork Celery worker) on the
test database and Redis, with their own broker and channel prefixes and extra settings.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The URL of the database this test runs on, for the processes it starts."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Call `check()` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class Stack:
    """Processes started for one test; `base` is daphne's URL when a web server runs."""

    env: dict[str, str]
    logs: Path
    base: str = ""
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def log(self, name: str) -> str:
        """What process `name` printed so far."""
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self, name: str) -> None:
        """SIGKILL process `name` and everything it started (its whole process group)."""
        proc = self.procs[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


@contextmanager
def running_stack(
    tmp_path: Path, *, web: bool, worker: bool, prefix: str = "", **settings: str
) -> Iterator[Stack]:
    """Start daphne and/or a one-process prefork Celery worker with `settings` as environment.

    Their broker and channel keys start with `prefix` (a new one when empty): two stacks given
    the same prefix share their queues, e.g. a worker started after the web server."""
    from django.conf import settings as django_settings

    prefix = prefix or f"vurt{uuid.uuid4().hex[:8]}"
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="vur.settings.test",
        DATABASE_URL=database_url(),
        REDIS_URL=django_settings.REDIS_URL,
        VUR_TEST_MEDIA_ROOT=str(django_settings.MEDIA_ROOT),
        VUR_BROKER_PREFIX=f"{prefix}:",
        VUR_CHANNEL_PREFIX=prefix,
        OMP_NUM_THREADS="1",
        VUR_TEST_SERVER="1",  # a server process: keeps the connection pool (see settings/test.py)
        **settings,
    )
    stack = Stack(env=env, logs=tmp_path)
    commands: dict[str, list[str]] = {}
    if web:
        port = free_port()
        stack.base = f"http://127.0.0.1:{port}"
        commands["web"] = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                           "vur.asgi:application"]  # fmt: skip
    if worker:
        commands["worker"] = [
            str(BIN / "celery"), "-A", "vur", "worker", "-Q", "training,scoring", "-c", "1",
            "--pool", "prefork", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
    handles = {name: open(tmp_path / f"{name}.log", "w") for name in commands}  # noqa: SIM115
    try:
        for name, cmd in commands.items():
            stack.procs[name] = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=handles[name], stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so a test can kill it whole
            )  # fmt: skip
        if web:
            wait_until(lambda: _healthy(stack.base), 90, "daphne to answer")
        if worker:
            wait_until(lambda: "ready." in stack.log("worker"), 90, "the Celery worker")
        yield stack
    finally:
        for proc in stack.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in stack.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for handle in handles.values():
            handle.close()
        _forget_keys(django_settings.REDIS_URL, prefix)


def _forget_keys(url: str, prefix: str) -> None:
    """Remove what the processes left in Redis under their own prefix (e.g. unacked tasks)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(match=f"{prefix}*", count=500):
            client.delete(key)
    finally:
        client.close()


def _healthy(base: str) -> bool:
    """True once daphne answers at all (/health/ may say 503 while no worker runs)."""
    try:
        with urllib.request.urlopen(f"{base}/health/", timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def http_json(
    method: str, url: str, body: Any = None, token: str = "", timeout: float = 120
) -> tuple[int, Any]:
    """One JSON request; returns (status, decoded body or raw text)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            status, content = res.status, res.read()
    except urllib.error.HTTPError as err:
        status, content = err.code, err.read()
    try:
        return status, json.loads(content) if content else None
    except ValueError:
        return status, content.decode(errors="replace")
