"""Publisher file layouts -> canonical columns, with validation.

One explicit alias table (``ALIASES``) maps every column name we accept, from the
official files (IoD File 1/2/6/7 CSV or xlsx, ONS boundary and lookup files) and from
the mirror's variants, to one canonical name. Anything else is refused with a message
listing the columns expected and found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import Transformer

from geo_core20 import schema
from geo_core20.errors import DataError

# canonical name -> accepted source names (compared after `normalise_header`)
ALIASES: dict[str, tuple[str, ...]] = {
    "lsoa21_code": ("lsoa21_code", "lsoa21cd", "lsoa code (2021)", "lsoa21", "lsoa_2021_code"),
    "lsoa21_name": ("lsoa21_name", "lsoa21nm", "lsoa name (2021)"),
    "lsoa11_code": ("lsoa11_code", "lsoa11cd", "lsoa code (2011)", "lsoa11", "lsoa_code_2011"),
    "lsoa11_name": ("lsoa11_name", "lsoa11nm", "lsoa name (2011)"),
    "lad_code": ("ltla24_code", "lad24cd", "ltla22_code", "lad22cd",
                 "local authority district code (2019)", "local authority district code (2024)",
                 "lad19cd"),
    "lad_name": ("ltla24_name", "lad24nm", "ltla22_name", "lad22nm",
                 "local authority district name (2019)", "local authority district name (2024)",
                 "lad19nm"),
    "sub_icb_code": ("sicbl24_code", "sicbl24cd", "sicbl22_code", "sicbl22cd"),
    "sub_icb_name": ("sicbl24_name", "sicbl24nm", "sicbl22_name", "sicbl22nm"),
    "icb_code": ("icb24_code", "icb24cd", "icb22_code", "icb22cd", "icb23cd"),
    "icb_name": ("icb24_name", "icb24nm", "icb22_name", "icb22nm"),
    "icb_code_nhs": ("icb24_code_nhs", "icb24cdh", "icb22_code_h", "icb22cdh"),
    "ward_code": ("ward24_code", "wd24cd"),
    "ward_name": ("ward24_name", "wd24nm"),
    "region_code": ("region24_code", "rgn24cd"),
    "region_name": ("region24_name", "rgn24nm"),
    "change_code": ("change_code", "chgind"),
    "imd_score": ("imd_score", "index of multiple deprivation (imd) score", "imd score", "imd"),
    "imd_rank": ("imd_rank", "index of multiple deprivation (imd) rank"),
    "imd_decile": ("imd_decile", "index of multiple deprivation (imd) decile"),
    "income_decile": ("income_decile", "income decile"),
    "employment_decile": ("employment_decile", "employment decile"),
    "education_decile": ("education_decile", "education, skills and training decile"),
    "health_decile": ("health_decile", "health deprivation and disability decile"),
    "crime_decile": ("crime_decile", "crime decile"),
    "barriers_decile": ("housing_and_services_decile", "housing_and_access_decile",
                        "barriers to housing and services decile"),
    "environment_decile": ("environment_decile", "living environment decile"),
    "population": ("population", "total population: mid 2015 (excluding prisoners)",
                   "total population: mid 2022", "total population: mid 2021",
                   "population (total)", "usual_residents", "observation"),
    "age_group": ("age_group", "age (6 categories)"),
    "ethnic_group": ("ethnic_group", "ethnic group (5 categories)"),
    "count": ("n", "count"),
    "ruc_class": ("classification", "ruc21nm", "ruc11"),
    "coastal": ("g_25_5",),
    "x": ("x_bng", "x", "bng_e", "easting"),
    "y": ("y_bng", "y", "bng_n", "northing"),
    "lon": ("lon", "long", "longitude"),
    "lat": ("lat", "latitude"),
}
_LOOKUP = {alias: canon for canon, names in ALIASES.items() for alias in names}

_WHERE = re.compile(r"\s*\((where|rate)[^)]*\)")
_LSOA_RE = re.compile(r"^[EW]01\d{6}$")


def normalise_header(name: object) -> str:
    """Lower-case, BOM- and whitespace-free header, without "(where 1 is ...)" notes."""
    text = str(name).replace("\ufeff", "").strip().lower()
    text = _WHERE.sub("", text)
    return re.sub(r"\s+", " ", text)


def standardise(frame: pd.DataFrame, required: Iterable[str], optional: Iterable[str] = (),
                source: str = "file") -> pd.DataFrame:
    """Rename ``frame``'s columns to canonical names and keep only the ones asked for.

    Raises DataError naming the missing canonical columns, the source names accepted for
    them and the columns actually found.
    """
    required, optional = list(required), list(optional)
    wanted = set(required) | set(optional)
    rename: dict[str, str] = {}
    for col in frame.columns:
        canon = _LOOKUP.get(normalise_header(col))
        if canon in wanted and canon not in rename.values():
            rename[col] = canon
    missing = [c for c in required if c not in rename.values()]
    if missing:
        expected = "; ".join(f"{c} (one of: {', '.join(ALIASES[c])})" for c in missing)
        found = ", ".join(map(str, frame.columns))
        raise DataError(f"{source}: unknown column layout. Missing {expected}. Found columns: {found}.")
    out = frame[list(rename)].rename(columns=rename)
    return out[[c for c in [*required, *optional] if c in out.columns]]


# --- table reading ------------------------------------------------------------------------------

def read_table(path: Path | str, sheet: str | int | None = None) -> pd.DataFrame:
    """A CSV (optionally gzipped), xlsx, parquet or JSON table, all columns as text.

    Text first because the official IoD2019 CSVs carry thousands separators in ranks
    (``"29,199"``); `to_number` converts afterwards.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"missing file: {path}. Run `python -m geo_core20 data fetch` first.")
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz")):
            return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False,
                               na_values=[""])
        if name.endswith(".xlsx"):
            return pd.read_excel(path, sheet_name=sheet or 0, dtype=str)
        if name.endswith(".parquet"):
            frame = pd.read_parquet(path)
            return frame.reset_index() if frame.index.name else frame
        if name.endswith((".geojson", ".json")):
            # ONS lookups downloaded from the ArcGIS feature service come as GeoJSON features
            frame = pyogrio.read_dataframe(path, read_geometry=False)
            return frame.astype("string").astype(object).where(frame.notna(), None)
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError, OSError,
            pyogrio.errors.DataSourceError) as exc:
        raise DataError(f"{path.name}: cannot be read as a table ({exc}).") from exc
    raise DataError(f"{path.name}: unsupported table format "
                    "(expected .csv, .csv.gz, .xlsx, .parquet or .geojson).")


def to_number(series: pd.Series, name: str, source: str, integer: bool = False) -> pd.Series:
    """Numbers from text, accepting thousands separators; refuses non-numeric cells."""
    if pd.api.types.is_numeric_dtype(series):
        out = series.astype(float)
    else:
        cleaned = series.astype(str).str.replace(",", "", regex=False).str.strip()
        out = pd.to_numeric(cleaned, errors="coerce")
        bad = series[out.isna() & series.notna()]
        if len(bad):
            raise DataError(f"{source}: column {name} has non-numeric values, e.g. {bad.iloc[0]!r}.")
    if integer:
        if out.isna().any():
            raise DataError(f"{source}: column {name} has {int(out.isna().sum())} empty values.")
        return out.round().astype("int64")
    return out


def check_unique(codes: pd.Series, source: str) -> None:
    dup = codes[codes.duplicated()]
    if len(dup):
        raise DataError(f"{source}: {len(dup)} duplicate LSOA codes, e.g. {dup.iloc[0]}.")


def check_codes(codes: pd.Series, source: str) -> None:
    bad = codes[~codes.astype(str).str.match(_LSOA_RE)]
    if len(bad):
        raise DataError(f"{source}: {len(bad)} values are not LSOA codes (E01/W01 + 6 digits), "
                        f"e.g. {bad.iloc[0]!r}.")


def check_vintage(codes: pd.Series, expected: set[str], other: set[str], lsoa_year: str,
                  source: str) -> None:
    """Refuse codes of the other LSOA vintage (e.g. 2011 codes where 2021 are expected).

    Most codes exist in both vintages (unchanged LSOAs), so we look at the codes found
    only in ``other``.
    """
    codes = set(codes)
    foreign = sorted(codes - expected)
    if not foreign:
        return
    other_year = "2011" if lsoa_year == "2021" else "2021"
    of_other = [c for c in foreign if c in other]
    if len(of_other) >= max(1, len(foreign) // 2):
        raise DataError(
            f"{source}: {len(of_other)} codes are LSOA {other_year} codes that do not exist in LSOA "
            f"{lsoa_year} (e.g. {of_other[0]}): this file is for the wrong LSOA vintage; expected "
            f"LSOA {lsoa_year} codes.")
    raise DataError(f"{source}: {len(foreign)} codes are not English LSOA {lsoa_year} codes, "
                    f"e.g. {foreign[0]}.")


# --- readers for each kind of input -------------------------------------------------------------

def read_lsoa_boundaries(path: Path | str, lsoa_year: str) -> gpd.GeoDataFrame:
    """English LSOA polygons in EPSG:4326 with lsoa_code, lsoa_name; invalid rings repaired."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"missing file: {path}. Run `python -m geo_core20 data fetch` first.")
    try:
        gdf = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise DataError(f"{path.name}: unparseable geometry file ({exc}).") from exc
    if gdf.crs is None:
        raise DataError(f"{path.name}: unknown CRS (no coordinate reference system declared); "
                        "expected EPSG:4326 or EPSG:27700.")
    code, name = f"lsoa{lsoa_year[2:]}_code", f"lsoa{lsoa_year[2:]}_name"
    table = standardise(pd.DataFrame(gdf.drop(columns="geometry")), [code], [name], path.name)
    gdf = gpd.GeoDataFrame(table, geometry=gdf.geometry.values, crs=gdf.crs)
    gdf = gdf.rename(columns={code: schema.LSOA_CODE, name: schema.LSOA_NAME})
    gdf = gdf[gdf[schema.LSOA_CODE].astype(str).str.startswith("E")].reset_index(drop=True)
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        raise DataError(f"{path.name}: {int(empty.sum())} LSOAs have no geometry, "
                        f"e.g. {gdf.loc[empty, schema.LSOA_CODE].iloc[0]}.")
    if gdf.crs.to_epsg() != 4326:
        try:
            gdf = gdf.to_crs(schema.CRS_WGS84)
        except Exception as exc:
            raise DataError(f"{path.name}: cannot transform CRS {gdf.crs} to EPSG:4326 ({exc}).") from exc
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf.loc[invalid, "geometry"] = gdf.geometry[invalid].make_valid()
        # make_valid can return collections with stray lines; keep the polygonal part
        gdf["geometry"] = gdf.geometry.apply(_polygonal)
    minx, miny, maxx, maxy = gdf.total_bounds
    if not (minx > -7 and maxx < 2.5 and miny > 49 and maxy < 56.5):
        raise DataError(f"{path.name}: coordinates {gdf.total_bounds.round(2).tolist()} are not in "
                        "England: wrong CRS declared?")
    check_unique(gdf[schema.LSOA_CODE], path.name)
    return gdf


def _polygonal(geom):
    from shapely.geometry import GeometryCollection, MultiPolygon, Polygon

    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    if isinstance(geom, GeometryCollection):
        polys = [g for g in geom.geoms if isinstance(g, (Polygon, MultiPolygon))]
        parts = [p for g in polys for p in (g.geoms if isinstance(g, MultiPolygon) else [g])]
        return MultiPolygon(parts)
    return geom


_TO_BNG = Transformer.from_crs(schema.CRS_WGS84, schema.CRS_BNG, always_xy=True)
_TO_WGS = Transformer.from_crs(schema.CRS_BNG, schema.CRS_WGS84, always_xy=True)


def read_centroids(path: Path | str, lsoa_year: str) -> pd.DataFrame:
    """Population-weighted centroids: lsoa_code, pwc_lon, pwc_lat, pwc_easting, pwc_northing.

    Accepts a CSV with BNG and/or lon/lat columns (ONS uses ``X``/``Y`` for either, so the
    coordinate range decides) or an ONS point file (shapefile/GeoJSON).
    """
    path = Path(path)
    code = f"lsoa{lsoa_year[2:]}_code"
    if path.suffix.lower() in (".shp", ".geojson", ".gpkg"):
        gdf = pyogrio.read_dataframe(path)
        if gdf.crs is None:
            raise DataError(f"{path.name}: unknown CRS.")
        pts = gdf.to_crs(schema.CRS_BNG)
        frame = standardise(pd.DataFrame(gdf.drop(columns="geometry")), [code], [], path.name)
        frame["x"], frame["y"] = pts.geometry.x.values, pts.geometry.y.values
    else:
        frame = standardise(read_table(path), [code], ["x", "y", "lon", "lat"], path.name)
    frame = frame.rename(columns={code: schema.LSOA_CODE})
    frame = frame[frame[schema.LSOA_CODE].str.startswith("E")].reset_index(drop=True)
    for col in ("x", "y", "lon", "lat"):
        if col in frame:
            frame[col] = to_number(frame[col], col, path.name)
    if "lon" not in frame and "x" in frame and frame["x"].abs().max() <= 180:
        frame = frame.rename(columns={"x": "lon", "y": "lat"})
    if "x" not in frame and "lon" in frame:
        frame["x"], frame["y"] = _TO_BNG.transform(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    if "lon" not in frame and "x" in frame:
        frame["lon"], frame["lat"] = _TO_WGS.transform(frame["x"].to_numpy(), frame["y"].to_numpy())
    if not {"x", "y", "lon", "lat"} <= set(frame.columns):
        raise DataError(f"{path.name}: no coordinate columns (expected x/y or lon/lat).")
    check_unique(frame[schema.LSOA_CODE], path.name)
    return frame.rename(columns={"x": schema.PWC_EASTING, "y": schema.PWC_NORTHING,
                                 "lon": schema.PWC_LON, "lat": schema.PWC_LAT})[
        [schema.LSOA_CODE, schema.PWC_LON, schema.PWC_LAT, schema.PWC_EASTING, schema.PWC_NORTHING]]


IMD_COLUMNS = ("imd_score", "imd_rank", "imd_decile", *schema.DOMAIN_DECILES)


def read_imd(path: Path | str, lsoa_year: str, scores_path: Path | str | None = None) -> pd.DataFrame:
    """IMD score, rank, decile and the seven domain deciles per LSOA, validated.

    Accepts IoD File 7 (all in one), File 1/2 (ranks and deciles: scores then come from
    ``scores_path``) and the mirror's tidy variants.
    """
    path = Path(path)
    code = f"lsoa{lsoa_year[2:]}_code"
    frame = standardise(read_table(path), [code, "imd_rank", "imd_decile"],
                        ["imd_score", *schema.DOMAIN_DECILES], path.name)
    frame = frame.rename(columns={code: schema.LSOA_CODE})
    if "imd_score" not in frame:
        if scores_path is None:
            raise DataError(f"{path.name}: has no IMD score column and no scores file was given.")
        scores = standardise(read_table(scores_path), [code, "imd_score"], [], Path(scores_path).name)
        scores = scores.rename(columns={code: schema.LSOA_CODE})
        check_unique(scores[schema.LSOA_CODE], Path(scores_path).name)
        frame = frame.merge(scores, on=schema.LSOA_CODE, how="left", validate="1:1")
        if frame["imd_score"].isna().any():
            raise DataError(f"{Path(scores_path).name}: no IMD score for "
                            f"{int(frame['imd_score'].isna().sum())} LSOAs.")
    missing = [c for c in schema.DOMAIN_DECILES if c not in frame]
    if missing:
        raise DataError(f"{path.name}: missing domain decile columns {missing}.")
    check_codes(frame[schema.LSOA_CODE], path.name)
    check_unique(frame[schema.LSOA_CODE], path.name)
    frame["imd_score"] = to_number(frame["imd_score"], "imd_score", path.name)
    frame["imd_rank"] = to_number(frame["imd_rank"], "imd_rank", path.name, integer=True)
    for col in ("imd_decile", *schema.DOMAIN_DECILES):
        frame[col] = to_number(frame[col], col, path.name, integer=True)
        bad = frame[~frame[col].between(1, 10)]
        if len(bad):
            raise DataError(f"{path.name}: {col} outside 1-10 for {len(bad)} LSOAs, e.g. "
                            f"{bad[schema.LSOA_CODE].iloc[0]} = {bad[col].iloc[0]}.")
    return frame[[schema.LSOA_CODE, *IMD_COLUMNS]]


def read_population(path: Path | str, lsoa_year: str) -> pd.DataFrame:
    """Population per LSOA: summed over age bands when the file is long-format."""
    path = Path(path)
    code = f"lsoa{lsoa_year[2:]}_code"
    frame = standardise(read_table(path), [code, "population"], ["age_group"], path.name)
    frame = frame.rename(columns={code: schema.LSOA_CODE})
    frame["population"] = to_number(frame["population"], "population", path.name, integer=True)
    if "age_group" in frame:
        frame = frame.groupby(schema.LSOA_CODE, as_index=False)["population"].sum()
    check_unique(frame[schema.LSOA_CODE], path.name)
    if (frame["population"] < 0).any():
        raise DataError(f"{path.name}: negative population values.")
    return frame[[schema.LSOA_CODE, "population"]]


def read_ethnicity(path: Path | str) -> pd.DataFrame:
    """Census 2021 broad ethnic-group shares per LSOA 2021 (columns schema.ETHNIC_GROUPS)."""
    path = Path(path)
    frame = standardise(read_table(path), ["lsoa21_code", "ethnic_group", "count"], [], path.name)
    frame["count"] = to_number(frame["count"], "n", path.name)
    prefixes = {label.split(",")[0].split(" ")[0].lower(): col
                for col, label in schema.ETHNIC_GROUPS.items()}
    frame["group"] = frame["ethnic_group"].str.split(r"[ ,:]", regex=True).str[0].str.lower().map(prefixes)
    frame = frame[frame["group"].notna()]
    wide = frame.pivot_table(index="lsoa21_code", columns="group", values="count", aggfunc="sum")
    wide = wide.reindex(columns=list(schema.ETHNIC_GROUPS), fill_value=0).fillna(0)
    shares = wide.div(wide.sum(axis=1).replace(0, np.nan), axis=0)
    shares[schema.ETHNIC_MINORITY] = 1 - shares["ethnic_white"]
    return shares.reset_index().rename(columns={"lsoa21_code": schema.LSOA_CODE})


def read_lsoa_attribute(path: Path | str, lsoa_year: str, column: str) -> pd.DataFrame:
    """A one-value-per-LSOA table (rural-urban class, coastal flag...) -> lsoa_code, column."""
    path = Path(path)
    code = f"lsoa{lsoa_year[2:]}_code"
    frame = standardise(read_table(path), [code, column], [], path.name)
    frame = frame.rename(columns={code: schema.LSOA_CODE})
    check_unique(frame[schema.LSOA_CODE], path.name)
    return frame


def read_coastal(path: Path | str, lsoa_year: str) -> pd.DataFrame:
    frame = read_lsoa_attribute(path, lsoa_year, "coastal")
    values = to_number(frame["coastal"], "G_25_5", Path(path).name, integer=True)
    if not values.isin([0, 1]).all():
        raise DataError(f"{Path(path).name}: coastal flag G_25_5 must be 0 or 1.")
    frame["coastal"] = values.astype(bool)
    return frame


def read_lookup(path: Path | str, required: list[str], optional: list[str] = ()) -> pd.DataFrame:
    """An ONS lookup table with canonical column names."""
    path = Path(path)
    return standardise(read_table(path), required, optional, path.name)


def read_icb_regions(boundaries_path: Path | str, names_path: Path | str) -> pd.DataFrame:
    """ICB (2023/24 codes) -> NHS region code and name, from the ICB boundary file and name table."""
    gdf = pyogrio.read_dataframe(boundaries_path, read_geometry=False)
    icb = standardise(gdf, ["icb_code"], [], Path(boundaries_path).name)
    region_col = next((c for c in gdf.columns if normalise_header(c).startswith("nhser")), None)
    if region_col is None:
        raise DataError(f"{Path(boundaries_path).name}: no NHS region column (NHSER..CD) found; "
                        f"found {list(gdf.columns)}.")
    icb["nhs_region_code"] = gdf[region_col].values
    names = json.loads(Path(names_path).read_text(encoding="utf-8"))
    if "nhs" not in names:
        raise DataError(f"{Path(names_path).name}: expected keys icb, ics, nhs.")
    icb["nhs_region_name"] = icb["nhs_region_code"].map(names["nhs"])
    return icb
