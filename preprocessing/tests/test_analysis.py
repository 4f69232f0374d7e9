"""Tests for the data-quality analysis on small messy frames with known issues."""

import json

import numpy as np
import pandas as pd
import pytest

from datasets.jsonsafe import json_safe
from preprocessing.analysis import PreprocessingError, analyze_quality


def _clean(n: int = 100) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "amount": rng.uniform(10, 20, n),
            "city": rng.choice(["Paris", "Lyon", "Nice"], n),
            "day": pd.date_range("2024-01-01", periods=n).strftime("%Y-%m-%d"),
        }
    )


def _issues(report: dict, issue_type: str) -> dict:
    return {i["column"]: i for i in report["issues"] if i["issue_type"] == issue_type}


def test_clean_frame_has_no_issues_and_full_score():
    report = analyze_quality(_clean())
    assert report["issues"] == []
    assert report["overall_score"] == 1.0
    assert report["total_rows"] == 100
    assert report["total_columns"] == 3
    assert "No data-quality issues" in report["recommendations"][0]


@pytest.mark.parametrize(
    ("n_missing", "severity"), [(2, "low"), (10, "medium"), (30, "high"), (60, "critical")]
)
def test_missing_values_severity_follows_percentage(n_missing, severity):
    df = _clean()
    df.loc[: n_missing - 1, "amount"] = np.nan
    issue = _issues(analyze_quality(df), "missing_values")["amount"]
    assert issue["count"] == n_missing
    assert issue["percentage"] == float(n_missing)
    assert issue["severity"] == severity


def test_blank_strings_count_as_missing():
    df = _clean()
    df.loc[:4, "city"] = "  "
    issue = _issues(analyze_quality(df), "missing_values")["city"]
    assert issue["count"] == 5
    assert "blank" in issue["description"]


def test_outliers_found_with_iqr_fences():
    df = _clean()
    df.loc[:2, "amount"] = [1000.0, -500.0, 900.0]
    issue = _issues(analyze_quality(df), "outliers")["amount"]
    assert issue["count"] == 3
    assert issue["severity"] == "medium"  # 3 % of the values


def test_duplicate_rows_are_a_row_level_issue():
    df = _clean()
    df = pd.concat([df, df.iloc[:10]], ignore_index=True)
    issue = _issues(analyze_quality(df), "duplicates")[None]
    assert issue["count"] == 10
    assert issue["severity"] == "high"  # 10 of 110 rows = 9.09 %


def test_mixed_date_formats_are_inconsistent():
    df = _clean()
    df.loc[:9, "day"] = pd.date_range("2024-01-01", periods=10).strftime("%d/%m/%Y")
    issue = _issues(analyze_quality(df), "inconsistent_format")["day"]
    assert issue["count"] == 10
    assert "YYYY-MM-DD" in issue["description"] and "DD/MM/YYYY" in issue["description"]
    assert issue["severity"] == "medium"


def test_date_shaped_values_that_are_no_date_are_named_in_a_text_date_column():
    # A text column (not profiled as dates): 2024-13-45 looks like YYYY-MM-DD but has no
    # month 13; it used to pass as one more YYYY-MM-DD value.
    days = [*pd.date_range("2024-01-01", periods=18).strftime("%Y-%m-%d"), "2024-13-45"]
    issue = _issues(
        analyze_quality(pd.DataFrame({"when": [*days, "05/01/2024"]})), "inconsistent_format"
    )
    assert (
        "1 value written like a date that is not a valid date (e.g. '2024-13-45')"
        in (issue["when"]["description"])
    )
    assert issue["when"]["count"] == 2  # the other format and the impossible date
    alone = _issues(analyze_quality(pd.DataFrame({"when": days})), "inconsistent_format")
    assert alone["when"]["count"] == 1 and "mixes" not in alone["when"]["description"]


def test_day_first_and_month_first_dates_are_inconsistent():
    df = pd.DataFrame({"d": ["25/01/2024", "26/01/2024", "01/27/2024", "01/28/2024", "03/04/2024"]})
    issue = _issues(analyze_quality(df), "inconsistent_format")["d"]
    assert "day-first and month-first" in issue["description"]


def test_numbers_stored_as_text():
    plain = pd.DataFrame({"v": ["1.5", "2", "3.25", "4", "10"] * 4})
    issue = _issues(analyze_quality(plain), "inconsistent_format")["v"]
    assert issue["severity"] == "medium"
    decorated = pd.DataFrame({"v": ["$1,200.50", "3,400", "12", "€7", "15.5"] * 4})
    issue = _issues(analyze_quality(decorated), "inconsistent_format")["v"]
    assert issue["severity"] == "high"
    assert issue["count"] == 20
    assert "separators" in issue["description"]


def test_case_and_whitespace_variants_of_a_category():
    df = _clean()
    df.loc[:4, "city"] = "paris "
    df.loc[5:7, "city"] = "PARIS"
    issue = _issues(analyze_quality(df), "inconsistent_format")["city"]
    assert issue["count"] == 8
    assert issue["severity"] == "medium"
    assert "'Paris'" in issue["description"]


def test_score_drops_as_quality_worsens():
    scores = []
    for n_bad in (0, 5, 20, 50):
        df = _clean()
        if n_bad:
            df.loc[: n_bad - 1, "amount"] = np.nan
            df.loc[: n_bad - 1, "city"] = "paris "
            df = pd.concat([df, df.iloc[:n_bad]], ignore_index=True)
        scores.append(analyze_quality(df)["overall_score"])
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 4
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_issues_are_sorted_by_severity_and_answer_is_json_safe():
    df = _clean()
    df["amount"] = df["amount"].astype(float)
    df.loc[:59, "amount"] = np.nan
    df.loc[:1, "city"] = "nice"
    report = analyze_quality(df)
    assert report["issues"][0]["severity"] == "critical"
    json.dumps(report, allow_nan=False)


def test_sample_reports_total_rows_and_restricts_columns():
    df = _clean()
    df.loc[:9, "amount"] = np.nan
    report = analyze_quality(df, columns=["city"], total_rows=1_000_000)
    assert report["total_rows"] == 1_000_000
    assert report["sample_rows"] == 100
    assert _issues(report, "missing_values") == {}


def test_unknown_column_is_rejected():
    with pytest.raises(PreprocessingError, match="nope"):
        analyze_quality(_clean(), columns=["nope"])


def test_empty_frame_scores_zero():
    report = analyze_quality(_clean().iloc[:0])
    assert report["overall_score"] == 0.0
    assert report["issues"] == []


def test_json_safe_converts_numpy_and_missing():
    value = {"a": np.float64("nan"), "b": np.int64(3), "c": pd.Timestamp("2024-01-01"), 1: [np.inf]}
    assert json_safe(value) == {"a": None, "b": 3, "c": "2024-01-01T00:00:00", "1": [None]}


def test_unreadable_dates_are_a_format_issue_not_missing_values():
    df = pd.DataFrame({"d": pd.to_datetime(["2021-01-01", None, None, None, "2021-01-04"])})
    written = pd.Series(["soon", "later"], index=[1, 2])
    report = analyze_quality(df, unreadable={"d": written})
    found = {i["issue_type"]: i for i in report["issues"] if i["column"] == "d"}
    assert found["missing_values"]["count"] == 1
    assert found["inconsistent_format"]["count"] == 2
    assert "'soon'" in found["inconsistent_format"]["description"]
    # Without the written values every empty cell is missing.
    plain = analyze_quality(df)
    assert [i["count"] for i in plain["issues"] if i["issue_type"] == "missing_values"] == [3]
