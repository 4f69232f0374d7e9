"""What a forecasting model's fit chose, kept on its card by series (`ForecastModel.fitted_forms`)
and shown on its page under "Fitted model": grouped by form, the most common first, a few series
named; and through real jobs on the worker, from the training service to the model page."""

from __future__ import annotations

import html as html_lib
import json
import re
from typing import Any

import pandas as pd
import pytest
from django.test import Client

from conftest import create_pipeline, sample_path, train, upload_sample
from modeling.artifacts import artifact_load
from modeling.forecasters import Forecaster, SeasonalNaiveForecaster
from modeling.models import TrainedModel
from modeling.templatetags.modeling_labels import algorithm_label
from training.forecasting import ForecastModel
from training.forecasting.model import FORMS_KEPT, SERIES_NAMED


def _air() -> pd.Series:
    frame = pd.read_csv(sample_path("series_airpassengers.csv"), parse_dates=["month"])
    values = frame["passengers"].to_numpy(dtype=float)
    return pd.Series(values, index=pd.DatetimeIndex(frame["month"], freq="MS"))


def _model(seasons: dict, id_column: str | None = "shop") -> ForecastModel:
    """A model of one seasonal naive forecaster per series, each fitted with its own season."""
    y = _air()
    fitted: dict[Any, Forecaster] = {
        k: SeasonalNaiveForecaster(season_length=m).fit(y) for k, m in seasons.items()
    }
    return ForecastModel(
        algorithm="seasonal_naive", time_column="month", target="passengers",
        id_column=id_column, freq="MS", timezone=None, horizon=6, levels=(80, 95),
        season_lengths={k: [m] for k, m in seasons.items()},
        forecasters=fitted,
    )  # fmt: skip


def test_series_sharing_a_form_are_counted_together_and_a_few_are_named():
    forms = _model({f"s{i}": 12 for i in range(SERIES_NAMED + 2)}).fitted_forms()
    assert forms["n_series"] == SERIES_NAMED + 2 and forms["n_forms"] == 1
    (group,) = forms["forms"]
    assert group["text"] == "Seasonal naive, season 12: the last 12 values repeated"
    assert group["n_series"] == SERIES_NAMED + 2
    assert group["series"] == [f"s{i}" for i in range(SERIES_NAMED)]
    json.dumps(forms)


def test_forms_that_vary_keep_the_most_common_first():
    seasons = {"a": 2, "b": 3, "c": 3, "d": 4, "e": 6, "f": 12, "g": 3}
    forms = _model(seasons).fitted_forms()
    assert forms["n_series"] == 7 and forms["n_forms"] == 5
    assert len(forms["forms"]) == FORMS_KEPT
    first = forms["forms"][0]
    assert first["form"]["season_length"] == 3 and first["n_series"] == 3
    assert first["series"] == ["b", "c", "g"]
    # Then in the order the series came, one each.
    assert [g["series"] for g in forms["forms"][1:]] == [["a"], ["d"]]


def test_a_single_series_names_no_series_and_no_fitted_state_gives_no_forms():
    forms = _model({None: 12}, id_column=None).fitted_forms()
    assert forms["n_series"] == 1 and forms["forms"][0]["series"] == []
    empty = _model({None: 12}, id_column=None)
    del empty.forecasters[None].model_
    assert empty.fitted_forms() == {}


# --------------------------------------------------------------------------- through real jobs


def _section(page: str) -> str:
    """The text of the page's "Fitted model" block, tags removed and spaces collapsed ("" when
    the page has none)."""
    if 'id="fitted-model"' not in page:
        return ""
    block = page[page.index('id="fitted-model"') :]
    block = block[: block.index("</div>")]
    return html_lib.unescape(
        " ".join(re.sub(r"<[^>]+>", " ", block[block.index(">") + 1 :]).split())
    )


def _by_text(model: ForecastModel) -> dict[str, list]:
    """Each fitted form's text and the series fitted with it, read from the artifact itself."""
    out: dict[str, list] = {}
    for key, forecaster in model.forecasters.items():
        out.setdefault(forecaster.fitted_form()["text"], []).append(key)
    return out


@pytest.mark.django_db(transaction=True)
def test_a_trained_forecaster_shows_the_form_its_fit_chose(api, owner, celery_worker):
    ds = upload_sample(api, "series_airpassengers.csv")
    pipe = create_pipeline(api, ds["id"], "passengers", "forecasting")
    train(api, pipe["id"], ["seasonal_naive", "ets"], 10)
    web = Client()
    web.force_login(owner)
    models = TrainedModel.objects.filter(pipeline_id=pipe["id"])
    assert {m.algorithm for m in models} == {"seasonal_naive", "ets"}
    for model in models:
        fitted = artifact_load(model.artifact, model.sha256)
        form = fitted.forecasters[None].fitted_form()
        kept = model.card["fitted_form"]
        assert kept["n_series"] == 1 and kept["forms"][0]["form"] == json.loads(json.dumps(form))
        page = web.get(f"/models/{model.pk}/").content.decode()
        assert ">Fitted model</h3>" in page
        assert _section(page) == form["text"]
        # The configured hyperparameters are still shown as they were set.
        assert ">Hyperparameters</h3>" in page
        # REST clients read the same form.
        answer = api.get(f"/api/v1/models/{model.pk}/").json()
        assert answer["fitted_form"] == kept
    ets = models.get(algorithm="ets")
    text = _section(web.get(f"/models/{ets.pk}/").content.decode())
    assert re.match(r"ETS\([AM],(N|A|Ad),(N|A|M)\)", text), text
    naive = models.get(algorithm="seasonal_naive")
    assert _section(web.get(f"/models/{naive.pk}/").content.decode()) == (
        "Seasonal naive, season 12: the last 12 values repeated"
    )


@pytest.mark.django_db(transaction=True)
def test_a_multi_series_model_shows_its_forms_by_series(api, owner, celery_worker):
    ds = upload_sample(api, "series_aus_arrivals.csv")
    pipe = create_pipeline(api, ds["id"], "arrivals", "forecasting", id_column="origin")
    # Quick candidates whose backtests no budget prediction drops on a busy machine (ARIMA's
    # can be); the ensemble, when the near-best are several, lists its members' forms.
    train(api, pipe["id"], ["seasonal_naive", "ets", "theta", "ensemble"], 60)
    web = Client()
    web.force_login(owner)
    models = list(TrainedModel.objects.filter(pipeline_id=pipe["id"]).order_by("rank"))
    assert {"seasonal_naive", "ets", "theta"} <= {m.algorithm for m in models}
    for model in models:
        fitted = artifact_load(model.artifact, model.sha256)
        want = _by_text(fitted)
        kept = model.card["fitted_form"]
        assert kept["n_series"] == 4 and kept["n_forms"] == len(want)
        assert len(kept["forms"]) == min(len(want), FORMS_KEPT)
        for group in kept["forms"]:
            assert group["n_series"] == len(want[group["text"]])
            assert group["series"] == [str(k) for k in want[group["text"]]][:SERIES_NAMED]
        section = _section(web.get(f"/models/{model.pk}/").content.decode())
        if len(want) == 1:
            assert section.startswith("The same for all 4 series. ")
        else:
            assert section.startswith(f"Varies by series: {len(want)} forms among 4 series")
            first = kept["forms"][0]
            assert f"{first['n_series']} series: {', '.join(first['series'])} " in section
        for group in kept["forms"]:
            members = group["form"].get("members")
            if not members:
                assert group["text"] in section
                continue
            # Each member is named as in the members table, in its order, once: a form that
            # starts with the name ("Seasonal naive, season 4: ...") is not named again.
            names = [m["algorithm"] for m in model.hyperparameters["members"]]
            for name, member in zip(names, members, strict=True):
                label = algorithm_label(name, "forecasting")
                if member["text"].startswith(label):
                    assert member["text"] in section and f"{label}: {label}" not in section
                else:
                    assert f"{label}: {member['text']}" in section
    naive = next(m for m in models if m.algorithm == "seasonal_naive")
    section = _section(web.get(f"/models/{naive.pk}/").content.decode())
    assert (
        section == "The same for all 4 series. Seasonal naive, season 4: the last 4 values repeated"
    )
