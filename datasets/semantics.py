"""Semantic column types and the tokens they are read by: the one place that says what is a
number, a date, a boolean, an identifier, a category or free text, and which words mean true,
false and missing. Django-free.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from datasets.frequency import grid_fill

SEMANTIC_TYPES = ("numeric", "categorical", "datetime", "text", "boolean", "id")

NULL_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "missing", "#n/a", "nat"}
)
# The words that mean true and false, in pairs, matched stripped and case-insensitively. This is
# the only boolean vocabulary in VUR: type inference, coercion, the boolean encoder of the fitted
# pipeline and feedback labels all read it, so "on"/"off" is a boolean everywhere.
BOOLEAN_PAIRS = (
    ("true", "false"),
    ("t", "f"),
    ("yes", "no"),
    ("y", "n"),
    ("on", "off"),
    ("1", "0"),
    ("1.0", "0.0"),
)
TRUE_TOKENS = frozenset(true for true, _ in BOOLEAN_PAIRS)
FALSE_TOKENS = frozenset(false for _, false in BOOLEAN_PAIRS)
_BOOL_PAIRS = frozenset(frozenset(pair) for pair in BOOLEAN_PAIRS)
# A column holding only one of these words is boolean too (a single letter or digit is not).
_BOOL_SINGLES = frozenset(t for t in TRUE_TOKENS | FALSE_TOKENS if t.isalpha() and len(t) > 1)

_ID_NAMES = frozenset(
    {"id", "uuid", "guid", "key", "index", "rownames", "rowid", "row_id", "row_number", "rownum"}
)
_ID_SUFFIX = re.compile(r"[\s_.\-](?:id|uuid|guid|key|number|no)$")
_ID_CAMEL = re.compile(r"[a-z](?:Id|ID)$")
_TIMEISH_NAME = re.compile(r"(year|yr|month|day|date|time|period|week|quarter|hour)", re.I)

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_INFINITY = re.compile(r"^[+-]?inf(inity)?$", re.I)
_COMMA_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DOT_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
NUMBER_DECOR = re.compile(r"[$€£¥%\s\u00a0]")
_LEADING_ZERO = re.compile(r"^0\d+$")

DATEISH = re.compile(
    r"\d{1,4}[-/.]\d{1,2}|[A-Za-z]{3,9}\.?,?[\s\-]+\d{1,4}|\d{1,4}[\s\-][A-Za-z]{3,9}|\d{4}M\d{1,2}$"
)
# A quarter as R/fpp3, pandas and spreadsheets write it: "1998-Q1", "1998Q1", "1998 Q1",
# "1998 q1", "Q1 1998", "Q1-1998". Read as the quarter's first day.
_QUARTER = re.compile(
    r"^(?:(?P<y1>\d{4})\s*-?\s*[Qq](?P<q1>[1-4])|[Qq](?P<q2>[1-4])\s*[-/]?\s*(?P<y2>\d{4}))$"
)
# An ISO 8601 week as statistics offices and retail data write it: "2020-W05", "2020W05",
# "2020 W05", "2020-W05-3" (a weekday, 1 = Monday). Read as that day, Monday when none is given.
_ISO_WEEK = re.compile(r"^(?P<y>\d{4})\s*-?\s*[Ww](?P<w>\d{1,2})(?:-?(?P<d>[1-7]))?$")
# Years a nanosecond timestamp holds whole (its limits are 1677-09-21 and 2262-04-11).
FIRST_YEAR, LAST_YEAR = 1678, 2261
_TZ_SUFFIX = re.compile(r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})$")
_DATE_BASES = (
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d.%m.%Y",
    "%m.%d.%Y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d/%m/%y",
    "%m/%d/%y",
)
_DATE_FORMATS = (
    "ISO8601",
    *(base + suffix for base in _DATE_BASES for suffix in ("", " %H:%M", " %H:%M:%S")),
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%b %Y",
    "%B %Y",
    # Months as spreadsheets and statistics offices label them: "Jan-20", "Jan-2020",
    # "2020 Jan", "2020-Jan", "2020M01".
    "%b-%y",
    "%b-%Y",
    "%B-%Y",
    "%Y %b",
    "%Y-%b",
    "%Y %B",
    "%YM%m",
)
# Day-first and month-first twins: when both read every value, the data decides between them.
_TWINS = {
    fmt: fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    for fmt in _DATE_FORMATS
    if fmt.startswith("%d") and "%m" in fmt
}

_DETECT_SAMPLE = 2_000
_MIN_SHARE = 0.95
_HIGH_MISSING = 30.0

# --------------------------------------------------------------------------- type inference


def _looks_like_id_name(name: str) -> bool:
    lower = name.strip().lower()
    return (
        lower in _ID_NAMES
        or lower.startswith("unnamed:")
        or bool(_ID_SUFFIX.search(lower))
        or bool(_ID_CAMEL.search(name.strip()))
    )


def present_strings(values: pd.Series) -> pd.Series:
    """Non-null values as stripped strings, null tokens ("NA", "-", "") removed."""
    text = values.dropna().map(lambda v: v.strip() if isinstance(v, str) else str(v))
    return text[~text.str.lower().isin(NULL_TOKENS)]


def looks_like_quarter(text: str) -> bool:
    """Whether one value is written like a quarter ("1998-Q1", "1998 Q1", "Q1 1998"); a cheap
    test before `quarter_starts` reads it."""
    return bool(_QUARTER.match(text.strip()))


def quarter_starts(text: pd.Series) -> pd.Series:
    """The first day of each quarter written like "1998-Q1", "1998 Q1" or "Q1 1998" (naive
    datetime64[ns]); NaT for a value that is no quarter. The one reading of quarters."""
    parts = text.astype(str).str.strip().str.extract(_QUARTER)
    number = parts.apply(pd.to_numeric, errors="coerce")
    year, quarter = number["y1"].fillna(number["y2"]), number["q1"].fillna(number["q2"])
    found = year.notna() & quarter.notna()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if found.any():
        months = (year[found] * 12 + (quarter[found] - 1) * 3).astype("int64") - 1970 * 12
        stamps = pd.Series(months.to_numpy().astype("datetime64[M]"), index=months.index)
        in_range = year[found].between(FIRST_YEAR, LAST_YEAR)
        out.loc[stamps.index[in_range]] = stamps[in_range].astype("datetime64[ns]")
    return out


def week_starts(text: pd.Series) -> pd.Series:
    """The day each ISO 8601 week value names ("2020-W05" is Monday 27 January 2020, "2020-W05-3"
    that week's Wednesday), naive datetime64[ns]; NaT for a value that is no ISO week (week 53
    of a year that has 52 included)."""
    parts = text.astype(str).str.strip().str.extract(_ISO_WEEK)
    found = parts["y"].notna()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if found.any():
        week = parts.loc[found]
        iso = week["y"] + "-W" + week["w"].str.zfill(2) + "-" + week["d"].fillna("1")
        read = pd.to_datetime(iso, format="%G-W%V-%u", errors="coerce")
        # A week number the year does not have rolls into the next year: not a date.
        same = read.dt.isocalendar().week.astype("float64") == pd.to_numeric(week["w"])
        out.loc[read.index[same.to_numpy()]] = read[same.to_numpy()]
    return out


def period_starts(text: pd.Series) -> pd.Series:
    """Quarters (`quarter_starts`) and ISO weeks (`week_starts`) read as timestamps, NaT for
    the rest: the periods no strptime format reads."""
    out = quarter_starts(text)
    rest = out.isna()
    if rest.any():
        out.loc[rest] = week_starts(text[rest])
    return out


def boolean_words(words: set[str]) -> bool:
    """Whether the distinct stripped, lower-cased values `words` of a column make it boolean:
    one pair of `BOOLEAN_PAIRS`, or one of its words alone (not a single letter or digit)."""
    return (len(words) == 2 and frozenset(words) in _BOOL_PAIRS) or (
        len(words) == 1 and words <= _BOOL_SINGLES
    )


def boolean_number(value: Any) -> float:
    """1.0 for True or a true token, 0.0 for False or a false token, NaN for anything else
    (missing values included): the one reading of a boolean value."""
    if value is None or value is pd.NA or value is pd.NaT:
        return math.nan
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return math.nan
    token = str(value).strip().lower()
    if token in TRUE_TOKENS:
        return 1.0
    if token in FALSE_TOKENS:
        return 0.0
    return math.nan


def is_integral(values: pd.Series | np.ndarray) -> bool:
    """Whether the values are whole numbers: an integer array, or floats with at least one
    finite value and every finite one whole."""
    arr = np.asarray(values)  # numpy, not pandas: this runs once per column of wide tables
    if arr.dtype.kind in "iu":
        return True
    arr = arr.astype("float64", copy=False)
    finite = arr[np.isfinite(arr)]
    return bool(finite.size) and bool((finite == np.floor(finite)).all())


def _numeric_spec(text: pd.Series) -> dict[str, Any] | None:
    """How to read numbers written as text (separators), or None when they are not numbers."""
    if text.empty or text.map(lambda v: bool(_LEADING_ZERO.match(v))).any():
        return None  # "007", "01234": codes whose leading zeros matter
    clean = text.map(lambda v: NUMBER_DECOR.sub("", v))
    clean = clean[clean != ""]
    if clean.empty:
        return None
    for pattern, spec in (
        (_PLAIN_NUMBER, {"decimal": ".", "thousands": None}),
        (_COMMA_DECIMAL, {"decimal": ",", "thousands": None}),
    ):
        if clean.str.match(pattern).mean() >= 0.98:
            return spec
    plain = clean.str.match(_PLAIN_NUMBER)
    if (plain | clean.str.match(_COMMA_THOUSANDS)).mean() >= 0.98:
        return {"decimal": ".", "thousands": ","}
    european = clean.str.match(_DOT_THOUSANDS) | clean.str.match(_COMMA_DECIMAL)
    if (european | clean.str.match(r"^[+-]?\d+$")).mean() >= 0.98:
        return {"decimal": ",", "thousands": "."}
    return None


def _parse_dates(text: pd.Series, fmt: str, utc: bool) -> pd.Series:
    try:
        return pd.to_datetime(text, format=fmt, errors="coerce", utc=utc)
    except (ValueError, TypeError, OverflowError):
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]" if utc else None)


# A reading of a date column "runs as a series" when nearly all its steps go one way and it
# fills at least half of its frequency's grid (the upload profile's regularity threshold).
_MONOTONE_SHARE = 0.9
_REGULAR_FILL = 0.5


def _order_score(parsed: pd.Series) -> tuple[float, float, int]:
    """How much one reading of a date column looks like a series: (share of steps in row order
    that go the same way, share of its frequency's grid that holds a value, minus the number
    of distinct steps). Higher is better."""
    values = parsed.dropna()
    if len(values) < 2:
        return (0.0, 0.0, 0)
    steps = values.diff().iloc[1:]
    zero = pd.Timedelta(0)
    monotone = max(float((steps >= zero).mean()), float((steps <= zero).mean()))
    return (monotone, grid_fill(values), -int(steps.abs().nunique()))


def _runs_as_series(score: tuple[float, float, int]) -> bool:
    return score[0] >= _MONOTONE_SHARE and score[1] >= _REGULAR_FILL


def _pick_order(day_first: pd.Series, month_first: pd.Series) -> tuple[bool, bool]:
    """(day-first wins, the choice is a guess) for two readings of the same values.

    The reading that makes the column a regular series in time order wins: "07/01/1967,
    08/01/1967, ..." is monthly read month-first and twelve January days a year read day-first.
    It is a guess when the readings differ but neither is a series the other is not (or both
    fill their grid alike); then the reading with fewer distinct steps wins (twelve days over
    twelve first-of-months), month-first on a tie.
    """
    if day_first.equals(month_first):  # every value has day == month: nothing to choose
        return False, False
    day, month = _order_score(day_first), _order_score(month_first)
    day_wins = day > month
    best, other = (day, month) if day_wins else (month, day)
    decided = _runs_as_series(best) and (not _runs_as_series(other) or best[1] > other[1])
    return day_wins, not decided


def datetime_spec(text: pd.Series) -> dict[str, Any] | None:
    """The date formats (in order of use) that read at least 95% of `text`, or None.

    When a day-first format and its month-first twin read the same values (every day is 12 or
    less), the order that makes the column a regular series decides (`_pick_order`); when that
    is still a guess the spec says so with `"order_ambiguous": True`.
    """
    sample = text.iloc[:_DETECT_SAMPLE]
    if sample.empty or sample.str.contains(DATEISH).mean() < _MIN_SHARE:
        return None
    utc = bool(sample.str.contains(_TZ_SUFFIX).any())
    parsed = {fmt: _parse_dates(sample, fmt, utc) for fmt in _DATE_FORMATS}
    hits = {fmt: int(values.notna().sum()) for fmt, values in parsed.items()}
    losers: set[str] = set()
    guessed: set[str] = set()
    for day_first, month_first in _TWINS.items():
        if hits[day_first] == hits[month_first] > 0:
            day_wins, guess = _pick_order(parsed[day_first], parsed[month_first])
            losers.add(month_first if day_wins else day_first)
            if guess:
                guessed.update((day_first, month_first))
    rank = {fmt: i for i, fmt in enumerate(_DATE_FORMATS)}
    formats: list[str] = []
    covered = pd.Series(False, index=sample.index)
    while not covered.all() and len(formats) < 4:  # every format in use, for mixed columns
        gains = {
            fmt: int((values.notna() & ~covered).sum())
            for fmt, values in parsed.items()
            if fmt not in formats
        }
        best = max(gains, key=lambda f: (gains[f], f not in losers, -rank[f]))
        if gains[best] == 0:
            break
        formats.append(best)
        covered |= parsed[best].notna()
    if covered.mean() < _MIN_SHARE:
        return None
    spec: dict[str, Any] = {"formats": formats, "utc": utc}
    if guessed.intersection(formats):
        spec["order_ambiguous"] = True
    return spec


def date_order(spec: dict[str, Any] | None) -> str | None:
    """ "day-first" or "month-first" for a date parse spec whose first numeric format puts the
    day or the month first (such as %d/%m/%Y), else None."""
    for fmt in (spec or {}).get("formats") or []:
        if fmt in _TWINS:
            return "day-first"
        if fmt in _TWINS.values():
            return "month-first"
    return None


def infer_column(values: pd.Series, name: str) -> tuple[str, dict[str, Any] | None]:
    """(semantic_type, parse spec or None) for one column."""
    non_null = values.dropna()
    n = len(non_null)
    if pd.api.types.is_bool_dtype(values):
        return "boolean", None
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime", {"formats": [], "utc": getattr(values.dtype, "tz", None) is not None}
    if n == 0:
        return ("numeric" if pd.api.types.is_numeric_dtype(values) else "categorical"), None
    if pd.api.types.is_numeric_dtype(values):
        return infer_numeric(non_null.astype("float64"), name, values.dtype), None
    text = present_strings(values)
    if text.empty:
        return "categorical", None
    if boolean_words(set(text.str.lower().unique()[:3])):
        return "boolean", None
    numeric = _numeric_spec(text)
    if numeric is not None:
        number = text_to_number(text, numeric)
        semantic = infer_numeric(number.dropna(), name, np.dtype("float64"))
        if semantic == "boolean":
            return "boolean", None
        return semantic, (numeric if semantic != "id" else None)
    dates = datetime_spec(text)
    if dates is not None:
        return "datetime", dates
    sample = text.iloc[:_DETECT_SAMPLE]
    # Quarters ("1998-Q1", "1998 Q1", "Q1 1998") and ISO weeks ("2020-W05").
    if period_starts(sample).notna().mean() >= _MIN_SHARE:
        return "datetime", {"formats": ["ISO8601"], "utc": False}
    return _infer_text(text, name), None


def infer_numeric(values: pd.Series | np.ndarray, name: str, dtype: Any) -> str:
    """The semantic type of present (non-null) numbers: numeric, boolean (0/1) or id."""
    arr = np.asarray(values, dtype="float64")
    n = arr.size
    uniques = np.unique(arr)
    if len(uniques) == 2 and set(uniques.tolist()) == {0.0, 1.0}:
        return "boolean"
    if n < 2 or not is_integral(arr) or _TIMEISH_NAME.search(name):
        return "numeric"
    unique_share = len(uniques) / n
    if _looks_like_id_name(name) and unique_share >= 0.95:
        return "id"
    # No telling name: only a row counter (0..n-1 / 1..n, step 1) counts as an identifier.
    if n >= 20 and unique_share == 1.0 and np.dtype(dtype).kind in "iu":
        steps = np.diff(arr)
        if (steps == 1).all() and arr[0] in (0, 1):
            return "id"
    return "numeric"


def _infer_text(text: pd.Series, name: str) -> str:
    n = len(text)
    unique = text.nunique()
    unique_share = unique / n
    mean_length = float(text.str.len().mean())
    has_space = text.str.contains(r"\s").mean()
    if unique_share >= 0.95 and n >= 3:
        if _looks_like_id_name(name) and has_space < 0.5:
            return "id"
        # Codes like "CUST-0012" or UUIDs: digits, no spaces, similar length.
        codeish = text.str.match(r"^[A-Za-z0-9_\-:.#/{}]+$") & text.str.contains(r"\d")
        lengths = text.str.len()
        if codeish.mean() >= 0.95 and lengths.max() - lengths.min() <= 3 and n >= 5:
            return "id"
    if mean_length >= 50 or (unique_share > 0.5 and unique > 50 and has_space >= 0.5):
        return "text"
    if unique_share > 0.9 and n >= 20 and has_space >= 0.5:
        return "text"
    return "categorical"


def text_number(value: Any, spec: dict[str, Any]) -> float:
    """One value read as a number with the separators of `spec` (a column's parse spec); NaN
    when it is missing (a null word such as "n/a") or no number. Only decimal notation counts
    (and infinity, which callers refuse as not finite): Python's other spellings, such as
    "1_000", are no numbers here."""
    if value is None or isinstance(value, bool):
        return float(value) if isinstance(value, bool) else math.nan
    if isinstance(value, (int, float, np.integer, np.floating, Decimal)):
        return float(value)
    if not isinstance(value, str):
        return math.nan
    text = NUMBER_DECOR.sub("", value.strip())
    if text.lower() in NULL_TOKENS:
        return math.nan
    if spec.get("thousands"):
        text = text.replace(spec["thousands"], "")
    if spec.get("decimal") == ",":
        text = text.replace(",", ".")
    if not (_PLAIN_NUMBER.match(text) or _INFINITY.match(text)):
        return math.nan
    return float(text)


def text_to_number(values: pd.Series, spec: dict[str, Any]) -> pd.Series:
    """Numbers read from text with the separators of `spec`; NaN where a value is no number."""
    return pd.Series([text_number(v, spec) for v in values], index=values.index, dtype="float64")
