"""Models saved before a code move keep loading and answering the same (pickled class paths)."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).parent / "data" / "pre_split"
EXPECTED = json.loads((DATA / "expected.json").read_text())
TABULAR = sorted(n for n in EXPECTED if n.startswith("tabular"))
FORECAST = sorted(n for n in EXPECTED if n.startswith("forecast"))


def _rows(name: str) -> pd.DataFrame:
    """The input rows the artifact was scored on when it was written."""
    return pd.read_csv(DATA / ("blend_rows.csv" if "blend" in name else "tabular_rows.csv"))


@pytest.mark.parametrize("name", TABULAR)
def test_tabular_artifact_written_before_the_split_answers_the_same(name: str) -> None:
    model = joblib.load(DATA / name)
    rows = _rows(name)
    want = EXPECTED[name]
    assert [str(v) for v in model.predict(rows)] == want["predict"]
    np.testing.assert_allclose(model.predict_proba(rows), want["proba"], atol=1e-6)


@pytest.mark.parametrize("name", FORECAST)
def test_forecast_artifact_written_before_the_split_answers_the_same(name: str) -> None:
    model = joblib.load(DATA / name)
    got = model.predict(6, levels=(80, 95))
    want = EXPECTED[name]
    assert got["timestamps"] == want["timestamps"]
    np.testing.assert_allclose(got["forecast"], want["forecast"], rtol=1e-6)
    assert set(got["intervals"]) == {"80", "95"}


def test_every_kind_of_saved_model_is_covered() -> None:
    assert len(TABULAR) >= 4 and any("blend" in n for n in TABULAR)
    assert len(FORECAST) >= 3 and any("ensemble" in n for n in FORECAST)


@pytest.mark.parametrize("name", FORECAST)
def test_forecast_artifact_written_before_the_fitted_form_describes_its_fit(name: str) -> None:
    model = joblib.load(DATA / name)
    forms = model.fitted_forms()
    assert forms["n_series"] == 1 and forms["n_forms"] == 1
    form = forms["forms"][0]["form"]
    inner = model.forecasters[None]
    if "ensemble" in name:
        assert form["kind"] == "ensemble" and len(form["members"]) == len(inner.members)
    else:
        estimator = inner.forecaster.estimator
        assert form["kind"] == "lags" and form["estimator"] == estimator
        assert form["lags"] == [int(v) for v in inner.forecaster.featurizer_.lags_]


@pytest.mark.django_db
@pytest.mark.parametrize("name", FORECAST)
def test_a_model_saved_before_the_fitted_form_was_kept_shows_its_page_without_it(
    name: str, owner
) -> None:
    """Its row has no fitted form on its card: the page shows everything else, and its forecast
    (the old file loads), with no "Fitted model" block."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.test import Client

    from conftest import pipeline_on_sample
    from modeling.models import TrainedModel

    data = (DATA / name).read_bytes()
    stored = default_storage.save(f"models/{owner.pk}/pre_split/{name}", ContentFile(data))
    pipeline = pipeline_on_sample(owner, "series_airpassengers.csv", "passengers", "forecasting")
    model = joblib.load(DATA / name)
    row = TrainedModel.objects.create(
        owner=owner, pipeline=pipeline, problem_type="forecasting", algorithm=model.algorithm,
        primary_metric="mase", artifact=stored, sha256=hashlib.sha256(data).hexdigest(),
        hyperparameters={"combine": "mean"} if "ensemble" in name else {},
        test_metrics={"mase": 0.9}, input_schema=model.input_schema(),
        card={"algorithm": model.algorithm, "problem_type": "forecasting"},
    )  # fmt: skip
    web = Client()
    web.force_login(owner)
    res = web.get(f"/models/{row.pk}/")
    assert res.status_code == 200
    page = res.content.decode()
    assert 'id="about-heading"' in page and ">Hyperparameters</h3>" in page
    assert res.context["fitted_form"] is None
    assert "Fitted model" not in page and 'id="fitted-model"' not in page
    assert res.context["charts"]["forecast"]["forecast"]["forecast"] == pytest.approx(
        EXPECTED[name]["forecast"], rel=1e-6
    )
