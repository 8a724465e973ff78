"""The engine is one package that depends on no entrance: doors call it, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

import learners.engine

ENGINE = Path(learners.engine.__file__).parent
ENTRANCES = ("uploads", "webservices", "learners.views", "learners.forms", "portal.views")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_it_keeps_the_engine_free_of_entrances() -> None:
    offending = {
        f"{path.name}: {name}"
        for path in ENGINE.glob("*.py")
        for name in _imports(path)
        if any(name == e or name.startswith(e + ".") for e in ENTRANCES)
    }
    assert offending == set()


def test_it_leaves_no_engine_modules_behind_in_learners() -> None:
    old = ("rows", "results", "codes", "names", "npi", "states", "rules", "matching", "services")
    leftovers = [name for name in old if (ENGINE.parent / f"{name}.py").exists()]
    leftovers += [p.name for p in ENGINE.parent.glob("engine_*.py")]
    assert leftovers == []
