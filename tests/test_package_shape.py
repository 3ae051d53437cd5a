"""The app package holds the app: no test harness inside it, no alias shims kept for old names."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "geo_core20"


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(PACKAGE.rglob("*.py"))]


def test_the_serve_harness_lives_with_the_tests():
    assert not (PACKAGE / "ui" / "serve.py").exists()
    assert (ROOT / "tests" / "harness.py").is_file()
    assert (PACKAGE / "serve.py").is_file()  # the launcher people run stays


def test_nothing_in_the_package_imports_a_test_harness():
    harness_names = {"harness", "tests", "conftest", "map_checks", "_common", "pytest", "playwright"}
    offenders = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                          if n.split(".")[0] in harness_names or n.endswith(".serve") and "ui" in n]
    assert offenders == []


def test_no_module_resolves_old_names_lazily():
    # a module-level __getattr__ is how moved names were kept alive; a rename moves every caller instead
    lazy = [str(p.relative_to(ROOT)) for p, tree in _modules()
            if any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in tree.body)]
    assert lazy == []


def test_no_module_replaces_the_main_module():
    # the upload worker once swapped sys.modules["__main__"] to start by spawn; it now starts its own entry
    # module (geo_core20.uploads.worker_entry), and nothing in the package touches another's main module
    swaps = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            swaps += [f"{path.relative_to(ROOT)}:{node.lineno}" for t in targets
                      if isinstance(t, ast.Subscript) and ast.unparse(t) == "sys.modules['__main__']"]
    assert swaps == []
    assert (PACKAGE / "uploads" / "worker_entry.py").is_file()
