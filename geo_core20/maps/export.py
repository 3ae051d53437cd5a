"""Downloads of areas: GeoJSON and a map as standalone HTML (tables: ``geo_core20.tables``).

Every download carries the attribution the data licences require, one line per licence holder
(``sources.merge_attribution``); HTML text is escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_core20 import schema, sources
from geo_core20.maps import assets, classify, palette
from geo_core20.safety import escape_html

GEOJSON_COLUMNS = (schema.LSOA_CODE, schema.LSOA_NAME, schema.IMD_DECILE, schema.IMD_RANK, schema.IMD_SCORE,
                   schema.CORE20, schema.POPULATION, *schema.DOMAIN_DECILES, "lad_code", "lad_name",
                   "sub_icb_code", "sub_icb_name", "icb_code", "icb_name", "region_code", "region_name",
                   "nhs_region_code", "nhs_region_name")


def to_geojson(frame: gpd.GeoDataFrame, attribution: Sequence[str], name: str = "geo_core20 LSOAs",
               decimals: int = 6) -> bytes:
    """A GeoDataFrame as a GeoJSON FeatureCollection (EPSG:4326) with ``name`` and ``attribution``
    members (RFC 7946 allows foreign members). Text stays data (JSON-escaped); missing values are
    null; coordinates and floats are rounded to ``decimals`` places (the atlas is ~1 m precise)."""
    out = frame.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        if pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype(bool)
        elif pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype("Int64").astype(object).where(out[col].notna(), None)
        else:  # floats and text: JSON null for missing
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    if out.crs is not None:
        out = out.to_crs(schema.CRS_WGS84)
    data = json.loads(out.to_json(drop_id=True, default=_json_scalar),
                      parse_float=lambda s: round(float(s), decimals))
    data["name"] = name
    data["attribution"] = sources.merge_attribution(attribution)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def lsoa_geojson(view: gpd.GeoDataFrame, attribution: Sequence[str], decimals: int = 6) -> bytes:
    """The LSOAs of a view (full atlas geometry) with the atlas fields as GeoJSON."""
    cols = [c for c in GEOJSON_COLUMNS if c in view.columns]
    frame = gpd.GeoDataFrame(view[cols].copy(), geometry=view.geometry.values, crs=view.crs)
    return to_geojson(frame, attribution, "geo_core20 LSOAs", decimals)


def _json_scalar(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


PANEL_WIDTH_PX = 300
_PAGE_CSS = (f"html,body{{margin:0;height:100%}}.folium-map{{position:absolute!important;left:0;top:0;"
             f"bottom:0;width:calc(100% - {PANEL_WIDTH_PX}px)!important;height:100%!important}}"
             f".gc20-panel{{position:absolute;right:0;top:0;bottom:0;width:{PANEL_WIDTH_PX - 24}px;"
             f"padding:12px;overflow:auto;background:{palette.PANEL_BACKGROUND};"
             f"border-left:1px solid {palette.RULE};"
             f"font:13px/1.4 system-ui,-apple-system,'Segoe UI',Arial,sans-serif;color:{palette.TEXT}}}"
             ".gc20-panel h1{font-size:15px;margin:0 0 8px}"
             f".gc20-panel .gc20-attr{{font-size:11px;color:{palette.TEXT_MUTED};"
             "margin-top:12px}@media (max-width:700px){.folium-map{width:100%!important;height:65%!important}"
             f".gc20-panel{{top:65%;width:auto;left:0;border-left:0;border-top:1px solid {palette.RULE}}}}}")


def map_html(vm, attribution: Sequence[str]) -> str:
    """A built view map as one self-contained HTML file (all JS/CSS inlined, works offline).

    The legend and the full attribution sit in a side panel beside the map, never over it;
    the map's own attribution control shows the short form.
    """
    html = assets.standalone_html(vm.map)
    title = f"Core20 map: {vm.area_name} ({schema.IMD_LABEL.get(vm.vintage, vm.vintage)})"
    notes = sources.merge_attribution(attribution)
    comment = "\n".join(f"  {escape_html(line)}" for line in notes).replace("--", "- -")
    head = (f"<title>{escape_html(title)}</title>\n"
            f'<meta name="generator" content="geo_core20">\n'
            f"<!-- Attribution:\n{comment}\n-->\n<style>{_PAGE_CSS}</style>\n")
    attr = "".join(f"<div>{escape_html(line)}</div>" for line in notes)
    panel = (f'<aside class="gc20-panel" aria-label="Legend and sources"><h1>{escape_html(title)}</h1>'
             f'{classify.legend_html(vm.legend)}<div class="gc20-attr">{attr}</div></aside>\n')
    html = html.replace("<head>", "<head>\n" + head, 1)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + panel, html, count=1)
