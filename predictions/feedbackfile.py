"""Actuals from a file: the monitoring page's "Record actuals" card uploads a table of ground
truth for one model and every row is recorded, or none.

A classifier's or regressor's file has the columns `prediction_id` and `actual`; a forecaster's
`timestamp` and `actual`, plus `series_id` for a model of several series. The file (CSV, Excel,
JSON or Parquet, read by the dataset readers) is streamed and at most `MAX_ACTUAL_ROWS` rows are
read; every row is checked by the same checks as `POST /api/v1/predictions/feedback` before
anything is written, and errors name rows as a spreadsheet numbers them (the header is row 1).
"""

from __future__ import annotations

from contextlib import closing
from datetime import date, datetime
from typing import Any

import pandas as pd
from django.core.files import File

from datasets import io as dio
from modeling.models import TrainedModel
from predictions import live, services
from predictions.servedmodel import served_model_of
from vur.errors import InvalidInput, NotFound

MAX_ACTUAL_ROWS = 10_000


def _read(upload: File) -> tuple[pd.DataFrame, int]:
    """The file's rows (at most MAX_ACTUAL_ROWS, a CSV's cells as written) with column names
    trimmed and in lower case, and the row number of its first row as the person sees it."""
    fmt = services.upload_format(upload)
    try:
        upload.seek(0)
        # One chunk one row longer than allowed tells a file that is too long without reading on.
        chunks = dio.iter_chunks(upload, fmt, chunksize=MAX_ACTUAL_ROWS + 1, as_text=True)
        with closing(chunks):
            frame = next(iter(chunks), None)
    except dio.DatasetReadError as exc:
        raise InvalidInput(str(exc), code="unreadable_file") from None
    if frame is None or frame.empty:
        raise InvalidInput("The file has no rows of actuals under its header.", code="no_rows")
    if len(frame) > MAX_ACTUAL_ROWS:
        raise InvalidInput(
            f"The file has more than {MAX_ACTUAL_ROWS:,} rows; send at most {MAX_ACTUAL_ROWS:,} "
            "actuals per file (split it into several files).",
            code="too_many_rows",
        )
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame, 2 if fmt in ("csv", "xlsx") else 1


def _require_columns(frame: pd.DataFrame, needed: list[str], kind: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"The file lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}: actuals of {kind} need the columns {', '.join(needed)}.",
            code="missing_columns",
        )


def _cell(value: Any) -> Any:
    """A cell as a plain value: None for an empty one, numbers and times as Python's own."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    if name not in frame.columns:
        return [None] * len(frame)
    return [_cell(v) for v in frame[name].tolist()]


def actuals_from_file(*, user, model: TrainedModel, upload: File) -> int:
    """Record the actuals of `model` in the uploaded file, all or nothing; the number recorded.
    InvalidInput (400) naming the first few bad rows, or the file's problem; nothing is stored
    then."""
    frame, first_row = _read(upload)
    rows = [f"row {first_row + i}" for i in range(len(frame))]
    if served_model_of(model).forecaster:
        return _forecast_actuals(user, model, frame, rows)
    _require_columns(frame, ["prediction_id", "actual"], f"a {model.problem_type} model")
    items = list(zip(rows, _column(frame, "prediction_id"), _column(frame, "actual"), strict=True))
    return len(services.prediction_feedback_many(user=user, model=model, items=items))


def _forecast_actuals(user, model: TrainedModel, frame: pd.DataFrame, rows: list[str]) -> int:
    """A forecaster's rows, each checked as forecast feedback is (`live.feedback_points`, one
    row at a time so that every bad row is found); then `live.feedback_save`, the second half of
    `forecast_feedback`, stores them all in one transaction."""
    fitted = services.load_model(model)
    several = bool(getattr(fitted, "id_column", None))
    needed = ["timestamp", "actual", *(["series_id"] if several else [])]
    _require_columns(frame, needed, "a forecaster" + (" of several series" if several else ""))
    items = []
    for stamp, actual, series in zip(
        _column(frame, "timestamp"),
        _column(frame, "actual"),
        _column(frame, "series_id"),
        strict=True,
    ):
        item = {"timestamp": stamp, "actual": actual}
        if series is not None:
            item["series_id"] = series
        items.append(item)
    problems: list[tuple[str, str]] = []
    points: list[live.Point] = []
    seen: dict[tuple, str] = {}
    for where, item in zip(rows, items, strict=True):
        if item["actual"] is None:
            problems.append((where, "actual is empty"))
            continue
        try:
            (point,) = live.feedback_points(model=model, fitted=fitted, items=[item], single=True)
        except (InvalidInput, NotFound) as exc:
            problems.append((where, str(exc.detail).removeprefix("feedback: ")))
            continue
        key = (point.key, point.stamp)
        if key in seen:
            what = "this series and time" if several else "this time"
            problems.append((where, f"{what} is already on {seen[key]}"))
            continue
        seen[key] = where
        points.append(point)
    if problems:
        raise services.actuals_refused(problems)
    return len(live.feedback_save(user=user, model=model, fitted=fitted, points=points))
