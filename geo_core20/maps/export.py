"""Downloads: tables as CSV, areas as GeoJSON, a map as standalone HTML, and their file names.

Every download carries the attribution the data licences require, once per line. CSV cells
are neutralised against formula injection (``safety.csv_safe_frame``); HTML text is escaped.

A CSV starts with a UTF-8 byte-order mark (Excel then reads names right) and its
attribution as ``# ...`` comment lines above the header, which the documented recipe skips:

    pandas.read_csv("file.csv", comment="#")
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_core20 import schema
from geo_core20.maps import assets, classify, palette
from geo_core20.safety import csv_safe_frame, escape_html

CSV_NOTE_PREFIX = "# "
CSV_READ_RECIPE = 'pandas.read_csv(path, comment="#")'
"""How to read every CSV the app writes (the help text of the download buttons quotes it)."""
CSV_HELP = f"Attribution lines start with '#' above the header; in Python: {CSV_READ_RECIPE}."
SIGNIFICANT_DIGITS = 6
"""Floats are written to about this many significant digits (per column): no ``49.99999999999999``."""
COLUMN_DECIMALS = {"lat": 6, "lon": 6, "pwc_lat": 6, "pwc_lon": 6, schema.IMD_SCORE: 3}


def attribution_notes(lines: Sequence[str]) -> list[str]:
    """Attribution lines stripped, one per line (inner newlines split) and each only once."""
    out: dict[str, None] = {}
    for line in lines:
        for part in str(line).splitlines():
            part = part.strip()
            if part:
                out[part] = None
    return list(out)


def _decimals(values: np.ndarray, name: str) -> int:
    if name in COLUMN_DECIMALS:
        return COLUMN_DECIMALS[name]
    top = float(np.max(np.abs(values))) if len(values) else 0.0
    magnitude = math.floor(math.log10(top)) + 1 if top > 0 else 1
    return int(min(SIGNIFICANT_DIGITS, max(0, SIGNIFICANT_DIGITS - magnitude)))


def tidy_numbers(table: pd.DataFrame, decimals: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Float columns rounded per column (to ~6 significant digits of their largest value, or
    ``decimals[column]``); whole-number float columns become integers (nullable)."""
    out = table.copy()
    fixed = {**COLUMN_DECIMALS, **(decimals or {})}
    for col in out.columns:
        if not pd.api.types.is_float_dtype(out[col]):
            continue
        v = out[col].to_numpy(dtype=float)
        finite = v[np.isfinite(v)]
        if len(finite) and np.all(np.abs(finite - np.round(finite)) < 1e-9) and col not in fixed:
            whole = pd.array(np.where(np.isfinite(v), np.round(v), np.nan), dtype="Float64")
            out[col] = whole.astype("Int64")
            continue
        n = fixed.get(col, _decimals(finite, str(col)))
        out[col] = out[col].round(n)
    return out


def to_csv(table: pd.DataFrame, attribution: Sequence[str] = (), *,
           decimals: Mapping[str, int] | None = None) -> bytes:
    """Any table as the app's CSV: BOM, ``# `` attribution lines, header, tidy numbers.

    Text cells holding ``#`` are quoted (with every other text cell), so the documented
    ``comment="#"`` recipe never cuts a value short.
    """
    buf = io.StringIO()
    for line in attribution_notes(attribution):
        buf.write(CSV_NOTE_PREFIX + line + "\n")
    frame = tidy_numbers(csv_safe_frame(table), decimals)
    text_cols = [c for c in frame.columns
                 if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    has_hash = any("#" in str(c) for c in frame.columns) or any(
        frame[c].astype(str).str.contains("#", regex=False).any() for c in text_cols)
    frame.to_csv(buf, index=False, lineterminator="\n",
                 quoting=csv.QUOTE_NONNUMERIC if has_hash else csv.QUOTE_MINIMAL)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def csv_note_lines(text: str) -> int:
    """How many attribution lines start an exported CSV."""
    n = 0
    for line in text.lstrip("\ufeff").splitlines():
        if not (line.startswith(CSV_NOTE_PREFIX) or line.startswith('"' + CSV_NOTE_PREFIX)):
            break
        n += 1
    return n


def read_csv(data: bytes | str) -> pd.DataFrame:
    """Read back a CSV written here, exactly as the documented recipe does (LSOA codes as text)."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    return pd.read_csv(io.BytesIO(raw), comment="#", dtype={schema.LSOA_CODE: str})



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
    data["attribution"] = attribution_notes(attribution)
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
    notes = attribution_notes(attribution)
    comment = "\n".join(f"  {escape_html(line)}" for line in notes).replace("--", "- -")
    head = (f"<title>{escape_html(title)}</title>\n"
            f'<meta name="generator" content="geo_core20">\n'
            f"<!-- Attribution:\n{comment}\n-->\n<style>{_PAGE_CSS}</style>\n")
    attr = "".join(f"<div>{escape_html(line)}</div>" for line in notes)
    panel = (f'<aside class="gc20-panel" aria-label="Legend and sources"><h1>{escape_html(title)}</h1>'
             f'{classify.legend_html(vm.legend)}<div class="gc20-attr">{attr}</div></aside>\n')
    html = html.replace("<head>", "<head>\n" + head, 1)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + panel, html, count=1)
