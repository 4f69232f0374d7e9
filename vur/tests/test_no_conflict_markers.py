"""No file of the project holds a merge's conflict markers: a browser would stop at the first
one in a script (a broken page), Python at the first one in a module."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = {".py", ".js", ".css", ".html", ".md", ".txt", ".json", ".toml", ".cfg", ".yml"}
SKIPPED = {".venv", "var", ".git", "node_modules", "__pycache__", "data", "results"}
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)


def test_no_file_holds_conflict_markers():
    found = []
    for path in ROOT.rglob("*"):
        if path.suffix not in CHECKED or SKIPPED & set(path.relative_to(ROOT).parts):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}"
                  for m in MARKER.finditer(text)]  # fmt: skip
    assert not found, found
