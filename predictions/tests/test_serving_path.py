"""The request path: rows typed without the general coercion give the same frame and answers;
the serving cache answers without reading the model rows, and a model undeployed (here or in
another process) stops answering at once; pipelined WebSocket messages are each answered once,
in order."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.files import File
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import AccessToken

from conftest import sample_path
from datasets import profiling
from datasets.services import dataset_upload
from modeling import serving
from modeling.artifacts import artifact_save
from modeling.models import TrainedModel
from pipelines.services import pipeline_create, pipeline_set_status
from predictions import served, services
from predictions.models import Deployment
from training.builder import build_pipeline
from vur.errors import ModelNotDeployed, NotFound

TABLES = [
    ("penguins.csv", "species", "classification"),
    ("credit_scoring.csv", "Status", "classification"),
    ("sacramento_housing.csv", "price", "regression"),
]


def _model(owner, filename: str, target: str, problem: str, deploy: bool = True):
    with open(sample_path(filename), "rb") as fh:
        dataset = dataset_upload(owner=owner, upload=File(fh, name=filename), name=filename)
    pipeline = pipeline_create(
        owner=owner, dataset=dataset, name="p", target_column=target, problem_type=problem
    )
    for status in ("training", "trained"):  # a model exists once trained
        pipeline_set_status(pipeline=pipeline, status=status)
    frame = pd.read_csv(sample_path(filename))
    schema = [c for c in dataset.columns_info if c["name"] != target]
    features = [c["name"] for c in schema]
    typed = profiling.coerce_types(frame, dataset.columns_info)
    fitted = build_pipeline(
        df_schema=schema, target=target, problem_type=problem,
        algorithm="random_forest", hyperparameters={"n_estimators": 15},
    ).fit(typed[features], typed[target])  # fmt: skip
    check = typed[features].tail(200)
    saved = artifact_save(fitted, f"{owner.pk}/serving/{filename}")
    model = TrainedModel.objects.create(
        owner=owner, pipeline=pipeline, problem_type=problem, algorithm="random_forest",
        primary_metric="auc", artifact=saved.name, sha256=saved.sha256,
        input_schema={"columns": [{**c, "required": False} for c in schema]},
        card={"serving": serving.serving_card(serving.compile_for_serving(fitted, check), 200)},
    )  # fmt: skip
    if deploy:
        services.deployment_create(owner=owner, model=model, target="api")
    return model, fitted, features


def _row_variants(filename: str, features: list[str]) -> dict[str, list[dict]]:
    """The same rows as JSON would bring them: native values, all text (numbers as strings,
    padded, empty for missing), missing keys, and a mix."""
    native = pd.read_csv(sample_path(filename)).head(80)[features]
    text = pd.read_csv(sample_path(filename), dtype=str, keep_default_na=False).head(80)
    records = native.astype(object).where(native.notna(), None).to_dict("records")
    strings = [{k: f" {v} " if i % 3 == 0 else v for k, v in r.items() if k in features}
               for i, r in enumerate(text.to_dict("records"))]  # fmt: skip
    sparse = [{k: v for k, v in r.items() if v is not None} for r in records]
    mixed = [records[i] if i % 2 else strings[i] for i in range(len(records))]
    return {"native": records, "strings": strings, "sparse": sparse, "mixed": mixed}


@pytest.mark.django_db
@pytest.mark.parametrize(("filename", "target", "problem"), TABLES)
def test_fast_rows_give_the_general_paths_frame_and_answers(owner, filename, target, problem):
    model, fitted, features = _model(owner, filename, target, problem, deploy=False)
    plan = served.RowPlan.of(model)
    for name, rows in _row_variants(filename, features).items():
        general = profiling.coerce_types(
            pd.DataFrame.from_records(rows, columns=list(plan.names)),
            [plan.infos[n] for n in plan.names],
        )
        fast = served.rows_frame(plan, rows)
        pd.testing.assert_frame_equal(fast, general, obj=f"{filename} {name}")
        want = services._score(model, fitted, general, True)
        got = services._score(model, fitted, fast, True)
        assert got == want, name
        # The numpy preprocessing on the request's columns gives the very same answers.
        compiled = serving.compile_for_serving(fitted, general, onnx="off")
        assert compiled.preprocess == serving.NUMPY_PREPROCESS, compiled.detail
        assert services._score(model, compiled, served.rows_columns(plan, rows), True) == want
        one = served.rows_frame(plan, rows[:1])
        pd.testing.assert_frame_equal(one, general.iloc[:1])


@pytest.mark.django_db
def test_cached_model_answers_without_reading_model_or_deployment_rows(owner, other_user):
    model, fitted, features = _model(owner, *TABLES[0])
    row = pd.read_csv(sample_path("penguins.csv")).iloc[0][features].to_dict()
    first = services.predict_rows(user=owner, model_id=model.pk, data=row)
    with CaptureQueriesContext(connection) as queries:
        again = services.predict_rows(user=owner, model_id=model.pk, data=row)
    assert again["predictions"] == first["predictions"]
    read = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in read if 'FROM "modeling_trainedmodel"' in q], read
    assert not [q for q in read if '"predictions_deployment"' in q], read
    # The cached entry still belongs to its owner: another user gets a 404.
    with pytest.raises(NotFound):
        services.predict_rows(user=other_user, model_id=model.pk, data=row)


@pytest.mark.django_db(transaction=True)
def test_undeploy_here_and_in_another_process_stops_answering(owner, settings, tmp_path):
    from vur.tests.stack import ROOT, database_url

    settings.VUR_SERVING_RECHECK_S = 3600.0  # only the announced generation can tell
    model, _fitted, features = _model(owner, *TABLES[0])
    row = pd.read_csv(sample_path("penguins.csv")).iloc[1][features].to_dict()
    assert services.predict_rows(user=owner, model_id=model.pk, data=row)["predictions"]
    script = (
        "from predictions.models import Deployment\n"
        "from predictions.services import deployment_undeploy\n"
        f"for d in Deployment.objects.filter(model_id={model.pk}, status='active'):\n"
        "    deployment_undeploy(deployment=d)\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vur.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "VUR_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not Deployment.objects.filter(model=model, status="active").exists()
    with pytest.raises(ModelNotDeployed):
        services.predict_rows(user=owner, model_id=model.pk, data=row)
    # Deployed again in this process: answers at once; undeployed here: refused at once.
    deployment = services.deployment_create(owner=owner, model=model, target="api")
    assert services.predict_rows(user=owner, model_id=model.pk, data=row)["predictions"]
    services.deployment_undeploy(deployment=deployment)
    with pytest.raises(ModelNotDeployed):
        services.predict_rows(user=owner, model_id=model.pk, data=row)


@pytest.mark.django_db(transaction=True)
def test_model_file_replaced_is_served_from_the_new_object(owner):
    """The compiled form follows the loaded object: a cache entry is rebuilt when it changes."""
    model, _fitted, features = _model(owner, *TABLES[0])
    row = pd.read_csv(sample_path("penguins.csv")).iloc[2][features].to_dict()
    services.predict_rows(user=owner, model_id=model.pk, data=row)
    entry = served.served_get(user=owner, model_id=model.pk)
    first = entry.compiled
    from modeling.artifacts import artifact_cache_clear

    artifact_cache_clear()
    services.predict_rows(user=owner, model_id=model.pk, data=row)
    assert served.served_get(user=owner, model_id=model.pk).compiled is not first


# ---------------------------------------------------------------- WebSocket pipelining
N_PIPELINED = 400


async def _pipelined(path: str, messages: list[dict]) -> list[dict]:
    comm = WebsocketCommunicator(application_(), path)
    connected, _ = await comm.connect(timeout=20)
    assert connected
    try:
        for message in messages:
            await comm.send_json_to(message)
        answers = [await comm.receive_json_from(timeout=120) for _ in messages]
        assert await comm.receive_nothing(timeout=0.5)
    finally:
        await comm.disconnect()
    return answers


def application_():
    from vur.asgi import application

    return application


@pytest.mark.django_db(transaction=True)
def test_pipelined_messages_each_answered_once_in_order(owner, other_user):
    model, fitted, features = _model(owner, *TABLES[0])
    frame = pd.read_csv(sample_path("penguins.csv"))
    rows = frame[features].astype(object).where(frame[features].notna(), None).to_dict("records")
    hidden, _, _ = _model(other_user, *TABLES[0])
    messages = []
    for i in range(N_PIPELINED):
        message = {"model_id": model.pk, "data": rows[i % len(rows)], "request_id": f"r{i}"}
        if i % 50 == 7:
            message["data"] = {**rows[0], "wings": 2}  # a bad message in the stream
        elif i % 50 == 19:
            message["model_id"] = hidden.pk  # another user's model: 404 for this one only
        elif i % 50 == 31:
            message["data"] = [rows[i % len(rows)], rows[(i + 1) % len(rows)]]
        messages.append(message)
    token = AccessToken.for_user(owner)
    answers = async_to_sync(_pipelined)(f"/ws/predictions/?token={token}", messages)
    assert [a["request_id"] for a in answers] == [m["request_id"] for m in messages]
    info = model.pipeline.dataset.columns_info
    typed = profiling.coerce_types(pd.DataFrame.from_records(rows), info)
    for message, answer in zip(messages, answers, strict=True):
        i = int(message["request_id"][1:])
        if i % 50 == 7:
            assert answer["error"]["code"] == "invalid_rows"
        elif i % 50 == 19:
            assert answer["error"]["code"] == "model_not_found"
        else:
            data = message["data"] if isinstance(message["data"], list) else [message["data"]]
            idx = [rows.index(r) for r in data]
            want = fitted.predict(typed.iloc[idx][features])
            assert answer["predictions"] == list(want), message["request_id"]
            assert len(answer["probabilities"]) == len(data)
            assert len(answer["prediction_ids"]) == len(data)
    ids = [pid for a in answers for pid in a.get("prediction_ids", [])]
    assert len(ids) == len(set(ids))


@pytest.mark.django_db
def test_a_saved_or_deleted_model_is_read_again(owner):
    """Saves and deletes (admin, or a new model taking a deleted one's id on SQLite) drop the
    process's copy at once, before any commit."""
    model, _fitted, features = _model(owner, *TABLES[0])
    assert served.served_get(user=owner, model_id=model.pk).model.algorithm == "random_forest"
    model.algorithm = "renamed"
    model.save(update_fields=["algorithm"])
    assert served.served_get(user=owner, model_id=model.pk).model.algorithm == "renamed"
    key = model.pk
    Deployment.objects.filter(model=model).delete()
    model.delete()
    with pytest.raises(NotFound):
        served.served_get(user=owner, model_id=key)


@pytest.mark.django_db(transaction=True)
def test_a_re_read_deployment_keeps_the_compiled_model(owner, settings):
    """Re-reading the deployment state (an announced change, or the periodic re-check) does not
    compile the model again: concurrent requests would all wait on the conversion."""
    settings.VUR_SERVING_RECHECK_S = 0.0  # every request re-reads the rows
    model, _fitted, features = _model(owner, *TABLES[0])
    row = pd.read_csv(sample_path("penguins.csv")).iloc[1][features].to_dict()
    services.predict_rows(user=owner, model_id=model.pk, data=row)
    first = served.served_get(user=owner, model_id=model.pk)
    compiled = served.served_fitted(first)
    served.serving_changed(model.pk)
    again = served.served_get(user=owner, model_id=model.pk)
    assert again is not first and again.compiled is None
    assert served.served_fitted(again) is compiled
