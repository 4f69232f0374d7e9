"""Shared test fixtures: two people and their API clients, a real Celery worker, sample files."""

from __future__ import annotations

import contextlib
import shutil
import time
import traceback
import warnings
from pathlib import Path

import pytest
from django.conf import settings
from kombu.exceptions import ChannelError
from kombu.exceptions import OperationalError as KombuOperationalError
from rest_framework.test import APIClient

# Browser-test fixtures: live_stack, browser, and the failure-screenshot hook.
pytest_plugins = ["vur.tests.browser"]

SAMPLE_DIR = Path(__file__).resolve().parent / "datasets" / "sample_data"


@pytest.fixture
def owner(django_user_model):
    """The person whose objects a test works with."""
    return django_user_model.objects.create_user(username="owner", password="owner-pass-123")


@pytest.fixture
def other_user(django_user_model):
    """Someone else: every detail endpoint answers them 404 for the owner's objects."""
    return django_user_model.objects.create_user(username="other", password="other-pass-123")


@pytest.fixture
def staff_user(django_user_model):
    """A staff member, who sees everyone's objects."""
    return django_user_model.objects.create_user(
        username="staff", password="staff-pass-123", is_staff=True
    )


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def api(owner) -> APIClient:
    """An API client signed in as `owner`."""
    return _client(owner)


@pytest.fixture
def other_api(other_user) -> APIClient:
    """An API client signed in as `other_user`."""
    return _client(other_user)


@pytest.fixture
def anon_api() -> APIClient:
    """An API client with no credentials."""
    return APIClient()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the embedded Redis when this test session started it (no REDIS_URL); one it found
    running, such as a `make run` of the same checkout, keeps running."""
    from vur import embedded

    for directory in embedded.started_by_this_process():
        embedded.stop_embedded_redis(directory)


@pytest.fixture(autouse=True, scope="session")
def _clean_media():
    """Each test session writes its files under its own media folder, removed at the end."""
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


WORKER_QUEUES = ("training", "scoring")
_session_worker: list = []  # the session's Celery worker, once a test has started it
TASKS_DRAIN_S = 60  # longest a test's teardown waits for the tasks it left to end


@pytest.fixture(scope="session")
def celery_worker_session(django_db_setup, django_db_blocker):
    """A real Celery worker (in-process thread) on the real broker, consuming both queues."""
    from celery.contrib.testing.worker import start_worker

    from vur.celery import app

    with (
        django_db_blocker.unblock(),
        start_worker(
            app,
            pool="threads",
            concurrency=2,
            queues=list(WORKER_QUEUES),
            perform_ping_check=False,
            shutdown_timeout=30,
            loglevel="WARNING",
        ) as worker,
    ):
        _session_worker.append(worker)
        try:
            yield worker
        finally:
            _session_worker.clear()


def _tasks_left() -> int:
    """Tasks of this test process running in the session worker, and those still queued for it
    when the broker answers (a test may point the app at a stopped one)."""
    from celery.worker import state

    from vur.celery import app

    queued = 0
    try:
        with app.connection_for_write() as conn:
            for queue in WORKER_QUEUES:
                with contextlib.suppress(ChannelError):  # Redis holds no list for an empty queue
                    queued += conn.default_channel.queue_declare(queue=queue, passive=True)[1]
    except (KombuOperationalError, OSError):
        pass
    # Running requests, not all reserved ones: a task held for a later time (a countdown) is
    # reserved until then and could hold a teardown for the whole wait.
    return queued + len(state.active_requests)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """Before a test's fixtures are torn down, let the tasks it left (a batch job queued and not
    waited for) end in the session worker: one still writing while the database is flushed
    deadlocked the flush (TRUNCATE) and failed the next tests' setup. Whatever happens here,
    the teardown goes on."""
    try:
        if _session_worker:
            deadline = time.monotonic() + TASKS_DRAIN_S
            while _tasks_left() and time.monotonic() < deadline:
                time.sleep(0.05)
            if time.monotonic() >= deadline:
                warnings.warn(f"{item.nodeid} left tasks running", stacklevel=1)
    except Exception:  # the fixtures must still be torn down
        warnings.warn(
            f"could not wait for {item.nodeid}'s tasks:\n{traceback.format_exc()}", stacklevel=1
        )
    yield


@pytest.fixture
def celery_worker(celery_worker_session, transactional_db):
    """Use in `transaction=True` tests: the worker sees committed rows."""
    return celery_worker_session


def sample_path(name: str) -> Path:
    """Path of a bundled sample file."""
    return SAMPLE_DIR / name


def upload_sample(client, filename: str, **fields) -> dict:
    """Upload a bundled sample file through the API; return the Dataset answer."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    res = client.post(
        "/api/v1/datasets/upload",
        {
            "file": SimpleUploadedFile(filename, sample_path(filename).read_bytes()),
            "name": filename,
            **fields,
        },
        format="multipart",
    )
    assert res.status_code == 201, res.content
    return res.json()


def upload_text(client, filename: str, text: str, name: str) -> int:
    """Upload a file written in the test (`text`) through the API; return the dataset id."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    res = client.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile(filename, text.encode()), "name": name},
        format="multipart",
    )
    assert res.status_code == 201, res.content
    return res.json()["id"]


def pipeline_on_sample(owner, sample: str, target: str, problem_type: str, **fields):
    """A pipeline on a bundled sample file, made through the services (no API client)."""
    from django.core.files import File

    from datasets.services import dataset_upload
    from pipelines.services import pipeline_create

    with open(sample_path(sample), "rb") as fh:
        dataset = dataset_upload(owner=owner, upload=File(fh, name=sample), name=sample)
    return pipeline_create(
        owner=owner,
        dataset=dataset,
        name="p",
        target_column=target,
        problem_type=problem_type,
        **fields,
    )


def create_pipeline(client, dataset_id: int, target: str, problem_type: str, **fields) -> dict:
    """Create a pipeline through the API; return the Pipeline answer."""
    body = {
        "name": f"{target} pipeline",
        "dataset_id": dataset_id,
        "target_column": target,
        "problem_type": problem_type,
        **fields,
    }
    res = client.post("/api/v1/pipelines/", body, format="json")
    assert res.status_code == 201, res.content
    return res.json()


def wait_for(fetch, done, timeout: float = 180.0, interval: float = 0.3):
    """Call `fetch()` until `done(result)` or the timeout; return the last result."""
    import time

    deadline = time.monotonic() + timeout
    result = fetch()
    while not done(result) and time.monotonic() < deadline:
        time.sleep(interval)
        result = fetch()
    return result


def wait_job(client, job_id: str, timeout: float = 180.0) -> dict:
    """Poll a training job until it ends; return its final status."""
    terminal = ("completed", "failed", "cancelled")
    return wait_for(
        lambda: client.get(f"/api/v1/training/{job_id}/status").json(),
        lambda body: body["status"] in terminal,
        timeout,
    )


def train(client, pipeline_id: int, algorithms: list[str], time_budget_s: float) -> str:
    """Start a training job of `algorithms` through the API, wait until it completes and
    return its id."""
    body = {"pipeline_id": pipeline_id, "algorithms": algorithms, "time_budget_s": time_budget_s}
    start = client.post("/api/v1/training/start", body, format="json")
    assert start.status_code == 202, start.json()
    job_id = start.json()["job_id"]
    final = wait_job(client, job_id)
    assert final["status"] == "completed", final
    return job_id


def train_and_deploy(
    client, dataset_id: int, target: str, problem_type: str, algorithms: list[str]
) -> dict:
    """Train `algorithms` on an uploaded dataset through the API for 8 s (enough for each
    algorithm to be fitted on a busy machine, where 4 s once left the second one out), wait
    for the job and deploy its rank-1 model; return that model's answer."""
    pipe = create_pipeline(client, dataset_id, target, problem_type)
    train(client, pipe["id"], algorithms, 8)
    best = client.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"][0]
    dep = client.post(
        "/api/v1/deployment/deploy", {"model_id": best["id"], "target": "api"}, format="json"
    )
    assert dep.status_code == 201, dep.json()
    return best


def ws_refused(path: str, headers: list | None = None) -> bool:
    """Whether the ASGI app refuses a WebSocket to `path`. The app instance is told the socket
    closed and ends inside the same event loop, rather than being cancelled by the loop's
    shutdown with a channel-layer read in flight (a test hung there once, under load). A
    consumer that refused is given 1 s to end, then cancelled in the loop: told of the close a
    moment after connecting, channels-redis's first read of a new event loop ignores the
    cancellation until cancelled again, which made each such call wait out a 10 s timeout."""
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator

    from vur.asgi import application

    async def attempt() -> bool:
        comm = WebsocketCommunicator(application, path, headers=headers)
        connected, _ = await comm.connect(timeout=10)
        await comm.disconnect(timeout=1)
        return not connected

    return async_to_sync(attempt)()


def ws_answer(path: str, headers: list | None = None) -> tuple[bool, list[dict], int | None]:
    """Open a WebSocket to `path` on the ASGI app and read until the server closes it (or 10 s
    of silence): (accepted, the JSON messages received, the close code or None). Disconnects
    as `ws_refused` does, so the consumer ends inside the same event loop."""
    import json

    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator

    from vur.asgi import application

    async def attempt() -> tuple[bool, list[dict], int | None]:
        comm = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await comm.connect(timeout=10)
        messages: list[dict] = []
        try:
            while connected:
                output = await comm.receive_output(timeout=10)
                if output["type"] == "websocket.close":
                    code = output.get("code", 1000)
                    break
                messages.append(json.loads(output["text"]))
        except TimeoutError:
            code = None
        finally:
            await comm.disconnect(timeout=1)
        return connected, messages, code

    return async_to_sync(attempt)()


def housing_ridge(owner, tag: str) -> tuple:
    """A ridge regressor of `price` fitted in-process on the housing sample and stored under
    `tag`: its pipeline, the saved artifact and the input schema a trained model records."""
    import pandas as pd

    from modeling.artifacts import artifact_save
    from training.builder import build_pipeline

    pipeline = pipeline_on_sample(owner, "sacramento_housing.csv", "price", "regression")
    frame = pd.read_csv(sample_path("sacramento_housing.csv"))
    features = [c for c in frame.columns if c != "price"]
    schema = [c for c in pipeline.dataset.columns_info if c["name"] in features]
    fitted = build_pipeline(
        df_schema=schema, target="price", problem_type="regression", algorithm="linear",
        hyperparameters={},
    ).fit(frame[features], frame["price"])  # fmt: skip
    saved = artifact_save(fitted, f"{owner.pk}/fixture/{tag}")
    return pipeline, saved, {"columns": [{**c, "required": True} for c in schema]}


def deployed_regressor(owner):
    """`housing_ridge` as a deployed model (for the REST API) of `owner`."""
    from modeling.models import TrainedModel
    from predictions.models import Deployment

    pipeline, saved, schema = housing_ridge(owner, "price")
    model = TrainedModel.objects.create(
        owner=owner, pipeline=pipeline, problem_type="regression", algorithm="linear",
        primary_metric="rmse", artifact=saved.name, sha256=saved.sha256, is_deployed=True,
        input_schema=schema,
    )  # fmt: skip
    Deployment.objects.create(owner=owner, model=model, target="api")
    return model


@pytest.fixture
def deployed_model(owner):
    """A small classifier trained in-process on the penguins sample, stored and deployed."""
    import pandas as pd

    from modeling.artifacts import artifact_save
    from modeling.models import TrainedModel
    from predictions.models import Deployment
    from training.builder import build_pipeline

    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    dataset = pipeline.dataset
    frame = pd.read_csv(sample_path("penguins.csv"))
    features = [c for c in frame.columns if c != "species"]
    schema = [c for c in dataset.columns_info if c["name"] in features]
    fitted = build_pipeline(
        df_schema=schema, target="species", problem_type="classification",
        algorithm="random_forest", hyperparameters={"n_estimators": 20},
    ).fit(frame[features], frame["species"])  # fmt: skip
    saved = artifact_save(fitted, f"{owner.pk}/fixture/rf")
    model = TrainedModel.objects.create(
        owner=owner, pipeline=pipeline, problem_type="classification", algorithm="random_forest",
        primary_metric="auc", artifact=saved.name, sha256=saved.sha256,
        input_schema={"columns": [{**c, "required": True} for c in schema]},
    )  # fmt: skip
    Deployment.objects.create(owner=owner, model=model, target="realtime")
    return model
