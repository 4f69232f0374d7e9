"""Replay rules for choosing among VUR's forecasting candidates on stored bench results.

`bench/forecast_bench.py` records, for every refitted candidate of every series, its held-out
forecast and each backtest window's MASE. This script picks a candidate (or an average of
candidates) per file by other rules than the lowest mean backtest MASE and scores the pick on
the held-out points, without training anything again. It prints, per split, the geometric mean
of MASE relative to seasonal naive and its ratio to AutoARIMA's:

    python bench/forecast_rules.py bench/results/forecast.json bench/results/forecast_fresh.json

Since stop 28 the engine ranks first the winner averaged with ARIMA, so results written since
hold that pair as their "ensemble" candidate; the rules are compared on results written
before (the README's `git show 91a1452:bench/results/forecast.json` and
`bench/results/forecast_third_before.json`).

A file's series share one choice, as they do in the engine (the window errors of all its series
are pooled). A file VUR failed on counts as seasonal naive. The "learned weights" rule is an
FFORMA-like combination: a ridge regression, trained on every other file's held-out errors
(leave one file out), predicts each candidate's error from its backtest windows, its kind and
the series' frequency and length, and the candidates are averaged with weights that fall off
with the predicted error.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

Rows = list[dict]
Picks = list[str] | dict[str, float]  # candidates averaged equally, or with these weights
Rule = Callable[[Rows, list[str]], Picks]


def window_errors(rows: Rows, name: str) -> np.ndarray:
    """One candidate's backtest window MASE for every series of a file (series x windows)."""
    return np.array([r["vur_candidates"][name]["backtest_windows"] for r in rows], dtype=float)


def _by(score: Callable[[np.ndarray], float]) -> Rule:
    """The rule that keeps the candidate whose window errors `score` lowest (seasonal naive
    wins ties, as in the engine)."""

    def rule(rows: Rows, names: list[str]) -> list[str]:
        return [min(names, key=lambda n: (score(window_errors(rows, n)), n != "seasonal_naive"))]

    return rule


def _drop_worst(errors: np.ndarray) -> float:
    """The mean without each series' worst window (when three or more remain)."""
    if errors.shape[1] < 4:
        return float(np.nanmean(errors))
    return float(np.nanmean(np.sort(errors, axis=1)[:, :-1]))


def _recent_weighted(errors: np.ndarray) -> float:
    """The mean with window k of n weighted k (the newest counts most)."""
    weights = np.arange(1, errors.shape[1] + 1, dtype=float)
    return float(np.nanmean(errors @ weights / weights.sum()))


def mean_rank(rows: Rows, names: list[str]) -> list[str]:
    """The candidate with the best mean rank over the file's windows."""
    stacked = np.stack([window_errors(rows, n) for n in names])
    ranks = stacked.argsort(axis=0).argsort(axis=0).reshape(len(names), -1).mean(axis=1)
    return [names[int(np.argmin(ranks))]]


def with_arima(rows: Rows, names: list[str]) -> list[str]:
    """The lowest mean's pick averaged with VUR's ARIMA candidate (when the pick is neither
    ARIMA nor an ensemble): the engine's rule since stop 28."""
    (pick,) = RULES["mean (the engine's to stop 27)"](rows, names)
    if "arima" in names and pick not in ("arima", "ensemble"):
        return [pick, "arima"]
    return [pick]


def top_two(rows: Rows, names: list[str]) -> list[str]:
    """The average of the two single models with the lowest mean backtest MASE."""
    singles = [n for n in names if n not in ("ensemble", "seasonal_naive")] or names
    return sorted(singles, key=lambda n: float(np.nanmean(window_errors(rows, n))))[:2]


KINDS = (
    "seasonal_naive",
    "ets",
    "theta",
    "arima",
    "mstl",
    "ensemble",
    "linear_lags",
    "gbm_lags",
)
GROUPS = ("yearly", "quarterly", "monthly", "weekly", "daily", "hourly")


def candidate_features(rows: Rows, names: list[str]) -> np.ndarray:
    """Per candidate of a file, what a learned choice may know before the held-out points:
    its mean, median and newest-window backtest MASE relative to the best candidate's, its rank,
    its kind, the file's frequency group and the history and horizon lengths."""
    errors = {n: window_errors(rows, n) for n in names}
    mean = {n: float(np.nanmean(e)) for n, e in errors.items()}
    median = {n: float(np.nanmedian(e)) for n, e in errors.items()}
    newest = {n: float(np.nanmean(e[:, -1])) for n, e in errors.items()}
    order = sorted(names, key=mean.__getitem__)
    group = next((g for g in GROUPS if g in str(rows[0].get("group", ""))), "hourly")
    floor = 1e-9
    out = []
    for n in names:
        out.append(
            [
                np.log((mean[n] + floor) / (min(mean.values()) + floor)),
                np.log((median[n] + floor) / (min(median.values()) + floor)),
                np.log((newest[n] + floor) / (min(newest.values()) + floor)),
                order.index(n) / len(names),
                np.log(mean[n] + floor),
                *(float(n == k) for k in KINDS),
                *(float(group == g) for g in GROUPS),
                np.log(rows[0]["n_train"]),
                np.log(rows[0]["horizon"]),
            ]
        )
    return np.array(out)


def _held_out_errors(rows: Rows, names: list[str]) -> np.ndarray:
    """Each candidate's log held-out relative MASE, averaged over the file's series and
    centred on the file's mean (what the learned choice is trained to predict)."""
    logs = np.array([np.mean([np.log(relative_mase(r, [n])) for r in rows]) for n in names])
    return logs - logs.mean()


def learned_weights(all_rows: Rows, alpha: float = 10.0, temperature: float = 0.1) -> Rule:
    """The FFORMA-like rule: for each file, a ridge regression fitted on every other file's
    candidates predicts each candidate's held-out error; candidates are averaged with weights
    exp(-(predicted - best predicted) / temperature)."""
    from sklearn.linear_model import Ridge

    files: dict[str, Rows] = defaultdict(list)
    for row in all_rows:
        files[row["file"]].append(row)
    table = {}
    for name, part in files.items():
        names = _usable_names(part)
        if names:
            table[name] = (names, candidate_features(part, names), _held_out_errors(part, names))

    def rule(rows: Rows, names: list[str]) -> Picks:
        others = [v for k, v in table.items() if k != rows[0]["file"]]
        model = Ridge(alpha=alpha).fit(
            np.vstack([x for _, x, _ in others]), np.concatenate([y for _, _, y in others])
        )
        predicted = model.predict(candidate_features(rows, names))
        weights = np.exp(-(predicted - predicted.min()) / temperature)
        return {n: float(w) for n, w in zip(names, weights / weights.sum(), strict=True)}

    return rule


def _usable_names(part: Rows) -> list[str]:
    """The candidates of a file that have window errors, or none when a series of the file
    lacks actuals or candidates (VUR failed on it)."""
    names = [
        n
        for n in (part[0].get("vur_candidates") or {})
        if part[0]["vur_candidates"][n].get("backtest_windows")
    ]
    usable = bool(names) and all("actual" in r and "vur_candidates" in r for r in part)
    return names if usable else []


RULES: dict[str, Rule] = {
    "mean (the engine's to stop 27)": _by(lambda e: float(np.nanmean(e))),
    "median": _by(lambda e: float(np.nanmedian(e))),
    "mean rank": mean_rank,
    "mean without the worst window": _by(_drop_worst),
    "newest windows weigh more": _by(_recent_weighted),
    "pick averaged with ARIMA (the engine's since stop 28)": with_arima,
    "mean of the best two": top_two,
}


def relative_mase(row: dict, picks: Picks) -> float:
    """Held-out MASE of the picks' averaged forecast, relative to seasonal naive's."""
    actual = np.asarray(row["actual"], dtype=float)
    weights = picks if isinstance(picks, dict) else dict.fromkeys(picks, 1.0)
    forecasts = [np.asarray(row["vur_candidates"][n]["forecast"], dtype=float) for n in weights]
    forecast = np.average(forecasts, axis=0, weights=list(weights.values()))
    known = np.isfinite(actual)
    mase = np.mean(np.abs(actual[known] - forecast[known])) / row["scale"]
    return float(mase / row["seasonal_naive"]["mase"])


def replay(rows: Rows, rules: dict[str, Rule]) -> dict[str, dict[str, float]]:
    """Per split and rule, the geometric-mean relative MASE over series; "AutoARIMA" holds
    AutoARIMA's (when the rows have it) and "oracle" the best candidate in hindsight. The
    splits other than "tune" are pooled again as "never tuned on"."""
    files: dict[str, Rows] = defaultdict(list)
    for row in rows:
        files[row["file"]].append(row)
    logs: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for part in files.values():
        split = part[0].get("split", "tune")
        splits = [split] if split == "tune" else [split, "never tuned on"]
        names = _usable_names(part)
        usable = bool(names)
        scores = {
            name: [relative_mase(r, rule(part, names)) for r in part]
            if usable
            else [1.0] * len(part)
            for name, rule in rules.items()
        }
        scores["oracle"] = [
            min(relative_mase(r, [n]) for n in names) if usable else 1.0 for r in part
        ]
        if all("auto_arima" in r for r in part):
            scores["AutoARIMA"] = [
                r["auto_arima"]["mase"] / r["seasonal_naive"]["mase"] for r in part
            ]
        for where in splits:
            for name, values in scores.items():
                logs[where][name] += values
    out = {}
    for split, by_rule in logs.items():
        if len(by_rule.get("AutoARIMA", [])) != len(by_rule["oracle"]):
            by_rule.pop("AutoARIMA", None)  # not run on every series: no fair anchor
        out[split] = {name: float(np.exp(np.mean(np.log(v)))) for name, v in by_rule.items()}
    return out


def main() -> None:
    """Replay every rule on the given result files and print the table per split."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", type=Path, help="forecast_bench.py result files")
    args = parser.parse_args()
    rows = [row for path in args.results for row in json.loads(path.read_text())["series"]]
    rules = {**RULES, "learned weights (leave one file out)": learned_weights(rows)}
    for split, scores in replay(rows, rules).items():
        anchor = scores.get("AutoARIMA")
        print(f"\n{split}")
        for name, value in scores.items():
            ratio = f"{value / anchor:7.3f}" if anchor else ""
            print(f"  {name:38s} {value:6.3f} {ratio}")


if __name__ == "__main__":
    main()
