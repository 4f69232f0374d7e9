"""Monitoring endpoints on a deployed classifier: live metrics from the prediction log and
feedback, drift against the training reference, bad input, ownership."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import sample_path
from monitoring.models import ModelReference
from predictions.models import PredictionRecord, PredictionRollup

pytestmark = pytest.mark.django_db

FRAME = pd.read_csv(sample_path("penguins.csv")).dropna()
FEATURES = [c for c in FRAME.columns if c != "species"]


def _positions(n: int) -> list[int]:
    return [(i * 7) % len(FRAME) for i in range(n)]  # a spread of all three species


def _rows(n: int) -> list[dict]:
    part = FRAME.iloc[_positions(n)]
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in part[FEATURES].to_dict("records")
    ]


def _predict(api, model, rows, proba=True) -> dict:
    res = api.post(
        "/api/v1/predictions/single",
        {"model_id": model.pk, "data": rows, "return_probabilities": proba},
        format="json",
    )
    assert res.status_code == 200, res.content
    return res.json()


def _upload(api, frame: pd.DataFrame, name: str) -> dict:
    buf = io.BytesIO()
    frame.to_csv(buf, index=False)
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile(name, buf.getvalue()), "name": name},
        format="multipart",
    )
    assert res.status_code == 201, res.content
    return res.json()


def test_metrics_count_predictions_errors_latency_and_feedback(api, deployed_model):
    answer = _predict(api, deployed_model, _rows(40))
    ids = answer["prediction_ids"]
    assert len(ids) == 40 and PredictionRecord.objects.filter(pk__in=ids).count() == 40
    bad = api.post(
        "/api/v1/predictions/single",
        {"model_id": deployed_model.pk, "data": {"island": "Biscoe"}},
        format="json",
    )
    assert bad.status_code == 400
    truth = FRAME["species"].iloc[_positions(40)].tolist()
    for pid, actual in zip(ids, truth, strict=True):
        res = api.post(
            "/api/v1/predictions/feedback", {"prediction_id": pid, "actual": actual}, format="json"
        )
        assert res.status_code == 201, res.content
    body = api.get(f"/api/v1/monitoring/models/{deployed_model.pk}/metrics?window=1h").json()
    assert body["model_id"] == deployed_model.pk
    assert body["prediction_count"] == 40 and body["error_count"] == 1
    assert body["error_rate"] == pytest.approx(1 / 41, abs=1e-6)
    lat = body["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"]
    live = body["live_metrics"]
    predicted = answer["predictions"]
    accuracy = sum(p == t for p, t in zip(predicted, truth, strict=True)) / 40
    assert live["n"] == 40 and live["accuracy"] == pytest.approx(accuracy)
    from sklearn.metrics import f1_score, roc_auc_score

    assert live["f1"] == pytest.approx(f1_score(truth, predicted, average="macro"), abs=1e-6)
    classes = sorted(answer["probabilities"][0])
    scores = [[p[c] for c in classes] for p in answer["probabilities"]]
    auc = roc_auc_score(truth, scores, multi_class="ovr", labels=classes)
    assert live["auc"] == pytest.approx(auc, abs=0.02)  # 100-bin histograms
    assert sum(p["count"] for p in body["timeline"]) == 40
    assert all({"timestamp", "count", "metrics"} <= set(p) for p in body["timeline"])


def test_repeated_feedback_replaces_the_earlier_actual(api, deployed_model):
    pid = _predict(api, deployed_model, _rows(1))["prediction_ids"][0]
    for actual in ("Gentoo", "Adelie", "Adelie"):
        api.post("/api/v1/predictions/feedback", {"prediction_id": pid, "actual": actual})
    rollups = PredictionRollup.objects.filter(model=deployed_model)
    assert {r.feedback_count for r in rollups} == {1}
    assert {r.correct_count for r in rollups} == {1}  # the last actual, Adelie, was predicted
    stats = rollups[0].class_stats
    assert stats["Adelie"]["tp"] == 1 and sum(stats["Adelie"]["pos"].values()) == 1
    gentoo = stats["Gentoo"]  # the first actual's counts were taken back out
    assert gentoo["fn"] == 0 and not gentoo["pos"] and sum(gentoo["neg"].values()) == 1


def test_feedback_for_a_missing_prediction_is_a_404_and_writes_nothing(
    api, other_api, deployed_model
):
    missing = api.post(
        "/api/v1/predictions/feedback",
        {"prediction_id": "00000000-0000-4000-8000-000000000000", "actual": "Adelie"},
        format="json",
    )
    assert missing.status_code == 404 and missing.json()["code"] == "prediction_not_found"
    pid = _predict(api, deployed_model, _rows(1))["prediction_ids"][0]
    theirs = other_api.post(
        "/api/v1/predictions/feedback", {"prediction_id": pid, "actual": "Adelie"}, format="json"
    )
    assert theirs.status_code == 404
    assert not PredictionRollup.objects.filter(feedback_count__gt=0).exists()


def test_metrics_window_answers_400_for_a_bad_window_and_404_for_others(
    api, other_api, deployed_model
):
    url = f"/api/v1/monitoring/models/{deployed_model.pk}/metrics"
    for window in ("soon", "0h", "1y", "91d", "-1h"):
        res = api.get(f"{url}?window={window}")
        assert res.status_code == 400 and res.json()["code"] == "bad_window", window
    assert other_api.get(url).status_code == 404
    assert api.get("/api/v1/monitoring/models/999999/metrics").status_code == 404
    empty = api.get(f"{url}?window=30d").json()
    assert empty["prediction_count"] == 0 and empty["error_rate"] is None
    assert empty["latency_ms"] == {"p50": None, "p95": None, "p99": None}
    assert empty["live_metrics"]["accuracy"] is None and len(empty["timeline"]) >= 24


@pytest.mark.parametrize("window", ["1h", "7d"])
def test_metrics_take_a_fixed_number_of_queries(
    api, deployed_model, django_assert_max_num_queries, window
):
    url = f"/api/v1/monitoring/models/{deployed_model.pk}/metrics?window={window}"
    counts = []
    for n in (5, 300):
        ids = _predict(api, deployed_model, _rows(n))["prediction_ids"]
        for pid in ids[:n]:
            api.post("/api/v1/predictions/feedback", {"prediction_id": pid, "actual": "Adelie"})
        with django_assert_max_num_queries(8) as ctx:
            assert api.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_drift_against_a_shifted_dataset_flags_only_the_moved_columns(api, deployed_model):
    shifted = FRAME.copy()
    shifted["bill_length_mm"] = shifted["bill_length_mm"] + 6.0
    shifted["body_mass_g"] = shifted["body_mass_g"] * 1.3
    shifted["island"] = "Dream"
    dataset = _upload(api, shifted, "shifted.csv")
    res = api.post(
        "/api/v1/monitoring/drift-detection",
        {"model_id": deployed_model.pk, "dataset_id": dataset["id"]},
        format="json",
    )
    assert res.status_code == 200, res.content
    body = res.json()
    verdict = {f["feature"]: f["drift"] for f in body["features"]}
    moved = {"bill_length_mm", "body_mass_g", "island"}
    assert {k for k, v in verdict.items() if v} == moved
    assert body["drift_detected"] is True and 0 < body["overall_score"] < 1
    methods = {f["feature"]: f["method"] for f in body["features"]}
    assert methods["island"] == "chi2" and methods["bill_length_mm"] == "ks"
    assert body["current"]["source"] == "dataset"
    ref = ModelReference.objects.get(model=deployed_model)
    assert ref.source == "dataset"  # built on first use: the fixture model has no stored one
    same = _upload(api, FRAME, "same.csv")
    unshifted = api.post(
        "/api/v1/monitoring/drift-detection",
        {"model_id": deployed_model.pk, "dataset_id": same["id"]},
        format="json",
    ).json()
    assert unshifted["drift_detected"] is False


def test_drift_on_recent_predictions(api, deployed_model):
    rows = _rows(200)
    for row in rows:
        row["flipper_length_mm"] = row["flipper_length_mm"] + 25
    _predict(api, deployed_model, rows)
    res = api.post(
        "/api/v1/monitoring/drift-detection",
        {"model_id": deployed_model.pk, "window": "1h"},
        format="json",
    )
    assert res.status_code == 200, res.content
    body = res.json()
    flagged = {f["feature"] for f in body["features"] if f["drift"]}
    assert "flipper_length_mm" in flagged
    assert "bill_depth_mm" not in flagged and "sex" not in flagged
    assert body["current"]["rows"] == 200 and "prediction_drift" in body


def test_drift_bad_input(api, other_api, deployed_model):
    url = "/api/v1/monitoring/drift-detection"
    partial = _upload(api, FRAME[["species", "island", "sex"]], "partial.csv")
    res = api.post(url, {"model_id": deployed_model.pk, "dataset_id": partial["id"]})
    assert res.status_code == 400 and res.json()["code"] == "missing_columns"
    assert "bill_length_mm" in res.json()["detail"]
    theirs = _upload(other_api, FRAME, "theirs.csv")
    res = api.post(url, {"model_id": deployed_model.pk, "dataset_id": theirs["id"]})
    assert res.status_code == 404
    assert other_api.post(url, {"model_id": deployed_model.pk}).status_code == 404
    both = api.post(
        url, {"model_id": deployed_model.pk, "dataset_id": partial["id"], "window": "1h"}
    )
    assert both.status_code == 400
    assert api.post(url, {"model_id": deployed_model.pk, "window": "forever"}).status_code == 400
    assert api.post(url, {}).status_code == 400
    empty = api.post(url, {"model_id": deployed_model.pk, "window": "1h"}).json()
    assert empty["drift_detected"] is False and empty["current"]["rows"] == 0
    assert empty["features_compared"] == 0


def test_drift_on_too_few_recent_predictions_says_so_instead_of_stable(api, deployed_model):
    rows = _rows(5)
    for row in rows:
        row["flipper_length_mm"] = row["flipper_length_mm"] + 100  # far off, but only five
    _predict(api, deployed_model, rows)
    res = api.post(
        "/api/v1/monitoring/drift-detection",
        {"model_id": deployed_model.pk, "window": "1h"},
        format="json",
    )
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["drift_detected"] is False and body["overall_score"] == 0.0
    assert body["features_compared"] == 0 and body["min_samples"] == 30
    flipper = next(f for f in body["features"] if f["feature"] == "flipper_length_mm")
    assert flipper["status"] == "insufficient_data" and flipper["n"] == 5
    assert flipper["drift"] is False
    assert "not enough recent values: 5 of 30 needed" in flipper["note"]
    # the contract's fields are all still there
    assert {"feature", "method", "statistic", "p_value", "drift"} <= flipper.keys()


@pytest.mark.parametrize(
    ("proba", "actuals", "note"),
    [
        (True, ["Adelie"] * 6, "at least two classes: every actual so far is Adelie."),
        (False, ["Adelie", "Gentoo"] * 3, "made without them (ask with return_probabilities)"),
        (True, ["Adelie", "Gentoo"] * 3, None),
    ],
)
def test_live_auc_says_why_it_is_unknown(api, deployed_model, proba, actuals, note):
    # AUC ranks one class's rows above the others': one class's actuals, or predictions logged
    # without probabilities, leave it unknown, and the answer says which.
    ids = _predict(api, deployed_model, _rows(len(actuals)), proba=proba)["prediction_ids"]
    for pid, actual in zip(ids, actuals, strict=True):
        res = api.post(
            "/api/v1/predictions/feedback", {"prediction_id": pid, "actual": actual}, format="json"
        )
        assert res.status_code == 201, res.content
    body = api.get(f"/api/v1/monitoring/models/{deployed_model.pk}/metrics?window=1h").json()
    assert body["live_metrics"]["n"] == len(actuals)
    if note is None:
        assert body["live_metrics"]["auc"] is not None and body["live_notes"] == {}
    else:
        assert body["live_metrics"]["auc"] is None
        assert note in body["live_notes"]["auc"]


def test_live_auc_counts_only_the_actuals_of_predictions_with_probabilities(api, deployed_model):
    """Actuals of two classes, but one class's only on predictions made without probabilities:
    the note said "every actual so far is Adelie" when two were Gentoo."""
    with_p = _predict(api, deployed_model, _rows(3), proba=True)["prediction_ids"]
    without = _predict(api, deployed_model, _rows(2), proba=False)["prediction_ids"]
    for pid, actual in [*((p, "Adelie") for p in with_p), *((p, "Gentoo") for p in without)]:
        res = api.post(
            "/api/v1/predictions/feedback", {"prediction_id": pid, "actual": actual}, format="json"
        )
        assert res.status_code == 201, res.content
    body = api.get(f"/api/v1/monitoring/models/{deployed_model.pk}/metrics?window=1h").json()
    assert body["live_metrics"]["n"] == 5 and body["live_metrics"]["auc"] is None
    assert body["live_notes"]["auc"] == (
        "AUC needs feedback with actuals of at least two classes: the 3 of 5 predictions with "
        "feedback that were made with probabilities all have the actual Adelie (ask with "
        "return_probabilities)."
    )


def test_feedback_that_is_none_of_the_models_classes_is_a_400_and_changes_nothing(
    api, deployed_model
):
    """'Emperor', an empty text or 1 were taken as the actual of a penguin prediction and
    counted as misses of a class no prediction can be: live accuracy and F1 fell for a typo."""
    deployed_model.classes = sorted(FRAME["species"].unique())
    deployed_model.save(update_fields=["classes"])
    pid = _predict(api, deployed_model, _rows(1))["prediction_ids"][0]
    for actual in ("Emperor", "", 1, True):
        res = api.post(
            "/api/v1/predictions/feedback", {"prediction_id": pid, "actual": actual}, format="json"
        )
        assert res.status_code == 400, (actual, res.content)
        shown = '""' if actual == "" else ("true" if actual is True else str(actual))
        if actual == "Emperor":
            shown = '"Emperor"'
        assert res.json() == {
            "detail": f"actual {shown} is not one of the classes the model was trained on "
            '("Adelie", "Chinstrap", "Gentoo"); nothing was recorded.',
            "code": "unknown_class",
        }
    assert PredictionRecord.objects.get(pk=pid).feedback_at is None
    assert not PredictionRollup.objects.filter(feedback_count__gt=0).exists()
    # Another spelling of a class is that class.
    res = api.post(
        "/api/v1/predictions/feedback", {"prediction_id": pid, "actual": " adelie"}, format="json"
    )
    assert res.status_code == 201 and res.json()["actual"] == "Adelie"


def test_live_f1_of_a_binary_model_is_its_positive_class_f1_as_on_the_model_page(api, owner):
    """The model page's hold-out F1 of a binary model is the F1 of its positive class (the last);
    the monitoring page's live F1 was the macro mean over both classes, a different figure
    under the same name (0.75 live beside 0.61 on hold-out for the same kind of rows)."""
    from conftest import pipeline_on_sample
    from modeling.artifacts import artifact_save
    from modeling.metrics import classification_metrics
    from modeling.models import TrainedModel
    from predictions.models import Deployment
    from training.builder import build_pipeline

    pipeline = pipeline_on_sample(owner, "credit_scoring.csv", "Status", "classification")
    frame = pd.read_csv(sample_path("credit_scoring.csv"))
    features = [c for c in frame.columns if c != "Status"]
    schema = [c for c in pipeline.dataset.columns_info if c["name"] in features]
    fitted = build_pipeline(
        df_schema=schema, target="Status", problem_type="classification",
        algorithm="random_forest", hyperparameters={"n_estimators": 10, "max_depth": 3},
    ).fit(frame[features], frame["Status"])  # fmt: skip
    saved = artifact_save(fitted, f"{owner.pk}/fixture/binary")
    model = TrainedModel.objects.create(
        owner=owner, pipeline=pipeline, problem_type="classification", algorithm="random_forest",
        primary_metric="auc", artifact=saved.name, sha256=saved.sha256, classes=["bad", "good"],
        input_schema={"columns": [{**c, "required": True} for c in schema]},
    )  # fmt: skip
    Deployment.objects.create(owner=owner, model=model, target="realtime")
    part = frame.iloc[[(i * 37) % len(frame) for i in range(60)]]
    rows = [
        {k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for k, v in r.items()}
        for r in part[features].to_dict("records")
    ]
    answer = _predict(api, model, rows)
    truth = part["Status"].tolist()
    for pid, actual in zip(answer["prediction_ids"], truth, strict=True):
        res = api.post(
            "/api/v1/predictions/feedback", {"prediction_id": pid, "actual": actual}, format="json"
        )
        assert res.status_code == 201, res.content
    expected = classification_metrics(truth, answer["predictions"], classes=["bad", "good"])
    body = api.get(f"/api/v1/monitoring/models/{model.pk}/metrics?window=1h").json()
    live = body["live_metrics"]
    assert live["n"] == 60
    assert live["accuracy"] == pytest.approx(expected["accuracy"])
    assert live["f1"] == pytest.approx(expected["f1"], abs=1e-6)
    assert [p["metrics"]["f1"] for p in body["timeline"] if p["metrics"]["n"]] == [live["f1"]]
