"""Serving benchmark: VUR's prediction endpoints on a real daphne, side by side with MLflow's
`mlflow models serve` on the same fitted model.

Trains a 100-tree random forest (and an "auto"-style blend of linear, random forest and extra
trees sharing one fitted preprocessing) on a 30-column table in-process, stores and deploys it,
starts daphne on the project and measures: single-row REST median, requests/s at 1/8/32
connections, 100-row requests (rows/s), pipelined WebSocket predictions/s on one connection, and
the in-process figures. With `--mlflow-python` (a separate venv with mlflow installed; it is not
a VUR requirement) the same fitted pipeline is saved with `mlflow.sklearn` and served by
`mlflow models serve --env-manager local -w 1`, measured the same way (servers alternated per
figure) and its answers compared with VUR's. The load average is printed beside every figure,
and so is the servers' CPU time per request (all their processes, read from /proc), which a busy
machine disturbs less than wall-clock figures.

With `--ws-soak-s` one WebSocket is then held under continuous pipelined load that long (answers
per minute, slowest answer, order and the server's memory before and after).

Usage: python bench/serving_bench.py [--mlflow-python /tmp/mlflow-venv/bin/python] [--use-env]
       [--seconds 6] [--ws-soak-s 600] [--out FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
N_ROWS, N_NUMERIC, N_CATEGORICAL = 5000, 24, 6


def _setup(var_dir: Path, use_env: bool) -> None:
    os.environ["VUR_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vur.settings.base")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if not use_env:
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def _table(n: int, seed: int = 0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    data = {f"x{i}": rng.normal(size=n).round(4) for i in range(N_NUMERIC)}
    for j in range(N_CATEGORICAL):
        data[f"c{j}"] = rng.choice(["north", "south", "east", "west", "centre"], n)
    frame = pd.DataFrame(data)
    score = frame["x0"] + 0.7 * frame["x1"] - 0.5 * frame["x2"] + (frame["c0"] == "north")
    frame["label"] = np.where(score + rng.normal(0, 0.8, n) > 0.3, "yes", "no")
    return frame


def _prepare():
    """Fit, store and deploy the forest and the blend: (user, forest, blend, fitted, rows)."""
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from sklearn.pipeline import Pipeline as SkPipeline

    from datasets import profiling
    from datasets.services import dataset_upload
    from modeling import serving
    from modeling.artifacts import artifact_save
    from modeling.models import TrainedModel
    from pipelines.services import pipeline_create, pipeline_set_status
    from predictions.services import deployment_create
    from training.builder import WeightedEnsemble, build_pipeline

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user(f"bench-{time.time_ns()}", password="b-pass-123")
    frame = _table(N_ROWS)
    upload = ContentFile(frame.to_csv(index=False).encode(), name="wide.csv")
    dataset = dataset_upload(owner=user, upload=upload, name="wide")
    pipeline = pipeline_create(owner=user, dataset=dataset, name="serve", target_column="label",
                               problem_type="classification")  # fmt: skip
    for status in ("training", "trained"):  # the models below are its training's outcome
        pipeline_set_status(pipeline=pipeline, status=status)
    schema = [c for c in dataset.columns_info if c["name"] != "label"]
    features = [c["name"] for c in schema]
    typed = profiling.coerce_types(frame, dataset.columns_info)

    def fit(algorithm: str, params: dict):
        return build_pipeline(
            df_schema=schema, target="label", problem_type="classification",
            algorithm=algorithm, hyperparameters=params,
        ).fit(typed[features], typed["label"])  # fmt: skip

    forest = fit("random_forest", {"n_estimators": 100})
    members = [fit("linear", {}), forest, fit("extra_trees", {"n_estimators": 100})]
    blend = SkPipeline([("preprocess", "passthrough"), ("features", "passthrough"),
                        ("model", WeightedEnsemble.from_fitted(members, [1, 2, 1],
                                                               "classification"))])  # fmt: skip
    check = typed[features].tail(300)
    models = []
    for name, fitted in (("random_forest", forest), ("ensemble", blend)):
        saved = artifact_save(fitted, f"{user.pk}/bench/serve-{name}")
        compiled = serving.compile_for_serving(fitted, check)
        model = TrainedModel.objects.create(
            owner=user, pipeline=pipeline, problem_type="classification", algorithm=name,
            primary_metric="auc", artifact=saved.name, sha256=saved.sha256,
            card={"serving": serving.serving_card(compiled, len(check))},
            input_schema={"columns": [{**c, "required": True} for c in schema]},
        )  # fmt: skip
        deployment_create(owner=user, model=model, target="api")
        deployment_create(owner=user, model=model, target="realtime")
        models.append(model)
    rows = _table(2000, seed=1)[features].to_dict("records")
    return user, models[0], models[1], forest, rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(f"{what} did not start") from None
            time.sleep(0.3)


class Server:
    """One HTTP prediction server: how to ask it for rows and read its labels back."""

    def __init__(self, name: str, port: int, path: str, headers: dict, body, labels, pgid=0):
        self.name, self.port, self.path = name, port, path
        self.headers, self.body, self.labels = headers, body, labels
        self.pgid, self.cpu_ms = pgid, None

    def call(self, conn: http.client.HTTPConnection, rows: list[dict]) -> list:
        conn.request("POST", self.path, body=self.body(rows), headers=self.headers)
        res = conn.getresponse()
        data = res.read()
        if res.status != 200:
            raise RuntimeError(f"{self.name} answered {res.status}: {data[:300]!r}")
        return self.labels(json.loads(data))

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)


def _group_stats(pgid: int) -> Iterator[tuple[str, list[str]]]:
    """(pid, /proc stat fields after the name) of every live process of group `pgid`."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            yield entry, fields


def _group_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) used so far by every process of group `pgid`."""
    ticks = sum(int(fields[11]) + int(fields[12]) for _, fields in _group_stats(pgid))
    return ticks / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU ms per request of a server's process group over one measurement."""

    def __init__(self, pgid: int):
        self.pgid = pgid
        self.start = _group_cpu_s(pgid)

    def per_request_ms(self, requests: int) -> float:
        return round((_group_cpu_s(self.pgid) - self.start) * 1000 / max(requests, 1), 3)


def _median_ms(server: Server, rows: list[dict], n: int) -> float:
    conn = server.connect()
    times = []
    meter = CpuMeter(server.pgid) if server.pgid else None
    for i in range(n):
        t0 = time.perf_counter()
        server.call(conn, [rows[i % len(rows)]])
        times.append((time.perf_counter() - t0) * 1000)
    conn.close()
    server.cpu_ms = meter.per_request_ms(n) if meter else None
    return round(statistics.median(times[5:]), 2)


def _rps(server: Server, rows: list[dict], connections: int, seconds: float, size: int = 1):
    """Requests/s over `connections` keep-alive connections for `seconds` (one thread each)."""
    stop = time.monotonic() + seconds
    counts = [0] * connections
    slowest = [0.0] * connections
    errors: list[str] = []

    def run(k: int) -> None:
        conn = server.connect()
        i = k
        try:
            while time.monotonic() < stop:
                batch = [rows[(i + j) % len(rows)] for j in range(size)]
                t0 = time.perf_counter()
                server.call(conn, batch)
                slowest[k] = max(slowest[k], time.perf_counter() - t0)
                counts[k] += 1
                i += connections
        except Exception as exc:  # reported below, the figure would be wrong
            traceback.print_exc()
            errors.append(repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(connections)]
    meter = CpuMeter(server.pgid) if server.pgid else None
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{server.name}: {errors[0]}")
    elapsed = time.monotonic() - started
    server.cpu_ms = meter.per_request_ms(sum(counts)) if meter else None
    if max(slowest) > seconds:
        print(f"{server.name}: slowest request {max(slowest):.1f} s at {connections} connections",
              file=sys.stderr)  # fmt: skip
    return round(sum(counts) / elapsed, 1)


def _ws_pipelined(port: int, token: str, model_id: int, rows: list[dict], n: int, pgid: int):
    import websocket

    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/ws/predictions/?token={token}", timeout=120,
        origin=f"http://127.0.0.1:{port}",
    )  # fmt: skip
    messages = [json.dumps({"model_id": model_id, "data": rows[i % len(rows)],
                            "request_id": i}) for i in range(n)]  # fmt: skip
    meter = CpuMeter(pgid)
    t0 = time.perf_counter()
    sender = threading.Thread(target=lambda: [ws.send(m) for m in messages])
    sender.start()
    for seen in range(n):
        answer = json.loads(ws.recv())
        if "error" in answer or answer["request_id"] != seen:
            raise SystemExit(f"websocket answer out of order or failed: {answer}")
    elapsed = time.perf_counter() - t0
    cpu = meter.per_request_ms(n)
    sender.join()
    ws.close()
    return round(n / elapsed, 1), cpu


def _group_rss_mb(pgid: int) -> float:
    """Resident memory (MB) of every process of group `pgid`."""
    total = 0
    for pid, _ in _group_stats(pgid):
        try:
            with open(f"/proc/{pid}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
        except (OSError, StopIteration, ValueError):
            continue
    return round(total / 1024, 1)


def _ws_soak(port: int, token: str, model_id: int, rows: list[dict], seconds: float, pgid: int):
    """One WebSocket under continuous pipelined load for `seconds` (up to 256 messages in
    flight): answers per minute, the slowest answer, errors and order, and the server's memory
    as each minute starts. Raises when the socket closes or an answer is wrong or out of order."""
    import websocket

    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/ws/predictions/?token={token}", timeout=60,
        origin=f"http://127.0.0.1:{port}",
    )  # fmt: skip
    room = threading.Semaphore(256)
    sent_at: dict[int, float] = {}
    stop = time.monotonic() + seconds
    failure: list[str] = []

    def send() -> None:
        i = 0
        try:
            while time.monotonic() < stop and not failure:
                room.acquire()
                sent_at[i] = time.perf_counter()
                ws.send(json.dumps({"model_id": model_id, "data": rows[i % len(rows)],
                                    "request_id": i}))  # fmt: skip
                i += 1
        except Exception as exc:  # the soak fails with it once the receiver sees it
            traceback.print_exc()
            failure.append(f"send: {exc!r}")
        sent_at[-1] = i  # how many were sent

    rss_start = _group_rss_mb(pgid)
    sender = threading.Thread(target=send)
    started = time.monotonic()
    sender.start()
    per_minute: list[int] = []
    rss: list[float] = []
    slowest = 0.0
    seen = 0
    try:
        while sender.is_alive() or seen < sent_at.get(-1, seen + 1):
            answer = json.loads(ws.recv())
            took = time.perf_counter() - sent_at.pop(seen)
            room.release()
            if "error" in answer or answer.get("request_id") != seen:
                raise SystemExit(f"websocket soak: answer {seen} wrong or out of order: {answer}")
            slowest = max(slowest, took)
            minute = int((time.monotonic() - started) // 60)
            while len(per_minute) <= minute:  # a new minute: the server's memory now
                per_minute.append(0)
                rss.append(_group_rss_mb(pgid))
            per_minute[minute] += 1
            seen += 1
    finally:
        sender.join()
        ws.close()
    if failure:
        raise SystemExit(f"websocket soak: {failure[0]}")
    return {
        "seconds": round(time.monotonic() - started, 1),
        "answered": seen,
        "per_minute": per_minute,
        "slowest_answer_ms": round(slowest * 1000, 1),
        "server_rss_mb": {"start": rss_start, "each_minute": rss, "end": _group_rss_mb(pgid)},
        "errors": 0,
        "load_average_end": _load(),
    }


def _start_daphne(env: dict) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
         "vur.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    _wait_port(port, proc, "daphne")
    return proc, port


def _start_mlflow(python: str, fitted, tmp: Path) -> tuple[subprocess.Popen, int]:
    import joblib

    joblib.dump(fitted, tmp / "forest.joblib")
    model_dir = tmp / "mlflow-model"
    save = (
        "import joblib, mlflow.sklearn, sys\n"
        f"m = joblib.load({str(tmp / 'forest.joblib')!r})\n"
        f"mlflow.sklearn.save_model(m, {str(model_dir)!r}, serialization_format='cloudpickle')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), MLFLOW_TRACKING_URI=f"file://{tmp}/mlruns")
    env["PATH"] = f"{Path(python).parent}:{env.get('PATH', '')}"  # it runs `uvicorn` by name
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([python, "-c", save], check=True, env=env, cwd=tmp)
    port = _free_port()
    mlflow = str(Path(python).parent / "mlflow")
    proc = subprocess.Popen(
        [mlflow, "models", "serve", "-m", str(model_dir), "--env-manager", "local",
         "-p", str(port), "-h", "127.0.0.1", "-w", "1"],
        cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    _wait_port(port, proc, "mlflow models serve", timeout=240)
    return proc, port


def _service_times(user, model, rows: list[dict], n: int, size: int = 1) -> tuple[float, float]:
    """Median wall ms and mean CPU ms (this process, every thread) of `predict_rows` calls."""
    from predictions.logbook import prediction_log
    from predictions.services import predict_rows

    for row in rows[:5]:  # load, convert and compile the model before measuring
        predict_rows(user=user, model_id=model.pk, data=row, return_probabilities=True)
    prediction_log.flush()
    times = []
    cpu0 = time.process_time()
    for i in range(n):
        data = (
            rows[i % len(rows)] if size == 1 else [rows[(i + j) % len(rows)] for j in range(size)]
        )
        t0 = time.perf_counter()
        predict_rows(user=user, model_id=model.pk, data=data, return_probabilities=True)
        times.append((time.perf_counter() - t0) * 1000)
    prediction_log.flush()  # the log's writing is part of a prediction's cost
    cpu = (time.process_time() - cpu0) * 1000 / n
    return round(statistics.median(times[10:]), 3), round(cpu, 3)


def _in_process(user, model, blend_model, fitted, rows: list[dict], n: int = 300) -> dict:
    import pandas as pd

    median, cpu = _service_times(user, model, rows, n)
    blend_median, blend_cpu = _service_times(user, blend_model, rows, n)
    rows_median, rows_cpu = _service_times(user, model, rows, 60, size=100)
    frame = pd.DataFrame([rows[0]])
    raw = []
    for _ in range(100):
        t0 = time.perf_counter()
        fitted.predict_proba(frame)
        raw.append((time.perf_counter() - t0) * 1000)
    # The floor of a 100-row request here: the compiled model alone on ready columns, and the
    # client's own JSON encoding of the request.
    from predictions import served

    entry = served.served_get(user=user, model_id=model.pk)
    columns = served.rows_columns(entry.plan, rows[:100])
    compiled = served.served_fitted(entry)
    model_ms, encode_ms = [], []
    for _ in range(100):
        t0 = time.perf_counter()
        compiled.predict_proba(columns)
        t1 = time.perf_counter()
        json.dumps({"model_id": model.pk, "data": rows[:100], "return_probabilities": True})
        model_ms.append((t1 - t0) * 1000)
        encode_ms.append((time.perf_counter() - t1) * 1000)
    big = pd.DataFrame(rows[:1000])
    t0 = time.perf_counter()
    fitted.predict_proba(big)
    rows_s = 1000 / (time.perf_counter() - t0)
    return {
        "service_single_row_median_ms": median,
        "service_single_row_cpu_ms": cpu,
        "service_blend_single_row_median_ms": blend_median,
        "service_blend_single_row_cpu_ms": blend_cpu,
        "service_100_rows_rows_per_s": round(100 * 1000 / rows_median),
        "service_100_rows_cpu_ms_per_row": round(rows_cpu / 100, 4),
        "compiled_model_100_rows_median_ms": round(statistics.median(model_ms[5:]), 3),
        "client_json_encode_100_rows_median_ms": round(statistics.median(encode_ms[5:]), 3),
        "sklearn_predict_proba_one_row_median_ms": round(statistics.median(raw[5:]), 3),
        "sklearn_rows_per_s_1000_rows": round(rows_s),
    }


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mlflow-python", default="", help="python of a venv with mlflow")
    parser.add_argument("--use-env", action="store_true", help="keep DATABASE_URL/REDIS_URL")
    parser.add_argument("--seconds", type=float, default=6.0, help="per throughput figure")
    parser.add_argument("--ws-messages", type=int, default=3000)
    parser.add_argument("--out", help="result file (default bench/results/serving-<db>.json)")
    parser.add_argument(
        "--ws-soak-s", type=float, default=0, help="hold one WebSocket under load this long"
    )
    args = parser.parse_args()
    figures: dict = {"cpus": os.cpu_count(), "load_average_start": _load()}
    with tempfile.TemporaryDirectory(prefix="vur-bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        _setup(tmp / "var", args.use_env)
        from django.conf import settings
        from rest_framework_simplejwt.tokens import AccessToken

        user, forest_model, blend_model, forest, rows = _prepare()
        figures["database"] = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        figures["blend_serving"] = blend_model.card["serving"]
        figures["in_process"] = _in_process(user, forest_model, blend_model, forest, rows)
        token = str(AccessToken.for_user(user))
        env = dict(os.environ, REDIS_URL=settings.REDIS_URL)
        if figures["database"] == "sqlite3":
            env["DATABASE_URL"] = f"sqlite:///{settings.DATABASES['default']['NAME']}"
        daphne, port = _start_daphne(env)
        servers = {}
        procs = [daphne]
        try:
            for name, model in (("vur", forest_model), ("vur_blend", blend_model)):
                servers[name] = Server(
                    name, port, "/api/v1/predictions/single",
                    {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                    lambda r, m=model.pk: json.dumps({"model_id": m, "data": r,
                                                      "return_probabilities": True}),
                    lambda body: body["predictions"], pgid=daphne.pid,
                )  # fmt: skip
            if args.mlflow_python:
                mlflow, mport = _start_mlflow(args.mlflow_python, forest, tmp)
                procs.append(mlflow)
                servers["mlflow"] = Server(
                    "mlflow", mport, "/invocations", {"Content-Type": "application/json"},
                    lambda r: json.dumps({"dataframe_records": r}),
                    lambda body: body["predictions"], pgid=mlflow.pid,
                )  # fmt: skip
            # Warm both, and check that they agree on 500 rows.
            answers = {}
            for name, server in servers.items():
                conn = server.connect()
                answers[name] = server.call(conn, rows[:500])
                conn.close()
            if "mlflow" in answers:
                agree = sum(a == b for a, b in zip(answers["vur"], answers["mlflow"], strict=True))
                figures["answers_agree"] = f"{agree}/500"
            order = [n for n in ("vur", "mlflow") if n in servers]
            for name in [*order, "vur_blend"]:
                figures.setdefault(name, {})["single_row_median_ms"] = _median_ms(
                    servers[name], rows, 300
                )
                figures[name]["single_row_cpu_ms"] = servers[name].cpu_ms
                figures[name]["load_at_median"] = _load()
            for connections in (1, 8, 32):
                for name in order:
                    figures[name][f"rps_{connections}"] = _rps(
                        servers[name], rows, connections, args.seconds
                    )
                    figures[name][f"cpu_ms_per_request_at_{connections}"] = servers[name].cpu_ms
                    figures[name][f"load_at_rps_{connections}"] = _load()
            for name in order:
                reqs = _rps(servers[name], rows, 1, args.seconds, size=100)
                figures[name]["rows_per_s_100_row_requests"] = round(reqs * 100)
                figures[name]["cpu_ms_per_row_100_row_requests"] = round(
                    servers[name].cpu_ms / 100, 4
                )
                reqs = _rps(servers[name], rows, 4, args.seconds, size=100)
                figures[name]["rows_per_s_100_row_requests_4_connections"] = round(reqs * 100)
            rate, cpu = _ws_pipelined(
                port, token, forest_model.pk, rows, args.ws_messages, daphne.pid
            )
            figures["vur"]["ws_pipelined_predictions_per_s"] = rate
            figures["vur"]["ws_cpu_ms_per_prediction"] = cpu
            figures["vur"]["load_at_ws"] = _load()
            if args.ws_soak_s:
                figures["vur"]["ws_soak"] = _ws_soak(
                    port, token, forest_model.pk, rows, args.ws_soak_s, daphne.pid
                )
            if "mlflow" in figures:
                figures["vur_over_mlflow"] = {
                    key: round(figures["mlflow"][key] / figures["vur"][key], 2)
                    if key.endswith("_ms") or "cpu" in key
                    else round(figures["vur"][key] / figures["mlflow"][key], 2)
                    for key in figures["mlflow"]
                    if not key.startswith("load") and figures["mlflow"][key]
                }  # >1: VUR better (faster, more per second, less CPU)
        finally:
            for proc in procs:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            if not args.use_env:
                from vur.embedded import stop_embedded_redis

                stop_embedded_redis(tmp / "var" / "redis")
    figures["load_average_end"] = _load()
    print(json.dumps(figures, indent=2))
    out = Path(args.out or ROOT / "bench" / "results" / f"serving-{figures['database']}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
