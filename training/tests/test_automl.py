"""Tests of the tabular AutoML loop on small sklearn datasets with short budgets."""

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, make_classification

from training.automl import AutoMLError, AutoMLSettings, Cancelled, run_automl
from training.automl.crossval import evaluate, fit_trial
from training.automl.inputs import Inputs, log_target_ok
from training.automl.ranking import full_first, leaderboard, rank_key
from training.automl.run import Run
from training.automl.splits import make_folds
from training.automl.trials import Engine
from training.builder import infer_schema


def automl(df: pd.DataFrame, on_event=None, should_stop=None, **settings) -> list:
    """`run_automl` with the settings as keywords."""
    hooks = {"on_event": on_event, "should_stop": should_stop}
    return run_automl(df, AutoMLSettings(**settings), **{k: v for k, v in hooks.items() if v})


def _cancer() -> pd.DataFrame:
    data = load_breast_cancer(as_frame=True)
    df = data.frame.iloc[:, :8].copy()
    rng = np.random.default_rng(0)
    df.iloc[::7, 0] = np.nan
    df["shade"] = rng.choice(np.array(["dark", "light", None], dtype=object), len(df))
    df["diagnosis"] = np.where(data.target == 1, "benign", "malignant")
    return df


def _diabetes() -> pd.DataFrame:
    data = load_diabetes(as_frame=True)
    df = data.frame.copy()
    df.iloc[::5, 2] = np.nan
    df["group"] = np.where(df["age"] > 0, "older", "younger")
    return df


def test_classification_ranks_candidates_and_keeps_string_labels():
    df = _cancer()
    budget: list[dict] = []  # the time-budget decisions, which name the algorithm by its key
    start = time.monotonic()
    results = automl(
        df,
        target="diagnosis",
        problem_type="classification",
        algorithms=["linear", "hist_gradient_boosting", "random_forest", "knn"],
        hyperparameters={"random_forest": {"n_estimators": 50}},
        time_budget_s=5,
        on_event=lambda kind, p: budget.append(p["budget"]) if "budget" in p else None,
    )
    assert time.monotonic() - start < 5 + 3
    assert [r.rank for r in results] == list(range(1, len(results) + 1))
    # Candidates the budget cut short (fewer folds) rank after the fully cross-validated ones.
    short = {b["algorithm"] for b in budget if b.get("action") == "shortened" and "folds" in b}
    keys = [r.cv_score for r in results if r.algorithm not in short]
    # Ties (within 1e-4) may go to the steadier or simpler model, never to a clearly worse one.
    assert all(b <= a + 1e-4 for a, b in zip(keys, keys[1:], strict=False))
    best = results[0]
    assert best.primary_metric == "auc" and best.primary_value > 0.9
    assert set(best.test_metrics) >= {"accuracy", "auc", "precision", "recall", "f1", "log_loss"}
    assert best.classes == ["benign", "malignant"]
    assert np.asarray(best.confusion_matrix).sum() == round(0.2 * len(df) + 0.5)
    new = df.drop(columns="diagnosis").head(5)
    assert set(best.pipeline.predict(new)) <= {"benign", "malignant"}
    assert list(best.pipeline.classes_) == best.classes
    imp = [f["importance"] for f in best.feature_importance]
    assert imp and imp == sorted(imp, reverse=True)
    assert best.inference_time_ms > 0 and best.fit_time_s > 0


def test_regression_with_missing_values_and_text_column():
    results = automl(
        _diabetes(),
        target="target",
        problem_type="regression",
        algorithms=["linear", "hist_gradient_boosting"],
        # One configuration each, so the run ends as soon as both are fitted: a 3 s budget let
        # only the linear model finish on a busy machine.
        search={"n_iter": 1},
        time_budget_s=60,
    )
    best = results[0]
    assert best.primary_metric == "rmse"
    assert set(best.test_metrics) == {"rmse", "mae", "r2", "mape"}
    assert best.test_metrics["r2"] > 0.2
    assert {r.algorithm for r in results} >= {"linear", "hist_gradient_boosting"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.assign(diagnosis="benign"), r"only one class \('benign'\)"),
        (lambda df: df.assign(diagnosis=1), r"only one class \(1\)"),  # not np.int64(1)
        (lambda df: df.drop(columns="diagnosis"), "not in the data"),
        (lambda df: df.head(10), "At least"),
        (lambda df: df.assign(diagnosis=df["diagnosis"].where(df.index < 5)), "got 5"),
    ],
)
def test_bad_input_raises_automl_error(change, message):
    with pytest.raises(AutoMLError, match=message):
        automl(
            change(_cancer()), target="diagnosis", problem_type="classification", time_budget_s=2
        )


def test_unknown_algorithm_and_feature_column():
    with pytest.raises(AutoMLError, match="Unknown algorithm"):
        automl(_cancer(), target="diagnosis", problem_type="classification", algorithms=["x"])
    with pytest.raises(AutoMLError, match="not in the data"):
        automl(
            _cancer(), target="diagnosis", problem_type="classification", feature_columns=["nope"]
        )


def test_events_in_order_and_progress_reaches_one():
    events = []
    automl(
        _diabetes(),
        target="target",
        problem_type="regression",
        algorithms=["linear"],
        time_budget_s=2,
        on_event=lambda kind, payload: events.append((kind, payload)),
    )
    kinds = [k for k, _ in events]
    assert kinds[0] == "log" and "progress" in kinds
    progress = [p["progress"] for k, p in events if k == "progress"]
    assert progress == sorted(progress) and progress[-1] == 1.0
    last = [p for k, p in events if k == "progress"][-1]
    assert set(last) == {
        "progress",
        "current_epoch",
        "best_metric",
        "estimated_time_remaining",
        "algorithm",
    }
    assert all({"message", "level"} <= set(p) for k, p in events if k == "log")


def test_should_stop_cancels_promptly():
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    start = time.monotonic()
    with pytest.raises(Cancelled):
        automl(
            _cancer(),
            target="diagnosis",
            problem_type="classification",
            time_budget_s=30,
            should_stop=stop,
        )
    assert time.monotonic() - start < 5


def test_iterative_algorithms_record_epochs_and_stop_early():
    X, y = make_classification(
        n_samples=400, n_features=6, n_informative=4, class_sep=3.0, random_state=0
    )
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]).assign(y=np.where(y, "a", "b"))
    metrics = []
    results = automl(
        df,
        target="y",
        problem_type="classification",
        algorithms=["mlp", "sgd", "gradient_boosting"],
        hyperparameters={"gradient_boosting": {"n_estimators": 300, "learning_rate": 0.3}},
        max_epochs=150,
        time_budget_s=20,
        on_event=lambda kind, payload: metrics.append(payload) if kind == "metric" else None,
    )
    assert {r.algorithm for r in results} >= {"mlp", "sgd", "gradient_boosting"}
    for res in results:
        if res.algorithm == "ensemble":
            continue
        assert 1 <= len(res.epochs) < 150, res.algorithm
        first = res.epochs[0]
        assert set(first) == {
            "epoch",
            "train_loss",
            "val_loss",
            "train_metrics",
            "val_metrics",
            "learning_rate",
        }
        assert [e["epoch"] for e in res.epochs] == list(range(1, len(res.epochs) + 1))
        assert res.test_metrics["auc"] > 0.9
    assert len(metrics) == sum(len(r.epochs) for r in results)
    assert all("algorithm" in m for m in metrics)


def test_iterative_regression_and_bayesian_search():
    results = automl(
        _diabetes(),
        target="target",
        problem_type="regression",
        algorithms=["sgd", "linear"],
        search={"method": "bayesian", "n_iter": 4},
        max_epochs=20,
        time_budget_s=30,
    )
    sgd = next(r for r in results if r.algorithm == "sgd")
    assert 1 <= len(sgd.epochs) <= 20
    assert sgd.test_metrics["r2"] > 0.1  # unscaled predictions would score far below 0


def test_ties_go_to_the_steadier_then_simpler_model():
    def key(algorithm: str, auc: float, spread: float) -> tuple:
        return rank_key(algorithm, auc, (auc, -0.1), spread, True)

    items = [
        ("mlp", key("mlp", 1.0, 0.0)),
        ("knn", key("knn", 0.99995, 0.0)),
        ("linear", key("linear", 0.99992, 0.0)),
        ("random_forest", key("random_forest", 0.99995, 0.01)),
        ("svm", key("svm", 0.998, 0.0)),
    ]
    order = [name for name, _ in leaderboard(items, lambda i: i[1])]
    assert order == ["linear", "knn", "mlp", "random_forest", "svm"]


def test_iterative_algorithms_are_cross_validated_on_every_fold():
    df = _cancer().drop(columns="shade")
    X, y = df.drop(columns="diagnosis"), df["diagnosis"]
    folds = make_folds(y, "classification", False, 5, 0)
    settings = AutoMLSettings(target="diagnosis", problem_type="classification", max_epochs=30)
    data = Inputs(X, y, list(X.columns), infer_schema(X))
    engine = Engine(Run(30), settings, data, folds)
    trial = evaluate(engine, "sgd", {}, 30)
    assert trial is not None and trial.oof is not None
    assert not np.isnan(trial.oof).any()  # every training row scored out of fold
    assert trial.n_epochs is not None and 1 <= trial.n_epochs <= len(trial.epochs)
    refit = fit_trial(engine, trial, np.arange(len(y)))
    assert set(refit.predict(X.head(3))) <= {"benign", "malignant"}


def test_skewed_positive_target_gets_log_candidates_chosen_by_cv():
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame({"size": rng.lognormal(4, 0.6, n), "rooms": rng.integers(1, 6, n)})
    df["city"] = rng.choice(["a", "b", "c"], n)
    df["price"] = np.exp(0.8 * np.log(df["size"]) + 0.1 * df["rooms"] + rng.normal(0, 0.3, n))
    assert log_target_ok(df["price"], "regression")
    assert not log_target_ok(df["price"] - df["price"].median(), "regression")
    assert not log_target_ok(df["price"], "classification")
    logs: list[str] = []
    results = automl(
        df,
        target="price",
        problem_type="regression",
        # Linear fits take milliseconds, so the log-target configuration (the portfolio's
        # fourth) is reached within the budget however busy the machine is.
        algorithms=["linear"],
        time_budget_s=8,
        on_event=lambda kind, p: logs.append(p.get("message", "")) if kind == "log" else None,
    )
    assert any("log1p(target)" in m for m in logs)
    assert any("target_transform=log" in m for m in logs)  # log candidates were scored
    best = results[0]
    assert best.pipeline.predict(df.drop(columns="price").head(3)).min() > 0
    # The winner is whichever scored the lower CV RMSE, on the original scale for both kinds.
    lowest = min(r.cv_score for r in results if r.cv_score is not None)
    assert best.cv_score <= lowest * (1 + 1e-3)


def test_rank_one_model_is_refit_on_all_training_rows():
    df = _diabetes()
    logs: list[str] = []
    results = automl(
        df,
        target="target",
        problem_type="regression",
        algorithms=["linear", "hist_gradient_boosting", "random_forest"],
        time_budget_s=4,
        on_event=lambda kind, p: logs.append(p.get("message", "")) if kind == "log" else None,
    )
    top = results[0]
    kept = [m for m in logs if "kept the fold model" in m]
    members = (
        {m["algorithm"] for m in top.hyperparameters["members"]}
        if top.algorithm == "ensemble"
        else {top.algorithm}
    )
    assert not [m for m in kept if m.split(":")[0] in members]


def test_partially_cross_validated_candidates_rank_after_full_ones():
    def item(name: str, rmse: float, full: bool) -> tuple:
        return name, rank_key(name, rmse, (-rmse, -rmse), 0.0, False), full

    items = [item("random_forest", 90.0, False), item("linear", 100.0, True)]
    items.append(item("hist_gradient_boosting", 95.0, True))
    order = [n for n, _, _ in full_first(items, lambda i: i[1], lambda i: i[2])]
    assert order == ["hist_gradient_boosting", "linear", "random_forest"]


def test_importances_say_how_they_were_measured():
    results = automl(
        _diabetes(),
        target="target",
        problem_type="regression",
        algorithms=["knn", "random_forest"],
        # The search stops after two configurations, so the run ends long before its budget
        # and the permutation importance fits whatever the machine's load (the search would
        # otherwise use all but the reserved time, and a tighter end skips it and says so:
        # test_budget.py).
        search={"n_iter": 2},
        time_budget_s=120,  # room for the importance at any load; the run ends long before
    )
    by_algo = {r.algorithm: r for r in results}
    assert "ensemble" in by_algo  # knn and random_forest blend on this table
    blend = by_algo["ensemble"]
    assert blend.importance_method == "blend"
    # Its members measure on different names (one-hot levels such as group_older; input
    # columns): the blend's are input columns only, each once.
    names = [i["feature"] for i in blend.feature_importance]
    assert set(names) <= set(_diabetes().columns) and len(names) == len(set(names))
    assert "group" in names
    assert by_algo["random_forest"].importance_method == "model"
    assert any(
        i["feature"].startswith("group_") for i in by_algo["random_forest"].feature_importance
    )
    # k-nearest neighbours carries no importances: they are measured by permutation.
    knn = by_algo["knn"]
    assert knn.importance_method == "permutation" and knn.feature_importance


def test_interaction_features_from_the_feature_config_are_used():
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {"x1": rng.normal(size=n), "x2": rng.normal(size=n), "x3": rng.normal(size=n)}
    )
    df["y"] = 3 * df["x1"] * df["x2"] + 0.1 * rng.normal(size=n)
    kwargs = {
        "target": "y",
        "problem_type": "regression",
        "algorithms": ["linear", "sgd"],
        "time_budget_s": 10,
        "search": {"n_iter": 1},  # ends when its work is done, not at the budget
    }
    plain = automl(df, **kwargs)
    crossed = automl(df, feature_config={"interactions": [["x1", "x2"]]}, **kwargs)
    by_algo = {r.algorithm: r for r in crossed}
    for algo in ("linear", "sgd"):  # one fitted in one go, one epoch by epoch
        names = by_algo[algo].pipeline[:-1].get_feature_names_out()
        assert "x1*x2" in names
        assert by_algo[algo].test_metrics["r2"] > 0.9
    assert max(r.test_metrics["r2"] for r in plain) < 0.3


def test_a_classifier_records_only_the_hyperparameters_of_classification():
    """A classifier SVM's and forest's recorded parameters leave out the regression-only ones
    (the model page shows what the record holds)."""
    results = automl(
        _cancer().iloc[:200],
        target="diagnosis",
        problem_type="classification",
        algorithms=["svm", "random_forest"],
        hyperparameters={"random_forest": {"n_estimators": 30}},
        search={"n_iter": 1},
        time_budget_s=20,
    )
    params = {
        r.algorithm: r.hyperparameters for r in results if r.algorithm in ("svm", "random_forest")
    }
    assert "svm" in params and "random_forest" in params
    assert "epsilon" not in params["svm"] and "C" in params["svm"]
    assert "target_transform" not in params["random_forest"]
    assert params["random_forest"]["criterion_cls"] in ("gini", "entropy")


def _wide_heavy_tailed(seed: int = 0) -> pd.DataFrame:
    """A house-price-like table: 80 numeric columns, a few with rare very large values (scaled,
    such a row is long), a price in the hundreds of thousands."""
    rng = np.random.default_rng(seed)
    n = 600
    X = rng.normal(size=(n, 80))
    for j in range(5):  # mostly zero with a rare huge value, like a miscellaneous-value column
        X[:, j] = np.where(rng.random(n) < 0.01, rng.uniform(50, 100, n), 0.0)
    price = 180_000 + 20_000 * X[:, 5:15].sum(axis=1) + rng.normal(0, 5_000, n)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(80)])
    df["price"] = price
    return df


def test_sgd_steps_stay_small_enough_not_to_diverge_on_long_rows():
    """A fixed SGD step of 0.05 diverges on rows with a large squared norm (here an RMSE in the
    millions against a spread of 60,000); the step is lowered to one over the longest row."""
    df = _wide_heavy_tailed()
    logs: list[str] = []
    results = automl(
        df,
        on_event=lambda kind, payload: logs.append(str(payload.get("message"))),
        target="price",
        problem_type="regression",
        algorithms=["sgd"],
        max_epochs=30,
        time_budget_s=6,
    )
    sgd = results[0]
    spread = float(df["price"].std())
    assert sgd.cv_score < spread, (sgd.cv_score, spread)
    assert sgd.test_metrics["r2"] > 0.5
    assert any("step eta0 lowered" in line for line in logs), logs


def test_stable_step_bounds_eta0_by_the_longest_row():
    from sklearn.linear_model import SGDClassifier, SGDRegressor

    from training.automl.epochs import stable_step

    X = pd.DataFrame({"a": [1.0, 0.0, 10.0], "b": [0.0, 2.0, 0.0]})  # longest row: 100
    reg = SGDRegressor(eta0=0.05)
    assert stable_step(reg, X) == pytest.approx(0.01) and reg.eta0 == pytest.approx(0.01)
    cls = SGDClassifier(loss="log_loss", learning_rate="adaptive", eta0=0.05)
    assert stable_step(cls, X) == pytest.approx(0.04)
    small = SGDRegressor(eta0=0.001)
    assert stable_step(small, X) is None and small.eta0 == 0.001
    assert stable_step(SGDRegressor(learning_rate="optimal"), X) is None
