"""Models saved before a code move keep loading and answering the same (pickled class paths)."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).parent / "data" / "pre_split"
EXPECTED = json.loads((DATA / "expected.json").read_text())
TABULAR = sorted(n for n in EXPECTED if n.startswith("tabular"))
FORECAST = sorted(n for n in EXPECTED if n.startswith("forecast"))


def _rows(name: str) -> pd.DataFrame:
    """The input rows the artifact was scored on when it was written."""
    return pd.read_csv(DATA / ("blend_rows.csv" if "blend" in name else "tabular_rows.csv"))


@pytest.mark.parametrize("name", TABULAR)
def test_tabular_artifact_written_before_the_split_answers_the_same(name: str) -> None:
    model = joblib.load(DATA / name)
    rows = _rows(name)
    want = EXPECTED[name]
    assert [str(v) for v in model.predict(rows)] == want["predict"]
    np.testing.assert_allclose(model.predict_proba(rows), want["proba"], atol=1e-6)


@pytest.mark.parametrize("name", FORECAST)
def test_forecast_artifact_written_before_the_split_answers_the_same(name: str) -> None:
    model = joblib.load(DATA / name)
    got = model.predict(6, levels=(80, 95))
    want = EXPECTED[name]
    assert got["timestamps"] == want["timestamps"]
    np.testing.assert_allclose(got["forecast"], want["forecast"], rtol=1e-6)
    assert set(got["intervals"]) == {"80", "95"}


def test_every_kind_of_saved_model_is_covered() -> None:
    assert len(TABULAR) >= 4 and any("blend" in n for n in TABULAR)
    assert len(FORECAST) >= 3 and any("ensemble" in n for n in FORECAST)
