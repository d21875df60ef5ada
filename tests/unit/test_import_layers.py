"""The layers README promises: api -> retriever -> index, settings a leaf, scripts on top, no cycles.

Read from the source with `ast` (every import, also those inside functions), so a lazy import cannot
hide a dependency that runs the wrong way.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("scripts", "api", "retriever", "index")  # each may import only those to its right
PROJECT = {*LAYERS, "settings"}


def modules() -> dict[str, Path]:
    found = {"settings": ROOT / "settings.py"}
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name: str, path: Path) -> set[str]:
    """Project modules `name` imports (absolute, or relative resolved against its package)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and _is_type_checking(block.test)
                   for n in ast.walk(block)}
    for node in ast.walk(tree):
        if id(node) in typing_only:  # `if TYPE_CHECKING:` imports never run
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    known = modules()
    return {m for m in found if m.split(".")[0] in PROJECT and m in known and m != name}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


GRAPH = {name: imports_of(name, path) for name, path in modules().items()}


def layer(module: str) -> str:
    return module.split(".")[0]


def test_settings_is_a_leaf():
    assert GRAPH["settings"] == set()


@pytest.mark.parametrize("lower", ["retriever", "index"])
def test_library_layers_take_their_configuration_as_arguments(lower):
    readers = sorted(m for m, deps in GRAPH.items() if layer(m) == lower and "settings" in deps)
    assert readers == [], f"{readers} read Settings themselves; pass the values down from api/wiring.py"


def test_imports_go_one_way():
    wrong = sorted((m, d) for m, deps in GRAPH.items() for d in deps
                   if layer(d) in LAYERS and layer(m) in LAYERS and LAYERS.index(layer(d)) < LAYERS.index(layer(m)))
    assert wrong == [], f"imports against the layers (scripts -> api -> retriever -> index): {wrong}"


def test_no_import_cycles():
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        for dep in sorted(GRAPH.get(module, ())):
            if dep in path:
                pytest.fail(f"import cycle: {' -> '.join(path[path.index(dep):] + [dep])}")
            if dep not in done:
                visit(dep, path + [dep])
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, [module])


def test_the_graph_sees_imports_of_every_kind():
    """The checks above would pass vacuously on an empty graph: these edges exist in the code."""
    assert "retriever.service" in GRAPH["api.wiring"]  # from ... import at module level
    assert "index.embedding.onnx_backend" in GRAPH["index.embedding"]  # inside a function
    assert "index.loader" not in GRAPH["index.backends"]  # only under TYPE_CHECKING
