"""Reusable sidebar widgets: vintage, level and area pickers, shading, basemap, share link.

Every widget keeps its value in ``st.session_state`` under a ``gc20_*`` key, so all
pages share the current view, and ``view_controls`` keeps the URL in step with it
(share links, see ``ui.state``).
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo_core20 import areas, schema
from geo_core20.errors import NotBuiltError
from geo_core20.maps import choropleth, styles
from geo_core20.ui import cache, focus, keep, present, state

K_VINTAGE, K_LEVEL, K_AREA = "gc20_vintage", "gc20_level", "gc20_area"
K_SHADE, K_BASEMAP, K_CORE20 = "gc20_shade", "gc20_basemap", "gc20_core20"
_K_URL_SEEN = "_gc20_url_seen"
_K_URL_PROBLEMS = "_gc20_url_problems"
_K_PREVIOUS = "_gc20_previous_area"


def area_label(code: str, name: str) -> str:
    return f"{name} ({code})"


def vintage_picker(container=None, key: str = K_VINTAGE) -> str:
    """IMD vintage: IoD2025 on LSOA 2021 (default) or IMD2019 on LSOA 2011."""
    c = container or st.sidebar
    return keep.widget(c.selectbox, "IMD vintage", list(schema.VINTAGES), key=key,
                       default=state.DEFAULT_VINTAGE, valid=schema.VINTAGES,
                       format_func=lambda v: schema.IMD_LABEL[v],
                       help="IoD2025 (published 30 Oct 2025) uses 2021 LSOAs; IMD2019 uses 2011 LSOAs.")


def level_picker(container=None, key: str = K_LEVEL, levels: tuple[str, ...] = schema.LEVELS) -> str:
    c = container or st.sidebar
    return keep.widget(c.selectbox, "Geography level", list(levels), key=key, default=levels[0], valid=levels,
                       format_func=lambda lv: schema.LEVEL_LABEL[lv])


def best_match(atlas: pd.DataFrame, from_level: str | None, from_area: str | None,
               to_level: str) -> str | None:
    """The area of ``to_level`` holding most LSOAs of the previous selection (None if none)."""
    if to_level == "england" or from_level is None:
        return None
    code_col = schema.LEVEL_COLUMNS[to_level][0]
    try:
        rows = atlas.loc[areas.mask(atlas, from_level, from_area), code_col]
    except areas.AreaError:
        return None
    return None if rows.empty else str(rows.value_counts().index[0])


def area_picker(atlas: gpd.GeoDataFrame | pd.DataFrame, level: str, *, container=None, key: str = K_AREA,
                label: str | None = None, areas_table: pd.DataFrame | None = None) -> str | None:
    """Searchable select of the areas of ``level`` shown as "name (code)"; None for England.

    Type part of a name or a GSS code to filter. When the stored choice is not an area of
    this level (the level or vintage changed), the area containing most of the previous
    selection's LSOAs is chosen, so switching ICB -> local authority stays in the same place.
    """
    c = container or st.sidebar
    if level == "england":
        c.selectbox(label or "Area", ["England"], disabled=True, key=f"{key}_england",
                    help="Choose a geography level to pick an area.")
        return None
    table = areas_table if areas_table is not None else areas.list_areas(atlas, level)
    codes = table["area_code"].tolist()
    names = dict(zip(table["area_code"], table["area_name"], strict=True))
    current = keep.get(key)
    if current not in names:
        prev = st.session_state.get(_K_PREVIOUS)
        guess = best_match(atlas, *prev, level) if prev else None
        if guess not in names and current is not None:
            # same name in another vintage (codes can differ between LSOA 2011 and 2021 lookups)
            old_name = st.session_state.get(f"{key}_name")
            guess = next((cd for cd, nm in names.items() if nm == old_name), None)
        keep.put(key, guess if guess in names else codes[0])
    choice = keep.widget(c.selectbox, label or f"{schema.LEVEL_LABEL[level]}", codes, key=key,
                         default=codes[0], valid=names,
                         format_func=lambda cd: area_label(cd, names.get(cd, cd)),
                         help="Type a name or a GSS code to search.")
    st.session_state[f"{key}_name"] = names.get(choice)
    return choice


def shade_picker(container=None, key: str = K_SHADE) -> str:
    c = container or st.sidebar
    return keep.widget(c.selectbox, "Shade LSOAs by", list(styles.SHADINGS), key=key,
                       default=state.DEFAULT_SHADE, valid=styles.SHADINGS,
                       format_func=lambda s: styles.SHADINGS[s],
                       help="National deciles (1 = most deprived 10% in England) or the IMD score.")


def basemap_picker(container=None, key: str = K_BASEMAP) -> str:
    c = container or st.sidebar
    return keep.widget(c.selectbox, "Basemap", list(choropleth.BASEMAPS), key=key,
                       default=state.DEFAULT_BASEMAP, valid=choropleth.BASEMAPS,
                       format_func=lambda b: choropleth.BASEMAPS[b],
                       help="Online tiles need internet access; the default works offline.")


def _put_view(view: state.View) -> None:
    """A link's view into the sidebar widgets (before they are drawn)."""
    keep.put(K_VINTAGE, view.vintage)
    keep.put(K_LEVEL, view.level)
    if view.area:
        keep.put(K_AREA, view.area)
    keep.put(K_SHADE, view.shade)
    keep.put(K_BASEMAP, view.basemap)


def new_link_params() -> dict[str, str] | None:
    """The URL's parameters when they are a link new to this session (a first visit, a pasted
    or edited link), else None (the URL is the one the app wrote, or empty after visiting
    another page). Call before ``view_controls``, which marks the URL as seen."""
    params = st.query_params.to_dict()
    seen = st.session_state.get(_K_URL_SEEN)
    if seen is not None and (tuple(sorted(params.items())) == seen or not params):
        return None
    return params


def seed_from_url(area_exists: Callable[[str, str, str], bool]) -> list[str]:
    """Put the URL's view into the widgets' state when the URL is new to this session.

    On a session's first run the URL decides (no parameters = England). Later, a URL with
    parameters the page did not write itself (a pasted or edited link) decides again; an
    empty URL (after visiting another page) restores the session's last view. Returns the
    problems found in the URL, which the page shows as a warning.
    """
    params = new_link_params()
    if params is None:  # the widgets keep their values (ui.keep), also across pages
        return st.session_state.get(_K_URL_PROBLEMS, ([], {}))[0]
    view, problems = state.parse_view(params, area_exists)
    _put_view(view)
    st.session_state[_K_URL_SEEN] = tuple(sorted(params.items()))
    # the problems stay on screen while the page still shows the fallback view
    st.session_state[_K_URL_PROBLEMS] = (problems, state.view_params(view))
    return problems


def sync_url(view: state.View, extra: dict[str, str] | None = None) -> None:
    """Write the view (plus a page's own ``extra`` parameters) to the URL.

    Only when it changed, to avoid needless history entries; the URL is then marked as the
    page's own so `seed_from_url` does not read it back as a pasted link.
    """
    wanted = {**state.view_params(view), **(extra or {}), **focus.params(), **present.params()}
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    st.session_state[_K_URL_SEEN] = tuple(sorted(wanted.items()))


def sync_query(params: dict[str, str]) -> None:
    """Write exactly ``params`` to the URL of a page without a view, marked as the app's own."""
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state[_K_URL_SEEN] = tuple(sorted(params.items()))


def _area_exists(vintage: str, level: str, code: str) -> bool:
    if not cache.atlas_available(vintage):
        return False
    return code in set(cache.list_areas_cached(vintage, level)["area_code"])


def view_controls(container=None, *, with_shading: bool = True) -> tuple[state.View, bool, list[str]]:
    """The explorer's sidebar: returns (view, core20 outline on, URL problems).

    Reads the URL on a session's first run, keeps it in step afterwards.
    """
    c = container or st.sidebar
    problems = seed_from_url(_area_exists)
    vintage = vintage_picker(c)
    if not cache.atlas_available(vintage):
        other = next((v for v in schema.VINTAGES if v != vintage and cache.atlas_available(v)), None)
        if other is None:
            raise NotBuiltError("The LSOA atlas is not built yet. Run `python -m geo_core20 data build` "
                                "(or `make data`), then reload this page.")
        problems = [*problems, f"The {schema.IMD_LABEL[vintage]} atlas is not built; showing "
                               f"{schema.IMD_LABEL[other]}."]
        vintage = other
    atlas = cache.load_atlas_cached(vintage)  # a damaged cache raises CacheError: the page frame shows it
    level = level_picker(c)
    area = area_picker(atlas, level, container=c, areas_table=cache.list_areas_cached(vintage, level))
    st.session_state[_K_PREVIOUS] = (level, area)
    shade = shade_picker(c) if with_shading else state.DEFAULT_SHADE
    core20 = keep.widget(c.toggle, "Outline Core20 LSOAs", key=K_CORE20, default=True,
                         help=schema.CORE20_DEFINITION)
    basemap = basemap_picker(c)
    view = state.View(vintage=vintage, level=level, area=area, shade=shade, basemap=basemap)
    sync_url(view)
    shown_for = st.session_state.get(_K_URL_PROBLEMS, ([], {}))[1]
    if problems and state.view_params(view) != shown_for:
        problems = [p for p in problems if "atlas is not built" in p]  # the user has moved on
    return view, bool(core20), problems


def page_base_url() -> str:
    """The page's own address without its query, when the browser told us (else "")."""
    try:
        url = st.context.url
    except AttributeError:
        return ""
    return url.split("?")[0] if url else ""


def share_link(target: state.View | dict[str, str], container=None,
               caption: str = "Link to this view") -> str:
    """Show a copyable link to a view (or a page's full parameters); returns it."""
    c = container or st.sidebar
    link = state.share_url(target, page_base_url())
    c.caption(caption)
    c.code(link, language=None, wrap_lines=True)
    return link


def page_icon():
    """A small favicon drawn here: Streamlit's ":material/...:" page icons are fetched from
    a Google font server, and the app must make no request outside itself."""
    from PIL import Image, ImageDraw

    from geo_core20.maps.palette import DECILE_COLOURS, WHITE

    img = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    for i, colour in enumerate((DECILE_COLOURS[0], DECILE_COLOURS[3], DECILE_COLOURS[6], DECILE_COLOURS[9])):
        x, y = (i % 2) * 16, (i // 2) * 16
        draw.rectangle([x, y, x + 15, y + 15], fill=colour)
    draw.rectangle([1, 1, 14, 14], outline=WHITE, width=2)
    return img
