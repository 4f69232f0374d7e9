"""The hold-out residual analysis of a regression (what the model page draws)."""

from __future__ import annotations

import numpy as np
import pytest

from modeling.metrics import residual_analysis, residual_summary


def test_residual_analysis_summarises_every_row_and_samples_a_bounded_few():
    rng = np.random.default_rng(1)
    actual = rng.normal(100, 10, 2000)
    pred = actual - rng.normal(2, 1, 2000)  # the model predicts about 2 too low
    actual[5] = np.nan  # a row without a value is left out
    out = residual_analysis(actual, pred, max_points=300)
    assert out["n"] == 1999
    assert out["mean"] == pytest.approx(2, abs=0.1) and out["std"] == pytest.approx(1, abs=0.1)
    assert out["p05"] < out["median"] < out["p95"]
    assert len(out["actual"]) == len(out["predicted"]) == 300
    sample = dict(zip(out["actual"], out["predicted"], strict=True))
    assert all(a in set(actual.tolist()) for a in sample)  # real rows, actual beside its own
    small = residual_analysis([1.0, 2.0, 3.0], [1.5, 1.5, 3.0])
    assert small["actual"] == [1.0, 2.0, 3.0] and small["predicted"] == [1.5, 1.5, 3.0]
    assert small["mean"] == pytest.approx(0.0)
    assert residual_summary([])["mean"] is None and residual_summary([1.0])["std"] is None
