"""How scores and numbers are shown to people: rounding (`readable`), units and names of
metrics, hyperparameter values, and the hold-out residual analysis of a regression."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modeling.metrics import readable, readable_column, residual_analysis, residual_summary
from modeling.templatetags.modeling_labels import (
    ets_components,
    metric_column,
    metric_label,
    metric_score,
    metric_value,
    param_value,
    predicted,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.8470, "0.847"),
        (0.8194444444444444, "0.8194"),
        (0.7538519965277779, "0.7539"),
        (72616.6833, "72,617"),
        (253409.01582439747, "253,409"),
        (4.675362118938841, "4.675"),
        (21.6571, "21.66"),
        (999.99, "1,000"),
        (-3.5, "-3.5"),
        (0, "0"),
        (2.0, "2"),
        (12, "12"),
        (1.2e-5, "1.2e-5"),
        (float("nan"), "–"),
        (math.inf, "–"),
        (None, "–"),
        ("text", "text"),
        (np.float64(0.123456), "0.1235"),
    ],
)
def test_readable_rounds_to_four_significant_digits_and_groups_thousands(value, text):
    assert readable(value) == text


def test_percent_metrics_and_interval_coverage_say_their_unit():
    # MAPE and sMAPE are stored as percentages, coverage as a fraction (modeling.metrics).
    assert metric_value(21.6571, "mape") == "21.66%"
    assert metric_value(1.3210, "smape") == "1.321%"
    assert metric_value(0.8611, "coverage_80") == "86.1%"
    assert metric_label("coverage_80") == "80% interval coverage"
    assert metric_value(72616.6833, "rmse") == "72,617"
    assert metric_value(None, "mape") == "–"
    assert metric_score(0.847, "auc") == "AUC 0.847"
    assert metric_score(72616.6833, "rmse") == "RMSE 72,617"


def test_hyperparameters_are_rounded_and_ets_codes_explained():
    assert param_value(0.8710974878850724, "learning_rate") == "0.8711"
    assert param_value(300, "n_estimators") == 300
    assert param_value(0, "max_depth") == "no limit"
    assert param_value(None, "max_depth") == "no limit"
    assert param_value(False, "max_depth") is False
    assert param_value("ZZZ", "model") == ("ZZZ: error, trend and season each chosen automatically")
    assert param_value("MAM", "model") == (
        "MAM: error multiplicative, trend additive, season multiplicative"
    )
    assert ets_components("AAdN") == "error additive, trend additive damped, season none"
    assert ets_components("lbfgs") is None and param_value("lbfgs", "model") == "lbfgs"


def test_a_regression_prediction_is_rounded_and_a_class_label_is_not():
    assert predicted(253409.01582439747, "regression") == "253,409"
    assert predicted(1.0, "classification") == 1.0
    assert predicted("Adelie", "classification") == "Adelie"


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


@pytest.mark.parametrize(
    ("values", "texts"),
    [
        ([0.9386, 0.853], ["0.9386", "0.8530"]),  # was 0.9386 beside 0.853
        ([21.66, 4.676, 0.5], ["21.66", "4.68", "0.50"]),
        ([72616.68, 901.2], ["72,617", "901"]),
        ([0.8194, None, float("nan")], ["0.8194", "–", "–"]),
        ([0.0, 0.0], ["0", "0"]),
        ([1.2e-5, 3e-6], ["1.2e-5", "3e-6"]),
    ],
)
def test_a_column_of_scores_has_one_number_format(values, texts):
    assert readable_column(values) == texts


def test_a_metric_column_keeps_its_unit():
    assert metric_column([12.5, 8.25], "mape") == ["12.50%", "8.25%"]
    assert metric_column([0.861, 0.9], "coverage_80") == ["86.1%", "90.0%"]
    assert metric_column([0.9386, 0.853], "auc") == ["0.9386", "0.8530"]


def test_every_hyperparameter_in_the_catalogue_has_a_label_written_for_people():
    from modeling import catalog
    from modeling.templatetags.modeling_labels import _PARAM_LABELS, param_label

    specs = (*catalog.TABULAR_SPECS, *catalog.FORECASTING_SPECS)
    unlabelled = {(s.name, hp.name) for s in specs for hp in s.hyperparameters} - {
        (s.name, hp.name) for s in specs for hp in s.hyperparameters if hp.name in _PARAM_LABELS
    }
    assert unlabelled == set()
    assert param_label("max_length") == "Most recent points fitted"


def test_a_blend_member_whose_form_starts_with_its_name_is_named_once():
    """ "Seasonal naive: Seasonal naive, season 52: ..." read the member's name twice; a form
    that does not start with it ("ARIMA(0,0,0) ...") keeps the name in front."""
    from modeling.models import TrainedModel
    from modeling.pages import fitted_form

    naive = {"text": "Seasonal naive, season 52: the last 52 values repeated"}
    arima = {"text": "ARIMA(0,0,0) with a non-zero mean"}
    model = TrainedModel(
        problem_type="forecasting",
        algorithm="ensemble",
        hyperparameters={
            "members": [{"algorithm": "seasonal_naive", "weight": 0.5}, {"algorithm": "arima"}]
        },
        card={
            "fitted_form": {
                "n_series": 1,
                "n_forms": 1,
                "forms": [{"text": "Mean of 2 models", "n_series": 1, "series": [],
                           "form": {"text": "Mean of 2 models", "name": "Mean of 2 models",
                                    "members": [naive, arima]}}],
            }
        },
    )  # fmt: skip
    shown = fitted_form(model)
    assert shown is not None
    assert shown["forms"][0]["members"] == [
        naive["text"],
        f"ARIMA (AutoARIMA): {arima['text']}",
    ]
