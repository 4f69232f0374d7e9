"""Class labels: one plain dtype per target, so sklearn, the stored `classes` (JSON) and the
answers all see the label's own type (int stays int, bool stays bool, strings stay strings).

Django-free.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from datasets.semantics import boolean_number, boolean_words

__all__ = [
    "boolean_spellings",
    "case_variants",
    "label_key",
    "label_like",
    "normalize_labels",
]


def normalize_labels(y: pd.Series) -> pd.Series:
    """`y` (no missing values) as bool, int64 or str labels.

    bool (also pandas' nullable boolean) -> bool; integers (also nullable) -> int64; floats that
    are all whole numbers (1.0/2.0, as pandas reads an int column with gaps) -> int64; other
    floats -> their text ("0.5": sklearn cannot classify continuous values); strings -> str;
    a mix of kinds -> the text of each (1.0 as "1"). Text labels that are boolean words written
    in several ways ("No", "no", " NO") become one label per word (`boolean_spellings`).
    """
    if isinstance(y.dtype, pd.CategoricalDtype):
        y = y.astype(object)
    if pd.api.types.is_bool_dtype(y.dtype):
        return y.astype(bool)
    if pd.api.types.is_integer_dtype(y.dtype):
        return y.astype("int64")
    if pd.api.types.is_float_dtype(y.dtype):
        return _floats(y.astype("float64"))
    values = [_plain(v) for v in y.tolist()]
    kinds = {_kind(v) for v in values}
    if kinds == {"bool"}:
        return pd.Series(values, index=y.index, dtype=bool)
    if kinds == {"int"}:
        return pd.Series(values, index=y.index, dtype="int64")
    if kinds <= {"int", "float"}:
        return _floats(pd.Series(values, index=y.index, dtype="float64"))
    texts = [_text(v) for v in values]
    spellings = _spellings(texts)
    if spellings:
        texts = [spellings.get(t, t) for t in texts]
    return pd.Series(texts, index=y.index, dtype=object)


def boolean_spellings(y: pd.Series) -> dict[str, str]:
    """For class labels (no missing values) that are boolean words in more than one spelling
    (the dataset profiles such a column as boolean: "No", "no", "Yes", "yes"), the label each
    other spelling is trained as: the most frequent spelling of its word, the first seen on a
    tie, so the answers look like the file. Empty when there is nothing to fold."""
    if not (pd.api.types.is_object_dtype(y.dtype) or pd.api.types.is_string_dtype(y.dtype)):
        return {}
    values = [_plain(v) for v in y.tolist()]
    if not all(isinstance(v, str) for v in values):
        return {}
    return _spellings(values)


def _spellings(texts: list[str]) -> dict[str, str]:
    stripped = Counter(t.strip() for t in texts)  # in the order first seen
    if not boolean_words({t.lower() for t in stripped}):
        return {}
    best: dict[str, str] = {}
    for spelling, count in stripped.items():
        word = spelling.lower()
        if word not in best or count > stripped[best[word]]:
            best[word] = spelling
    return {t: best[t.strip().lower()] for t in set(texts) if t != best[t.strip().lower()]}


def case_variants(classes: list[Any]) -> list[list[str]]:
    """Groups of text classes that differ only in letter case or spaces ("Tabl", "tabl"),
    each sorted; they are trained as different classes, which is likely a data error."""
    groups: dict[str, list[str]] = {}
    for label in classes:
        if isinstance(label, str):
            groups.setdefault("".join(label.split()).lower(), []).append(label)
    return [sorted(g) for g in groups.values() if len(g) > 1]


def label_like(value: Any, classes: list | None) -> Any:
    """`value` (e.g. a feedback `actual` from JSON) as the matching label of `classes`.

    Matches by equality of kind and value first, then by text ("1" -> 1, "true" -> True);
    a value that matches no class is returned unchanged.
    """
    if not classes:
        return value
    plain = _plain(value)
    for label in classes:
        if _kind(label) == _kind(plain) and label == plain:
            return label
    token = _text(plain).strip().lower()
    if isinstance(plain, bool):
        token = "1" if plain else "0"
    for label in classes:
        text = _text(label).lower()
        if isinstance(label, bool):
            if boolean_number(token) == float(label):
                return label
        elif text == token:
            return label
    # Whole-number classes take a whole number written with decimals ("1.0", as a spreadsheet
    # or a float column writes 1), as a JSON 1.0 already matches; "0.5" still matches none.
    whole = _whole_number(token)
    if whole is not None:
        for label in classes:
            if _kind(label) == "int" and label == whole:
                return label
    # Text classes that are one pair of boolean words ("No"/"Yes") take any boolean word of the
    # same truth ("n", "false", true), as the dataset reads such a column.
    texts = [label for label in classes if isinstance(label, str)]
    truth = boolean_number(token)
    if len(texts) == len(classes) and boolean_words({t.strip().lower() for t in texts}):
        for label in texts:
            if not math.isnan(truth) and boolean_number(label) == truth:
                return label
    return value


def _whole_number(token: str) -> int | None:
    """The whole number a text such as "1.0" writes, or None (not a finite whole number)."""
    try:
        number = float(token)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


def label_key(label: Any) -> str:
    """The text that names a class in JSON keys and CSV column names (`proba_<key>`).

    Booleans are written as JSON writes them ("true"/"false"), whole floats without ".0".
    """
    plain = _plain(label)
    if isinstance(plain, bool):
        return "true" if plain else "false"
    return _text(plain)


def _floats(y: pd.Series) -> pd.Series:
    values = y.to_numpy()
    if np.isfinite(values).all() and (values == np.round(values)).all():
        return y.astype("int64")
    # sklearn's classifiers refuse non-whole numbers as classes ("continuous"): use their text.
    return pd.Series([_text(v) for v in values.tolist()], index=y.index, dtype=object)


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return str(value)
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "text"


def _text(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)
