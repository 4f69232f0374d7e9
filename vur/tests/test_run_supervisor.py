"""`make run`'s supervisor with real child processes: a killed worker is started again after a
back-off that grows while it keeps dying, the web server stays up, a web server that ends stops
the stack, and Ctrl-C stops everything without restarting anything."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

from vur.run import ROOT, Supervisor
from vur.tests.stack import wait_until

SLEEP = [sys.executable, "-c", "import time; time.sleep(120)"]


def _supervisor(commands: dict[str, list[str]], lines: list[str], **options) -> Supervisor:
    return Supervisor(
        commands, cwd=ROOT, env=dict(os.environ), restart=("worker", "beat"), out=lines.append,
        **options,
    )  # fmt: skip


def _alive(proc: subprocess.Popen) -> bool:
    return proc.poll() is None


def test_a_killed_worker_is_started_again_and_the_web_server_stays_up():
    lines: list[str] = []
    sup = _supervisor({"web": SLEEP, "worker": SLEEP, "beat": SLEEP}, lines, base_delay=0.2)
    stop = threading.Event()
    sup.start()
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(sup.run(stop.is_set, poll=0.05)))
    runner.start()
    try:
        web, worker, beat = sup.procs["web"], sup.procs["worker"], sup.procs["beat"]
        os.kill(worker.pid, signal.SIGKILL)
        wait_until(lambda: sup.procs["worker"] is not worker, 10, "the worker to be restarted")
        assert _alive(sup.procs["worker"]) and sup.procs["worker"].pid != worker.pid
        assert _alive(web) and sup.procs["web"] is web
        assert _alive(beat) and sup.procs["beat"] is beat
        assert re.fullmatch(r"worker exited with -9 after \d+ s; restarting in 0\.2 s\.", lines[0])
        assert lines[1] == "worker: restarting."
        assert not any("stopping" in line for line in lines)
    finally:
        stop.set()
        runner.join(10)
        sup.stop(timeout=5)
    assert result == [0]
    assert all(not _alive(p) for p in sup.procs.values())


def test_the_back_off_grows_while_the_worker_keeps_dying_and_is_capped():
    lines: list[str] = []
    dies = [sys.executable, "-c", "raise SystemExit(3)"]
    sup = _supervisor(
        {"web": SLEEP, "worker": dies}, lines, base_delay=0.1, max_delay=0.4, stable_after=60
    )
    sup.start()
    try:
        deadline = time.monotonic() + 30
        while sum("restarting in" in line for line in lines) < 5 and time.monotonic() < deadline:
            assert sup.check() is None  # the web server is still up: the stack keeps running
            time.sleep(0.02)
        delays = [
            float(m.group(1)) for m in map(re.compile(r".*restarting in ([\d.]+) s").match, lines)
            if m
        ]  # fmt: skip
        assert delays[:5] == [0.1, 0.2, 0.4, 0.4, 0.4]
        assert all("worker exited with 3" in line for line in lines if "exited" in line)
        assert _alive(sup.procs["web"])
    finally:
        sup.stop(timeout=5)


def test_a_worker_that_ran_a_while_starts_again_after_the_first_delay():
    lines: list[str] = []
    sup = _supervisor({"worker": SLEEP}, lines, base_delay=0.1, stable_after=0.5)
    sup.start()
    try:
        sup.delays["worker"] = 8.0  # it had been crashing before this run
        time.sleep(0.6)
        os.kill(sup.procs["worker"].pid, signal.SIGKILL)
        sup.procs["worker"].wait(5)
        sup.check()
        assert lines[-1].endswith("restarting in 0.1 s.")
    finally:
        sup.stop(timeout=5)


def test_the_web_server_ending_stops_the_stack():
    lines: list[str] = []
    sup = _supervisor(
        {"web": [sys.executable, "-c", "raise SystemExit(5)"], "worker": SLEEP}, lines
    )
    sup.start()
    try:
        code = sup.run(lambda: False, poll=0.05)
    finally:
        sup.stop(timeout=5)
    assert code == 5 and lines == ["web exited with 5; stopping."]
    assert not _alive(sup.procs["worker"])


def test_ctrl_c_stops_everything_and_restarts_nothing(tmp_path):
    """Like a terminal's Ctrl-C: SIGINT to the whole process group (supervisor and children)."""
    script = (
        "import os, sys; from vur.run import ROOT, Supervisor, supervise; "
        f"sleep = {SLEEP!r}; "
        "sup = Supervisor({'web': sleep, 'worker': sleep, 'beat': sleep}, cwd=ROOT, "
        "env=dict(os.environ), restart=('worker', 'beat'), base_delay=0.1); "
        "code = supervise(sup, lambda stop: print('pids', *[p.pid for p in sup.procs.values()], "
        "flush=True)); print('exit', code, flush=True)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        first = proc.stdout.readline().split()
        assert first[0] == "pids"
        children = [int(pid) for pid in first[1:]]
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "restarting" not in out
    assert out.strip().splitlines()[-1] == "exit 0"
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}") or _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1].startswith("Z")
    except OSError:
        return True
