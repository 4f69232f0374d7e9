"""The entry point of tabular AutoML: check the inputs, split, run the portfolio and the search,
blend, then refit, score and rank the candidates (`finish`). Django-free.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable

import pandas as pd
from threadpoolctl import threadpool_limits

from datasets.columns import non_numeric_phrase
from training.automl.candidates import CandidateResult
from training.automl.ensemble import select_blend
from training.automl.finish import finish
from training.automl.inputs import Inputs, check_inputs, log_target_ok
from training.automl.portfolio import run_portfolio
from training.automl.run import EventSink, Run, never, no_events
from training.automl.search import run_search
from training.automl.settings import AutoMLError, AutoMLSettings
from training.automl.splits import Split, split
from training.automl.trials import Engine
from training.builder import used_columns
from training.labels import case_variants, label_key

__all__ = ["run_automl"]


def run_automl(
    df: pd.DataFrame,
    settings: AutoMLSettings,
    *,
    on_event: EventSink = no_events,
    should_stop: Callable[[], bool] = never,
) -> list[CandidateResult]:
    """Train and rank models for `settings.target` within its time budget; best first (rank
    1..n). `on_event(kind, payload)` receives log, progress and metric events.

    Raises AutoMLError for unusable input and Cancelled when `should_stop()` turns true.
    """
    if not isinstance(settings, AutoMLSettings):
        raise TypeError("run_automl takes an AutoMLSettings (see training.automl.settings).")
    run = Run(settings.time_budget_s, on_event, should_stop, settings.metric[1])
    inputs = check_inputs(df, settings)
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        used = used_columns(inputs.schema, settings.target, inputs.features)
        parts = split(inputs.X, inputs.y, settings, used)
        _log_start(run, settings, parts, len(inputs.features), inputs.no_target)
        if settings.is_classification:
            _log_labels(run, settings, inputs, len(parts.folds))
        rows = dataclasses.replace(inputs, X=parts.X_train, y=parts.y_train)
        engine = Engine(run, settings, rows, parts.folds, len(parts.y_test))
        _search(engine)
        run.ledger.mark("ensemble")
        blend = select_blend(engine)
        return finish(engine, blend, parts.X_test, parts.y_test)


def _log_start(
    run: Run, settings: AutoMLSettings, parts: Split, n_features: int, no_target: int
) -> None:
    n = len(parts.folds)
    scheme = "holdout" if n == 1 else f"{n}-fold"
    chosen = " (your folds)" if settings.cross_validation else " (chosen by size)"
    run.log(
        f"{settings.problem_type}: {len(parts.y_train)} training rows, {len(parts.y_test)} "
        f"hold-out rows, {n_features} features; {scheme} validation{chosen}; "
        f"budget {run.budget:.0f}s."
    )
    if no_target:
        run.log(_no_target_line(settings, no_target))
    if parts.dropped_missing or parts.dropped_outliers:
        run.log(
            f"Preprocessing dropped {parts.dropped_missing} training rows with a missing value "
            f"and {parts.dropped_outliers} holding an outlier (training rows only; the hold-out "
            "and predictions keep every row)."
        )
    run.report("", 0.0)


def _no_target_line(settings: AutoMLSettings, no_target: int) -> str:
    """The log line on the `no_target` rows left out: a regression target's values that are
    not numbers ("oops", read as missing) named apart from the empty ones, as the dataset page
    and the forecasting log name them."""
    target = settings.target
    info = dict(settings.target_info or {}) if not settings.is_classification else {}
    not_numbers = min(int(info.get("non_numeric_count") or 0), no_target)
    empty = no_target - not_numbers
    rows = "1 row has" if empty == 1 else f"{empty} rows have"
    told = [f"'{target}' has {non_numeric_phrase(info)}"] if not_numbers else []
    if empty:
        told.append(f"{rows} no value" if not_numbers else f"{rows} no value of '{target}'")
    left = "it is" if no_target == 1 else "they are"
    return f"{' and '.join(told)}; {left} left out of training and of the hold-out."


def _log_labels(run: Run, settings: AutoMLSettings, inputs: Inputs, n_folds: int) -> None:
    """Say how the class labels were read: boolean words folded to one spelling, classes that
    differ only in case or spaces, and classes too rare to validate (named by their labels)."""
    target = settings.target
    if inputs.spellings:
        folded = ", ".join(f"{a!r} as {b!r}" for a, b in sorted(inputs.spellings.items()))
        run.log(
            f"'{target}' holds boolean words in several spellings; each word is one class "
            f"(read {folded})."
        )
    counts = inputs.y.value_counts()
    for group in case_variants(list(counts.index)):
        names = ", ".join(repr(g) for g in group)
        run.log(
            f"Classes {names} of '{target}' differ only in letter case or spaces; they are "
            "trained as different classes. If they mean the same, correct the labels in the file.",
            "warning",
        )
    single = [label_key(c) for c, n in counts.items() if n == 1]
    if single:
        run.log(
            f"{_classes(single)} of '{target}' {'has' if len(single) == 1 else 'have'} a single "
            "row: it is trained on but cannot be validated (no row of it is left for the "
            "hold-out or the validation folds).",
            "warning",
        )
    need = max(n_folds, 1) + 1  # a row for the hold-out and one for each validation fold
    rare = [(label_key(c), int(n)) for c, n in counts.items() if 1 < n < need]
    if rare:
        listed = ", ".join(f"{c!r} ({n} rows)" for c, n in rare[:10])
        run.log(
            f"Rare classes of '{target}': {listed}. The hold-out and the {n_folds} validation "
            "fold(s) cannot all hold one of their rows, so their scores rest on very few rows.",
            "warning",
        )


def _classes(labels: list[str], limit: int = 10) -> str:
    """'Class 'a'' or 'Classes 'a', 'b'' (the first `limit`, then how many more)."""
    shown = ", ".join(repr(c) for c in labels[:limit])
    more = f" and {len(labels) - limit} more" if len(labels) > limit else ""
    return f"{'Class' if len(labels) == 1 else 'Classes'} {shown}{more}"


def _search(engine: Engine) -> None:
    """The portfolio, then the search, while the budget lasts."""
    run, settings = engine.run, engine.settings
    iterative_cap = 0.15 * run.budget if len(settings.algorithm_names) > 1 else run.budget
    run.ledger.mark("portfolio")
    log_ok = log_target_ok(engine.y, settings.problem_type)
    if log_ok:
        run.log("The target is non-negative and skewed; log1p(target) variants are tried too.")
    run_portfolio(engine, log_ok, iterative_cap)
    run.ledger.mark("search")
    run_search(engine)
    if not engine.best_by_algo:
        raise AutoMLError("No algorithm finished within the time budget; raise time_budget_s.")
