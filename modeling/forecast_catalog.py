"""Forecasting entries of the algorithm catalogue: schemas and factories of unfitted forecasters.

`factory(params, context)` takes validated hyperparameters and a context with `freq`,
`season_lengths`, `horizon` and `random_state`; a season_length of 0 means "from the data".
"""

from __future__ import annotations

from typing import Any

from modeling.forecasters import (
    ADIDAForecaster,
    ARIMAForecaster,
    CrostonForecaster,
    ETSForecaster,
    Forecaster,
    IMAPAForecaster,
    LagRegressionForecaster,
    MSTLForecaster,
    SeasonalNaiveForecaster,
    ThetaForecaster,
    TSBForecaster,
)
from modeling.hyperparams import AlgorithmSpec, HyperParam

_FORECASTING = ("forecasting",)
# Fewest rows of complete lag features a lag regressor learns from when the engine builds it: on
# shorter histories (short yearly and quarterly series) its few backtest windows reward noise,
# and it is left to the statistical models.
LAG_MIN_ROWS = 60
# The intermittent-demand methods (series of mostly zeros with occasional demand). Automatic
# runs add them only when the series are intermittent (`training.forecasting.inputs`); they have
# no intervals of their own, so their intervals are conformal on backtest errors.
INTERMITTENT_ALGORITHMS = ("croston", "tsb", "adida", "imapa")


def _season(params: dict[str, Any], context: dict[str, Any]) -> int | None:
    """The season length asked for, else the first detected one, else None (frequency default)."""
    if params.get("season_length"):
        return int(params["season_length"])
    seasons = context.get("season_lengths") or []
    return int(seasons[0]) if seasons else None


def _season_param() -> HyperParam:
    return HyperParam(
        "season_length",
        "int",
        0,
        min=0,
        max=10_000,
        description="Season length in steps; 0 = detected from the data.",
        zero_means="detected from the data",
    )


def _seasonal_naive(params: dict[str, Any], context: dict[str, Any]) -> Forecaster:
    return SeasonalNaiveForecaster(season_length=_season(params, context))


def _ets(params: dict[str, Any], context: dict[str, Any]) -> Forecaster:
    damped = {"auto": None, "yes": True, "no": False}[params.get("damped", "auto")]
    return ETSForecaster(
        season_length=_season(params, context), model=params.get("model", "ZZZ"), damped=damped
    )


def _arima(params: dict[str, Any], context: dict[str, Any]) -> Forecaster:
    return ARIMAForecaster(
        season_length=_season(params, context),
        max_p=params.get("max_p", 3),
        max_q=params.get("max_q", 3),
        max_P=params.get("max_P", 1),
        max_Q=params.get("max_Q", 1),
        max_length=params.get("max_length", 1000),
    )


def _theta(params: dict[str, Any], context: dict[str, Any]) -> Forecaster:
    return ThetaForecaster(
        season_length=_season(params, context),
        decomposition_type=params.get("decomposition_type", "multiplicative"),
    )


def _mstl(params: dict[str, Any], context: dict[str, Any]) -> Forecaster:
    seasons = context.get("season_lengths") or None
    if params.get("season_length"):
        seasons = [int(params["season_length"])]
    return MSTLForecaster(season_lengths=seasons)


def _lags(params: dict[str, Any]) -> list[int] | None:
    """'max_lag' > 0 means lags 1..max_lag; 0 means chosen from frequency and seasons."""
    n = int(params.get("max_lag", 0) or 0)
    return list(range(1, n + 1)) if n > 0 else None


def _gbm(params: dict[str, Any], context: dict[str, Any]) -> Forecaster:
    return LagRegressionForecaster(
        estimator="gbm",
        lags=_lags(params),
        season_lengths=context.get("season_lengths"),
        differencing=params.get("differencing", "auto"),
        n_estimators=params.get("n_estimators", 200),
        learning_rate=params.get("learning_rate", 0.05),
        max_leaf_nodes=params.get("max_leaf_nodes", 31),
        random_state=int(context.get("random_state", 0) or 0),
        min_rows=LAG_MIN_ROWS,
    )


def _ridge(params: dict[str, Any], context: dict[str, Any]) -> Forecaster:
    return LagRegressionForecaster(
        estimator="ridge",
        lags=_lags(params),
        season_lengths=context.get("season_lengths"),
        differencing=params.get("differencing", "auto"),
        alpha=params.get("alpha", 1.0),
        random_state=int(context.get("random_state", 0) or 0),
        min_rows=LAG_MIN_ROWS,
    )


def _croston(params: dict[str, Any], context: dict[str, Any]) -> Forecaster:
    return CrostonForecaster()


def _tsb(params: dict[str, Any], context: dict[str, Any]) -> Forecaster:
    return TSBForecaster(alpha_d=params.get("alpha_d", 0.1), alpha_p=params.get("alpha_p", 0.1))


def _adida(params: dict[str, Any], context: dict[str, Any]) -> Forecaster:
    return ADIDAForecaster()


def _imapa(params: dict[str, Any], context: dict[str, Any]) -> Forecaster:
    return IMAPAForecaster()


_DIFF = HyperParam(
    "differencing",
    "categorical",
    "auto",
    choices=("auto", "none", "first"),
    description="Learn first differences: auto = when the series trends.",
)
_MAX_LAG = HyperParam(
    "max_lag",
    "int",
    0,
    min=0,
    max=1000,
    description="Use lags 1..max_lag; 0 = from the frequency.",
    zero_means="from the frequency",
)

FORECASTING_SPECS: list[AlgorithmSpec] = [
    AlgorithmSpec(
        name="seasonal_naive",
        display_name="Seasonal naive",
        problem_types=_FORECASTING,
        description="Repeats the last season; the baseline every forecast is measured against.",
        hyperparameters=(_season_param(),),
        factory=_seasonal_naive,
    ),
    AlgorithmSpec(
        name="ets",
        display_name="Exponential smoothing (AutoETS)",
        problem_types=_FORECASTING,
        description="Error-trend-season state space model chosen by AICc (statsforecast).",
        hyperparameters=(
            _season_param(),
            HyperParam(
                "model", "categorical", "ZZZ", choices=("ZZZ", "ANN", "AAN", "AAA", "MAM", "MNM")
            ),
            HyperParam("damped", "categorical", "auto", choices=("auto", "yes", "no")),
        ),
        factory=_ets,
    ),
    AlgorithmSpec(
        name="arima",
        display_name="ARIMA (AutoARIMA)",
        problem_types=_FORECASTING,
        description="Stepwise seasonal ARIMA with bounded orders; Fourier terms for long seasons.",
        hyperparameters=(
            _season_param(),
            HyperParam("max_p", "int", 3, min=0, max=5),
            HyperParam("max_q", "int", 3, min=0, max=5),
            HyperParam("max_P", "int", 1, min=0, max=2),
            HyperParam("max_Q", "int", 1, min=0, max=2),
            HyperParam(
                "max_length",
                "int",
                1000,
                min=100,
                max=5000,
                description="Fit on at most this many recent points.",
            ),
        ),
        factory=_arima,
    ),
    AlgorithmSpec(
        name="theta",
        display_name="Theta (AutoTheta)",
        problem_types=_FORECASTING,
        description="Theta method variants on the seasonally adjusted series (statsforecast).",
        hyperparameters=(
            _season_param(),
            HyperParam(
                "decomposition_type",
                "categorical",
                "multiplicative",
                choices=("multiplicative", "additive"),
            ),
        ),
        factory=_theta,
    ),
    AlgorithmSpec(
        name="mstl",
        display_name="MSTL",
        problem_types=_FORECASTING,
        description="Multi-seasonal STL decomposition (all detected seasons), ETS trend.",
        hyperparameters=(_season_param(),),
        factory=_mstl,
    ),
    AlgorithmSpec(
        name="gbm_lags",
        display_name="Gradient boosting on lags",
        problem_types=_FORECASTING,
        description="HistGradientBoosting on lag, rolling, calendar, Fourier features; recursive.",
        hyperparameters=(
            _MAX_LAG,
            _DIFF,
            HyperParam("n_estimators", "int", 200, min=20, max=2000, log=True),
            HyperParam("learning_rate", "float", 0.05, min=0.005, max=0.5, log=True),
            HyperParam("max_leaf_nodes", "int", 31, min=4, max=255, log=True),
        ),
        factory=_gbm,
    ),
    AlgorithmSpec(
        name="linear_lags",
        display_name="Ridge on lags",
        problem_types=_FORECASTING,
        description="Ridge regression on lag, rolling, calendar and Fourier features, recursive.",
        hyperparameters=(
            _MAX_LAG,
            _DIFF,
            HyperParam("alpha", "float", 1.0, min=1e-4, max=1e4, log=True),
        ),
        factory=_ridge,
    ),
    AlgorithmSpec(
        name="croston",
        display_name="Croston (optimised)",
        problem_types=_FORECASTING,
        description="Intermittent demand: smoothed demand size / smoothed gap between demands.",
        factory=_croston,
        in_auto=False,
    ),
    AlgorithmSpec(
        name="tsb",
        display_name="TSB",
        problem_types=_FORECASTING,
        description="Intermittent demand: smoothed chance of a demand per step times its size.",
        hyperparameters=(
            HyperParam(
                "alpha_d",
                "float",
                0.1,
                min=0.01,
                max=1.0,
                description="Smoothing of the demand sizes (higher: recent sizes count more).",
            ),
            HyperParam(
                "alpha_p",
                "float",
                0.1,
                min=0.01,
                max=1.0,
                description="Smoothing of the demand probability (higher: adapts faster).",
            ),
        ),
        factory=_tsb,
        in_auto=False,
    ),
    AlgorithmSpec(
        name="adida",
        display_name="ADIDA",
        problem_types=_FORECASTING,
        description="Intermittent demand: SES on sums of k steps (k: the mean demand gap) / k.",
        factory=_adida,
        in_auto=False,
    ),
    AlgorithmSpec(
        name="imapa",
        display_name="IMAPA",
        problem_types=_FORECASTING,
        description="Intermittent demand: ADIDA at every k up to the mean demand gap, averaged.",
        factory=_imapa,
        in_auto=False,
    ),
    AlgorithmSpec(
        name="ensemble",
        display_name="Averaged ensemble",
        problem_types=_FORECASTING,
        description=(
            "Built by the search: the backtest winner averaged with ARIMA, ranked first (unless "
            "the winner is ARIMA), or else the mean (or median) of the near-best candidates."
        ),
        hyperparameters=(
            HyperParam("size", "int", 5, min=2, max=5, description="Most members."),
            HyperParam(
                "tolerance",
                "float",
                0.1,
                min=0.0,
                max=10.0,
                description="Members trail the best backtest MASE by at most this fraction.",
            ),
            HyperParam("combine", "categorical", "mean", choices=("mean", "median")),
        ),
        factory=None,
    ),
]
