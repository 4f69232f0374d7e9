"""Dataset pages: the list, the upload page, the dataset page and its htmx partials.

Thin: each view calls the datasets services/selectors and renders a template.
"""

from __future__ import annotations

import pandas as pd
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from pandas.tseries.frequencies import to_offset

from datasets import charts, profiling, selectors, services
from datasets.models import Dataset
from datasets.semantics import boolean_number
from datasets.uploads import uploaded_file
from vur.errors import VURError
from vur.pages import error_fields, get_or_404, is_htmx

ALLOWED_EXTENSIONS = (".csv", ".xlsx", ".json", ".parquet")
PREVIEW_PAGE_SIZE = 20
STATS_PAGE_SIZE = 40  # columns (each with a chart) per statistics page
_DAY_NS = 86_400 * 10**9


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value or default), low), high)
    except ValueError:
        return default


@login_required
def dataset_list_page(request: HttpRequest) -> HttpResponse:
    """The user's datasets, newest first, 25 a page (`?q=` searches names, `?type=` picks a
    kind); each row opens the dataset page."""
    query = (request.GET.get("q") or "").strip()
    kind = request.GET.get("type") or ""
    kind = kind if kind in Dataset.Type.values else ""
    datasets = selectors.dataset_list(user=request.user, name_contains=query, dataset_type=kind)
    page = Paginator(datasets, 25).get_page(request.GET.get("page"))
    context = {"page": page, "q": query, "type": kind}
    if not (page.object_list or query or kind):  # the empty page offers the bundled samples
        context["samples"] = services.sample_entries()
    return render(request, "datasets/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def dataset_samples_page(request: HttpRequest) -> HttpResponse:
    """POST: load the bundled sample datasets for the signed-in person (the button on an empty
    Datasets page and dashboard), then show the list; repeating loads only missing ones. A GET
    shows the list."""
    if request.method == "POST":
        try:
            loaded = services.dataset_samples_load(owner=request.user)
        except VURError as err:
            messages.error(request, f"The sample datasets could not be loaded: {err.detail}")
        else:
            if loaded:
                names = ", ".join(d.name for d in loaded)
                messages.success(request, f"Loaded {len(loaded)} sample datasets: {names}.")
            else:
                messages.info(request, "You have every sample dataset already.")
    return redirect("datasets_ui:list")


def _upload_context(**extra) -> dict:
    return {
        "max_upload_mb": settings.VUR_MAX_UPLOAD_MB,
        "allowed_extensions": ALLOWED_EXTENSIONS,
        "accept": ",".join(ALLOWED_EXTENSIONS),
        "errors": {},
        "values": {},
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def dataset_upload_page(request: HttpRequest) -> HttpResponse:
    """The upload form. Script sends it to the upload API with progress; without script it
    posts here and the same service stores it."""
    if request.method == "GET":
        return render(request, "datasets/upload.html", _upload_context())
    values = {k: request.POST.get(k, "") for k in ("name", "description", "time_column")}
    try:
        upload = uploaded_file(request)  # PayloadTooLarge (413) for a file over the limit
        if upload is None:
            raise VURError("Choose a file to upload.", code="required", errors={"file": []})
        dataset = services.dataset_upload(
            owner=request.user,
            upload=upload,
            name=values["name"] or (upload.name or "").rsplit(".", 1)[0],
            description=values["description"],
            dataset_type=request.POST.get("dataset_type") or None,
            time_column=values["time_column"] or None,
        )
    except VURError as err:
        errors = error_fields(err)
        field = next(iter(errors), "file")
        errors[field] = errors.get(field) or [err.detail]
        ctx = _upload_context(errors=errors, values=values, error=err.detail)
        return render(request, "datasets/upload.html", ctx, status=err.status_code)
    messages.success(request, f"Uploaded {dataset.name}: {dataset.num_rows} rows.")
    return redirect("datasets_ui:detail", dataset_id=dataset.pk)


@login_required
def dataset_detail_page(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """One dataset: profile, preview, statistics with charts, quality report, series plot."""
    dataset = get_or_404(selectors.dataset_get, user=request.user, dataset_id=dataset_id)
    pipelines = dataset.pipelines.all()[:10]
    return render(request, "datasets/detail.html", {"dataset": dataset, "pipelines": pipelines})


@login_required
def dataset_checks_partial(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """What validation found that blocks or weakens training (htmx partial)."""
    dataset = get_or_404(selectors.dataset_get, user=request.user, dataset_id=dataset_id)
    try:
        checks = services.dataset_checks(dataset=dataset)
    except VURError as err:
        return render(request, "partials/error.html", {"message": err.detail})
    return render(request, "datasets/_checks.html", {"checks": checks})


@login_required
def dataset_preview_partial(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """One page of rows (htmx partial; a full page without htmx)."""
    dataset = get_or_404(selectors.dataset_get, user=request.user, dataset_id=dataset_id)
    size = _int(request.GET.get("page_size"), PREVIEW_PAGE_SIZE, 1, 200)
    last = max(1, -(-dataset.num_rows // size))
    page = _int(request.GET.get("page"), 1, 1, last)
    # The rows as the file has them; the column cards show the types they are read as.
    preview = services.dataset_preview(dataset=dataset, page=page, page_size=size, as_written=True)
    ctx = {"dataset": dataset, "preview": preview, "last_page": last, "page_size": size}
    ctx["start_row"] = (page - 1) * size + 1
    ctx["prev_page"] = page - 1 if page > 1 else None
    ctx["next_page"] = page + 1 if page < last else None
    template = "datasets/_preview.html" if is_htmx(request) else "datasets/preview_page.html"
    return render(request, template, ctx)


def _distribution_figure(dist: dict | None) -> dict:
    """A Plotly bar figure for one column's distribution (histogram or top values)."""
    dist = dist or {"kind": "empty"}
    layout = {"margin": {"l": 40, "r": 8, "t": 8, "b": 48}, "height": 180, "bargap": 0.05}
    if dist["kind"] == "histogram":
        edges = dist["edges"]
        labels = [f"{edges[i]} – {edges[i + 1]}" for i in range(len(edges) - 1)]
        trace = {
            "type": "bar", "x": edges[:-1], "y": dist["counts"], "text": labels,
            "hovertemplate": "%{text}<br>%{y} rows<extra></extra>", "offset": 0,
            "textposition": "none",
            "width": [_width(edges[i], edges[i + 1]) for i in range(len(edges) - 1)],
        }  # fmt: skip
        return {"data": [trace], "layout": layout}
    if dist["kind"] == "bars":
        trace = {"type": "bar", "x": [str(v) for v in dist["labels"]], "y": dist["counts"]}
        return {"data": [trace], "layout": {**layout, "xaxis": {"type": "category"}}}
    return {
        "data": [],
        "layout": {**layout, "annotations": [{"text": "no values", "showarrow": False}]},
    }


def _width(low, high):
    """Bar width of a histogram bin (milliseconds for datetime bins, as Plotly expects)."""
    if isinstance(low, str):
        from datetime import datetime

        return (datetime.fromisoformat(high) - datetime.fromisoformat(low)).total_seconds() * 1000
    return high - low


def _column_card(info: dict, stats: dict, index: int) -> dict:
    """What one column's card shows: the type it is read as (a date column read from text is
    a datetime, not `object`), a boolean's counts of each value named as the file writes it
    (`_boolean_counts`; no chart: its typed values would be labelled 0.0 and 1.0), and a chart
    unless it is an id (each value its own: a distribution says nothing)."""
    kind = info.get("semantic_type")
    card = {"info": info, "stats": stats, "index": index, "chart": kind not in ("id", "boolean")}
    card["dtype"] = "datetime" if kind == "datetime" else info.get("dtype")
    if kind == "numeric" and info.get("dtype") == "object":
        card["dtype"] = "numbers written as text"
    card["not_numbers"] = profiling.non_numeric_phrase(info)
    if kind == "boolean" and stats.get("mean") is not None:
        card["booleans"] = _boolean_counts(stats)
    if kind == "datetime":
        card["span"] = date_span(stats.get("min"), stats.get("max"), stats.get("frequency"))
    return card


def _boolean_counts(stats: dict) -> list[tuple[str, int]]:
    """A boolean column's (true, false) counts, each named by its most frequent spelling in
    the file ("1" and "0", "Yes" and "No"), as training names the classes of such a target;
    "true" and "false" when the statistics name no spelling of it."""
    true = round(stats["mean"] * stats.get("count", 0))
    names = {1.0: "true", 0.0: "false"}
    seen: set[float] = set()
    for top in stats.get("top_values") or []:  # most frequent first
        truth = boolean_number(top["value"])
        if truth in names and truth not in seen:
            names[truth] = str(top["value"])
            seen.add(truth)
    return [(names[1.0], true), (names[0.0], stats.get("count", 0) - true)]


def _sub_daily(alias: str | None) -> bool:
    """Whether a frequency alias steps by less than a day ("h", "30min"; not "D", "MS")."""
    if not alias:
        return False
    try:
        offset = to_offset(alias)
    except ValueError:
        return False
    return isinstance(offset, pd.offsets.Tick) and offset.nanos < _DAY_NS


def _time_text(stamp: pd.Timestamp) -> str:
    """The time of day of `stamp` to the minute, or to the second (and its fraction) when it
    has one, then "UTC" or its offset when the timestamp has a time zone."""
    text = stamp.strftime("%H:%M")
    fraction = f"{stamp.microsecond * 1000 + stamp.nanosecond:09d}".rstrip("0")
    if stamp.second or fraction:
        text = stamp.strftime("%H:%M:%S") + (f".{fraction}" if fraction else "")
    offset = stamp.utcoffset()
    if offset is not None:
        zone = stamp.strftime("%z")
        text += " UTC" if not offset else f" {zone[:3]}:{zone[3:]}"
    return text


def date_span(low: str | None, high: str | None, frequency: str | None) -> tuple[str, str]:
    """The first and last timestamps of a date column (ISO text from its statistics) as people
    write them: the date alone ("1959-05-01") when both are midnight and the column does not
    step by hours or minutes, else date and time ("1959-05-01 13:00"). Text that is not a
    timestamp is returned as it is ("" for none)."""
    try:
        stamps = [pd.Timestamp(v) if v else None for v in (low, high)]
    except (TypeError, ValueError):
        return (str(low or ""), str(high or ""))
    with_time = _sub_daily(frequency) or any(s is not None and s != s.normalize() for s in stamps)

    def text(stamp: pd.Timestamp | None) -> str:
        if stamp is None:
            return ""
        return f"{stamp:%Y-%m-%d} {_time_text(stamp)}" if with_time else f"{stamp:%Y-%m-%d}"

    return text(stamps[0]), text(stamps[1])


@login_required
def dataset_statistics_partial(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """Per-column statistics with a chart per column, one page of columns at a time (htmx
    partial): a 20,000-column table is read a page of columns per request."""
    dataset = get_or_404(selectors.dataset_get, user=request.user, dataset_id=dataset_id)
    page = _int(request.GET.get("page"), 1, 1, 1_000_000)
    try:
        answer = services.dataset_statistics(dataset=dataset, page=page, page_size=STATS_PAGE_SIZE)
        stats = answer["columns"]
        dists = charts.dataset_distributions(dataset=dataset, columns=list(stats))
    except VURError as err:
        return render(request, "partials/error.html", {"message": err.detail})
    columns = [
        _column_card(c, stats[c["name"]], i)
        for i, c in enumerate(dataset.columns_info)
        if c["name"] in stats
    ]
    figures = [
        {
            "id": f"dist-{col['index']}",
            "figure": _distribution_figure(dists.get(col["info"]["name"])),
        }
        for col in columns
        if col["chart"]
    ]
    ctx = {"dataset": dataset, "columns": columns, "figures": figures, "paging": answer}
    ctx["prev_page"] = page - 1 if page > 1 else None
    ctx["next_page"] = page + 1 if page < answer["num_pages"] else None
    return render(request, "datasets/_statistics.html", ctx)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def dataset_delete_page(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """Delete the dataset (and its file, and its pipelines); back to the list. A GET (a typed
    or bookmarked address) deletes nothing: it opens the dataset, whose Delete card does it."""
    dataset = get_or_404(selectors.dataset_get, user=request.user, dataset_id=dataset_id)
    if request.method != "POST":
        messages.info(request, "To delete this dataset, use the Delete button below.")
        return redirect(f"{reverse('datasets_ui:detail', args=[dataset.pk])}#delete-dataset-card")
    name = dataset.name
    try:
        services.dataset_delete(dataset=dataset)
    except VURError as exc:  # in use (a job runs, a model is deployed): say why, keep it
        messages.error(request, exc.detail)
        return redirect("datasets_ui:detail", dataset_id=dataset_id)
    messages.success(request, f"Deleted {name}.")
    return redirect("datasets_ui:list")


@login_required
@require_POST
def dataset_edit_page(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """Rename or re-describe the dataset; an empty name is refused in words."""
    dataset = get_or_404(selectors.dataset_get, user=request.user, dataset_id=dataset_id)
    name = (request.POST.get("name") or "").strip()
    if not name or len(name) > 200:
        messages.error(request, "A dataset needs a name of 1 to 200 characters.")
        return redirect("datasets_ui:detail", dataset_id=dataset.pk)
    services.dataset_update(
        dataset=dataset, name=name, description=request.POST.get("description", "")
    )
    messages.success(request, "Saved the name and description.")
    return redirect("datasets_ui:detail", dataset_id=dataset.pk)
