"""Streamlit-only helpers shared by the pages: cached loaders, share-link state, widgets.

    from geo_core20 import ui
    view, core20, problems = ui.view_controls()      # sidebar + URL sync
    atlas = ui.load_atlas_cached(view.vintage)
    code = ui.area_picker(atlas, "icb")              # a searchable area select on its own

Nothing outside this package imports Streamlit.
"""

from __future__ import annotations

from geo_core20.ui.cache import (
    access_cached,
    area_atlas_cached,
    area_summary,
    area_title,
    assets_ready,
    atlas_available,
    csv_bytes_cached,
    decile_profile_cached,
    display_geometry_cached,
    filtered_table_cached,
    geojson_bytes_cached,
    key_numbers_cached,
    list_areas_cached,
    load_atlas_cached,
    lsoa_table_cached,
    map_html_cached,
    session_map,
    sites_cached,
    sites_in_area_cached,
    summary_cached,
    target_map_bytes,
    view_map_cached,
    warm_caches,
    xlsx_bytes_cached,
)
from geo_core20.ui.link import View, parse_view, view_params
from geo_core20.ui.map_display import show_map
from geo_core20.ui.widgets import (
    area_picker,
    basemap_picker,
    level_picker,
    page_icon,
    shade_picker,
    view_controls,
    vintage_picker,
)

__all__ = [
    "View", "access_cached", "area_atlas_cached", "area_picker", "area_summary", "area_title",
    "assets_ready", "atlas_available", "basemap_picker", "csv_bytes_cached", "decile_profile_cached",
    "display_geometry_cached", "filtered_table_cached", "geojson_bytes_cached", "key_numbers_cached",
    "level_picker", "list_areas_cached", "load_atlas_cached", "lsoa_table_cached", "map_html_cached",
    "page_icon", "parse_view", "session_map", "shade_picker", "show_map",
    "sites_cached", "sites_in_area_cached", "summary_cached", "target_map_bytes",
    "view_controls", "view_map_cached", "view_params", "vintage_picker", "warm_caches",
    "xlsx_bytes_cached",
]
