"""Tests of the time-budget planning: the pure planner and estimators, and the engines' own
accounting of where the time went (no wall-clock assertions: decisions are checked against
the engine's recorded predictions, so the tests pass on a slow or busy machine)."""

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

from training import automl
from training.automl.crossval import evaluate
from training.automl.ensemble import _greedy_counts, affordable_pool, select_blend
from training.automl.finish import finish
from training.automl.inputs import Inputs
from training.automl.planning import (
    REFIT_GAP,
    RELATIVE_COST,
    finish_items,
    fold_estimate,
    reserve,
)
from training.automl.run import Run
from training.automl.splits import make_folds
from training.automl.trials import Engine
from training.budget import (
    LOAD_MARGIN,
    SAVE_OVERHEAD_S,
    FinishItem,
    Ledger,
    importance_rows,
    plan_finish,
    save_seconds,
    scaled_cost,
    search_reserve,
)
from training.builder import infer_schema
from training.forecasting import ForecastSettings, run_forecast_automl
from training.forecasting.inputs import SeriesData
from training.forecasting.refit import refit_cost


def _item(name, required=False, refit=1.0, score=0.1, save_fold=0.2, save_full=0.3):
    return FinishItem(name, required, refit, score, save_fold, save_full)


def _budget_logs(events):
    return [p["budget"] for kind, p in events if kind == "log" and "budget" in p]


# --------------------------------------------------------------------------- pure functions


def test_scaled_cost_grows_with_rows_and_keeps_a_margin():
    base = scaled_cost(2.0, 1000, 1000)
    assert base == 2.0 * LOAD_MARGIN + 0.1
    double = scaled_cost(2.0, 1000, 2000)
    assert double > 2 * 2.0 * LOAD_MARGIN  # a little faster than linear (n log n)
    # Fewer rows than measured never predicts less than the measured time.
    assert scaled_cost(2.0, 1000, 10) == base


def test_plan_refits_everything_when_time_allows():
    items = [_item("a", True), _item("b"), _item("c")]
    plan = plan_finish(items, remaining_s=100.0)
    assert plan.refit == ("a", "b", "c") and not plan.keep and not plan.dropped
    assert plan.cost_s == sum(i.refit_s + i.score_s + i.save_full_s for i in items)


def test_plan_keeps_the_fold_model_of_a_required_candidate_whose_refit_does_not_fit():
    items = [_item("slow", True, refit=50.0), _item("fast", True, refit=0.5)]
    plan = plan_finish(items, remaining_s=5.0)
    assert plan.action("slow") == "keep"
    assert plan.action("fast") == "refit"
    assert plan.cost_s <= 5.0


def test_plan_never_drops_a_required_candidate_even_when_nothing_fits():
    items = [_item("rank1", True, refit=9.0, score=3.0, save_fold=4.0), _item("other")]
    plan = plan_finish(items, remaining_s=1.0)
    assert plan.action("rank1") == "keep"
    assert plan.action("other") == "drop"
    assert plan.cost_s == 3.0 + 4.0  # the must-do work, even over the budget


def test_plan_drops_an_optional_candidate_it_cannot_save_but_keeps_a_cheaper_later_one():
    items = [
        _item("best", True, refit=1.0),
        _item("big_forest", refit=20.0, save_fold=30.0, save_full=40.0),
        _item("linear", refit=0.2, score=0.05, save_fold=0.05, save_full=0.05),
    ]
    plan = plan_finish(items, remaining_s=5.0)
    assert plan.action("best") == "refit"
    assert plan.action("big_forest") == "drop"
    assert plan.action("linear") == "refit"


def test_plan_grace_only_lets_required_refits_run_late():
    required = plan_finish([_item("r", True, refit=1.0, score=0, save_fold=0, save_full=0)], 0.8)
    assert required.action("r") == "keep"
    graced = plan_finish(
        [_item("r", True, refit=1.0, score=0, save_fold=0, save_full=0)], 0.8, grace_s=0.3
    )
    assert graced.action("r") == "refit"
    optional = plan_finish(
        [_item("o", refit=1.0, score=0, save_fold=0, save_full=0)], 0.8, grace_s=0.3
    )
    assert optional.action("o") == "keep"


def test_plan_keeps_optional_candidates_before_refitting_them_by_rank():
    items = [
        _item("r", True, refit=0.0, score=0.0, save_fold=0.0, save_full=0.0),
        _item("second", refit=2.0, score=0.5, save_fold=0.5, save_full=0.5),
        _item("third", refit=2.0, score=0.5, save_fold=0.5, save_full=0.5),
    ]
    plan = plan_finish(items, remaining_s=4.0)
    # Both are kept (2s), then only the better one's refit (2s more) fits.
    assert plan.action("second") == "refit"
    assert plan.action("third") == "keep"


def test_search_reserve_counts_required_refits_and_everyone_s_scoring_and_saving():
    items = [_item("a", True, refit=3.0), _item("b", refit=100.0)]
    assert search_reserve(items) == (3.0 + 0.1 + 0.3) + (0.1 + 0.2)


def test_importance_rows_shrinks_then_skips_with_less_time():
    per_row = 1e-4  # seconds per predicted row
    assert importance_rows(per_row, 10, 2, available_s=100.0) == 300
    rows = importance_rows(per_row, 10, 2, available_s=0.2)
    assert 50 <= rows < 300
    assert rows * per_row * 21 * LOAD_MARGIN <= 0.2
    assert importance_rows(per_row, 10, 2, available_s=0.01) == 0
    assert importance_rows(per_row, 10, 2, available_s=-1.0) == 0


def test_importance_rows_counts_the_fixed_cost_of_each_prediction():
    # 21 predictions (10 columns, 2 repeats, 1 baseline) of 0.5s each whatever their size:
    # 13.65s with the load margin before the first row, so 10s cannot even start.
    per_row, per_call = 1e-5, 0.5
    assert importance_rows(per_row, 10, 2, available_s=10.0, per_call_s=per_call) == 0
    assert importance_rows(per_row, 10, 2, available_s=10.0) == 300  # rows alone: cheap
    rows = importance_rows(per_row, 10, 2, available_s=13.7, per_call_s=per_call, min_rows=1)
    assert 1 <= rows < 300
    assert 21 * LOAD_MARGIN * (per_call + rows * per_row) <= 13.7
    assert importance_rows(per_row, 10, 2, available_s=100.0, per_call_s=per_call) == 300


def test_save_seconds_measures_the_model_and_scales_with_its_size():
    X, y = make_classification(400, 6, random_state=0)
    small = RandomForestClassifier(5, random_state=0).fit(X, y)
    big = RandomForestClassifier(60, random_state=0).fit(X, y)
    s_small, b_small = save_seconds(small)
    s_big, b_big = save_seconds(big)
    assert b_big > 5 * b_small > 0
    assert s_big > s_small > 0
    # Each call times LZ4 on its own sample: on a 29 KB model that is microseconds, so two calls'
    # times differ by more than the scale (a CI run saw 0.05040 s against 0.05056 s); the scaled
    # size is exact, and the time still covers more than the fixed overhead.
    s_scaled, b_scaled = save_seconds(small, scale=3.0)
    assert b_scaled == 3 * b_small and s_scaled > SAVE_OVERHEAD_S
    # Something that cannot be pickled costs only the fixed overhead here (it fails later).
    assert save_seconds(lambda: None)[1] == 0


def test_save_seconds_counts_the_reference_predictions_of_a_wide_model():
    """Registration predicts the training rows with every model for its monitoring reference:
    a model reading a thousand columns costs that much more to register."""
    from sklearn.linear_model import Ridge

    from training.budget import REFERENCE_COLUMN_S

    rng = np.random.default_rng(0)
    y = rng.random(80)
    narrow = Ridge().fit(rng.random((80, 5)), y)
    wide = Ridge().fit(rng.random((80, 1000)), y)
    assert save_seconds(wide)[0] - save_seconds(narrow)[0] >= 995 * REFERENCE_COLUMN_S


def test_ledger_accounts_phases_and_reports_each_decision_as_a_log_event():
    events = []
    ledger = Ledger(10.0, lambda kind, payload: events.append((kind, payload)))
    ledger.mark("search")
    ledger.decide("refit", "skipped", "linear: kept the fold model.", algorithm="linear")
    ledger.fit_started("refit", "hgb", 1.5, 9.0)
    report = ledger.summary(pending_s=2.0)
    kind, payload = events[0]
    assert kind == "log" and payload["level"] == "warning"
    assert payload["budget"]["phase"] == "refit" and payload["budget"]["action"] == "skipped"
    assert report["phases"].keys() == {"prepare", "search"}
    assert report["predicted_end_s"] == round(report["elapsed_s"] + 2.0, 2)
    assert report["fits"][0]["predicted_s"] == 1.5 and report["decisions"] == 1
    assert events[-1][1]["budget"]["action"] == "summary"


# --------------------------------------------------------------------------- engines


def _table(n: int = 3000) -> pd.DataFrame:
    X, y = make_classification(n, 8, n_informative=5, random_state=1)
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    df["colour"] = np.random.default_rng(0).choice(["red", "green", "blue"], n)
    df["label"] = np.where(y == 1, "yes", "no")
    return df


def test_run_automl_starts_only_fits_predicted_to_end_in_time_and_accounts_for_its_time():
    events: list = []
    results = automl.run_automl(
        _table(),
        automl.AutoMLSettings(target="label", problem_type="classification", time_budget_s=4),
        on_event=lambda kind, payload: events.append((kind, payload)),
    )
    assert results and results[0].rank == 1
    logs = _budget_logs(events)
    summary = [b for b in logs if b["action"] == "summary"]
    assert len(summary) == 1
    report = summary[0]
    assert report["budget_s"] == 4
    # Every second is accounted to a phase, and the post-search phases were planned.
    assert abs(sum(report["phases"].values()) - report["elapsed_s"]) < 0.1
    assert {"prepare", "portfolio", "refit", "scoring"} <= report["phases"].keys()
    # Each refit started only when predicted to end in time for the work after it.
    for fit in report["fits"]:
        assert fit["at_s"] + fit["predicted_s"] <= fit["must_end_s"] + 0.05
    # The saving that registration will do is predicted for every returned model.
    assert report["pending_s"] > 0
    assert report["predicted_end_s"] >= report["elapsed_s"]
    for entry in logs:
        if entry["action"] != "summary":
            phases = {"portfolio", "search", "ensemble", "refit", "finish", "importance"}
            assert entry["phase"] in phases


def _small_engine(events: list) -> tuple[Engine, pd.DataFrame, pd.Series]:
    """An engine on 480 training rows with a minute's budget, and the 120 hold-out rows."""
    run = Run(60.0, lambda kind, p: events.append((kind, p)))
    df = _table(600)
    X, y = df.drop(columns="label").iloc[:480], df["label"].iloc[:480]
    X_test, y_test = df.drop(columns="label").iloc[480:], df["label"].iloc[480:]
    settings = automl.AutoMLSettings(target="label", problem_type="classification", max_epochs=10)
    data = Inputs(X, y, list(X.columns), infer_schema(X))
    folds = make_folds(y, "classification", False, 5, 0)
    return Engine(run, settings, data, folds, n_test=len(y_test)), X_test, y_test


def test_a_refit_predicted_not_to_fit_keeps_the_fold_model_and_says_why():
    events: list = []
    engine, X_test, y_test = _small_engine(events)
    slow = evaluate(engine, "linear", {}, 10.0)
    # As if its folds had been measured at an hour each: a refit that can never fit a minute.
    slow.fold_fit_s = 3600.0
    results = finish(engine, None, X_test, y_test)
    linear = next(r for r in results if r.algorithm == "linear")
    assert linear.pipeline is slow.pipeline  # the fold model, fitted on training rows only
    skipped = [b for b in _budget_logs(events) if b["action"] == "skipped"]
    assert any(b["phase"] == "refit" and b["algorithm"] == "linear" for b in skipped)
    summary = next(b for b in _budget_logs(events) if b["action"] == "summary")
    assert all(fit["name"] != "linear" for fit in summary["fits"])


def test_forecast_refit_cost_scales_backtest_fits_and_skips_fitted_ensemble_members():
    idx = pd.date_range("2024-01-01", periods=200, freq="D")
    series = [SeriesData(None, pd.Series(np.arange(200.0), index=idx), [7], 7)]
    results = {
        "ets": {"fit_time_s": 3.0, "metrics": {"mase": 1.0}},
        "theta": {"fit_time_s": 6.0, "metrics": {"mase": 1.1}},
        "ensemble": {"members": ["ets", "theta"], "metrics": {"mase": 0.9}},
    }
    ets = refit_cost("ets", results, series, 3, 14, set())
    assert ets >= 1.0 * LOAD_MARGIN  # one of three 1s backtest fits, on a longer history
    both = refit_cost("ensemble", results, series, 3, 14, set())
    assert both > ets
    assert refit_cost("ensemble", results, series, 3, 14, {"ets"}) == both - ets
    assert refit_cost("ets", results, series, 3, 14, {"ets"}) == 0.0


def test_run_forecast_automl_accounts_for_its_time_and_refits_as_planned():
    idx = pd.date_range("2020-01-01", periods=400, freq="D")
    rng = np.random.default_rng(0)
    y = 10 + np.sin(np.arange(400) * 2 * np.pi / 7) + rng.normal(0, 0.2, 400)
    events: list = []
    settings = ForecastSettings(
        time_column="day",
        target="sales",
        horizon=14,
        algorithms=["seasonal_naive", "ets", "theta", "linear_lags"],
        time_budget_s=6,
    )
    candidates = run_forecast_automl(
        pd.DataFrame({"day": idx, "sales": y}),
        settings,
        on_event=lambda kind, payload: events.append((kind, payload)),
    )
    assert candidates and candidates[0].rank == 1
    report = next(b for b in _budget_logs(events) if b["action"] == "summary")
    assert {"backtest", "refit"} <= report["phases"].keys()
    assert abs(sum(report["phases"].values()) - report["elapsed_s"]) < 0.1
    assert {f["name"] for f in report["fits"]} == {c.algorithm for c in candidates}
    # Optional refits started only when predicted to end within the budget.
    required = {candidates[0].algorithm, "seasonal_naive"}
    for fit in report["fits"]:
        if fit["name"] not in required:
            assert fit["at_s"] + fit["predicted_s"] <= fit["must_end_s"] + 0.05


def test_the_blend_takes_fewer_members_when_their_extra_work_does_not_fit():
    events: list = []
    engine, _, _ = _small_engine(events)
    for algorithm in ("linear", "decision_tree", "knn"):
        evaluate(engine, algorithm, {}, 10.0)
    pool = engine.ranked()
    # With a minute left every member fits; with none left only the best one stays.
    assert affordable_pool(engine, pool) == pool
    assert not [b for b in _budget_logs(events) if b["phase"] == "ensemble"]
    engine.run.deadline = engine.run.now()
    assert affordable_pool(engine, pool) == pool[:1]
    assert select_blend(engine) is None
    left_out = [b for b in _budget_logs(events) if b["phase"] == "ensemble"]
    assert {b["algorithm"] for b in left_out} == {t.algorithm for t in pool[1:]}


def test_the_search_keeps_no_time_for_a_refit_that_cannot_end_in_time():
    events: list = []
    engine, _, _ = _small_engine(events)
    trial = evaluate(engine, "linear", {}, 10.0)
    kept = reserve(engine)
    assert kept >= finish_items(engine)[0].refit_s > 0.0  # a refit that fits is kept back
    # As if its folds had been measured at an hour each: the refit can never end within the
    # minute, so the search only keeps back scoring and saving the fold model.
    trial.fold_fit_s = 3600.0
    item = finish_items(engine)[0]
    assert item.refit_s == 0.0 and item.save_full_s == item.save_fold_s
    assert reserve(engine) < 60.0


def test_a_first_forest_fit_predicted_not_to_finish_is_not_started():
    events: list = []
    engine, _, _ = _small_engine(events)
    # Measured per-fold seconds and sizes: the base unit is the slowest of their units (linear
    # 0.5s / 0.5 = 1.0, hist gradient boosting 2.0s / 1.0 = 2.0), so 2.0s.
    engine.fold_time = {"linear": (0.5, 1.0), "hist_gradient_boosting": (2.0, 1.0)}
    forest = {"n_estimators": 200, "max_features": "sqrt"}
    est = fold_estimate(engine, "random_forest", forest)
    assert est == pytest.approx(2.0 * RELATIVE_COST["random_forest"] * 2 * LOAD_MARGIN)
    assert fold_estimate(engine, "knn", {}) is None  # cheap ones are not held back by the prior
    assert evaluate(engine, "random_forest", forest, limit=est / 2) is None
    skipped = [b for b in _budget_logs(events) if b["action"] == "skipped"]
    assert skipped and skipped[0]["algorithm"] == "random_forest"
    assert not engine.trials  # nothing was fitted
    # Once measured, a configuration is predicted from its own algorithm, scaled by its trees.
    engine.fold_time["random_forest"] = (4.0, 2.0)
    half = fold_estimate(engine, "random_forest", {"n_estimators": 100, "max_features": "sqrt"})
    assert half == pytest.approx(2.0 * LOAD_MARGIN)


def test_the_engine_gets_what_is_left_of_the_job_budget_after_loading_the_data():
    from training.services import engine_budget

    started = time.monotonic() - 5.0  # the job was claimed 5 s ago
    assert 40.0 <= engine_budget(60.0, started) <= 55.0
    # However long the loading took, the engine keeps a tenth of the budget to return a model.
    assert engine_budget(10.0, time.monotonic() - 100.0) == 1.0


def test_refit_time_is_kept_only_for_leading_algorithms_close_to_the_best():
    events: list = []
    engine, _, _ = _small_engine(events)
    for algorithm in ("linear", "decision_tree", "knn"):
        evaluate(engine, algorithm, {}, 10.0)
    best, second, third = engine.ranked()
    # As if the second were a near tie and the third far behind (AUC points).
    second.key = (best.key[0] - REFIT_GAP["classification"] / 2, *second.key[1:])
    third.key = (best.key[0] - 5 * REFIT_GAP["classification"], *third.key[1:])
    required = {item.name: item.required for item in finish_items(engine)}
    assert required[best.algorithm] and required[second.algorithm]
    assert not required[third.algorithm]
    # The far one's refit is not kept back, but its scoring and saving are.
    items = finish_items(engine)
    forced = [
        dataclasses.replace(i, required=True) if i.name == third.algorithm else i for i in items
    ]
    assert search_reserve(items) < search_reserve(forced)


def test_blend_selection_runs_its_rounds_even_when_the_reserve_is_spent():
    events: list = []
    engine, _, _ = _small_engine(events)
    for algorithm in ("linear", "decision_tree", "knn"):
        evaluate(engine, algorithm, {}, 10.0)
    # The reserve is spent, yet the rounds (milliseconds each) still run within BLEND_FLOOR of
    # the budget (here of an hour's, so that none is cut however slow the machine is).
    engine.run.budget = 3600.0
    engine.run.deadline = engine.run.now() + reserve(engine) - 5.0
    _greedy_counts(engine, engine.ranked())
    assert not [b for b in _budget_logs(events) if "rounds" in b]
    # Without the floor the same rounds stop after two.
    engine.run.budget = 0.0
    _greedy_counts(engine, engine.ranked())
    assert [b["rounds"] for b in _budget_logs(events) if "rounds" in b] == [2]
