"""The time spent reading the dataset comes out of the job's budget: a large file that takes
seconds to read leaves the engine that much less, so the whole job keeps its budget."""

from __future__ import annotations

import re
import time

import pytest

from conftest import pipeline_on_sample
from training import engines

pytestmark = pytest.mark.django_db


def test_reading_the_data_is_taken_from_the_engines_budget(owner, monkeypatch):
    pipeline = pipeline_on_sample(owner, "penguins.csv", "species", "classification")
    real = engines.dataset_frame

    def slow_read(*args, **kwargs):
        time.sleep(1.6)  # at least this long, however fast the machine
        return real(*args, **kwargs)

    monkeypatch.setattr(engines, "dataset_frame", slow_read)
    messages: list[str] = []

    def on_event(event: str, payload: dict) -> None:
        if event == "log":
            messages.append(str(payload.get("message", "")))

    engines.engine_for(pipeline).run(
        {"algorithms": ["linear"]}, time_budget_s=4.0, on_event=on_event, should_stop=lambda: False
    )
    budgets = [int(m) for text in messages for m in re.findall(r"budget (\d+)s\.", text)]
    assert budgets and budgets[0] <= 2, messages[:3]  # 4 s less the 1.6 s of reading


def test_a_run_keeps_a_tenth_of_its_budget_however_long_the_reading():
    assert engines.left_after_reading(10.0, time.monotonic() - 60) == pytest.approx(1.0)
    assert 9.0 < engines.left_after_reading(10.0, time.monotonic()) <= 10.0


def test_a_wide_table_keeps_time_back_for_registrations_work_per_column():
    """Registration reads, profiles and predicts every column again for monitoring: a table of
    many columns gives its engine that much less of the budget (a tenth of it at least)."""
    from training.budget import REGISTER_COLUMN_S

    now = time.monotonic()
    narrow, wide = engines.tabular_budget(30.0, now, 5), engines.tabular_budget(30.0, now, 1107)
    assert narrow - wide == pytest.approx(1102 * REGISTER_COLUMN_S, abs=0.05)
    assert wide < 30.0 - 1.0
    assert engines.tabular_budget(10.0, now, 100_000) == pytest.approx(1.0)
