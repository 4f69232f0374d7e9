"""Each forecaster's `fitted_form`, fitted on the air passengers sample: what the fit chose (ETS
components, ARIMA orders, Theta variant, MSTL seasons, lags), checked against the fitted
statsforecast or scikit-learn state; {} without fitted state."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest
from statsforecast.arima import arima_string

from modeling.forecasters import (
    THETA_VARIANTS,
    ARIMAForecaster,
    EnsembleForecaster,
    ETSForecaster,
    Forecaster,
    LagRegressionForecaster,
    MSTLForecaster,
    PreparedForecaster,
    SeasonalNaiveForecaster,
    ThetaForecaster,
    number_spans,
)

SAMPLE = (
    Path(__file__).resolve().parents[2] / "datasets" / "sample_data" / "series_airpassengers.csv"
)


@pytest.fixture(scope="module")
def air() -> pd.Series:
    frame = pd.read_csv(SAMPLE, parse_dates=["month"])
    return pd.Series(
        frame["passengers"].to_numpy(dtype=float), index=pd.DatetimeIndex(frame["month"], freq="MS")
    )


def _fit(forecaster: Forecaster, y: pd.Series) -> dict:
    form = forecaster.fit(y).fitted_form()
    json.dumps(form)  # it goes on the model card as it is
    return form


def test_number_spans_writes_runs_of_whole_numbers():
    assert number_spans([24, 1, 2, 3, 12]) == "1–3, 12, 24"
    assert number_spans([7]) == "7"
    assert number_spans([1, 2, 4, 5, 6]) == "1–2, 4–6"


def test_ets_says_its_components_season_and_damping(air):
    form = _fit(ETSForecaster(season_length=12, model="AAA", damped=True), air)
    assert form["name"] == "ETS(A,Ad,A)"
    assert form["text"] == (
        "ETS(A,Ad,A), season 12: additive error, damped additive trend, additive season"
    )
    assert form["components"] == {"error": "A", "trend": "A", "damped": True, "season": "A"}
    assert form["season_length"] == 12


def test_automatic_ets_names_the_components_statsforecast_chose(air):
    fc = ETSForecaster()
    form = _fit(fc, air)
    fitted = fc.model_.model_
    assert form["name"] == fitted["method"]  # statsforecast's own name of the chosen model
    comp = fitted["components"]
    assert form["components"]["season"] == comp[2] and form["components"]["damped"] == (
        comp[3] != "N"
    )
    seasonal = comp[2] != "N"
    assert form["season_length"] == (12 if seasonal else None)
    assert ("season 12:" in form["text"]) == seasonal


def test_arima_gives_the_orders_statsforecast_fitted(air):
    fc = ARIMAForecaster()
    form = _fit(fc, air)
    fitted = fc.model_.model_
    assert arima_string(fitted).startswith(form["name"])
    p, q, P, Q, m, d, D = fitted["arma"]
    assert form["order"] == [p, d, q]
    assert form["seasonal_order"] == ([P, D, Q, m] if P + D + Q else None)
    assert form["drift"] == ("drift" in fitted["coef"]) and form["fourier"] is None


def test_arima_without_a_season_says_whether_it_has_a_drift(air):
    fc = ARIMAForecaster(season_length=1)
    form = _fit(fc, air)
    assert form["seasonal_order"] is None
    drift = "drift" in fc.model_.model_["coef"]
    assert form["drift"] == drift and ("with drift" in form["text"]) == drift


def test_arima_with_a_season_too_long_to_difference_says_its_fourier_terms(air):
    fc = ARIMAForecaster(season_length=12, season_cap=6, fourier_terms=3)
    form = _fit(fc, air)
    assert form["seasonal_order"] is None
    assert form["fourier"] == {"season_length": 12, "pairs": 3}
    assert "season 12 as Fourier terms (3 sine-cosine pairs)" in form["text"]
    # The model was fitted with those regressors: one coefficient per sine and cosine.
    assert sum(name.startswith("ex_") for name in fc.model_.model_["coef"]) == 6


def test_theta_names_its_variant_and_deseasonalising(air):
    fc = ThetaForecaster(season_length=12)
    form = _fit(fc, air)
    fitted = fc.model_.model_
    assert form["variant"] == fitted["modeltype"]
    assert form["name"] == f"{THETA_VARIANTS[fitted['modeltype']]} ({fitted['modeltype']})"
    if fitted["decompose"]:
        assert form["season_length"] == 12 and form["decomposition"] == "multiplicative"
        assert form["text"].endswith("season 12 removed multiplicatively")
    else:
        assert form["season_length"] is None and form["text"].endswith("no season")


def test_mstl_lists_its_seasons_and_the_form_of_its_trend(air):
    fc = MSTLForecaster(season_lengths=[24, 12])
    form = _fit(fc, air)
    assert form["kind"] == "mstl" and form["seasons"] == [12, 24]
    assert form["name"] == "MSTL, seasons 12 and 24"
    trend = fc.model_.trend_forecaster.model_
    assert form["trend"]["name"] == trend["method"] and form["trend"]["components"]["season"] == "N"
    assert form["text"].startswith(f"MSTL, seasons 12 and 24; trend {trend['method']}: ")


def test_mstl_without_a_season_that_fits_twice_says_it_fitted_ets_alone(air):
    form = _fit(MSTLForecaster(season_lengths=[100]), air)
    assert form["kind"] == "ets" and form["seasons"] == []
    assert form["text"].endswith("(no season fits twice in the history, so no MSTL decomposition)")


@pytest.mark.parametrize(("season", "name"), [(12, "Seasonal naive, season 12"), (1, "Naive")])
def test_seasonal_naive_says_the_season_it_repeats(air, season, name):
    form = _fit(SeasonalNaiveForecaster(season_length=season), air)
    assert form["name"] == name
    assert form["season_length"] == (season if season > 1 else None)


@pytest.mark.parametrize(
    ("estimator", "words"), [("gbm", "Gradient boosting"), ("ridge", "Ridge regression")]
)
def test_a_lag_model_names_its_estimator_lags_and_differencing(air, estimator, words):
    fc = LagRegressionForecaster(estimator, n_estimators=20)
    form = _fit(fc, air)
    lags = [int(v) for v in fc.featurizer_.lags_]
    assert form["estimator"] == estimator and form["lags"] == lags
    assert form["name"] == f"{words} on lags {number_spans(lags)}"
    assert form["differenced"] == fc.diff_
    assert form["fourier_seasons"] == [int(p) for p in fc.featurizer_.fourier_periods_]
    learned = "learning first differences" if fc.diff_ else "learning the levels"
    assert form["text"].endswith(learned)


def test_a_lag_model_on_given_lags_without_differencing_says_so(air):
    fc = LagRegressionForecaster("ridge", lags=[3, 1, 2], differencing="none", fourier_terms=0)
    form = _fit(fc, air)
    assert form["name"] == "Ridge regression on lags 1–3"
    assert form["fourier_seasons"] == [] and "Fourier" not in form["text"]
    assert form["text"].endswith("learning the levels")


def test_an_ensemble_gives_each_members_form_in_order(air):
    members = [ETSForecaster(season_length=12).fit(air), ARIMAForecaster().fit(air)]
    forms = [m.fitted_form() for m in members]
    ens = EnsembleForecaster.from_fitted(members, combine="median")
    form = ens.fitted_form()
    assert form["name"] == "Median of 2 models" and form["members"] == forms
    assert form["text"] == f"Median of 2 models: (1) {forms[0]['text']}; (2) {forms[1]['text']}"
    fitted_in_place = EnsembleForecaster([SeasonalNaiveForecaster(), ThetaForecaster()]).fit(air)
    assert fitted_in_place.fitted_form()["name"] == "Mean of 2 models"


def test_a_prepared_forecaster_gives_its_models_form_and_the_transforms_it_was_fitted_on(air):
    inner = ETSForecaster(season_length=12)
    transforms = [{"type": "box_cox"}, {"type": "difference", "params": {"lag": 12}}]
    fc = PreparedForecaster(inner, transforms=transforms)
    form = _fit(fc, air)
    lam = fc.chain_.transforms[0].lambda_
    assert form["name"] == inner.fitted_form()["name"]
    assert form["transforms"] == [
        {"type": "box_cox", "lambda": float(f"{lam:.2g}")},
        {"type": "difference", "lag": 12},
    ]
    assert form["text"] == (
        f"{inner.fitted_form()['text']}; fitted on the series after a Box-Cox transform "
        f"(lambda {float(f'{lam:.2g}'):g}), then lag-12 differences"
    )
    plain = PreparedForecaster(ETSForecaster(season_length=12))
    form = _fit(plain, air)
    assert "transforms" not in form and form == plain.forecaster.fitted_form()


def test_the_form_follows_the_model_through_live_updates(air):
    fc = PreparedForecaster(ETSForecaster(season_length=12)).fit(air.iloc[:-6])
    moved = fc.update(air.iloc[-6:])
    assert moved.fitted_form() == fc.fitted_form() != {}


FORECASTERS = [
    SeasonalNaiveForecaster(),
    ETSForecaster(),
    ThetaForecaster(),
    ARIMAForecaster(),
    MSTLForecaster(),
    LagRegressionForecaster("ridge"),
    PreparedForecaster(ETSForecaster()),
    EnsembleForecaster([SeasonalNaiveForecaster(), ETSForecaster()]),
]


@pytest.mark.parametrize("forecaster", FORECASTERS, ids=lambda f: type(f).__name__)
def test_without_fitted_state_the_form_is_empty(air, forecaster):
    assert copy.deepcopy(forecaster).fitted_form() == {}
    fitted = copy.deepcopy(forecaster).fit(air)
    assert fitted.fitted_form()["text"]
    # A model pickled without what the form reads (an older layout) has no form, and no error.
    inner = fitted.forecaster if isinstance(fitted, PreparedForecaster) else fitted
    target = inner.members[0] if isinstance(inner, EnsembleForecaster) else inner
    for name in ("model_", "featurizer_"):
        target.__dict__.pop(name, None)
    assert fitted.fitted_form() == {}


def test_a_statsforecast_state_without_the_expected_keys_gives_no_form(air):
    fc = ETSForecaster(season_length=12).fit(air)
    fc.model_.model_ = {k: v for k, v in fc.model_.model_.items() if k != "components"}
    assert fc.fitted_form() == {}
