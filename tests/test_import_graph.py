"""The house: no import cycle among the three packages, the layers point one way
(``lessons → dictionary → search_index``), no module grows past 400 lines, and the README's code
map lists every package and module.

The graph is read from the source with ``ast`` (late imports inside functions count: they
hide a cycle, they do not remove it). Two shapes are allowed, each for a stated reason:
- a blueprint package whose ``__init__`` imports its view modules to register their routes,
  while they import its ``bp`` (Flask's own pattern: ``admin``);
- the application factory (the ``dictionary`` package's ``__init__``) plugs ``lessons`` in:
  it is the composition root, and no other dictionary module may know of lessons.
"""
from __future__ import annotations

import ast
from pathlib import Path

from dictionary import REPO_ROOT

PACKAGES = ("dictionary", "lessons", "search_index")
MAX_LINES = 400


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO_ROOT / package).rglob("*.py"):
            parts = list(path.with_suffix("").relative_to(REPO_ROOT).parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """module → the project modules it imports (the longest known prefix of each name)."""
    def resolve(name: str, here: str, level: int, is_package: bool) -> str | None:
        if level:
            base = here.split(".") if is_package else here.split(".")[:-1]
            base = base[:len(base) - (level - 1)]
            name = ".".join(base + ([name] if name else []))
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for module, path in mods.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [(alias.name, 0) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                names = [(base, node.level)] + [(f"{base}.{a.name}".lstrip("."), node.level)
                                                for a in node.names]
            else:
                continue
            for name, level in names:
                target = resolve(name, module, level, is_package)
                if target and target != module and not module.startswith(target + "."):
                    graph[module].add(target)
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others."""
    reach = {m: reachable(graph, m) for m in graph}
    groups = {frozenset({m} | {o for o in reach[m] if m in reach[o]}) for m in graph if m in reach[m]}
    return sorted(sorted(g) for g in groups if not _blueprint_package(g))


def _blueprint_package(group: frozenset[str]) -> bool:
    return any(all(o == head or o.startswith(head + ".") for o in group) for head in group)


def test_the_graph_is_read_for_real():
    graph = import_graph(modules())
    assert {"dictionary.search", "search_index.query"} <= graph["dictionary.public.views"] | \
        reachable(graph, "dictionary.public.views")
    assert "search_index.normalize" in graph["search_index.query"] | \
        reachable(graph, "search_index.query")


def test_the_check_finds_a_cycle_and_allows_a_blueprint_package():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"admin": {"admin.entries"}, "admin.entries": {"admin"}}) == []


def test_no_import_cycle():
    assert cycles(import_graph(modules())) == []


def test_the_layers_point_one_way():
    wrong = []
    for module, targets in import_graph(modules()).items():
        for target in targets:
            if module.startswith("search_index") and not target.startswith("search_index"):
                wrong.append(f"{module} → {target}: search_index stands alone")
            if module.startswith("dictionary.") and target.startswith("lessons"):
                wrong.append(f"{module} → {target}: lessons builds on dictionary")
    assert wrong == []


def test_no_module_is_over_400_lines():
    long = {m: n for m, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


# ---- the README's code map ------------------------------------------------------------------
def code_map() -> dict[str, set[str]]:
    """package folder → the modules its row of the README's "Code map" table lists."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Code map", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and cells[0].endswith("/`"):
            rows[cells[0].strip("`").rstrip("/")] = set(cells[1].replace("`", " ").split())
    return rows


def test_the_readme_code_map_lists_every_package_and_module():
    listed = code_map()
    assert {"dictionary", "dictionary/curation", "search_index"} <= set(listed)
    actual: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (REPO_ROOT / package).rglob("*.py"):
            folder = path.parent.relative_to(REPO_ROOT).as_posix()
            actual.setdefault(folder, set())
            if path.stem != "__init__":
                actual[folder].add(path.stem)
    assert listed == actual
