"""The frequency a dataset's page shows is the frequency the forecaster trains on (one owner:
`datasets.frequency`), for regular, gappy, multi-series and irregular uploads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.services import dataset_frame, dataset_upload
from features.series import SeriesFeaturizer
from training.forecasting.inputs import prepare
from training.forecasting.settings import ForecastError, ForecastSettings


def _upload(owner, frame: pd.DataFrame):
    data = frame.to_csv(index=False).encode()
    return dataset_upload(owner=owner, upload=SimpleUploadedFile("s.csv", data), name="s")


def _values(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(100 + 10 * np.sin(np.arange(n) / 3) + rng.normal(0, 1, n), 3)


def _trained_frequency(dataset) -> str:
    settings = ForecastSettings(
        time_column=dataset.time_column,
        target="y",
        horizon=3,
        id_column=dataset.id_column or None,
    )
    prepared = prepare(dataset_frame(dataset), settings)
    featurizer = SeriesFeaturizer().fit(prepared.series[0].y)  # asks the same owner
    assert featurizer.freq_ == prepared.freq
    return prepared.freq


def _regular() -> pd.DataFrame:
    stamps = pd.date_range("2023-01-01", periods=120, freq="D")
    return pd.DataFrame({"date": stamps.strftime("%Y-%m-%d"), "y": _values(120)})


def _gappy_monthly() -> pd.DataFrame:
    stamps = pd.date_range("2010-01-01", periods=96, freq="MS").delete([5, 17, 18, 40, 77])
    return pd.DataFrame({"month": stamps.strftime("%Y-%m-%d"), "y": _values(len(stamps))})


def _gappy_hourly() -> pd.DataFrame:
    stamps = pd.date_range("2024-03-01", periods=300, freq="h").delete(list(range(50, 58)))
    return pd.DataFrame({"ts": stamps.strftime("%Y-%m-%d %H:%M"), "y": _values(len(stamps))})


def _two_weekly_series() -> pd.DataFrame:
    parts = []
    for k, store in enumerate(("north", "south")):
        stamps = pd.date_range("2020-01-05", periods=80, freq="W-SUN").delete([10 + k, 30])
        parts.append(
            pd.DataFrame({"week": stamps.strftime("%Y-%m-%d"), "store": store, "y": _values(78, k)})
        )
    return pd.concat(parts, ignore_index=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "expected"),
    [(_regular, "D"), (_gappy_monthly, "MS"), (_gappy_hourly, "h"), (_two_weekly_series, "W-SUN")],
)
def test_the_dataset_page_frequency_is_the_trained_frequency(owner, make, expected):
    dataset = _upload(owner, make())
    assert dataset.frequency == expected
    assert _trained_frequency(dataset) == dataset.frequency


@pytest.mark.django_db
def test_irregular_timestamps_have_no_frequency_on_the_page_nor_in_training(owner):
    rng = np.random.default_rng(3)
    seconds = np.sort(rng.uniform(0, 90 * 86_400, 150))
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(seconds, unit="s")
    frame = pd.DataFrame({"at": stamps.strftime("%Y-%m-%d %H:%M:%S"), "y": _values(150)})
    dataset = _upload(owner, frame)
    assert dataset.frequency == ""
    settings = ForecastSettings(time_column="at", target="y", horizon=3)
    with pytest.raises(ForecastError, match="regular frequency"):
        prepare(dataset_frame(dataset), settings)
