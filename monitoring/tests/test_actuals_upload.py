"""The monitoring page's "Record actuals" card: a file of actuals for one model is checked row by
row and recorded all at once (or not at all), and the live metrics count it afterwards. A refused
file is answered as the other page forms answer htmx (200, the card's message naming the bad
rows); posted without htmx, the whole page shows the message with the refusal's 4xx status."""

from __future__ import annotations

import io
import uuid

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import deployed_regressor, pipeline_on_sample, sample_path
from modeling.artifacts import artifact_save
from modeling.models import TrainedModel
from modeling.templatetags.modeling_labels import model_name
from predictions.models import Deployment, ForecastActual, PredictionRecord, PredictionRollup
from predictions.services import predict_rows

pytestmark = pytest.mark.django_db

PENGUINS = pd.read_csv(sample_path("penguins.csv")).dropna()
SPECIES = ["Adelie", "Chinstrap", "Gentoo"]


def _web(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def _post(
    client: Client, model, content: bytes | str, name: str = "actuals.csv", htmx: bool = True
):
    body = content.encode() if isinstance(content, str) else content
    return client.post(
        f"/monitoring/models/{model.pk}/actuals/",
        {"file": SimpleUploadedFile(name, body)},
        headers={"HX-Request": "true"} if htmx else {},
    )


def _refused(res) -> str:
    """The card's refusal as htmx gets it (200, its message, no reload of the live metrics)."""
    assert res.status_code == 200, res.content
    html = res.content.decode()
    assert 'id="actuals-error"' in html and "HX-Trigger" not in res
    assert 'id="actuals-recorded"' not in html
    return html


def _csv(header: str, rows: list) -> str:
    return "\n".join([header, *(",".join(map(str, r)) for r in rows)]) + "\n"


def _penguin_rows(n: int) -> tuple[list[dict], list[str]]:
    part = PENGUINS.iloc[[(i * 7) % len(PENGUINS) for i in range(n)]]  # all three species
    features = [c for c in PENGUINS.columns if c != "species"]
    rows = [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
        for r in part[features].to_dict("records")
    ]
    return rows, part["species"].tolist()


def _live(api, model) -> dict:
    res = api.get(f"/api/v1/monitoring/models/{model.pk}/metrics?window=1h")
    assert res.status_code == 200, res.content
    return res.json()


def _nothing_recorded(model) -> None:
    assert not PredictionRecord.objects.filter(model=model, feedback_at__isnull=False).exists()
    assert not PredictionRollup.objects.filter(model=model, feedback_count__gt=0).exists()


@pytest.fixture
def penguins(owner, deployed_model) -> TrainedModel:
    deployed_model.classes = SPECIES
    deployed_model.save(update_fields=["classes"])
    return deployed_model


def test_a_classifier_file_records_every_actual_as_the_models_label_and_live_metrics_count_it(
    owner, api, penguins
):
    rows, truth = _penguin_rows(6)
    answer = predict_rows(user=owner, model=penguins, data=rows, return_probabilities=True)
    ids = answer["prediction_ids"]
    # Another spelling of a class is that class (" adelie" is Adelie), as the API reads it.
    written = [f" {t.lower()}" if i == 0 else t for i, t in enumerate(truth)]
    res = _post(_web(owner), penguins, _csv("prediction_id,actual", zip(ids, written, strict=True)))
    assert res.status_code == 200, res.content
    html = res.content.decode()
    assert 'id="actuals-recorded"' in html and "Recorded 6 actuals." in html
    assert res["HX-Trigger"] == "actuals-recorded"
    stored = dict(PredictionRecord.objects.filter(pk__in=ids).values_list("pk", "actual"))
    assert [stored[uuid.UUID(i)] for i in ids] == truth
    live = _live(api, penguins)["live_metrics"]
    said = answer["predictions"]
    assert live["n"] == 6
    assert live["accuracy"] == pytest.approx(
        np.mean([a == b for a, b in zip(said, truth, strict=True)])
    )
    # Sending the file again replaces the actuals: still 6 measured, not 12.
    res = _post(_web(owner), penguins, _csv("prediction_id,actual", zip(ids, truth, strict=True)))
    assert res.status_code == 200 and _live(api, penguins)["live_metrics"]["n"] == 6


def test_one_bad_row_records_nothing_and_the_answer_names_the_rows(owner, api, penguins):
    rows, truth = _penguin_rows(5)
    ids = predict_rows(user=owner, model=penguins, data=rows)["prediction_ids"]
    lines = list(zip(ids, truth, strict=True))
    lines[2] = (ids[2], "Emperor")  # row 4 of the file: no such class
    lines.append(("not-an-id", "Adelie"))  # row 7
    lines.append((ids[0], "Adelie"))  # row 8: the id of row 2 again
    html = _refused(_post(_web(owner), penguins, _csv("prediction_id,actual", lines)))
    assert "Nothing was recorded: 3 rows have problems." in html
    assert "Row 4: actual &quot;Emperor&quot; is not one of the classes" in html
    assert html.count("nothing was recorded") == 0
    assert "row 7: no prediction of yours has the id &#x27;not-an-id&#x27;" in html
    assert f"row 8: prediction {ids[0]} is already on row 2" in html
    _nothing_recorded(penguins)
    # An empty actual is named too; the other rows are still not recorded.
    res = _post(_web(owner), penguins, _csv("prediction_id,actual", [(ids[0], ""), *lines[1:2]]))
    assert "Row 2: actual is empty." in _refused(res)
    _nothing_recorded(penguins)


def test_without_htmx_the_whole_page_shows_the_refusal_or_the_count_in_the_card(owner, penguins):
    rows, truth = _penguin_rows(2)
    ids = predict_rows(user=owner, model=penguins, data=rows)["prediction_ids"]
    card = '<div id="actuals-result" aria-live="polite"><p class="notice'
    bad = _post(
        _web(owner), penguins, _csv("prediction_id,actual", [(ids[0], "Emperor")]), htmx=False
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert '<h2 id="actuals-heading">Record actuals</h2>' in html and 'id="live-metrics"' in html
    assert f"{card} error" in html
    assert "Row 2: actual &quot;Emperor&quot; is not one of the classes" in html
    _nothing_recorded(penguins)
    no_file = _web(owner).post(f"/monitoring/models/{penguins.pk}/actuals/", {})
    assert no_file.status_code == 400
    assert f"{card} error" in no_file.content.decode()
    assert "Choose a file of actuals" in no_file.content.decode()

    good = _post(
        _web(owner),
        penguins,
        _csv("prediction_id,actual", zip(ids, truth, strict=True)),
        htmx=False,
    )
    assert good.status_code == 200 and "HX-Trigger" not in good
    html = good.content.decode()
    assert '<h2 id="actuals-heading">Record actuals</h2>' in html
    assert f"{card} success" in html and "Recorded 2 actuals." in html
    # The page's window form shows the model's page again, not this answer's address.
    assert f'id="window-form" method="get" action="/monitoring/models/{penguins.pk}/"' in html
    assert PredictionRecord.objects.filter(model=penguins, feedback_at__isnull=False).count() == 2


def test_more_than_five_bad_rows_are_counted_not_all_listed(owner, penguins):
    ids = [str(uuid.uuid4()) for _ in range(8)]
    res = _post(_web(owner), penguins, _csv("prediction_id,actual", [(i, "Adelie") for i in ids]))
    html = _refused(res)
    assert "8 rows have problems" in html and "row 6:" in html and "row 7:" not in html
    assert "and 3 more rows." in html


def test_ids_of_another_user_or_another_model_are_refused_and_nothing_is_recorded(
    owner, other_user, penguins
):
    other_model = deployed_regressor(other_user)
    theirs = predict_rows(user=other_user, model=other_model, data=_sacramento_rows(1)[0])
    mine = deployed_regressor(owner)
    of_my_other_model = predict_rows(user=owner, model=mine, data=_sacramento_rows(1)[0])
    rows, truth = _penguin_rows(1)
    good = predict_rows(user=owner, model=penguins, data=rows)["prediction_ids"][0]
    lines = [
        (good, truth[0]),
        (theirs["prediction_ids"][0], "Adelie"),
        (of_my_other_model["prediction_ids"][0], "Adelie"),
    ]
    html = _refused(_post(_web(owner), penguins, _csv("prediction_id,actual", lines)))
    # Another user's prediction is unknown here, as on the API (not "someone else's").
    assert f"Row 3: no prediction of yours has the id &#x27;{lines[1][0]}&#x27;" in html
    assert f"row 4: prediction {lines[2][0]} was made by another model ({model_name(mine)})" in html
    _nothing_recorded(penguins)
    assert not PredictionRecord.objects.filter(feedback_at__isnull=False).exists()


def test_another_users_model_page_and_upload_are_404(owner, other_user, penguins):
    ids = predict_rows(user=owner, model=penguins, data=_penguin_rows(1)[0])["prediction_ids"]
    stranger = _web(other_user)
    assert stranger.get(f"/monitoring/models/{penguins.pk}/").status_code == 404
    res = _post(stranger, penguins, _csv("prediction_id,actual", [(ids[0], "Adelie")]))
    assert res.status_code == 404
    _nothing_recorded(penguins)
    assert _web(owner).get(f"/monitoring/models/{penguins.pk}/actuals/").status_code == 405


def test_the_page_has_the_card_and_posting_needs_the_csrf_token(owner, penguins):
    web = _web(owner, enforce_csrf_checks=True)
    html = web.get(f"/monitoring/models/{penguins.pk}/").content.decode()
    assert 'id="actuals-form"' in html and f'hx-post="/monitoring/models/{penguins.pk}/actuals/"'
    assert "<code>prediction_id</code>" in html and "up to 10,000 rows" in html
    ids = predict_rows(user=owner, model=penguins, data=_penguin_rows(1)[0])["prediction_ids"]
    res = _post(web, penguins, _csv("prediction_id,actual", [(ids[0], "Adelie")]))
    assert res.status_code == 403
    _nothing_recorded(penguins)


@pytest.mark.parametrize("extra", [1_000, 2 * 1024 * 1024])  # over the limit, and over its slack
def test_a_file_over_the_upload_limit_is_refused_in_the_card_naming_the_limit(
    owner, penguins, settings, extra
):
    """The CSRF check reads the form before the view; the refusal still reaches the card, for
    htmx (200) and a plain post (the page, 413), and the page says the limit up front."""
    settings.VUR_MAX_UPLOAD_MB = 1
    web = _web(owner, enforce_csrf_checks=True)
    page = web.get(f"/monitoring/models/{penguins.pk}/").content.decode()
    assert "up to 10,000 rows and 1 MB." in page
    assert 'data-max-bytes="1048576" data-max-mb="1"' in page
    token = web.cookies["csrftoken"].value
    ids = predict_rows(user=owner, model=penguins, data=_penguin_rows(1)[0])["prediction_ids"]
    body = f"prediction_id,actual\n{ids[0]},Adelie\n".encode()
    body += b"x" * (1024 * 1024 + extra - len(body) - 1) + b"\n"
    url = f"/monitoring/models/{penguins.pk}/actuals/"
    sentence = "The file is larger than the 1 MB upload limit."

    res = web.post(
        url,
        {"file": SimpleUploadedFile("actuals.csv", body)},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert sentence in _refused(res)
    # Without htmx the token is a field before the file, as the card's form sends it.
    res = web.post(
        url, {"csrfmiddlewaretoken": token, "file": SimpleUploadedFile("actuals.csv", body)}
    )
    assert res.status_code == 413
    html = res.content.decode()
    assert '<h2 id="actuals-heading">Record actuals</h2>' in html
    assert f'<p class="notice error" role="alert" id="actuals-error">{sentence}</p>' in html
    _nothing_recorded(penguins)


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (b"", "a.csv", "The file is empty."),
        ("prediction_id,actual\n", "a.csv", "The file has no rows of actuals under its header."),
        (
            "prediction_id,truth\nx,1\n",
            "a.csv",
            "The file lacks the column actual: actuals of a "
            "classification model need the columns prediction_id, actual.",
        ),  # fmt: skip
        ("prediction_id,actual\n", "a.txt", "Unsupported file type (.txt)"),
    ],
)
def test_a_file_that_cannot_hold_actuals_is_refused_in_the_card(
    owner, penguins, content, name, words
):
    assert words.lower() in _refused(_post(_web(owner), penguins, content, name)).lower()
    _nothing_recorded(penguins)


def test_no_file_and_too_many_rows_are_refused_and_the_rows_beyond_the_limit_are_not_read(
    owner, penguins
):
    url = f"/monitoring/models/{penguins.pk}/actuals/"
    res = _web(owner).post(url, {}, headers={"HX-Request": "true"})
    assert "Choose a file of actuals" in _refused(res)
    ids = predict_rows(user=owner, model=penguins, data=_penguin_rows(1)[0])["prediction_ids"]
    # 10,001 rows: refused for its length before any id is looked up (all but one are unknown).
    lines = [(ids[0], "Adelie")] + [("x", "Adelie")] * 10_000
    res = _post(_web(owner), penguins, _csv("prediction_id,actual", lines))
    assert "more than 10,000 rows" in _refused(res)
    _nothing_recorded(penguins)


def test_an_excel_file_is_read_like_a_csv(owner, api, penguins):
    rows, truth = _penguin_rows(3)
    ids = predict_rows(user=owner, model=penguins, data=rows)["prediction_ids"]
    buf = io.BytesIO()
    pd.DataFrame({"prediction_id": ids, "actual": truth}).to_excel(buf, index=False)
    res = _post(_web(owner), penguins, buf.getvalue(), "actuals.xlsx")
    assert res.status_code == 200, res.content
    assert "Recorded 3 actuals." in res.content.decode()
    assert _live(api, penguins)["live_metrics"]["n"] == 3


def test_integer_labels_are_stored_as_the_models_own_and_others_refused(owner, api):
    from training.builder import build_pipeline

    pipeline = pipeline_on_sample(owner, "credit_scoring.csv", "Status", "classification")
    frame = pd.read_csv(sample_path("credit_scoring.csv"))
    features = [c for c in frame.columns if c != "Status"]
    schema = [c for c in pipeline.dataset.columns_info if c["name"] in features]
    target = (frame["Status"] == "good").astype(int)  # 0/1 labels
    fitted = build_pipeline(
        df_schema=schema, target="Status", problem_type="classification",
        algorithm="random_forest", hyperparameters={"n_estimators": 10, "max_depth": 3},
    ).fit(frame[features], target)  # fmt: skip
    saved = artifact_save(fitted, f"{owner.pk}/fixture/binary01")
    model = TrainedModel.objects.create(
        owner=owner, pipeline=pipeline, problem_type="classification", algorithm="random_forest",
        primary_metric="auc", artifact=saved.name, sha256=saved.sha256, classes=[0, 1],
        input_schema={"columns": [{**c, "required": True} for c in schema]},
    )  # fmt: skip
    Deployment.objects.create(owner=owner, model=model, target="api")
    part = frame.iloc[:8]
    rows = [
        {k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for k, v in r.items()}
        for r in part[features].to_dict("records")
    ]
    answer = predict_rows(user=owner, model=model, data=rows)
    ids, truth = answer["prediction_ids"], target.iloc[:8].tolist()
    bad = _post(_web(owner), model, _csv("prediction_id,actual", [(ids[0], 2), (ids[1], 0.5)]))
    html = _refused(bad)
    assert (
        "Row 2: actual &quot;2&quot; is not one of the classes the model was trained on (0, 1); "
        in html
    )
    assert "row 3: actual &quot;0.5&quot; is not one of the classes" in html
    _nothing_recorded(model)
    res = _post(_web(owner), model, _csv("prediction_id,actual", zip(ids, truth, strict=True)))
    assert res.status_code == 200, res.content
    stored = PredictionRecord.objects.filter(model=model).values_list("actual", flat=True)
    assert sorted(stored) == sorted(truth) and {type(a) for a in stored} == {int}
    live = _live(api, model)["live_metrics"]
    assert live["n"] == 8
    assert live["accuracy"] == pytest.approx(
        np.mean([a == b for a, b in zip(answer["predictions"], truth, strict=True)])
    )


def _sacramento_rows(n: int) -> tuple[list[dict], list[float]]:
    frame = pd.read_csv(sample_path("sacramento_housing.csv"))
    part = frame.iloc[::25].iloc[:n]
    features = [c for c in frame.columns if c != "price"]
    rows = [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
        for r in part[features].to_dict("records")
    ]
    return rows, part["price"].astype(float).tolist()


def test_a_regressor_file_records_numbers_and_live_errors_follow(owner, api):
    model = deployed_regressor(owner)
    rows, truth = _sacramento_rows(5)
    answer = predict_rows(user=owner, model=model, data=rows)
    ids = answer["prediction_ids"]
    bad = _post(_web(owner), model, _csv("prediction_id,actual", [(ids[0], "cheap"), (ids[1], 1)]))
    assert "Row 2: actual must be a number for a regression model." in _refused(bad)
    _nothing_recorded(model)
    res = _post(_web(owner), model, _csv("actual,prediction_id", zip(truth, ids, strict=True)))
    assert res.status_code == 200, res.content
    assert "Recorded 5 actuals." in res.content.decode()
    stored = dict(PredictionRecord.objects.filter(model=model).values_list("pk", "actual"))
    assert [stored[uuid.UUID(i)] for i in ids] == truth  # numbers, not text
    errors = np.array(truth) - np.array(answer["predictions"])
    live = _live(api, model)["live_metrics"]
    assert live["n"] == 5
    assert live["mae"] == pytest.approx(np.abs(errors).mean(), rel=1e-6)
    assert live["rmse"] == pytest.approx(np.sqrt((errors**2).mean()), rel=1e-6)


def test_a_forecaster_file_records_actuals_matched_to_its_forecasts(owner, api, other_api):
    from monitoring.tests.test_forecast_monitoring import FUTURE, HISTORY, _forecaster

    model = _forecaster(owner)
    res = api.post("/api/v1/deployment/deploy", {"model_id": model.pk, "target": "api"})
    assert res.status_code == 201, res.content
    forecast = api.post("/api/v1/predictions/forecast", {"model_id": model.pk}, format="json")
    answer = forecast.json()
    days = [ts.strftime("%Y-%m-%d") for ts in FUTURE.index[:3]]
    values = [round(float(v), 4) for v in FUTURE.iloc[:3]]
    # A timestamp inside the training history and a repeated day refuse the whole file.
    last = HISTORY.index[-1].strftime("%Y-%m-%d")
    lines = [(days[0], values[0]), (last, 1.0), (days[1], "lots"), (days[0], values[0])]
    html = _refused(_post(_web(owner), model, _csv("timestamp,actual", lines)))
    assert "Nothing was recorded: 3 rows have problems." in html
    assert "Row 3: " in html and "is inside the model&#x27;s training history" in html
    assert "row 4: actual &#x27;lots&#x27; is not a number" in html
    assert "row 5: this time is already on row 2" in html
    assert not ForecastActual.objects.filter(model=model).exists()
    missing = _post(_web(owner), model, _csv("day,actual", zip(days, values, strict=True)))
    assert "lacks the column timestamp" in _refused(missing)

    res = _post(_web(owner), model, _csv("timestamp,actual", zip(days, values, strict=True)))
    assert res.status_code == 200, res.content
    assert "Recorded 3 actuals." in res.content.decode()
    assert ForecastActual.objects.filter(model=model).count() == 3
    body = _live(api, model)
    errors = [abs(v - f) for v, f in zip(values, answer["forecast"][:3], strict=True)]
    assert [(b["step"], b["n"]) for b in body["by_horizon"]] == [(1, 1), (2, 1), (3, 1)]
    assert [b["mae"] for b in body["by_horizon"]] == pytest.approx(errors, rel=1e-5)
    assert body["live_metrics"]["n"] == 3


def test_a_forecaster_of_several_series_needs_series_id(owner, api):
    from modeling.forecasters import PreparedForecaster, SeasonalNaiveForecaster
    from predictions.tests.test_live_forecast import _series, _store_model

    forecasters = {
        key: PreparedForecaster(SeasonalNaiveForecaster(season_length=7)).fit(
            _series(120, seed=i, level=50.0 * (i + 1))
        )
        for i, key in enumerate(("A", "B"))
    }
    model = _store_model(owner, forecasters, "store", "multi")
    day = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=120)).strftime("%Y-%m-%d")
    res = _post(_web(owner), model, _csv("timestamp,actual", [(day, 1.0)]))
    assert "lacks the column series_id" in _refused(res)
    lines = [(day, 1.0, "A"), (day, 2.0, "B"), (day, 3.0, "C")]
    res = _post(_web(owner), model, _csv("timestamp,actual,series_id", lines))
    assert "Row 4: Series &#x27;C&#x27; is not in this model" in _refused(res)
    assert not ForecastActual.objects.filter(model=model).exists()
    res = _post(_web(owner), model, _csv("timestamp,actual,series_id", lines[:2]))
    assert res.status_code == 200, res.content
    got = ForecastActual.objects.filter(model=model).values_list("series_id", "value")
    assert sorted(got) == [("A", 1.0), ("B", 2.0)]
