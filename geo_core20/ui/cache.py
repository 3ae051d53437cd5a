"""Cached loaders shared by every page.

Streamlit reruns the whole script on each widget change: the atlas and every map piece
are cached here so a change of shading or area never reloads data from disk.
``st.cache_resource`` holds shared, read-only objects (atlas frames, built maps);
``st.cache_data`` holds small values that are copied per session (tables, bytes).
"""

from __future__ import annotations

import threading

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo_core20 import areas, atlas, schema
from geo_core20.maps import assets, export, styles, view
from geo_core20.ui import mapview


@st.cache_resource(show_spinner="Loading the LSOA atlas…")
def load_atlas_cached(vintage: str) -> gpd.GeoDataFrame:
    """The atlas of a vintage, loaded once per server process (treat as read-only)."""
    return atlas.load_atlas(vintage)


@st.cache_resource(show_spinner=False)
def display_geometry_cached(vintage: str) -> gpd.GeoSeries:
    return atlas.load_display_geometry(vintage)


def atlas_available(vintage: str) -> bool:
    return atlas.atlas_path(vintage).exists() and atlas.display_path(vintage).exists()


@st.cache_resource(show_spinner=False, max_entries=64)
def area_atlas_cached(vintage: str, level: str, area: str | None) -> gpd.GeoDataFrame:
    """The area's LSOAs (shared, read-only: one copy per area for all sessions)."""
    atlas = load_atlas_cached(vintage)
    return atlas[areas.mask(atlas, level, area).to_numpy()]


def area_title(vintage: str, level: str, area: str | None) -> str:
    """"England" or the area's name."""
    return areas.area_name(load_atlas_cached(vintage), level, area)


@st.cache_data(show_spinner=False)
def list_areas_cached(vintage: str, level: str) -> pd.DataFrame:
    """Areas of a level (area_code, area_name), sorted by name."""
    return areas.list_areas(load_atlas_cached(vintage), level)


@st.cache_data(show_spinner=False)
def summary_cached(vintage: str, level: str) -> pd.DataFrame:
    """`areas.summary` for a level: the same figures as `python -m geo_core20 summary`."""
    return areas.summary(load_atlas_cached(vintage), level)


def area_summary(vintage: str, level: str, area_code: str | None) -> dict:
    """One area's row of `summary_cached` as a dict."""
    table = summary_cached(vintage, level)
    code = schema.ENGLAND_CODE if level == "england" else area_code
    row = table.loc[table["area_code"] == code]
    if row.empty:
        raise areas.AreaError(f"no {schema.LEVEL_LABEL[level]} with code {area_code!r}")
    return row.iloc[0].to_dict()


@st.cache_data(show_spinner=False)
def decile_profile_cached(vintage: str, level: str, area_code: str | None) -> pd.DataFrame:
    gdf = load_atlas_cached(vintage)
    return areas.decile_profile(gdf[areas.mask(gdf, level, area_code)])


@st.cache_data(show_spinner=False)
def parent_cached(vintage: str, level: str, area_code: str | None) -> tuple[str, str | None] | None:
    return areas.parent(load_atlas_cached(vintage), level, area_code)


@st.cache_resource(show_spinner="Drawing the map…", max_entries=48)
def view_map_cached(vintage: str, level: str, area_code: str | None, shade: str, core20_outline: bool,
                    basemap: str) -> mapview.CachedMap:
    """The built and rendered map of a view, shared by all sessions; show it with ``ui.show_map``.

    Do not render ``.vm.map`` again (streamlit-folium's rendering renames its elements);
    build a fresh map with ``maps.view.build_view_map`` for anything else.
    """
    load_atlas_cached(vintage)  # make sure the atlas load shows its own spinner first
    vm = view.build_view_map(vintage, level, area_code, shade, core20_outline=core20_outline, basemap=basemap)
    return mapview.prepare(vm)


@st.cache_data(show_spinner=False)
def lsoa_table_cached(vintage: str, level: str, area_code: str | None) -> pd.DataFrame:
    return view.lsoa_table(vintage, level, area_code)


@st.cache_data(show_spinner=False, max_entries=32)
def csv_bytes_cached(vintage: str, level: str, area_code: str | None) -> bytes:
    return export.lsoa_csv(lsoa_table_cached(vintage, level, area_code), view.attribution_lines(vintage))


@st.cache_data(show_spinner=False, max_entries=16)
def geojson_bytes_cached(vintage: str, level: str, area_code: str | None) -> bytes:
    gdf = load_atlas_cached(vintage)
    return export.lsoa_geojson(gdf[areas.mask(gdf, level, area_code)], view.attribution_lines(vintage))


@st.cache_data(show_spinner=False, max_entries=16)
def map_html_cached(vintage: str, level: str, area_code: str | None, shade: str, core20_outline: bool,
                    basemap: str) -> bytes:
    vm = view.build_view_map(vintage, level, area_code, shade, core20_outline=core20_outline, basemap=basemap,
                             standalone=True)
    return export.map_html(vm, view.attribution_lines(vintage)).encode("utf-8")


@st.cache_resource(show_spinner=False)
def _warm_started() -> dict:
    return {}


def warm_caches(vintage: str) -> None:
    """Dissolve area outlines for every level in a background thread (once per process).

    The first map of a level otherwise pays ~2 s for its outlines.
    """
    started = _warm_started()
    if started.get(vintage):
        return
    started[vintage] = True

    def work() -> None:
        # national IMD score breaks first: the first score map otherwise pays ~2 s
        # (mapclassify import + natural breaks over all LSOAs)
        styles.classes_for(schema.IMD_SCORE, atlas.load_atlas(vintage))
        for level in ("icb", "lad", "sub_icb", "region", "nhs_region"):
            view.level_outlines(vintage, level)

    threading.Thread(target=work, name=f"gc20-warm-{vintage}", daemon=True).start()


def assets_ready() -> bool:
    """True when the map JavaScript/CSS is installed in static/ (else the map would be blank)."""
    return assets.is_installed()
