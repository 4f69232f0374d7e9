"""Pages name things for people: the leaderboard says which score ranks the models and which is
the hold-out one, algorithms carry the catalogue's display names, a blend's members are a table
and deployment targets are in words."""

from __future__ import annotations

import pytest
from django.test import Client

from training.models import TrainingJob

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ranked(deployed_model, owner):
    """Two models of one job where rank follows validation AUC, not hold-out AUC."""
    from modeling.models import TrainedModel

    job = TrainingJob.objects.create(owner=owner, pipeline=deployed_model.pipeline, config={})
    deployed_model.training_job_id = job.pk
    deployed_model.algorithm = "hist_gradient_boosting"
    deployed_model.metrics = {"cv_score": 0.9612, "auc": 0.9011}
    deployed_model.primary_value = 0.9011
    deployed_model.rank = 1
    deployed_model.save()
    second = TrainedModel.objects.create(
        owner=owner, pipeline=deployed_model.pipeline, training_job_id=job.pk,
        problem_type="classification", algorithm="ensemble", primary_metric="auc",
        primary_value=0.9544, rank=2, metrics={"cv_score": 0.9433, "auc": 0.9544},
        test_metrics={"auc": 0.9544},
        hyperparameters={"members": [
            {"algorithm": "random_forest", "hyperparameters": {"n_estimators": 200}, "weight": 0.7},
            {"algorithm": "linear", "hyperparameters": {}, "weight": 0.3},
        ]},
        artifact=deployed_model.artifact, sha256=deployed_model.sha256,
    )  # fmt: skip
    return job, deployed_model, second


def test_leaderboard_shows_the_ranking_score_and_the_hold_out_score_labelled(owner, ranked):
    job, first, _second = ranked
    html = _client(owner).get(f"/training/{job.pk}/leaderboard/").content.decode()
    assert "Validation AUC (ranks; higher is better)" in html
    assert "Hold-out AUC" in html
    assert "0.9612" in html and "0.9433" in html and "0.9544" in html
    assert html.index("0.9612") < html.index("0.9433")
    assert "Histogram gradient boosting" in html and "hist_gradient_boosting" not in html
    assert 'id="leaderboard-explain"' in html


@pytest.mark.parametrize("hedged", [True, False])
def test_a_forecast_leaderboard_says_why_an_ensemble_with_arima_outranks_the_winner(
    owner, deployed_model, hedged
):
    from modeling.models import TrainedModel

    job = TrainingJob.objects.create(owner=owner, pipeline=deployed_model.pipeline, config={})
    # The pair's backtest MASE trails the winner's when hedged; otherwise it is simply best.
    scores = {"ensemble": 0.82 if hedged else 0.70, "ets": 0.77, "arima": 0.85}
    for rank, (name, mase) in enumerate(scores.items(), start=1):
        TrainedModel.objects.create(
            owner=owner, pipeline=deployed_model.pipeline, training_job_id=job.pk,
            problem_type="forecasting", algorithm=name, primary_metric="mase",
            primary_value=mase, rank=rank, metrics={"mase": mase},
            artifact=deployed_model.artifact, sha256=deployed_model.sha256,
        )  # fmt: skip
    html = _client(owner).get(f"/training/{job.pk}/leaderboard/").content.decode()
    assert "Ranked by the backtest MASE" in html
    assert ("averages the backtest winner with ARIMA" in html) is hedged


def test_model_list_labels_validation_and_hold_out_scores(owner, ranked):
    html = _client(owner).get("/models/").content.decode()
    assert "Validation score (ranks)" in html and "Hold-out score" in html
    assert "AUC 0.9612" in html and "AUC 0.9011" in html
    assert "higher is better" in html
    assert "Histogram gradient boosting" in html


def test_model_page_names_scores_and_shows_blend_members_as_a_table(owner, ranked):
    _job, first, second = ranked
    web = _client(owner)
    html = web.get(f"/models/{second.pk}/").content.decode()
    assert 'id="ensemble-members"' in html
    assert "Random forest" in html and "0.700" in html and "0.300" in html
    assert "{&#x27;members&#x27;" not in html and "{'members'" not in html
    html = web.get(f"/models/{first.pk}/").content.decode()
    assert "Validation AUC (ranks the models; higher is better)" in html
    # The heading and the title name the model alike, with its pipeline (ranks repeat).
    name = f"#1 Histogram gradient boosting of pipeline {first.pipeline.name}"
    assert f"<h1>{name}</h1>" in html and f"<title>{name} · VUR</title>" in html
    html = web.get(f"/models/{second.pk}/").content.decode()
    assert "Number of trees" in html and "<span>n_estimators</span>" not in html


def test_deployment_targets_are_named_in_words(owner, deployed_model):
    web = _client(owner)
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    assert "Realtime stream" in html
    assert ">Realtime<" not in html
    assert "Realtime stream" in web.get("/deployments/").content.decode()


def test_predict_form_says_when_a_category_was_not_seen_in_training(owner, deployed_model):
    from predictions.pages import form_fields

    fields = {f["name"]: f for f in form_fields(deployed_model)}
    web = _client(owner)
    body = {f["key"]: f["initial"] for f in fields.values()}
    answer = web.post(f"/models/{deployed_model.pk}/predict/", body).content.decode()
    assert 'id="predict-answer"' in answer and "was not seen in training" not in answer
    body[fields["island"]["key"]] = "zzz"
    answer = web.post(f"/models/{deployed_model.pk}/predict/", body).content.decode()
    assert 'id="predict-answer"' in answer
    assert "'zzz' was not seen in training for island" in answer
    assert "treats it as unknown" in answer


def test_api_schema_says_what_rank_and_primary_value_mean(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out))
    text = " ".join(out.read_text().split())  # YAML folds long descriptions
    assert "ordered by the validation score" in text
    assert "a lower-ranked model may score better here" in text


def test_a_depth_of_zero_reads_no_limit_on_the_model_page(owner, ranked):
    """0 is how the catalogue stores "no depth limit"; a reader must not see a depth of 0."""
    _job, first, second = ranked
    first.hyperparameters = {"max_depth": 0, "max_leaf_nodes": 31}
    first.save()
    second.hyperparameters = {
        "members": [{"algorithm": "random_forest", "hyperparameters": {"max_depth": 0}}]
    }
    second.save()
    web = _client(owner)
    for model in (first, second):
        html = web.get(f"/models/{model.pk}/").content.decode()
        assert 'Maximum depth</span> <code class="wrap">no limit</code>' in html
        assert 'Maximum depth</span> <code class="wrap">0</code>' not in html
    html = web.get(f"/models/{first.pk}/").content.decode()
    assert '<code class="wrap">31</code>' in html  # other zeros and numbers stay as they are


def test_the_model_page_says_what_a_zero_means_in_the_catalogues_words(owner, ranked):
    """Every hyperparameter of the catalogue (tabular and forecasting) whose 0 stands for a rule
    reads on the model page as the catalogue words it, the words the job logs print next to it."""
    from modeling.catalog import ALGORITHMS
    from modeling.templatetags.modeling_labels import param_label

    zero_means = [
        (spec.name, p.name, p.zero_means)
        for spec in ALGORITHMS.values()
        for p in spec.hyperparameters
        if p.zero_means
    ]
    names = {name for _algorithm, name, _words in zero_means}
    assert {"max_depth", "season_length", "max_lag"} <= names
    _job, first, _second = ranked
    first.hyperparameters = dict.fromkeys(names, 0)
    first.save()
    html = _client(owner).get(f"/models/{first.pk}/").content.decode()
    for algorithm, name, words in zero_means:
        shown = f'{param_label(name)}</span> <code class="wrap">{words}</code>'
        assert shown in html, (algorithm, name, words)
