"""The PLUS layers' input files: Census tables, IoD2025 indicators, MSOA/LAD boundaries, coastline.

Each reader checks the columns it needs (``DataError`` names what is missing) and is cached
per process; paths come from the source manifest through ``atlas.input_path``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_core20 import atlas, readers, schema
from geo_core20.errors import DataError


def input_path(dataset_id: str) -> Path:
    """Where a dataset of the source manifest lies once fetched."""
    return atlas.input_path(dataset_id)


def require_columns(frame: pd.DataFrame, columns: list[str], dataset_id: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{dataset_id}: expected columns {missing}; found {list(frame.columns)}.")


@lru_cache(maxsize=16)
def census_share(dataset_id: str, category_col: str, wanted: tuple[str, ...]) -> pd.Series:
    """Percentage of the LSOA total in the ``wanted`` categories of a long Census table."""
    frame = pd.read_csv(input_path(dataset_id))
    code = "lsoa21_code"
    require_columns(frame, [code, category_col, "n"], dataset_id)
    unknown = set(wanted) - set(frame[category_col])
    if unknown:
        raise DataError(f"{dataset_id}: categories {sorted(unknown)} not found in {category_col}.")
    total = frame.groupby(code)["n"].sum()
    part = frame[frame[category_col].isin(wanted)].groupby(code)["n"].sum().reindex(total.index, fill_value=0)
    return (100 * part / total.replace(0, np.nan)).rename(dataset_id)


@lru_cache(maxsize=1)
def iod_indicators() -> pd.DataFrame:
    frame = pd.read_csv(input_path("iod2025_indicators"))
    require_columns(frame, ["lsoa21_code"], "iod2025_indicators")
    return frame.set_index("lsoa21_code")


@lru_cache(maxsize=2)
def area_boundaries(dataset_id: str, code_col: str, name_col: str, prefix: str) -> gpd.GeoDataFrame:
    """English MSOA or LAD polygons as area_code, area_name, geometry (EPSG:4326)."""
    gdf = gpd.read_file(input_path(dataset_id))
    require_columns(gdf, [code_col, name_col], dataset_id)
    gdf = gdf[gdf[code_col].str.startswith(prefix)].rename(columns={code_col: "area_code",
                                                                  name_col: "area_name"})
    return gdf[["area_code", "area_name", "geometry"]].to_crs(schema.CRS_WGS84).reset_index(drop=True)


def msoa_boundaries() -> gpd.GeoDataFrame:
    return area_boundaries("msoa21_boundaries", "msoa21_code", "msoa21_name", "E02")


def lad_boundaries() -> gpd.GeoDataFrame:
    return area_boundaries("lad24_boundaries", "ltla24_code", "ltla24_name", "E")


@lru_cache(maxsize=1)
def msoa_table(dataset_id: str) -> pd.DataFrame:
    frame = pd.read_csv(input_path(dataset_id))
    require_columns(frame, ["msoa21_code"], dataset_id)
    return frame.set_index("msoa21_code")


@lru_cache(maxsize=1)
def lad22_to_lad24() -> pd.Series:
    """LAD 2021/22 code -> LAD 2024 code, by where most of each district's LSOAs now lie."""
    lookup = readers.read_lookup(input_path("lookup_lsoa11_lsoa21"), ["lsoa21_code", "lad_code"])
    lookup = lookup.drop_duplicates("lsoa21_code").rename(columns={"lad_code": "lad22"})
    a = atlas.load_atlas("2025")[[schema.LSOA_CODE, "lad_code"]]
    joined = a.merge(lookup, left_on=schema.LSOA_CODE, right_on="lsoa21_code")
    return joined.groupby("lad22")["lad_code"].agg(lambda s: s.value_counts().index[0])


@lru_cache(maxsize=1)
def ethnicity_lad() -> pd.DataFrame:
    """Gypsy or Irish Traveller and Roma residents per LAD 2024 (counts and % of residents)."""
    frame = pd.read_csv(input_path("census21_ethnicity_lad"))
    require_columns(frame, ["ltla21_code", "ethnic_group", "value"], "census21_ethnicity_lad")
    frame = frame[frame["ltla21_code"].str.startswith("E") & frame["ethnic_group"].str.endswith("(number)")]
    frame = frame.assign(lad=frame["ltla21_code"].map(lad22_to_lad24()).fillna(frame["ltla21_code"]))
    total = frame.groupby("lad")["value"].sum()
    out = pd.DataFrame(index=total.index)
    for key, group in (("grt", "White: Gypsy or Irish Traveller (number)"), ("roma", "White: Roma (number)")):
        if group not in set(frame["ethnic_group"]):
            raise DataError(f"census21_ethnicity_lad: no '{group}' rows.")
        count = frame[frame["ethnic_group"] == group].groupby("lad")["value"].sum().reindex(total.index)
        out[f"{key}_count"] = count
        # published percents are rounded to 0.0 for most districts: recompute from counts
        out[f"{key}_pct"] = 100 * count / total
    return out


GRT_LSOA_DATASET = "census21_ethnicity_detailed"
_DETAILED = {"grt": "white: gypsy or irish traveller", "roma": "white: roma"}


@lru_cache(maxsize=1)
def ethnicity_lsoa_detailed() -> pd.DataFrame:
    """Gypsy or Irish Traveller and Roma residents per LSOA 2021 (counts and % of residents).

    From Census 2021 TS021 at LSOA (an optional input fetched from nomis when online); raises the
    fetcher's DataError, which says how to get it, when it is absent.
    """
    frame = pd.read_csv(input_path(GRT_LSOA_DATASET), dtype={"lsoa21_code": str})
    require_columns(frame, ["lsoa21_code", "total_residents", "ethnic_group", "n"], GRT_LSOA_DATASET)
    group = frame["ethnic_group"].str.strip().str.lower()
    total = frame.groupby("lsoa21_code")["total_residents"].first().astype(float)
    out = pd.DataFrame(index=total.index)
    for key, label in _DETAILED.items():
        rows = frame[group == label]
        if rows.empty:
            raise DataError(f"{GRT_LSOA_DATASET}: no '{label}' rows; is it Census 2021 TS021?")
        count = rows.groupby("lsoa21_code")["n"].sum().reindex(total.index).astype(float)
        out[f"{key}_count"] = count
        out[f"{key}_pct"] = 100 * count / total.replace(0, np.nan)
    return out


def lad_csv(dataset_id: str, code_col: str, value_col: str) -> pd.Series:
    frame = pd.read_csv(input_path(dataset_id))
    require_columns(frame, [code_col, value_col], dataset_id)
    return frame.set_index(code_col)[value_col].astype(float)



@lru_cache(maxsize=1)
def coast_tree() -> tuple[shapely.STRtree, np.ndarray]:
    gdf = gpd.read_file(input_path("coastline_england")).to_crs(schema.CRS_BNG)
    lines = shapely.get_parts(gdf.geometry.to_numpy())
    # short pieces make the nearest-line search fast (one long line would be scanned whole)
    pieces = []
    for line in lines:
        coords = shapely.get_coordinates(line)
        for start in range(0, len(coords) - 1, 64):
            pieces.append(shapely.linestrings(coords[start:start + 65]))
    arr = np.array(pieces, dtype=object)
    return shapely.STRtree(arr), arr

