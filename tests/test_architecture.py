"""The package's layers (docs/architecture.md): no module imports a layer above its own,
no experiment imports another experiment, and no two modules import each other.

Every `import` and `from ... import` is read with `ast`, wherever it stands (at the
top or inside a function), and so are the targets of the subpackages' lazy exports
(`"name": "regionsoft_sd.x.y"` strings in `__init__.py`). Imports under
`if TYPE_CHECKING:` name a type for annotations and never run: they count for
circles, not for the layer rule (`model.loops` annotates a `Scenario` argument).
The checker is tested on a small made-up package first, so that it is known to fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = "regionsoft_sd"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

LAYERS = (
    "common",
    "model",
    "scenarios",
    "engine",
    "runner",
    "futures",
    "experiments",
    "reports",
    "cli",
    "package",
)
"""Bottom to top: a module may import its own layer and the layers below."""

EXPERIMENTS = ("simulate", "returns", "sweep", "optimise", "discover", "calibrate", "compete")
"""Experiments: siblings in one layer that never import one another."""

_FOLDERS = {
    "common": "common",
    "model": "model",
    "scenarios": "scenarios",
    "batch": "engine",
    "runs": "runner",
    "futures": "futures",
    "reports": "reports",
    "explore": "reports",  # the explorer combines experiments on one page, like a report
    "cli": "cli",
    "cli_options": "cli",
}

VERSION_ONLY = "__version__"
"""The one name modules below the package may import from `regionsoft_sd` itself: the
version string, defined there for packaging (the root module imports nothing eagerly)."""


def layer_of(module: str) -> tuple[str, str | None]:
    """(layer, experiment or None) of a dotted module name under the package."""
    parts = module.split(".")
    if parts == [PACKAGE]:
        return "package", None
    top = parts[1]
    if top in EXPERIMENTS:
        # an experiment's command-line module (`sweep/cli.py`, `sweep/__main__.py`) is CLI
        if len(parts) > 2 and parts[2] in ("cli", "__main__"):
            return "cli", None
        return "experiments", top
    if top == "explore" and len(parts) > 2 and parts[2] == "cli":
        return "cli", None
    return _FOLDERS[top], None


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name: str, known: Iterable[str]) -> str | None:
    """The longest known module that `name` is or lies in (`a.b.func` -> `a.b`)."""
    known = set(known)
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _typing_only(tree: ast.Module) -> set[int]:
    """ids of the nodes inside `if TYPE_CHECKING:` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        test = node.test if isinstance(node, ast.If) else None
        name = getattr(test, "id", None) or getattr(test, "attr", None)
        if name == "TYPE_CHECKING":
            for child in node.body:
                inside.update(id(n) for n in ast.walk(child))
    return inside


def imports_of(
    module: str, path: Path, known: Iterable[str], typing: bool = True
) -> dict[str, set[str]]:
    """Modules of the package that `module` imports, each with the names it takes
    (without those under `if TYPE_CHECKING:` unless `typing`)."""
    known = set(known)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    skip = set() if typing else _typing_only(tree)
    found: dict[str, set[str]] = {}

    def add(target: str | None, name: str) -> None:
        if target is not None and target != module:
            found.setdefault(target, set()).add(name)

    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    add(_resolve(alias.name, known), "*")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            if source.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                add(full if full in known else _resolve(source, known), alias.name)
        elif (
            path.name == "__init__.py"
            and isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith(PACKAGE + ".")
            and " " not in node.value
        ):  # a lazy export's target, "regionsoft_sd.x.y" or "regionsoft_sd.x:attr"
            add(_resolve(node.value.partition(":")[0], known), "*")
    return found


def import_graph(root: Path = ROOT, typing: bool = True) -> dict[str, dict[str, set[str]]]:
    """module -> {imported module -> names taken} over the whole package."""
    mods = modules(root)
    return {m: imports_of(m, p, mods, typing) for m, p in mods.items()}


def violations(graph: Mapping[str, Mapping[str, set[str]]], layer=layer_of) -> list[str]:
    """Each import that goes up a layer or across to a sibling experiment, as a sentence."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    out = []
    for module, targets in sorted(graph.items()):
        lm, em = layer(module)
        for target, names in sorted(targets.items()):
            lt, et = layer(target)
            if lt == "package" and names <= {VERSION_ONLY}:
                continue
            if rank[lt] > rank[lm]:
                out.append(f"{module} ({lm}) imports {target} ({lt}), a higher layer")
            elif em is not None and et is not None and em != et:
                out.append(f"experiment {em}: {module} imports {target} of experiment {et}")
    return out


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One import circle (a path that starts and ends at the same module), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def _cycle_graph(graph: Mapping[str, Mapping[str, set[str]]]) -> dict[str, set[str]]:
    """The graph without the version import from the root (a constant, not a circle)."""
    return {
        m: {t for t, names in ts.items() if not (t == PACKAGE and names <= {VERSION_ONLY})}
        for m, ts in graph.items()
    }


# --- the checker itself, on a made-up package: it must be able to fail ------------------


def _fake(tmp_path: Path, files: Mapping[str, str]) -> Path:
    root = tmp_path / PACKAGE
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_checker_finds_an_upward_import_a_sibling_import_and_a_circle(tmp_path):
    root = _fake(
        tmp_path,
        {
            "__init__.py": '_EXPORTS = {"run": "regionsoft_sd.simulate"}\n',
            "common/__init__.py": "",
            "common/errors.py": "def f():\n    from regionsoft_sd.model import catalogue\n",
            "model/__init__.py": "",
            "model/catalogue.py": "from regionsoft_sd.common.errors import f\n",
            "model/loops.py": "if TYPE_CHECKING:\n    from regionsoft_sd.simulate import run\n",
            "simulate.py": "from regionsoft_sd import __version__\n",
            "sweep/__init__.py": "",
            "sweep/spec.py": "from ..discover.spec import Failure\n",
            "discover/__init__.py": "",
            "discover/spec.py": "import regionsoft_sd.discover.pipeline\n",
            "discover/pipeline.py": "from regionsoft_sd.discover import spec\n",
        },
    )
    graph = import_graph(root)
    assert graph[PACKAGE] == {"regionsoft_sd.simulate": {"*"}}  # the lazy export counts
    assert graph["regionsoft_sd.sweep.spec"] == {"regionsoft_sd.discover.spec": {"Failure"}}
    assert graph["regionsoft_sd.model.loops"] == {"regionsoft_sd.simulate": {"run"}}
    assert import_graph(root, typing=False)["regionsoft_sd.model.loops"] == {}
    found = violations(import_graph(root, typing=False))
    assert found == [
        "regionsoft_sd.common.errors (common) imports regionsoft_sd.model.catalogue (model), "
        "a higher layer",
        "experiment sweep: regionsoft_sd.sweep.spec imports regionsoft_sd.discover.spec "
        "of experiment discover",
    ]
    cycle = find_cycle(_cycle_graph(graph))
    assert cycle is not None and cycle[0] == cycle[-1]
    assert set(cycle) in (
        {"regionsoft_sd.common.errors", "regionsoft_sd.model.catalogue"},
        {"regionsoft_sd.discover.spec", "regionsoft_sd.discover.pipeline"},
    )


def test_checker_passes_a_clean_graph():
    graph = {
        "regionsoft_sd.cli": {"regionsoft_sd.sweep.pipeline": {"run_sweep"}},
        "regionsoft_sd.sweep.pipeline": {"regionsoft_sd.futures.designs": {"sample"}},
        "regionsoft_sd.futures.designs": {"regionsoft_sd.common.errors": {"InputError"}},
        "regionsoft_sd.reports.report": {PACKAGE: {VERSION_ONLY}},
    }
    assert violations(graph) == []
    assert find_cycle(_cycle_graph(graph)) is None
    graph["regionsoft_sd.common.errors"] = {"regionsoft_sd.cli": {"main"}}
    assert find_cycle(graph) == [
        "regionsoft_sd.cli",
        "regionsoft_sd.sweep.pipeline",
        "regionsoft_sd.futures.designs",
        "regionsoft_sd.common.errors",
        "regionsoft_sd.cli",
    ]


# --- the real package ----------------------------------------------------------------------


def test_every_module_has_a_layer():
    for module in modules():
        layer, _ = layer_of(module)
        assert layer in LAYERS, module


def test_no_module_imports_a_higher_layer_or_a_sibling_experiment():
    assert violations(import_graph(typing=False)) == []


def test_no_import_circle_between_modules():
    cycle = find_cycle(_cycle_graph(import_graph()))
    assert cycle is None, " -> ".join(cycle or [])
