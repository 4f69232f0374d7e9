"""A trained model reads as its page names it ("#3 Ridge regression of pipeline Prices"), in the
admin's first column and wherever another record shows its model, without a query per row in
the admin lists that show models, on the delete confirmation pages (which name every model,
deployment and batch job that would go) and in the messages of a refused "delete selected"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from modeling.models import TrainedModel
from monitoring.models import Alert, ModelReference
from pipelines.services import pipeline_create
from predictions.models import BatchJob, Deployment, ForecastActual, ForecastState, PredictionRecord

pytestmark = pytest.mark.django_db


def _model(like: TrainedModel, name: str, problem_type: str, algorithm: str, rank: int):
    """A model of `algorithm` (rank `rank`) in a new pipeline called `name` on `like`'s data."""
    target = "body_mass_g" if problem_type == "regression" else "species"
    pipeline = pipeline_create(
        owner=like.owner, dataset=like.pipeline.dataset, name=name, target_column=target,
        problem_type=problem_type,
    )  # fmt: skip
    return TrainedModel.objects.create(
        owner=like.owner, pipeline=pipeline, problem_type=problem_type, algorithm=algorithm,
        rank=rank, primary_metric="auc", artifact=like.artifact, sha256=like.sha256,
    )  # fmt: skip


def test_a_model_reads_as_its_rank_algorithm_for_its_problem_type_and_pipeline(deployed_model):
    ridge = _model(deployed_model, "Prices", "regression", "linear", 3)
    logistic = _model(deployed_model, "Churn", "classification", "linear", 1)
    assert str(ridge) == "#3 Ridge regression of pipeline Prices"
    assert str(logistic) == "#1 Logistic regression of pipeline Churn"
    assert str(deployed_model) == "#1 Random forest of pipeline p"
    assert str(Deployment.objects.get(model=deployed_model)).startswith(
        "#1 Random forest of pipeline p -> realtime"
    )


def _rows(model: TrainedModel, n: int) -> None:
    """One record of each kind the admin lists with its model, for `model` (the `n`th)."""
    owner = model.owner
    deployment = Deployment.objects.create(owner=owner, model=model, target="api")
    PredictionRecord.objects.create(owner=owner, model=model, prediction="Adelie")
    BatchJob.objects.create(owner=owner, model=model, input_file=f"batch/{n}.csv")
    when = datetime(2024, 1, 1, tzinfo=UTC)
    ForecastActual.objects.create(owner=owner, model=model, timestamp=when, value=1.0)
    ForecastState.objects.create(deployment=deployment, updated_through=when)
    ModelReference.objects.create(model=model, source="training")
    Alert.objects.create(
        owner=owner, model=model, kind="drift", subject=f"model-{model.pk}", message="drift"
    )


ADMIN_LISTS = [
    "/admin/modeling/trainedmodel/",
    "/admin/predictions/deployment/",
    "/admin/predictions/predictionrecord/",
    "/admin/predictions/batchjob/",
    "/admin/predictions/forecastactual/",
    "/admin/predictions/forecaststate/",
    "/admin/monitoring/modelreference/",
    "/admin/monitoring/alert/",
]


def _queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200, url
    return len(queries), page.content.decode()


def test_admin_lists_name_models_without_a_query_per_row(admin_client, deployed_model):
    """Each list costs as many queries with three models' rows as with one model's."""
    _rows(deployed_model, 1)
    admin_client.get(ADMIN_LISTS[0])  # fills the content-type cache, as any earlier page would
    alone = {url: _queries(admin_client, url)[0] for url in ADMIN_LISTS}
    for n, name in enumerate(["Prices", "Churn"], start=2):
        _rows(_model(deployed_model, name, "regression", "linear", n), n)
    for url in ADMIN_LISTS:
        count, page = _queries(admin_client, url)
        assert count == alone[url], (url, alone[url], count)
        if url != "/admin/modeling/trainedmodel/":  # there the first column is the model itself
            assert "#3 Ridge regression of pipeline Churn" in page, url


def test_a_models_change_page_lists_its_deployments_without_a_query_each(
    admin_client, deployed_model
):
    url = f"/admin/modeling/trainedmodel/{deployed_model.pk}/change/"
    admin_client.get(url)  # fills the content-type cache, as any earlier admin page would
    alone, page = _queries(admin_client, url)
    assert "#1 Random forest of pipeline p" in page
    for target in ("api", "batch"):  # earlier deployments, taken out of service
        Deployment.objects.create(
            owner=deployed_model.owner, model=deployed_model, target=target, status="inactive"
        )
    assert _queries(admin_client, url)[0] == alone


def _history(model: TrainedModel) -> None:
    """A deployment taken out of service and a finished batch job for `model`: rows a delete of
    the model takes with it, each named after the model."""
    owner = model.owner
    Deployment.objects.create(owner=owner, model=model, target="batch", status="inactive")
    BatchJob.objects.create(
        owner=owner, model=model, input_file=f"batch/{model.pk}.csv", status="completed"
    )


def _in_pipeline(like: TrainedModel, rank: int, deployed: bool = False) -> TrainedModel:
    """A logistic regression of rank `rank` in `like`'s pipeline, with a history to delete;
    `deployed`: also deployed for the API."""
    model = TrainedModel.objects.create(
        owner=like.owner, pipeline=like.pipeline, problem_type="classification",
        algorithm="linear", rank=rank, primary_metric="auc", artifact=like.artifact,
        sha256=like.sha256,
    )  # fmt: skip
    _history(model)
    if deployed:
        Deployment.objects.create(owner=like.owner, model=model, target="api")
    return model


def test_delete_pages_name_what_goes_without_a_query_per_model(admin_client, deployed_model):
    """The delete pages of a model, its pipeline, dataset and owner name every model, deployment
    and batch job that would go; with ten models (and the model's history ten times as long)
    they cost as many queries as with one."""
    Deployment.objects.filter(model=deployed_model).update(status="inactive")  # nothing in use
    first = _in_pipeline(deployed_model, 2)
    urls = [
        f"/admin/modeling/trainedmodel/{first.pk}/delete/",
        f"/admin/pipelines/pipeline/{first.pipeline_id}/delete/",
        f"/admin/datasets/dataset/{first.pipeline.dataset_id}/delete/",
        f"/admin/auth/user/{first.owner_id}/delete/",
    ]
    admin_client.get(urls[0])  # fills the content-type cache, as any earlier page would
    alone = {url: _queries(admin_client, url)[0] for url in urls}
    for rank in range(3, 12):
        last = _in_pipeline(deployed_model, rank)
        _history(first)
    assert str(last) == "#11 Logistic regression of pipeline p"
    for url in urls:
        count, page = _queries(admin_client, url)
        assert count == alone[url], (url, alone[url], count)
        assert "Yes, I’m sure" in page, url  # offered: nothing is in use
        assert page.count(escape(f"{first} -> batch (inactive)")) == 10, url
        assert f"scored by {first} (completed)" in page, url
        if url != urls[0]:
            assert escape(f"{last} -> batch (inactive)") in page, url


def _pipeline_reads(queries: CaptureQueriesContext) -> int:
    """How many of the captured queries read pipelines."""
    return sum('FROM "pipelines_pipeline"' in q["sql"] for q in queries.captured_queries)


def _delete_selected(client, models: list[TrainedModel]) -> tuple[int, str]:
    """The pipeline reads and the page of "delete selected" on `models`, before confirming."""
    selected = {"action": "delete_selected", "_selected_action": [m.pk for m in models]}
    with CaptureQueriesContext(connection) as queries:
        page = client.post("/admin/modeling/trainedmodel/", selected, follow=True)
    assert page.status_code == 200
    return _pipeline_reads(queries), page.content.decode()


def test_delete_selected_names_models_without_reading_a_pipeline_per_model(
    admin_client, deployed_model
):
    """Its confirmation page (models not in use) and its refusal (one message per deployed
    model) read the pipelines as often for ten models as for one. (Each model's in-use check is
    still a query or two of its own.)"""
    admin_client.get("/admin/modeling/trainedmodel/")  # fills the content-type cache
    free, deployed = [_in_pipeline(deployed_model, 2)], [_in_pipeline(deployed_model, 3, True)]
    free_reads, _ = _delete_selected(admin_client, free)
    deployed_reads, _ = _delete_selected(admin_client, deployed)
    free += [_in_pipeline(deployed_model, rank) for rank in range(4, 13)]
    deployed += [_in_pipeline(deployed_model, rank, True) for rank in range(13, 22)]

    reads, page = _delete_selected(admin_client, free)
    assert reads == free_reads, (free_reads, reads)
    assert "Yes, I’m sure" in page
    for model in free:
        assert escape(f"{model} -> batch (inactive)") in page

    reads, page = _delete_selected(admin_client, deployed)
    assert reads == deployed_reads, (deployed_reads, reads)
    for model in deployed:
        assert f"Not deleted. {model}: " in page and f"(model {model.pk}) is deployed" in page
    assert TrainedModel.objects.count() == 1 + len(free) + len(deployed)  # nothing deleted
