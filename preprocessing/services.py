"""Preprocessing work: quality analysis and previews on a dataset sample, and saving a config.

Previews never change the stored dataset. The saved config is fitted on training rows only,
when training builds the model's pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from django.utils import timezone

from datasets.coercion import coerce_types, unread_numbers
from datasets.columns import non_numeric_phrase, text_number_columns
from datasets.frequency import default_season_length
from datasets.jsonsafe import json_safe
from datasets.models import Dataset
from datasets.semantics import present_strings
from datasets.services import dataset_frame, dataset_iter_chunks
from pipelines.models import Pipeline
from pipelines.services import pipeline_set_config
from preprocessing import analysis, preview
from preprocessing import series as series_prep
from preprocessing.config import PreprocessingConfig
from vur.errors import InvalidInput

DEFAULT_SAMPLE = 10_000


def dataset_sample(
    dataset: Dataset,
    sample_size: int = DEFAULT_SAMPLE,
    seed: int = 0,
    keep_raw: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The whole dataset when small, else an even random sample read chunk by chunk; columns in
    `keep_raw` keep the values as read."""
    if dataset.num_rows <= sample_size:
        return dataset_frame(dataset, keep_raw=keep_raw)
    fraction = sample_size / dataset.num_rows
    chunks = dataset_iter_chunks(dataset, chunksize=50_000, keep_raw=keep_raw)
    parts = [chunk.sample(frac=fraction, random_state=seed + i) for i, chunk in enumerate(chunks)]
    return pd.concat(parts, ignore_index=False).head(sample_size)


def _run(fn: Callable[..., dict], *args: Any, **kwargs: Any) -> dict:
    try:
        return fn(*args, **kwargs)
    except (analysis.PreprocessingError, ValueError) as exc:
        errors = getattr(exc, "errors", None) or None
        raise InvalidInput(
            str(exc), code="invalid_preprocessing",
            errors={k: [v] for k, v in errors.items()} if errors else None,
        ) from None  # fmt: skip


def _check_columns(dataset: Dataset, columns: list[str] | None) -> None:
    unknown = [c for c in columns or [] if c not in dataset.column_names]
    if unknown:
        raise InvalidInput(
            f"Unknown columns: {', '.join(unknown)}.", code="unknown_column",
            errors={"columns": [f"not in the dataset: {', '.join(unknown)}"]},
        )  # fmt: skip


def quality_analyze(*, dataset: Dataset, columns: list[str] | None, sample_size: int) -> dict:
    """Issues per column, an overall score and recommendations, on a sample of the dataset."""
    _check_columns(dataset, columns)
    dates = [
        c
        for c in dataset.columns_info
        if c.get("semantic_type") == "datetime" and (columns is None or c["name"] in columns)
    ]
    numbers = [
        c
        for c in text_number_columns(dataset.columns_info)
        if columns is None or c["name"] in columns
    ]
    raw = tuple(c["name"] for c in [*dates, *numbers])
    frame = dataset_sample(dataset, sample_size, keep_raw=raw)
    frame, unreadable = _read_dates(frame, dates)
    frame, not_numbers = _read_numbers(frame, numbers, whole=len(frame) >= dataset.num_rows)
    outliers, gaps = _quality_series_facts(dataset, columns)
    report = _run(
        analysis.analyze_quality,
        frame,
        columns=columns,
        total_rows=dataset.num_rows,
        unreadable=unreadable,
        series_outliers=outliers,
        not_numbers=not_numbers,
        missing_steps=gaps,
        time_series=dataset.dataset_type == Dataset.Type.TIME_SERIES and bool(dataset.time_column),
    )
    return {
        "dataset_id": dataset.pk,
        **report,
        "total_rows": dataset.num_rows,
        "analysis_timestamp": timezone.now().isoformat(),
    }


def _quality_series_facts(
    dataset: Dataset, columns: list[str] | None
) -> tuple[dict[str, tuple[int, int]] | None, tuple[str, int, int] | None]:
    """A time series' outliers for the quality report, judged as the series chart judges them
    (against trend and season, over the whole series, not the level of a sample), and its
    missing timestamps `(time column, gaps, grid steps)` when the time column is reported on;
    (None, None) for a table, or a time column that is not a regular series (the value rule
    applies then)."""
    if not dataset.time_column:
        return None, None
    try:
        outliers, gaps, steps = _series_outlier_counts(dataset, columns)
    except InvalidInput:
        return None, None
    reported = columns is None or dataset.time_column in columns
    return outliers, (dataset.time_column, gaps, steps) if reported else None


def _read_dates(
    frame: pd.DataFrame, dates: list[dict[str, Any]]
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """`frame` with its date columns (read raw) typed, and per column the values as written
    that did not read as dates, so the report does not call them missing."""
    unreadable = {}
    for info in dates:
        name = info["name"]
        typed = coerce_types(frame[[name]], [info])[name]
        written = present_strings(frame[name])
        unreadable[name] = written[typed[written.index].isna()]
        frame[name] = typed
    return frame, unreadable


def _read_numbers(
    frame: pd.DataFrame, numbers: list[dict[str, Any]], whole: bool
) -> tuple[pd.DataFrame, dict[str, tuple[int, str]]]:
    """`frame` with its numeric columns written as text (read raw) typed, and per column how
    many of its values are no numbers, with the phrase naming them: the upload profile's (the
    whole file's count and first row) when `frame` is the whole file, else the sample's count
    and first value."""
    found: dict[str, tuple[int, str]] = {}
    for info in numbers:
        name = info["name"]
        bad = unread_numbers(frame[name], info.get("parse"))
        frame[name] = coerce_types(frame[[name]], [info])[name]
        if bad.empty:
            continue
        phrase = non_numeric_phrase(info) if whole else ""
        if not phrase:
            one = len(bad) == 1
            phrase = (
                f"{len(bad)} value{'' if one else 's'} that {'is' if one else 'are'} not "
                f"{'a number' if one else 'numbers'} (such as {str(bad.iloc[0])!r})"
            )
        found[name] = (len(bad), phrase)
    return frame, found


def _schema(dataset: Dataset) -> list[dict[str, Any]]:
    """The column profiles training reads (the dataset's own), so the preview types alike."""
    return list(dataset.columns_info or [])


def missing_values_preview(*, dataset: Dataset, strategy: str, columns: list[str] | None) -> dict:
    """What a missing-value strategy would do, on a sample; the dataset is left unchanged."""
    _check_columns(dataset, columns)
    frame = dataset_sample(dataset)
    return _run(
        preview.preview_missing_values,
        frame,
        strategy=strategy,
        columns=columns,
        schema=_schema(dataset),
    )


def outliers_preview(
    *,
    dataset: Dataset,
    method: str,
    treatment: str,
    columns: list[str] | None,
    threshold: float | None,
) -> dict:
    """What an outlier method and treatment would do, on a sample; the dataset is left unchanged."""
    _check_columns(dataset, columns)
    frame = dataset_sample(dataset)
    return _run(
        preview.preview_outliers,
        frame,
        method=method,
        treatment=treatment,
        columns=columns,
        threshold=threshold,
        schema=_schema(dataset),
    )


def transformations_preview(*, dataset: Dataset, transformations: list[dict]) -> dict:
    """What column transformations would do, on a sample; the dataset is left unchanged."""
    # A missing column is named as "None" in the 400, not a TypeError in the message.
    _check_columns(dataset, [str(t.get("column")) for t in transformations])
    frame = dataset_sample(dataset)
    return _run(
        preview.preview_transformations,
        frame,
        transformations=transformations,
        schema=_schema(dataset),
    )


def _invalid(errors: dict[str, str]) -> InvalidInput:
    return InvalidInput(
        "The preprocessing config is not valid.",
        code="invalid_preprocessing",
        errors={k: [v] for k, v in errors.items()},
    )


def preprocessing_config_parse(*, pipeline: Pipeline, config: Any) -> PreprocessingConfig:
    """The typed config of `config` for this pipeline (aliases resolved, every key checked,
    columns checked against the pipeline's dataset); InvalidInput names each bad key."""
    errors = PreprocessingConfig.errors_of(config)
    if errors:
        raise _invalid(errors)
    parsed = PreprocessingConfig.parse(config)
    dataset = pipeline.dataset
    errors = preview.check_config(
        parsed,
        _schema(dataset),
        pipeline.target_column,
        forecasting=pipeline.problem_type == Pipeline.ProblemType.FORECASTING,
    )
    if errors:
        raise _invalid(errors)
    return parsed


def preprocessing_preview(*, pipeline: Pipeline, config: Any) -> dict:
    """What a whole preprocessing config would do to the pipeline's data, on a sample: the
    preprocessor training fits, fitted on the sample's training rows, and which steps apply at
    training only. Read-only (nothing is saved); InvalidInput names each bad key."""
    parsed = preprocessing_config_parse(pipeline=pipeline, config=config)
    dataset = pipeline.dataset
    if pipeline.problem_type == Pipeline.ProblemType.FORECASTING:
        # The forecaster reads the target series only, prepared inside the model: the preview
        # runs that preparation on the whole series (a sample would break its order).
        time_col = pipeline.time_column or dataset.time_column
        id_col = pipeline.id_column or None
        columns = [c for c in (time_col, id_col, pipeline.target_column) if c]
        return _run(
            preview.preview_series,
            dataset_frame(dataset, usecols=columns),
            config=parsed,
            time_column=time_col,
            target=pipeline.target_column,
            id_column=id_col,
        )
    names = dataset.column_names
    selected = (pipeline.feature_config or {}).get("selected") or []
    features = (
        pipeline.feature_columns or selected or [c for c in names if c != pipeline.target_column]
    )
    # A class target is read as written, as training reads it: its labels stay 0/1 (or the
    # file's words), not the 0.0/1.0 a boolean column is typed as.
    classification = pipeline.problem_type == Pipeline.ProblemType.CLASSIFICATION
    keep_raw = (pipeline.target_column,) if classification else ()
    return _run(
        preview.preview_config,
        dataset_sample(dataset, keep_raw=keep_raw),
        config=parsed,
        target=pipeline.target_column,
        problem_type=pipeline.problem_type,
        feature_columns=features,
        schema=_schema(dataset),
    )


def preprocessing_apply(*, pipeline: Pipeline, config: Any) -> dict:
    """Validate and save a preprocessing config on the pipeline (in its canonical form: every
    key, aliases resolved); answer its preview.

    Atomic (nothing saved on a bad config); repeating with the same config is harmless.
    """
    result = preprocessing_preview(pipeline=pipeline, config=config)
    parsed = PreprocessingConfig.parse(config)
    pipeline_set_config(
        pipeline=pipeline,
        field="preprocessing_config",
        value=parsed.to_dict(),
        step="preprocessing",
    )
    return result


SERIES_PLOT_POINTS = 3000
SERIES_PLOT_MAX = 6


def _regular_series(
    dataset: Dataset, usecols: list[str] | None = None
) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    """The dataset's series on their regular grid, the regularisation report and the numeric
    value columns (all, or those of `usecols`); InvalidInput when the time column is not a
    regular series."""
    if not dataset.time_column:
        raise InvalidInput("This dataset has no time column.", code="not_a_time_series")
    id_column = dataset.id_column or None
    keys = [c for c in (dataset.time_column, id_column) if c]
    wanted = None if usecols is None else list(dict.fromkeys([*keys, *usecols]))
    frame = dataset_frame(dataset, usecols=wanted)
    try:
        regular, report = series_prep.regularize(
            frame, dataset.time_column, freq=dataset.frequency or None, id_column=id_column
        )
        observed = series_prep.observed_steps(frame, regular, dataset.time_column, id_column)
    except series_prep.SeriesError as exc:
        raise InvalidInput(str(exc), code="invalid_series") from None
    values = [
        c for c in regular.columns if c not in keys and pd.api.types.is_numeric_dtype(regular[c])
    ]
    report["observed"] = observed
    return regular, report, values


def _series_parts(regular: pd.DataFrame, id_column: str | None) -> Any:
    """(series id, rows) per series of a regular frame, in their order of appearance."""
    return regular.groupby(id_column, sort=False) if id_column else [(None, regular)]


def _series_outlier_counts(
    dataset: Dataset, columns: list[str] | None
) -> tuple[dict[str, tuple[int, int]], int, int]:
    """Per numeric value column of a time series, `(flagged, judged)`: how many observed values
    the series outlier rule (`series.detect_outliers`, against each series' trend and seasonal
    pattern) flags, of how many (the same rule marks them on the series chart); then the grid
    steps without a row in the file (gaps, as the chart marks them) and the grid's steps.
    Read-only; InvalidInput when the dataset is not a regular time series."""
    regular, report, values = _regular_series(dataset, columns)
    counts: dict[str, tuple[int, int]] = {}
    for _, part in _series_parts(regular, dataset.id_column or None):
        for column in values:
            flagged, judged = series_prep.outlier_count(part[column], report["frequency"])
            before = counts.get(column, (0, 0))
            counts[column] = (before[0] + flagged, before[1] + judged)
    return counts, int((~report["observed"]).sum()), len(regular)


def series_overview(*, dataset: Dataset, max_points: int = SERIES_PLOT_POINTS) -> dict[str, Any]:
    """Each numeric column of a time series (per series id, at most six lines) on its regular
    grid, with the missing timestamps (gaps) and the points the series outlier rule flags
    (judged on the whole line against its trend and seasonal pattern, as the quality report and
    the forecaster's outlier treatment judge them).

    Read-only. Only the last `max_points` steps of each line are returned.
    """
    regular, report, values = _regular_series(dataset)
    observed = report["observed"]
    id_column = dataset.id_column or None
    season = default_season_length(report["frequency"])
    lines: list[dict[str, Any]] = []
    for key, whole in _series_parts(regular, id_column):
        for column in values:
            if len(lines) >= SERIES_PLOT_MAX:
                break
            y_all = whole[column].astype(float).reset_index(drop=True)
            flagged = series_prep.detect_outliers(y_all, season=season).tail(max_points)
            part = whole.tail(max_points)
            y = part[column].astype(float)
            stamps = part[dataset.time_column]
            outliers = flagged.to_numpy() & y.notna().to_numpy()
            empty = y.isna().to_numpy()
            seen = observed[part.index].to_numpy()
            lines.append(
                {
                    "series_id": json_safe(key),
                    "column": column,
                    "timestamps": [t.isoformat() for t in stamps],
                    "values": [json_safe(v) for v in y],
                    # A gap is a missing timestamp; a row without a value (empty, or no number)
                    # is not one, and is marked apart.
                    "gaps": [t.isoformat() for t in stamps[empty & ~seen]],
                    "no_value": [t.isoformat() for t in stamps[empty & seen]],
                    "outliers": [
                        {"timestamp": t.isoformat(), "value": float(v)}
                        for t, v in zip(stamps[outliers], y[outliers], strict=True)
                    ],
                }
            )
    return {
        "time_column": dataset.time_column,
        "id_column": id_column,
        "frequency": report["frequency"],
        "n_gaps": report["n_gaps"],
        "n_duplicates": report["n_duplicates"],
        "not_numbers": {
            c: phrase for c in values if (phrase := non_numeric_phrase(dataset.column(c)))
        },
        "lines": lines,
    }
