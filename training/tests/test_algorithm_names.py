"""A trained model's algorithm is named for its problem type wherever people read it: a "linear"
regression model is "Ridge regression" and a classifier "Logistic regression" (SGD alike) on the
model page, the leaderboard, a blend's members, the job page and the admin lists; the catalogue
shown before training keeps its name for both, and the API keeps its keys."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from conftest import housing_ridge
from modeling.models import ModelConfig, TrainedModel
from modeling.templatetags.modeling_labels import algorithm_label, model_name
from training.models import EpochMetric, TrainingJob

pytestmark = pytest.mark.django_db

OLD_NAMES = ("Linear model (logistic / ridge)", "Linear model (SGD)")


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _job_models(owner, pipeline, problem_type, metric, artifact, sha256, schema):
    """A completed job of `pipeline` with a linear model (#1), an SGD model (#2) and a blend of
    both (#3)."""
    job = TrainingJob.objects.create(
        owner=owner, pipeline=pipeline, status="completed", progress=1.0,
        config={"time_budget_s": 5, "algorithms": ["linear", "sgd"]}, current_algorithm="sgd",
    )  # fmt: skip
    common = {
        "owner": owner, "pipeline": pipeline, "training_job_id": job.pk,
        "problem_type": problem_type, "primary_metric": metric, "primary_value": 0.5,
        "metrics": {"cv_score": 0.5}, "test_metrics": {metric: 0.5}, "artifact": artifact,
        "sha256": sha256, "input_schema": schema,
    }  # fmt: skip
    linear = TrainedModel.objects.create(algorithm="linear", rank=1, **common)
    TrainedModel.objects.create(algorithm="sgd", rank=2, **common)
    blend = TrainedModel.objects.create(
        algorithm="ensemble", rank=3, hyperparameters={"members": [
            {"algorithm": "linear", "hyperparameters": {"alpha": 1.0}, "weight": 0.6},
            {"algorithm": "sgd", "hyperparameters": {}, "weight": 0.4},
        ]}, **common,
    )  # fmt: skip
    EpochMetric.objects.create(job=job, algorithm="sgd", epoch=1, train_loss=0.9, val_loss=1.0)
    return job, linear, blend


@pytest.fixture
def regression(owner):
    pipeline, saved, schema = housing_ridge(owner, "ridge")
    return _job_models(owner, pipeline, "regression", "rmse", saved.name, saved.sha256, schema)


@pytest.fixture
def classification(owner, deployed_model):
    return _job_models(
        owner, deployed_model.pipeline, "classification", "auc", deployed_model.artifact,
        deployed_model.sha256, deployed_model.input_schema,
    )  # fmt: skip


def test_the_name_follows_the_problem_type_and_the_catalogue_keeps_both():
    assert algorithm_label("linear", "regression") == "Ridge regression"
    assert algorithm_label("linear", "classification") == "Logistic regression"
    assert algorithm_label("sgd", "regression") == "Linear regression (SGD)"
    assert algorithm_label("sgd", "classification") == "Logistic regression (SGD)"
    # Without a problem type (the catalogue before training) one name covers both.
    assert algorithm_label("linear") == "Linear model (logistic / ridge)"
    assert algorithm_label("sgd") == "Linear model (SGD)"
    # Algorithms whose name reads right for both keep it.
    assert algorithm_label("random_forest", "regression") == "Random forest"
    assert algorithm_label("svm", "classification") == "Support vector machine"
    assert algorithm_label("linear_lags", "forecasting") == "Ridge on lags"


@pytest.mark.parametrize(
    ("kind", "linear_name", "sgd_name"),
    [
        ("regression", "Ridge regression", "Linear regression (SGD)"),
        ("classification", "Logistic regression", "Logistic regression (SGD)"),
    ],
)
def test_model_page_leaderboard_and_job_page_name_the_algorithm_for_the_problem_type(
    owner, request, kind, linear_name, sgd_name
):
    job, linear, blend = request.getfixturevalue(kind)
    web = _web(owner)
    name = f"#1 {linear_name} of pipeline p"
    assert model_name(linear) == name

    page = web.get(f"/models/{linear.pk}/").content.decode()
    assert f"<h1>{name}</h1>" in page and f"<title>{name} · VUR</title>" in page
    assert f'<li aria-current="page">{linear_name}</li>' in page  # the breadcrumb

    page = web.get(f"/models/{blend.pk}/").content.decode()
    # A table's blend is stored as "ensemble", the forecasting catalogue's "Averaged ensemble".
    assert "Weighted blend of pipeline" in page and "Averaged ensemble" not in page
    members = page[page.index('id="ensemble-members"') :]
    members = members[: members.index("</table>")]
    assert re.findall(r'<td data-label="Member">([^<]*)</td>', members) == [linear_name, sgd_name]

    board = web.get(f"/training/{job.pk}/leaderboard/").content.decode()
    rows = re.findall(r'<td data-label="Algorithm"><a [^>]*>([^<]*)</a></td>', board)
    assert rows[:2] == [linear_name, sgd_name]

    page = web.get(f"/training/{job.pk}/").content.decode()
    names = re.search(r'<script id="algorithm-names"[^>]*>(.*?)</script>', page, re.S)
    assert json.loads(names.group(1))["linear"] == linear_name
    note = re.search(r'<p class="muted" id="loss-empty"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert linear_name in note and "fitted in one pass" in note
    assert f"Last epoch of {sgd_name}" in page

    for url in (f"/models/{linear.pk}/", "/models/", "/deployments/", f"/training/{job.pk}/"):
        text = web.get(url).content.decode()
        assert not any(old in text for old in OLD_NAMES), url


def test_admin_lists_name_algorithms_and_keep_the_key_to_filter_and_search(
    admin_client, regression, classification
):
    page = admin_client.get("/admin/modeling/trainedmodel/").content.decode()
    assert re.search(r'<th scope="col" class="sortable column-algorithm_name', page)
    cells = re.findall(r'<td class="field-algorithm_name">([^<]*)</td>', page)
    assert sorted(set(cells)) == sorted({
        "Ridge regression", "Logistic regression", "Linear regression (SGD)",
        "Logistic regression (SGD)", "Random forest", "Weighted blend",
    })  # fmt: skip
    assert not any(old in page for old in OLD_NAMES)

    for query in ("?algorithm=linear", "?q=linear"):
        page = admin_client.get(f"/admin/modeling/trainedmodel/{query}").content.decode()
        cells = re.findall(r'<td class="field-algorithm_name">([^<]*)</td>', page)
        assert sorted(cells) == ["Logistic regression", "Ridge regression"], query

    page = admin_client.get("/admin/training/epochmetric/").content.decode()
    cells = re.findall(r'<td class="field-algorithm_name">([^<]*)</td>', page)
    assert sorted(cells) == ["Linear regression (SGD)", "Logistic regression (SGD)"]
    page = admin_client.get("/admin/training/epochmetric/?algorithm=sgd").content.decode()
    assert len(re.findall(r'<td class="field-algorithm_name">', page)) == 2

    page = admin_client.get("/admin/training/trainingjob/").content.decode()
    cells = re.findall(r'<td class="field-current_algorithm_name">([^<]*)</td>', page)
    assert sorted(cells) == ["Linear regression (SGD)", "Logistic regression (SGD)"]

    for job, _linear, _blend in (regression, classification):
        ModelConfig.objects.create(owner=job.owner, pipeline=job.pipeline, algorithm="linear")
    page = admin_client.get("/admin/modeling/modelconfig/?algorithm=linear").content.decode()
    cells = re.findall(r'<th class="field-algorithm_name"><a [^>]*>([^<]*)</a></th>', page)
    assert sorted(cells) == ["Logistic regression", "Ridge regression"]


def test_the_api_keeps_algorithm_keys_and_the_catalogue_name(api, regression):
    _job, linear, _blend = regression
    answer = api.get(f"/api/v1/models/{linear.pk}").json()
    assert answer["algorithm"] == "linear"
    catalogue = api.get("/api/v1/models/algorithms?problem_type=regression").json()
    entry = next(a for a in catalogue if a["name"] == "linear")
    assert entry["display_name"] == "Linear model (logistic / ridge)"
    assert "problem_names" not in entry


def test_an_ensemble_is_named_by_what_it_combines():
    from modeling.templatetags.modeling_labels import algorithm_label

    assert algorithm_label("ensemble", "forecasting") == "Averaged ensemble"
    assert algorithm_label("ensemble", "regression") == "Weighted blend"
    assert algorithm_label("ensemble", "classification") == "Weighted blend"
    assert algorithm_label("linear", "classification") == "Logistic regression"
