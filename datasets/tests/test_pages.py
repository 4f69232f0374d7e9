"""Dataset pages through Django's test client: list, upload (the no-script path), the dataset
page and its partials, and 404 for someone else's dataset."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import sample_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, owner):
    """A browser-like client signed in as `owner` (session auth)."""
    client.force_login(owner)
    return client


def _upload(web, filename: str, **fields):
    data = {"file": SimpleUploadedFile(filename, sample_path(filename).read_bytes()), **fields}
    return web.post("/datasets/upload/", data)


def test_pages_need_sign_in(client):
    for url in ("/", "/datasets/", "/datasets/upload/", "/pipelines/"):
        res = client.get(url)
        assert res.status_code == 302 and "/accounts/login/" in res["Location"], url


def test_upload_page_stores_the_file_and_opens_the_dataset(web):
    assert web.get("/datasets/upload/").status_code == 200
    res = _upload(web, "penguins.csv", name="Penguins")
    assert res.status_code == 302
    detail = web.get(res["Location"])
    assert detail.status_code == 200
    assert b"Penguins" in detail.content and b"344" in detail.content
    listing = web.get("/datasets/")
    assert res["Location"].encode() in listing.content


def test_upload_page_shows_the_servers_error_next_to_the_file(web):
    bad = SimpleUploadedFile("notes.txt", b"hello")
    res = web.post("/datasets/upload/", {"file": bad, "name": "x"})
    assert res.status_code == 400
    assert b'id="file-error"' in res.content
    assert b"Unsupported file type (.txt)" in res.content
    assert web.get("/datasets/").context["page"].paginator.count == 0


def test_dataset_partials_render_preview_statistics_and_quality(web):
    res = _upload(web, "penguins.csv", name="Penguins")
    base = res["Location"]
    preview = web.get(base + "preview/?page=2&page_size=10", HTTP_HX_REQUEST="true")
    assert preview.status_code == 200
    assert b"Page 2 of 35" in preview.content and b"<table" in preview.content
    stats = web.get(base + "statistics/", HTTP_HX_REQUEST="true")
    assert stats.status_code == 200
    assert b"bill_length_mm" in stats.content and b'data-plot="dist-' in stats.content
    quality = web.get(base + "quality/", HTTP_HX_REQUEST="true")
    assert quality.status_code == 200 and b'id="quality-score"' in quality.content


def test_the_dataset_page_says_what_validation_found(web, monkeypatch):
    from datasets import services

    months = [f"{1969 + i // 12}-{i % 12 + 1:02d}-01,{1500 + i}" for i in range(120)]
    text = "UK driver deaths, monthly\nSource: R datasets\n\nmonth,deaths\n" + "\n".join(months)
    res = web.post(
        "/datasets/upload/",
        {"file": SimpleUploadedFile("titled.csv", text.encode()), "name": "Titled"},
    )
    assert b'id="checks"' in web.get(res["Location"]).content  # loaded after the page
    checks = web.get(res["Location"] + "checks/", HTTP_HX_REQUEST="true")
    assert checks.status_code == 200
    listed = checks.content.decode().split('id="dataset-checks"', 1)[1].split("</ul>", 1)[0]
    assert "title or note lines" in listed
    clean = web.get(_upload(web, "penguins.csv")["Location"] + "checks/", HTTP_HX_REQUEST="true")
    assert b'id="dataset-checks-clean"' in clean.content
    # The whole file is read once: the next view answers from the cache.
    monkeypatch.setattr(services, "dataset_validate", lambda **kw: pytest.fail("read again"))
    again = web.get(res["Location"] + "checks/", HTTP_HX_REQUEST="true")
    assert again.content == checks.content


def test_time_series_page_plots_the_series_with_gaps_and_outliers(web):
    res = _upload(web, "series_airpassengers.csv", name="Air")
    base = res["Location"]
    page = web.get(base)
    assert b'id="series"' in page.content
    series = web.get(base + "series/", HTTP_HX_REQUEST="true")
    assert series.status_code == 200
    assert b"passengers" in series.content and b'data-plot="series-0"' in series.content


def test_someone_elses_dataset_is_a_404_page(web, client, other_user):
    res = _upload(web, "penguins.csv", name="Penguins")
    base = res["Location"]
    client.force_login(other_user)
    for suffix in ("", "preview/", "statistics/", "quality/", "series/", "checks/"):
        answer = client.get(base + suffix)
        assert answer.status_code == 404, suffix
    assert b"We couldn" in client.get(base).content
    assert client.post(base + "delete/").status_code == 404


def test_series_page_marks_missing_timestamps_and_outliers(web):
    import numpy as np
    import pandas as pd

    stamps = pd.date_range("2024-01-01", periods=120, freq="D")
    values = np.random.default_rng(0).normal(100.0, 5.0, 120)
    values[60] = 400.0  # one spike
    frame = pd.DataFrame({"day": stamps.strftime("%Y-%m-%d"), "load": values})
    frame = frame.drop(index=[30, 31, 90])  # three missing days
    upload = SimpleUploadedFile("load.csv", frame.to_csv(index=False).encode())
    res = web.post("/datasets/upload/", {"file": upload, "name": "Load"})
    assert res.status_code == 302
    series = web.get(res["Location"] + "series/", HTTP_HX_REQUEST="true")
    text = series.content.decode()
    assert "3 missing timestamps" in text
    figure = series.context["lines"][0]
    assert figure["gaps"] == ["2024-01-31T00:00:00", "2024-02-01T00:00:00", "2024-03-31T00:00:00"]
    spike = {"timestamp": "2024-03-01T00:00:00", "value": 400.0}
    assert spike in figure["outliers"] and len(figure["outliers"]) <= 3


def test_the_error_pages_are_friendly(client):
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "Something went wrong on our side" in page and "app.css" in page
    res = client.get("/no/such/page/")
    assert res.status_code == 404 and b"We couldn" in res.content


def test_list_searches_names_and_kinds_and_the_page_renames(web):
    table = _upload(web, "penguins.csv", name="Penguins")["Location"]
    _upload(web, "series_airpassengers.csv", name="Air passengers")
    found = web.get("/datasets/?q=pengu")
    assert [d.name for d in found.context["page"].object_list] == ["Penguins"]
    series = web.get("/datasets/?type=time_series")
    assert [d.name for d in series.context["page"].object_list] == ["Air passengers"]
    assert b'id="no-match"' in web.get("/datasets/?q=zebra").content
    saved = web.post(table + "edit/", {"name": "Palmer penguins", "description": "Three species"})
    assert saved.status_code == 302
    page = web.get(table)
    assert b"Palmer penguins" in page.content and b"Three species" in page.content
    refused = web.post(table + "edit/", {"name": "  "}, follow=True)
    assert b"needs a name" in refused.content
    assert b"Palmer penguins" in web.get(table).content


def test_statistics_of_a_wide_table_come_a_page_of_columns_at_a_time(web):
    import numpy as np
    import pandas as pd

    wide = pd.DataFrame(np.arange(50 * 90).reshape(50, 90), columns=[f"c{i}" for i in range(90)])
    upload = SimpleUploadedFile("wide.csv", wide.to_csv(index=False).encode())
    base = web.post("/datasets/upload/", {"file": upload, "name": "Wide"})["Location"]
    first = web.get(base + "statistics/", HTTP_HX_REQUEST="true")
    names = [c["info"]["name"] for c in first.context["columns"]]
    assert names == [f"c{i}" for i in range(40)]
    assert (
        b"Columns 1\xe2\x80\x9340 of 90." in first.content and b'id="stats-next"' in first.content
    )
    last = web.get(base + "statistics/?page=3", HTTP_HX_REQUEST="true")
    assert [c["info"]["name"] for c in last.context["columns"]] == [f"c{i}" for i in range(80, 90)]
    assert len(last.context["figures"]) == 10
    beyond = web.get(base + "statistics/?page=9", HTTP_HX_REQUEST="true")
    assert b"There is no page 9" in beyond.content


def test_rows_preview_shows_the_values_as_written_in_the_file(web):
    text = "id,age,price,const,label,city\n1,69,,7,yes,n/a\n2,78,740.50,7,no,Oslo\n"
    res = web.post(
        "/datasets/upload/",
        {"file": SimpleUploadedFile("rows.csv", text.encode()), "name": "rows"},
    )
    html = web.get(res["Location"] + "preview/", HTTP_HX_REQUEST="true").content.decode()
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", html)]
    # the row number, then the file's cells: no 69.0, 7.0, 1.0/0.0 or 740.5
    assert cells[:7] == ["1", "1", "69", "—", "7", "yes", "n/a"]
    assert cells[7:14] == ["2", "2", "78", "740.50", "7", "no", "Oslo"]


def test_column_cards_fit_each_kind_of_column(web):
    rows = "".join(
        f"{i},2024-01-{i % 28 + 1:02d},{'yes' if i % 3 else 'no'},{i * 1.5}\n" for i in range(30)
    )
    res = web.post(
        "/datasets/upload/",
        {"file": SimpleUploadedFile("kinds.csv", ("id,when,label,x\n" + rows).encode())},
    )
    page = web.get(res["Location"] + "statistics/", HTTP_HX_REQUEST="true")
    html = page.content.decode()
    cards = {
        re.search(r'<h3 id="col-\d+">(\w+)', card).group(1): card
        for card in html.split('<article class="card column-card"')[1:]
    }
    kinds = {c["info"]["name"]: c["info"]["semantic_type"] for c in page.context["columns"]}
    assert kinds == {"id": "id", "when": "datetime", "label": "boolean", "x": "numeric"}
    # a boolean: the count of each value, named as the file writes it, not empty
    # std/min/median/max
    assert (
        '<dt class="muted">yes</dt><dd>20</dd><dt class="muted">no</dt><dd>10</dd>'
        in (cards["label"])
    )
    assert "median" not in cards["label"]
    # ... and no chart, whose typed values would read 0.0 and 1.0 whatever the file wrote
    assert "data-plot" not in cards["label"] and "written" not in cards["label"]
    # an id: its distinct count and no empty "no values" chart
    assert "An identifier: 30 distinct values" in cards["id"] and "data-plot" not in cards["id"]
    assert "dist-0" not in [f["id"] for f in page.context["figures"]]
    # a date column read from text is a datetime, not object
    assert '<p class="muted">datetime · ' in cards["when"]


def test_a_0_1_column_is_counted_as_0_and_1_on_its_card_and_in_the_api(web, api):
    """A class coded 0/1 is profiled as boolean; its card and the statistics API name its
    values as the file writes them (1 and 0, as training names the classes), not true/false
    or 1.0/0.0. With a gap pandas reads the column as 1.0/0.0: still 1 and 0."""
    rows = "".join(f"{i},{'' if i == 7 else i % 3 and 1 or 0}\n" for i in range(30))
    res = web.post(
        "/datasets/upload/",
        {"file": SimpleUploadedFile("coded.csv", ("x,target\n" + rows).encode())},
    )
    page = web.get(res["Location"] + "statistics/", HTTP_HX_REQUEST="true")
    (card,) = [
        c
        for c in page.content.decode().split('<article class="card column-card"')[1:]
        if '">target <span' in c
    ]
    assert '<dt class="muted">1</dt><dd>19</dd><dt class="muted">0</dt><dd>10</dd>' in card
    assert "true" not in card and "1.0" not in card
    dataset_id = int(res["Location"].rstrip("/").rsplit("/", 1)[1])
    stats = api.get(f"/api/v1/datasets/{dataset_id}/statistics").json()["columns"]["target"]
    assert stats["semantic_type"] == "boolean"
    assert stats["top_values"] == [{"value": "1", "count": 19}, {"value": "0", "count": 10}]


def test_the_chart_library_is_local_and_does_not_hold_up_the_page(web):
    """Plotly (4.8 MB) is served from the installed wheel and loaded with `defer`: the page is
    shown while it is read, and the charts are drawn once it is (every chart script waits for
    DOMContentLoaded, which waits for deferred scripts)."""
    res = _upload(web, "penguins.csv", name="Penguins")
    page = web.get(res["Location"]).content.decode()
    (tag,) = re.findall(r"<script[^>]*plotly[^>]*>", page)
    assert 'src="/static/vendor/plotly.min.js"' in tag and " defer" in tag
    assert web.get("/static/vendor/plotly.min.js").status_code == 200


def _date_card(web, csv: str) -> tuple[str, dict]:
    """Upload `csv` (a column `when` and a number) and return the date column's card and its
    statistics from the API."""
    res = web.post("/datasets/upload/", {"file": SimpleUploadedFile("d.csv", csv.encode())})
    page = web.get(res["Location"] + "statistics/", HTTP_HX_REQUEST="true")
    (card,) = [
        c
        for c in page.content.decode().split('<article class="card column-card"')[1:]
        if '">when <span' in c
    ]
    dataset_id = int(res["Location"].rstrip("/").rsplit("/", 1)[1])
    stats = web.get(f"/api/v1/datasets/{dataset_id}/statistics").json()["columns"]["when"]
    return card, stats


def test_a_date_cards_range_is_written_as_people_write_dates(web):
    """Dates at midnight read as dates ("1959-05-01"), timestamps with a time of day as date
    and time to the minute ("1959-05-01 13:00"); the API keeps its ISO values."""
    months = "".join(f"{1959 + (4 + i) // 12}-{(4 + i) % 12 + 1:02d}-01,{i}\n" for i in range(30))
    card, stats = _date_card(web, "when,y\n" + months)
    assert '<dt class="muted">from</dt><dd>1959-05-01</dd>' in card
    assert '<dt class="muted">to</dt><dd>1961-10-01</dd>' in card
    assert "T00:00:00" not in card
    assert (stats["min"], stats["max"]) == ("1959-05-01T00:00:00", "1961-10-01T00:00:00")

    hours = "".join(f"1959-05-01 {13 + i}:00,{i}\n" for i in range(5))
    card, stats = _date_card(web, "when,y\n" + hours)
    assert '<dt class="muted">from</dt><dd>1959-05-01 13:00</dd>' in card
    assert '<dt class="muted">to</dt><dd>1959-05-01 17:00</dd>' in card
    assert (stats["min"], stats["max"]) == ("1959-05-01T13:00:00", "1959-05-01T17:00:00")

    # hourly from midnight to midnight: both ends are midnight, yet the values have hours
    hourly = "".join(f"1959-05-{1 + i // 24:02d} {i % 24:02d}:00,{i}\n" for i in range(25))
    card, _stats = _date_card(web, "when,y\n" + hourly)
    assert '<dt class="muted">from</dt><dd>1959-05-01 00:00</dd>' in card
    assert '<dt class="muted">to</dt><dd>1959-05-02 00:00</dd>' in card


def test_upload_page_refuses_a_file_over_the_limit_with_its_message_not_a_server_error(
    owner, settings
):
    """The CSRF check reads the form before the view; the no-script upload still answers the
    form with the limit's sentence (413), not a server error, and stores nothing."""
    from django.test import Client

    from datasets.models import Dataset

    settings.VUR_MAX_UPLOAD_MB = 1
    web = Client(enforce_csrf_checks=True)
    web.force_login(owner)
    web.get("/datasets/upload/")
    token = web.cookies["csrftoken"].value
    big = b"a,b\n" + b"1,2\n" * 300_000  # about 1.2 MB
    res = web.post(
        "/datasets/upload/",
        {"csrfmiddlewaretoken": token, "name": "Big", "file": SimpleUploadedFile("big.csv", big)},
    )
    assert res.status_code == 413
    assert "The file is larger than the 1 MB upload limit." in res.content.decode()
    assert not Dataset.objects.exists()
