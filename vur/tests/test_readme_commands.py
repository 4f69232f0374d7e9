"""The README's shell examples run on a machine with only what the README asks for (Python 3.11+
as `python3`, curl, make): Debian and Ubuntu ship no `python` command."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
# What the README says a machine needs.
AVAILABLE = {"make", "curl", "python3"}


def _commands(block: str) -> list[str]:
    """The first word of every command in a shell block (lines, pipes, command substitutions)."""
    text = re.sub(r"\\\n", " ", block)
    text = re.sub(r"'[^']*'", "''", text)  # quoted arguments hold no commands
    words = []
    for line in text.splitlines():
        code = line.split("#", 1)[0]
        for part in re.split(r"\||\$\(", code):
            part = re.sub(r"^(\w+=\S*\s*)+", "", part.strip())  # leading VAR=value
            if part and not part.startswith(")"):
                words.append(part.split()[0])
    return words


def test_readme_shell_examples_use_only_commands_it_asks_for():
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has shell examples"
    used = {w for block in blocks for w in _commands(block)}
    assert used <= AVAILABLE, f"commands a reader may not have: {sorted(used - AVAILABLE)}"
    assert "python3" in used and "curl" in used
