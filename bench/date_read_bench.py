"""How long the request path takes to type one row with a date column: the quick reader
(`datasets.coercion.read_dates_quickly`, used by `predictions.served.rows_columns`) against the
training reader (`to_datetime` over a one-row Series) it stands in for. Prints both, in
microseconds per row, the best of five rounds.

    python bench/date_read_bench.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasets.coercion import read_dates_quickly, to_datetime  # noqa: E402

SPECS = {
    "ISO date (2024-03-05)": ({"formats": ["ISO8601"], "utc": False}, "2024-03-05"),
    "day-first (05/03/2024)": ({"formats": ["%d/%m/%Y"], "utc": False}, "05/03/2024"),
    "date and time": ({"formats": ["%Y-%m-%d %H:%M:%S"], "utc": False}, "2024-03-05 10:30:00"),
}


def best_us(read, rounds: int = 5, calls: int = 300) -> float:
    """The fastest round's mean time of one call to `read()`, in microseconds."""
    for _ in range(20):
        read()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            read()
        times.append((time.perf_counter() - start) / calls * 1e6)
    return min(times)


def main() -> None:
    """Print the quick and the training reader's time for one value of each notation."""
    print(f"{'notation':28s} {'quick (us)':>11s} {'training reader (us)':>21s}")
    for name, (spec, value) in SPECS.items():
        quick = best_us(lambda s=spec, v=value: read_dates_quickly([v], s))
        series = pd.Series([value], dtype=object)
        slow = best_us(lambda s=spec, x=series: to_datetime(x, s), calls=100)
        print(f"{name:28s} {quick:11.1f} {slow:21.1f}")


if __name__ == "__main__":
    main()
