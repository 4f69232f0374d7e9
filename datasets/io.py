"""Reading uploaded tables (CSV, Excel, JSON, Parquet) into pandas, whole or streamed in chunks.

Django-free. Sources are a filesystem path or a binary file object (an upload, a storage file);
every failure to read surfaces as `DatasetReadError` with a one-sentence message.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
import zlib
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

SUPPORTED_FORMATS = ("csv", "xlsx", "json", "parquet")

# Values up to the configured cell limit must parse (the csv module stops at 128 KiB).
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))

_EXTENSIONS = {
    "csv": "csv",
    "tsv": "csv",
    "xlsx": "xlsx",
    "json": "json",
    "jsonl": "json",
    "ndjson": "json",
    "parquet": "parquet",
    "pq": "parquet",
}
_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 1 << 20  # enough lines to judge delimiter and encoding without reading the file
_EUROPEAN_NUMBER = re.compile(r"^-?\d+,\d+$")
_DOTTED_NUMBER = re.compile(r"^-?\d+\.\d+$")

Source = str | Path | IO[bytes]


class DatasetReadError(ValueError):
    """The file cannot be read as a table; the message is one sentence meant for the user."""

    code = "unreadable_file"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code


class LimitExceeded(DatasetReadError):
    """The file breaks one of the configured limits (columns, line, cell, unpacked size)."""

    code = "limit_exceeded"


@dataclass(frozen=True)
class ReadLimits:
    """What an uploaded file may hold; checked by streaming before any parser sees the file.

    Sizes are bytes (of the UTF-8 text for a UTF-16/32 file); `setting` names in messages let
    the user (or operator) see which limit was hit.
    """

    max_columns: int = 50_000
    max_line_bytes: int = 8 * 1024 * 1024
    max_cell_bytes: int = 1024 * 1024
    max_zip_ratio: float = 100.0
    max_unzipped_bytes: int = 1024 * 1024 * 1024
    max_zip_entries: int = 10_000


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def detect_format(filename: str) -> str:
    """The format name (one of SUPPORTED_FORMATS) for `filename`, judged by its extension."""
    suffix = Path(filename or "").suffix.lower().lstrip(".")
    fmt = _EXTENSIONS.get(suffix)
    if fmt is None:
        shown = f".{suffix}" if suffix else "no extension"
        raise DatasetReadError(
            f"Unsupported file type ({shown}); upload a .csv, .xlsx, .json or .parquet file."
        )
    return fmt


def _check_format(fmt: str) -> str:
    fmt = (fmt or "").lower()
    if fmt not in SUPPORTED_FORMATS:
        raise DatasetReadError(f"Unsupported file format {fmt!r}.")
    return fmt


@contextmanager
def _binary(source: Source) -> Iterator[IO[bytes]]:
    """Open a path, or rewind a file object, as a binary stream positioned at the start."""
    if isinstance(source, (str, Path)):
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise DatasetReadError(f"The file cannot be opened ({exc.strerror}).") from None
        try:
            yield handle
        finally:
            handle.close()
        return
    stream = _innermost(source)
    if hasattr(stream, "seek"):
        stream.seek(0)
    yield stream


def _innermost(source: IO[bytes]) -> IO[bytes]:
    """The stream inside a wrapper such as Django's `File` / `FieldFile`: pandas reads bytes only
    from a real binary stream (or one that names its mode) and decodes anything else as UTF-8,
    whatever encoding it is told."""
    while not isinstance(source, io.IOBase):
        inner = getattr(source, "file", None)
        if inner is None or inner is source:
            break
        source = inner
    return source


class _Utf8Recoder(io.RawIOBase):
    """A UTF-16/32 byte stream read back as UTF-8, so every text reader sees one encoding."""

    def __init__(self, raw: IO[bytes], encoding: str):
        self._raw = raw
        self._encoding = encoding
        self._rewind()

    def _rewind(self) -> None:
        self._raw.seek(0)
        self._decoder = codecs.getincrementaldecoder(self._encoding)()
        self._pending = b""
        self._done = False
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if (offset, whence) != (0, 0):
            raise io.UnsupportedOperation("a recoded stream can only rewind")
        self._rewind()
        return 0

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._done:
            data = self._raw.read(1 << 16)
            try:
                text = self._decoder.decode(data or b"", final=not data)
            except UnicodeDecodeError:
                raise DatasetReadError(
                    f"The file starts with a {self._encoding.upper()} byte-order mark but its "
                    f"text is not valid {self._encoding.upper()}.",
                    code="bad_encoding",
                ) from None
            self._pending = text.encode("utf-8")
            self._done = not data
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self._pos += n
        return n


_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _as_utf8(handle: IO[bytes]) -> IO[bytes]:
    """`handle` itself, or a UTF-8 view of it when it starts with a UTF-16/32 byte-order mark."""
    head = _head(handle, 4)
    for bom, encoding in _WIDE_BOMS:  # UTF-32 first: its LE mark starts like UTF-16's
        if head.startswith(bom):
            return io.BufferedReader(_Utf8Recoder(handle, encoding), 1 << 16)
    return handle


def _head(handle: IO[bytes], size: int) -> bytes:
    data = handle.read(size)
    if isinstance(data, str):  # a text-mode handle: hand back bytes so sniffing is uniform
        data = data.encode("utf-8")
    handle.seek(0)
    return data


def _select(frame: pd.DataFrame, usecols: Sequence[str] | None) -> pd.DataFrame:
    if usecols is None:
        return frame
    wanted = list(usecols)
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DatasetReadError(f"Column(s) not in the file: {', '.join(map(str, missing))}.")
    return frame[wanted]


# --------------------------------------------------------------------------- CSV


def _sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False tolerates a multi-byte character cut at the end of the sample.
        decoder.decode(head, final=len(head) < _SNIFF_BYTES)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ",", (0.0, 0)
    for delim in _DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delim) if row]
        except csv.Error:  # a field over the csv module's size limit: not this separator
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = (counts.count(mode) / len(counts), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _sniff_decimal(lines: list[str], delim: str) -> str:
    """',' when a ';'-separated file writes its numbers European style (1,5), else '.'."""
    if delim == ",":
        return "."
    comma = dotted = 0
    try:
        for row in islice(csv.reader(lines, delimiter=delim), 1, None):
            for cell in row:
                cell = cell.strip()
                comma += bool(_EUROPEAN_NUMBER.match(cell))
                dotted += bool(_DOTTED_NUMBER.match(cell))
    except csv.Error:
        return "."
    return "," if comma > 0 and dotted == 0 else "."


_COMPRESSED = (
    (b"\x1f\x8b", "gzip"),
    (b"PK\x03\x04", "zip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


def _csv_options(handle: IO[bytes]) -> dict[str, Any]:
    head = _head(handle, _SNIFF_BYTES)
    if not head.strip():
        raise DatasetReadError("The file is empty.", code="empty_file")
    for magic, kind in _COMPRESSED:
        if head.startswith(magic):
            raise DatasetReadError(
                f"The file is {kind}-compressed, not a text CSV file; upload it uncompressed.",
                code="compressed_file",
            )
    if b"\x00" in head:
        if head[1:200:2].count(0) > 40 or head[0:200:2].count(0) > 40:
            raise DatasetReadError(
                "The file looks like UTF-16 text without a byte-order mark; save it as UTF-8 "
                "(or UTF-16 with a byte-order mark) and upload it again.",
                code="bad_encoding",
            )
        raise DatasetReadError("The file is not a text CSV file (it contains binary data).")
    encoding = _sniff_encoding(head)
    text = head.decode(encoding, errors="replace")
    lines = text.splitlines()
    if len(head) >= _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last sampled line may be cut short
    lines = lines[:200]
    delimiter = _sniff_delimiter(lines)
    return {
        "sep": delimiter,
        "encoding": encoding,
        "decimal": _sniff_decimal(lines, delimiter),
    }


_FIELDS_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_QUOTE_ERROR = re.compile(r"EOF inside string(?: starting at row (\d+))?")


def _csv_error(exc: Exception) -> DatasetReadError:
    """A parser failure said in plain words (pandas' own message is never shown)."""
    if isinstance(exc, DatasetReadError):
        return exc
    if isinstance(exc, pd.errors.EmptyDataError):
        return DatasetReadError("The file has no columns.")
    if isinstance(exc, UnicodeDecodeError):
        return DatasetReadError("The file's text encoding could not be read.", code="bad_encoding")
    text = str(exc)
    found = _FIELDS_ERROR.search(text)
    if found:
        expected, line, saw = found.groups()
        return DatasetReadError(
            f"Line {line} has {saw} values but the header has {expected} columns; check that "
            "values containing the separator are quoted.",
            code="malformed_csv",
        )
    found = _QUOTE_ERROR.search(text)
    if found:
        where = f" that starts on line {int(found.group(1)) + 1}" if found.group(1) else ""
        return DatasetReadError(
            f'A quoted value{where} is never closed: a closing quote (") is missing.',
            code="malformed_csv",
        )
    if "overflow" in text.lower() or "out of memory" in text.lower():
        return DatasetReadError(
            "The file's rows could not be split into values (a line or value is too long, or "
            "the quoting is broken).",
            code="malformed_csv",
        )
    return DatasetReadError(
        "The CSV file could not be parsed: its lines do not form a table of values (check the "
        "separator and the quoting).",
        code="malformed_csv",
    )


def _read_csv_chunks(
    source: Source,
    chunksize: int,
    usecols: Sequence[str] | None,
    nrows: int | None = None,
    as_text: bool = False,
) -> Iterator[pd.DataFrame]:
    with _binary(source) as raw:
        handle = _as_utf8(raw)
        options = _csv_options(handle)
        yielded = 0
        try:
            for chunk in _csv_reader(handle, options, chunksize, usecols, nrows, as_text):
                yielded += len(chunk)
                yield chunk
            return
        except UnicodeDecodeError:
            if options["encoding"] == "latin-1":
                raise DatasetReadError("The file's text encoding could not be read.") from None
        except (ValueError, pd.errors.ParserError, OverflowError) as exc:
            raise _csv_error(exc) from None
        # A non-UTF-8 byte past the sniffed head: re-read as latin-1 and skip rows already sent.
        handle.seek(0)
        options["encoding"] = "latin-1"
        try:
            for chunk in _csv_reader(handle, options, chunksize, usecols, nrows, as_text):
                skip = min(len(chunk), yielded)
                yielded -= skip
                if skip < len(chunk):
                    yield chunk.iloc[skip:]
        except (ValueError, pd.errors.ParserError, OverflowError) as exc:
            raise _csv_error(exc) from None


def _csv_reader(
    handle: IO[bytes],
    options: dict[str, Any],
    chunksize: int,
    usecols: Sequence[str] | None,
    nrows: int | None,
    as_text: bool = False,
) -> Iterator[pd.DataFrame]:
    wanted = None if usecols is None else set(map(str, usecols))
    # As text: every cell as written (69 stays "69", "n/a" stays "n/a"); only empty is missing.
    text = {"dtype": str, "keep_default_na": False, "na_values": [""]} if as_text else {}
    reader = pd.read_csv(
        handle,
        sep=options["sep"],
        encoding=options["encoding"],
        decimal=options["decimal"],
        chunksize=chunksize,
        nrows=nrows,
        skipinitialspace=True,
        # Only the wanted columns become frames: a page of a 20,000-column file stays small.
        usecols=None if wanted is None else (lambda name: str(name) in wanted),
        **text,
    )
    with reader:
        for chunk in reader:
            yield _select(chunk, usecols)


# --------------------------------------------------------------------------- JSON


def _records_frame(records: list[Any]) -> pd.DataFrame:
    if records and not all(isinstance(r, dict) for r in records):
        raise DatasetReadError("The JSON array must contain objects (one per row).")
    if not records:
        return pd.DataFrame()
    return pd.json_normalize(records)


def _json_frame(payload: Any) -> pd.DataFrame:
    """A frame from a parsed JSON document: records, {col: [..]}, split or {col: {idx: v}}."""
    if isinstance(payload, list):
        return _records_frame(payload)
    if not isinstance(payload, dict) or not payload:
        raise DatasetReadError("The JSON file does not hold a table (records or columns).")
    if set(payload) >= {"columns", "data"} and isinstance(payload["data"], list):
        return pd.DataFrame(payload["data"], columns=payload["columns"])
    if len(payload) == 1 and isinstance(next(iter(payload.values())), list):
        inner = next(iter(payload.values()))
        if inner and all(isinstance(r, dict) for r in inner):  # {"data": [{...}, ...]}
            return _records_frame(inner)
    values = list(payload.values())
    if all(isinstance(v, list) for v in values):
        if len({len(v) for v in values}) > 1:
            raise DatasetReadError("The JSON columns have different lengths.")
        return pd.DataFrame(payload)
    if all(isinstance(v, dict) for v in values):
        return pd.DataFrame(payload)
    return _records_frame([payload])


def _is_json_lines(handle: IO[bytes]) -> bool:
    """True when the first line is a whole JSON object and another line follows."""
    first = b""
    for raw in handle:
        if raw.strip():
            first = raw
            break
    second = b""
    for raw in handle:
        if raw.strip():
            second = raw
            break
    handle.seek(0)
    if not first.strip().startswith(b"{") or not second.strip():
        return False
    try:
        json.loads(first)
    except ValueError:
        return False
    return True


def _decode_json_bytes(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _read_json_chunks(
    source: Source, chunksize: int, usecols: Sequence[str] | None, nrows: int | None = None
) -> Iterator[pd.DataFrame]:
    with _binary(source) as raw:
        handle = _as_utf8(raw)
        head = _head(handle, 4096)
        if not head.strip():
            raise DatasetReadError("The file is empty.", code="empty_file")
        if _is_json_lines(handle):
            yield from _json_lines_chunks(handle, chunksize, usecols, nrows)
            return
        # An array or object document cannot be parsed piecewise with the standard library.
        try:
            payload = json.loads(_decode_json_bytes(handle.read()))
        except ValueError as exc:
            raise DatasetReadError(f"The file is not valid JSON ({exc.args[0]}).") from None
        except RecursionError:
            raise _too_deep() from None
    try:
        frame = _json_frame(payload)
    except RecursionError:
        raise _too_deep() from None
    if nrows is not None:
        frame = frame.iloc[:nrows]
    frame = _select(frame, usecols)
    for start in range(0, max(len(frame), 1), chunksize):
        yield frame.iloc[start : start + chunksize].reset_index(drop=True)


def _too_deep() -> DatasetReadError:
    return LimitExceeded(
        "The JSON file is nested too deeply to be a table; upload records (one object per row) "
        "or columns.",
        code="json_too_deep",
    )


def _json_lines_chunks(
    handle: IO[bytes], chunksize: int, usecols: Sequence[str] | None, nrows: int | None
) -> Iterator[pd.DataFrame]:
    batch: list[Any] = []
    seen = 0
    for number, raw in enumerate(handle, start=1):
        if nrows is not None and seen >= nrows:
            break
        if not raw.strip():
            continue
        try:
            batch.append(json.loads(_decode_json_bytes(raw)))
        except RecursionError:
            raise _too_deep() from None
        except ValueError:
            raise DatasetReadError(
                f"Line {number} of the JSON Lines file is not valid JSON."
            ) from None
        seen += 1
        if len(batch) >= chunksize:
            yield _select(_json_records(batch), usecols)
            batch = []
    if batch:
        yield _select(_json_records(batch), usecols)


def _json_records(batch: list[Any]) -> pd.DataFrame:
    try:
        return _records_frame(batch)
    except RecursionError:
        raise _too_deep() from None


# --------------------------------------------------------------------------- Parquet


def _parquet_file(handle: IO[bytes]) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not _head(handle, 4):
        raise DatasetReadError("The file is empty.")
    try:
        return pq.ParquetFile(handle)
    except (pa.ArrowException, OSError, ValueError):
        raise DatasetReadError("The file is not a readable Parquet file.") from None


def _read_parquet_chunks(
    source: Source, chunksize: int, usecols: Sequence[str] | None, nrows: int | None = None
) -> Iterator[pd.DataFrame]:
    import pyarrow as pa

    with _binary(source) as handle:
        pfile = _parquet_file(handle)
        if usecols is not None:
            _select(pd.DataFrame(columns=pfile.schema_arrow.names), usecols)
        columns = list(usecols) if usecols is not None else None
        seen = 0
        try:
            if pfile.metadata.num_rows == 0:
                yield pfile.schema_arrow.empty_table().to_pandas()[columns or slice(None)]
                return
            for batch in pfile.iter_batches(batch_size=chunksize, columns=columns):
                frame = batch.to_pandas()
                if nrows is not None:
                    frame = frame.iloc[: nrows - seen]
                seen += len(frame)
                yield frame
                if nrows is not None and seen >= nrows:
                    return
        except (pa.ArrowException, OSError):
            raise DatasetReadError("The Parquet file is corrupt and could not be read.") from None


# --------------------------------------------------------------------------- Excel


def _header_names(cells: Sequence[Any]) -> list[str]:
    names: list[str] = []
    for i, cell in enumerate(cells):
        name = str(cell).strip() if cell is not None and str(cell).strip() else f"column_{i + 1}"
        base, n = name, 1
        while name in names:
            name = f"{base}.{n}"
            n += 1
        names.append(name)
    return names


def _rows_frame(rows: list[tuple[Any, ...]], header: list[str]) -> pd.DataFrame:
    width = len(header)
    fixed = [tuple(row[:width]) + (None,) * (width - len(row)) for row in rows]
    frame = pd.DataFrame.from_records(fixed, columns=header)
    return frame.infer_objects().fillna(value=float("nan")) if len(frame) else frame


# Rows read ahead to find the header row and the table's width.
_XLSX_LOOKAHEAD = 1000


def _width(row: tuple[Any, ...]) -> int:
    """Cells up to the last non-empty one (trailing empty cells are formatting)."""
    return max((i + 1 for i, c in enumerate(row) if c is not None), default=0)


def _header_index(rows: list[tuple[Any, ...]], width: int) -> int:
    """Which of the first rows is the header: the first one, unless it is narrower than the
    table and a later row as wide as the table is all text (title lines above a header)."""
    if _width(rows[0]) >= width:
        return 0
    for i, row in enumerate(rows[1:], start=1):
        cells = row[:width]
        if _width(row) == width and all(isinstance(c, str) and c.strip() for c in cells):
            return i
    return 0


def _xlsx_rows(
    book: Any, chunksize: int, usecols: Sequence[str] | None, nrows: int | None
) -> Iterator[pd.DataFrame]:
    sheet = book.worksheets[0] if book.worksheets else None
    if sheet is None:
        raise DatasetReadError("The workbook has no sheets.")
    numbered = enumerate(sheet.iter_rows(values_only=True), start=1)
    rows = ((number, row) for number, row in numbered if _width(row))
    ahead = list(islice(rows, _XLSX_LOOKAHEAD + 1))
    if not ahead:
        raise DatasetReadError("The first sheet of the workbook is empty.")
    # The header spans every column that holds data: a cell right of the header keeps its
    # column (named like an empty header cell), a title line above the header is skipped.
    width = max(_width(row) for _, row in ahead)
    first = _header_index([row for _, row in ahead], width)
    header_row = ahead[first][1]
    header = _header_names(tuple(header_row[:width]) + (None,) * (width - len(header_row)))
    if usecols is not None:
        _select(pd.DataFrame(columns=header), usecols)
    batch: list[tuple[Any, ...]] = []
    sent = False
    for seen, (number, row) in enumerate(chain(ahead[first + 1 :], rows)):
        if nrows is not None and seen >= nrows:
            break
        if _width(row) > width:
            raise DatasetReadError(
                f"Row {number} of the sheet has values right of the table's {width} columns; "
                "give those cells a header in the first rows.",
                code="ragged_rows",
            )
        batch.append(row)
        if len(batch) >= chunksize:
            yield _select(_rows_frame(batch, header), usecols)
            sent = True
            batch = []
    if batch or not sent:
        yield _select(_rows_frame(batch, header), usecols)


def _read_xlsx_chunks(
    source: Source, chunksize: int, usecols: Sequence[str] | None, nrows: int | None = None
) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    with _binary(source) as handle:
        if not _head(handle, 4):
            raise DatasetReadError("The file is empty.")
        try:
            book = load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SyntaxError):
            # SyntaxError: XML parse errors (ElementTree's and lxml's) derive from it.
            raise DatasetReadError("The file is not a readable Excel (.xlsx) workbook.") from None
        try:
            yield from _xlsx_rows(book, chunksize, usecols, nrows)
        except DatasetReadError:
            raise
        except (
            zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, zlib.error, SyntaxError
        ):  # fmt: skip
            # A part that lies about its size or checksum shows up only while rows stream.
            raise DatasetReadError(
                "The Excel (.xlsx) workbook is damaged and could not be read."
            ) from None
        finally:
            book.close()


# --------------------------------------------------------------------------- exports

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?\s*$")


def neutralize_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, prefixed with ' ; numbers and the rest as is.

    A text cell starting with =, +, -, @, tab or CR is a formula to Excel and LibreOffice
    (CSV injection); "-12.5" stays a number.
    """
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.match(value)
    ):
        return "'" + value
    return value


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every formula-leading text cell neutralised (a copy only when needed)."""
    out = frame
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if not (col.dtype == object or pd.api.types.is_string_dtype(col)):
            continue
        codes, uniques = pd.factorize(col, use_na_sentinel=True)  # each distinct text once
        risky = np.array(
            [isinstance(v, str) and v[:1] in _FORMULA_START for v in uniques] + [False]
        )
        mask = pd.Series(risky[codes], index=col.index)
        if not mask.any():
            continue
        if out is frame:
            out = frame.copy()
        out.iloc[:, i] = col.where(~mask, col[mask].map(neutralize_cell))
    return out


def _csv_text(handle: IO[bytes]) -> tuple[io.TextIOWrapper, dict[str, Any]]:
    handle = _as_utf8(handle)
    options = _csv_options(handle)
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=options["encoding"], errors="replace", newline="")
    return text, options


def _csv_risky(handle: IO[bytes]) -> bool:
    text, options = _csv_text(handle)
    try:
        for row in csv.reader(text, delimiter=options["sep"]):
            if any(neutralize_cell(cell) is not cell for cell in row):
                return True
        return False
    finally:
        text.detach()


def _csv_neutralized(handle: IO[bytes]) -> Iterator[bytes]:
    text, options = _csv_text(handle)
    buffer = io.StringIO()
    # CRLF line ends (RFC 4180) also make the writer quote values holding a bare CR.
    writer = csv.writer(buffer, delimiter=options["sep"], lineterminator="\r\n")
    try:
        for row in csv.reader(text, delimiter=options["sep"]):
            writer.writerow([neutralize_cell(cell) for cell in row])
            if buffer.tell() > 1 << 16:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")
    finally:
        text.detach()


def _xlsx_risky(handle: IO[bytes]) -> bool:
    from openpyxl import load_workbook

    book = load_workbook(handle, read_only=True, data_only=False)
    try:
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                if any(neutralize_cell(v) is not v for v in row):
                    return True
        return False
    finally:
        book.close()


def _xlsx_neutralized(handle: IO[bytes], out: IO[bytes]) -> None:
    from openpyxl import Workbook, load_workbook

    source = load_workbook(handle, read_only=True, data_only=True)
    target = Workbook(write_only=True)
    try:
        for sheet in source.worksheets:
            copy = target.create_sheet(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                copy.append([neutralize_cell(v) for v in row])
        target.save(out)
    finally:
        source.close()


def export_needs_neutralizing(source: Source, fmt: str) -> bool:
    """True when a CSV or XLSX file holds a cell a spreadsheet would run as a formula."""
    fmt = _check_format(fmt)
    if fmt not in ("csv", "xlsx"):
        return False
    with _binary(source) as handle:
        try:
            return _csv_risky(handle) if fmt == "csv" else _xlsx_risky(handle)
        except (csv.Error, zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise DatasetReadError("The stored file could not be read for export.") from None


def export_neutralized_csv(source: Source) -> Iterator[bytes]:
    """The CSV re-written as UTF-8 with formula-leading text cells neutralised, streamed."""
    with _binary(source) as handle:
        yield from _csv_neutralized(handle)


def export_neutralized_xlsx(source: Source, out: IO[bytes]) -> None:
    """Write the workbook's values to `out` with formula-leading text cells neutralised."""
    with _binary(source) as handle:
        _xlsx_neutralized(handle, out)


# --------------------------------------------------------------------------- limits


def _check_csv(source: Source, limits: ReadLimits) -> None:
    """Stream the bytes once: line and cell lengths, and the header's width, before pandas."""
    with _binary(source) as raw:
        handle = _as_utf8(raw)
        options = _csv_options(handle)
        sep = options["sep"].encode()
        handle.seek(0)
        line_len = cell_len = 0
        line_no = 1
        header = bytearray()
        header_done = False
        while block := handle.read(1 << 20):
            if not header_done:
                end = block.find(b"\n")
                header += block if end < 0 else block[:end]
                header_done = end >= 0 or len(header) > limits.max_line_bytes
                if header_done:
                    _check_header(bytes(header), options, limits)
            lines = block.split(b"\n")
            lengths = [line_len + len(lines[0]), *map(len, lines[1:])]
            if max(lengths) > limits.max_line_bytes:
                at = line_no + next(i for i, n in enumerate(lengths) if n > limits.max_line_bytes)
                raise LimitExceeded(
                    f"Line {at} is longer than the {_size(limits.max_line_bytes)} limit per line "
                    "(VUR_MAX_LINE_BYTES).",
                    code="line_too_long",
                )
            line_no += len(lines) - 1
            line_len = lengths[-1]
            cells = block.replace(b"\n", sep).split(sep)
            longest = max([cell_len + len(cells[0]), *map(len, cells[1:])])
            if longest > limits.max_cell_bytes:
                raise LimitExceeded(
                    f"A value near line {line_no} is longer than the "
                    f"{_size(limits.max_cell_bytes)} limit per value (VUR_MAX_CELL_BYTES).",
                    code="cell_too_long",
                )
            cell_len = (cell_len if len(cells) == 1 else 0) + len(cells[-1])
        if not header_done:
            _check_header(bytes(header), options, limits)


def _check_header(header: bytes, options: dict[str, Any], limits: ReadLimits) -> None:
    text = header.decode(options["encoding"], errors="replace").rstrip("\r")
    if text.count(options["sep"]) < limits.max_columns:
        return  # cheap: fewer separators than the limit cannot make too many columns
    try:
        width = len(next(csv.reader([text], delimiter=options["sep"]), []))
    except csv.Error:
        width = text.count(options["sep"]) + 1
    _check_width(width, limits)


def _check_width(width: int, limits: ReadLimits) -> None:
    if width > limits.max_columns:
        raise LimitExceeded(
            f"The file has {width:,} columns; the limit is {limits.max_columns:,} "
            "(VUR_MAX_COLUMNS).",
            code="too_many_columns",
        )


def _check_unpacked(total: int, packed: int, limits: ReadLimits, what: str) -> None:
    if total > limits.max_unzipped_bytes:
        raise LimitExceeded(
            f"The {what} unpacks to {_size(total)}, over the {_size(limits.max_unzipped_bytes)} "
            "limit (VUR_MAX_UNPACKED_MB).",
            code="unpacked_too_large",
        )
    if total > (1 << 20) and total / max(packed, 1) > limits.max_zip_ratio:
        raise LimitExceeded(
            f"The {what} is compressed {total / max(packed, 1):,.0f} to 1, over the "
            f"{limits.max_zip_ratio:,.0f} to 1 limit (VUR_MAX_COMPRESSION_RATIO); it looks like "
            "a compression bomb.",
            code="compression_ratio",
        )


def _check_xlsx(source: Source, limits: ReadLimits) -> None:
    """Judge the workbook by its zip directory (declared sizes, ratios) without unpacking it."""
    with _binary(source) as handle:
        try:
            entries = zipfile.ZipFile(handle).infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise DatasetReadError("The file is not a readable Excel (.xlsx) workbook.") from None
        if len(entries) > limits.max_zip_entries:
            raise LimitExceeded(
                f"The workbook holds {len(entries):,} parts; the limit is "
                f"{limits.max_zip_entries:,}.",
                code="too_many_parts",
            )
        for entry in entries:
            _check_unpacked(entry.file_size, entry.compress_size, limits, f"part {entry.filename}")
        total = sum(e.file_size for e in entries)
        _check_unpacked(total, sum(e.compress_size for e in entries), limits, "workbook")


def _check_parquet(source: Source, limits: ReadLimits) -> None:
    with _binary(source) as handle:
        meta = _parquet_file(handle).metadata
        _check_width(meta.num_columns, limits)
        total = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        handle.seek(0, 2)
        _check_unpacked(total, handle.tell(), limits, "Parquet file")


def _check_json(source: Source, limits: ReadLimits) -> None:
    """JSON Lines: every line under the line limit (a document may legitimately be one line)."""
    with _binary(source) as raw:
        handle = _as_utf8(raw)
        head = _head(handle, 4096)
        if not head.strip():
            raise DatasetReadError("The file is empty.", code="empty_file")
        if not head.lstrip().startswith(b"{"):
            return
        longest = current = filled = 0
        while block := handle.read(1 << 20):
            lines = block.split(b"\n")
            lengths = [current + len(lines[0]), *map(len, lines[1:])]
            longest = max([longest, *lengths[:-1]])
            current = lengths[-1]
            if filled < 2:
                filled += sum(1 for line in lines if line.strip())
        longest = max(longest, current)
        if filled >= 2 and longest > limits.max_line_bytes:
            raise LimitExceeded(
                f"A line of the JSON Lines file is longer than the {_size(limits.max_line_bytes)} "
                "limit per line (VUR_MAX_LINE_BYTES).",
                code="line_too_long",
            )


_CHECKS = {
    "csv": _check_csv,
    "json": _check_json,
    "parquet": _check_parquet,
    "xlsx": _check_xlsx,
}


def check_limits(source: Source, fmt: str, limits: ReadLimits) -> None:
    """Raise LimitExceeded when the file breaks `limits`, judged by streaming, before parsing.

    CSV: line and value lengths and the header's width; XLSX and Parquet: declared unpacked
    sizes and compression ratios; JSON Lines: line lengths.
    """
    _CHECKS[_check_format(fmt)](source, limits)


def check_width(frame: pd.DataFrame, limits: ReadLimits) -> None:
    """Raise LimitExceeded when `frame` (a first chunk) has more columns than allowed."""
    _check_width(frame.shape[1], limits)


# --------------------------------------------------------------------------- public API

_CHUNK_READERS = {
    "csv": _read_csv_chunks,
    "json": _read_json_chunks,
    "parquet": _read_parquet_chunks,
    "xlsx": _read_xlsx_chunks,
}


def iter_chunks(
    path_or_file: Source,
    fmt: str,
    chunksize: int = 50_000,
    usecols: Sequence[str] | None = None,
    as_text: bool = False,
) -> Generator[pd.DataFrame, None, None]:
    """Stream the table in frames of at most `chunksize` rows without loading the whole file.

    CSV, JSON Lines, Parquet (record batches) and xlsx (read-only rows) stream; a JSON array or
    object document is parsed whole (the standard library cannot stream it) and then sliced.
    `as_text`: a CSV's cells as the text written in the file, only empty cells missing (the other
    formats store typed values, which they keep).
    """
    if chunksize < 1:
        raise ValueError("chunksize must be at least 1")
    fmt = _check_format(fmt)
    if fmt == "csv":
        yield from _read_csv_chunks(path_or_file, chunksize, usecols, as_text=as_text)
        return
    yield from _CHUNK_READERS[fmt](path_or_file, chunksize, usecols)


def read_frame(
    path_or_file: Source,
    fmt: str,
    *,
    nrows: int | None = None,
    usecols: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read the whole table (or its first `nrows` rows, or only `usecols`) into one DataFrame."""
    fmt = _check_format(fmt)
    if nrows is not None and nrows < 0:
        raise ValueError("nrows must be >= 0")
    limit = None if nrows is None else max(nrows, 1)  # read one row to learn the columns
    chunk = 1_000_000 if limit is None else limit
    parts = list(_CHUNK_READERS[fmt](path_or_file, chunk, usecols, limit))
    if not parts or len(parts[0].columns) == 0:
        raise DatasetReadError("The file has no columns.")
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    if nrows is not None:
        frame = frame.iloc[:nrows]
    return frame.reset_index(drop=True)


def file_decimal(source: Source, fmt: str) -> str:
    """The decimal mark the reader gives pandas for the whole file: "," for a CSV whose numbers
    are written with a decimal comma (such as 13,28 in a ';'-separated file), else "."."""
    if _check_format(fmt) != "csv":
        return "."
    with _binary(source) as raw:
        return str(_csv_options(_as_utf8(raw))["decimal"])


def count_rows(path: Source, fmt: str) -> int:
    """The number of data rows in the file, counted by streaming (Parquet: from its metadata)."""
    fmt = _check_format(fmt)
    if fmt == "parquet":
        with _binary(path) as handle:
            return int(_parquet_file(handle).metadata.num_rows)
    if fmt == "csv":
        total = 0
        with _binary(path) as raw:
            handle = _as_utf8(raw)
            options = _csv_options(handle)
            try:
                reader = pd.read_csv(
                    handle,
                    sep=options["sep"],
                    encoding=options["encoding"],
                    usecols=[0],
                    dtype=str,
                    chunksize=200_000,
                    encoding_errors="replace",
                )
                with reader:
                    for chunk in reader:
                        total += len(chunk)
            except (ValueError, pd.errors.ParserError) as exc:
                raise _csv_error(exc) from None
        return total
    return sum(len(chunk) for chunk in iter_chunks(path, fmt, chunksize=100_000))
