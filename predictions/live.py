"""Live forecasting: new observations advance a deployed forecaster without retraining.

The stored model file never changes. Each deployment keeps, per series, a `ForecastState` row
holding the fitted forecaster's advanced state (`Forecaster.live_state()`), so another web process
or a restart continues from it. Observations and forecast feedback are actuals
(`ForecastActual`), which monitoring matches to every forecast made for their timestamps.

A batch of observations is checked whole before anything is written: a timestamp that is not
after the last known one, off the series' frequency, or so far after it that more steps would
be invented than `fill_limit` allows (the longer of the model's horizon and one season), refuses
the batch (400). Timestamps are read in the notation of the training file's time column, else
as ISO 8601 or a date that reads one way only; `02.01.2024` on a series written 2024-01-31 could
be 2 January or 1 February and is refused rather than guessed.
"""

from __future__ import annotations

import logging
import math
import re
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import IntegrityError, transaction
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BQuarterBegin, BQuarterEnd, QuarterBegin, QuarterEnd

from datasets.coercion import is_quarter, read_timestamp
from datasets.frequency import default_season_length
from datasets.jsonsafe import json_safe
from datasets.semantics import text_number
from datasets.timeseries import past_calendar_sentence, steps_past_calendar
from modeling.models import TrainedModel
from pipelines.limits import MAX_HORIZON
from predictions.models import Deployment, ForecastActual, ForecastState, PredictionRecord
from preprocessing.series import fill_gaps, future_index
from vur.errors import Conflict, InvalidInput, ModelNotDeployed, NotFound

logger = logging.getLogger(__name__)

MAX_OBSERVATIONS = 10_000  # per request
MAX_GAP_STEPS = 10_000  # steps `steps_after` counts before giving up
LIVE_HISTORY_POINTS = 2_000  # the most recent live steps `live_history` draws


@dataclass(frozen=True)
class Point:
    """One checked observation or actual: the model's series key, its time in the model's clock
    (naive UTC, or naive local for a model without a zone) and the value."""

    key: Any
    stamp: pd.Timestamp
    value: float


# ---------------------------------------------------------------- reading the input
def series_label(key: Any) -> str:
    """How a series key is stored in `series_id` columns ("" for a single-series model)."""
    return "" if key is None else str(key)


def _series_key(fitted: Any, series_id: Any, *, where: str) -> Any:
    """The model's key of `series_id`; 404 for a series the model does not know, saying so when
    it was left out of training (too short or too sparse)."""
    keys = list(fitted.forecasters)
    if not getattr(fitted, "id_column", None):
        if series_id is None or series_id == "":
            return keys[0]
        raise NotFound(
            f"{where}: this model forecasts a single series; series '{series_id}' is not in it.",
            code="series_not_found",
        )
    if series_id is None or series_id == "":
        raise InvalidInput(
            f"{where}: series_id is required: this model forecasts several series "
            f"({', '.join(map(str, keys[:5]))}{', ...' if len(keys) > 5 else ''}).",
            code="series_id_required",
        )
    for key in keys:
        if str(key) == str(series_id):
            return key
    if hasattr(fitted, "left_out_reason") and fitted.left_out_reason(series_id) is not None:
        raise NotFound(
            f"{where}: {fitted.unknown_series(series_id)} Retrain the model once it has more.",
            code="series_left_out",
        )
    raise NotFound(f"Series '{series_id}' is not in this model.", code="series_not_found")


def _model_time(value: Any, *, where: str, spec: dict[str, Any] | None, freq: str) -> pd.Timestamp:
    """A timestamp in the model's clock, read in the notation of the model's time column (its
    parse spec: day/month order, `31.12.1992`, quarters such as `Q3 1983`), else as ISO 8601 or
    another unambiguous date. Zoned times are converted to UTC; naive ones are read as UTC (the
    zone the answers use). A quarter of a model whose steps are quarters is that model's point
    of the quarter (its end for a quarter-end model)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a year or a yymmdd date sent as a JSON number (as REST reads it)
    if isinstance(value, str):
        value = value.strip()
    if not isinstance(value, str) or not value:
        raise InvalidInput(
            f"{where}: timestamp must be a date or time written as text.", code="bad_timestamp"
        )
    stamp = read_timestamp(value, spec)
    if stamp is None:
        stamp = _one_reading(value, where=where, spec=spec)
    elif is_quarter(value) and _quarterly(freq):
        stamp = to_offset(freq).rollforward(stamp)
    return pd.Timestamp(stamp).as_unit("ns")


def _written_like(spec: dict[str, Any] | None) -> str:
    """How the training file wrote its timestamps, shown on 31 January 2024 (the day tells the
    order): "31.01.2024 or ISO 8601 (2024-01-31)", or "ISO 8601 (2024-01-31)"."""
    example = pd.Timestamp("2024-01-31")
    formats = [f for f in (spec or {}).get("formats") or [] if f.startswith("%")]
    if formats:
        return (
            f"as the training file did ({example.strftime(formats[0])}) or in ISO 8601 (2024-01-31)"
        )
    return "in ISO 8601 as the training file did (2024-01-31)"


def _one_reading(value: str, *, where: str, spec: dict[str, Any] | None) -> pd.Timestamp:
    """A timestamp outside the training file's notation and ISO 8601, read only when it reads
    one way: `Jan 2, 2024` or `31.01.2024` do; `02.01.2024` could be 2 January or 1 February
    (InvalidInput `ambiguous_timestamp`, never a guess)."""
    readings = []
    for day_first in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas warns when it swaps day and month
            try:
                readings.append(pd.to_datetime(value, dayfirst=day_first))
            except (ValueError, TypeError, OverflowError):
                continue
    readings = [r for r in readings if r is not pd.NaT and not pd.isna(r)]
    if not readings:
        raise InvalidInput(
            f"{where}: '{value}' is not a timestamp; write it {_written_like(spec)}.",
            code="bad_timestamp",
        )
    stamps = {pd.Timestamp(r) for r in readings}
    if len(stamps) > 1:
        one, other = sorted(stamps)
        raise InvalidInput(
            f"{where}: '{value}' could be {_day(one)} or {_day(other)}; write it "
            f"{_written_like(spec)}.",
            code="ambiguous_timestamp",
        )
    stamp = stamps.pop()
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def _day(stamp: pd.Timestamp) -> str:
    """A date in words, e.g. 2 January 2024 (with the time when it has one)."""
    words = f"{stamp.day} {stamp.strftime('%B %Y')}"
    return words if stamp == stamp.normalize() else f"{words} {stamp.strftime('%H:%M')}"


def _quarterly(freq: str) -> bool:
    try:
        offset = to_offset(freq)
    except (ValueError, TypeError):
        return False
    return isinstance(offset, (QuarterBegin, QuarterEnd, BQuarterBegin, BQuarterEnd))


def time_spec(model: TrainedModel) -> dict[str, Any] | None:
    """The parse spec of a forecasting model's time column (how its training file wrote the
    timestamps), or None when the model's input schema does not record one."""
    schema = model.input_schema or {}
    name = schema.get("time_column")
    column = next((c for c in schema.get("columns") or [] if c.get("name") == name), None)
    return (column or {}).get("parse")


def value_spec(model: TrainedModel) -> dict[str, Any] | None:
    """The parse spec of a forecasting model's target column (how its training file wrote the
    numbers: decimal comma, thousands separator), or None when the input schema has none."""
    schema = model.input_schema or {}
    name = schema.get("target")
    column = next((c for c in schema.get("columns") or [] if c.get("name") == name), None)
    return (column or {}).get("parse")


_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")
_THOUSANDS_OR_DECIMAL = re.compile(r"[+-]?\d{1,3},\d{3}")


def _number(value: Any, *, where: str, field: str, spec: dict[str, Any] | None = None) -> float:
    """A value as a number. Text reads as the training file's numbers did (`spec`: its decimal
    mark and separators); a decimal comma also reads when it cannot be anything else (`101,5`),
    while `1,234` (a thousand and more, or one and a bit?) is refused on a decimal-point file."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidInput(f"{where}: {field} must be a number.", code="bad_value")
    if isinstance(value, str):
        text = value.strip()
        number = text_number(text, spec or {})
        if math.isnan(number) and (spec or {}).get("decimal") != "," and text.lower() != "nan":
            if _THOUSANDS_OR_DECIMAL.fullmatch(text):
                raise InvalidInput(
                    f"{where}: {field} '{text}' could be {text.replace(',', '')} or "
                    f"{text.replace(',', '.')}; write it with a decimal point and no thousands "
                    "separator.",
                    code="ambiguous_number",
                )
            if _DECIMAL_COMMA.fullmatch(text):
                number = float(text.replace(",", "."))
        if math.isnan(number):
            raise InvalidInput(f"{where}: {field} '{text}' is not a number.", code="bad_value")
    else:
        number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"{where}: {field} must be a finite number.", code="bad_value")
    return number


def parse_points(
    fitted: Any,
    items: Any,
    *,
    spec: dict[str, Any] | None = None,
    numbers: dict[str, Any] | None = None,
    series_id: Any = None,
    value_field: str = "value",
    name: str = "observations",
    single: bool = False,
) -> list[Point]:
    """Check a list of `{timestamp, <value_field>, series_id?}` against a forecast model; each
    item's series_id (else `series_id`) names its series, its timestamp is read with `spec`
    (the model's time column parse spec, `time_spec`) and a value written as text with
    `numbers` (its target's, `value_spec`). Errors name an item by its position (`name[0]`),
    or by `name` alone when the request sent one object (`single`). Raises InvalidInput /
    NotFound."""
    if not isinstance(items, list):
        raise InvalidInput(f"{name} must be a list of objects.", code=f"bad_{name}")
    if len(items) > MAX_OBSERVATIONS:
        raise InvalidInput(
            f"At most {MAX_OBSERVATIONS} {name} per request.", code=f"too_many_{name}"
        )
    points = []
    for i, item in enumerate(items):
        where = name if single else f"{name}[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(
                f"{where}: must be an object {{timestamp, {value_field}, series_id?}}.",
                code=f"bad_{name}",
            )
        missing = [f for f in ("timestamp", value_field) if f not in item]
        if missing:
            raise InvalidInput(f"{where}: missing {', '.join(missing)}.", code=f"bad_{name}")
        sid = item.get("series_id", series_id)
        points.append(
            Point(
                key=_series_key(fitted, sid, where=where),
                stamp=_model_time(item["timestamp"], where=where, spec=spec, freq=fitted.freq),
                value=_number(item[value_field], where=where, field=value_field, spec=numbers),
            )
        )
    return points


def steps_after(last: pd.Timestamp, stamp: pd.Timestamp, freq: str) -> int | None:
    """How many steps of `freq` lead from `last` to `stamp` (None when `stamp` is off the grid
    that `last` is on, or more than MAX_GAP_STEPS + 1 steps away)."""
    offset = to_offset(freq)
    delta = stamp - last
    try:
        nanos = offset.nanos
    except ValueError:  # calendar frequencies (months, weeks on a day, business days)
        nanos = None
    if nanos:
        if delta.value % nanos:
            return None
        steps = delta.value // nanos
        return int(steps) if steps <= MAX_GAP_STEPS + 1 else None
    if not offset.is_on_offset(stamp):
        return None
    if offset.is_on_offset(last):
        return _calendar_steps(last, stamp, offset)
    # Up to `stamp` itself, not a fixed count of steps: 10,000 months from today would run past
    # the last timestamp pandas can hold (2262) and overflow.
    stamps = pd.date_range(start=last, end=stamp, freq=offset)
    steps = len(stamps) - 1
    if steps < 1 or stamps[-1] != stamp or steps > MAX_GAP_STEPS + 1:
        return None
    return steps


def _calendar_steps(last: pd.Timestamp, stamp: pd.Timestamp, offset: Any) -> int | None:
    """`steps_after` for a calendar frequency when both ends are on its grid: the count is
    estimated from the mean step over 100 steps and checked by stepping that many from `last`
    (one addition each), instead of listing every step between them (which made checking
    2,500 monthly actuals take seconds: each listed up to 2,500 months)."""
    delta = stamp - last
    if delta.value <= 0:
        return None
    try:
        mean_step = ((last + 100 * offset) - last).value / 100
    except (OverflowError, ValueError):  # 100 steps past pandas' calendar: one step's length
        mean_step = ((last + offset) - last).value
    guess = round(delta.value / mean_step)
    for steps in sorted(range(max(1, guess - 3), guess + 4), key=lambda n: abs(n - guess)):
        if steps > MAX_GAP_STEPS + 1:
            continue
        try:
            if last + steps * offset == stamp:
                return steps
        except (OverflowError, ValueError):
            continue
    return None


def _display_all(fitted: Any, stamps: Any) -> list[str]:
    """Model-clock timestamps as the answers write them: ISO 8601 in the model's zone (UTC for
    a model trained on naive times)."""
    index = pd.DatetimeIndex(stamps).tz_localize("UTC")
    zone = getattr(fitted, "timezone", None)
    if zone:
        index = index.tz_convert(zone)
    return [ts.isoformat() for ts in index]


def _display(fitted: Any, stamp: pd.Timestamp) -> str:
    """One model-clock timestamp as the answers write it."""
    return _display_all(fitted, [stamp])[0]


def fill_limit(fitted: Any) -> int:
    """How many missing steps in a row the live update fills: the longer of the model's horizon
    and one season of its frequency (7 days, 24 hours, 12 months). Further than that the filled
    values would be more invention than the forecast itself, and one mistyped timestamp (a year
    ahead, a day read as a month) would move the deployment's state for good."""
    return max(int(fitted.horizon), default_season_length(fitted.freq), 1)


def _observed_series(fitted: Any, forecaster: Any, points: list[Point]) -> pd.Series:
    """The regular series of new values (NaN on skipped steps) continuing `forecaster`;
    InvalidInput when a point is not new, off the frequency, or skips more than `fill_limit`
    steps."""
    freq = fitted.freq
    limit = fill_limit(fitted)
    last = pd.Timestamp(forecaster.last_timestamp_)
    offsets = []
    total = 0
    for p in points:
        shown = _display(fitted, p.stamp)
        of_series = "" if p.key is None else f" of series {p.key}"
        if p.stamp <= last:
            raise InvalidInput(
                f"The observation at {shown} is not after the last known one "
                f"({_display(fitted, last)}){of_series}; observations must be new and in time "
                "order.",
                code="observation_not_after_last",
            )
        steps = steps_after(last, p.stamp, freq)
        if steps is None:
            raise InvalidInput(
                f"The observation at {shown} is off the series' frequency ({freq}) after "
                f"{_display(fitted, last)}, or skips more than {MAX_GAP_STEPS} steps.",
                code="observation_off_frequency",
            )
        if steps - 1 > limit:
            words = FILL_WORDS.get(fill_method(forecaster) or "")
            raise InvalidInput(
                f"The observation at {shown} would leave {steps - 1} steps missing after the "
                f"last known one, {_display(fitted, last)}{of_series} (the next expected is "
                f"{_display(fitted, future_index(last, freq, 1)[0])}): all {steps - 1} would "
                f"be invented{f' by {words}' if words else ''}. At most {limit} missing "
                f"steps are filled (the model's horizon of {int(fitted.horizon)} steps or one "
                "season, whichever is longer). Check the timestamp, or send the values in "
                "between first.",
                code="observation_gap_too_long",
            )
        total += steps
        offsets.append(total - 1)
        last = p.stamp
    values = np.full(total, np.nan)
    values[offsets] = [p.value for p in points]
    return pd.Series(values, index=future_index(forecaster.last_timestamp_, freq, total))


# ---------------------------------------------------------------- gaps
# How a forecaster's series preparation fills a missing step, in words (see
# `preprocessing.series.fill_gaps`, which the live update applies as training did).
FILL_WORDS = {
    "interpolate": "linear interpolation between the values either side",
    "linear": "linear interpolation between the values either side",
    "forward_fill": "the last known value carried forward",
    "ffill": "the last known value carried forward",
}


def fill_method(forecaster: Any) -> str | None:
    """How `forecaster` fills the missing steps of new observations: its series preparation's
    method (an ensemble's members share one), or None when it cannot take missing steps."""
    method = getattr(forecaster, "fill_method", None)
    if method:
        return str(method)
    for member in getattr(forecaster, "members", None) or []:
        found = fill_method(member)
        if found:
            return found
    return None


def observation_gaps(
    fitted: Any, forecaster: Any, points: list[Point], freq: str, *, applied: bool = True
) -> list[dict[str, Any]]:
    """The steps that `points` (one series, already checked) skip after the series' last known
    timestamp and after each other: one entry per skip, with how the steps are (or, when not
    `applied`, would be) filled."""
    last = pd.Timestamp(forecaster.last_timestamp_)
    method = fill_method(forecaster)
    words = FILL_WORDS.get(method or "", method or "no filling")

    def verb(one: bool) -> str:
        return ("was" if one else "were") if applied else "would be"

    gaps = []
    for p in points:
        steps = steps_after(last, p.stamp, freq) or 1
        if steps > 1:
            missing = future_index(last, freq, steps - 1)
            after, before = _display(fitted, last), _display(fitted, p.stamp)
            span = (
                _display(fitted, missing[0])
                if len(missing) == 1
                else f"{_display(fitted, missing[0])} to {_display(fitted, missing[-1])}"
            )
            gaps.append(
                {
                    "series_id": None if p.key is None else json_safe(p.key),
                    "after": after,
                    "before": before,
                    "missing_steps": steps - 1,
                    "first_missing": _display(fitted, missing[0]),
                    "last_missing": _display(fitted, missing[-1]),
                    "filled_with": method,
                    "note": f"{steps - 1} step{'s' if steps > 2 else ''} missing between "
                    f"{after} and {before} ({span}) "
                    f"{verb(steps == 2)} filled with {words}.",
                }
            )
        last = p.stamp
    return gaps


# ---------------------------------------------------------------- state
def live_deployment(model: TrainedModel) -> Deployment:
    """The deployment whose live state a model's forecasts use: its first active one (a model
    deployed for several targets shares one state); 409 when none is active."""
    deployment = (
        Deployment.objects.filter(model_id=model.pk, status=Deployment.Status.ACTIVE)
        .order_by("deployed_at", "pk")
        .first()
    )
    if deployment is None:
        raise ModelNotDeployed(
            "The model is not deployed; deploy it before asking for predictions."
        )
    return deployment


def _advanced(base: Any, row: ForecastState | None) -> Any:
    """The base forecaster of a series carrying its deployment's saved state, if any."""
    if row is None or not row.state:
        return base
    try:
        return base.with_live_state(row.state)
    except (KeyError, ValueError, TypeError) as exc:
        raise Conflict(
            f"The live state of series '{row.series_id}' cannot be read ({exc}); undeploy and "
            "deploy the model again to start from its trained history.",
            code="live_state_unreadable",
        ) from exc


def live_next(model: TrainedModel, fitted: Any, series_id: Any = None) -> dict[str, Any]:
    """What the deployment expects next for a series (the first one by default), read from its
    live state without writing anything: `{series_id, updated_through, timestamp, forecast}`
    (`forecast` the one-step point forecast). ModelNotDeployed (409) when not deployed."""
    deployment = live_deployment(model)
    key = (
        _series_key(fitted, series_id, where="series_id")
        if series_id is not None and series_id != ""
        else next(iter(fitted.forecasters))
    )
    row = ForecastState.objects.filter(deployment=deployment, series_id=series_label(key)).first()
    forecaster = _advanced(fitted.forecasters[key], row)
    last = pd.Timestamp(forecaster.last_timestamp_)
    out = forecaster.predict(1, (80,))
    point = float(np.asarray(out.forecast, dtype=float)[0])
    return {
        "series_id": None if key is None else json_safe(key),
        "updated_through": _display(fitted, last),
        "timestamp": _display(fitted, future_index(last, fitted.freq, 1)[0]),
        "forecast": point if math.isfinite(point) else None,
    }


def observation_check(
    *,
    model: TrainedModel,
    fitted: Any,
    timestamp: Any,
    series_id: Any = None,
    value: Any = None,
) -> dict[str, Any]:
    """What sending one observation at `timestamp` would do to the deployment's live state,
    worked out by the same reading and checks as `forecast_live` and writing nothing:
    `{ok, detail, reads_as, updated_through, next_expected, missing_steps, value_note}`
    (`detail` a sentence: the refusal, or how the timestamp reads and what would be filled;
    `value_note` the warning when `value`, as typed, lies far outside the series' training
    values). ModelNotDeployed (409) when not deployed; a series the model does not know raises
    as `forecast_live` does."""
    deployment = live_deployment(model)
    try:
        [point] = parse_points(
            fitted,
            [{"timestamp": timestamp, "value": 0.0}],
            spec=time_spec(model),
            series_id=series_id,
        )
    except InvalidInput as exc:  # the sentence without its field path ("observations[0]: ")
        detail = re.sub(r"^observations\[0\]:\s*", "", exc.detail)
        return {"ok": False, "detail": detail[:1].upper() + detail[1:]}
    row = ForecastState.objects.filter(
        deployment=deployment, series_id=series_label(point.key)
    ).first()
    forecaster = _advanced(fitted.forecasters[point.key], row)
    last = pd.Timestamp(forecaster.last_timestamp_)
    answer: dict[str, Any] = {
        "reads_as": _display(fitted, point.stamp),
        "updated_through": _display(fitted, last),
        "next_expected": _display(fitted, future_index(last, fitted.freq, 1)[0]),
        "missing_steps": 0,
        "value_note": _typed_value_note(model, fitted, timestamp, point.key, value),
    }
    try:
        _observed_series(fitted, forecaster, [point])
    except InvalidInput as exc:
        return {**answer, "ok": False, "detail": exc.detail}
    gaps = observation_gaps(fitted, forecaster, [point], fitted.freq, applied=False)
    if gaps:
        detail = f"Reads as {answer['reads_as']}: {gaps[0]['note']}"
        return {**answer, "ok": True, "detail": detail, "missing_steps": gaps[0]["missing_steps"]}
    return {
        **answer,
        "ok": True,
        "detail": f"Reads as {answer['reads_as']}, the next step after "
        f"{answer['updated_through']}.",
    }


def _typed_value_note(
    model: TrainedModel, fitted: Any, timestamp: Any, key: Any, value: Any
) -> str | None:
    """The far-value warning of a value as typed in the live panel (read as sending it would
    read it); None when it is empty, not a number (sending says why) or not far."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        [point] = parse_points(
            fitted,
            [{"timestamp": timestamp, "value": value}],
            spec=time_spec(model),
            numbers=value_spec(model),
            series_id=None if key is None else key,
        )
    except InvalidInput:
        return None
    notes = far_value_notes(fitted, [point])
    return notes[0] if notes else None


def far_value_notes(fitted: Any, points: list[Point]) -> list[str]:
    """The warnings of observations far outside their series' training values, one per series
    (its first such value), for the answer's `notes`."""
    if not hasattr(fitted, "far_value_note"):
        return []
    notes: dict[Any, str] = {}
    for p in points:
        if p.key not in notes and (note := fitted.far_value_note(p.key, p.value)):
            notes[p.key] = note
    return list(notes.values())


def _fill_head(forecaster: Any) -> float | None:
    """The last value of the training history that filling a gap right after it starts from
    (the prepared value; an ensemble's members share it), or None when not recorded."""
    last = getattr(forecaster, "last_raw_", None)
    if last is not None:
        return float(last)
    for member in getattr(forecaster, "members", None) or []:
        found = _fill_head(member)
        if found is not None:
            return found
    return None


def live_history(model: TrainedModel, fitted: Any, series_id: Any = None) -> dict[str, Any]:
    """The steps a deployment's live state took after the training history, for a series (the
    first by default), as the live update saw them: `{series_id, updated_through, timestamps,
    values, filled}`, `filled[i]` true for a step no observation gave (its value filled as the
    update filled it). Values are the actuals recorded since the deployment started; at most
    the last `LIVE_HISTORY_POINTS` steps. Read-only. ModelNotDeployed (409) when not deployed."""
    deployment = live_deployment(model)
    key = (
        _series_key(fitted, series_id, where="series_id")
        if series_id is not None and series_id != ""
        else next(iter(fitted.forecasters))
    )
    label = series_label(key)
    base = fitted.forecasters[key]
    start = pd.Timestamp(base.last_timestamp_)
    row = ForecastState.objects.filter(deployment=deployment, series_id=label).first()
    answer: dict[str, Any] = {
        "series_id": None if key is None else json_safe(key),
        "updated_through": _display(fitted, start),
        "timestamps": [],
        "values": [],
        "filled": [],
    }
    if row is None or not row.state:
        return answer
    end = pd.Timestamp(row.state["last_timestamp"])
    whole = pd.date_range(start=start, end=end, freq=fitted.freq)[1:]  # as `future_index`
    if not len(whole):
        return answer
    grid = whole[-LIVE_HISTORY_POINTS:]
    utc = [ts.tz_localize("UTC").to_pydatetime() for ts in (grid[0], grid[-1])]
    actuals = ForecastActual.objects.filter(
        model=model,
        series_id=label,
        timestamp__gte=utc[0],
        timestamp__lte=utc[1],
        updated_at__gte=deployment.deployed_at,
    ).values_list("timestamp", "value")
    observed = {pd.Timestamp(ts).tz_convert("UTC").tz_localize(None): v for ts, v in actuals}
    values = pd.Series([observed.get(ts, np.nan) for ts in grid], dtype=float)
    filled = values.isna().to_numpy()
    method = fill_method(base)
    if method and filled.any():
        head = _fill_head(base) if len(grid) == len(whole) else np.nan  # all of it is shown
        values = fill_gaps(pd.Series([head if head is not None else np.nan, *values]), method)
        values = values.iloc[1:].reset_index(drop=True)
    return {
        **answer,
        "updated_through": _display(fitted, end),
        "timestamps": _display_all(fitted, grid),
        "values": [float(v) if math.isfinite(v) else None for v in values],
        "filled": [bool(f) for f in filled],
    }


def _check_request(horizon: int | None, levels: list[float]) -> None:
    if horizon is not None and (
        isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= MAX_HORIZON
    ):
        raise InvalidInput(f"horizon must be between 1 and {MAX_HORIZON}.", code="bad_horizon")
    if not isinstance(levels, list) or not levels:
        raise InvalidInput("level must be a non-empty list of percentages.", code="bad_level")
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 100:
            raise InvalidInput(
                "Each level must be between 0 and 100 (exclusive).", code="bad_level"
            )
        if not float(level).is_integer():  # intervals are calibrated and named per whole percent
            raise InvalidInput(
                f"Each level must be a whole percentage such as 80 or 95; got {level}.",
                code="bad_level",
            )
    if len({int(level) for level in levels}) < len(levels):
        raise InvalidInput("Each level may be asked for once.", code="bad_level")


def forecast_live(
    *,
    user,
    model: TrainedModel,
    fitted: Any,
    horizon: int | None = None,
    levels: list[float] | None = None,
    series_id: Any = None,
    observations: list[dict[str, Any]] | None = None,
    channel: str = "rest",
    record: bool = True,
) -> dict[str, Any]:
    """Apply new observations (if any) to the deployment's live state and forecast from it.

    Writes, in one transaction: the advanced state of each observed series, the observations as
    actuals, and one PredictionRecord per forecast series. A bad observation raises before any
    write (the batch applies whole or not at all). Raises ModelNotDeployed, InvalidInput,
    NotFound, Conflict (two first observations of a series raced; the client may retry).

    `record=False` reads the live state and forecasts from it writing nothing (no record, no
    state, no actuals; `prediction_id` None and `prediction_ids` empty): the model page's chart,
    which is a page view, not served traffic. It takes no observations (sending one is a
    prediction request).
    """
    started = time.perf_counter()
    if not record and observations:
        raise ValueError("A forecast that records nothing takes no observations.")
    levels = list(levels) if levels is not None else [80, 95]
    _check_request(horizon, levels)
    if observations is not None and not isinstance(observations, list):
        raise InvalidInput("observations must be a list of objects.", code="bad_observations")
    deployment = live_deployment(model)
    points = parse_points(
        fitted,
        observations or [],
        spec=time_spec(model),
        numbers=value_spec(model),
        series_id=series_id,
    )
    observed = list(dict.fromkeys(p.key for p in points))
    if series_id is not None and series_id != "":
        answer_keys = [_series_key(fitted, series_id, where="series_id")]
    elif observed and getattr(fitted, "id_column", None):
        answer_keys = observed
    else:
        answer_keys = list(fitted.forecasters)
    labels = {key: series_label(key) for key in {*answer_keys, *observed}}
    try:
        with transaction.atomic():
            rows = ForecastState.objects.filter(
                deployment=deployment, series_id__in=list(labels.values())
            )
            if observed:
                rows = rows.select_for_update()
            by_label = {row.series_id: row for row in rows}
            current = {
                key: _advanced(fitted.forecasters[key], by_label.get(label))
                for key, label in labels.items()
            }
            gaps: list[dict[str, Any]] = []
            for key in observed:
                mine = [p for p in points if p.key == key]
                new_values = _observed_series(fitted, current[key], mine)
                gaps += observation_gaps(fitted, current[key], mine, fitted.freq)
                try:
                    current[key] = current[key].update(new_values)
                except ValueError as exc:
                    raise InvalidInput(
                        f"The observations could not be applied: {exc}",
                        code="bad_observations",
                    ) from None
            # Forecast first: observations the model cannot forecast from are refused before
            # their state (which may hold an overflowed sum) is written.
            answer = _forecast_answer(fitted, current, answer_keys, horizon, levels, points)
            if record:
                _save_states(deployment, observed, labels, by_label, current, points)
                _save_actuals(user, model, points)
            latency = (time.perf_counter() - started) * 1000
            ids = (
                _record_forecasts(user, model, answer, levels, horizon, channel, latency, points)
                if record
                else []
            )
    except IntegrityError:
        raise Conflict(
            "Another request updated this series at the same time; send the observations again.",
            code="concurrent_update",
        ) from None
    first = answer_keys[0]
    return {
        "model_id": model.pk,
        **answer["top"],
        "series_id": None if first is None else json_safe(first),
        "updated_through": _display(fitted, current[first].last_timestamp_),
        "notes": far_value_notes(fitted, points)
        + fitted.forecast_notes(int(horizon or fitted.horizon)),
        "observations_applied": len(points),
        "missing_steps": sum(g["missing_steps"] for g in gaps),
        "gaps": gaps,
        "prediction_id": ids[0] if ids else None,
        "prediction_ids": ids,
        "latency_ms": round(latency, 3),
    }


def _save_states(deployment, observed, labels, by_label, current, points) -> None:
    for key in observed:
        label = labels[key]
        forecaster = current[key]
        through = pd.Timestamp(forecaster.last_timestamp_).tz_localize("UTC").to_pydatetime()
        count = sum(1 for p in points if p.key == key)
        row = by_label.get(label)
        if row is None:
            ForecastState.objects.create(
                deployment=deployment,
                series_id=label,
                state=forecaster.live_state(),
                updated_through=through,
                n_observations=count,
                version=1,
            )
            continue
        changed = ForecastState.objects.filter(pk=row.pk, version=row.version).update(
            state=forecaster.live_state(),
            updated_through=through,
            n_observations=row.n_observations + count,
            version=row.version + 1,
        )
        if not changed:  # SQLite has no row locks: another writer got there first
            raise IntegrityError("live state changed underneath")


def _save_actuals(user, model: TrainedModel, points: list[Point]) -> None:
    """Upsert actuals (one per model, series and timestamp; a repeat updates the value)."""
    if not points:
        return
    latest = {}
    for p in points:
        latest[(series_label(p.key), p.stamp)] = p.value
    ForecastActual.objects.bulk_create(
        [
            ForecastActual(
                owner_id=model.owner_id,
                model=model,
                series_id=label,
                timestamp=stamp.tz_localize("UTC").to_pydatetime(),
                value=value,
            )
            for (label, stamp), value in latest.items()
        ],
        update_conflicts=True,
        unique_fields=["model", "series_id", "timestamp"],
        update_fields=["value", "updated_at"],
    )


def _forecast_answer(fitted, current, keys, horizon, levels, points=()) -> dict[str, Any]:
    """Forecasts of `keys` from their current forecasters, shaped like ForecastModel.predict:
    one series' fields at top level, plus `series` (each with its id) for an id-column model.

    Every series that took observations (`points`) is forecast too, answered or not: one whose
    model fails or gives a value that is not a finite number from its new history refuses the
    request (400 observation_not_forecastable; the caller's transaction stores nothing)."""
    h = int(horizon or fitted.horizon)
    lv = tuple(int(v) for v in levels)
    by_key: dict[Any, list[Point]] = {}
    for p in points:
        by_key.setdefault(p.key, []).append(p)
    parts = []
    for key in [*keys, *(k for k in by_key if k not in keys)]:
        mine = by_key.get(key, [])
        most = steps_past_calendar(current[key].last_timestamp_, fitted.freq, h)
        if most is not None:
            sentence = past_calendar_sentence(h, fitted.freq, most)
            raise InvalidInput(sentence, code="horizon_past_calendar")
        try:
            out = current[key].predict(h, lv)
        except ValueError as exc:
            if mine:
                raise _not_forecastable(fitted, mine, "the model failed on it") from None
            raise InvalidInput(str(exc), code="bad_forecast_request") from None
        except Exception:
            if not mine:
                raise
            logger.warning("A forecaster failed on new observations", exc_info=True)
            raise _not_forecastable(fitted, mine, "the model failed on it") from None
        if mine and not _finite_output(out):
            raise _not_forecastable(fitted, mine, "its forecast would not be a finite number")
        if key in keys:
            body = out.as_json(_display_all(fitted, out.timestamps))
            parts.append((key, json_safe(body), _display(fitted, current[key].last_timestamp_)))
    top = dict(parts[0][1])
    if getattr(fitted, "id_column", None):
        top["series"] = [
            {"id": json_safe(k), **body, "updated_through": through} for k, body, through in parts
        ]
    return {"top": top, "parts": parts}


def _finite_output(out: Any) -> bool:
    """Whether a forecast and every bound of its intervals are finite numbers."""
    arrays = [out.forecast, *(b for band in out.intervals.values() for b in band.values())]
    return all(np.isfinite(np.asarray(a, dtype=float)).all() for a in arrays)


def _not_forecastable(fitted: Any, mine: list[Point], reason: str) -> InvalidInput:
    """The refusal of observations the model cannot forecast from, naming the value furthest
    from zero (most often a typo or a unit mistake)."""
    worst = max(mine, key=lambda p: abs(p.value))
    return InvalidInput(
        f"The value {worst.value:g} at {_display(fitted, worst.stamp)} cannot be added to the "
        f"history: {reason}. Nothing was stored; check the value for a typo or a unit mistake.",
        code="observation_not_forecastable",
    )


def _record_forecasts(user, model, answer, levels, horizon, channel, latency, points) -> list[str]:
    """One PredictionRecord per forecast series, in the shape monitoring reads:
    {timestamps, forecast, intervals, series_id, origin}."""
    parts = answer["parts"]
    records = [
        PredictionRecord(
            owner=user,
            model=model,
            source="forecast",
            inputs={
                "horizon": horizon,
                "levels": levels,
                "series_id": None if key is None else json_safe(key),
                "observations": sum(1 for p in points if p.key == key),
            },
            prediction={
                **body,
                "series_id": None if key is None else str(key),
                "origin": origin,
            },
            latency_ms=latency / len(parts),
        )
        for key, body, origin in parts
    ]
    for record in records:
        record.channel = channel  # "rest" / "websocket", read by the monitoring rollups
    PredictionRecord.objects.bulk_create(records)
    return [str(r.pk) for r in records]


# ---------------------------------------------------------------- feedback
def feedback_points(
    *, model: TrainedModel, fitted: Any, items: list[dict], single: bool = False
) -> list[Point]:
    """The checked points of forecast actuals `{timestamp, actual, series_id?}`: each read as
    `forecast_feedback` reads it and after the series' training history, on its frequency.
    InvalidInput / NotFound naming the first bad item; nothing is stored."""
    points = parse_points(
        fitted,
        items,
        spec=time_spec(model),
        numbers=value_spec(model),
        value_field="actual",
        name="feedback",
        single=single,
    )
    if not points:
        raise InvalidInput("Send at least one actual.", code="bad_feedback")
    for p in points:
        base = fitted.forecasters[p.key]
        last = pd.Timestamp(base.last_timestamp_)
        if p.stamp <= last:
            raise InvalidInput(
                f"{p.stamp.isoformat()} is inside the model's training history (up to "
                f"{last.isoformat()}); no forecast covers it.",
                code="timestamp_in_history",
            )
        if steps_after(last, p.stamp, fitted.freq) is None:
            raise InvalidInput(
                f"{p.stamp.isoformat()} is off the series' frequency ({fitted.freq}); no forecast "
                "covers it.",
                code="timestamp_off_frequency",
            )
    return points


def forecast_feedback(
    *, user, model: TrainedModel, fitted: Any, items: list[dict], single: bool = False
) -> list[dict]:
    """Record actuals `{timestamp, actual, series_id?}` of a forecasting model (deployed or not):
    monitoring matches each to every forecast made for its timestamp. All or nothing; a repeat
    updates the value. The live state does not move (send observations for that). `single`:
    the request sent one object, so errors do not name a list position."""
    points = feedback_points(model=model, fitted=fitted, items=items, single=single)
    return feedback_save(user=user, model=model, fitted=fitted, points=points)


def feedback_save(*, user, model: TrainedModel, fitted: Any, points: list[Point]) -> list[dict]:
    """Store forecast actuals checked by `feedback_points`, in one transaction (a repeat of a
    series and time updates its value); the answer's entries, one per point."""
    with transaction.atomic():
        _save_actuals(user, model, points)
    return [
        {
            "model_id": model.pk,
            "series_id": None if p.key is None else json_safe(p.key),
            "timestamp": _display(fitted, p.stamp),
            "actual": p.value,
        }
        for p in points
    ]
