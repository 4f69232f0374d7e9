"""Every broad `except` (bare, Exception, BaseException) keeps the traceback or re-raises."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BROAD = {"Exception", "BaseException"}
# Calls that record the traceback: logger.exception, exc_info=..., traceback printing.
KEEPS = {"exception", "print_exc", "format_exc", "print_exception", "format_exception"}


def _broad(kind: ast.expr | None) -> bool:
    if kind is None:
        return True
    if isinstance(kind, ast.Name):
        return kind.id in BROAD
    if isinstance(kind, ast.Tuple):
        return any(_broad(e) for e in kind.elts)
    return False


def _keeps_traceback(handler: ast.ExceptHandler) -> bool:
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in KEEPS or any(k.arg == "exc_info" for k in node.keywords):
                return True
    return False


def _silent_handlers(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        f"{path.relative_to(root)}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ExceptHandler) and _broad(node.type) and not _keeps_traceback(node)
    ]


def test_the_check_finds_a_silent_handler_and_passes_a_logged_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "try:\n    pass\nexcept Exception:\n    x = 1\n"
        "try:\n    pass\nexcept Exception:\n    log.warning('x', exc_info=True)\n"
    )
    assert _silent_handlers(sample, tmp_path) == ["sample.py:3"]


def test_every_broad_except_logs_the_traceback_or_re_raises():
    files = [
        p
        for p in ROOT.rglob("*.py")
        if not {".venv", "var", "node_modules"} & set(p.relative_to(ROOT).parts)
    ]
    assert len(files) > 100
    assert [hit for p in files for hit in _silent_handlers(p)] == []
