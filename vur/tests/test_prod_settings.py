"""Production settings pass Django's deployment checks with no warning, and need a real secret."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environ.update(DJANGO_SETTINGS_MODULE="vur.settings.prod", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_passes_with_no_warning():
    done = _manage(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=secrets.token_urlsafe(50)
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_production_refuses_to_start_without_a_secret_key():
    done = _manage("check")
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr
