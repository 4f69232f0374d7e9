"""Profiling of tabular data, the names other code imports: semantic column types
(`datasets.semantics`), type coercion (`datasets.coercion`), column profiles
(`datasets.columns`), time-series detection (`datasets.timeseries`, frequency in
`datasets.frequency`), validation (`datasets.validation`) and per-column statistics
(`datasets.statistics`). Django-free, works on pandas frames or chunk streams.
"""

from __future__ import annotations

from datasets.coercion import coerce_types
from datasets.columns import (
    count_non_numeric,
    non_numeric_phrase,
    profile_chunks,
    profile_frame,
    text_number_columns,
    with_file_decimal,
)
from datasets.frequency import infer_frequency
from datasets.semantics import FIRST_YEAR, LAST_YEAR, SEMANTIC_TYPES
from datasets.statistics import column_statistics, statistics_chunks
from datasets.timeseries import dates_out_of_range, detect_time_series, read_time_values
from datasets.validation import count_duplicate_rows, validate_chunks, validate_frame

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "SEMANTIC_TYPES",
    "coerce_types",
    "column_statistics",
    "count_duplicate_rows",
    "count_non_numeric",
    "dates_out_of_range",
    "detect_time_series",
    "infer_frequency",
    "non_numeric_phrase",
    "profile_chunks",
    "profile_frame",
    "read_time_values",
    "statistics_chunks",
    "text_number_columns",
    "validate_chunks",
    "validate_frame",
    "with_file_decimal",
]
