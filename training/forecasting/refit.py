"""Refit phase: predict what refitting a candidate on the whole history costs, reserve that time
during the search, and refit the kept candidates into deployable `ForecastModel`s (a refit
predicted not to end in time is not started; rank 1 and seasonal_naive always are)."""

from __future__ import annotations

import logging
import time
import warnings
from typing import TYPE_CHECKING, Any

from modeling.forecasters import Forecaster
from training.budget import save_seconds, scaled_cost
from training.forecasting.backtest import FitPlan, build_forecaster
from training.forecasting.ensemble import ensemble_forecaster, ensemble_members, hedge_members
from training.forecasting.inputs import SeriesData
from training.forecasting.intervals import apply_calibration
from training.forecasting.model import ForecastCandidate, ForecastModel
from training.forecasting.settings import Cancelled

if TYPE_CHECKING:
    from training.forecasting.run import Run

logger = logging.getLogger(__name__)


def refit_cost(
    name: str,
    results: dict[str, dict[str, Any]],
    series: list[SeriesData],
    windows: int,
    horizon: int,
    done: set[str],
) -> float:
    """Predicted seconds to refit `name` on every whole series, from its backtest fits (each on
    at most the history less one horizon), scaled to the full length; an ensemble refits only
    its members not fitted yet."""
    res = results.get(name)
    if res is None:
        return 0.0
    if res.get("members"):
        return sum(
            refit_cost(m, results, series, windows, horizon, done)
            for m in res["members"]
            if m not in done
        )
    if name in done:
        return 0.0
    n_fits = max(len(series) * windows, 1)
    per_fit = float(res.get("fit_time_s", 0.0)) / n_fits
    longest = max(len(s.y) for s in series)
    return scaled_cost(per_fit, max(longest - horizon, 1), longest) * len(series)


def refit_reserve(
    results: dict[str, dict[str, Any]],
    series: list[SeriesData],
    windows: int,
    horizon: int,
    ensemble: dict[str, Any] | None,
) -> float:
    """Seconds the backtests and the calibration leave for the refits: the current rank-1
    algorithm, seasonal_naive and the current ensemble members (`ensemble`: its hyperparameters
    when one is built) or ARIMA, which the winner is averaged with, plus a second to save them."""
    singles = {n: r for n, r in results.items() if n != "ensemble" and not r.get("members")}
    ranked = sorted(singles, key=lambda n: singles[n]["metrics"]["mase"])
    keep = set(ranked[:1]) | ({"seasonal_naive"} & set(ranked))
    if ensemble is not None:
        keep |= set(ensemble_members(singles, ensemble)) | set(hedge_members(singles, ranked))
    return sum(refit_cost(n, results, series, windows, horizon, set()) for n in keep) + 1.0


def refit_forecasters(
    name: str,
    res: dict[str, Any],
    series: list[SeriesData],
    plan: FitPlan,
    fitted: dict[str, dict[Any, Forecaster]],
) -> dict[Any, Forecaster]:
    """Fit the algorithm on each whole series (an ensemble reuses its members in `fitted`);
    the intervals keep the calibration of its backtest (`res["calibration"]`)."""
    out: dict[Any, Forecaster] = {}
    for si, s in enumerate(series):
        if name == "ensemble":
            fc: Forecaster = ensemble_forecaster(res["members"], s, plan, fitted)
        else:
            fc = build_forecaster(name, s, plan, 1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc.fit(s.y, freq=plan.freq)
        apply_calibration(fc, res["calibration"], si)
        out[s.key] = fc
    return out


class _Refits:
    """The refit phase's bookkeeping: forecasters fitted so far and predicted save times."""

    def __init__(self, run: Run, ranked: list[str]):
        self.run = run
        self.musts = [n for i, n in enumerate(ranked) if i == 0 or n == "seasonal_naive"]
        self.fitted: dict[str, dict[Any, Forecaster]] = {}
        self.saves: list[float] = []  # predicted seconds to save each kept model (registration)

    def cost(self, name: str) -> float:
        run = self.run
        return refit_cost(
            name, run.results, run.series, run.plan.n_windows, run.plan.horizon, set(self.fitted)
        )

    def admit(self, name: str) -> bool:
        """Whether to refit `name`: always for the required ones, otherwise only when predicted
        to end in time for the required refits still to do and all the saving."""
        run, cost = self.run, self.cost(name)
        later = sum(self.cost(m) for m in self.musts if m not in self.fitted and m != name)
        after = later + max(self.saves, default=0.1) + sum(self.saves)
        if name not in self.musts and run.elapsed() + cost + after > run.budget:
            run.ledger.decide(
                "refit",
                "dropped",
                f"{run.label(name)} was not refitted and is left out: its refit on the whole "
                f"history is predicted to take {cost:.1f}s, more than the time budget has left.",
                algorithm=name,
                predicted_s=round(cost, 2),
            )
            return False
        run.ledger.fit_started("refit", name, cost, run.budget - after)
        return True

    def _hyperparameters(self, name: str, res: dict[str, Any]) -> dict[str, Any]:
        """A candidate's resolved hyperparameters; the ensemble's also name its members, each
        with its weight (equal for a mean, none for a median) and its own hyperparameters."""
        params = dict(self.run.plan.params.get(name, {}))
        members = res.get("members")
        if name != "ensemble" or not members:
            return params
        weight = 1.0 / len(members) if params.get("combine", "mean") == "mean" else None
        params["members"] = [
            {"algorithm": m, "weight": weight, "hyperparameters": self.run.plan.params.get(m, {})}
            for m in members
        ]
        return params

    def refit(self, name: str) -> ForecastCandidate | None:
        """Refit one candidate into its deployable model; None (logged) when the refit fails."""
        run, res = self.run, self.run.results[name]
        t0 = time.monotonic()
        try:
            forecasters = refit_forecasters(name, res, run.series, run.plan, self.fitted)
        except Cancelled:
            raise
        except Exception as exc:  # one failing refit leaves the other candidates
            logger.exception("Refitting %s on the whole history failed", name)
            run.log(
                f"{run.label(name)} failed when refitting on the whole history: {exc}", "warning"
            )
            return None
        self.fitted[name] = forecasters
        self.saves.append(save_seconds(forecasters)[0])
        return ForecastCandidate(
            algorithm=name,
            hyperparameters=self._hyperparameters(name, res),
            model=_model(run, name, forecasters),
            backtest_metrics=res["metrics"],
            primary_value=res["metrics"]["mase"],
            fit_time_s=round(res.get("fit_time_s", 0.0) + time.monotonic() - t0, 4),
            residual_analysis=res["residuals"],
            prediction_intervals=res["intervals"],
            window_mase={
                s.key: errors for s, errors in zip(run.series, res["window_mase"], strict=True)
            },
        )


def _model(run: Run, name: str, forecasters: dict[Any, Forecaster]) -> ForecastModel:
    settings, data = run.settings, run.data
    return ForecastModel(
        algorithm=name,
        time_column=settings.time_column,
        target=settings.target,
        id_column=settings.id_column,
        freq=data.freq,
        timezone=data.timezone,
        horizon=settings.horizon,
        checked_horizon=run.plan.horizon,
        value_ranges={
            s.key: (float(s.y.min()), float(s.y.max())) for s in data.series if s.y.notna().any()
        },
        levels=settings.levels,
        season_lengths={s.key: s.seasons for s in data.series},
        forecasters=forecasters,
        left_out=data.left_out,
    )


def refit_candidates(run: Run, ranked: list[str]) -> list[ForecastCandidate]:
    """Refit the ranked candidates that fit in the time left, ranked 1.. in that order; the
    ledger records each refit started or dropped and the predicted saving still to come."""
    refits = _Refits(run, ranked)
    candidates: list[ForecastCandidate] = []
    for name in ranked:
        run.check_stop()
        if not refits.admit(name):
            continue
        cand = refits.refit(name)
        if cand is not None:
            candidates.append(cand)
    for rank, cand in enumerate(candidates, start=1):
        cand.rank = rank
    run.ledger.summary(pending_s=sum(refits.saves))
    return candidates
