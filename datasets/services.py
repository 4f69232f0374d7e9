"""Dataset work: upload (stream, parse, profile, store), reading frames back, preview, deletion."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import IO, Any

import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from datasets import io as dio
from datasets import profiling
from datasets.jsonsafe import json_safe
from datasets.models import Dataset
from datasets.signals import Cleanup, dataset_checking, dataset_deleting
from vur.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, VURError, in_use

logger = logging.getLogger(__name__)

# Rows per chunk when statistics and validation stream a stored file (a test makes it small).
STREAM_CHUNK_ROWS = 50_000


def max_upload_bytes() -> int:
    """The upload size limit in bytes (`VUR_MAX_UPLOAD_MB`)."""
    return int(settings.VUR_MAX_UPLOAD_MB) * 1024 * 1024


def read_limits() -> dio.ReadLimits:
    """The limits an uploaded file must keep (`VUR_MAX_COLUMNS`, `VUR_MAX_LINE_BYTES`, ...)."""
    return dio.ReadLimits(
        max_columns=int(settings.VUR_MAX_COLUMNS),
        max_line_bytes=int(settings.VUR_MAX_LINE_BYTES),
        max_cell_bytes=int(settings.VUR_MAX_CELL_BYTES),
        max_zip_ratio=float(settings.VUR_MAX_COMPRESSION_RATIO),
        max_unzipped_bytes=int(settings.VUR_MAX_UNPACKED_MB) * 1024 * 1024,
    )


_TOO_LARGE_CODES = ("unpacked_too_large", "compression_ratio", "too_many_parts")


def _read_error(exc: dio.DatasetReadError) -> InvalidInput | PayloadTooLarge:
    """The API error for a file that cannot be read: 413 for bombs, 400 otherwise."""
    if exc.code in _TOO_LARGE_CODES:
        return PayloadTooLarge(str(exc), code=exc.code)
    return InvalidInput(str(exc), code=exc.code)


def _width_checked(chunks: Iterator[pd.DataFrame], limits: dio.ReadLimits):
    for chunk in chunks:
        dio.check_width(chunk, limits)
        yield chunk


def _readable(upload: File) -> Any:
    """A path when the upload sits in a temp file (streamed to disk), else the file object."""
    path = getattr(upload, "temporary_file_path", None)
    if path:
        return path()
    upload.seek(0)
    return getattr(upload, "file", None) or upload


def _could_number_series(col: dict[str, Any], rows: int) -> bool:
    """Whether a numeric column may be the id that splits a table into series (store 1, 2...):
    whole numbers in its sample and at most one distinct value per two rows, as the id
    detection (`datasets.timeseries`) asks. Such columns are read in full for it."""
    if col.get("semantic_type") != "numeric":
        return False
    unique = col.get("unique_count")
    if not isinstance(unique, int) or unique < 2 or unique > rows / 2:
        return False
    sample = col.get("sample_values") or []
    return all(
        isinstance(v, (int, float)) and float(v).is_integer() for v in sample if v is not None
    )


def _profile_upload(source: Any, fmt: str, time_column: str | None) -> dict[str, Any]:
    """Parse and profile an uploaded file chunk by chunk; detect time-series facts.

    The file is first judged against the read limits by streaming, so a bomb never reaches a
    parser.
    """
    limits = read_limits()
    try:
        dio.check_limits(source, fmt, limits)
        if hasattr(source, "seek"):
            source.seek(0)
        profile = profiling.profile_chunks(_width_checked(dio.iter_chunks(source, fmt), limits))
        profile["columns_info"] = profiling.with_file_decimal(
            profile["columns_info"], dio.file_decimal(source, fmt)
        )
        textual = [c["name"] for c in profiling.text_number_columns(profile["columns_info"])]
        if textual and hasattr(source, "seek"):
            source.seek(0)
        chunks = dio.iter_chunks(source, fmt, usecols=textual) if textual else iter(())
        profile["columns_info"] = profiling.count_non_numeric(chunks, profile["columns_info"])
    except dio.DatasetReadError as exc:
        raise _read_error(exc) from None
    except VURError:
        raise
    except Exception as exc:  # a profiling bug answers a clear 400, never a 500
        logger.exception("Profiling an uploaded %s file failed.", fmt)
        raise InvalidInput(
            f"The file could not be profiled ({type(exc).__name__}); check its format and "
            "contents, or report this file.",
            code="profiling_failed",
        ) from None
    if not profile.get("num_rows") or not profile.get("columns_info"):
        raise InvalidInput("The file has no data rows.", code="empty_file")
    info = profile["columns_info"]
    names = [c["name"] for c in info]
    if time_column and time_column not in names:
        raise InvalidInput(
            f"time_column '{time_column}' is not a column of the file.", code="unknown_column"
        )
    if time_column:
        for col in info:
            if col["name"] == time_column:
                col["semantic_type"] = "datetime"
    # Only the columns time-series detection needs are read in full.
    wanted = [
        c["name"]
        for c in info
        if c["semantic_type"] in ("datetime", "categorical", "id")
        or c["name"] == time_column
        or _could_number_series(c, int(profile["num_rows"]))
    ]
    series: dict[str, Any] = {"is_time_series": False}
    if any(c["semantic_type"] == "datetime" for c in info):
        if hasattr(source, "seek"):
            source.seek(0)
        try:
            frame = dio.read_frame(source, fmt, usecols=wanted)
        except dio.DatasetReadError as exc:
            raise _read_error(exc) from None
        if time_column:
            spec = next(c.get("parse") for c in info if c["name"] == time_column)
            _check_time_column(frame[time_column], spec, time_column)
        series = _series_or_none(frame, [c for c in info if c["name"] in wanted], time_column)
        if time_column and series.get("time_column") != time_column:
            series["time_column"] = time_column
    profile["series"] = series
    return profile


# Below this share of readable values a named time column is refused, not trained on in part.
_MIN_READABLE_TIME_SHARE = 0.5


def _check_time_column(values: pd.Series, spec: dict[str, Any] | None, name: str) -> None:
    """InvalidInput (400) when the named time column holds values outside the timestamp range,
    or mostly values that do not read as dates; a few unreadable ones are left to validation."""
    reading = profiling.read_time_values(values, spec)
    if reading.out_of_range:
        raise InvalidInput(
            f"Column '{name}' has {reading.out_of_range} of {reading.present} value(s) outside "
            f"the dates VUR can hold (1677-09-22 to 2262-04-11, so years {profiling.FIRST_YEAR} "
            f"to {profiling.LAST_YEAR}), such as '{reading.example}'; remove or shift them "
            "before uploading.",
            code="dates_out_of_range",
        )
    if not reading.present:
        raise InvalidInput(
            f"The time column '{name}' is empty; it needs dates.", code="unreadable_time_column"
        )
    if reading.read >= _MIN_READABLE_TIME_SHARE * reading.present:
        return
    unread = reading.present - reading.read
    if reading.numbers >= unread / 2:
        raise InvalidInput(
            f"The time column '{name}' holds numbers such as '{reading.example}', not dates: "
            "VUR reads a number as a date only when it is a year (such as 1998), so convert "
            "counters and epoch timestamps to dates (such as 2024-01-31 10:00) first.",
            code="unreadable_time_column",
        )
    raise InvalidInput(
        f"The time column '{name}' holds no readable dates ({unread} of {reading.present} "
        f"values are not dates, such as '{reading.example}'); write them like 2024-01-31, "
        "2024-01, 1998 or 1998-Q1.",
        code="unreadable_time_column",
    )


def _check_dates_in_range(values: pd.Series, name: str) -> None:
    """InvalidInput (400) when column `name` holds dates pandas' timestamps cannot represent."""
    example = profiling.dates_out_of_range(values)
    if example is not None:
        raise InvalidInput(
            f"Column '{name}' has dates outside the range timestamps can hold ('{example}'); "
            "dates must lie between 1677-09-22 and 2262-04-11.",
            code="dates_out_of_range",
        )


def _series_or_none(
    frame: pd.DataFrame, info: list[dict[str, Any]], time_column: str | None
) -> dict[str, Any]:
    """Time-series facts of `frame` (raw values); an unexpected failure leaves them out (logged),
    or answers 400 when the user named the time column."""
    try:
        typed = profiling.coerce_types(frame, info)
        return profiling.detect_time_series(typed, info)
    except VURError:
        raise
    except Exception as exc:
        logger.exception("Time-series detection failed on an upload.")
        if time_column:
            raise InvalidInput(
                f"The time column '{time_column}' could not be analysed "
                f"({type(exc).__name__}); check its values.",
                code="profiling_failed",
            ) from None
        return {"is_time_series": False}


def dataset_upload(
    *,
    owner,
    upload: File,
    name: str,
    description: str = "",
    dataset_type: str | None = None,
    time_column: str | None = None,
) -> Dataset:
    """Parse, profile and store an uploaded file as a new Dataset.

    Atomic: on any error nothing is stored (no row, no file). Not idempotent: each call makes
    a new dataset.
    """
    try:
        fmt = dio.detect_format(upload.name or "")
    except dio.DatasetReadError as exc:
        raise InvalidInput(str(exc), code="unsupported_format") from None
    if upload.size is not None and upload.size > max_upload_bytes():
        raise PayloadTooLarge(
            f"The file is larger than the {settings.VUR_MAX_UPLOAD_MB} MB upload limit."
        )
    if not upload.size:
        raise InvalidInput("The file is empty.", code="empty_file")
    profile = _profile_upload(_readable(upload), fmt, time_column)
    series = profile["series"]
    detected_type = "time_series" if series.get("is_time_series") else "tabular"
    if dataset_type == "time_series" and not (series.get("time_column") or time_column):
        for col in profile["columns_info"]:  # a date column pandas could not read: say so
            _check_dates_in_range(pd.Series(col.get("sample_values") or []), col["name"])
        raise InvalidInput(
            "dataset_type is time_series but the file has no datetime column.",
            code="no_datetime_column",
        )
    dataset = Dataset(
        owner=owner,
        name=name,
        description=description or "",
        dataset_type=dataset_type or detected_type,
        filename=(upload.name or "").rsplit("/", 1)[-1],
        file_format=fmt,
        size_bytes=upload.size,
        num_rows=profile["num_rows"],
        num_columns=profile["num_columns"],
        columns_info=profile["columns_info"],
        time_column=series.get("time_column") or time_column or "",
        frequency=series.get("frequency") or "",
        id_column=series.get("id_column") or "",
        series_info=series,
    )
    upload.seek(0)
    dataset.file.save(dataset.filename, upload, save=False)
    try:
        with transaction.atomic():
            dataset.save()
    except Exception:
        dataset.file.delete(save=False)
        raise
    return dataset


# The bundled sample datasets: `make run`'s demo user gets them, and anyone can load them.
SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"
SAMPLE_MANIFESTS = ("manifest.json", "series_manifest.json")


def sample_entries() -> list[dict[str, Any]]:
    """Every bundled sample with its name, description and file, tables first, then series."""
    entries: list[dict[str, Any]] = []
    for manifest in SAMPLE_MANIFESTS:
        path = SAMPLE_DIR / manifest
        if path.exists():
            entries.extend(json.loads(path.read_text()))
    return entries


def sample_name(entry: dict[str, Any]) -> str:
    """The name a sample dataset is stored under."""
    return entry.get("name") or entry["file"]


def dataset_samples_load(*, owner) -> list[Dataset]:
    """Upload the bundled sample datasets for `owner` (each as `dataset_upload` does, owned by
    them) and return the new ones. Safe to repeat: a sample they already have a dataset of that
    name for is skipped, so a second call loads nothing, and two calls at once load each sample
    once (each sample's check and upload hold a lock on the owner's row)."""
    loaded: list[Dataset] = []
    for entry in sample_entries():
        name = sample_name(entry)
        with transaction.atomic():
            list(get_user_model().objects.select_for_update().filter(pk=owner.pk).values("pk"))
            if Dataset.objects.filter(owner=owner, name=name).exists():
                continue
            with open(SAMPLE_DIR / entry["file"], "rb") as fh:
                dataset = dataset_upload(
                    owner=owner,
                    upload=File(fh, name=entry["file"]),
                    name=name,
                    description=entry.get("description", ""),
                    dataset_type=entry.get("dataset_type"),
                    time_column=entry.get("time_column"),
                )
        loaded.append(dataset)
    return loaded


def dataset_update(*, dataset: Dataset, **fields: Any) -> Dataset:
    """Rename or re-describe a dataset. Safe to repeat."""
    for key in ("name", "description"):
        if key in fields and fields[key] is not None:
            setattr(dataset, key, fields[key])
    dataset.save(update_fields=["name", "description", "updated_at"])
    return dataset


def dataset_delete(*, dataset: Dataset) -> None:
    """Delete a dataset with what was built on it (pipelines, their jobs and models) and, once
    the deletion commits, every stored file of theirs (dataset file, model artifacts and cards,
    batch inputs and results).

    Conflict (409, `dataset_in_use`) while a training or batch job runs on it or one of its
    models is deployed; nothing changes then. A repeat after success is a 404 at the view.
    """
    cleanup = Cleanup(files=[dataset.file.name] if dataset.file.name else [])
    with transaction.atomic():
        # Serialises two deletes of the same dataset; the later one finds nothing to delete.
        if not Dataset.objects.select_for_update().filter(pk=dataset.pk).exists():
            return
        dataset_deleting.send(sender=Dataset, dataset=dataset, cleanup=cleanup)
        if cleanup.blockers:
            raise _dataset_in_use(cleanup.blockers)
        dataset.delete()
        transaction.on_commit(partial(storage_delete_files, list(cleanup.files)))


def _dataset_in_use(blockers: list[str]) -> Conflict:
    return in_use(
        "The dataset",
        blockers,
        "Cancel its jobs and undeploy its models, then delete it.",
        "dataset_in_use",
    )


def dataset_delete_blockers(*, dataset: Dataset) -> list[str]:
    """Why `dataset` cannot be deleted now (running jobs, deployed models); [] when it can.
    Reads only (the admin's confirmation page shows these)."""
    cleanup = Cleanup()
    dataset_deleting.send(sender=Dataset, dataset=dataset, cleanup=cleanup)
    return cleanup.blockers


def dataset_delete_refusal(*, dataset: Dataset) -> str:
    """The sentence `dataset_delete` would refuse with now; "" when the dataset may go."""
    blockers = dataset_delete_blockers(dataset=dataset)
    return _dataset_in_use(blockers).detail if blockers else ""


def storage_delete_files(names: list[str]) -> None:
    """Remove stored files by name (any Django storage), then their folders once empty. Safe to
    repeat: missing files are skipped; a failing delete is logged and the rest go on."""
    folders: set[str] = set()
    for name in dict.fromkeys(n for n in names if n):
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("Stored file %s could not be deleted.", name)
        folders.add(name.rsplit("/", 1)[0] if "/" in name else "")
    for folder in sorted(folders, key=len, reverse=True):
        _remove_empty_folder(folder)


def _remove_empty_folder(folder: str) -> None:
    """Remove a now-empty local folder (object stores have no folders to remove)."""
    if not folder:
        return
    try:
        path = default_storage.path(folder)
    except NotImplementedError:
        return
    with suppress(OSError):  # not empty, or already gone
        os.rmdir(path)


def dataset_file_missing(dataset: Dataset) -> Conflict:
    """The 409 (`dataset_file_missing`) for a dataset whose stored file is gone from storage."""
    return Conflict(
        f"The stored file of dataset '{dataset.name}' is missing: its data is no longer there. "
        "Restore the file or upload it again.",
        code="dataset_file_missing",
    )


def dataset_file_check(dataset: Dataset) -> None:
    """Refuse (409, `dataset_file_missing`) work on a dataset whose stored file is gone from
    storage, before anything is created for it (reading it later would fail the same way)."""
    name = dataset.file.name or ""
    if not name or not dataset.file.storage.exists(name):
        raise dataset_file_missing(dataset)


@contextmanager
def dataset_open(dataset: Dataset) -> Iterator[IO[bytes]]:
    """Open the stored file of `dataset` for reading (works with any Django storage).
    Conflict (409, `dataset_file_missing`) when the file is gone from storage."""
    try:
        fh = dataset.file.storage.open(dataset.file.name or "", "rb")
    except FileNotFoundError:
        raise dataset_file_missing(dataset) from None
    with fh:
        yield fh


def dataset_frame(
    dataset: Dataset,
    *,
    nrows: int | None = None,
    usecols: list[str] | None = None,
    keep_raw: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The dataset as a DataFrame with its profiled types applied (all rows unless `nrows`).

    Columns in `keep_raw` keep the values as read (a class target keeps its labels as in the file).
    """
    with dataset_open(dataset) as fh:
        try:
            frame = dio.read_frame(fh, dataset.file_format, nrows=nrows, usecols=usecols)
        except dio.DatasetReadError as exc:
            raise InvalidInput(str(exc), code="unreadable_file") from None
    info = [
        c
        for c in dataset.columns_info
        if (usecols is None or c["name"] in usecols) and c["name"] not in keep_raw
    ]
    return profiling.coerce_types(frame, info)


def dataset_iter_chunks(
    dataset: Dataset,
    *,
    chunksize: int = 50_000,
    usecols: list[str] | None = None,
    keep_raw: tuple[str, ...] = (),
) -> Iterator[pd.DataFrame]:
    """Stream the dataset in typed chunks, never holding the whole file; columns in `keep_raw`
    keep the values as read."""
    info = [
        c
        for c in dataset.columns_info
        if (usecols is None or c["name"] in usecols) and c["name"] not in keep_raw
    ]
    with dataset_open(dataset) as fh:
        for chunk in dio.iter_chunks(fh, dataset.file_format, chunksize=chunksize, usecols=usecols):
            yield profiling.coerce_types(chunk, info)


def _raw_chunks(
    dataset: Dataset,
    *,
    usecols: list[str] | None = None,
    chunksize: int | None = None,
    as_text: bool = False,
) -> Iterator[pd.DataFrame]:
    """Stream the stored file as read (untyped; with `as_text` a CSV's cells as written),
    `STREAM_CHUNK_ROWS` rows at a time."""
    rows = chunksize or STREAM_CHUNK_ROWS
    with dataset_open(dataset) as fh:
        yield from dio.iter_chunks(
            fh, dataset.file_format, chunksize=rows, usecols=usecols, as_text=as_text
        )


def dataset_export(*, dataset: Dataset) -> tuple[Iterator[bytes] | IO[bytes], bool]:
    """The stored file for download: the original bytes, unless it is a CSV or XLSX holding a
    cell a spreadsheet would run as a formula; then a copy with those cells prefixed by '.

    Returns (a file object or a stream of bytes, whether it was neutralised). Reads only.
    """
    try:
        with dataset_open(dataset) as fh:
            risky = dio.export_needs_neutralizing(fh, dataset.file_format)
    except dio.DatasetReadError as exc:
        raise _read_error(exc) from None
    if not risky:
        return dataset.file.storage.open(dataset.file.name or "", "rb"), False
    if dataset.file_format == "csv":

        def stream() -> Iterator[bytes]:
            with dataset_open(dataset) as fh:
                yield from dio.export_neutralized_csv(fh)

        return stream(), True
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 - returned
    with dataset_open(dataset) as fh:
        dio.export_neutralized_xlsx(fh, out)
    out.seek(0)
    return out, True


def frame_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """Rows of `frame` as JSON-safe lists (NaN -> None, timestamps -> ISO strings)."""
    return [[json_safe(v) for v in row] for row in frame.itertuples(index=False, name=None)]


def _truncate_cells(rows: list[list[Any]], limit: int) -> list[list[int]]:
    """Cut text cells longer than `limit` characters to `limit` + "…"; their [row, column]."""
    cut: list[list[int]] = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str) and len(value) > limit:
                row[c] = value[:limit] + "\u2026"
                cut.append([r, c])
    return cut


def dataset_preview(
    *,
    dataset: Dataset,
    page: int,
    page_size: int,
    column_page: int = 1,
    column_page_size: int | None = None,
    as_written: bool = False,
) -> dict[str, Any]:
    """One page of rows (and of columns, for a wide table), read by streaming up to that page;
    long text cells are cut visibly. The values are typed by the dataset's profile, or with
    `as_written` the file's own (a CSV's cells as their text: 69 stays 69, not 69.0, and yes
    stays yes), as the dataset page shows them.

    `truncated` says whether any cell was cut and `truncated_cells` lists them as [row, column].
    """
    info, meta = _column_page(
        dataset, column_page, column_page_size or int(settings.VUR_COLUMN_PAGE_SIZE)
    )
    names = [c["name"] for c in info]
    usecols = names if meta["num_pages"] > 1 else None
    start = (page - 1) * page_size
    rows: list[list[Any]] = []
    seen = 0
    chunksize = max(page_size, 10_000)
    if as_written:
        chunks = _raw_chunks(dataset, usecols=usecols, chunksize=chunksize, as_text=True)
    else:
        chunks = dataset_iter_chunks(dataset, chunksize=chunksize, usecols=usecols)
    for chunk in chunks:
        end = seen + len(chunk)
        if end > start:
            part = chunk.iloc[max(0, start - seen) : start - seen + page_size]
            rows.extend(frame_rows(part))
            if len(rows) >= page_size:
                break
        seen = end
    rows = rows[:page_size]
    cut = _truncate_cells(rows, int(settings.VUR_PREVIEW_CELL_CHARS))
    return {
        "columns": names,
        "rows": rows,
        "page": page,
        "page_size": page_size,
        "total_rows": dataset.num_rows,
        "total_columns": meta["total_columns"],
        "column_page": meta["page"],
        "column_page_size": meta["page_size"],
        "column_pages": meta["num_pages"],
        "truncated": bool(cut),
        "truncated_cells": cut,
        "cell_limit": int(settings.VUR_PREVIEW_CELL_CHARS),
    }


def _column_page(dataset: Dataset, page: int, page_size: int) -> tuple[list[dict], dict[str, Any]]:
    """The columns_info of one page of columns, and the paging facts for the answer."""
    info = dataset.columns_info
    total = len(info)
    pages = max(1, -(-total // page_size))
    if page > pages:
        raise NotFound(f"There is no page {page}; the columns fill {pages}.", code="no_such_page")
    start = (page - 1) * page_size
    meta = {"page": page, "page_size": page_size, "total_columns": total, "num_pages": pages}
    return info[start : start + page_size], meta


def _usecols(dataset: Dataset, names: list[str]) -> list[str]:
    extra = [c for c in (dataset.time_column, dataset.id_column) if c and c not in names]
    return [c for c in dataset.column_names if c in set(names) | set(extra)]


CHECKS_CACHE_S = 7 * 24 * 3600  # a stored file never changes; its checks are kept a week


def dataset_checks(*, dataset: Dataset) -> dict[str, Any]:
    """`dataset_validate` of the whole file, computed once and kept in the shared cache (it
    streams every row: seconds for a large file, paid by the first page view only)."""
    # The stored file's key is unique per upload (a random folder), so a reused id never
    # finds another file's checks.
    stamp = f"{dataset.file.name}:{dataset.size_bytes}:{dataset.time_column}"
    key = f"vur:dataset-checks:{dataset.pk}:{hashlib.sha256(stamp.encode()).hexdigest()[:24]}"
    try:
        found = cache.get(key)
    except Exception:  # the cache is a shortcut: without Redis the checks are computed
        logger.warning("dataset checks: the cache is unreachable", exc_info=True)
        found = None
    if found is None:
        found = _file_checks(dataset=dataset)
        try:
            cache.set(key, found, CHECKS_CACHE_S)
        except Exception:
            logger.warning("dataset checks: the cache is unreachable", exc_info=True)
    return _with_stage_checks(dataset, found)


def _with_stage_checks(dataset: Dataset, found: dict[str, Any]) -> dict[str, Any]:
    """`found` with the warnings the later stages add (`signals.dataset_checking`, such as a
    forecasting run on a series too short for its season), computed afresh each time."""
    extra: list[str] = []
    dataset_checking.send(sender=Dataset, dataset=dataset, warnings=extra)
    return {**found, "warnings": [*found.get("warnings", []), *extra]}


def dataset_validate(
    *, dataset: Dataset, page: int = 1, page_size: int | None = None
) -> dict[str, Any]:
    """Check the dataset for problems that block or weaken training; report detected facts.

    Column checks cover one page of columns (all of them when they fit one page), read with
    only those columns; every check streams the file in chunks, never holding it whole. The
    later stages' warnings (`signals.dataset_checking`) are added on every page.
    """
    found = _file_checks(dataset=dataset, page=page, page_size=page_size)
    return _with_stage_checks(dataset, found)


def _file_checks(
    *, dataset: Dataset, page: int = 1, page_size: int | None = None
) -> dict[str, Any]:
    """The checks of the stored file (one page of columns): errors, warnings, detected facts."""
    size = page_size or int(settings.VUR_COLUMN_PAGE_SIZE)
    info, meta = _column_page(dataset, page, size)
    paged = meta["num_pages"] > 1
    wanted = [c["name"] for c in info]
    try:
        result = profiling.validate_chunks(
            _raw_chunks(dataset, usecols=_usecols(dataset, wanted) if paged else None),
            dataset.columns_info,
            time_column=dataset.time_column or None,
            whole_table=not paged,
        )
        # Every column of a wide table: fewer rows per chunk.
        whole_rows = _raw_chunks(dataset, chunksize=min(20_000, STREAM_CHUNK_ROWS))
        duplicated = profiling.count_duplicate_rows(whole_rows) if paged else 0
    except dio.DatasetReadError as exc:
        raise _read_error(exc) from None
    if paged:
        if duplicated:
            result["warnings"].append(
                f"{duplicated} row(s) are exact duplicates of an earlier row."
            )
        rows = dataset.num_rows
        unusable = [
            c
            for c in dataset.columns_info
            if c["semantic_type"] == "id"
            or (rows and c.get("null_count", 0) >= rows)
            or (rows > 1 and c.get("unique_count", 2) == 1)
        ]
        if rows and len(unusable) == len(dataset.columns_info):
            result["errors"].append(
                "No usable columns: every column is empty, constant or an identifier."
            )
        result["valid"] = not result["errors"]
    series = dataset.series_info or {}
    result.setdefault("detected", {})
    result["detected"].setdefault("time_column", dataset.time_column or None)
    result["detected"].setdefault("frequency", dataset.frequency or None)
    result["detected"]["id_column"] = dataset.id_column or None
    result["detected"]["series"] = series
    result["columns"] = {**meta, "names": wanted}
    return result


def dataset_statistics(
    *, dataset: Dataset, page: int = 1, page_size: int | None = None
) -> dict[str, Any]:
    """Per-column statistics (numeric, categorical, datetime) for one page of columns.

    Streams the file in chunks reading only that page's columns, so a 20,000-column table
    answers page by page. JSON-safe.
    """
    size = page_size or int(settings.VUR_COLUMN_PAGE_SIZE)
    info, meta = _column_page(dataset, page, size)
    names = [c["name"] for c in info]
    try:
        stats = profiling.statistics_chunks(_raw_chunks(dataset, usecols=names), info)
    except dio.DatasetReadError as exc:
        raise _read_error(exc) from None
    return {**meta, "columns": stats}
