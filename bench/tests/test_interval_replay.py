"""The interval replay: a run captured by the forecasting bench is recalibrated to the same
intervals by the engine's own code, and a different rule gives different ones."""

import json

import joblib
import pytest

from bench import forecast_bench as fb
from bench import interval_replay as replay
from training.forecasting import backtest, calibration, refit
from training.forecasting.intervals import fit_intervals


@pytest.fixture
def captured(tmp_path, monkeypatch):
    """One short yearly series of the bench run with a capture folder: (folder, results)."""
    monkeypatch.setattr(fb, "CAPTURE", tmp_path / "capture")
    entry = next(
        e
        for e in json.loads((fb.DATA / "manifest.json").read_text())
        if e["file"] == "austa_yearly.csv"
    )
    rows = fb.run_entry(entry, ("vur", "seasonal_naive"), budget=6.0, cap=2.0)
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"series": rows}))
    return tmp_path / "capture", results


def test_a_captured_run_replays_to_the_intervals_the_bench_scored(captured):
    folder, results = captured
    kept = joblib.load(folder / "austa_yearly.joblib")
    per_series, levels, _ranked, _conformal = kept["calibration"]["inputs"]
    assert levels == (80, 95) and len(per_series) == 1 and len(per_series[0]) >= 2
    scored = replay.replay([folder], replay.result_rows([results]), fit_intervals)
    assert [r["series"] for r in scored] == ["austa_yearly"]
    for lv in (80, 95):
        assert scored[0][f"coverage_{lv}"] == scored[0]["bench"][f"coverage_{lv}"]
        assert scored[0][f"width_{lv}"] > 0
    # The capture is undone after the run: the engine's own functions are back.
    assert backtest.fit_intervals is fit_intervals and calibration.fit_intervals is fit_intervals
    assert refit.refit_forecasters.__module__ == "training.forecasting.refit"


def test_a_different_rule_replays_to_different_intervals(captured):
    folder, results = captured
    rows = replay.result_rows([results])

    def far_wider(per_series, levels, ranked_on=None, *, conformal=False):
        fit = fit_intervals(per_series, levels, ranked_on, conformal=conformal)
        fit["methods"] = dict.fromkeys(levels, "conformal")
        fit["errors"] = [e * 10 for e in fit["errors"]]
        return fit

    same = replay.replay([folder], rows, fit_intervals)[0]
    wide = replay.replay([folder], rows, far_wider)[0]
    assert wide["width_95"] > 5 * same["width_95"]
    assert replay.summary([wide])["width_95"] == pytest.approx(wide["width_95"])
