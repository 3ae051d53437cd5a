"""Downloads of a view: LSOA table as CSV, LSOAs as GeoJSON, the map as standalone HTML.

Every download carries the attribution the data licences require. CSV cells are
neutralised against formula injection (``safety.csv_safe_frame``); HTML text is escaped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_core20 import schema
from geo_core20.maps import assets
from geo_core20.safety import csv_safe_frame, escape_html

CSV_NOTE_PREFIX = "# "
"""Attribution lines sit above the header, each a single cell starting with "# "; read the
file with ``pandas.read_csv(path, comment="#")`` or skip ``csv_note_lines(path)`` rows."""


def lsoa_csv(table: pd.DataFrame, attribution: Sequence[str]) -> bytes:
    """The table as UTF-8 CSV (BOM so Excel reads names right), attribution lines first."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for line in attribution:
        writer.writerow([CSV_NOTE_PREFIX + line])
    csv_safe_frame(table).to_csv(buf, index=False, lineterminator="\n")
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def csv_note_lines(text: str) -> int:
    """How many attribution lines start an exported CSV."""
    n = 0
    for line in text.lstrip("\ufeff").splitlines():
        if line.startswith(CSV_NOTE_PREFIX) or line.startswith('"' + CSV_NOTE_PREFIX):
            n += 1
        else:
            break
    return n


def read_lsoa_csv(data: bytes | str) -> pd.DataFrame:
    """Read back a CSV written by ``lsoa_csv`` (skips the attribution lines)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    text = text.lstrip("\ufeff")
    return pd.read_csv(io.StringIO(text), skiprows=csv_note_lines(text), dtype={schema.LSOA_CODE: str})


GEOJSON_COLUMNS = (schema.LSOA_CODE, schema.LSOA_NAME, schema.IMD_DECILE, schema.IMD_RANK, schema.IMD_SCORE,
                   schema.CORE20, schema.POPULATION, *schema.DOMAIN_DECILES, "lad_code", "lad_name",
                   "sub_icb_code", "sub_icb_name", "icb_code", "icb_name", "region_code", "region_name",
                   "nhs_region_code", "nhs_region_name")


def lsoa_geojson(view: gpd.GeoDataFrame, attribution: Sequence[str], decimals: int = 6) -> bytes:
    """The LSOAs (full atlas geometry, EPSG:4326) as a GeoJSON FeatureCollection.

    Attribution goes in a top-level ``attribution`` member (RFC 7946 allows foreign members).
    """
    cols = [c for c in GEOJSON_COLUMNS if c in view.columns]
    frame = gpd.GeoDataFrame(view[cols].copy(), geometry=view.geometry.values, crs=view.crs)
    for col in frame.columns:
        if col != "geometry" and pd.api.types.is_integer_dtype(frame[col]):
            frame[col] = frame[col].astype("int64")
        elif col != "geometry" and pd.api.types.is_bool_dtype(frame[col]):
            frame[col] = frame[col].astype(bool)
        elif col != "geometry" and pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].astype(object)
    # parse_float rounds coordinates (and scores) as they are read: the atlas is ~1 m precise
    data = json.loads(frame.to_json(drop_id=True, to_wgs84=True, default=_json_default),
                      parse_float=lambda s: round(float(s), decimals))
    data["name"] = "geo_core20 LSOAs"
    data["attribution"] = list(attribution)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def map_html(vm, attribution: Sequence[str]) -> str:
    """A built view map as one self-contained HTML file (all JS/CSS inlined, works offline).

    The title and full attribution notices go in the document head; the map's own
    attribution control shows the short form on screen.
    """
    html = assets.standalone_html(vm.map)
    title = f"Core20 map: {vm.area_name} ({schema.IMD_LABEL.get(vm.vintage, vm.vintage)})"
    notes = "\n".join(f"  {escape_html(line)}" for line in attribution)
    head = (f"<title>{escape_html(title)}</title>\n"
            f'<meta name="generator" content="geo_core20">\n'
            f"<!-- Attribution:\n{notes.replace('--', '- -')}\n-->\n")
    return html.replace("<head>", "<head>\n" + head, 1)
