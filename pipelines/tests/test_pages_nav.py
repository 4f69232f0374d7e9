"""Pipeline navigation and wizard wording: the Pipelines menu entry is the one highlighted on the
list and "New pipeline", a deployed pipeline says so and links its model, a series with no input
columns offers no selection, and the default preprocessing raises no warnings."""

from __future__ import annotations

import re

import pytest

from conftest import upload_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, owner):
    client.force_login(owner)
    return client


def _active_nav(html: str) -> list[str]:
    return re.findall(r'data-nav="([a-z_]+)" aria-current="page"', html)


def test_pipelines_entry_is_highlighted_on_the_list_and_new_pipeline(web):
    assert _active_nav(web.get("/pipelines/").content.decode()) == ["pipelines"]
    assert _active_nav(web.get("/pipelines/new/").content.decode()) == ["pipelines"]
    staged = web.get("/pipelines/?stage=features").content.decode()
    assert _active_nav(staged) == ["features"]
    assert 'href="/pipelines/" data-nav="pipelines"' in staged


def test_deployed_pipeline_says_deployed_and_links_its_model(web, deployed_model):
    pipeline = deployed_model.pipeline
    pipeline.status = "deployed"
    pipeline.save(update_fields=["status"])
    deployed_model.is_deployed = True
    deployed_model.save(update_fields=["is_deployed"])
    html = web.get("/pipelines/").content.decode()
    assert f'href="/models/{deployed_model.pk}/" data-deployed="1"' in html
    assert ">Continue<" not in html


def test_one_column_series_offers_no_selection_and_an_error_shows_once(web, api):
    series = upload_sample(api, "series_airpassengers.csv")
    res = web.post(
        "/pipelines/new/",
        {
            "dataset": series["id"], "name": "Passengers", "target_column": "passengers",
            "problem_type": "forecasting", "time_column": "month", "forecast_horizon": "12",
        },
    )  # fmt: skip
    base = res["Location"].rsplit("preprocessing/", 1)[0]
    page = web.get(base + "features/").content.decode()
    assert 'id="select-unavailable"' in page and 'id="select"' not in page
    assert "no columns besides its time" in page
    refused = web.post(base + "features/", {"action": "select", "method": "mutual_info"})
    assert refused.status_code == 400
    assert refused.content.decode().count("There are no feature columns") == 1


def test_default_preprocessing_raises_no_warnings(web, api):
    penguins = upload_sample(api, "penguins.csv")
    res = web.post(
        "/pipelines/new/",
        {"dataset": penguins["id"], "name": "S", "target_column": "species",
         "problem_type": "classification"},
    )  # fmt: skip
    base = res["Location"].rsplit("preprocessing/", 1)[0]
    preview = web.post(
        base + "preprocessing/preview/",
        {"missing_values_strategy": "median"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'id="prep-result"' in preview
    assert "notice warning" not in preview and "is not numeric" not in preview
    assert "kept as their own category" in preview


def test_a_refused_selection_shows_its_error_once(web, api):
    penguins = upload_sample(api, "penguins.csv")
    res = web.post(
        "/pipelines/new/",
        {"dataset": penguins["id"], "name": "S", "target_column": "species",
         "problem_type": "classification"},
    )  # fmt: skip
    base = res["Location"].rsplit("preprocessing/", 1)[0]
    refused = web.post(base + "features/", {"action": "select", "method": "zigzag"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="select-error"' in html and 'id="form-error"' not in html
