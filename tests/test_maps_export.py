"""Downloads: CSV with attribution and no formula injection, GeoJSON with attribution."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import shapely

from geo_core20 import schema
from geo_core20.maps import export

ATTRIBUTION = ["Source: Office for National Statistics, OGL v3. Contains OS data © Crown copyright",
               "English Indices of Deprivation 2025, MHCLG, OGL v3"]


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        schema.LSOA_CODE: ["E01000001", "E01000002"],
        schema.LSOA_NAME: ["=HYPERLINK(\"http://x\")", "Leeds, 001B"],
        schema.IMD_DECILE: [1, 9],
        schema.IMD_SCORE: [-1.5, 10.25],
        schema.CORE20: [True, False],
    })


def test_csv_starts_with_attribution_and_neutralises_formulas():
    data = export.lsoa_csv(_table(), ATTRIBUTION)
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].strip('"') == "# " + ATTRIBUTION[0]
    assert export.csv_note_lines(text) == 2
    back = export.read_lsoa_csv(data)
    assert list(back[schema.LSOA_CODE]) == ["E01000001", "E01000002"]
    assert back[schema.LSOA_NAME].iloc[0].startswith("'="), "formula neutralised"
    assert back[schema.LSOA_NAME].iloc[1] == "Leeds, 001B"
    assert back[schema.IMD_SCORE].iloc[0] == -1.5, "negative numbers stay numbers"


def test_geojson_carries_attribution_and_all_rows():
    boxes = [shapely.box(0, 51, 0.0123456789, 51.01), shapely.box(1, 51, 1.1, 51.1)]
    frame = gpd.GeoDataFrame(_table(), geometry=boxes, crs=schema.CRS_WGS84)
    data = json.loads(export.lsoa_geojson(frame, ATTRIBUTION))
    assert data["type"] == "FeatureCollection" and data["attribution"] == ATTRIBUTION
    assert [f["properties"][schema.LSOA_CODE] for f in data["features"]] == ["E01000001", "E01000002"]
    assert data["features"][0]["properties"][schema.CORE20] is True
    xs = [c[0] for c in data["features"][0]["geometry"]["coordinates"][0]]
    assert 0.012346 in xs, "coordinates rounded to 6 decimals"


def test_real_csv_rows(atlas2025):
    from geo_core20.maps import view

    table = view.lsoa_table("2025", "lad", "E08000003")
    back = export.read_lsoa_csv(export.lsoa_csv(table, view.attribution_lines("2025")))
    assert len(back) == len(table) == 295
    assert set(back[schema.LSOA_CODE]) == set(table[schema.LSOA_CODE])
