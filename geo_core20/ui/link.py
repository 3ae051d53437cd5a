"""The one owner of the URL: every parameter a link can carry, with parse, validate and write.

Nothing else reads or writes ``st.query_params``. A page starts with ``apply`` (a link new to this
session sets the controls it names, before they are drawn) and ends with ``sync`` (the address
bar follows the controls) and ``share_url`` (the "Link to this view" box)::

    link.apply(pages.PLUS, area_exists)           # ?focus=cancer&layer=gypsy_traveller -> widgets
    ...                                           # the page draws its controls (ui.keep)
    link.sync(pages.PLUS, view)                   # address bar: defaults left out
    link.share_url(pages.PLUS, view)              # the shown link: every parameter written out

Two kinds of link, one schema (``PARAMS``):

* a **share link** writes every parameter of the view explicitly (``core20=1``, ``focus=none``,
  ``present=0``, ``tb=core20&tc=and`` for "no target"), so it reopens the same view in any session;
* the app's own **preset and card links** (``page_link``) name only what they set; a link leaves
  every control it does not name as the session had it (e.g. a target the user built).

Anything unknown or malformed falls back to a default with a message that echoes what was given,
never an exception. ``parse`` and ``write`` are pure; the rest needs a Streamlit run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from geo_core20 import clinical, plus, schema
from geo_core20.maps import choropleth, styles
from geo_core20.ui import keep, pages, target

DEFAULT_VINTAGE = schema.DEFAULT_VINTAGE
DEFAULT_SHADE = schema.IMD_DECILE
DEFAULT_BASEMAP = "none"
_GSS = re.compile(r"^[EWSNK]\d{8}$")
_VINTAGE_ALIASES = {"2025": "2025", "iod2025": "2025", "2019": "2019", "imd2019": "2019"}

# Widget (ui.keep) keys the link sets: the pages' public names (tests address controls by them).
K_VINTAGE, K_LEVEL, K_AREA = "gc20_vintage", "gc20_level", "gc20_area"
K_SHADE, K_BASEMAP, K_CORE20 = "gc20_shade", "gc20_basemap", "gc20_core20"
K_FOCUS, K_PRESENT, K_TAB = "gc20_focus", "gc20_present", "gc20_tab"
K_FAMILY = "gc20_focus_family"
K_PLUS_SECTION, K_PLUS_LAYER = "plus_section", "plus_indicator"
K_HOT, K_PERMS = "plus_hot_indicator", "plus_permutations"

NO_FOCUS = "none"
ADULT, CYP = "adult", "cyp"
FAMILIES = {ADULT: "Adults", CYP: "Children and young people"}  # the focus families (clinical.FAMILIES)
EXPLORER_TABS = {"map": "Map", "table": "Table", "profile": "Profile and comparison",
                 "focus": "Clinical focus", "change": "Core20 then and now"}
PLUS_SECTIONS = {"indicators": "Indicators", "hotspots": "Hot spots", "local": "Local data",
                 "target": "Target", "focus": "Clinical focus", "about": "About the data"}
PLUS_DEFAULT_LAYER, HOT_DEFAULT = "coastal_core20", "imd_score"
PERMUTATIONS = (999, 4999, 9999)
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")

_K_SEEN = "_gc20_url_seen"  # the URL this session wrote last (or the link it applied)
_K_PROBLEMS = "_gc20_url_problems"  # (problems, the view they were found for)


# --- the view -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class View:
    """What a map page shows: vintage, geography level and area, shading, basemap."""

    vintage: str = DEFAULT_VINTAGE
    level: str = "england"
    area: str | None = None
    shade: str = DEFAULT_SHADE
    basemap: str = DEFAULT_BASEMAP

    @property
    def area_code(self) -> str:
        return schema.ENGLAND_CODE if self.level == "england" else str(self.area)


def _first(value: object) -> str:
    """A query value as one trimmed string (Streamlit gives str; tests may pass lists)."""
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    return str(value or "").strip()


def _choice(raw: str | None, allowed, default: str, what: str, fallback: str, problems: list[str]) -> str:
    """``raw`` if it is one of ``allowed``; else ``default``, noting the problem for the page."""
    if not raw:
        return default
    if raw.lower() in allowed:
        return raw.lower()
    problems.append(f"Unknown {what} {raw[:40]!r}; showing {fallback}.")  # as given, not lower-cased
    return default


def parse_view(params: Mapping[str, object], area_exists: Callable[[str, str, str], bool]
               ) -> tuple[View, list[str]]:
    """The view a URL asks for, and what was wrong with it (empty when all was fine).

    ``area_exists(vintage, level, code)`` says whether an area is in that vintage's atlas.
    """
    problems: list[str] = []
    vintage_raw = _first(params.get("vintage"))
    level_given = _first(params.get("level"))
    level_raw = level_given.lower()
    area_given = _first(params.get("area"))
    area_raw = area_given.upper()  # codes match case-insensitively; messages echo what was given
    shade_raw = _first(params.get("shade"))
    basemap_raw = _first(params.get("basemap"))

    vintage = DEFAULT_VINTAGE
    if vintage_raw:
        vintage = _VINTAGE_ALIASES.get(vintage_raw.lower(), "")
        if not vintage:
            problems.append(f"Unknown vintage {vintage_raw!r} (use 2025 or 2019); showing IoD2025.")
            vintage = DEFAULT_VINTAGE
    shade = _choice(shade_raw, styles.SHADINGS, DEFAULT_SHADE, "shading", "the IMD decile", problems)
    basemap = _choice(basemap_raw, choropleth.BASEMAPS, DEFAULT_BASEMAP, "basemap", "no basemap", problems)
    base = View(vintage=vintage, shade=shade, basemap=basemap)

    if not level_raw and not area_raw:
        return base, problems
    if level_raw not in schema.LEVELS:
        problems.append(f"Unknown geography level {level_given[:40] or '(missing)'!r} "
                        f"(use one of {', '.join(schema.LEVELS)}); showing England.")
        return base, problems
    if level_raw == "england":
        return replace(base, level="england"), problems
    if not area_raw:
        problems.append(f"No area code given for level {level_raw!r}; showing England.")
        return base, problems
    if not _GSS.match(area_raw):
        problems.append(f"{area_given[:40]!r} is not a GSS area code (like E54000008); showing England.")
        return base, problems
    if not area_exists(vintage, level_raw, area_raw):
        problems.append(f"No {schema.LEVEL_LABEL[level_raw]} with code {area_given[:40]} in "
                        f"{schema.IMD_LABEL[vintage]}; showing England.")
        return base, problems
    return replace(base, level=level_raw, area=area_raw), problems


def view_params(view: View) -> dict[str, str]:
    """The query parameters of a view (defaults for shade and basemap left out)."""
    out = {"vintage": view.vintage, "level": view.level}
    if view.level != "england" and view.area:
        out["area"] = view.area
    if view.shade != DEFAULT_SHADE:
        out["shade"] = view.shade
    if view.basemap != DEFAULT_BASEMAP:
        out["basemap"] = view.basemap
    return out


# --- the registry -------------------------------------------------------------------------------

def hot_label(indicator_id: str) -> str:
    """The hot-spot select's label for an indicator (the select also lists uploaded layers)."""
    i = plus.get(indicator_id)
    return f"{i.group}: {i.label}" + (f" ({i.unit})" if i.unit else "")


def _hot_ids() -> tuple[str, ...]:
    return tuple(i.id for i in plus.INDICATORS.values() if i.level == plus.LSOA and i.kind == plus.NUMERIC)


@dataclass(frozen=True)
class Param:
    """One URL parameter. ``values`` maps its URL texts to the widget values they set (a closed
    set); ``state`` is the widget's ``ui.keep`` key (None: set by the view, the target or a page)."""

    key: str
    what: str
    pages: tuple[str, ...]  # the pages whose links carry it (read on opening, written by share links)
    default: str = ""  # its text when unset, written explicitly by a share link
    state: str | None = None
    values: Callable[[], Mapping[str, Any]] | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    fallback: str = ""  # what the page shows instead of a bad value, for the message
    always: bool = False  # in the address bar even at its default (the PLUS layer always was)

    def parse(self, text: str) -> str:
        """The canonical URL text of ``text``; ValueError with the message for the page."""
        if self.key == "focus":
            try:
                return clinical.parse_focus(text) or NO_FOCUS
            except clinical.UnknownFocus as exc:
                raise ValueError(f"{exc} Showing no clinical focus.") from None
        known = self.values() if self.values else {}
        canonical = self.aliases.get(text.lower(), text)
        for candidate in (canonical, canonical.lower()):
            if candidate in known:
                return candidate
        raise ValueError(f"Unknown {self.what} {text[:40]!r} in this link; showing {self.fallback}.")

    def to_state(self, text: str) -> Any:
        return self.values()[text] if self.values else text

    def from_state(self, value: Any) -> str | None:
        """The URL text of a widget value (None when it has none, e.g. an uploaded layer)."""
        if value is None:
            return self.default
        for text, v in (self.values() if self.values else {}).items():
            if v == value:
                return text
        return None


_BOOL = {"1": True, "0": False}
_BOOL_ALIASES = {**dict.fromkeys(_TRUE, "1"), **dict.fromkeys(_FALSE, "0")}
ALL, VIEW = pages.IDS, pages.VIEW_PAGES
EXPLORER, PLUS, PLANNER = (pages.EXPLORER,), (pages.PLUS,), (pages.PLANNER,)

PARAMS: tuple[Param, ...] = (
    Param("vintage", "IMD vintage", VIEW, DEFAULT_VINTAGE),
    Param("level", "geography level", VIEW, "england"),
    Param("area", "area code (GSS)", VIEW),
    Param("shade", "shading", EXPLORER, DEFAULT_SHADE),
    Param("basemap", "basemap", VIEW, DEFAULT_BASEMAP),
    Param("core20", "Core20 outline setting", VIEW, "1", K_CORE20, lambda: _BOOL, _BOOL_ALIASES,
          "the Core20 outline"),
    Param("family", "clinical focus family", VIEW, ADULT, K_FAMILY, lambda: {f: f for f in FAMILIES},
          fallback="adults"),
    Param("focus", "clinical focus", VIEW, NO_FOCUS, K_FOCUS,
          lambda: {NO_FOCUS: NO_FOCUS, **{f: f for f in clinical.FOCUS_IDS}}),
    Param("tab", "tab", EXPLORER, "map", K_TAB, lambda: EXPLORER_TABS, fallback="the map"),
    Param("section", "section", PLUS, "indicators", K_PLUS_SECTION, lambda: PLUS_SECTIONS,
          fallback="the indicators"),
    Param("layer", "layer", PLUS, PLUS_DEFAULT_LAYER, K_PLUS_LAYER, lambda: {i: i for i in plus.INDICATORS},
          fallback="the default layer", always=True),
    Param("hot", "hot-spot indicator", PLUS, HOT_DEFAULT, K_HOT,
          lambda: {i: hot_label(i) for i in _hot_ids()}, fallback="the IMD score"),
    Param("perms", "number of permutations", PLUS, str(PERMUTATIONS[0]), K_PERMS,
          lambda: {str(n): n for n in PERMUTATIONS}, fallback=f"{PERMUTATIONS[0]}"),
    *(Param(k, "Core20PLUS target", PLUS) for k in plus.QUERY_KEYS),  # tb, tc, tx: TargetSpec's text form
    Param("plan", "saved plan id", PLANNER),
    Param("present", "presentation mode setting", ALL, "0", K_PRESENT, lambda: _BOOL, _BOOL_ALIASES,
          "the controls"),
)
BY_KEY = {p.key: p for p in PARAMS}
VIEW_KEYS = ("vintage", "level", "area", "shade", "basemap")
TARGET_KEYS = tuple(plus.QUERY_KEYS)


def keys(page: str) -> tuple[str, ...]:
    """The URL parameters of a page, in the order links write them."""
    return tuple(p.key for p in PARAMS if page in p.pages)


@dataclass(frozen=True)
class Link:
    """What a link asks for: only the parameters it names (and that are valid)."""

    view: View | None = None  # the view read from the link, when it names any of VIEW_KEYS
    view_keys: frozenset[str] = frozenset()
    values: Mapping[str, str] = field(default_factory=dict)  # key -> canonical text (widget params)
    target: plus.TargetSpec | None = None
    plan: str | None = None


def parse(params: Mapping[str, object], page: str, area_exists: Callable[[str, str, str], bool]
          ) -> tuple[Link, list[str]]:
    """The parameters of ``page`` that a URL names, validated, and the problems found (never raises).

    Parameters of other pages are ignored; shade and basemap are read on every map page (a link to
    the PLUS page with ``shade=`` sets the explorer's shading), written only where they are shown.
    """
    problems: list[str] = []
    named = {k for k in params if k in BY_KEY}
    view, view_keys = None, frozenset()
    if page in VIEW and named & set(VIEW_KEYS):
        view, found = parse_view(params, area_exists)
        problems += found
        view_keys = frozenset(named & set(VIEW_KEYS))
    values: dict[str, str] = {}
    for p in PARAMS:
        if p.state is None or p.key not in named or page not in p.pages:
            continue
        text = _first(params[p.key])
        if not text:
            continue
        try:
            values[p.key] = p.parse(text)
        except ValueError as exc:
            problems.append(str(exc))
    spec = None
    if page in BY_KEY["tb"].pages and named & set(TARGET_KEYS):
        try:
            spec = plus.TargetSpec.from_query_params({k: params[k] for k in TARGET_KEYS if k in params})
        except plus.TargetError as exc:
            problems.append(f"The target in this link was not used: {exc}.")
    plan = _first(params.get("plan")) if page in BY_KEY["plan"].pages else ""
    return Link(view, view_keys, values, spec, plan or None), problems


def write(page: str, view: View | None, values: Mapping[str, str | None], spec: plus.TargetSpec | None = None,
          extra: Mapping[str, str] | None = None, *, explicit: bool) -> dict[str, str]:
    """The parameters of ``page`` in registry order. ``explicit`` (a share link) writes every one,
    defaults included; otherwise (the address bar) defaults are left out. A value of None (e.g. a
    hot spot of an uploaded layer) is not in links."""
    out: dict[str, str] = {}
    compact = view_params(view) if view is not None and page in VIEW else {}
    for p in PARAMS:
        if page not in p.pages:
            continue
        if p.key in VIEW_KEYS:
            if p.key in compact:
                out[p.key] = compact[p.key]
            elif explicit and p.default and view is not None:
                out[p.key] = p.default
        elif p.key in TARGET_KEYS:
            if spec is not None and (explicit or spec != plus.TargetSpec()):
                out.update({k: v for k, v in spec.to_query_params().items() if k == p.key})
        elif p.state is not None:
            text = values.get(p.key, p.default)
            if text is not None and (explicit or p.always or text != p.default):
                out[p.key] = text
        elif extra and extra.get(p.key):
            out[p.key] = str(extra[p.key])
    return out


def preset(page: str, **values: str) -> dict[str, str]:
    """An app link that names only ``values`` (a card, a preset): each checked against the registry
    (KeyError for a parameter the page does not have, ValueError for a value it would reject)."""
    out = {}
    for key, value in values.items():
        p = BY_KEY[key]
        if page not in p.pages:
            raise KeyError(f"{key!r} is not a parameter of page {page!r}")
        out[key] = p.parse(str(value)) if p.state is not None else str(value)
    return out


# --- in a Streamlit run -------------------------------------------------------------------------

def _incoming() -> dict[str, str] | None:
    """The URL's parameters when they are a link new to this session (a first visit, a pasted
    or edited link, a card), else None (the URL is the one the app wrote, or empty after visiting
    another page)."""
    params = st.query_params.to_dict()
    seen = st.session_state.get(_K_SEEN)
    if seen is not None and (tuple(sorted(params.items())) == seen or not params):
        return None
    return params


def put_view(view: View, keys_named: frozenset[str] | set[str] = frozenset(VIEW_KEYS)) -> None:
    """A view (or the part of it a link names) into the sidebar widgets, before they are drawn."""
    if "vintage" in keys_named:
        keep.put(K_VINTAGE, view.vintage)
    if keys_named & {"level", "area"}:
        keep.put(K_LEVEL, view.level)
        if view.area:
            keep.put(K_AREA, view.area)
    if "shade" in keys_named:
        keep.put(K_SHADE, view.shade)
    if "basemap" in keys_named:
        keep.put(K_BASEMAP, view.basemap)


def apply(page: str, area_exists: Callable[[str, str, str], bool]) -> Link | None:
    """Set the controls a link new to this session names (before they are drawn); the link, or None
    when the URL is the app's own. Its problems are kept for ``problems``."""
    raw = _incoming()
    if raw is None:
        return None
    found, problems = parse(raw, page, area_exists)
    if found.view is not None:
        put_view(found.view, found.view_keys)
    for key, text in found.values.items():
        keep.put(BY_KEY[key].state, BY_KEY[key].to_state(text))
    if found.values.get("focus", NO_FOCUS) != NO_FOCUS:  # a focus selects its own family
        keep.put(K_FAMILY, clinical.FOCI[found.values["focus"]].family)
    if found.target is not None:
        target.put(found.target)
    st.session_state[_K_SEEN] = tuple(sorted(raw.items()))
    st.session_state[_K_PROBLEMS] = (problems, None)
    return found


def problems(view: View | None) -> list[str]:
    """The last link's problems while the page still shows the view it fell back to (they go
    once the user picks another view)."""
    found, shown_for = st.session_state.get(_K_PROBLEMS, ([], None))
    if view is None:  # a page without a view: say it once
        st.session_state[_K_PROBLEMS] = ([], None)
        return found
    if shown_for is None:
        st.session_state[_K_PROBLEMS] = (found, view_params(view))
        return found
    return found if view_params(view) == shown_for else []


def _values(page: str) -> dict[str, str | None]:
    """The current widget values of a page's parameters, as URL texts."""
    return {p.key: p.from_state(keep.get(p.state)) for p in PARAMS if p.state is not None and page in p.pages}


def current(page: str, view: View | None, extra: Mapping[str, str] | None = None, *,
            explicit: bool) -> dict[str, str]:
    """The parameters of what the page shows now (``extra``: a page's own, e.g. the shown plan)."""
    spec = target.current() if page in BY_KEY["tb"].pages else None
    return write(page, view, _values(page), spec, extra, explicit=explicit)


def sync(page: str, view: View | None, extra: Mapping[str, str] | None = None) -> None:
    """The address bar follows the page (defaults left out); only when it changed, to avoid needless
    history entries. The URL is then marked as the app's own, so ``apply`` does not read it back."""
    wanted = current(page, view, extra, explicit=False)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    st.session_state[_K_SEEN] = tuple(sorted(wanted.items()))


def page_base_url() -> str:
    """The page's own address without its query, when the browser told us (else "")."""
    try:
        url = st.context.url
    except AttributeError:
        return ""
    return url.split("?")[0] if url else ""


def share_url(page: str, view: View | None, extra: Mapping[str, str] | None = None) -> str:
    """The share link of what the page shows: every parameter written out."""
    return f"{page_base_url()}?{urlencode(current(page, view, extra, explicit=True))}"


def share_box(container, url: str, caption: str = "Link to this view", *, fold: bool = False) -> str:
    """Show a copyable link (the whole link in a code box with its copy button); returns it.

    ``fold``: the box sits in a popover labelled ``caption`` and is drawn only when the user opens it.
    Every page's sidebar link is folded: a shown code box makes the browser load and set up
    Streamlit's syntax highlighter (a 1.56 MB script, ~0.3 s of a first visit's main thread) before
    anyone asked for the link; the address bar holds the view too."""
    if fold:
        with container.popover(caption, icon=":material/link:", width="stretch"):
            st.code(url, language=None, wrap_lines=True)
        return url
    container.caption(caption)
    container.code(url, language=None, wrap_lines=True)
    return url


def page_link(page: str, label: str, params: Mapping[str, str], icon: str | None = None) -> None:
    """A link to another page of the app carrying ``params`` (from ``preset``)."""
    st.page_link(pages.get(page).script or "app.py", label=label, icon=icon, query_params=dict(params))
