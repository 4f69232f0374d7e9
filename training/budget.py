"""Time-budget planning for the training engines: predict the work left after the search (refits,
hold-out scoring, importance, saving the models) from measured times, keep that time back, and
decide what to shorten or skip so that a job ends within its `time_budget_s`.

The planning functions are pure (numbers in, decisions out); `Ledger` records where a run's time
went and every decision the budget forced, and reports them as log events. Django-free.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import lz4.frame

from modeling.artifact_format import ARTIFACT_COMPRESS
from modeling.serving import input_width

__all__ = [
    "RANK1_CHECK_SLACK",
    "CheckPlan",
    "FinishItem",
    "FinishPlan",
    "Ledger",
    "importance_rows",
    "plan_finish",
    "registration_reserve_s",
    "save_seconds",
    "scaled_cost",
    "search_reserve",
]

logger = logging.getLogger(__name__)

# Measured times vary with machine load; every prediction is multiplied by this margin.
LOAD_MARGIN = 1.3
# Fit time grows a little faster than the row count (trees sort n log n rows).
ROW_EXPONENT = 1.1
# Seconds of Python overhead per fit (building the pipeline, copying frames).
FIT_OVERHEAD_S = 0.1
# Saving: joblib with LZ4 (`modeling.artifact_format`) against raw LZ4 on a sample of the same
# stream; on a 10.9-million-node forest pipeline the sample predicted 2.5 s (3.2 s with the load
# margin) for a 1.7 s save, so no further factor.
JOBLIB_SLOWDOWN = 1.0
SAMPLE_BYTES = 4 << 20
HASH_AND_WRITE_BYTES_PER_S = 200e6
# Registering a model beside its artifact: its monitoring reference (predictions on the
# reference rows, column profiles), its card and its database row. Measured at 0.04-0.23 s a
# model on a 425-row table with two test suites running beside it; 0.05 had 8 models end 1-2 s
# past the time the job was promised.
SAVE_OVERHEAD_S = 0.2
# Registration also builds each model's monitoring reference: once a job it reads the training
# rows again and profiles their columns (REGISTER_COLUMN_S), then every model predicts them
# (REFERENCE_COLUMN_S a model). On a 1,107-column table at a load of 5, saving 7 models was
# predicted at 1.7 s and took 10 s, and saving 3 at 0.8 s took 3 s: a 30 s job ran 33 s.
REGISTER_COLUMN_S = 0.001
REFERENCE_COLUMN_S = 0.0004


def registration_reserve_s(n_columns: int) -> float:
    """Seconds a tabular engine keeps back from its budget for the once-a-job part of
    registration (reading and profiling the rows again), for `n_columns` feature columns."""
    return max(int(n_columns), 0) * REGISTER_COLUMN_S


def scaled_cost(
    measured_s: float, measured_rows: int, rows: int, margin: float = LOAD_MARGIN
) -> float:
    """Seconds a fit on `rows` rows should take, from one that took `measured_s` on
    `measured_rows` rows (never less than the measured time), with the load margin."""
    ratio = max(rows, 1) / max(measured_rows, 1)
    scale: float = max(ratio, 1.0) ** ROW_EXPONENT
    return max(float(measured_s), 0.0) * scale * margin + FIT_OVERHEAD_S


class _CountingSink:
    """A write-only file that counts bytes and keeps the first `SAMPLE_BYTES` as a sample."""

    def __init__(self) -> None:
        self.n = 0
        self.sample: list[bytes] = []
        self.kept = 0

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.n += view.nbytes
        if self.kept < SAMPLE_BYTES:
            part = bytes(view[: SAMPLE_BYTES - self.kept])
            self.sample.append(part)
            self.kept += len(part)
        return view.nbytes


def save_seconds(obj: Any, scale: float = 1.0) -> tuple[float, int]:
    """(predicted seconds, bytes) to save `obj` as registration does (joblib with LZ4, sha256,
    and its monitoring reference's predictions), for a model `scale` times as big (a refit on
    more rows grows forests and knn).

    Pickles into a counting sink (no copy of the arrays) and times LZ4 on a sample of the
    stream, so the rate is this machine's, now, on this kind of model."""
    sink = _CountingSink()
    try:
        pickle.dump(obj, sink, protocol=5)
    except Exception:  # an unpicklable model fails at registration, which reports it
        logger.warning("could not measure a model's size for the time budget", exc_info=True)
        return SAVE_OVERHEAD_S, 0
    sample = b"".join(sink.sample)
    t0 = time.perf_counter()
    packed = lz4.frame.compress(sample, compression_level=ARTIFACT_COMPRESS[1])
    per_byte = (time.perf_counter() - t0) / max(len(sample), 1)
    ratio = len(packed) / max(len(sample), 1)
    size = sink.n * max(scale, 1.0)
    seconds = size * per_byte * JOBLIB_SLOWDOWN + size * ratio / HASH_AND_WRITE_BYTES_PER_S
    reference = input_width(obj) * REFERENCE_COLUMN_S
    return seconds * LOAD_MARGIN + SAVE_OVERHEAD_S + reference, int(size)


@dataclass(frozen=True)
class FinishItem:
    """The post-search work of one candidate, in seconds predicted from measured times."""

    name: str
    required: bool  # the rank-1 model or a blend member: returned in any case
    refit_s: float  # refit on all training rows (0 when the model is already final)
    score_s: float  # scoring on the hold-out rows
    save_fold_s: float  # saving the model as it is (fitted on a fold's training part)
    save_full_s: float  # saving it after the refit


@dataclass(frozen=True)
class FinishPlan:
    """What to do with each candidate: refit, keep its fold model, or leave it out."""

    refit: tuple[str, ...]
    keep: tuple[str, ...]  # returned as fitted on a fold's training part
    dropped: tuple[str, ...]
    cost_s: float  # predicted seconds of the whole plan

    def action(self, name: str) -> str:
        """'refit', 'keep' or 'drop' for the candidate `name`."""
        if name in self.refit:
            return "refit"
        return "keep" if name in self.keep else "drop"


def plan_finish(
    items: Sequence[FinishItem], remaining_s: float, grace_s: float = 0.0
) -> FinishPlan:
    """Choose what to refit and what to return within `remaining_s` seconds.

    Required candidates are always returned, as fitted on a fold when their refit does not fit
    (a required refit may use `grace_s` more); then the others, best first, each kept while its
    scoring and saving fit; then the kept ones are refit, best first, while the refits fit.
    """
    state: dict[str, str] = {}
    cost = 0.0
    for it in items:
        if it.required:
            state[it.name] = "keep"
            cost += it.score_s + it.save_fold_s
    for it in items:
        if it.required:
            extra = it.refit_s + it.save_full_s - it.save_fold_s
            if cost + extra <= remaining_s + grace_s:
                state[it.name], cost = "refit", cost + extra
    for it in items:
        if not it.required:
            need = it.score_s + it.save_fold_s
            if cost + need <= remaining_s:
                state[it.name], cost = "keep", cost + need
            else:
                state[it.name] = "drop"
    for it in items:
        if not it.required and state[it.name] == "keep":
            extra = it.refit_s + it.save_full_s - it.save_fold_s
            if cost + extra <= remaining_s:
                state[it.name], cost = "refit", cost + extra
    return FinishPlan(
        refit=tuple(n for n, s in state.items() if s == "refit"),
        keep=tuple(n for n, s in state.items() if s == "keep"),
        dropped=tuple(n for n, s in state.items() if s == "drop"),
        cost_s=cost,
    )


def search_reserve(items: Sequence[FinishItem]) -> float:
    """Seconds the search keeps back: the refits of the required candidates and the scoring and
    saving of all of them (the others as fitted on a fold)."""
    total = 0.0
    for it in items:
        if it.required:
            total += it.refit_s + it.score_s + it.save_full_s
        else:
            total += it.score_s + it.save_fold_s
    return total


def importance_rows(
    per_row_s: float,
    n_features: int,
    repeats: int,
    available_s: float,
    max_rows: int = 300,
    min_rows: int = 50,
    per_call_s: float = 0.0,
) -> int:
    """Hold-out rows for permutation importance that fit in `available_s` (0: skip it).

    Each repeat predicts every feature's permuted copy once, plus one baseline prediction; each
    prediction costs `per_call_s` whatever its size (a wide pipeline's column steps) plus
    `per_row_s` per row. On a 73-column table under load the calls alone took a minute, so
    counting only rows let importance run far past the budget."""
    calls = (repeats * n_features + 1) * LOAD_MARGIN
    room = available_s / calls - max(per_call_s, 0.0) if available_s > 0 else 0.0
    rows = int(room / max(per_row_s, 1e-7)) if room > 0 else 0
    return min(max_rows, rows) if rows >= min_rows else 0


@dataclass
class Ledger:
    """Where a run's time goes: phases, fits started with their predicted cost, and the
    decisions the budget forced (each also sent as a log event with a `budget` field)."""

    budget_s: float
    emit: Callable[[str, dict[str, Any]], None]
    start: float = field(default_factory=time.monotonic)
    phases: dict[str, float] = field(default_factory=dict)
    fits: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    _current: str | None = "prepare"
    _since: float = 0.0

    def __post_init__(self) -> None:
        self._since = self.start

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.start

    def mark(self, phase: str) -> None:
        """Start phase `phase`; the time since the previous mark goes to the previous phase."""
        now = time.monotonic()
        if self._current is not None:
            self.phases[self._current] = self.phases.get(self._current, 0.0) + now - self._since
        self._current, self._since = phase, now

    def fit_started(self, phase: str, name: str, predicted_s: float, must_end_s: float) -> None:
        """Record a fit that is starting, its predicted seconds and when it must end by."""
        self.fits.append(
            {
                "phase": phase,
                "name": name,
                "at_s": round(self.elapsed(), 3),
                "predicted_s": round(predicted_s, 3),
                "must_end_s": round(must_end_s, 3),
            }
        )

    def decide(
        self, phase: str, action: str, message: str, level: str = "warning", **details: Any
    ) -> None:
        """Record a phase the budget shortened or skipped and tell the user why (log event)."""
        entry = {"phase": phase, "action": action, "at_s": round(self.elapsed(), 2), **details}
        self.decisions.append(entry)
        self.emit("log", {"message": message, "level": level, "budget": entry})

    def summary(self, pending_s: float = 0.0) -> dict[str, Any]:
        """Log and return the time accounting: seconds per phase, the work predicted after the
        engine (saving the models) and the predicted end of the job."""
        self.mark("done")
        elapsed = self.elapsed()
        phases = {k: round(v, 2) for k, v in self.phases.items()}
        report = {
            "action": "summary",
            "budget_s": self.budget_s,
            "elapsed_s": round(elapsed, 2),
            "phases": phases,
            "pending_s": round(pending_s, 2),
            "predicted_end_s": round(elapsed + pending_s, 2),
            "fits": self.fits,
            "decisions": len(self.decisions),
        }
        parts = ", ".join(f"{k} {v:.1f}s" for k, v in phases.items())
        self.emit(
            "log",
            {
                "message": f"Time used: {parts}; saving the models should take "
                f"{pending_s:.1f}s more (budget {self.budget_s:.0f}s).",
                "level": "info",
                "budget": report,
            },
        )
        return report


# The share of the job's budget the rank-1 model's serving check may run past it (the promise:
# the job ends within 10% of its budget; half of that is kept for the rest of registration).
RANK1_CHECK_SLACK = 0.05


class CheckPlan:
    """Which candidates' serving checks fit in the job's budget. A check's cost is predicted
    from the model's trees (`serving.compile_cost_s`: converting a forest for ONNX Runtime takes
    seconds to minutes), scaled by how much slower than predicted the checks so far ran (the
    machine's load). The rank-1 model's check may end up to `slack` seconds past `deadline` (the
    promise allows 10% of the budget), the others' must end before it."""

    def __init__(self, deadline: float | None, slack: float = 0.0):
        self.deadline = deadline
        self.slack = slack
        self.slowdown = 1.0  # the most any check so far took over its prediction
        self.skipped: list[str] = []

    def affordable(self, rank: int, predicted: float) -> bool:
        """Whether the candidate of `rank`, whose check is predicted to take `predicted`
        seconds at the nominal rate, is checked."""
        if self.deadline is None or predicted <= 0:  # no deadline, or nothing to check
            return True
        limit = self.deadline + (self.slack if rank == 1 else 0.0)
        return time.monotonic() + predicted * self.slowdown <= limit

    def entry(
        self, rank: int, algorithm: str, predicted: float, make: Callable[..., dict[str, Any]]
    ) -> dict[str, Any]:
        """The serving entry built by `make(affordable=...)`; a check that ran teaches the plan
        the load, one that did not is listed in `skipped`."""
        affordable = self.affordable(rank, predicted)
        started = time.monotonic()
        out = make(affordable=affordable)
        if affordable and predicted >= 1.0:  # a conversion, not just reading the check rows
            self.slowdown = max(self.slowdown, (time.monotonic() - started) / predicted)
        elif not affordable:
            self.skipped.append(algorithm)
        return out
