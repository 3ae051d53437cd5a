"""Reusable sidebar widgets: vintage, level and area pickers, shading, basemap.

Every widget keeps its value in ``st.session_state`` under a ``gc20_*`` key (``ui.keep``), so all
pages share the current view; the URL follows it through ``ui.link``, which owns the keys a link sets.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo_core20 import areas, schema
from geo_core20.errors import NotBuiltError
from geo_core20.maps import choropleth, styles
from geo_core20.ui import cache, keep, link
from geo_core20.ui.link import K_AREA, K_BASEMAP, K_CORE20, K_LEVEL, K_SHADE, K_VINTAGE

_K_PREVIOUS = "_gc20_previous_area"


def area_label(code: str, name: str) -> str:
    return f"{name} ({code})"


def vintage_picker(container=None, key: str = K_VINTAGE) -> str:
    """IMD vintage: IoD2025 on LSOA 2021 (default) or IMD2019 on LSOA 2011."""
    c = container or st.sidebar
    return keep.widget(c.selectbox, "IMD vintage", list(schema.VINTAGES), key=key,
                       default=link.DEFAULT_VINTAGE, valid=schema.VINTAGES,
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
                       default=link.DEFAULT_SHADE, valid=styles.SHADINGS,
                       format_func=lambda s: styles.SHADINGS[s],
                       help="National deciles (1 = most deprived 10% in England) or the IMD score.")


def basemap_picker(container=None, key: str = K_BASEMAP) -> str:
    c = container or st.sidebar
    return keep.widget(c.selectbox, "Basemap", list(choropleth.BASEMAPS), key=key,
                       default=link.DEFAULT_BASEMAP, valid=choropleth.BASEMAPS,
                       format_func=lambda b: choropleth.BASEMAPS[b],
                       help="Online tiles need internet access; the default works offline.")


def area_exists(vintage: str, level: str, code: str) -> bool:
    if not cache.atlas_available(vintage):
        return False
    return code in set(cache.list_areas_cached(vintage, level)["area_code"])


def view_controls(container=None, *, with_shading: bool = True) -> tuple[link.View, bool, list[str]]:
    """The view sidebar: returns (view, core20 outline on, problems: an atlas not built).

    A new link has set the widgets before (``ui.link.apply``); the page writes the URL after.
    """
    c = container or st.sidebar
    problems: list[str] = []
    vintage = vintage_picker(c)
    if not cache.atlas_available(vintage):
        other = next((v for v in schema.VINTAGES if v != vintage and cache.atlas_available(v)), None)
        if other is None:
            raise NotBuiltError("The LSOA atlas is not built yet. Run `python -m geo_core20 data build` "
                                "(or `make data`), then reload this page.")
        problems = [f"The {schema.IMD_LABEL[vintage]} atlas is not built; showing {schema.IMD_LABEL[other]}."]
        vintage = other
    atlas = cache.load_atlas_cached(vintage)  # a damaged cache raises CacheError: the page frame shows it
    level = level_picker(c)
    area = area_picker(atlas, level, container=c, areas_table=cache.list_areas_cached(vintage, level))
    st.session_state[_K_PREVIOUS] = (level, area)
    shade = shade_picker(c) if with_shading else link.DEFAULT_SHADE
    core20 = keep.widget(c.toggle, "Outline Core20 LSOAs", key=K_CORE20, default=True,
                         help=schema.CORE20_DEFINITION)
    basemap = basemap_picker(c)
    view = link.View(vintage=vintage, level=level, area=area, shade=shade, basemap=basemap)
    return view, bool(core20), problems


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
