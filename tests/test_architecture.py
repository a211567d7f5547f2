"""The layering rule (docs/architecture.md), checked: the import-linter contract in
pyproject.toml, no import cycle, no import inside a function except a listed heavy
one, and plugin tests that use only imgclf's public modules."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import grimp

import imgclf

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "imgclf"

# Imported inside functions on purpose: each imports TensorFlow or Keras when it is
# imported, and `import imgclf`, `imgclf --help`, `imgclf list` must not (TensorFlow
# takes seconds to import; tests/test_cli.py checks it stays out).
DEFERRED = {
    "imgclf._nn.affine": "a Keras layer class (imports keras and tensorflow)",
    "imgclf._nn.mixing": "a Keras layer class (imports keras)",
    "imgclf._nn.layers": "a Keras layer class (imports keras and tensorflow)",
    "imgclf._nn.determinism": "a Keras callback class and tf.random state (imports both)",
    "imgclf._training.callbacks": "Keras callback classes (imports keras)",
}
HEAVY_LIBRARIES = ("tensorflow", "keras")
# (importer, imported): in-function imports of light modules, each with its reason.
DEFERRED_PAIRS = {
    ("imgclf._plugins", "imgclf._data.records"): "registration type check; the layers "
    "contract's one ignored import (plugins sits below data)",
    ("imgclf._plugins", "imgclf._tasks"): "beside the one above, in the same check",
}
PUBLIC = {"imgclf", "imgclf.testing", "imgclf.errors"}
PLUGIN_TESTS = [*ROOT.glob("plugins/*/tests"), *ROOT.glob("examples/*/tests")]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imported_modules(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """imgclf modules an import statement loads (``from . import a`` -> ``pkg.a``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    target = absolute(node, module, is_package)
    subs = [f"{target}.{a.name}" for a in node.names]
    known = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return [s for s in subs if s in known] or [target]


def function_imports(path: Path) -> list[tuple[int, str]]:
    module, tree = module_name(path), ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    is_package = path.name == "__init__.py"
                    out += [(node.lineno, m) for m in imported_modules(node, module, is_package)]
    return [(line, m) for line, m in out if m == "imgclf" or m.startswith("imgclf.")]


def test_layers_contract_is_kept():
    """import-linter's layers contract ([tool.importlinter] in pyproject.toml), run as
    its ``lint-imports`` command does (with this interpreter: no script on PATH needed)."""
    run = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"
    done = subprocess.run(
        [sys.executable, "-c", run, "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    graph = grimp.build_graph("imgclf", exclude_type_checking_imports=True)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    assert len(edges) > 50
    assert cycles(edges) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_inside_a_function_but_the_listed_heavy_ones():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        for line, imported in function_imports(path):
            if imported not in DEFERRED and (importer, imported) not in DEFERRED_PAIRS:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert not found, "import at module level (see DEFERRED):\n" + "\n".join(found)


def test_deferred_modules_are_heavy():
    """Each DEFERRED module does import TensorFlow or Keras at module level."""
    for name in DEFERRED:
        tree = ast.parse((ROOT / (name.replace(".", "/") + ".py")).read_text())
        top = [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names]
        assert any(t.split(".")[0] in HEAVY_LIBRARIES for t in top), name


def is_imgclf(module: str) -> bool:
    return module == "imgclf" or module.startswith("imgclf.")


def test_internal_modules_are_named_private():
    """httpx's and pluggy's rule: a module directly in imgclf/ is public only if it
    is one of the public modules; everything else starts with an underscore."""
    public_files = {f"{m.split('.')[-1]}.py" for m in PUBLIC - {"imgclf"}}
    public_files |= {"__init__.py", "__main__.py"}
    named = [p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()]
    assert "_runner.py" in named and "testing.py" in named
    bad = sorted(n for n in named if not n.startswith("_") and n not in public_files)
    assert not bad, f"internal modules without a leading underscore: {bad}"


def test_plugin_tests_import_only_public_modules():
    """Plugin and example tests use what a third-party author has: imgclf,
    imgclf.testing, imgclf.errors (docs/python-api.md)."""
    assert len(PLUGIN_TESTS) >= 3
    exported = set(imgclf.__all__) | {"testing", "errors"}
    dotted = re.compile(r"\bimgclf\.[a-z_]+(\.[a-z_]+)*")
    bad = []
    for path in sorted(p for d in PLUGIN_TESTS for p in d.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and is_imgclf(node.module or ""):
                if node.module not in PUBLIC:
                    bad.append(f"{where}:{node.lineno} from {node.module} import ...")
            elif isinstance(node, ast.Import):
                bad += [
                    f"{where}:{node.lineno} import {a.name}"
                    for a in node.names
                    if is_imgclf(a.name) and a.name not in PUBLIC
                ]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id == "imgclf" and node.attr not in exported:
                    bad.append(f"{where}:{node.lineno} imgclf.{node.attr}")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                for m in dotted.finditer(node.value):
                    if ".".join(m.group(0).split(".")[:2]) not in PUBLIC | {
                        f"imgclf.{n}" for n in exported
                    }:
                        bad.append(f"{where}:{node.lineno} '{m.group(0)}'")
    assert not bad, "non-public imgclf names in plugin tests:\n" + "\n".join(bad)
