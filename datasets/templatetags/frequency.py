"""`frequency_words`: a pandas frequency alias ("MS", "W-SAT", "30min") in plain words."""

from __future__ import annotations

import re

from django import template

register = template.Library()

_DAYS = {
    "MON": "Mondays", "TUE": "Tuesdays", "WED": "Wednesdays", "THU": "Thursdays",
    "FRI": "Fridays", "SAT": "Saturdays", "SUN": "Sundays",
}  # fmt: skip
# Alias -> (adjective for one step, unit for several steps, where in the period it falls).
_UNITS = {
    "YS": ("yearly", "years", "year start"), "AS": ("yearly", "years", "year start"),
    "Y": ("yearly", "years", "year end"), "YE": ("yearly", "years", "year end"),
    "A": ("yearly", "years", "year end"),
    "QS": ("quarterly", "quarters", "quarter start"), "Q": ("quarterly", "quarters", "quarter end"),
    "QE": ("quarterly", "quarters", "quarter end"),
    "MS": ("monthly", "months", "month start"), "M": ("monthly", "months", "month end"),
    "ME": ("monthly", "months", "month end"),
    "SMS": ("twice a month", "half-months", ""), "SM": ("twice a month", "half-months", ""),
    "W": ("weekly", "weeks", ""), "D": ("daily", "days", ""),
    "B": ("every business day", "business days", ""),
    "h": ("hourly", "hours", ""), "H": ("hourly", "hours", ""),
    "min": ("every minute", "minutes", ""), "T": ("every minute", "minutes", ""),
    "s": ("every second", "seconds", ""), "S": ("every second", "seconds", ""),
    "ms": ("every millisecond", "milliseconds", ""), "L": ("every millisecond", "milliseconds", ""),
}  # fmt: skip
_ALIAS = re.compile(r"^(\d*)([A-Za-z]+)(?:-([A-Za-z]{3}))?$")


@register.filter
def frequency_words(alias: object) -> str:
    """Say a pandas frequency alias in words ("MS" -> "monthly (month start)", "30min" ->
    "every 30 minutes", "W-SAT" -> "weekly (Saturdays)"); anything else is returned as it is."""
    text = "" if alias is None else str(alias).strip()
    match = _ALIAS.match(text)
    if not match or match.group(2) not in _UNITS:
        return text
    count, unit, anchor = match.groups()
    one, many, where = _UNITS[unit]
    n = int(count) if count else 1
    words = one if n == 1 else f"every {n} {many}"
    if anchor and anchor.upper() in _DAYS:
        where = _DAYS[anchor.upper()]
    elif anchor:
        where = f"{where}, {anchor.title()}" if where else anchor.title()
    return f"{words} ({where})" if where else words
