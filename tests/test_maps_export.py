"""Downloads: CSV (geo_core20.tables) with attribution and no formula injection, GeoJSON with attribution."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_core20 import schema, tables
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
    data = tables.to_csv(_table(), ATTRIBUTION)
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].strip('"') == "# " + ATTRIBUTION[0]
    assert tables.csv_note_lines(text) == 2
    back = tables.read_csv(data)
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
    back = tables.read_csv(tables.to_csv(table, view.attribution_lines("2025")))
    assert len(back) == len(table) == 295
    assert set(back[schema.LSOA_CODE]) == set(table[schema.LSOA_CODE])


# --- the documented recipe, on every CSV writer ------------------------------------------------------

NOISY = ["Source: Office for National Statistics licensed under the Open Government Licence v.3.0, "
         'with "quotes", and commas', "Contains OS data © Crown copyright and database right 2021",
         "Source: Office for National Statistics licensed under the Open Government Licence v.3.0, "
         'with "quotes", and commas']


def _noisy_table() -> pd.DataFrame:
    return pd.DataFrame({
        schema.LSOA_CODE: ["E01000001", "E01000002", "E01000003"],
        "layer": ["Clinic #4, Leeds", "=cmd|' /C calc'!A0", "plain"],
        "share_pct": [49.99999999999999, 0.1 + 0.2, 12.345678901],
        "count": [1.0, 2.0, np.nan],
        "p_value": [0.000123456789, 0.5, 1.0],
    })


def test_documented_recipe_reads_every_csv(tmp_path):
    data = tables.to_csv(_noisy_table(), NOISY)
    # exactly the recipe of the download help, from bytes and from a saved file
    back = pd.read_csv(io.BytesIO(data), comment="#")
    path = tmp_path / "download.csv"
    path.write_bytes(data)
    assert pd.read_csv(path, comment="#").equals(back)
    assert tables.CSV_READ_RECIPE == 'pandas.read_csv(path, comment="#")'
    assert back.columns.tolist() == list(_noisy_table().columns)
    assert back["layer"].tolist()[0] == "Clinic #4, Leeds", "a '#' inside a value is not a comment"
    assert back["layer"].tolist()[1].startswith("'="), "formula neutralised"
    # no float noise; whole numbers stay whole
    text = data.decode("utf-8")
    assert "49.99999999999999" not in text and "0.30000000000000004" not in text
    assert back["share_pct"].tolist()[:2] == [50.0, 0.3]
    assert back["share_pct"].iloc[2] == pytest.approx(12.3457, abs=1e-4)
    assert "50.0,1,0.00012\n" in text, "a whole-number float column is written as integers"
    # each attribution line once, as a plain comment line
    notes = [line for line in text.lstrip("\ufeff").splitlines() if line.startswith("#")]
    assert len(notes) == 2 and notes[0] == "# " + NOISY[0]
    assert tables.csv_note_lines(text) == 2


def test_real_view_csv_reads_with_the_recipe(atlas2025):
    from geo_core20.maps import view

    table = view.lsoa_table("2025", "icb", "E54000036")
    lines = view.attribution_lines("2025")
    data = tables.to_csv(table, [*lines, *lines])
    back = pd.read_csv(io.BytesIO(data), comment="#", dtype={schema.LSOA_CODE: str})
    assert len(back) == len(table) and back[schema.LSOA_CODE].tolist() == table[schema.LSOA_CODE].tolist()
    assert back[schema.IMD_SCORE].tolist() == table[schema.IMD_SCORE].round(3).tolist()
    assert tables.csv_note_lines(data.decode("utf-8")) == len(set(lines))


def test_one_geojson_exporter_dedupes_attribution():
    boxes = [shapely.box(0, 51, 0.1, 51.1), shapely.box(1, 51, 1.1, 51.1), shapely.box(2, 51, 2.1, 51.1)]
    frame = gpd.GeoDataFrame(_noisy_table(), geometry=boxes, crs=schema.CRS_WGS84)
    data = json.loads(export.to_geojson(frame, NOISY, "layer"))
    assert data["attribution"] == NOISY[:2] and data["name"] == "layer"
    assert data["features"][2]["properties"]["count"] is None
    assert data["features"][0]["properties"]["share_pct"] == 50.0
