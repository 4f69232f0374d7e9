"""The default forecast horizon and the warning beside the horizon field: M4's horizon for a
series long enough, at most a fifth of a short one (keeping two seasons when it can), the same
rule for pipelines made on the setup page and through REST, and a warning (not a refusal) when
a horizon leaves fewer than two seasons before the last backtest window."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import upload_sample
from pipelines.limits import default_horizon, short_history_note

pytestmark = pytest.mark.django_db

# 30 months of visitors (the walk's monthly_30.csv): two and a half years.
MONTHLY_30 = "month,visitors\n" + "\n".join(
    f"{2021 + i // 12}-{i % 12 + 1:02d},{500 + 20 * i + (i % 12) * 5}" for i in range(30)
)


@pytest.fixture
def web(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def monthly_30(api) -> dict:
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("monthly_30.csv", MONTHLY_30.encode()), "name": "m30"},
        format="multipart",
    )
    assert res.status_code == 201, res.content
    return res.json()


@pytest.mark.parametrize(
    ("freq", "steps", "expected"),
    [
        ("MS", 30, 6),  # a fifth of 30, which keeps two seasons (6 + 24 = 30)
        ("MS", 28, 4),  # a fifth would be 5; 4 is the most that keeps two seasons
        ("MS", 20, 4),  # no horizon keeps two seasons: a fifth
        ("MS", 144, 18),  # long enough: M4's monthly horizon
        ("MS", None, 18),  # length unknown
        ("D", 730, 14),
        ("QS", 20, 4),
        ("YS", 18, 3),
    ],
)
def test_the_default_horizon_is_m4s_unless_the_series_is_short(freq, steps, expected):
    assert default_horizon(freq, steps) == expected


def test_a_horizon_leaving_fewer_than_two_seasons_is_warned_about():
    note = short_history_note("MS", 30, 18)
    assert note == (
        "A horizon of 18 leaves 12 of the 30 steps before the last backtest window, "
        "fewer than two seasons (24 steps): the models are fitted without a season and scored "
        "on little history. A horizon of 6 or fewer keeps two seasons."
    )
    assert short_history_note("MS", 30, 6) == ""
    assert short_history_note("MS", 144, 18) == ""
    assert short_history_note("YS", 18, 6) == ""  # no season to keep
    assert "too short to keep two seasons" in short_history_note("MS", 20, 4)


def test_a_horizon_longer_than_the_history_holds_is_warned_about_not_refused():
    """22 monthly steps asked 18 ahead: only 14 can be checked after 8 to train on."""
    assert short_history_note("MS", 22, 18) == (
        "The series holds 22 steps, so backtests can check forecasts only 14 steps ahead, not "
        "18: the models are ranked on those 14 steps, and steps 15 to 18 and their intervals "
        "are extrapolated. A horizon of 14 or fewer is checked in full."
    )
    assert short_history_note("MS", 22, 14) != ""  # still fewer than two seasons, said so
    assert "checked in full" not in short_history_note("MS", 22, 14)
    assert short_history_note("YS", 22, 14) == ""


def test_the_setup_page_offers_the_short_default_and_warns_beside_the_field(web, monthly_30):
    page = web.get(f"/pipelines/new/?dataset={monthly_30['id']}")
    help_text = page.content.decode().split('id="horizon-help">')[1].split("</p>")[0]
    assert help_text.startswith("Leave empty for the default: 6 steps ahead (this series is short")
    assert "18 for a long enough series of monthly (month start) data" in help_text
    assert page.context["horizon_note"] == ""  # the default leaves two seasons
    note_url = f"/pipelines/new/{monthly_30['id']}/horizon-note/"
    typed = web.post(note_url, {"forecast_horizon": "18"})
    assert typed.status_code == 200
    assert "A horizon of 18 leaves 12 of the 30 steps" in typed.content.decode()
    assert " hidden" not in typed.content.decode()
    assert " hidden" in web.post(note_url, {"forecast_horizon": "6"}).content.decode()
    assert " hidden" in web.post(note_url, {"forecast_horizon": "ten"}).content.decode()
    # A warning, not a refusal: the pipeline is saved, and the next page says it again.
    res = web.post(
        "/pipelines/new/",
        {"dataset": monthly_30["id"], "name": "Visitors", "target_column": "visitors",
         "problem_type": "forecasting", "forecast_horizon": "18"},
        follow=True,
    )  # fmt: skip
    assert res.status_code == 200 and res.redirect_chain[-1][0].endswith("/wizard/preprocessing/")
    said = [str(m) for m in res.context["messages"]]
    assert any(m.startswith("A horizon of 18 leaves 12") for m in said), said
    beyond = web.post(note_url, {"forecast_horizon": "25"})  # more than 30 steps can check
    assert "check forecasts only 22 steps ahead, not 25" in beyond.content.decode()


def test_the_training_step_repeats_the_note_of_a_horizon_the_history_cannot_check(
    api, web, monthly_30
):
    """30 months asked 25 steps ahead: saved, and the training step says that only 22 of them
    are checked; the default horizon of the same series gets no such note."""
    asked = api.post(
        "/api/v1/pipelines/",
        {"name": "far", "dataset_id": monthly_30["id"], "target_column": "visitors",
         "problem_type": "forecasting", "forecast_horizon": 25},
        format="json",
    )  # fmt: skip
    assert asked.status_code == 201, asked.content
    page = web.get(f"/pipelines/{asked.json()['id']}/wizard/training/")
    assert page.context["horizon_note"].startswith(
        "The series holds 30 steps, so backtests can check forecasts only 22 steps ahead, not 25"
    )
    assert 'id="horizon-note"' in page.content.decode()
    assert (
        "rolling backtests over the end of the series, 22 steps ahead of the 25 forecast, ranked "
        "on 1 backtest window instead of 6: the history holds no more."
    ) in page.content.decode()
    default = api.post(
        "/api/v1/pipelines/",
        {"name": "near", "dataset_id": monthly_30["id"], "target_column": "visitors",
         "problem_type": "forecasting"},
        format="json",
    )  # fmt: skip
    page = web.get(f"/pipelines/{default.json()['id']}/wizard/training/")
    assert page.context["horizon_note"] == "" and 'id="horizon-note"' not in page.content.decode()


def test_rest_and_the_setup_page_give_a_pipeline_the_same_default_horizon(
    api, web, monthly_30, owner
):
    from pipelines.models import Pipeline

    made = api.post(
        "/api/v1/pipelines/",
        {"name": "rest", "dataset_id": monthly_30["id"], "target_column": "visitors",
         "problem_type": "forecasting"},
        format="json",
    )  # fmt: skip
    assert made.status_code == 201
    body = made.json()
    assert body["forecast_horizon"] is None and body["default_forecast_horizon"] == 6
    res = web.post(
        "/pipelines/new/",
        {"dataset": monthly_30["id"], "name": "page", "target_column": "visitors",
         "problem_type": "forecasting"},
    )  # fmt: skip
    assert res.status_code == 302
    page_pipeline = Pipeline.objects.get(name="page")
    assert api.get(f"/api/v1/pipelines/{page_pipeline.pk}/").json()["default_forecast_horizon"] == 6
    training = web.get(f"/pipelines/{page_pipeline.pk}/wizard/training/").content.decode()
    assert "6 steps ahead (the default for this series)" in training
    long = upload_sample(api, "series_airpassengers.csv")
    long_pipe = api.post(
        "/api/v1/pipelines/",
        {"name": "long", "dataset_id": long["id"], "target_column": "passengers",
         "problem_type": "forecasting"},
        format="json",
    ).json()  # fmt: skip
    assert long_pipe["default_forecast_horizon"] == 18
    tabular = upload_sample(api, "penguins.csv")
    table = api.post(
        "/api/v1/pipelines/",
        {"name": "t", "dataset_id": tabular["id"], "target_column": "species",
         "problem_type": "classification"},
        format="json",
    ).json()  # fmt: skip
    assert table["default_forecast_horizon"] is None


def test_a_forecasting_pipeline_on_times_written_with_offsets_is_created(api):
    """An hourly file written "2024-01-01T00:00:00+00:00": its zoned end met the calendar check
    (past 2262?) as a naive date, and creating the pipeline answered 500."""
    rows = "\n".join(
        f"2024-01-{1 + h // 24:02d}T{h % 24:02d}:00:00+00:00,{100 + h % 24}" for h in range(400)
    )
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("zoned.csv", f"time,load\n{rows}\n".encode()), "name": "z"},
        format="multipart",
    )
    assert res.status_code == 201, res.content
    assert res.json()["series_info"]["end"].endswith("+00:00")
    body = {
        "name": "z", "dataset_id": res.json()["id"], "target_column": "load",
        "problem_type": "forecasting", "time_column": "time", "forecast_horizon": 24,
    }  # fmt: skip
    made = api.post("/api/v1/pipelines/", body, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["forecast_horizon"] == 24
