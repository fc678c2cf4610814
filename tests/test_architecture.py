"""The shape of ``sim/``: no module over ~500 lines, and no import circle between its modules.

Imports are read with :mod:`ast` (nothing is imported): every ``import`` of a ``govsim.sim`` module,
wherever it stands in a file, is an edge, except imports for annotations only (under
``if TYPE_CHECKING:``) and the compatibility forwarders of a module-level ``__getattr__`` (PEP 562),
which resolve old names lazily for existing importers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    return {p.stem: p for p in sorted(SIM.glob("*.py")) if p.stem != "__init__"}


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(path: Path, names: set[str]) -> set[str]:
    """The ``sim`` modules that ``path`` imports (outside TYPE_CHECKING blocks and ``__getattr__``)."""
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            return
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "govsim.sim":
                out.update(a.name for a in node.names if a.name in names)
            elif node.module.startswith("govsim.sim."):
                out.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("govsim.sim."):
                    out.add(a.name.split(".")[2])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return out & names


def import_graph() -> dict[str, set[str]]:
    """Module → the sim modules it imports."""
    mods = _modules()
    return {name: _imports(path, set(mods)) - {name} for name, path in mods.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (found := dfs(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := dfs(n)):
            return found
    return None


@pytest.mark.parametrize("name", sorted(_modules()))
def test_no_sim_module_is_over_500_lines(name: str) -> None:
    n = len(_modules()[name].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"sim/{name}.py has {n} lines (limit {MAX_LINES}): split it by submodel"


def test_sim_has_no_import_cycle() -> None:
    cycle = _cycle(import_graph())
    assert cycle is None, "import circle in sim/: " + " → ".join(cycle)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_import_reader_sees_function_level_imports_but_not_annotations(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("from typing import TYPE_CHECKING\nfrom govsim.sim import ladder\nif TYPE_CHECKING:\n"
                 "    from govsim.sim.model import GovernanceModel\n"
                 "def f():\n    from govsim.sim.costs import yearly_cost\n"
                 "def __getattr__(name):\n    from govsim.sim import timers\n", encoding="utf-8")
    assert _imports(f, {"ladder", "model", "costs", "timers"}) == {"ladder", "costs"}


def test_nothing_in_sim_imports_experiments_or_analysis() -> None:
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        mods |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        bad = {m for m in mods if m.split(".")[:2] in (["govsim", "experiments"], ["govsim", "analysis"])
               or m.split(".")[0] in ("experiments", "analysis")}
        assert not bad, f"sim/{name}.py imports {sorted(bad)}"


if __name__ == "__main__":  # print the graph (for the architecture notes)
    for mod, deps in sorted(import_graph().items()):
        print(f"{mod:16} → {', '.join(sorted(deps)) or '—'}")
