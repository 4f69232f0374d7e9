"""Column facts read off a profile: the problem type a target suggests, the series grid."""

from __future__ import annotations

import pandas as pd


def test_suggested_problem_type_reads_codes_categories_and_numbers():
    from datasets.columns import column_info, suggested_problem_type

    def kind(values, name="c"):
        return suggested_problem_type(column_info(pd.Series(values), name), len(values))

    assert kind([0, 1, 1, 0, 1] * 4) == "classification"  # 0/1 codes
    assert kind([1, 2, 3, 2, 1, 3] * 3) == "classification"  # 1/2/3 codes
    assert kind(["yes", "no", "yes"]) == "classification"
    assert kind(["a", "b", "c", "a"] * 5) == "classification"
    assert kind([1.5, 2.25, 3.0, 0.5]) == "regression"
    assert kind([120, 340, 95, 410, 120, 77, 260, 330, 95, 500, 610, 45]) == "regression"
    assert kind(list(range(100))) == ""  # a running number reads as an id: no target
    assert kind(["2024-01-01", "2024-02-01", "2024-03-01"]) == ""


def test_grid_steps_counts_the_grid_between_first_and_last_timestamp():
    from datasets.timeseries import grid_steps

    monthly = {"start": "1949-01-01T00:00:00", "end": "1960-12-01T00:00:00", "frequency": "MS"}
    assert grid_steps(monthly) == 144
    assert grid_steps({"start": "2024-01-01", "end": "2024-01-02", "frequency": "h"}) == 25
    assert grid_steps({}) is None
    assert grid_steps({"start": "2024-01-01", "end": "2024-02-01", "frequency": "2 weeks"}) is None
