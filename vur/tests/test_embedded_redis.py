"""The embedded Redis: one server per directory, started once and reused, and known to the
process that started it, so a test session stops only the server it launched."""

from __future__ import annotations

import time

import redis

from vur import embedded


def test_a_process_knows_the_server_it_started_and_stops_it(tmp_path):
    directory = tmp_path / "redis"
    url = embedded.ensure_embedded_redis(directory)
    try:
        assert directory in embedded.started_by_this_process()
        assert embedded.ensure_embedded_redis(directory) == url  # found running: reused
        assert embedded.started_by_this_process().count(directory) == 1
        assert redis.Redis.from_url(url).ping()
    finally:
        embedded.stop_embedded_redis(directory)
    assert directory not in embedded.started_by_this_process()
    port = int(url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 10  # SIGTERM: the server exits a moment later
    while embedded._alive(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not embedded._alive(port)


def test_a_server_found_running_is_not_counted_as_started(tmp_path):
    directory = tmp_path / "redis"
    url = embedded.ensure_embedded_redis(directory)
    embedded._started.remove(directory)  # as if another process (a `make run`) had started it
    try:
        assert embedded.ensure_embedded_redis(directory) == url
        assert directory not in embedded.started_by_this_process()
    finally:
        embedded.stop_embedded_redis(directory)
