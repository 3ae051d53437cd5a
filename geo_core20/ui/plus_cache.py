"""The PLUS page's caches: computations and maps shared by every session (policy: ``ui.cache``).

Uploaded data enters only as the values themselves (``values_hotspots``), never as a layer."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo_core20 import hotspots, plus
from geo_core20.maps import plus_maps
from geo_core20.ui import cache, map_display


@st.cache_data(show_spinner=False, max_entries=64)
def national_values(vintage: str, indicator_id: str) -> pd.Series:
    """An indicator over all England (for national class breaks and comparisons)."""
    return plus.values(cache.load_atlas_cached(vintage), indicator_id)


def national_median(vintage: str, indicator_id: str) -> float:
    return float(national_values(vintage, indicator_id).astype(float).median())


@st.cache_data(show_spinner="Running Getis-Ord Gi*…", max_entries=32)
def hotspots_cached(vintage: str, level: str, area: str | None, indicator_id: str,
                    permutations: int) -> hotspots.HotspotResult:
    sub = cache.area_atlas_cached(vintage, level, area)
    return hotspots.gi_star(sub, plus.values(sub, indicator_id).astype(float), permutations=permutations,
                            indicator_label=plus.get(indicator_id).label,
                            area_label=cache.area_title(vintage, level, area))


@st.cache_data(show_spinner="Running Getis-Ord Gi*…", max_entries=16)
def values_hotspots(vintage: str, level: str, area: str | None, values: pd.Series, permutations: int,
                    label: str) -> hotspots.HotspotResult:
    """Gi* of a session's own values (an uploaded layer on the area's LSOAs), keyed by the values
    themselves: a rerun, a section switch or a page visit never recomputes it."""
    return hotspots.gi_star(cache.area_atlas_cached(vintage, level, area), values, permutations=permutations,
                            indicator_label=label, area_label=cache.area_title(vintage, level, area))


@st.cache_resource(show_spinner="Drawing the map…", max_entries=24)
def indicator_map(vintage: str, level: str, area: str | None, indicator_id: str, basemap: str,
                  core20_on: bool) -> tuple[map_display.CachedMap, pd.DataFrame]:
    """The map of one indicator at its own level, and the table behind it."""
    m, table = plus_maps.indicator_map(vintage, level, area, indicator_id, basemap, core20_on,
                                       national_values(vintage, indicator_id))
    return map_display.prepare(m), table


@st.cache_resource(show_spinner="Drawing the map…", max_entries=16)
def hotspot_map(vintage: str, level: str, area: str | None, indicator_id: str, permutations: int,
                basemap: str, core20_on: bool) -> map_display.CachedMap:
    result = hotspots_cached(vintage, level, area, indicator_id, permutations)
    label = plus.get(indicator_id).label
    return map_display.prepare(plus_maps.hotspot_map(vintage, level, area, result, label, basemap, core20_on))


@st.cache_resource(show_spinner="Evaluating the target…", max_entries=16)
def target(vintage: str, level: str, area: str | None, tokens: tuple, basemap: str,
           core20_on: bool) -> tuple[plus.TargetResult, map_display.CachedMap]:
    """Target and its map for a spec without uploaded layers (the same for every session)."""
    spec = plus.TargetSpec.from_query_params(dict(tokens)) or plus.TargetSpec()
    result = plus.evaluate(spec, cache.area_atlas_cached(vintage, level, area))
    return result, map_display.prepare(plus_maps.target_map(vintage, level, area, result, basemap, core20_on))


@st.cache_data(show_spinner="Counting Core20 residents aged 55-74 in lung health check areas…", max_entries=8)
def tlhc_coverage(level: str) -> pd.DataFrame:
    """``tlhc.coverage``: Core20 residents aged 55-74 inside and outside TLHC project areas per area."""
    from geo_core20 import tlhc

    return tlhc.coverage(level)
