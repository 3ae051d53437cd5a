"""Cached loaders shared by every page.

Streamlit reruns the whole script on each widget change: the atlas and every map piece
are cached here so a change of shading or area never reloads data from disk.
``st.cache_resource`` holds shared, read-only objects (atlas frames, built maps);
``st.cache_data`` holds small values that are copied per session (tables, bytes).
"""

from __future__ import annotations

import gc
import logging
import threading
import time

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo_core20 import areas, atlas, schema
from geo_core20.maps import assets, export, styles, view
from geo_core20.ui import map_display


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
                    basemap: str) -> map_display.CachedMap:
    """The built and rendered map of a view, shared by all sessions; show it with ``ui.show_map``.

    Do not render ``.vm.map`` again (streamlit-folium's rendering renames its elements);
    build a fresh map with ``maps.view.build_view_map`` for anything else.
    """
    load_atlas_cached(vintage)  # make sure the atlas load shows its own spinner first
    vm = view.build_view_map(vintage, level, area_code, shade, core20_outline=core20_outline, basemap=basemap)
    return map_display.prepare(vm)


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


WARM_LEVELS = ("icb", "lad", "sub_icb", "region", "nhs_region")


def warm_now(vintage: str) -> dict[str, float]:
    """Fill, in this thread, the caches every first visit needs; seconds per step.

    The same cached functions the pages call: atlas and display geometry, national IMD score
    breaks (~2 s: mapclassify import and natural breaks over all LSOAs), area lists, summaries
    and outlines of every level (~2 s), and the England map (national map geometry). Then
    ``gc.freeze()``: these long-lived objects leave the collector's generations, so the full
    collection Streamlit runs after every script run (``runner.postScriptGC``) no longer walks
    them; it was half of a new session's server CPU (profiled with py-spy, issue 13).
    """
    steps: dict[str, float] = {}

    def step(name: str, fn, *args) -> None:
        t0 = time.perf_counter()
        fn(*args)
        steps[name] = time.perf_counter() - t0

    step("atlas", load_atlas_cached, vintage)
    step("display_geometry", display_geometry_cached, vintage)
    step("score_breaks", styles.classes_for, schema.IMD_SCORE, load_atlas_cached(vintage))
    for level in WARM_LEVELS:
        step(f"areas_{level}", list_areas_cached, vintage, level)
        step(f"summary_{level}", summary_cached, vintage, level)
        step(f"outlines_{level}", view.level_outlines, vintage, level)
    step("england_map", view_map_cached, vintage, "england", None, schema.IMD_DECILE, True, "none")
    t0 = time.perf_counter()
    gc.collect()
    gc.freeze()
    steps["gc_freeze"] = time.perf_counter() - t0
    return steps


def warm_caches(vintage: str, *, wait: bool = False) -> threading.Thread | None:
    """Run ``warm_now(vintage)`` once per process, in a background thread (None when already
    started). Called by every page (so the first visitor's later clicks are quick) and, before
    anybody visits, by the launcher ``python -m geo_core20.serve``. ``wait`` joins the thread.
    """
    started = _warm_started()
    with _WARM_LOCK:
        if started.get(vintage):
            return None
        started[vintage] = True
    thread = threading.Thread(target=_warm_logged, args=(vintage,), name=f"gc20-warm-{vintage}", daemon=True)
    thread.start()
    if wait:
        thread.join()
    return thread


_WARM_LOCK = threading.Lock()
_LOG = logging.getLogger("geo_core20.warm")


def _warm_logged(vintage: str) -> None:
    t0 = time.perf_counter()
    try:
        steps = warm_now(vintage)
    except Exception:  # a failed warm-up only means the first visitor computes it (and sees any error)
        _LOG.exception("warming the caches of %s failed", vintage)
        return
    slow = ", ".join(f"{k} {v:.1f}s" for k, v in sorted(steps.items(), key=lambda kv: -kv[1])[:4])
    _LOG.info("caches of %s warm in %.1f s (%s)", vintage, time.perf_counter() - t0, slow)


def assets_ready() -> bool:
    """True when the map JavaScript/CSS is installed in static/ (else the map would be blank)."""
    return assets.is_installed()
