"""The trainer's layout: backends hide behind their protocol (backends/base.py `Backend`), so no module
outside backends/ imports a backend's own module or asks which backend it holds."""

from __future__ import annotations

import ast
from pathlib import Path

from doctrain_trainer.config import BACKENDS

PACKAGE = Path(__file__).resolve().parents[1] / "doctrain_trainer"
SHARED = {"doctrain_trainer.backends", "doctrain_trainer.backends.base"}


def _outside_backends() -> list[Path]:
    return sorted(p for p in PACKAGE.glob("*.py"))


def _imported(path: Path, tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            base = "doctrain_trainer" if node.level else ""
            names.add(f"{base}.{node.module}" if base else node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_callers_import_the_registry_and_protocol_only() -> None:
    for path in _outside_backends():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        backends = {n for n in _imported(path, tree) if n.startswith("doctrain_trainer.backends")}
        assert backends <= SHARED, f"{path.name} imports {sorted(backends - SHARED)}"


def test_callers_do_not_branch_on_the_backend_name() -> None:
    for path in _outside_backends():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                named = [o.value for o in operands if isinstance(o, ast.Constant) and o.value in BACKENDS]
                assert not named, f"{path.name}:{node.lineno} compares with backend name {named}"
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
                classes = ast.unparse(node.args[1]) if len(node.args) > 1 else ""
                assert "Backend" not in classes, f"{path.name}:{node.lineno} isinstance(..., {classes})"
