"""The import structure: the product never imports the lab, imports run down the layers, no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parents[1] / "src" / "firebreak"

#: each top-level package or module of ``firebreak`` and its layer; an import may only go to a lower layer
#: (or stay inside its own package).
LAYERS: dict[str, int] = {
    "errors": 0,
    "exprs": 0,
    "hash_index": 0,
    "atomic": 1,
    "evidence": 1,
    "snapshot": 2,
    "tables": 2,
    "labels": 3,
    "store": 3,
    "detect": 3,
    "graph": 3,
    "scan": 4,
    "investigate": 4,
    "ingestion": 4,
    "spark": 5,
    "guard": 5,
    "act": 6,
    "api": 7,
    "web": 8,
    "server": 9,
    "server_factory": 10,
    "lab": 11,
    "commands": 12,
    "cli": 13,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    """Module -> the ``firebreak`` modules it imports (at any depth: function-level imports count)."""
    out: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = _module_name(path)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("firebreak"):
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("firebreak"))
        out[name] = found
    return out


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_top_level_part_has_a_layer() -> None:
    tops = {_top(m) for m in _imports()} - {""}
    assert tops <= set(LAYERS), f"give these a layer in tests/test_layers.py: {sorted(tops - set(LAYERS))}"


def test_the_product_never_imports_the_lab() -> None:
    offenders = [
        f"{m} -> {t}"
        for m, targets in _imports().items()
        for t in targets
        if _top(t) == "lab" and _top(m) not in ("lab", "commands", "cli")
    ]
    assert not offenders, offenders


def test_imports_run_down_the_layers() -> None:
    upward = [
        f"{m} -> {t}"
        for m, targets in _imports().items()
        for t in targets
        if _top(m) and _top(t) and _top(m) != _top(t) and LAYERS[_top(t)] >= LAYERS[_top(m)]
    ]
    assert not upward, upward


def test_no_import_cycles_between_modules_or_packages() -> None:
    imports = _imports()
    modules = nx.DiGraph([(m, t) for m, ts in imports.items() for t in ts if t in imports and t != m])
    packages = nx.DiGraph(
        [(_top(m), _top(t)) for m, ts in imports.items() for t in ts if _top(m) and _top(t) and _top(m) != _top(t)]
    )
    # a package's __init__ re-exporting its own modules is not a cycle of meaning
    modules.remove_edges_from([(m, t) for m, t in list(modules.edges) if t.startswith(m + ".")])
    assert not list(nx.simple_cycles(packages)), list(nx.simple_cycles(packages))
    assert not list(nx.simple_cycles(modules)), list(nx.simple_cycles(modules))
