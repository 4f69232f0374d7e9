"""The pipeline pages and wizard through Django's test client: create from a dataset, each step
saved and shown as done, server-side errors next to their fields, the Start training redirect,
and 404 for someone else's pipeline."""

from __future__ import annotations

import re

import pytest

from conftest import upload_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, owner):
    """A browser-like client signed in as `owner` (session auth)."""
    client.force_login(owner)
    return client


@pytest.fixture
def penguins(api):
    return upload_sample(api, "penguins.csv")


def _create(web, dataset_id: int, **fields):
    body = {
        "dataset": dataset_id,
        "name": "Species",
        "target_column": "species",
        "problem_type": "classification",
        **fields,
    }
    return web.post("/pipelines/new/", body)


def test_create_page_lists_columns_and_creates_a_pipeline(web, penguins):
    page = web.get(f"/pipelines/new/?dataset={penguins['id']}")
    assert page.status_code == 200 and b'value="bill_length_mm"' in page.content
    res = _create(web, penguins["id"])
    assert res.status_code == 302 and res["Location"].endswith("/wizard/preprocessing/")
    listing = web.get("/pipelines/?stage=features")
    assert b"Species" in listing.content and b"/wizard/features/" in listing.content


def test_create_page_shows_a_bad_target_next_to_its_field(web, penguins):
    res = _create(web, penguins["id"], target_column="nope")
    assert res.status_code == 400
    assert b"nope&#x27; is not a column of the dataset." in res.content
    assert web.get("/pipelines/").context["page"].paginator.count == 0


def test_wizard_saves_each_step_and_starts_training(web, penguins):
    base = _create(web, penguins["id"])["Location"].rsplit("preprocessing/", 1)[0]
    # Preprocessing: the preview changes nothing, the save marks the step done.
    preview = web.post(
        base + "preprocessing/preview/",
        {"missing_values_strategy": "mean", "scaling_method": "minmax"},
        HTTP_HX_REQUEST="true",
    )
    assert preview.status_code == 200 and b'id="prep-result"' in preview.content
    bad = web.post(base + "preprocessing/", {"scaling_method": "zigzag"})
    assert bad.status_code == 400 and b"must be one of" in bad.content
    saved = web.post(base + "preprocessing/", {"missing_values_strategy": "mean"})
    assert saved.status_code == 302 and saved["Location"].endswith("/features/")
    # Features: selection scores are drawn as bars.
    selected = web.post(base + "features/", {"action": "select", "method": "mutual_info"})
    assert selected.status_code == 200 and b'id="importance-bars"' in selected.content
    # Algorithms: a value out of range is refused by the server next to the form.
    form = web.get(base + "model_selection/")
    assert b"hp_n_estimators" in form.content
    check = web.post(
        base + "model_selection/validate/",
        {"algorithm": "random_forest", "hp_n_estimators": "5"},
        HTTP_HX_REQUEST="true",
    )
    live = check.content.decode()
    field = live.split('id="random_forest-n_estimators-error"', 1)[1].split("</p>", 1)[0]
    assert "Number of trees: must be" in field and 'hx-swap-oob="true"' in field
    assert "Check the fields marked above." in live and "n_estimators:" not in live
    refused = web.post(
        base + "model_selection/", {"algorithm": "random_forest", "hp_n_estimators": "5"}
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    field = page.split('id="random_forest-n_estimators-error">', 1)[1].split("</p>", 1)[0]
    assert field.startswith("Number of trees: must be")
    assert "Check the field marked below." in page and "n_estimators:" not in page
    added = web.post(
        base + "model_selection/", {"algorithm": "random_forest", "hp_n_estimators": "50"}
    )
    assert added.status_code == 302 and added["Location"].endswith("/training/")
    page = web.get(base + "training/")
    for step in ("preprocessing", "features", "model_selection"):
        assert f'class="done" data-step="{step}"'.encode() in page.content, step
    bad_budget = web.post(base + "training/", {"choice": "auto", "time_budget_s": "0"})
    assert bad_budget.status_code == 400 and b'id="time_budget_s-error"' in bad_budget.content
    started = web.post(base + "training/", {"choice": "chosen", "time_budget_s": "5"})
    assert started.status_code == 302
    assert started["Location"].startswith("/training/")
    job_id = started["Location"].split("/")[2]
    status = web.get(f"/api/v1/training/{job_id}/status")
    assert status.status_code == 200 and status.json()["status"] == "queued"


def test_someone_elses_pipeline_is_a_404(web, penguins, client, other_user):
    base = _create(web, penguins["id"])["Location"].rsplit("preprocessing/", 1)[0]
    client.force_login(other_user)
    for step in ("setup", "preprocessing", "features", "model_selection", "training"):
        assert client.get(base + f"{step}/").status_code == 404, step
    assert client.post(base + "training/", {"choice": "auto"}).status_code == 404
    assert client.get(f"/pipelines/new/?dataset={penguins['id']}").status_code == 404
    assert client.get(base.split("wizard")[0]).status_code == 404


def test_forecasting_wizard_takes_time_column_horizon_lags_and_a_forecaster(web, api):
    series = upload_sample(api, "series_airpassengers.csv")
    res = web.post(
        "/pipelines/new/",
        {
            "dataset": series["id"],
            "name": "Passengers",
            "target_column": "passengers",
            "problem_type": "forecasting",
            "time_column": "month",
            "forecast_horizon": "12",
        },
    )
    assert res.status_code == 302
    base = res["Location"].rsplit("preprocessing/", 1)[0]
    setup = web.get(base + "setup/")
    assert b'value="12"' in setup.content and b'id="forecast-fields"' in setup.content
    bad = web.post(base + "features/", {"action": "generate", "lags": "1, two"})
    assert bad.status_code == 400 and bad.context["errors"] == {
        "lags": ["two: is not a whole number"]
    }
    made = web.post(base + "features/", {"action": "generate", "lags": "1, 12", "calendar": "on"})
    assert made.status_code == 302
    features = web.get(base + "features/")
    assert b"lag_1" in features.content and b"lag_12" in features.content
    form = web.get(base + "model_selection/")
    assert b"hp_season_length" in form.content and b"random_forest" not in form.content
    added = web.post(
        base + "model_selection/", {"algorithm": "ets", "hp_season_length": "12", "hp_model": "MAM"}
    )
    assert added.status_code == 302
    page = web.get(base + "training/")
    assert b"Only Exponential smoothing (AutoETS) with my values" in page.content


def test_a_forecasting_pipeline_offers_the_intermittent_demand_methods(web, api):
    """They are in the algorithm step, with TSB's smoothing constants checked on the server;
    the training step says the automatic choice adds them on intermittent demand."""
    series = upload_sample(api, "series_airpassengers.csv")
    res = web.post(
        "/pipelines/new/",
        {
            "dataset": series["id"],
            "name": "Passengers",
            "target_column": "passengers",
            "problem_type": "forecasting",
            "time_column": "month",
            "forecast_horizon": "12",
        },
    )
    base = res["Location"].rsplit("preprocessing/", 1)[0]
    form = web.get(base + "model_selection/").content.decode()
    for name in ("Croston (optimised)", "TSB", "ADIDA", "IMAPA", "hp_alpha_d", "hp_alpha_p"):
        assert name in form
    bad = web.post(base + "model_selection/", {"algorithm": "tsb", "hp_alpha_d": "1.5"})
    assert bad.status_code == 400 and "alpha_d" in str(bad.context["errors"])
    added = web.post(base + "model_selection/", {"algorithm": "croston"})
    assert added.status_code == 302
    page = web.get(base + "training/").content.decode()
    assert (
        "Averaged ensemble, and on intermittent demand Croston (optimised), TSB, ADIDA and IMAPA"
        in page
    )
    assert "Only Croston (optimised) with my values" in page


def test_create_without_a_problem_type_is_a_form_error_not_a_server_error(web, penguins):
    """A table gets no problem type ticked in advance; sending the form so used to fail a
    database constraint (a 500). Nothing is saved and the field says what to do."""
    res = _create(web, penguins["id"], problem_type="")
    assert res.status_code == 400
    assert res.context["errors"]["problem_type"] == [
        "Choose a problem type: classification, regression or forecasting."
    ]
    assert b"Check the field marked below." in res.content  # the message sits at its field only
    empty = _create(web, penguins["id"], target_column="", problem_type="")
    assert empty.status_code == 400
    assert empty.context["errors"]["target_column"] == ["Choose the column to predict."]
    assert b"Check the 2 fields marked below." in empty.content
    assert web.get("/pipelines/").context["page"].paginator.count == 0


def test_targets_carry_the_problem_type_they_suggest(web, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = ["day,churned,plan,spend"] + [
        f"2024-01-{i % 28 + 1:02d},{i % 2},{'ab'[i % 2]},{i * 1.5}" for i in range(40)
    ]
    ds = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("c.csv", "\n".join(rows).encode()), "name": "c"},
        format="multipart",
    ).json()
    page = web.get(f"/pipelines/new/?dataset={ds['id']}").content.decode()
    assert 'value="churned" data-suggest="classification"' in page
    assert 'value="plan" data-suggest="classification"' in page
    assert 'value="spend" data-suggest="regression"' in page
    assert 'value="day"' not in page.split('id="id_target_column"')[1].split("</select>")[0]


def _forecast(web, dataset_id: int, horizon: str, name: str = "Passengers"):
    return web.post(
        "/pipelines/new/",
        {
            "dataset": dataset_id,
            "name": name,
            "target_column": "passengers",
            "problem_type": "forecasting",
            "forecast_horizon": horizon,
        },
    )


def test_a_horizon_that_is_no_whole_positive_number_is_refused_not_defaulted(web, api):
    series = upload_sample(api, "series_airpassengers.csv")
    for typed in ("-3", "2.5", "ten", "0"):
        res = _forecast(web, series["id"], typed)
        assert res.status_code == 400, typed
        assert res.context["errors"]["forecast_horizon"] == [
            "Must be a whole number of steps between 1 and 10000."
        ], typed
        assert f'value="{typed}"'.encode() in res.content  # the form keeps what was typed
    assert web.get("/pipelines/").context["page"].paginator.count == 0


def test_a_horizon_longer_than_the_series_holds_is_saved_with_a_warning_at_setup(web, api):
    """144 monthly points: 136 steps ahead are checked in full (8 left to train on); 1000 are
    accepted too, and the form's note says that only 136 of them are checked."""
    series = upload_sample(api, "series_airpassengers.csv")
    note_url = f"/pipelines/new/{series['id']}/horizon-note/"
    in_full = web.post(note_url, {"forecast_horizon": "136"}).context["horizon_note"]
    assert "checked in full" not in in_full  # (only the season note: 8 steps left before it)
    note = web.post(note_url, {"forecast_horizon": "1000"}).context["horizon_note"]
    assert note.startswith(
        "The series holds 144 steps, so backtests can check forecasts only 136 steps ahead, "
        "not 1000"
    )
    assert _forecast(web, series["id"], "1000").status_code == 302
    assert _forecast(web, series["id"], "136").status_code == 302
    past = _forecast(web, series["id"], "10000")  # 10,000 months from 1960 run past 2262
    assert past.status_code == 400
    assert past.context["errors"]["forecast_horizon"] == [
        "A horizon of 10000 steps at frequency MS runs past 2262-04-11, the last date that can "
        "be forecast; choose a horizon of 3616 or fewer."
    ]


def test_a_second_pipeline_of_the_same_name_gets_a_number(web, penguins):
    """Sending the setup form again (the back button) must not make two look-alike pipelines."""
    first = _create(web, penguins["id"])
    again = _create(web, penguins["id"])
    third = _create(web, penguins["id"])
    assert first.status_code == again.status_code == third.status_code == 302
    listed = web.get("/pipelines/").context["page"].object_list
    names = sorted(listed.values_list("name", flat=True))
    assert names == ["Species", "Species (2)", "Species (3)"]
    long = _create(web, penguins["id"], name="x" * 200)
    longer = _create(web, penguins["id"], name="x" * 200)
    assert long.status_code == longer.status_code == 302
    assert web.get("/pipelines/").context["page"].paginator.count == 5
    too_long = _create(web, penguins["id"], name="y" * 201)
    assert too_long.status_code == 400
    assert too_long.context["errors"]["name"] == ["At most 200 characters (201 given)."]


def test_feature_selection_says_its_rule_and_can_be_undone(web, penguins):
    from pipelines.models import Pipeline

    base = _create(web, penguins["id"])["Location"].rsplit("preprocessing/", 1)[0]
    pipeline = Pipeline.objects.get(name="Species")
    page = web.post(base + "features/", {"action": "select", "method": "mutual_info"})
    assert page.status_code == 200
    pipeline.refresh_from_db()
    kept = pipeline.feature_config["selected"]
    scores = page.context["bars"]
    average = sum(b["score"] for b in scores) / len(scores)
    rule = page.content.decode().split('id="selection-rule">')[1].split("</p>")[0]
    assert rule == (
        f"Kept {len(kept)} of {len(scores)} columns: those scoring at least {average:.3f}, "
        "the average."
    )
    assert "at least the average score" in page.content.decode()  # the help says the same
    top2 = web.post(base + "features/", {"action": "select", "method": "mutual_info", "k": "2"})
    assert f"Kept 2 of {len(scores)} columns: the 2 best." in top2.content.decode()
    undone = web.post(base + "features/", {"action": "unselect"})
    assert undone.status_code == 302
    pipeline.refresh_from_db()
    assert "selected" not in pipeline.feature_config and "selection" not in pipeline.feature_config
    assert b'id="unselect"' not in web.get(base + "features/").content


def test_the_generate_form_refuses_what_the_rest_call_refuses_at_the_field_keeping_the_input(
    web, api
):
    """Lags the training step would refuse (below 1) or the series cannot support are refused
    by the wizard as by `features/generate`, each message at its field, the text as typed."""
    series = upload_sample(api, "series_airpassengers.csv")
    base = _forecast(web, series["id"], "12")["Location"].rsplit("preprocessing/", 1)[0]
    res = web.post(
        base + "features/",
        {"action": "generate", "lags": "-1, 2", "rolling_windows": "3, 1", "fourier_terms": "x"},
    )
    assert res.status_code == 400
    assert res.context["errors"] == {
        "lags": ["-1: must be at least 1"],
        "rolling_windows": ["1: must be at least 2"],
        "fourier_terms": ["is not a whole number"],
    }
    page = res.content.decode()
    assert 'value="-1, 2"' in page and 'value="3, 1"' in page and 'value="x"' in page
    assert "Check the 3 fields marked below." in page
    lags_error = page.split('id="lags-error">')[1].split("</p>")[0]
    assert lags_error.strip() == "-1: must be at least 1"
    long = web.post(base + "features/", {"action": "generate", "lags": "1, 100"})
    assert long.status_code == 400 and 'value="1, 100"' in long.content.decode()
    assert long.context["errors"]["lags"] == [
        "A lag of 100 steps is longer than this series supports: its training part has 115 "
        "steps, so lags and windows reach back at most 57 steps (half of it)."
    ]
    assert web.get(base + "features/").context["config"] == {}  # nothing was saved


def test_a_longest_dataset_name_gives_a_default_pipeline_name_that_fits(web, api):
    """A dataset named with the 200 characters allowed: "<name> model" would be 206, so the
    offered name is shortened with "…" and saves as it is offered."""
    from pipelines.services import NAME_MAX

    long_name = "Quarterly visitors " * 10 + "Quarterly1"
    series = upload_sample(api, "series_airpassengers.csv", name=long_name)
    assert len(series["name"]) == 200
    page = web.get(f"/pipelines/new/?dataset={series['id']}")
    offered = page.context["values"]["name"]
    assert len(offered) <= NAME_MAX and offered.endswith("… model")
    assert offered == ("Quarterly visitors " * 10).rstrip() + "… model"  # at a word
    res = web.post(
        "/pipelines/new/",
        {"dataset": series["id"], "name": offered, "target_column": "passengers",
         "problem_type": "forecasting"},
    )  # fmt: skip
    assert res.status_code == 302
    blank = web.post(
        "/pipelines/new/",
        {"dataset": series["id"], "name": "", "target_column": "passengers",
         "problem_type": "forecasting"},
    )  # fmt: skip
    assert blank.status_code == 302  # an emptied name takes the default again (numbered)
    names = sorted(web.get("/pipelines/").context["page"].object_list.values_list("name", flat=1))
    assert all(len(n) <= NAME_MAX for n in names) and len(names) == 2


def test_a_refused_pipeline_name_is_shown_at_the_name_field(web, penguins):
    res = _create(web, penguins["id"], name="x" * 201)
    assert res.status_code == 400
    page = res.content.decode()
    assert "Check the field marked below." in page
    error = page.split('id="name-error">')[1].split("</p>")[0]
    assert error.strip() == "At most 200 characters (201 given)."
    assert 'aria-describedby="name-error" aria-invalid="true"' in page


def test_a_series_with_one_value_column_has_it_preselected_as_a_forecasting_target(web, api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pipelines.tests.test_horizon import MONTHLY_30

    series = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile("monthly_30.csv", MONTHLY_30.encode()), "name": "m30"},
        format="multipart",
    ).json()
    page = web.get(f"/pipelines/new/?dataset={series['id']}")
    assert page.context["values"]["target_column"] == "visitors"
    assert page.context["values"]["problem_type"] == "forecasting"
    html = page.content.decode()
    assert 'value="visitors" data-suggest="forecasting" selected' in html
    assert "regression" not in html.split('id="id_target_column"')[1].split("</select>")[0]
    table = web.get(f"/pipelines/new/?dataset={upload_sample(api, 'penguins.csv')['id']}")
    assert table.context["values"]["target_column"] == ""  # several candidates: none chosen


def test_a_file_of_several_series_has_its_value_column_preselected_not_its_series_id(web, api):
    """Arrivals from four origins: `origin` names the series (listed, suggested as nothing);
    `arrivals` is the one column to forecast, so it is chosen."""
    arrivals = upload_sample(api, "series_aus_arrivals.csv")
    assert arrivals["id_column"] == "origin"
    page = web.get(f"/pipelines/new/?dataset={arrivals['id']}")
    assert page.context["values"]["target_column"] == "arrivals"
    options = page.content.decode().split('id="id_target_column"')[1].split("</select>")[0]
    assert '<option value="origin" data-suggest="">' in options
    assert 'value="arrivals" data-suggest="forecasting" selected' in options


def test_a_tables_features_step_says_its_date_columns_become_calendar_parts(web, api):
    """A table's preprocessing always splits date columns into calendar parts, so its form has
    no calendar checkbox that would do nothing; it says what happens to the dates."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = "\n".join(
        f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},{i % 7},{'yes' if i % 3 else 'no'}"
        for i in range(60)
    )
    body = {"file": SimpleUploadedFile("orders.csv", f"ordered,items,late\n{rows}\n".encode())}
    dated = api.post("/api/v1/datasets/upload", {**body, "name": "orders"}, format="multipart")
    assert dated.status_code == 201, dated.content
    assert {c["name"]: c["semantic_type"] for c in dated.json()["columns_info"]}["ordered"] == (
        "datetime"
    )
    pages = {}
    for dataset, target in (
        (dated.json(), "late"),
        (upload_sample(api, "penguins.csv"), "species"),
    ):
        base = _create(web, dataset["id"], target_column=target)["Location"]
        base = base.rsplit("preprocessing/", 1)[0]
        pages[target] = (base, web.get(base + "features/").content.decode())
    for _, html in pages.values():
        assert 'id="id_calendar"' not in html and 'id="id_interactions"' in html
    assert "Date columns (ordered) are always split into calendar parts" in pages["late"][1]
    assert "This table has no date columns" in pages["species"][1]
    base = pages["late"][0]
    assert web.post(base + "features/", {"action": "generate"}).status_code == 302
    config = api.get(f"/api/v1/pipelines/{base.split('/')[2]}").json()["feature_config"]
    assert config["calendar"] is True
    assert {f["name"] for f in config["features"] if f["kind"] == "calendar"} >= {"ordered_month"}


def test_the_algorithm_step_names_algorithms_for_the_pipelines_problem(web, penguins):
    base = _create(web, penguins["id"])["Location"].rsplit("preprocessing/", 1)[0]
    made = web.post(base + "model_selection/", {"algorithm": "linear", "search_method": "none"})
    assert made.status_code == 302, made.content
    html = web.get(base + "model_selection/").content.decode()
    summaries = re.findall(r"<summary><strong>([^<]*)</strong>", html)
    assert "Logistic regression" in summaries and "Logistic regression (SGD)" in summaries
    assert "Linear model (logistic / ridge)" not in html
    chosen = html.split('<ul class="plain">', 1)[1].split("</ul>", 1)[0]
    assert "<strong>Logistic regression</strong>" in chosen


def test_algorithm_descriptions_fit_the_pipelines_problem_type(web, penguins):
    """An algorithm that is one thing per problem type is described as that thing: logistic
    regression on a classification pipeline says nothing of ridge regression, and back."""

    def summary(problem_type: str, target: str, name: str) -> str:
        created = _create(web, penguins["id"], target_column=target, problem_type=problem_type)
        base = created["Location"].rsplit("preprocessing/", 1)[0]
        page = web.get(base + "model_selection/").content.decode()
        card = page.split(f'id="algo-{name}"', 1)[1]
        return card.split("<summary>", 1)[1].split("</summary>", 1)[0]

    logistic = summary("classification", "species", "linear")
    assert "Logistic regression" in logistic and "class probabilities" in logistic
    assert "ridge" not in logistic.lower() and "numbers" not in logistic
    ridge = summary("regression", "body_mass_g", "linear")
    assert "Ridge regression" in ridge and "Least squares" in ridge
    assert "logistic" not in ridge.lower() and "class " not in ridge
    sgd = summary("classification", "species", "sgd")
    assert "Logistic regression (SGD)</strong>" in sgd and "Logistic regression trained" in sgd
