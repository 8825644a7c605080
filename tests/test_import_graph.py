"""The project's modules import each other without a cycle, and mlcore stays free of Django.

Every `import` / `from … import` of a project module counts, at module level or inside a
function: a lazy import hides a cycle from Python, not from the reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("nellm_site", "marketplace", "negotiation", "mlcore")
# The only files of mlcore allowed outside a stage folder (issue 9's layout).
MLCORE_SHARED = {"__init__.py", "__main__.py", "schema.py", "evaluate.py", "replay.py", "chat.py"}
MLCORE_STAGES = {"language", "negotiator", "corpus", "llm"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            targets |= {f"{base}.{alias.name}" for alias in node.names}
    edges = set()
    for target in targets:
        # `from pkg import mod` names a module; `from mod import func` names its module.
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            edges.add(target)
    return edges


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    graph = {name: _imports(name, path, known) for name, path in modules.items()}
    # A package's __init__ is imported on the way to any of its modules, but that is no edge
    # back to the importer: only what __init__ itself imports counts, as above.
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_the_projects_modules() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "import cycles: " + "; ".join(" ↔ ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_graph_sees_relative_and_lazy_imports() -> None:
    graph = _graph()
    assert "negotiation.models" in graph["negotiation.services"]  # `from .models import …`
    assert "mlcore.schema" in graph["mlcore.language.prices"]


def test_mlcore_imports_no_django_and_nothing_of_the_site() -> None:
    graph = _graph()
    for name, path in _modules().items():
        if not name.startswith("mlcore"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "import django" not in text and "from django" not in text, name
        assert all(target.startswith("mlcore") for target in graph[name]), (name, graph[name])


def test_mlcore_files_sit_in_stage_folders() -> None:
    outside = []
    for path in (ROOT / "mlcore").rglob("*.py"):
        relative = path.relative_to(ROOT / "mlcore")
        if len(relative.parts) == 1 and relative.name not in MLCORE_SHARED:
            outside.append(str(relative))
        if len(relative.parts) > 1 and relative.parts[0] not in MLCORE_STAGES | {"data"}:
            outside.append(str(relative))
    assert not outside, f"mlcore files outside a stage folder: {outside}"
