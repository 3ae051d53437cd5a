"""The cache policy (docstring of geo_core20/ui/cache.py), read from the source with ast:

- Streamlit caches (``st.cache_data`` / ``st.cache_resource``) only in the ui cache modules;
- none of them around a core function already memoised with functools (``lru_cache``/``cache``);
- the core memoises one way: functools, with no hand-made memo dicts.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE_MODULES = ("geo_core20/ui/cache.py", "geo_core20/ui/plus_cache.py")
ST_CACHES = {"cache_data", "cache_resource", "cache", "experimental_memo", "experimental_singleton"}


def _app_sources() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py")),
            *sorted((ROOT / "geo_core20").rglob("*.py"))]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _streamlit_names(tree: ast.AST) -> set[str]:
    """Names bound to the streamlit module in a file (``import streamlit as st``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name for a in node.names if a.name == "streamlit"}
    return names


def st_cache_uses(source: str) -> list[int]:
    """Lines that use a Streamlit cache: ``st.cache_data(...)`` as a decorator or a call, a bare
    ``@st.cache_resource``, or ``from streamlit import cache_data``. Comments and docstrings are
    not code, so they never count."""
    tree = ast.parse(source)
    st_names = _streamlit_names(tree)
    lines = []
    for node in ast.walk(tree):
        attribute = (isinstance(node, ast.Attribute) and node.attr in ST_CACHES
                     and isinstance(node.value, ast.Name) and node.value.id in st_names)
        imported = (isinstance(node, ast.ImportFrom) and node.module == "streamlit"
                    and any(a.name in ST_CACHES for a in node.names))
        if attribute or imported:
            lines.append(node.lineno)
    return sorted(lines)


def test_the_detector_sees_decorators_and_calls_but_not_words():
    code = textwrap.dedent('''
        """Uses st.cache_data (a docstring)."""
        import streamlit as st
        # st.cache_resource in a comment
        @st.cache_data(show_spinner=False)
        def a(): ...
        @st.cache_resource
        def b(): ...
        c = st.cache_data(lambda: 1)
        st.cache_resource.clear()
        text = "st.cache_data"
    ''')
    assert st_cache_uses(code) == [5, 7, 9, 10]
    assert st_cache_uses("from streamlit import cache_data\n") == [1]
    assert st_cache_uses("import functools\n@functools.cache\ndef f(): ...\n") == []


def test_streamlit_caches_only_in_the_ui_cache_modules():
    offenders = {_rel(p): lines for p in _app_sources() if _rel(p) not in CACHE_MODULES
                 and (lines := st_cache_uses(p.read_text(encoding="utf-8")))}
    assert offenders == {}, f"st.cache_* outside {CACHE_MODULES} (file: lines): {offenders}"
    assert all(st_cache_uses((ROOT / m).read_text(encoding="utf-8")) for m in CACHE_MODULES)


# --- no Streamlit cache around a core cache ------------------------------------------------------------


def _is_functools_cached(obj: object) -> bool:
    return callable(obj) and hasattr(obj, "cache_info") and hasattr(obj, "cache_clear")


def _resolve(expr: ast.expr, namespace: dict) -> object | None:
    """The object a call's target names (``f`` or ``mod.attr.f``) in a module's namespace."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name) or expr.id not in namespace:
        return None
    obj = namespace[expr.id]
    for attr in reversed(parts):
        obj = getattr(obj, attr, None)
        if obj is None:
            return None
    return obj


def _thin_loader_over_a_cache(fn: object) -> bool:
    """A plain core function that returns a call of a functools-cached one (``atlas.load_atlas``)."""
    if not inspect.isfunction(fn) or not fn.__module__.startswith("geo_core20"):
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError):
        return False
    return any(_is_functools_cached(_resolve(call.func, fn.__globals__)) for call in _returned_calls(tree))


def _returned_calls(node: ast.AST) -> list[ast.Call]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and isinstance(n.value, ast.Call)]


def st_cached_wrappers_of_core_caches(module_name: str) -> list[str]:
    """Streamlit-cached functions of a module that return what a functools-cached core function
    (or a thin loader over one) returns: a second cache of the very same value. Using such a value
    to compute something new (an area's rows, a map) is not wrapping it."""
    module = importlib.import_module(module_name)
    tree = ast.parse(inspect.getsource(module))
    st_names = _streamlit_names(tree)
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        decorators = [d.func if isinstance(d, ast.Call) else d for d in node.decorator_list]
        if not any(isinstance(d, ast.Attribute) and d.attr in ST_CACHES and isinstance(d.value, ast.Name)
                   and d.value.id in st_names for d in decorators):
            continue
        if any(_resolve(d, vars(module)) in (functools.lru_cache, functools.cache) for d in decorators):
            found.append(f"{node.name}: also functools-cached")
        for call in _returned_calls(node):
            target = _resolve(call.func, vars(module))
            if _is_functools_cached(target) or _thin_loader_over_a_cache(target):
                found.append(f"{node.name} -> {ast.unparse(call.func)}")
    return found


def test_the_wrapper_check_sees_a_cache_around_a_loader(tmp_path, monkeypatch):
    (tmp_path / "gc20_policy_probe.py").write_text(textwrap.dedent('''
        import functools
        import streamlit as st
        from geo_core20 import atlas
        from geo_core20.maps import view

        @st.cache_resource
        def atlas_again(vintage):
            return atlas.load_atlas(vintage)

        @st.cache_data(show_spinner=False)
        def outlines_again(vintage, level):
            """A docstring does not hide it."""
            return view.level_outlines(vintage, level)

        @st.cache_data
        @functools.lru_cache
        def twice(x):
            return x

        @st.cache_data
        def an_area(vintage, area):
            frame = atlas.load_atlas(vintage)
            return frame[frame["lad_code"] == area]
    '''), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert st_cached_wrappers_of_core_caches("gc20_policy_probe") == [
        "atlas_again -> atlas.load_atlas", "outlines_again -> view.level_outlines",
        "twice: also functools-cached"]


def test_no_streamlit_cache_wraps_a_core_cache():
    offenders = {m: found for m in ("geo_core20.ui.cache", "geo_core20.ui.plus_cache")
                 if (found := st_cached_wrappers_of_core_caches(m))}
    assert offenders == {}, offenders


# --- the core memoises one way -------------------------------------------------------------------------


def test_the_core_memoises_only_with_functools():
    """No hand-made memo (a module-level dict filled by the code, keyed by ``id()``) in the core:
    what was ``maps.national._MEMO`` is an ``lru_cache`` now."""
    offenders = []
    for path in (ROOT / "geo_core20").rglob("*.py"):
        if "ui" in path.relative_to(ROOT / "geo_core20").parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.AnnAssign | ast.Assign):
                value = node.value
                target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
                name = getattr(target, "id", "")
                if "MEMO" in name.upper() or ("CACHE" in name.upper() and isinstance(value, ast.Dict)
                                              and not value.keys):
                    offenders.append(f"{_rel(path)}:{node.lineno} {name}")
        offenders += [f"{_rel(path)}:{n.lineno} id()-keyed" for n in ast.walk(tree)
                      if isinstance(n, ast.Tuple) and any(
                          isinstance(e, ast.Call) and getattr(e.func, "id", "") == "id" for e in n.elts)]
    assert offenders == []
