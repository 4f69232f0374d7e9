"""`make run` serves compressed static files: its setup collects them with a gzip copy of each
(again only when something changed, and then compressing only what changed), and the web server
it starts answers gzip for plotly.min.js and the app's JS and CSS."""

from __future__ import annotations

import gzip
import os
import time
import urllib.request
from pathlib import Path

import pytest

from vur.run import ROOT, collect_static
from vur.staticfinders import _plotly_dir
from vur.tests.stack import running_stack

# URL path under /static/ -> the source file the finders serve without `make run`'s setup.
SOURCES = {
    "vendor/plotly.min.js": _plotly_dir() / "plotly.min.js",
    "vur/app.js": ROOT / "vur" / "static" / "vur" / "app.js",
    "vur/app.css": ROOT / "vur" / "static" / "vur" / "app.css",
    "vur/training.js": ROOT / "vur" / "static" / "vur" / "training.js",
}


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> tuple[dict[str, str], Path, bool]:
    """`make run`'s static setup run once into a fresh var folder: (its env, the folder, whether
    it collected)."""
    from django.conf import settings

    var_dir = tmp_path_factory.mktemp("var")
    # The suite's Redis: with none named, the collectstatic process would start an embedded one
    # under this folder and leave it running.
    env = dict(os.environ, VUR_VAR_DIR=str(var_dir), REDIS_URL=settings.REDIS_URL)
    did = collect_static(env, var_dir)
    return env, var_dir, did


def test_the_run_setup_writes_a_gzip_copy_of_plotly_and_the_apps_js_and_css(collected):
    env, var_dir, did = collected
    assert did is True
    assert env["VUR_STATIC_COLLECTED"] == "1"
    for name, source in SOURCES.items():
        packed = var_dir / "static" / f"{name}.gz"
        assert packed.exists(), name
        assert gzip.decompress(packed.read_bytes()) == source.read_bytes(), name
    plotly = var_dir / "static" / "vendor" / "plotly.min.js.gz"
    assert plotly.stat().st_size < 0.4 * SOURCES["vendor/plotly.min.js"].stat().st_size


def test_a_second_start_skips_the_work_and_a_forced_collect_compresses_nothing_again(collected):
    """The setup runs at every start: with nothing changed it starts no Django process; when it
    does collect, files already compressed are left alone (WhiteNoise's storage compressed all
    200 of them at each collect, 20 s here)."""
    env, var_dir, _ = collected
    plotly = var_dir / "static" / "vendor" / "plotly.min.js.gz"
    app = var_dir / "static" / "vur" / "app.js.gz"
    before = {p: p.stat().st_ctime_ns for p in (plotly, app)}
    started = time.monotonic()
    assert collect_static(dict(env), var_dir) is False
    assert time.monotonic() - started < 2

    (var_dir / "static-collected.txt").unlink()
    assert collect_static(dict(env), var_dir) is True
    assert (var_dir / "static-collected.txt").exists()
    # Not written again: writing a compressed copy changes its ctime.
    assert {p: p.stat().st_ctime_ns for p in (plotly, app)} == before


@pytest.mark.django_db
def test_the_web_server_it_starts_answers_gzip(collected, tmp_path):
    env, var_dir, _ = collected
    with running_stack(
        tmp_path, web=True, worker=False,
        VUR_VAR_DIR=str(var_dir), VUR_STATIC_COLLECTED=env["VUR_STATIC_COLLECTED"],
    ) as stack:  # fmt: skip
        for name, source in SOURCES.items():
            packed = var_dir / "static" / f"{name}.gz"
            req = urllib.request.Request(
                f"{stack.base}/static/{name}", headers={"Accept-Encoding": "gzip"}
            )
            with urllib.request.urlopen(req, timeout=30) as res:
                assert res.headers["Content-Encoding"] == "gzip", name
                assert int(res.headers["Content-Length"]) == packed.stat().st_size, name
                assert gzip.decompress(res.read()) == source.read_bytes(), name
        # A client that takes no gzip gets the file as it is.
        with urllib.request.urlopen(f"{stack.base}/static/vur/app.js", timeout=30) as res:
            assert res.headers.get("Content-Encoding") is None
            assert res.read() == SOURCES["vur/app.js"].read_bytes()


def test_the_docker_image_serves_the_files_it_collects_at_build():
    """The image runs collectstatic when it is built; without the flag WhiteNoise would serve
    the finders' uncompressed files instead (as `make run` did before it collected)."""
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "VUR_STATIC_COLLECTED=1" in final_stage.split("\nRUN ", 1)[0]  # set in ENV
    assert "manage.py collectstatic --noinput" in final_stage
