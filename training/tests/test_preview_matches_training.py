"""The preprocessing preview shows what training does: for every strategy, the preview's rows
equal what the training pipeline's fitted `preprocess` step hands the model for the same rows
(for a forecasting pipeline: what the prepared forecaster fits its model on), and the
training-only row steps really drop training rows (never hold-out or predicted rows)."""

import numpy as np
import pandas as pd
import pytest

from modeling.forecasters import PreparedForecaster, SeasonalNaiveForecaster
from preprocessing.builder import drop_training_rows, series_preparation
from preprocessing.preview import preview_config, preview_series
from preprocessing.series import regularize
from training.automl import AutoMLSettings, run_automl
from training.automl.splits import split
from training.builder import build_pipeline, infer_schema, used_columns


def _frame(n: int = 160) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    df = pd.DataFrame(
        {
            "x": rng.normal(10, 2, n),
            "pos": rng.uniform(1, 5, n),
            "skew": rng.lognormal(0, 1, n),
            "city": rng.choice(["paris", "lyon", "nice"], n).astype(object),
            "many": [f"c{i % 23}" for i in range(n)],
            "flag": rng.choice(["yes", "no"], n).astype(object),
            "when": pd.date_range("2021-01-01", periods=n, freq="37h").astype(str),
        }
    )
    df.loc[[2, 5, 9, 40], "x"] = np.nan
    df.loc[[0], "x"] = 100.0
    df.loc[[7], "skew"] = 400.0
    df.loc[[3, 4], "city"] = None
    df["y"] = df["pos"] * 2 + (df["city"] == "paris") * 3 + rng.normal(0, 0.1, n)
    return df


STRATEGIES = (
    [
        {"missing_values_strategy": s}
        for s in ("median", "mean", "mode", "drop", "interpolate", "forward_fill")
    ]
    + [
        {"outlier_detection_method": m, "outlier_treatment": t}
        for m in ("iqr", "zscore", "isolation_forest")
        for t in ("none", "remove", "cap", "transform")
    ]
    + [{"outlier_detection_method": "iqr", "outlier_treatment": "cap", "outlier_threshold": 0.5}]
    + [{"scaling_method": s} for s in ("none", "standard", "minmax", "robust")]
    + [{"categorical_encoding": e} for e in ("auto", "onehot", "ordinal", "target")]
    + [
        {"transformations": [{"column": "skew", "type": t}]}
        for t in ("log", "sqrt", "box_cox", "yeo_johnson", "standardize", "minmax")
    ]
    + [
        {
            "fill_method": "drop",
            "threshold": 2,
            "outlier_treatment": "remove",
            "transformations": [{"column": "pos", "type": "log"}],
            "scaling_method": "robust",
        }
    ]
)


@pytest.mark.parametrize("problem_type", ["regression", "classification"])
@pytest.mark.parametrize("config", STRATEGIES, ids=lambda c: "-".join(map(str, c.values())))
def test_preview_equals_the_fitted_training_preprocessor(config, problem_type):
    df = _frame()
    if problem_type == "classification":
        df["y"] = np.where(df["y"] > df["y"].median(), "high", "low")
    features = [c for c in df.columns if c != "y"]
    result = preview_config(df, config=config, target="y", problem_type=problem_type)

    # What training does: the rows with a target, the training-only row steps, then the
    # `preprocess` step of the very pipeline training builds, fitted on those rows.
    schema = infer_schema(df)
    used = used_columns(schema, "y", features)
    kept = drop_training_rows(df[features], df["y"], config, used)
    pipe = build_pipeline(
        df_schema=schema,
        target="y",
        problem_type=problem_type,
        algorithm="linear",
        hyperparameters={},
        preprocessing_config=config,
    )
    pipe.fit(kept.X, kept.y)
    expected = pipe.named_steps["preprocess"].transform(kept.X)

    assert result["processed_shape"] == [len(kept.X), expected.shape[1] + 1]
    shown = pd.DataFrame(result["preview"]["rows"], columns=result["preview"]["columns"])
    head = expected.head(len(shown))
    assert list(shown.columns[:-1]) == [c.split("__", 1)[1] for c in expected.columns]
    got = shown.iloc[:, :-1].to_numpy(dtype="float64")
    np.testing.assert_allclose(got, head.to_numpy(dtype="float64"), rtol=1e-9, atol=1e-12)
    assert shown["y"].tolist() == kept.y.head(len(shown)).tolist()
    training_only = [s["step"] for s in result["steps"] if s["applies"] == "training"]
    assert ("missing_values" in training_only) == (kept.missing > 0 or "drop" in config.values())
    if kept.dropped:
        assert result["changes_summary"]["*"]["count"] == max(kept.missing, kept.outliers)


def test_row_steps_drop_training_rows_after_the_holdout_split_only():
    df = _frame(400)
    X, y = df.drop(columns="y"), df["y"]
    config = {"missing_values_strategy": "drop", "outlier_treatment": "remove"}
    settings = AutoMLSettings(target="y", problem_type="regression", preprocessing_config=config)
    used = used_columns(infer_schema(X), "y", list(X.columns))
    parts = split(X, y, settings, used)
    plain = split(X, y, AutoMLSettings(target="y", problem_type="regression"), used)
    assert len(parts.y_test) == len(plain.y_test) == 80  # the hold-out keeps every row
    assert parts.X_test.isna().any().any()
    assert not parts.X_train.isna().any().any()  # training rows with a gap are gone
    assert parts.dropped_missing > 0 and parts.dropped_outliers > 0
    assert len(parts.y_train) == len(plain.y_train) - parts.dropped_missing - parts.dropped_outliers
    assert 100.0 not in parts.X_train["x"].tolist()


def test_training_says_how_many_rows_it_dropped_and_the_model_still_imputes():
    df = _frame(300)
    events = []
    settings = AutoMLSettings(
        target="y",
        problem_type="regression",
        algorithms=["linear"],
        time_budget_s=20,
        search={"n_iter": 1},  # the run ends when its work is done, not at the budget
        preprocessing_config={"fill_method": "drop", "outlier_treatment": "remove"},
    )
    results = run_automl(df, settings, on_event=lambda kind, payload: events.append(payload))
    logs = [e["message"] for e in events if "message" in e]
    assert any("Preprocessing dropped" in m and "training rows only" in m for m in logs)
    row = df.drop(columns="y").head(1).assign(x=np.nan)  # a gap at prediction time
    assert np.isfinite(results[0].pipeline.predict(row)).all()


class _Recorder(SeasonalNaiveForecaster):
    """A seasonal naive forecaster that keeps the series it was fitted on."""

    def _fit(self, y: pd.Series) -> None:
        self.seen_ = y.to_numpy(dtype="float64").copy()
        super()._fit(y)


SERIES_STRATEGIES = [
    {},
    {"fill_method": "ffill"},
    {"outlier_treatment": "cap"},
    {"outlier_treatment": "remove", "threshold": 3},
    {"transformations": [{"column": "y", "type": "log"}]},
    {
        "outlier_treatment": "cap",
        "transformations": [
            {"column": "y", "type": "box_cox"},
            {"column": "y", "type": "difference"},
        ],
    },
]


@pytest.mark.parametrize(
    "config", SERIES_STRATEGIES, ids=lambda c: "-".join(map(str, c.values())) or "default"
)
def test_series_preview_equals_what_the_forecaster_fits_on(config):
    rng = np.random.default_rng(3)
    stamps = pd.date_range("2015-01-01", periods=96, freq="MS")
    y = 100 + 10 * np.sin(np.arange(96) * 2 * np.pi / 12) + rng.normal(0, 1, 96)
    y[40] = 400.0  # a spike
    df = pd.DataFrame({"month": stamps.strftime("%Y-%m-%d"), "y": y}).drop(index=[10, 11, 57])
    result = preview_series(df, config=config, time_column="month", target="y")

    regular, report = regularize(df, "month", None, target="y")
    series = regular.set_index("month")["y"]
    model = PreparedForecaster(_Recorder(), **series_preparation(config))
    model.fit(series, freq=report["frequency"])

    assert len(series) == 96
    # the steps the model reads (a difference drops the first)
    assert result["processed_shape"] == [len(model.forecaster.seen_), 2]
    shown = pd.DataFrame(result["preview"]["rows"], columns=result["preview"]["columns"])
    expected = model.forecaster.seen_[: len(shown)]
    got = shown["y (model input)"].to_numpy(dtype="float64")[-len(expected) :]
    if "difference" in str(config):
        expected = model.forecaster.seen_[: len(shown) - 1]
        got = shown["y (model input)"].to_numpy(dtype="float64")[1:]
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    treated = "outlier_treatment" in config
    assert (result["changes_summary"].get("*", {}).get("applies") == "training") == treated
    assert any(s["applies"] == "training" for s in result["steps"]) == treated
