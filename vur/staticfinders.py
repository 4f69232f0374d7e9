"""A static files finder that serves plotly.min.js from the installed plotly wheel (no CDN)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

VENDOR_PREFIX = "vendor"


def _plotly_dir() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    """Exposes only `vendor/plotly.min.js`, not the rest of the wheel's package data."""

    files = ("plotly.min.js",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(_plotly_dir()))
        self.storage.prefix = VENDOR_PREFIX

    def check(self, **kwargs) -> list:
        """Report nothing: the wheel is a pinned requirement."""
        return []

    # One signature for both of the stubs' overloads (find_all False -> str | None, True -> list).
    def find(  # type: ignore[override]
        self, path: str, find_all: bool = False, **kwargs
    ) -> str | list[str] | None:
        """Return the absolute path of `vendor/plotly.min.js` when asked for it."""
        for name in self.files:
            if path == f"{VENDOR_PREFIX}/{name}":
                match = str(_plotly_dir() / name)
                return [match] if find_all or kwargs.get("all") else match
        return [] if find_all or kwargs.get("all") else None

    def list(self, ignore_patterns) -> Iterator[tuple[str, FileSystemStorage]]:
        """Yield the one file for collectstatic and WhiteNoise."""
        for name in self.files:
            yield name, self.storage
