"""A class target of boolean words in several spellings ("No", "no", "Yes", "yes") trains as
two classes answered in the file's most frequent spelling; feedback matches them the same way.
Text classes that are not boolean words keep their case, with a warning in the log."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

from training.automl import AutoMLSettings, run_automl
from training.labels import boolean_spellings, case_variants, label_like, normalize_labels


def _cases() -> pd.DataFrame:
    """Breast-cancer rows with a Yes/No target, every third label lower-cased."""
    data = load_breast_cancer(as_frame=True)
    df = data.frame.iloc[:, :6].copy()
    labels = np.where(data.target == 1, "Yes", "No").astype(object)
    labels[::3] = [v.lower() for v in labels[::3]]
    df["benign"] = labels
    return df


def test_boolean_words_in_several_spellings_become_one_label_each():
    y = pd.Series(["No", "no", "No", " YES", "yes", "Yes", "yes"])
    assert boolean_spellings(y) == {"no": "No", " YES": "yes", "Yes": "yes"}
    assert normalize_labels(y).tolist() == ["No", "No", "No", "yes", "yes", "yes", "yes"]
    # A tie keeps the spelling seen first.
    assert normalize_labels(pd.Series(["off", "On", "on", "OFF"])).tolist() == [
        "off",
        "On",
        "On",
        "off",
    ]


def test_labels_that_are_not_boolean_words_keep_their_case():
    y = pd.Series(["Tabl", "tabl", "Head", "Head"])
    assert boolean_spellings(y) == {}
    assert normalize_labels(y).tolist() == ["Tabl", "tabl", "Head", "Head"]
    assert case_variants(["Head", "tabl", "Tabl", "Win F", "WinF"]) == [
        ["Tabl", "tabl"],
        ["Win F", "WinF"],
    ]
    # One spelling per word is left as it is (spaces included).
    assert boolean_spellings(pd.Series(["Yes", "No"])) == {}


def test_feedback_matches_yes_no_classes_by_any_boolean_word():
    classes = ["No", "Yes"]
    assert label_like("yes", classes) == "Yes"
    assert label_like(" NO ", classes) == "No"
    assert label_like("n", classes) == "No"
    assert label_like(True, classes) == "Yes"
    assert label_like("maybe", classes) == "maybe"
    assert label_like("tabl", ["Tabl", "Head"]) == "Tabl"


def test_run_automl_trains_two_classes_from_four_spellings():
    logs: list[tuple[str, str]] = []
    results = run_automl(
        _cases(),
        AutoMLSettings(
            target="benign",
            problem_type="classification",
            algorithms=["linear"],
            time_budget_s=4,
        ),
        on_event=lambda kind, p: logs.append((p["level"], p["message"])) if kind == "log" else None,
    )
    assert results[0].classes == ["No", "Yes"]
    assert results[0].test_metrics["auc"] > 0.9
    assert set(results[0].pipeline.predict(_cases().drop(columns="benign"))) == {"No", "Yes"}
    assert (
        "info",
        "'benign' holds boolean words in several spellings; each word is one class "
        "(read 'no' as 'No', 'yes' as 'Yes').",
    ) in logs


def test_classes_that_differ_only_in_case_are_kept_and_warned_about():
    df = _cases()
    df["benign"] = np.where(df["benign"].str.lower() == "yes", "Tabl", "Head").astype(object)
    df.loc[df.index[::4], "benign"] = "tabl"
    logs: list[tuple[str, str]] = []
    results = run_automl(
        df,
        AutoMLSettings(
            target="benign", problem_type="classification", algorithms=["linear"], time_budget_s=4
        ),
        on_event=lambda kind, p: logs.append((p["level"], p["message"])) if kind == "log" else None,
    )
    assert results[0].classes == ["Head", "Tabl", "tabl"]
    assert any(
        level == "warning" and m.startswith("Classes 'Tabl', 'tabl' of 'benign' differ only")
        for level, m in logs
    )
