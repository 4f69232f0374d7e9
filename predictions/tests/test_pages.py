"""The model page and its deploy/predict actions, and the deployments list (Django test client)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from predictions.models import Deployment, PredictionRecord

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fresh_serving_cache():
    """Rolled-back tests reuse model ids (SQLite): start each without another test's entries."""
    from predictions.served import served_cache_clear

    served_cache_clear()
    yield
    served_cache_clear()


@pytest.fixture
def web(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def other_web(other_user) -> Client:
    client = Client()
    client.force_login(other_user)
    return client


def _form(model) -> dict[str, str]:
    """The prediction form as the page fills it: one key per input column, with a sample."""
    from predictions.pages import form_fields

    return {f["key"]: f["initial"] for f in form_fields(model)}


def test_model_page_shows_scores_form_fields_and_deployment(web, deployed_model):
    res = web.get(f"/models/{deployed_model.pk}/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "Random forest" in html
    assert 'id="predict-form"' in html
    for col in deployed_model.input_schema["columns"]:
        assert f">{col['name']}" in html  # a labelled field per input column
    assert 'id="deployment-history"' in html
    assert 'id="stream-panel"' in html


def test_model_page_is_404_for_someone_else_and_login_required(other_web, deployed_model):
    assert other_web.get(f"/models/{deployed_model.pk}/").status_code == 404
    assert other_web.post(f"/models/{deployed_model.pk}/predict/", {}).status_code == 404
    assert (
        other_web.post(f"/models/{deployed_model.pk}/deploy/", {"target": "api"}).status_code == 404
    )
    res = Client().get(f"/models/{deployed_model.pk}/")
    assert res.status_code == 302 and "/accounts/login/" in res["Location"]


def test_predict_form_answers_prediction_and_probabilities(web, deployed_model):
    res = web.post(f"/models/{deployed_model.pk}/predict/", _form(deployed_model), **HTMX)
    assert res.status_code == 200
    html = res.content.decode()
    assert 'id="predicted-value"' in html and 'id="probabilities"' in html
    record = PredictionRecord.objects.get(model=deployed_model)
    assert str(record.prediction) in html


def test_predict_form_shows_a_bad_number_next_to_its_field(web, deployed_model):
    form = _form(deployed_model)
    numeric = next(
        c for c in deployed_model.input_schema["columns"] if c["semantic_type"] == "numeric"
    )
    from predictions.pages import form_fields

    key = next(f["key"] for f in form_fields(deployed_model) if f["name"] == numeric["name"])
    form[key] = "lots"
    res = web.post(f"/models/{deployed_model.pk}/predict/", form, **HTMX)
    html = res.content.decode()
    assert f'id="err-{key}" hx-swap-oob="true">' in html
    assert "must be a number" in html.split(f'id="err-{key}"', 1)[1].split("</p>", 1)[0]
    assert not PredictionRecord.objects.filter(error_code="").exists()  # only the refusal is logged


def test_undeploy_then_predict_says_deploy_first(
    web, deployed_model, django_capture_on_commit_callbacks
):
    deployment = Deployment.objects.get(model=deployed_model)
    web.post(f"/models/{deployed_model.pk}/predict/", _form(deployed_model), **HTMX)  # cached
    with django_capture_on_commit_callbacks(execute=True):  # the undeploy's announcement
        res = web.post(f"/deployments/{deployment.pk}/undeploy/", **HTMX)
    assert res.status_code == 200 and "HX-Trigger" in res
    deployment.refresh_from_db()
    assert deployment.status == "inactive"
    res = web.post(f"/models/{deployed_model.pk}/predict/", _form(deployed_model), **HTMX)
    assert "not deployed" in res.content.decode()
    panel = web.get(f"/models/{deployed_model.pk}/predict-panel/").content.decode()
    assert 'id="predict-needs-deploy"' in panel


def test_deploy_from_the_page_creates_a_deployment_and_lists_it(web, deployed_model):
    res = web.post(f"/models/{deployed_model.pk}/deploy/", {"target": "api"}, **HTMX)
    assert res.status_code == 200
    assert Deployment.objects.filter(model=deployed_model, target="api", status="active").exists()
    assert "/api/v1/predictions/single" in res.content.decode()
    listing = web.get("/deployments/").content.decode()
    assert f"/models/{deployed_model.pk}/" in listing


def test_deploy_with_no_target_explains_itself(web, deployed_model):
    res = web.post(f"/models/{deployed_model.pk}/deploy/", {"target": "moon"}, **HTMX)
    assert 'id="deploy-error"' in res.content.decode()
    assert Deployment.objects.filter(model=deployed_model).count() == 1


def test_batch_without_a_file_says_so(web, deployed_model):
    res = web.post(f"/models/{deployed_model.pk}/batch/", {}, **HTMX)
    assert "Choose a CSV" in res.content.decode()


def test_batch_of_an_unsupported_file_says_why(web, deployed_model):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("rows.exe", b"MZ....")
    res = web.post(f"/models/{deployed_model.pk}/batch/", {"file": upload}, **HTMX)
    html = res.content.decode()
    assert 'id="batch-error"' in html


def test_batch_status_is_404_for_someone_else(other_web, web, deployed_model):
    import uuid

    assert other_web.get(f"/predictions/batch/{uuid.uuid4()}/").status_code == 404


def test_batch_upload_queues_a_job_and_its_status_partial_polls(web, deployed_model):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from conftest import sample_path

    rows = sample_path("penguins.csv").read_text().splitlines()[:11]
    upload = SimpleUploadedFile("rows.csv", "\n".join(rows).encode())
    res = web.post(f"/models/{deployed_model.pk}/batch/", {"file": upload}, **HTMX)
    html = res.content.decode()
    assert res.status_code == 200, html
    assert 'hx-trigger="load delay:1s"' in html and "/predictions/batch/" in html


def test_admin_deploy_and_undeploy_actions_go_through_the_service(staff_user, deployed_model):
    staff_user.is_superuser = True
    staff_user.save()
    web = Client()
    web.force_login(staff_user)
    assert web.get("/admin/modeling/trainedmodel/add/").status_code == 403
    web.post(
        "/admin/modeling/trainedmodel/",
        {"action": "deploy_api", "_selected_action": [deployed_model.pk]},
    )
    assert Deployment.objects.filter(model=deployed_model, target="api", status="active").exists()
    web.post(
        "/admin/modeling/trainedmodel/",
        {"action": "undeploy", "_selected_action": [deployed_model.pk]},
    )
    deployed_model.refresh_from_db()
    assert not deployed_model.is_deployed
    assert not Deployment.objects.filter(model=deployed_model, status="active").exists()


def test_regression_model_page_plots_stored_hold_out_residuals(web, deployed_model):
    deployed_model.problem_type = "regression"
    deployed_model.residual_analysis = {"predicted": [1.0, 2.0, 3.0], "actual": [1.5, 1.5, 3.0]}
    deployed_model.save(update_fields=["problem_type", "residual_analysis"])
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    assert 'id="residual-chart"' in html and '"actual": [1.5, 1.5, 3.0]' in html
    deployed_model.residual_analysis = None
    deployed_model.save(update_fields=["residual_analysis"])
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    assert 'id="residual-chart"' not in html and "No residual sample" in html


def _numeric_key(model) -> tuple[str, str]:
    from predictions.pages import form_fields

    field = next(f for f in form_fields(model) if f["kind"] == "number")
    return field["key"], field["name"]


def test_predict_form_number_fields_are_text_inputs_and_none_is_marked_required(
    web, deployed_model
):
    # A browser blanks what a type="number" input cannot read ("abc" arrived as empty and was
    # scored as a missing value): the field is text, and the server reads and checks it.
    html = web.get(f"/models/{deployed_model.pk}/").content.decode()
    form = html.split('id="predict-form"', 1)[1].split("</form>", 1)[0]
    key, _name = _numeric_key(deployed_model)
    field = form.split(f'id="id_{key}"', 1)[1].split(">", 1)[0]
    assert 'type="text"' in field and 'inputmode="decimal"' in field
    assert 'type="number"' not in form
    assert 'class="req"' not in form  # no field needs a value: empty is a missing value
    assert "No field is required: leave one empty for a missing value" in html


def test_predict_form_says_a_typed_word_in_a_number_field_is_not_a_number(web, deployed_model):
    form = _form(deployed_model)
    key, name = _numeric_key(deployed_model)
    form[key] = "abc"
    res = web.post(f"/models/{deployed_model.pk}/predict/", form, **HTMX)
    html = res.content.decode()
    error = html.split(f'id="err-{key}"', 1)[1].split("</p>", 1)[0]
    assert f"{name} must be a number (leave it empty for a missing value)." in error
    assert 'id="predicted-value"' not in html
    assert not PredictionRecord.objects.exists()  # refused before it reached the model
    res = web.post(f"/models/{deployed_model.pk}/predict/", form)  # without htmx: a 400
    assert res.status_code == 400


def test_predict_form_reads_empty_and_missing_words_as_missing_values(web, deployed_model):
    form = dict.fromkeys(_form(deployed_model), "")
    key, name = _numeric_key(deployed_model)
    form[key] = "n/a"
    res = web.post(f"/models/{deployed_model.pk}/predict/", form, **HTMX)
    assert 'id="predicted-value"' in res.content.decode()
    record = PredictionRecord.objects.get(model=deployed_model)
    assert record.inputs[name] is None


def test_predict_form_notes_a_number_outside_the_training_range(web, deployed_model):
    import pandas as pd

    from conftest import sample_path
    from training.reference import tabular_reference
    from training.reference_store import reference_save

    frame = pd.read_csv(sample_path("penguins.csv"))
    features = [c["name"] for c in deployed_model.input_schema["columns"]]
    reference = tabular_reference(
        frame,
        features=features,
        schema=deployed_model.input_schema["columns"],
        target="species",
        problem_type="classification",
        fitted=None,
    )
    name = reference_save(reference, f"{deployed_model.owner_id}/fixture/rf")
    deployed_model.card = {**(deployed_model.card or {}), "monitoring_reference": name}
    deployed_model.save(update_fields=["card"])
    sketch = reference["columns"]["body_mass_g"]["sketch"]
    low, high = int(sketch[0]), int(sketch[-1])

    from predictions.pages import form_fields

    key = next(f["key"] for f in form_fields(deployed_model) if f["name"] == "body_mass_g")
    form = _form(deployed_model)
    form[key] = "-1e9"
    html = web.post(f"/models/{deployed_model.pk}/predict/", form, **HTMX).content.decode()
    assert 'id="predicted-value"' in html  # noted, not refused
    assert (
        f"body_mass_g = -1,000,000,000 is outside the range seen in training "
        f"({low:,} to {high:,})" in html
    )
    form[key] = str(low)
    html = web.post(f"/models/{deployed_model.pk}/predict/", form, **HTMX).content.decode()
    assert "out-of-range" not in html


def test_a_batch_status_opened_directly_is_a_full_page_back_to_its_model(web, deployed_model):
    from django.core.files.base import ContentFile

    from predictions.models import BatchJob

    job = BatchJob.objects.create(owner=deployed_model.owner, model=deployed_model)
    job.input_file.save("march.csv", ContentFile(b"island\nBiscoe\n"))
    page = web.get(f"/predictions/batch/{job.pk}/").content.decode()
    assert "<title>Batch file march.csv · VUR</title>" in page
    assert "<nav" in page and f'href="/models/{deployed_model.pk}/"' in page
    assert 'id="back-to-model"' in page and f'id="batch-{job.pk}"' in page
    # Its breadcrumbs are the model page's, one step further (not "Models ›" there, "Training ›"
    # here).
    crumbs = re.compile(r'<nav class="crumbs".*?</nav>', re.S)
    model_trail = crumbs.search(web.get(f"/models/{deployed_model.pk}/").content.decode())
    batch_trail = crumbs.search(page)
    assert model_trail and batch_trail
    items = re.compile(r"<li[^>]*>(.*?)</li>", re.S)
    steps = [re.sub(r"<[^>]+>", "", i).strip() for i in items.findall(model_trail.group(0))]
    assert [re.sub(r"<[^>]+>", "", i).strip() for i in items.findall(batch_trail.group(0))] == [
        *steps,
        "Batch file",
    ]
    partial = web.get(f"/predictions/batch/{job.pk}/", **HTMX).content.decode()
    assert "<title>" not in partial and partial.lstrip().startswith('<div class="batch-job"')


def _page_prediction(web, model) -> PredictionRecord:
    """Predict the form's row on the model page and return the record it wrote."""
    res = web.post(f"/models/{model.pk}/predict/", _form(model), **HTMX)
    assert res.status_code == 200 and 'id="feedback-form"' in res.content.decode()
    return PredictionRecord.objects.get(model=model)


def test_the_actual_of_a_page_prediction_is_recorded_for_the_live_metrics(web, deployed_model):
    deployed_model.classes = ["Adelie", "Chinstrap", "Gentoo"]
    deployed_model.save(update_fields=["classes"])
    html = web.post(f"/models/{deployed_model.pk}/predict/", _form(deployed_model), **HTMX)
    html = html.content.decode()
    # The classes the model knows are offered, nothing else.
    select = html.split('id="feedback-actual"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]*)"', select) == ["", "Adelie", "Chinstrap", "Gentoo"]
    record = PredictionRecord.objects.get(model=deployed_model)
    body = {"prediction_id": str(record.pk), "actual": "Gentoo"}
    res = web.post(f"/models/{deployed_model.pk}/feedback/", body, **HTMX)
    assert res.status_code == 200 and 'id="feedback-recorded"' in res.content.decode()
    record.refresh_from_db()
    assert record.actual == "Gentoo" and record.feedback_at is not None
    # The monitoring rollups count it: live accuracy is measured on one actual.
    live = web.get(f"/api/v1/monitoring/models/{deployed_model.pk}/metrics").json()
    right = record.prediction == "Gentoo"
    assert live["live_metrics"]["n"] == 1 and live["live_metrics"]["accuracy"] == float(right)


def test_a_bad_actual_from_the_page_is_refused_and_records_nothing(
    web, other_web, owner, deployed_model
):
    from modeling.models import TrainedModel

    deployed_model.classes = ["Adelie", "Chinstrap", "Gentoo"]
    deployed_model.save(update_fields=["classes"])
    record = _page_prediction(web, deployed_model)
    url = f"/models/{deployed_model.pk}/feedback/"
    for actual, said in (("", "Choose or type"), ("Adelei", "not one of the classes")):
        body = {"prediction_id": str(record.pk), "actual": actual}
        res = web.post(url, body, **HTMX)
        assert res.status_code == 200 and said in res.content.decode()
        assert web.post(url, body).status_code == 400  # without htmx, the status says it
    # A prediction of another model is not this page's to record.
    sibling = TrainedModel.objects.get(pk=deployed_model.pk)
    sibling.pk = None
    sibling.save()
    res = web.post(
        f"/models/{sibling.pk}/feedback/", {"prediction_id": str(record.pk), "actual": "Adelie"}
    )
    assert res.status_code == 404 and "made no prediction" in res.content.decode()
    # Another user's page is not found.
    body = {"prediction_id": str(record.pk), "actual": "Adelie"}
    assert other_web.post(url, body).status_code == 404
    record.refresh_from_db()
    assert record.actual is None and record.feedback_at is None
