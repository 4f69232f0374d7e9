"""Tests of the candidate-selection replay (bench/forecast_rules.py) on hand-made results."""

import math

import pytest

from bench.forecast_rules import RULES, learned_weights, mean_rank, relative_mase, replay


def _row(split: str, windows: dict[str, list[float]], forecasts: dict[str, list[float]]) -> dict:
    """One series' stored result: actuals 10, 10; scale 1; seasonal naive's held-out MASE 2."""
    return {
        "file": f"{split}.csv",
        "split": split,
        "actual": [10.0, 10.0],
        "scale": 1.0,
        "seasonal_naive": {"mase": 2.0},
        "auto_arima": {"mase": 1.0},
        "vur_candidates": {
            n: {"backtest_windows": windows[n], "forecast": forecasts[n]} for n in windows
        },
    }


# "ets" has the lower mean (one bad window for "arima"), "arima" wins more windows.
WINDOWS = {"ets": [1.0, 1.0, 1.0, 1.0], "arima": [0.5, 0.5, 0.5, 5.0]}
FORECASTS = {"ets": [12.0, 12.0], "arima": [10.5, 9.5]}


def test_held_out_error_is_relative_to_seasonal_naive_and_averages_picks():
    row = _row("holdout", WINDOWS, FORECASTS)
    assert relative_mase(row, ["ets"]) == pytest.approx(2.0 / 2.0)
    assert relative_mase(row, ["arima"]) == pytest.approx(0.5 / 2.0)
    # The average forecast is 11.25 and 10.75: errors 1.25 and 0.75.
    assert relative_mase(row, ["ets", "arima"]) == pytest.approx(1.0 / 2.0)


def test_the_engines_rule_takes_the_lowest_mean_and_the_rank_rule_the_most_wins():
    rows = [_row("holdout", WINDOWS, FORECASTS)]
    assert RULES["mean (the engine's to stop 27)"](rows, ["ets", "arima"]) == ["ets"]
    assert mean_rank(rows, ["ets", "arima"]) == ["arima"]
    assert RULES["mean without the worst window"](rows, ["ets", "arima"]) == ["arima"]


def test_replay_scores_every_split_pools_the_untuned_ones_and_counts_failures_as_naive():
    rows = [
        _row("holdout", WINDOWS, FORECASTS),
        _row("fresh", WINDOWS, FORECASTS),
        {**_row("fresh", WINDOWS, FORECASTS), "file": "failed.csv", "vur_candidates": {}},
        _row("tune", WINDOWS, FORECASTS),
    ]
    out = replay(rows, RULES)
    assert set(out) == {"holdout", "fresh", "tune", "never tuned on"}
    assert out["holdout"]["mean (the engine's to stop 27)"] == pytest.approx(1.0)
    assert out["holdout"]["mean rank"] == pytest.approx(0.25)
    assert out["holdout"]["oracle"] == pytest.approx(0.25)
    # fresh: one series at 0.25 (rank) and the failed file at 1.0.
    assert out["fresh"]["mean rank"] == pytest.approx(math.sqrt(0.25 * 1.0))
    # AutoARIMA's relative MASE is 1 / 2 on every series.
    assert out["never tuned on"]["AutoARIMA"] == pytest.approx(0.5)
    assert out["never tuned on"]["mean rank"] == pytest.approx((0.25 * 0.25 * 1.0) ** (1 / 3))


def _file(index: int, split: str) -> list[dict]:
    """A file where "ets" wins the backtests by a little and "arima" the held-out points by a
    lot, as on every file of the set; the numbers vary a little from file to file."""
    shift = 0.01 * index
    row = _row(
        split,
        {"ets": [1.0 + shift] * 4, "arima": [1.1 + shift] * 4},
        {"ets": [13.0, 13.0], "arima": [10.5 + shift, 9.5]},
    )
    return [{**row, "file": f"{split}{index}.csv", "group": "yearly", "n_train": 40, "horizon": 2}]


def test_learned_weights_learn_from_the_other_files_what_the_backtests_miss():
    rows = [r for i in range(8) for r in _file(i, "fresh")]
    rule = learned_weights(rows)
    first = [r for r in rows if r["file"] == "fresh0.csv"]
    weights = rule(first, ["ets", "arima"])
    # The engine's rule trusts the backtests; the learned one learnt from the seven other files
    # that "arima" does better held out.
    assert RULES["mean (the engine's to stop 27)"](first, ["ets", "arima"]) == ["ets"]
    assert weights["arima"] > 0.9
    assert sum(weights.values()) == pytest.approx(1.0)
    assert relative_mase(first[0], weights) < relative_mase(first[0], ["ets"])


def test_a_file_is_never_part_of_its_own_training_set():
    # Two files that disagree: one file alone cannot teach the other its own answer.
    rows = _file(0, "fresh")
    other = _file(1, "fresh")[0]
    other["vur_candidates"]["ets"]["forecast"] = [10.1, 10.0]  # here "ets" is right held out
    rule = learned_weights(rows + [other])
    weights = rule([other], ["ets", "arima"])
    # Trained on file 0 only ("arima" wins there), the rule leans to "arima" on file 1.
    assert weights["arima"] > weights["ets"]
