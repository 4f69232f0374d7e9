"""Monitoring references built at training time: the same training rows AutoML used, hold-out
prediction distribution, forecast backtest errors by step and MASE scale. No database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from training import automl, reference


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, n)
    return pd.DataFrame(
        {
            "x": x,
            "z": rng.normal(5, 2, n),
            "colour": rng.choice(["red", "blue"], n),
            "label": np.where(x > 0, "yes", "no"),
        }
    )


SCHEMA = [
    {"name": "x", "semantic_type": "numeric"},
    {"name": "z", "semantic_type": "numeric"},
    {"name": "colour", "semantic_type": "categorical"},
    {"name": "id", "semantic_type": "id"},
]


def test_tabular_reference_profiles_the_training_rows_automl_used():
    frame = _frame()
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        frame[["x", "z"]], frame.label
    )
    ref = reference.tabular_reference(
        frame, features=["x", "z"], schema=SCHEMA, target="label",
        problem_type="classification", fitted=model, validation_split=0.25, seed=3,
    )  # fmt: skip
    train_idx, test_idx = automl.holdout_split(
        frame[["x", "z"]], frame.label, "classification", 0.25, 3
    )
    assert ref["rows"] == len(train_idx) == 150 and ref["holdout_rows"] == len(test_idx)
    x = ref["columns"]["x"]
    assert sum(x["counts"]) == x["n"] == 150 and len(x["edges"]) == 9
    train_x = np.sort(frame.x.to_numpy()[train_idx])
    assert x["sketch"] == pytest.approx(train_x.tolist())  # all rows when there are few
    assert x["mean"] == pytest.approx(train_x.mean())  # training rows only, not all rows
    assert set(ref["columns"]) == {"x", "z"}  # a categorical column outside the features
    preds = ref["predictions"]
    assert preds["kind"] == "categorical" and sum(preds["levels"].values()) == len(test_idx)
    expected = pd.Series(model.predict(frame[["x", "z"]].iloc[np.sort(test_idx)])).value_counts()
    assert preds["levels"] == expected.to_dict()


def test_profiles_keep_a_quantile_sketch_and_pool_rare_levels():
    big = reference.numeric_profile(np.arange(50_000.0))
    assert len(big["sketch"]) == reference.SKETCH_SIZE and big["sketch"][0] == 0.0
    assert big["sketch"][-1] == 49_999.0 and big["nulls"] == 0
    levels = reference.categorical_profile([f"l{i}" for i in range(80)] + ["l0"] * 5 + [None])
    assert len(levels["levels"]) == reference.MAX_LEVELS + 1 and levels["nulls"] == 1
    assert levels["levels"][reference.OTHER] == 80 - reference.MAX_LEVELS
    assert reference.categorical_profile([True, False, 1.0])["levels"] == {
        "true": 1,
        "false": 1,
        "1": 1,
    }
    empty = reference.numeric_profile([None, "x"])
    assert empty["n"] == 0 and empty["nulls"] == 2 and empty["sketch"] == []


def test_forecast_reference_has_backtest_error_by_step_and_the_mase_scale():
    from modeling.forecasters import PreparedForecaster, SeasonalNaiveForecaster
    from training.forecasting import ForecastModel

    idx = pd.date_range("2024-01-01", periods=60, freq="D")
    y = pd.Series(10 + np.sin(np.arange(60) * 2 * np.pi / 7) + np.arange(60) * 0.1, index=idx)
    fc = PreparedForecaster(SeasonalNaiveForecaster(season_length=7)).fit(y)
    errors = np.array([[1.0, -2.0, 3.0], [-1.0, 2.0, np.nan]])
    fc.set_conformal_errors(errors)
    model = ForecastModel(
        algorithm="seasonal_naive", time_column="day", target="sales", id_column=None,
        freq="D", timezone=None, horizon=3, levels=(80,), season_lengths={None: [7]},
        forecasters={None: fc},
    )  # fmt: skip
    frame = pd.DataFrame({"day": idx, "sales": y.to_numpy()})
    ref = reference.forecast_reference(model, frame)
    series = ref["series"][""]
    assert series["backtest_mae_by_step"] == [1.0, 2.0, 3.0] and series["backtest_windows"] == 2
    values = y.to_numpy()
    assert series["mase_scale"] == pytest.approx(np.mean(np.abs(values[7:] - values[:-7])))
    assert ref["horizon"] == 3 and series["target"]["n"] == 60
