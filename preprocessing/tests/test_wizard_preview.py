"""The wizard's preprocessing step says one thing at a time: shapes of the data (not of the
preview table), the gap filling a forecaster really uses, only the columns a transformation can
take, a constant column's Box-Cox refusal naming both, the quality score with its unit, and a
bad field's message once, at the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db

MONTHLY = (Path(__file__).parent / "data" / "monthly_sales.csv").read_bytes()
# id, a date, a category, a number, a constant and a yes/no label.
MESSY = "id,when,city,price,const,label\n" + "".join(
    f"{i},2024-01-{i % 28 + 1:02d},{'Oslo' if i % 3 else 'Bergen'},{100 + 7 * i % 40},7,"
    f"{'yes' if i % 2 else 'no'}\n"
    for i in range(60)
)


@pytest.fixture
def web(client, owner):
    client.force_login(owner)
    return client


def _pipeline(web, api, name: str, data: bytes, **setup) -> str:
    res = api.post(
        "/api/v1/datasets/upload",
        {"file": SimpleUploadedFile(name, data), "name": name},
        format="multipart",
    )
    assert res.status_code == 201, res.content
    made = web.post("/pipelines/new/", {"dataset": res.json()["id"], "name": name, **setup})
    assert made.status_code == 302, made.content
    return made["Location"].rsplit("preprocessing/", 1)[0]


def _series(web, api) -> str:
    return _pipeline(
        web, api, "sales.csv", MONTHLY, target_column="sales", problem_type="forecasting",
        time_column="month", forecast_horizon=6,
    )  # fmt: skip


def _table(web, api) -> str:
    return _pipeline(
        web, api, "messy.csv", MESSY.encode(), target_column="label",
        problem_type="classification",
    )  # fmt: skip


def _options(html: str, select_id: str) -> list[str]:
    select = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return [v for v in re.findall(r'<option value="([^"]*)"', select) if v]


def test_series_preview_shapes_describe_the_series_not_the_preview_table(web, api):
    base = _series(web, api)
    html = web.post(base + "preprocessing/preview/", {}, HTTP_HX_REQUEST="true").content.decode()
    shapes = re.findall(r'<span class="value">(\d+) × (\d+)</span>', html)
    assert shapes == [("96", "2"), ("96", "2")]  # was 96 × 4 after: the table's own columns
    assert "These settings change nothing in this data." in html
    differenced = web.post(
        base + "preprocessing/preview/",
        {"transform_column": "sales", "transform_type": "difference"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert re.findall(r'<span class="value">(\d+) × (\d+)</span>', differenced)[1] == ("95", "2")


def test_series_form_offers_the_gap_filling_training_does_and_only_its_target(web, api):
    html = web.get(_series(web, api) + "preprocessing/").content.decode()
    assert _options(html, "id_missing_values_strategy") == ["interpolate", "forward_fill"]
    selected = html.split('id="id_missing_values_strategy"', 1)[1].split("</select>", 1)[0]
    assert '<option value="interpolate" selected>' in selected  # was median
    assert _options(html, "tc-1") == ["sales"]  # not the time column month


def test_table_form_offers_transformations_for_numeric_feature_columns_only(web, api):
    html = web.get(_table(web, api) + "preprocessing/").content.decode()
    assert _options(html, "tc-1") == ["price", "const"]  # no id, when, city or label


def test_box_cox_on_a_constant_column_names_the_column_and_the_transform(web, api):
    base = _table(web, api)
    html = web.post(
        base + "preprocessing/preview/",
        {"transform_column": "const", "transform_type": "box_cox"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Data must not be constant" not in html
    field = html.split('id="transformations-error"', 1)[1].split("</p>", 1)[0]
    assert "Box-Cox cannot transform &#x27;const&#x27;: its training values are all 7" in field
    dataset_id = web.get(base + "preprocessing/").context["pipeline"].dataset_id
    res = api.post(
        "/api/v1/preprocessing/transformations",
        {"dataset_id": dataset_id, "transformations": [{"column": "const", "type": "box_cox"}]},
        format="json",
    )
    assert res.status_code == 400
    assert res.json()["detail"].startswith("Box-Cox cannot transform 'const'")


def test_quality_change_is_shown_as_the_score_before_and_after(web, api):
    html = web.post(
        _table(web, api) + "preprocessing/preview/", {}, HTTP_HX_REQUEST="true"
    ).content.decode()
    quality = html.split('id="prep-quality"', 1)[1].split("</div>", 1)[0]
    assert re.search(r"\d+% → \d+%</span><span class=\"label\">data-quality score", quality)
    assert "quality points" not in html and 'id="prep-quality-help"' in html


def test_a_bad_threshold_is_shown_once_at_its_field(web, api):
    base = _table(web, api)
    page = web.post(base + "preprocessing/", {"outlier_threshold": "-4"})
    html = page.content.decode()
    assert page.status_code == 400
    assert html.count("must be a positive number") == 1
    assert 'id="form-error"' not in html  # no banner repeating it
    field = html.split('id="outlier_threshold-error"', 1)[1].split("</p>", 1)[0]
    assert "must be a positive number" in field
    preview = web.post(
        base + "preprocessing/preview/", {"outlier_threshold": "-4"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert preview.count("must be a positive number") == 1
    assert 'id="outlier_threshold-error" hx-swap-oob="true"' in preview


def test_series_form_offers_only_what_a_series_forecaster_does_in_its_words(web, api):
    """No per-column outlier method, scaling or category encoding for one series; the outlier
    choices say what the forecaster does (against trend and season, training history only) and
    the preview's steps say the same, in the threshold's unit (robust z)."""
    base = _series(web, api)
    html = web.get(base + "preprocessing/").content.decode()
    selects = re.findall(r'<select name="([a-z_]+)" id="id_', html)
    assert selects == ["missing_values_strategy", "outlier_treatment"]
    for absent in ("outlier_detection_method", "scaling_method", "categorical_encoding"):
        assert f'id="id_{absent}"' not in html, absent
    assert _options(html, "id_outlier_treatment") == ["none", "cap", "remove"]
    treatment = html.split('id="id_outlier_treatment"', 1)[1].split("</select>", 1)[0]
    assert "in the training history only" in treatment and "prediction" not in treatment
    assert "robust z" in html.split('id="threshold-help">', 1)[1].split("</p>", 1)[0]
    assert "IQR" not in html and "Isolation Forest" not in html
    preview = web.post(
        base + "preprocessing/preview/",
        {"missing_values_strategy": "interpolate", "outlier_treatment": "cap"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    steps = preview.split('id="prep-steps"', 1)[1]
    assert (
        "<td>Points far from the trend and seasonal pattern (robust z above 4) are capped at it, "
        "in the training history only.</td><td>training only</td>" in steps
    )
    saved = web.post(base + "preprocessing/", {"outlier_treatment": "cap"})
    assert saved.status_code == 302
    from preprocessing.builder import series_preparation

    pipeline = web.get(base + "preprocessing/").context["pipeline"]
    assert series_preparation(pipeline.preprocessing_config)["outlier_treatment"] == "cap"


@pytest.mark.parametrize("kind", ["series", "table"])
def test_every_message_the_preview_swaps_in_has_its_place_on_the_page(web, api, kind):
    """The preview answers each field's message out of band, into `<key>-error`: a series
    page has no outlier-method, scaling or encoding field, and htmx logged an error in the
    browser console for each of those three on every preview of a series pipeline."""
    base = _series(web, api) if kind == "series" else _table(web, api)
    page = web.get(base + "preprocessing/").content.decode()
    ids_on_page = set(re.findall(r'id="([^"]+)"', page))
    for body in ({}, {"outlier_threshold": "-4"}):
        preview = web.post(base + "preprocessing/preview/", body, HTTP_HX_REQUEST="true")
        swapped = re.findall(r'id="([^"]+)" hx-swap-oob="true"', preview.content.decode())
        assert "outlier_threshold-error" in swapped
        assert set(swapped) <= ids_on_page, set(swapped) - ids_on_page


def test_a_class_target_coded_0_1_is_shown_as_0_and_1_not_as_floats(web, api):
    """A 0/1 class target (profiled as boolean) keeps its labels in the preview's rows, as
    training reads them: 0 and 1 on the page and in the API's answer, never 0.0 and 1.0."""
    data = "a,b,target\n" + "".join(f"{i},{(i * 7) % 13},{i % 2}\n" for i in range(40))
    base = _pipeline(
        web, api, "coded.csv", data.encode(), target_column="target",
        problem_type="classification",
    )  # fmt: skip
    html = web.post(base + "preprocessing/preview/", {}, HTTP_HX_REQUEST="true").content.decode()
    table = html.split('<table class="preview">', 1)[1].split("</table>", 1)[0]
    last_cells = re.findall(r"<td>([^<]*)</td></tr>", table)
    assert last_cells and set(last_cells) == {"0", "1"}
    pipeline_id = web.get(base + "preprocessing/").context["pipeline"].pk
    res = api.post(
        "/api/v1/preprocessing/apply", {"pipeline_id": pipeline_id, "config": {}}, format="json"
    )
    assert res.status_code == 200, res.json()
    preview = res.json()["preview"]
    column = preview["columns"].index("target")
    labels = [row[column] for row in preview["rows"]]
    assert set(labels) == {0, 1} and all(type(v) is int for v in labels)
