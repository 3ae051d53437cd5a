"""The shape of the Streamlit layer, read statically (ast): no circle of imports among geo_core20/ui
modules (type-only imports included), one owner of the URL (ui.link), one explicit page list (ui.pages)."""

from __future__ import annotations

import ast
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from geo_core20.ui import pages

ROOT = Path(__file__).resolve().parents[1]
UI = ROOT / "geo_core20" / "ui"
PKG = "geo_core20.ui"
APP_FILES = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py")),
             *sorted((ROOT / "geo_core20").rglob("*.py"))]


def _module(path: Path) -> str:
    return PKG if path.stem == "__init__" else f"{PKG}.{path.stem}"


def ui_imports(source: str, submodules: set[str]) -> set[str]:
    """The geo_core20.ui modules a source imports, anywhere in it: at the top, in functions and
    under ``if TYPE_CHECKING:`` alike."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {".".join(a.name.split(".")[:3]) for a in node.names if a.name.startswith(PKG)}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module == PKG:
                found |= {f"{PKG}.{a.name}" if f"{PKG}.{a.name}" in submodules else PKG for a in node.names}
            elif node.module == "geo_core20" and any(a.name == "ui" for a in node.names):
                found.add(PKG)
            elif node.module.startswith(PKG + "."):
                found.add(".".join(node.module.split(".")[:3]))
    return found


def ui_graph() -> dict[str, set[str]]:
    files = sorted(UI.glob("*.py"))
    names = {_module(p) for p in files}
    return {_module(p): ui_imports(p.read_text(encoding="utf-8"), names) - {_module(p)} for p in files}


def test_the_import_reader_sees_type_only_and_function_level_imports():
    src = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
           "    from geo_core20.ui.page import PageContext\n"
           "def f():\n    from geo_core20.ui import keep, cache\n    import geo_core20.ui.link\n")
    subs = {f"{PKG}.{m}" for m in ("page", "keep", "cache", "link")}
    assert ui_imports(src, subs) == subs


def test_no_import_cycle_among_ui_modules():
    graph = ui_graph()
    assert {f"{PKG}.link", f"{PKG}.page", f"{PKG}.context"} <= set(graph)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle in geo_core20/ui: {' -> '.join(exc.args[1])}")
    assert set(order) >= set(graph)


def test_page_context_lives_in_a_leaf_module():
    assert ui_graph()[f"{PKG}.context"] <= {f"{PKG}.link"}


def _touches_url(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in ("st", "streamlit") and "query_params" in node.attr):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and any(k.arg == "query_params" for k in node.keywords):
            lines.append(node.lineno)  # st.page_link(..., query_params=...) writes a URL too
    return lines


def test_only_the_link_module_reads_or_writes_the_url():
    assert _touches_url(ast.parse("import streamlit as st\nst.query_params.from_dict({})"))
    owners = {}
    for path in APP_FILES:
        lines = _touches_url(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            owners[str(path.relative_to(ROOT))] = lines
    assert list(owners) == ["geo_core20/ui/link.py"], owners


def test_the_page_list_is_explicit_and_names_every_page_file():
    scripts = {p.script for p in pages.PAGES if p.script}
    assert scripts == {f"views/{p.name}" for p in (ROOT / "views").glob("*.py")}
    assert len({p.id for p in pages.PAGES}) == len({p.url_path for p in pages.PAGES}) == len(pages.PAGES)
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    assert "glob(" not in app and "pages.PAGES" in app
    file_name = re.compile(r"views/\w+\.py")
    for path in APP_FILES:
        if path.name == "pages.py" and path.parent == UI:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}  # docstrings may name files
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                assert not file_name.search(node.value), (str(path.relative_to(ROOT)), node.value)
