"""A class with very few rows: the hold-out, the folds and every model's own validation slice
must cope with it, and one failing candidate must never end the run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.neural_network import MLPClassifier

from training.automl import AutoMLSettings, holdout_split, make_folds, run_automl
from training.automl.epochs import epoch_model
from training.automl.trials import early_stopping_blocker, early_stopping_off
from training.reference import training_split


def _wine_with_rare(rare_rows: int) -> pd.DataFrame:
    """The wine table (three text classes) plus `rare_rows` rows of a class 'Tabl', with a
    categorical column so that the target encoder's folds meet the rare class too."""
    wine = load_wine(as_frame=True)
    df = wine.frame.iloc[:, :6].copy()
    df["cellar"] = np.where(np.arange(len(df)) % 3 == 0, "north", "south")
    df["kind"] = wine.target.map({0: "WinF", 1: "WinNF", 2: "Head"}).to_numpy()
    rare = df.iloc[:rare_rows].copy()
    rare.iloc[:, :6] = rare.iloc[:, :6].to_numpy() * 1.5
    rare["kind"] = "Tabl"
    return pd.concat([df, rare], ignore_index=True)


@pytest.mark.parametrize("rare_rows", [1, 2, 3])
def test_a_class_with_one_two_or_three_rows_trains_to_completion(rare_rows):
    df = _wine_with_rare(rare_rows)
    logs: list[tuple[str, str]] = []
    results = run_automl(
        df,
        AutoMLSettings(
            target="kind",
            problem_type="classification",
            algorithms=["hist_gradient_boosting", "linear", "svm", "gradient_boosting"],
            preprocessing_config={"categorical_encoding": "target"},
            time_budget_s=8,
        ),
        on_event=lambda kind, p: logs.append((p["level"], p["message"])) if kind == "log" else None,
    )
    assert results, "the run ended with models"
    assert all("Tabl" in r.classes for r in results)
    text = "\n".join(m for _, m in logs)
    assert "[2.0]" not in text and "failed" not in text
    if rare_rows == 1:
        assert ("warning", _single_row_line()) in logs
    else:
        assert f"'Tabl' ({rare_rows} rows)" in text
    # The boosting model's stratified early-stopping slice cannot hold the rare class in some
    # fits: it is trained without it there, and the log names the class by its label.
    assert any(
        m.startswith(
            "Histogram gradient boosting: early stopping is off in fits where class 'Tabl'"
        )
        for _, m in logs
    )


def _single_row_line() -> str:
    return (
        "Class 'Tabl' of 'kind' has a single row: it is trained on but cannot be validated "
        "(no row of it is left for the hold-out or the validation folds)."
    )


def test_a_single_row_class_stays_in_training_and_the_rest_is_stratified():
    y = pd.Series(["a"] * 60 + ["b"] * 40 + ["z"])
    X = pd.DataFrame({"x": np.arange(len(y))})
    train, test = holdout_split(X, y, "classification", 0.2, 0)
    assert 100 in train and 100 not in test
    assert sorted(np.concatenate([train, test])) == list(range(len(y)))
    # Stratified over the classes that have two rows or more: 12 'a' and 8 'b' held out.
    assert y.iloc[test].value_counts().to_dict() == {"a": 12, "b": 8}


def test_the_reference_splits_rows_as_training_did():
    df = _wine_with_rare(1)
    features = [c for c in df.columns if c != "kind"]
    train, holdout = training_split(
        df, features=features, target="kind", problem_type="classification",
        validation_split=0.2, seed=0,
    )  # fmt: skip
    tr, te = holdout_split(df[features], df["kind"], "classification", 0.2, 0)
    assert sorted(train.index) == sorted(tr) and sorted(holdout.index) == sorted(te)


def test_folds_stay_stratified_when_a_class_has_fewer_rows_than_folds():
    y = pd.Series(["a"] * 50 + ["b"] * 50 + ["z"] * 2)
    folds = make_folds(y, "classification", False, 5, 0)
    assert len(folds) == 5
    for _, valid in folds:  # every fold holds 10 of each common class
        counts = y.iloc[valid].value_counts()
        assert counts["a"] == 10 and counts["b"] == 10
    assert sum((y.iloc[va] == "z").sum() for _, va in folds) == 2


@pytest.mark.parametrize(
    "model",
    [
        HistGradientBoostingClassifier(early_stopping=True),
        MLPClassifier(early_stopping=True),
        GradientBoostingClassifier(n_iter_no_change=5),
    ],
)
def test_early_stopping_is_turned_off_only_when_its_slice_cannot_be_drawn(model):
    X = pd.DataFrame({"x": np.linspace(0, 1, 41)})
    rare = pd.Series(["a"] * 40 + ["Tabl"])  # two classes: an MLP stratifies only then
    assert early_stopping_blocker(model, rare) == "class 'Tabl' has 1 training row (2 are needed)"
    with pytest.raises(ValueError, match="too few"):
        model.fit(X, rare)  # what the run did before: the whole job failed here
    model.set_params(**early_stopping_off(model))
    model.fit(X, rare)
    common = pd.Series(["a"] * 20 + ["b"] * 21)
    assert early_stopping_blocker(model.set_params(**_on(model)), common) is None


def _on(model) -> dict:
    if "early_stopping" in model.get_params():
        return {"early_stopping": True}
    return {"n_iter_no_change": 5}


def test_early_stopping_auto_only_counts_above_ten_thousand_rows():
    y = pd.Series(["a"] * 50 + ["b"])
    assert early_stopping_blocker(HistGradientBoostingClassifier(), y) is None


def test_a_failing_candidate_is_logged_and_left_out():
    # 40 rows: a k-nearest-neighbours model asking for 200 neighbours cannot predict.
    df = load_wine(as_frame=True).frame.iloc[list(range(20)) + list(range(60, 80))]
    df = df.assign(target=df["target"].map({0: "x", 1: "y"}))
    logs: list[tuple[str, str]] = []
    results = run_automl(
        df,
        AutoMLSettings(
            target="target",
            problem_type="classification",
            algorithms=["linear", "knn"],
            hyperparameters={"knn": {"n_neighbors": 200}},
            time_budget_s=4,
        ),
        on_event=lambda kind, p: logs.append((p["level"], p["message"])) if kind == "log" else None,
    )
    assert [r.algorithm for r in results] == ["linear"]
    failed = [
        m for level, m in logs if level == "warning" and m.startswith("k-nearest neighbours {")
    ]
    assert failed and "failed and is left out: ValueError" in failed[0]


def test_an_mlp_with_its_own_early_stopping_trains_epoch_by_epoch():
    model = epoch_model(MLPClassifier(early_stopping=True))
    X = np.linspace(0, 1, 20).reshape(-1, 1)
    model.partial_fit(X, np.arange(20) % 2, classes=[0, 1])  # refused with early_stopping
    assert model.get_params()["early_stopping"] is False
