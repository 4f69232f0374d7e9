"""Tests of the AutoML phase modules through their public functions: the settings, the splits,
the portfolio queue, the search, the scores, the epoch trainer and the importances."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from training.automl import AutoMLError, AutoMLSettings, holdout_split, run_automl
from training.automl.epochs import EpochTrainer, adam_learning_rate
from training.automl.importance import own_importance, permutation_shares
from training.automl.inputs import Inputs, check_inputs
from training.automl.portfolio import PORTFOLIO, clipping_matters, log_twins, portfolio_queue
from training.automl.run import Run
from training.automl.scoring import oof_score
from training.automl.search import Searcher
from training.automl.splits import make_folds
from training.automl.trials import Engine, Trial
from training.builder import infer_schema


def _classes(n: int = 300) -> pd.DataFrame:
    X, y = make_classification(n, 5, n_informative=3, random_state=0)
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    return df.assign(label=np.where(y == 1, "yes", "no"))


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"problem_type": "forecasting"}, "not classification or regression"),
        ({"validation_split": 0.9}, "validation_split must be between"),
        ({"cv_folds": 1}, "cv_folds must be at least 2"),
        ({"max_epochs": 2.5}, "max_epochs must be a whole number"),
        ({"algorithms": ["nope"]}, "Unknown algorithm 'nope'"),
        ({"algorithms": []}, "No algorithm was chosen"),
        ({"hyperparameters": {"linear": {"alpha": -1}}, "algorithms": ["linear"]}, "alpha"),
        ({"search": {"method": "exhaustive"}}, "Search method 'exhaustive'"),
        ({"target": ""}, "target column must be named"),
        ({"time_budget_s": "10"}, "time_budget_s must be a number"),
    ],
)
def test_settings_refuse_bad_values_when_built(change, message):
    with pytest.raises(AutoMLError, match=message):
        AutoMLSettings(**{"target": "y", "problem_type": "regression", **change})


def test_settings_accept_numpy_numbers_resolve_auto_and_are_frozen():
    s = AutoMLSettings(target="y", problem_type="classification", cv_folds=np.int64(4))
    assert s.algorithm_names and len(set(s.algorithm_names)) == len(s.algorithm_names)
    assert s.metric == ("auc", True) and s.search_method == "random" and s.search_n_iter is None
    with pytest.raises(AttributeError):
        s.target = "other"  # type: ignore[misc]
    given = AutoMLSettings(
        target="y",
        problem_type="regression",
        algorithms=["linear", "linear"],
        hyperparameters={"linear": {"alpha": 2.0}},
    )
    assert given.algorithm_names == ["linear"] and given.user_params == {"linear": {"alpha": 2.0}}
    assert given.metric == ("rmse", False)


def test_run_automl_takes_a_settings_object():
    with pytest.raises(TypeError, match="AutoMLSettings"):
        run_automl(_classes(), {"target": "label"})  # type: ignore[arg-type]


def test_inputs_leave_out_rows_without_a_target_whatever_the_preprocessing():
    df = _classes().assign(label=lambda d: d["label"].where(d.index % 10 != 0))
    for config in ({}, {"missing_values_strategy": "median"}, {"missing_values_strategy": "drop"}):
        s = AutoMLSettings(
            target="label", problem_type="classification", preprocessing_config=config
        )
        data = check_inputs(df, s)
        assert len(data.X) == len(data.y) == 270 and data.no_target == 30
        assert data.features == [f"x{i}" for i in range(5)]
        assert {p["name"] for p in data.schema} == set(data.features)
        assert not data.y.isna().any()


def test_features_empty_in_every_labelled_row_are_refused():
    df = _classes().assign(when=pd.NaT, x0=np.nan)[["when", "x0", "label"]]
    s = AutoMLSettings(target="label", problem_type="classification")
    with pytest.raises(AutoMLError, match=r"Every feature column \(when, x0\) is empty"):
        check_inputs(df, s)


def test_too_few_rows_with_a_target_is_refused():
    df = _classes().assign(label=lambda d: d["label"].where(d.index < 10))
    s = AutoMLSettings(target="label", problem_type="classification")
    with pytest.raises(AutoMLError, match="rows with a target are needed; got 10"):
        check_inputs(df, s)


# --------------------------------------------------------------------------- splits and queue


def test_holdout_split_is_seeded_and_stratified():
    df = _classes()
    a_train, a_test = holdout_split(df, df["label"], "classification", 0.2, 3)
    b_train, b_test = holdout_split(df, df["label"], "classification", 0.2, 3)
    assert list(a_test) == list(b_test) and len(a_test) == 60
    assert not set(a_train) & set(a_test)
    share = df["label"].iloc[a_test].eq("yes").mean()
    assert abs(share - df["label"].eq("yes").mean()) < 0.02


def test_fold_count_follows_the_row_count_unless_folds_are_given():
    y = pd.Series(np.arange(3000) % 2)
    assert len(make_folds(y.head(500), "classification", False, 5, 0)) == 5
    assert len(make_folds(y, "classification", False, 5, 0)) == 3
    assert len(make_folds(y, "classification", True, 7, 0)) == 7


def test_portfolio_queue_puts_user_values_first_and_log_targets_only_when_they_qualify():
    names = ["linear", "hist_gradient_boosting"]
    plain = portfolio_queue(names, {}, log_ok=False, clip_ok=True)
    assert plain[0] == ("linear", PORTFOLIO["linear"][0])
    assert all(p.get("target_transform") != "log" for _, p in plain)
    logs = portfolio_queue(names, {}, True, True)
    assert any(p.get("target_transform") == "log" for _, p in logs)
    user = portfolio_queue(names, {"linear": {"alpha": 3.0}}, log_ok=True, clip_ok=True)
    assert [p for a, p in user if a == "linear"] == [{"alpha": 3.0}]


def test_portfolio_queue_tries_clipped_linear_inputs_for_regression_only():
    names = ["linear", "hist_gradient_boosting"]
    regression = [p for a, p in portfolio_queue(names, {}, True, True) if a == "linear"]
    assert {"clip_inputs": True} in regression
    assert {"target_transform": "log", "clip_inputs": True} in regression
    classes = portfolio_queue(names, {}, log_ok=False, clip_ok=False)
    assert not any(p.get("clip_inputs") for _, p in classes)


def test_clipping_matters_only_when_a_numeric_column_has_values_beyond_its_percentiles():
    rng = np.random.default_rng(0)
    flags = pd.DataFrame({"a": (rng.random(300) < 0.3).astype(int), "b": np.zeros(300)})
    flags.loc[:1, "b"] = 1  # a rare flag keeps its whole range
    assert not clipping_matters(flags)
    assert not clipping_matters(flags.assign(text=["x"] * 300)[["text"]])
    assert clipping_matters(flags.assign(size=rng.lognormal(size=300)))


def test_grid_search_proposes_each_point_once_then_stops():
    searcher = Searcher("decision_tree", "grid", 0, {"criterion": "gini"})
    seen = []
    while (params := searcher.propose()) is not None:
        seen.append(tuple(sorted(params.items())))
    assert len(seen) == len(set(seen)) == 9  # 3 depths x 3 leaf sizes
    assert all(dict(p)["criterion"] == "gini" for p in seen)


# --------------------------------------------------------------------------- scores


def test_oof_scores_match_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b", "c"], 200)
    proba = rng.dirichlet(np.ones(3), 200)
    value, (auc, neg_ll) = oof_score(y, proba, np.array(["a", "b", "c"]))
    assert value == auc == pytest.approx(roc_auc_score(y, proba, multi_class="ovr"))
    assert -neg_ll == pytest.approx(log_loss(y, proba, labels=["a", "b", "c"]))
    binary = y == "a"
    value, _ = oof_score(
        binary, proba[:, :2] / proba[:, :2].sum(1, keepdims=True), np.array([False, True])
    )
    assert value == pytest.approx(roc_auc_score(binary, proba[:, 1] / proba[:, :2].sum(1)))
    target = rng.normal(size=50)
    rmse, (neg_rmse, neg_mae) = oof_score(target, target + 2.0, None)
    assert rmse == pytest.approx(2.0) and neg_mae == pytest.approx(-2.0) and neg_rmse == -rmse


# --------------------------------------------------------------------------- epochs


def test_adam_learning_rate_from_public_parameters_matches_the_optimizer():
    """The MLP's Adam step size is rebuilt from public parameters; scikit-learn keeps the real
    one on a private optimizer. If this fails, scikit-learn changed how Adam counts its steps
    or scales its rate, and `epochs.adam_learning_rate` must follow."""
    X, y = make_classification(333, 4, random_state=0)
    for batch_size in ("auto", 64):
        model = MLPClassifier(hidden_layer_sizes=(8,), batch_size=batch_size, random_state=0)
        for _ in range(3):
            model.partial_fit(X, y, classes=[0, 1])
            actual = model._optimizer.learning_rate  # the private value this test guards
            assert adam_learning_rate(model, len(X)) == pytest.approx(actual, rel=1e-12), (
                "scikit-learn's Adam learning rate no longer follows learning_rate_init * "
                "sqrt(1 - beta_2**t) / (1 - beta_1**t) with one step per minibatch"
            )


def _engine(df: pd.DataFrame, target: str, problem_type: str, **settings) -> Engine:
    s = AutoMLSettings(target=target, problem_type=problem_type, **settings)
    X, y = df.drop(columns=target), df[target]
    data = Inputs(X, y, list(X.columns), infer_schema(X))
    return Engine(Run(60.0), s, data, make_folds(y, problem_type, False, 5, 0))


def test_the_other_target_scale_is_not_tried_again_under_another_spelling():
    X, y = make_regression(200, 3, random_state=0)
    df = pd.DataFrame(X, columns=list("abc")).assign(y=np.abs(y))
    engine = _engine(df, "y", "regression")
    tried = [({}, 2.0), ({"target_transform": "log"}, 3.0), ({"clip_inputs": True}, 1.0)]
    for params, key in tried:
        engine.record(Trial("linear", params, -key, (key,)))
    # The best, {"target_transform": "log"}, flipped is {"target_transform": "none"}: that is {}.
    assert log_twins(engine) == []
    engine.record(Trial("linear", {"clip_inputs": True, "target_transform": "log"}, -4.0, (4.0,)))
    assert log_twins(engine) == []  # its twin {"clip_inputs": True} was tried


def test_gradient_boosting_keeps_exactly_the_stages_of_its_best_epoch():
    X, y = make_regression(300, 4, noise=40.0, random_state=0)
    df = pd.DataFrame(X, columns=list("abcd")).assign(y=y)
    engine = _engine(df, "y", "regression", max_epochs=30, early_stopping=True)
    pipe = engine.pipeline("gradient_boosting", {"n_estimators": 300, "learning_rate": 0.5})
    prep = pipe[:-1].set_output(transform="pandas")
    tr, va = engine.folds[0]
    Xtr, Xva = prep.fit_transform(engine.X.iloc[tr]), prep.transform(engine.X.iloc[va])
    trainer = EpochTrainer(engine, "gradient_boosting", pipe.steps[-1][1])
    result = trainer.train((Xtr, engine.y_arr[tr]), (Xva, engine.y_arr[va]), deadline=1e12)
    booster = result.model.regressor_
    best = min(result.epochs, key=lambda e: e["val_loss"])
    assert result.kept < trainer.trained  # stopped early with an overfitting rate
    assert len(booster.estimators_) == booster.n_estimators == result.kept
    assert result.kept == best["epoch"] * 10  # 300 stages in 30 epochs
    assert not booster.warm_start
    assert np.allclose(result.pred, result.model.predict(Xva))


# --------------------------------------------------------------------------- importance


def test_models_without_their_own_importance_get_permutation_shares():
    df = _classes()
    X, y = df.drop(columns="label"), df["label"]
    forest = make_pipeline(StandardScaler(), RandomForestClassifier(20, random_state=0)).fit(X, y)
    own = own_importance(forest)
    assert own is not None and sum(i["importance"] for i in own) == pytest.approx(1.0)
    boosted = make_pipeline(StandardScaler(), HistGradientBoostingClassifier(max_iter=20))
    boosted.fit(X, y)
    assert own_importance(boosted) is None  # no public importances: no private ones read
    shares = permutation_shares(boosted, X, y, "classification", seed=0, n_rows=100)
    assert {i["feature"] for i in shares} == set(X.columns)
    assert sum(i["importance"] for i in shares) == pytest.approx(1.0)
