"""The static files storage: WhiteNoise's compressing storage that leaves alone what it has
already compressed, so collecting again at each `make run` start costs seconds, not minutes."""

from __future__ import annotations

import os
from typing import Any

from whitenoise.storage import CompressedStaticFilesStorage


def _compressed(full_path: str) -> bool:
    """True when `full_path` has a compressed copy made from this version of it: WhiteNoise's
    compressor gives the copy the original's modification time, and collectstatic gives a file
    it copies again a new one."""
    try:
        mtime = os.stat(full_path).st_mtime
    except OSError:
        return False
    for suffix in (".gz", ".br"):
        try:
            if abs(os.stat(full_path + suffix).st_mtime - mtime) < 1e-3:
                return True
        except OSError:
            continue
    return False


class IncrementalCompressedStaticFilesStorage(CompressedStaticFilesStorage):
    """Compresses only the collected files without an up-to-date .gz (or .br) beside them.

    A file that does not compress well gets no copy and is tried again at each collect; these
    are few and small."""

    def post_process(self, paths: dict[str, Any], dry_run: bool = False, **options: Any):
        """Compress the files of `paths` whose compressed copy is missing or older."""
        stale = {name: found for name, found in paths.items() if not _compressed(self.path(name))}
        return super().post_process(stale, dry_run, **options)
