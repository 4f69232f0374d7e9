"""The shared state of one AutoML run: the clock, events, cancellation, progress and the ledger.

Django-free.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from training.automl.settings import Cancelled
from training.budget import Ledger

__all__ = ["EventSink", "Run", "never", "no_events"]

EventSink = Callable[[str, dict[str, Any]], None]


def no_events(kind: str, payload: dict[str, Any]) -> None:
    """The default event sink: drops every event."""
    return None


def never() -> bool:
    """The default stop check: never asks to stop."""
    return False


class Run:
    """Shared state of one run: the clock, events, cancellation and progress."""

    def __init__(
        self,
        budget: float,
        on_event: EventSink = no_events,
        should_stop: Callable[[], bool] = never,
        greater: bool = True,
    ):
        self.start = time.monotonic()
        self.budget = max(float(budget), 0.1)
        self.deadline = self.start + self.budget
        self.on_event = on_event
        self.should_stop = should_stop
        self.greater = greater
        self.best: float | None = None
        self.progress = 0.0
        self.epoch = 0
        self._last_progress = 0.0
        self.ledger = Ledger(self.budget, on_event, start=self.start)

    def now(self) -> float:
        """The monotonic clock."""
        return time.monotonic()

    def remaining(self) -> float:
        """Seconds left before the deadline (negative when past it)."""
        return self.deadline - time.monotonic()

    def check(self) -> None:
        """Raise Cancelled when the caller asked to stop."""
        if self.should_stop():
            self.log("Stop requested; cancelling.", "warning")
            raise Cancelled()

    def log(self, message: str, level: str = "info") -> None:
        """Send one log line."""
        self.on_event("log", {"message": message, "level": level})

    def offer(self, value: float | None) -> None:
        """Keep `value` as the best metric so far when it beats it."""
        if value is None:
            return
        if self.best is None or (value > self.best if self.greater else value < self.best):
            self.best = value

    def report(self, algorithm: str, fraction: float | None = None, force: bool = True) -> None:
        """Send a progress event (at most every half second unless `force`)."""
        now = time.monotonic()
        if not force and now - self._last_progress < 0.5:
            return
        self._last_progress = now
        done = fraction if fraction is not None else (now - self.start) / self.budget
        self.progress = max(self.progress, min(0.99, done))
        self._progress_event(algorithm, self.best, max(0.0, round(self.deadline - now, 2)))

    def finished(self, algorithm: str, best_metric: float | None) -> None:
        """Send the last progress event (1.0)."""
        self.progress = 1.0
        self._progress_event(algorithm, best_metric, 0.0)

    def _progress_event(self, algorithm: str, best: float | None, left_s: float) -> None:
        self.on_event(
            "progress",
            {
                "progress": round(self.progress, 4),
                "current_epoch": self.epoch,
                "best_metric": best,
                "estimated_time_remaining": left_s,
                "algorithm": algorithm,
            },
        )
