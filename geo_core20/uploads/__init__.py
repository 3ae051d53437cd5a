"""A user's own data as a map layer: an LSOA-keyed table, a file of points, or a GIS file.

Modules, one job each:

- `reading`: bytes -> `RawTable` of text cells (encodings, delimiters, Excel sheets, title
  lines, ragged rows, limits from `geo_core20.limits`);
- `cells`: one cell as text -> number or blank; `columns`: which column holds what;
- `lsoa_table`: LSOA-keyed tables onto LSOA 2021 codes (2011 codes converted);
- `points`: postcodes / coordinates -> points placed in LSOAs;
- `gis`: GeoJSON, GeoPackage and zipped shapefiles -> a points or LSOA-keyed layer.

Row-level problems never stop a load: each bad row is reported with the row number the user
sees in a spreadsheet (header = row 1, first data row = 2; a GIS feature's number) and the
reason, and the good rows still load. Only an unusable file raises `UploadError`, whose
message is meant for the user as it stands. Text in uploads is kept as data (names with HTML
or formulas included); escape it at output with `geo_core20.safety`.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo_core20 import atlas as atlas_mod
from geo_core20 import geocode, safety, schema
from geo_core20.errors import UploadError
from geo_core20.uploads.cells import MISSING_MARKERS, parse_number, parse_numbers
from geo_core20.uploads.columns import (
    COUNT,
    EXPECTED_COLUMNS_TEXT,
    LSOA_KIND,
    POINTS_KIND,
    RATE,
    PointColumns,
    detect_kind,
    find_lsoa_column,
    find_point_columns,
    guess_semantics,
    numeric_columns,
)
from geo_core20.uploads.gis import (
    AREAS_COLUMN,
    POLYGON_NOTE,
    GisTable,
    areas_per_lsoa,
    gis_layers,
    is_gis,
    load_gis,
    read_gis,
)
from geo_core20.uploads.lsoa_table import (
    LsoaTableResult,
    conversion_pairs,
    default_populations,
    load_lookup,
    load_lsoa_table,
)
from geo_core20.uploads.points import PointsResult, atlas_vintage, load_points
from geo_core20.uploads.reading import RawTable, RowError, errors_frame, read_upload

__all__ = [
    "AREAS_COLUMN", "COUNT", "EXPECTED_COLUMNS_TEXT", "LSOA_KIND",
    "MISSING_MARKERS", "POINTS_KIND", "POLYGON_NOTE", "RATE", "GisTable", "LsoaTableResult", "PointColumns",
    "PointsResult", "RawTable", "RowError", "UploadError", "areas_per_lsoa", "atlas_vintage",
    "conversion_pairs", "default_populations", "detect_kind", "errors_frame", "find_lsoa_column",
    "find_point_columns", "gis_layers", "guess_semantics", "is_gis", "layer_on_vintage", "load_gis",
    "load_lookup", "load_lsoa_table", "load_points", "load_upload", "numeric_columns", "parse_number",
    "parse_numbers", "read_gis", "read_upload", "safe_export",
]

Result = LsoaTableResult | PointsResult


def load_upload(data: bytes, filename: str, atlas: gpd.GeoDataFrame, kind: str | None = None, *,
                sheet: str | None = None, layer: str | None = None, **options) -> Result:
    """Read and load any upload: a GIS file (by content), else a table as the detected (or given) kind.

    ``sheet`` picks an Excel sheet, ``layer`` a GIS layer; other options go to the loader.
    """
    if is_gis(data, filename):
        result = load_gis(data, filename, atlas, layer=layer, **options)
        if kind is not None and result.kind != kind:
            want = "places (points)" if kind == POINTS_KIND else "an LSOA table"
            raise UploadError(f"'{filename}' holds {'points' if result.kind == POINTS_KIND else 'areas'}, "
                              f"but {want} is needed here.")
        return result
    raw = read_upload(data, filename, sheet=sheet)
    kind = kind or detect_kind(raw)
    if kind == LSOA_KIND:
        codes = atlas.get(schema.LSOA_CODE)
        return load_lsoa_table(raw, england_codes21=codes, **options)
    if kind == POINTS_KIND:
        return load_points(raw, atlas, **options)
    raise UploadError(f"Unknown upload kind {kind!r}: expected '{LSOA_KIND}' or '{POINTS_KIND}'.")


def layer_on_vintage(result: Result, vintage: str, atlas: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """An uploaded layer as lsoa_code + its value columns on the LSOAs of an atlas vintage.

    Points are counted per LSOA of that vintage (re-placed when they were loaded on another);
    GIS areas are re-placed by that vintage's population-weighted centroids; LSOA tables exist
    on LSOA 2021 codes only, so on "2019" they give no rows (the columns are kept).
    ``atlas`` defaults to `atlas.load_atlas(vintage)`.
    """
    if result.kind == POINTS_KIND:
        if vintage == result.lsoa_vintage:
            return result.counts
        atlas = atlas_mod.load_atlas(vintage) if atlas is None else atlas
        placed = geocode.assign_lsoa(result.points["lon"], result.points["lat"], atlas)
        codes = placed["lsoa_code"].dropna()
        return codes.value_counts().rename_axis(schema.LSOA_CODE).reset_index(name="count")
    if result.polygons is not None:
        if vintage == ("2025" if result.vintage == "2021" else "2019"):
            return result.frame
        atlas = atlas_mod.load_atlas(vintage) if atlas is None else atlas
        frame = areas_per_lsoa(result.polygons.geometry, atlas)
        return frame[frame[AREAS_COLUMN] > 0].reset_index(drop=True)
    return result.frame if vintage == "2025" else result.frame.iloc[0:0]


def layer_values(result: Result, column: str, vintage: str, area_codes: pd.Series,
                 atlas: gpd.GeoDataFrame | None = None) -> tuple[pd.Series, pd.Series]:
    """An uploaded layer's ``column`` put onto LSOAs: (values of the area's LSOAs, national values).

    The first is float and aligned with ``area_codes`` (the area's LSOA codes, e.g. its atlas
    rows' ``lsoa_code``); for points an LSOA without a point counts 0, elsewhere a missing value
    stays NaN. The second is the column on every LSOA of the vintage the layer reaches, indexed
    by LSOA code (for national class breaks). ``atlas`` as in `layer_on_vintage`.
    """
    national = layer_on_vintage(result, vintage, atlas).set_index(schema.LSOA_CODE)[column]
    values = area_codes.map(national).astype(float)
    if result.kind == POINTS_KIND:
        values = values.fillna(0.0)  # no point in an LSOA is a count of 0
    return values, national


def safe_export(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy fit for CSV download: uploaded text cannot run as a spreadsheet formula."""
    out = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    return safety.csv_safe_frame(out)
