"""The package keeps its layers: each stage imports only the stages below it, and no module
takes part in an import cycle.

Every import counts: at the top of a module, inside a function, and under `TYPE_CHECKING`
(an annotation-only import still ties the two modules together for a reader and for mypy).
`make lint` runs this file too.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "allyreport"

# Lowest first. A module may import its own layer's modules and any layer before it.
LAYERS = ("core", "config", "notes", "rules", "render", "build", "serve", "cli", "bench")
# The package's own __init__ (its version) sits with core; `python -m allyreport` on top.
PLACES = {"allyreport": "core", "allyreport.__main__": "bench"}


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package under `root`, by dotted name."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """The package's modules that `name` imports, wherever the import statement sits, with its line."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    root = name.split(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            # `from . import cache` imports the module `cache`; `from .cache import folder` the module `.cache`
            targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in known else origin for a in node.names]
        else:
            continue
        found += [(t, node.lineno) for t in targets if t.split(".")[0] == root and t in known]
    return found


def layer(module: str) -> str:
    if module in PLACES:
        return PLACES[module]
    return module.split(".")[1]


def problems(root: Path) -> list[str]:
    """Upward imports, modules outside every layer, and import cycles, as `path:line: message`."""
    mods = modules(root)
    known = set(mods)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    found = []
    for name, path in mods.items():
        where = layer(name)
        if where not in LAYERS:
            found.append(f"{path}:1: {name} is in no layer; put it in one of {', '.join(LAYERS)}")
            continue
        for target, line in imports(name, path, known):
            if target == name:
                continue
            graph[name].add(target)
            there = layer(target)
            if there in LAYERS and LAYERS.index(there) > LAYERS.index(where):
                found.append(f"{path}:{line}: {name} ({where}) imports {target} ({there}), a layer above it")
    found += [f"{mods[cycle[0]]}:1: import cycle among {', '.join(cycle)}" for cycle in cycles(graph)]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_every_stage_imports_only_the_stages_below_it_and_nothing_is_a_cycle() -> None:
    found = problems(PACKAGE)
    assert not found, "\n" + "\n".join(found)


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "allyreport" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root / "allyreport"


LAYERED = {
    "__init__.py": "",
    "core/__init__.py": "",
    "core/quarters.py": "X = 1\n",
    "rules/__init__.py": "",
    "rules/engine.py": "from ..core.quarters import X\n",
    "build/__init__.py": "",
    "build/pipeline.py": "def build():\n    from ..rules import engine\n",
}


def test_a_layered_package_passes(tmp_path: Path) -> None:
    assert problems(write_package(tmp_path, LAYERED)) == []


@pytest.mark.parametrize(("where", "text"), [
    ("top", "from ..build.pipeline import build\n"),
    ("in a function", "def f():\n    from ..build import pipeline\n"),
    ("under TYPE_CHECKING", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..build.pipeline import build\n"),
])
def test_an_upward_import_fails_wherever_it_is(tmp_path: Path, where: str, text: str) -> None:
    root = write_package(tmp_path, {**LAYERED, "rules/metrics.py": text})
    line = 3 if where == "under TYPE_CHECKING" else 2 if where == "in a function" else 1
    assert problems(root) == [f"{root}/rules/metrics.py:{line}: allyreport.rules.metrics (rules) imports "
                              "allyreport.build.pipeline (build), a layer above it"]


def test_a_cycle_within_a_layer_fails(tmp_path: Path) -> None:
    root = write_package(tmp_path, {**LAYERED, "rules/metrics.py": "def f():\n    from . import engine\n",
                                    "rules/engine.py": "from ..core.quarters import X\nfrom .metrics import f\n"})
    assert problems(root) == [f"{root}/rules/engine.py:1: import cycle among allyreport.rules.engine, "
                              "allyreport.rules.metrics"]


def test_a_module_outside_the_layers_fails(tmp_path: Path) -> None:
    root = write_package(tmp_path, {**LAYERED, "helpers.py": "Y = 2\n"})
    assert problems(root) == [f"{root}/helpers.py:1: allyreport.helpers is in no layer; put it in one of "
                              f"{', '.join(LAYERS)}"]


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
MAX_PARAMETERS = 6
LONG_ALLOWED = {("allyreport.cli.main", "make_parser")}  # one add_argument per line of the CLI: a table


def oversized(root: Path) -> list[str]:
    """Modules, functions and parameter lists past the limits, as `path:line: message`."""
    found = []
    for name, path in modules(root).items():
        text = path.read_text("utf-8")
        if (lines := len(text.splitlines())) > MAX_MODULE_LINES:
            found.append(f"{path}:1: {lines} lines (at most {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(text, str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or (name, node.name) in LONG_ALLOWED:
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            args = node.args
            count = len(args.posonlyargs) + len(args.args) + len(args.kwonlyargs) + bool(args.vararg) + bool(args.kwarg)
            count -= bool(args.args) and args.args[0].arg in ("self", "cls")
            if length > MAX_FUNCTION_LINES:
                found.append(f"{path}:{node.lineno}: {node.name} is {length} lines (at most {MAX_FUNCTION_LINES})")
            if count > MAX_PARAMETERS:
                found.append(f"{path}:{node.lineno}: {node.name} takes {count} parameters (at most {MAX_PARAMETERS})")
    return found


def test_modules_and_functions_stay_small() -> None:
    found = oversized(PACKAGE)
    assert not found, "\n" + "\n".join(found)


def test_a_long_function_and_a_long_parameter_list_are_found(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(50))
    root = write_package(tmp_path, {**LAYERED, "core/long.py": f"def f(a, b, c, d, e, f, g):\n{body}"})
    assert oversized(root) == [f"{root}/core/long.py:1: f is 51 lines (at most 50)",
                               f"{root}/core/long.py:1: f takes 7 parameters (at most 6)"]
