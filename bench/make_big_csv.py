"""Write a large CSV for the batch-scoring benchmark by resampling a bench table with noise.

Usage: python bench/make_big_csv.py --rows 1000000 --out /tmp/big.csv --source diamonds_20k.csv
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

TABULAR_DIR = Path(__file__).resolve().parent / "data" / "tabular"


def _resolve_source(source: str) -> Path:
    path = Path(source)
    if path.exists():
        return path
    candidate = TABULAR_DIR / source
    if candidate.exists():
        return candidate
    raise SystemExit(f"Source table {source!r} not found (looked in {TABULAR_DIR}).")


def _manifest_entry(path: Path) -> dict | None:
    manifest = TABULAR_DIR / "manifest.json"
    if not manifest.exists():
        return None
    for entry in json.loads(manifest.read_text()):
        if entry["file"] == path.name:
            return entry
    return None


def make_big_csv(
    source: Path,
    out: Path,
    rows: int,
    *,
    chunk_rows: int = 100_000,
    noise: float = 0.02,
    seed: int = 0,
    drop_target: bool = False,
) -> int:
    """Stream `rows` noisy resampled rows of `source` to `out` in chunks; return rows written."""
    base = pd.read_csv(source)
    entry = _manifest_entry(source)
    if drop_target and entry is not None:
        base = base.drop(columns=[entry["target"], *entry.get("drop", [])], errors="ignore")
    rng = np.random.default_rng(seed)
    float_cols = [c for c in base.columns if pd.api.types.is_float_dtype(base[c])]
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        while written < rows:
            n = min(chunk_rows, rows - written)
            chunk = base.iloc[rng.integers(0, len(base), size=n)].reset_index(drop=True)
            for col in float_cols:
                values = chunk[col].to_numpy(dtype=float)
                # Multiplicative noise keeps the sign and scale of each value; NaN stays NaN.
                chunk[col] = np.round(values * (1 + rng.normal(0, noise, size=n)), 4)
            chunk.to_csv(handle, index=False, header=written == 0)
            written += n
    return written


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and write the file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("big.csv"))
    parser.add_argument("--source", default="diamonds_20k.csv")
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--noise", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--drop-target", action="store_true", help="leave out the manifest target and drop columns"
    )
    args = parser.parse_args(argv)
    source = _resolve_source(args.source)
    written = make_big_csv(
        source,
        args.out,
        args.rows,
        chunk_rows=args.chunk_rows,
        noise=args.noise,
        seed=args.seed,
        drop_target=args.drop_target,
    )
    size_mb = args.out.stat().st_size / 1e6
    print(f"wrote {written} rows ({size_mb:.1f} MB) from {source.name} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
