"""Live forecast benchmark: the round trip of one new observation over the prediction WebSocket
(send `{model_id, observations: [1 point]}`, receive the updated forecast), in-process on the
ASGI app and over a real daphne server.

Fits an AutoETS forecaster (the forecasting engine with backtest-calibrated intervals) on an
hourly series, stores and deploys it, then streams observations one at a time; each answer is
the model's state update plus its writes (state, actual, forecast record). Uses a throwaway
SQLite/embedded Redis unless --use-env keeps DATABASE_URL/REDIS_URL.

Usage: python bench/live_forecast_bench.py [--messages 300] [--horizon 24] [--algorithm ets]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
N_HISTORY = 24 * 7 * 8  # eight weeks of hourly values


def _setup(var_dir: Path, use_env: bool) -> None:
    os.environ["VUR_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vur.settings.base")
    if not use_env:
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def _values(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 500 + 0.05 * t + 40 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 8, n)


def _prepare(algorithm: str, horizon: int):
    """Fit, store and deploy a forecaster; return (user, model, fitted ForecastModel)."""
    import pandas as pd
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    from datasets.services import dataset_upload
    from modeling.artifacts import artifact_save
    from modeling.models import TrainedModel
    from pipelines.services import pipeline_create
    from predictions.services import deployment_create
    from training.forecasting import ForecastSettings, run_forecast_automl

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user(f"bench-{time.time_ns()}", password="b-pass-123")
    stamps = pd.date_range("2024-01-01", periods=N_HISTORY, freq="h", tz="UTC")
    frame = pd.DataFrame({"time": stamps, "load": _values(N_HISTORY)})
    upload = ContentFile(frame.to_csv(index=False).encode(), name="load.csv")
    dataset = dataset_upload(owner=user, upload=upload, name="load")
    pipeline = pipeline_create(
        owner=user, dataset=dataset, name="live", target_column="load",
        problem_type="forecasting", forecast_horizon=horizon,
    )  # fmt: skip
    engine_settings = ForecastSettings(
        time_column="time", target="load", horizon=horizon, algorithms=[algorithm], time_budget_s=60
    )
    candidates = run_forecast_automl(frame, engine_settings)
    best = next(c for c in candidates if c.algorithm == algorithm)
    saved = artifact_save(best.model, f"{user.pk}/bench/live-{algorithm}")
    model = TrainedModel.objects.create(
        owner=user, pipeline=pipeline, problem_type="forecasting", algorithm=algorithm,
        primary_metric="mase", artifact=saved.name, sha256=saved.sha256,
        input_schema=best.model.input_schema(),
    )  # fmt: skip
    deployment_create(owner=user, model=model, target="realtime")
    return user, model, best.model


def _messages(model_id: int, start: int, count: int, horizon: int) -> list[dict]:
    import pandas as pd

    values = _values(N_HISTORY + start + count)[N_HISTORY + start :]
    first = pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=N_HISTORY + start)
    return [
        {
            "model_id": model_id,
            "observations": [
                {"timestamp": (first + pd.Timedelta(hours=i)).isoformat(), "value": float(v)}
            ],
            "horizon": horizon,
            "request_id": str(start + i),
        }
        for i, v in enumerate(values)
    ]


def _summary(times_ms: list[float], answers: list[dict], cpu_ms: float) -> dict:
    errors = [a for a in answers if "error" in a]
    if errors:
        raise SystemExit(f"{len(errors)} error answers, first: {errors[0]}")
    arr = np.asarray(times_ms)
    return {
        "messages": len(arr),
        # CPU time the serving process spent per message: what the round trip costs on an idle
        # core, whatever else the machine is doing.
        "server_cpu_ms": round(cpu_ms / len(arr), 2),
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p95_ms": round(float(np.percentile(arr, 95)), 2),
        "p99_ms": round(float(np.percentile(arr, 99)), 2),
        "server_latency_p50_ms": round(float(np.median([a["latency_ms"] for a in answers])), 2),
    }


async def _in_process(user, messages: list[dict]) -> dict:
    from channels.testing import WebsocketCommunicator

    from vur.asgi import application

    comm = WebsocketCommunicator(application, "/ws/predictions/")
    comm.scope["user"] = user
    connected, _ = await comm.connect(timeout=10)
    assert connected
    times, answers = [], []
    try:
        for i, message in enumerate(messages):
            if i == 5:  # the first messages warm caches
                cpu0 = time.process_time()
            t0 = time.perf_counter()
            await comm.send_json_to(message)
            answers.append(await comm.receive_json_from(timeout=60))
            times.append((time.perf_counter() - t0) * 1000)
        cpu = (time.process_time() - cpu0) * 1000
    finally:
        await comm.disconnect()
    return _summary(times[5:], answers[5:], cpu)


def _cpu_ms(pid: int) -> float:
    """CPU time (user + system) a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _over_daphne(user, messages: list[dict]) -> dict:
    import websocket
    from rest_framework_simplejwt.tokens import AccessToken

    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
         "vur.asgi:application"],
        cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("daphne did not start") from None
                time.sleep(0.2)
        token = AccessToken.for_user(user)
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}/ws/predictions/?token={token}",
            timeout=60,
            origin=f"http://127.0.0.1:{port}",
        )
        times, answers = [], []
        try:
            for i, message in enumerate(messages):
                if i == 5:
                    cpu0 = _cpu_ms(server.pid)
                t0 = time.perf_counter()
                ws.send(json.dumps(message))
                answers.append(json.loads(ws.recv()))
                times.append((time.perf_counter() - t0) * 1000)
            cpu = _cpu_ms(server.pid) - cpu0
        finally:
            ws.close()
        return _summary(times[5:], answers[5:], cpu)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--algorithm", default="ets")
    parser.add_argument("--use-env", action="store_true", help="keep DATABASE_URL/REDIS_URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vur-bench-live-") as tmp:
        var_dir = Path(tmp)
        _setup(var_dir, args.use_env)
        from django.conf import settings

        try:
            user, model, _ = _prepare(args.algorithm, args.horizon)
            n = args.messages
            inproc = asyncio.run(_in_process(user, _messages(model.pk, 0, n, args.horizon)))
            served = _over_daphne(user, _messages(model.pk, n, n, args.horizon))
            database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        finally:  # a failed run leaves no Redis server running in a deleted folder
            if not args.use_env:
                from vur.embedded import stop_embedded_redis

                stop_embedded_redis(var_dir / "redis")
    load = os.getloadavg()[0]
    figures = {
        "load_average": round(load, 2),
        "cpus": os.cpu_count(),
        "algorithm": args.algorithm,
        "history": N_HISTORY,
        "horizon": args.horizon,
        "database": database,
        "in_process": inproc,
        "daphne": served,
    }
    for name, key in (("in-process ASGI", "in_process"), ("daphne server", "daphne")):
        f = figures[key]
        print(
            f"live forecast update over the WebSocket ({args.algorithm}, {database}), {name}: "
            f"p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, p99 {f['p99_ms']} ms "
            f"({f['messages']} messages; server CPU {f['server_cpu_ms']} ms per update, "
            f"forecast service p50 {f['server_latency_p50_ms']} ms; load average {load:.1f})"
        )
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / f"live_forecast_{args.algorithm}.json").write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
