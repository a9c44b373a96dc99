"""The layers the developers' guide asks for, read from the source: data flows one way, no import cycles."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "geo_app"
BELOW_VIEWS = ("domain", "sources", "store", "model", "render")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def _imports(path: Path, name: str) -> set[str]:
    """Every module named by an import anywhere in the file (top level or inside functions)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {m for m in _imports(path, name) if m in modules and m != name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _package_init_edges_removed(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's __init__ importing its own submodules is not a cycle of the layers."""
    return {m: {d for d in deps if not (d.startswith(m + ".") or m.startswith(d + ".") and d in _packages())}
            for m, deps in graph.items()}


def _packages() -> set[str]:
    return {_module_name(p) for p in PACKAGE.rglob("__init__.py")}


def test_the_reference_graph_is_read():
    graph = _graph()
    assert "geo_app.sources.layer_geometry" in graph["geo_app.sources.boundaries"]
    assert "geo_app.sources.boundaries" in graph["geo_app.sources.boundary_build"]


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back():
    """boundaries ↔ boundary_build was such a circle (folded into sources/layer_geometry.py)."""
    assert _cycles(_package_init_edges_removed(_graph())) == []


@pytest.mark.parametrize("layer", BELOW_VIEWS)
def test_nothing_below_the_views_imports_flask(layer):
    graph_imports = {name: _imports(path, name) for name, path in _modules().items()
                     if name.startswith(f"geo_app.{layer}")}
    offenders = {name for name, found in graph_imports.items()
                 if any(m == "flask" or m.startswith(("flask.", "flask_")) for m in found)}
    assert offenders == set()


def test_only_the_interactive_renderer_imports_folium():
    users = {name for name, path in _modules().items()
             if any(m == "folium" or m.startswith("folium.") for m in _imports(path, name))}
    assert users == {"geo_app.render.interactive"}


def test_lower_layers_do_not_import_the_views():
    upward = {name for name, path in _modules().items()
              if name.split(".")[1:2] and name.split(".")[1] in BELOW_VIEWS
              and any(m.startswith(("geo_app.views", "geo_app.cli")) for m in _imports(path, name))}
    assert upward == set()


DATA_LIBRARIES = ("geopandas", "pandas", "numpy", "shapely", "pyproj", "matplotlib", "folium", "alembic")


def test_loading_the_app_imports_no_data_library():
    """`flask --app app ...` and a new worker load the app before anything else: the data and drawing libraries
    are imported where they are used (half a second of every command's start), not by the modules' imports."""
    import os
    import subprocess
    import sys

    root = PACKAGE.parent
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import app"], cwd=root, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "geo_app.cli.export" in imported  # (the guard reads the imports)
    assert sorted(set(DATA_LIBRARIES) & imported) == []
