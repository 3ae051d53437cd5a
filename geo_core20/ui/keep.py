"""Widget values that outlive their widget: across sections, pages and reruns.

Streamlit drops a widget's value from ``st.session_state`` as soon as a run does not draw
the widget (another section or page is shown), so a value must live somewhere else too.
The rule here is the one that does not fight the user: the kept copy is written back into
the widget's key **only when the widget's own value is gone** (or no longer valid); while
the widget is on screen, what the user picked is what it shows, and that becomes the kept
copy. Copying the kept value over the widget on every run (what the PLUS page once did)
made controls snap back after every click.

    from geo_core20.ui import keep
    layer = keep.widget(st.selectbox, "Layer", ids, key="plus_layer", default="coastal_core20")
    keep.put("plus_layer", "imd_score")   # a link or a preset: before the widget is drawn
    keep.get("plus_layer")                # another page reads it

Widget keys are the page's public names (tests address controls by them).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

_STORE = "_gc20_kept"
_DRAWN_ON = "_gc20_kept_page"  # key -> the page that last drew its widget


def _store() -> dict[str, Any]:
    return st.session_state.setdefault(_STORE, {})


def _valid(value: Any, valid: Collection | Callable[[Any], bool] | None) -> bool:
    if valid is None:
        return True
    if callable(valid):
        return bool(valid(value))
    if isinstance(value, (list, tuple)):
        return all(v in valid for v in value)
    return value in valid


def _page() -> str:
    """The page being run (widgets with the same key on two pages are two widgets)."""
    ctx = get_script_run_ctx()
    return getattr(ctx, "page_script_hash", "") or ""


def restore(key: str, default: Any, valid: Collection | Callable[[Any], bool] | None = None) -> None:
    """Put the kept value (else ``default``) into widget ``key`` when its own value is gone or invalid,
    or belongs to the same key's widget on another page (Streamlit would reset it to its default).

    Call before the widget is drawn in this run.
    """
    same_page = st.session_state.setdefault(_DRAWN_ON, {}).get(key, _page()) == _page()
    if same_page and key in st.session_state and _valid(st.session_state[key], valid):
        return
    value = _store().get(key, default)
    if not _valid(value, valid):
        value = default
    st.session_state[key] = list(value) if isinstance(value, tuple) else value


def widget(draw: Callable[..., Any], label: str, *args: Any, key: str, default: Any,
           valid: Collection | Callable[[Any], bool] | None = None, **kwargs: Any) -> Any:
    """Draw ``draw(label, *args, key=key, **kwargs)`` (e.g. ``st.selectbox`` or a column's
    ``.radio``) so that its value is kept; returns the value it shows.

    ``valid`` (a collection or predicate) says which values still make sense, e.g. the
    options of a select whose list depends on the vintage; an invalid value falls back to
    ``default``. Do not pass ``index``/``value``/``default`` for the widget itself: the
    kept value is its default.
    """
    restore(key, default, valid)
    kwargs = {**_own_default(draw, args, kwargs, st.session_state[key]), **kwargs}
    value = draw(label, *args, key=key, **kwargs)
    _store()[key] = value
    st.session_state[_DRAWN_ON][key] = _page()
    return value


# The argument that sets each widget type's own default (what the browser shows when it has no
# value of its own for the widget).
_DEFAULT_ARG = {"selectbox": "index", "radio": "index", "toggle": "value", "checkbox": "value",
                "number_input": "value", "slider": "value", "select_slider": "value", "text_input": "value",
                "text_area": "value", "multiselect": "default", "segmented_control": "default",
                "pills": "default"}


def _own_default(draw: Callable[..., Any], args: tuple, kwargs: dict, value: Any) -> dict[str, Any]:
    """The widget's own default set to the value it is about to show.

    A value that lives only in ``st.session_state`` reaches the browser once, in the run that set
    it; if that run is cut short (the person clicks before the page finished loading) the browser
    builds the widget from its *declared* default, shows it (England, the outline off) and sends it
    back with the next click: the view snaps to England. With the default equal to the value, the
    browser shows and sends what the server holds. A keyed widget's identity is its key, so the
    default changing from run to run does not make a new widget.
    """
    name = getattr(draw, "__name__", "")
    arg = _DEFAULT_ARG.get(name)
    if arg is None or arg in kwargs:
        return {}
    if arg == "index":
        options = list(args[0] if args else kwargs.get("options", ()))
        return {"index": options.index(value)} if value in options else {}
    if name == "multiselect":
        return {"default": list(value)}
    return {arg: value}


def remember(key: str) -> None:
    """Keep the value of a widget drawn without ``widget`` (``st.tabs``: call ``restore`` before it)."""
    if key in st.session_state:
        _store()[key] = st.session_state[key]
        st.session_state.setdefault(_DRAWN_ON, {})[key] = _page()


def put(key: str, value: Any) -> None:
    """Set a kept value and its widget (from a link, a preset or a saved plan).

    Only before the widget is drawn in this run (Streamlit forbids changing a drawn widget).
    """
    _store()[key] = value
    st.session_state[key] = list(value) if isinstance(value, tuple) else value


def get(key: str, default: Any = None) -> Any:
    """The current value: the widget's when it is on screen, else the kept copy."""
    if key in st.session_state:
        return st.session_state[key]
    return _store().get(key, default)


def forget(*keys: str) -> None:
    """Drop kept values (and their widgets' values) so the defaults apply again."""
    store = _store()
    for key in keys:
        store.pop(key, None)
        st.session_state.pop(key, None)
