"""A blend compiled for serving runs each distinct fitted preprocessing once and answers exactly
like the blend; registration records the serving path on the model card and serving follows it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.core.files import File
from sklearn.pipeline import Pipeline

from conftest import sample_path
from datasets.services import dataset_upload
from modeling import serving
from modeling.artifacts import artifact_save
from modeling.models import TrainedModel
from pipelines.services import pipeline_create, pipeline_set_status
from predictions import served, services
from training.builder import WeightedEnsemble, build_pipeline, infer_schema
from training.services import _serving_check


def _table(n: int, seed: int, problem: str = "classification") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "colour": rng.choice(np.array(["red", "green", "blue", None], dtype=object), n),
        }
    )
    score = df["x"] + 0.5 * df["z"].fillna(0) + (df["colour"] == "red") + rng.normal(0, 0.7, n)
    if problem == "regression":
        df["label"] = score * 10
    else:
        df["label"] = np.select([score < -0.5, score < 0.8], ["low", "mid"], "high")
    return df


def _member(df: pd.DataFrame, algorithm: str, problem: str):
    return build_pipeline(
        df_schema=infer_schema(df.drop(columns="label")), target="label", problem_type=problem,
        algorithm=algorithm, hyperparameters={},
    ).fit(df.drop(columns="label"), df["label"])  # fmt: skip


def _blend(members: list, problem: str, weights=None) -> Pipeline:
    model = WeightedEnsemble.from_fitted(members, weights or [1.0] * len(members), problem)
    return Pipeline(
        [("preprocess", "passthrough"), ("features", "passthrough"), ("model", model)]
    ).set_output(transform="pandas")


def _assert_same_answers(original, compiled, rows: pd.DataFrame, problem: str) -> None:
    if problem == "classification":
        np.testing.assert_allclose(
            compiled.predict_proba(rows), original.predict_proba(rows), rtol=0, atol=1e-12
        )
        assert list(compiled.predict(rows)) == list(original.predict(rows))
        labels, proba = services._labels_and_proba(compiled, rows)
        assert list(labels) == list(original.predict(rows))
    else:
        np.testing.assert_allclose(compiled.predict(rows), original.predict(rows), rtol=1e-12)


@pytest.mark.parametrize("problem", ["classification", "regression"])
def test_members_with_one_fitted_preprocessing_share_one_pass(problem):
    df = _table(300, 0, problem)
    algorithms = ["linear", "random_forest", "extra_trees"]
    blend = _blend([_member(df, a, problem) for a in algorithms], problem, [3.0, 2.0, 1.0])
    rows = _table(120, 1, problem).drop(columns="label")
    compiled = serving.compile_for_serving(blend, rows, onnx="off")
    assert compiled.path == serving.SHARED
    assert [len(g.members) for g in compiled.model.groups] == [3]
    _assert_same_answers(blend, compiled.model, rows, problem)
    assert "3 members, 1 preprocessing pass" in compiled.detail


@pytest.mark.parametrize("problem", ["classification", "regression"])
def test_checked_blend_runs_its_members_in_onnx_runtime_with_the_same_answers(problem):
    df = _table(300, 0, problem)
    algorithms = ["linear", "random_forest", "extra_trees"]
    blend = _blend([_member(df, a, problem) for a in algorithms], problem, [3.0, 2.0, 1.0])
    check = _table(200, 1, problem).drop(columns="label")
    compiled = serving.compile_for_serving(blend, check)
    assert compiled.path == serving.ONNX_SHARED, compiled.detail
    finals = [est for g in compiled.model.groups for est, _ in g.members]
    assert all(isinstance(f, serving.OnnxEstimator) for f in finals)
    rows = _table(150, 7, problem).drop(columns="label")  # rows the check never saw
    if problem == "classification":
        np.testing.assert_allclose(compiled.model.predict_proba(rows), blend.predict_proba(rows),
                                   rtol=0, atol=serving.PROBA_TOLERANCE)  # fmt: skip
        assert list(compiled.model.predict(rows)) == list(blend.predict(rows))
    else:
        np.testing.assert_allclose(compiled.model.predict(rows), blend.predict(rows), rtol=1e-5)
    # A card that recorded the check rebuilds the same form without rows.
    again = serving.compile_for_serving(blend, onnx="trusted")
    assert again.path == serving.ONNX_SHARED
    np.testing.assert_array_equal(again.model.predict(rows), compiled.model.predict(rows))


def test_a_forest_runs_in_onnx_runtime_only_after_a_check():
    df = _table(300, 0)
    forest = _member(df, "random_forest", "classification")
    assert serving.compile_for_serving(forest).model is forest  # no rows, no card: as trained
    compiled = serving.compile_for_serving(forest, _table(200, 1).drop(columns="label"))
    assert compiled.path == serving.ONNX and isinstance(compiled.model, serving.OnnxPipeline)
    rows = _table(200, 9).drop(columns="label")
    np.testing.assert_allclose(compiled.model.predict_proba(rows), forest.predict_proba(rows),
                               rtol=0, atol=serving.PROBA_TOLERANCE)  # fmt: skip
    labels, _ = services._labels_and_proba(compiled.model, rows)
    assert list(labels) == list(forest.predict(rows))


def test_an_estimator_without_a_converter_is_served_by_scikit_learn():
    df = _table(200, 0)
    knn = _member(df, "knn", "classification")
    compiled = serving.compile_for_serving(knn, _table(50, 1).drop(columns="label"))
    assert compiled.path == serving.SKLEARN and compiled.model.final is knn[-1]
    assert compiled.preprocess == serving.NUMPY_PREPROCESS  # its preprocessing is still compiled
    rows = _table(60, 7).drop(columns="label")
    _assert_same_answers(knn, compiled.model, rows, "classification")
    off = serving.compile_for_serving(knn, _table(50, 1).drop(columns="label"), program="off")
    assert off.path == serving.SKLEARN and off.model is knn


def test_members_fitted_on_other_rows_keep_their_own_preprocessing():
    df = _table(300, 0)
    other = _table(300, 5)
    members = [_member(df, "linear", "classification"), _member(df, "random_forest",
               "classification"), _member(other, "extra_trees", "classification")]  # fmt: skip
    blend = _blend(members, "classification")
    rows = _table(90, 2).drop(columns="label")
    compiled = serving.compile_for_serving(blend, rows, onnx="off")
    assert compiled.path == serving.SHARED
    assert sorted(len(g.members) for g in compiled.model.groups) == [1, 2]
    _assert_same_answers(blend, compiled.model, rows, "classification")


def test_no_shared_preprocessing_or_a_single_model_is_served_as_trained():
    df = _table(200, 0)
    single = _member(df, "random_forest", "classification")
    assert serving.compile_for_serving(single).model is single
    blend = _blend(
        [_member(df, "linear", "classification"), _member(_table(200, 3), "random_forest",
         "classification")], "classification",
    )  # fmt: skip
    rows = _table(30, 4).drop(columns="label")
    compiled = serving.compile_for_serving(blend, rows, onnx="off", program="off")
    assert compiled.path == serving.SKLEARN and compiled.model is blend


def test_answers_match_names_a_difference():
    df = _table(200, 0)
    a, b = _member(df, "linear", "classification"), _member(df, "random_forest", "classification")
    rows = _table(60, 1).drop(columns="label")
    assert serving.answers_match(a, a, rows, True) == ""
    assert serving.answers_match(a, b, rows, True) in ("probabilities differ", "labels differ")


@pytest.mark.django_db
def test_registration_records_the_serving_path_and_serving_follows_it(owner):
    with open(sample_path("penguins.csv"), "rb") as fh:
        dataset = dataset_upload(owner=owner, upload=File(fh, name="penguins.csv"), name="p")
    pipeline = pipeline_create(owner=owner, dataset=dataset, name="p", target_column="species",
                               problem_type="classification")  # fmt: skip
    for status in ("training", "trained"):  # a model exists once trained
        pipeline_set_status(pipeline=pipeline, status=status)
    frame = pd.read_csv(sample_path("penguins.csv"))
    schema = [c for c in dataset.columns_info if c["name"] != "species"]
    features = [c["name"] for c in schema]

    def member(algorithm):
        return build_pipeline(
            df_schema=schema, target="species", problem_type="classification",
            algorithm=algorithm, hyperparameters={},
        ).fit(frame[features], frame["species"])  # fmt: skip

    blend = _blend([member("linear"), member("random_forest")], "classification")
    card = _serving_check(blend, pipeline, features, {})
    assert card["path"] == serving.ONNX_SHARED and card["checked_rows"] > 0, card
    assert _serving_check(member("linear"), pipeline, features, {})["path"] == "onnx"
    assert _serving_check(member("knn"), pipeline, features, {})["path"] == "sklearn"

    saved = artifact_save(blend, f"{owner.pk}/serving/blend")
    model = TrainedModel.objects.create(
        owner=owner, pipeline=pipeline, problem_type="classification", algorithm="ensemble",
        primary_metric="auc", artifact=saved.name, sha256=saved.sha256, card={"serving": card},
        input_schema={"columns": [{**c, "required": False} for c in schema]},
    )  # fmt: skip
    services.deployment_create(owner=owner, model=model, target="api")
    row = {"island": "Biscoe", "bill_length_mm": 48.0, "sex": "male"}
    answer = services.predict_rows(user=owner, model_id=model.pk, data=row,
                                   return_probabilities=True)  # fmt: skip
    entry = served.served_get(user=owner, model_id=model.pk)
    assert entry.compiled.path == serving.ONNX_SHARED
    want = blend.predict_proba(services.prepare_rows(model, row))[0]
    got = [answer["probabilities"][0][str(c)] for c in blend.classes_]
    np.testing.assert_allclose(got, want, atol=1e-6)
    # A card whose check refused the shared pass is served as trained.
    TrainedModel.objects.filter(pk=model.pk).update(card={"serving": {"path": "sklearn"}})
    served.serving_changed(model.pk)
    services.predict_rows(user=owner, model_id=model.pk, data=row)
    assert served.served_get(user=owner, model_id=model.pk).compiled.path == serving.SKLEARN
