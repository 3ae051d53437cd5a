"""The app's caches: every Streamlit cache lives here or in ``ui.plus_cache`` (the PLUS page's).

Streamlit reruns the whole script on each widget change, so anything slow is cached, by ONE
policy (tests/test_cache_policy.py checks it):

1. **The core memoises one way: functools** (``lru_cache`` / ``cache``) on hashable arguments,
   e.g. ``atlas.load_atlas`` (the atlas per vintage), ``maps.view.level_outlines``, the national
   score breaks. A frame argument is keyed by its identity or content through a small hashable
   wrapper (``maps.national._Frame``, ``maps.styles._Scores``), never by a hand-made dict.
2. **Streamlit caches only in the ui cache modules** (this one and ``ui.plus_cache``), and
   never around a core function that is already memoised: those are called as they are
   (``load_atlas_cached`` below is the core's cache, not a second one).
   ``st.cache_resource`` holds shared, read-only objects (area frames, built maps: one copy for
   all sessions); ``st.cache_data`` holds values copied per session (tables, bytes, results).
3. **Pages, forms and panels hold no cache**: they call the functions here. A session's own
   data (uploads, a plan) is drawn through ``session_map``, kept in that session's state only.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from geo_core20 import (
    access,
    areas,
    atlas,
    change,
    clinical,
    plan_files,
    plus,
    schema,
    siting,
    tables,
    venues,
)
from geo_core20.exports import charts, formats, print_maps, report
from geo_core20.exports import profile as area_profile
from geo_core20.lsoa_filter import UNFILTERED, TableFilter
from geo_core20.maps import assets, change_maps, export, plus_maps, styles, upload_maps, view
from geo_core20.ui import map_display

# --- core loaders (memoised by the core: called as they are) -----------------------------------------


def load_atlas_cached(vintage: str) -> gpd.GeoDataFrame:
    """The atlas of a vintage: ``atlas.load_atlas``, read once per process (treat as read-only)."""
    return atlas.load_atlas(vintage)


def display_geometry_cached(vintage: str) -> gpd.GeoSeries:
    """The simplified map geometry: ``atlas.load_display_geometry`` (memoised by the core)."""
    return atlas.load_display_geometry(vintage)


def sites_cached() -> pd.DataFrame:
    """NHS service sites: ``atlas.load_sites`` (memoised by the core)."""
    return atlas.load_sites()


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
def comparison_cached(vintage: str, level: str, area_code: str | None) -> pd.DataFrame:
    """`areas.comparison`: the area, its parent area and England (summary rows, scope, role)."""
    return areas.comparison(load_atlas_cached(vintage), level, area_code)


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
def filtered_table_cached(vintage: str, level: str, area_code: str | None,
                          flt: TableFilter = UNFILTERED) -> pd.DataFrame:
    """The rows of the view's LSOA table that the explorer's table filter lets through."""
    return flt.apply(lsoa_table_cached(vintage, level, area_code))


def _lsoa_download(vintage: str, level: str, area_code: str | None,
                   flt: TableFilter) -> tuple[pd.DataFrame, list[str]]:
    """The rows the explorer's table shows and the download's notes (its filter named)."""
    notes = [flt.describe(), atlas.WARD_NOTE[vintage], *view.attribution_lines(vintage)]
    return filtered_table_cached(vintage, level, area_code, flt), notes


@st.cache_data(show_spinner=False, max_entries=32)
def csv_bytes_cached(vintage: str, level: str, area_code: str | None, flt: TableFilter = UNFILTERED) -> bytes:
    """The view's LSOA table as CSV: the rows the table shows, its filter named in the notes."""
    return tables.to_csv(*_lsoa_download(vintage, level, area_code, flt))


@st.cache_data(show_spinner=False, max_entries=8)
def xlsx_bytes_cached(vintage: str, level: str, area_code: str | None,
                      flt: TableFilter = UNFILTERED) -> bytes:
    """The Excel twin of `csv_bytes_cached` (built when its button is clicked)."""
    return tables.to_xlsx(*_lsoa_download(vintage, level, area_code, flt))


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


# --- clinical focus and accelerator sites ---------------------------------------------------------------

@st.cache_data(show_spinner="Estimating the focus figures…", max_entries=64)
def focus_compare_cached(vintage: str, level: str, area: str | None, focus: str) -> pd.DataFrame:
    return clinical.focus_compare(load_atlas_cached(vintage), focus, level, area)


@st.cache_resource(show_spinner="Drawing the map…", max_entries=32)
def focus_layer_map_cached(vintage: str, level: str, area: str | None, focus: str, layer: str, basemap: str,
                           core20_on: bool) -> map_display.CachedMap:
    national = clinical.focus_layer(load_atlas_cached(vintage), focus, layer)
    sub = area_atlas_cached(vintage, level, area)
    title = f"{national.label} ({national.unit})"
    values = national.values.loc[sub.index]
    return map_display.prepare(upload_maps.upload_map(
        vintage, level, area, values, title, basemap=basemap, core20_on=core20_on, national=national.values,
        style=plus_maps.focus_style(national.values, title, focus)))


@st.cache_data(show_spinner="Estimating the accelerator figures…")
def key_numbers_cached(accelerator_id: str) -> dict:
    return clinical.key_numbers(load_atlas_cached("2025"), accelerator_id)


# --- Core20 then and now (IMD2019 to IoD2025; the core memoises the England change frame) ----------------

@st.cache_data(show_spinner="Comparing IMD2019 with IoD2025…", max_entries=64)
def change_figures_cached(level: str, area: str | None) -> dict:
    """``change.area_change``: the area's figures (``change.COLUMNS`` less code and name)."""
    return change.area_change(level, area)


@st.cache_data(show_spinner=False, max_entries=64)
def change_table_cached(level: str, area: str | None) -> pd.DataFrame:
    return change.lsoa_table(level, area)


@st.cache_resource(show_spinner="Drawing the map…", max_entries=32)
def change_map_cached(level: str, area: str | None, basemap: str, core20_on: bool,
                      kind: str) -> map_display.CachedMap:
    return map_display.prepare(change_maps.change_map(level, area, basemap, core20_on, kind))


# --- outreach planner ------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=64)
def sites_in_area_cached(vintage: str, level: str, area: str | None, types: tuple[str, ...]) -> pd.DataFrame:
    """Sites of ``types`` located in the area (all of England: every site)."""
    typed = sites_cached()[lambda s: s["site_type"].isin(list(types))]
    if level != "england":
        typed = siting.sites_in_area(typed, area_atlas_cached(vintage, level, area))
    return pd.DataFrame(typed.drop(columns="geometry"))


@st.cache_resource(show_spinner="Reading the Devon example…", max_entries=2)
def devon_example_cached(mode: str) -> plan_files.Example:
    """The HSMA Devon example's files read (``plan_files.devon_example``; shared, read-only)."""
    return plan_files.devon_example(load_atlas_cached("2025"), mode)


def retailers_cached() -> list[str]:
    """Supermarket retailers, most stores first (``venues.supermarkets`` is memoised by the core)."""
    return venues.retailers(venues.supermarkets())


def libraries_not_located_cached() -> pd.DataFrame:
    """Open static libraries whose postcode could not be located (``venues.libraries`` is memoised by the
    core): name, address, postcode, authority, why."""
    return venues.libraries().not_located


@st.cache_data(show_spinner="Finding supermarkets and libraries…", max_entries=16)
def venue_layer_cached(vintage: str, level: str, area: str | None) -> pd.DataFrame:
    """Supermarkets and open static libraries in the area, as a sites layer (site_type: their label)."""
    frame = area_atlas_cached(vintage, level, area)
    out = [venues.venues_in_area(kind, frame).assign(site_type=label)
           for kind, label in venues.VENUE_KINDS.items()]
    return pd.concat(out, ignore_index=True)


@st.cache_data(show_spinner="Finding venues in the area…", max_entries=32)
def venue_candidates_cached(vintage: str, level: str, area: str | None, kind: str,
                            retailers: tuple[str, ...]) -> pd.DataFrame:
    """Venues of ``kind`` (supermarkets of ``retailers``, all when empty) in the area, as candidates."""
    area_frame = area_atlas_cached(vintage, level, area)
    return venues.venue_candidates({kind: ",".join(retailers) or None}, area_frame)


@st.cache_data(show_spinner="Measuring distances to the nearest site…", max_entries=32)
def access_cached(vintage: str, level: str, area: str | None, types: tuple[str, ...], target_key: str,
                  radius_km: float) -> access.AccessResult:
    """``siting.existing_access``: the area's distances to the nearest site of ``types``."""
    return siting.existing_access(vintage, level, area, siting.target_from_key(target_key), types, radius_km,
                                  atlas_frame=load_atlas_cached(vintage))


# --- print and present files (built when their button is pressed) ----------------------------------------

@st.cache_data(show_spinner="Drawing the print map…", max_entries=32)
def view_map_bytes(vintage: str, level: str, area: str | None, shade: str, core20: bool, fmt: str) -> bytes:
    fig = print_maps.explorer_map(print_maps.print_view(vintage, level, area, shade, core20))
    return formats.figure_bytes(fig.figure, fmt)


@st.cache_data(show_spinner="Writing the report…", max_entries=16)
def report_file(vintage: str, level: str, area: str | None, shade: str, focus_id: str | None,
                fmt: str, plan_id: str | None = None) -> bytes:
    """The profile or deck; ``plan_id``: the saved plan to include (None: no plan). The id is part of
    the cache key, so a newly saved plan never meets a deck cached before it."""
    prof = area_profile.build_profile(vintage, level, area, shade=shade, focus=focus_id, plan=plan_id)
    return report.report_bytes(prof, fmt)


@st.cache_data(show_spinner=False, max_entries=32)
def decile_chart_bytes(vintage: str, level: str, area: str | None, area_name: str, fmt: str) -> bytes:
    prof = charts.profile_frame(load_atlas_cached(vintage), level, area)
    return charts.decile_profile_chart(prof, area_name, fmt, england_ticks=level != "england")


@st.cache_data(show_spinner="Drawing the print map…", max_entries=16)
def plan_map_bytes(plan: dict, fmt: str) -> bytes:
    return formats.figure_bytes(print_maps.plan_map(print_maps.plan_view(plan), plan).figure, fmt)


@st.cache_data(show_spinner="Drawing the print map…", max_entries=16)
def target_map_bytes(vintage: str, level: str, area: str | None, tokens: tuple, fmt: str) -> bytes:
    spec = plus.TargetSpec.from_query_params(dict(tokens)) or plus.TargetSpec()
    vd = print_maps.print_view(vintage, level, area)
    return formats.figure_bytes(print_maps.target_map(vd, spec).figure, fmt)


@st.cache_data(show_spinner="Drawing the print map…", max_entries=16)
def focus_map_bytes(vintage: str, level: str, area: str | None, focus_id: str, layer: str, fmt: str) -> bytes:
    vd = print_maps.print_view(vintage, level, area)
    return formats.figure_bytes(print_maps.focus_map(vd, focus_id, layer).figure, fmt)


@st.cache_data(show_spinner="Drawing the print map…", max_entries=16)
def change_map_bytes(level: str, area: str | None, kind: str, fmt: str) -> bytes:
    vd = print_maps.print_view(change.NEW, level, area)
    return formats.figure_bytes(print_maps.change_map(vd, kind).figure, fmt)


# --- a session's own maps ---------------------------------------------------------------------------------

def session_map(slot: str, key: object,
                build: Callable[[], view.ViewMap | folium.Map]) -> map_display.CachedMap:
    """A map of this session's own data (uploads, a plan), built and rendered only when ``key`` changes.

    Kept in this session's state (one map per ``slot``), never shared: maps that are the same for
    every session are built in the ``st.cache_resource`` functions here instead.
    """
    held = st.session_state.get(f"_gc20_map_{slot}")
    if held is not None and held[0] == key:
        return held[1]
    with st.spinner("Drawing the map…"):
        cached = map_display.prepare(build())
    st.session_state[f"_gc20_map_{slot}"] = (key, cached)
    return cached


# --- warming up ------------------------------------------------------------------------------------------

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
    with _WARM_LOCK:
        if vintage in _WARM_STARTED:
            return None
        _WARM_STARTED.add(vintage)
    thread = threading.Thread(target=_warm_logged, args=(vintage,), name=f"gc20-warm-{vintage}", daemon=True)
    thread.start()
    if wait:
        thread.join()
    return thread


_WARM_LOCK = threading.Lock()
_WARM_STARTED: set[str] = set()  # vintages whose warm-up has started in this process
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
