"""Offline postcode geocoding with OS Code-Point Open, and point -> LSOA assignment.

Code-Point Open ships as one headerless CSV per postcode area inside a zip. We read it
once into a compact parquet cache (``data/processed/postcodes.parquet``: ~1.7 M GB
postcodes, BNG and WGS84 coordinates, positional quality) and look postcodes up in it.
"""

from __future__ import annotations

import io
import re
import zipfile
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from geo_core20 import atlas, atomic, schema, sources
from geo_core20.errors import CacheError, DataError, NotBuiltError

POSTCODE_INDEX_PATH = sources.PROCESSED_DIR / "postcodes.parquet"
CODEPOINT_DATASET = "codepoint_open"

STATUS_OK = "ok"
STATUS_INVALID = "invalid format"
STATUS_NOT_FOUND = "not found"
STATUS_NO_COORDS = "no coordinates"
STATUSES = (STATUS_OK, STATUS_INVALID, STATUS_NOT_FOUND, STATUS_NO_COORDS)

PQI_NO_COORDINATES = 90  # Code-Point Open positional quality: 90 = no coordinates
COUNTRY_NAMES = {"E92000001": "England", "W92000004": "Wales", "S92000003": "Scotland"}

# Outward code: A9, A99, A9A, AA9, AA99, AA9A; inward code: digit + two letters that
# Royal Mail uses (never C, I, K, M, O or V).
_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$")
_SPACES = re.compile(r"\s+")

SNAP_METRES = 250.0
"""Points outside every (clipped, generalised) LSOA polygon but within this distance of one
are given the nearest LSOA: BSC boundaries are clipped to the coastline and generalised to
~200 m, so real seafront addresses can fall just outside them."""

LSOA_ASSIGNMENT_NOTE = (
    "Points are placed in LSOAs by point-in-polygon against the ONS super-generalised (BSC, "
    "200 m) boundaries, so a point close to a boundary can land in the neighbouring LSOA (about 2% "
    "of population-weighted centroids do). Points just outside the clipped coastline are given "
    f"the nearest LSOA within {SNAP_METRES:.0f} m."
)

_TO_WGS84 = Transformer.from_crs(schema.CRS_BNG, schema.CRS_WGS84, always_xy=True)
_TO_BNG = Transformer.from_crs(schema.CRS_WGS84, schema.CRS_BNG, always_xy=True)


# --- postcode text --------------------------------------------------------------------------------

def normalise_postcode(text: object) -> str | None:
    """``" sw1a1aa "`` -> ``"SW1A 1AA"``; None when it is not a UK postcode in form."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    compact = _SPACES.sub("", str(text)).upper()
    if len(compact) < 5 or len(compact) > 7:
        return None
    candidate = f"{compact[:-3]} {compact[-3:]}"
    return candidate if _POSTCODE_RE.match(candidate) else None


def normalise_postcodes(values: pd.Series) -> pd.Series:
    """Vectorised `normalise_postcode` (object Series, None where invalid)."""
    compact = values.astype("string").str.replace(_SPACES, "", regex=True).str.upper()
    candidate = compact.str[:-3] + " " + compact.str[-3:]
    ok = candidate.str.match(_POSTCODE_RE).fillna(False).astype(bool) & compact.str.len().between(5, 7)
    return candidate.where(ok).astype(object).where(ok, None)


# --- coordinates ----------------------------------------------------------------------------------

def bng_to_wgs84(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid metres -> (lon, lat) degrees."""
    lon, lat = _TO_WGS84.transform(np.asarray(easting, dtype=float), np.asarray(northing, dtype=float))
    return _finite(lon), _finite(lat)


def wgs84_to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) degrees -> British National Grid (easting, northing) metres."""
    east, north = _TO_BNG.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return _finite(east), _finite(north)


def _finite(values: object) -> np.ndarray:
    # pyproj turns NaN input into inf; keep "missing" as NaN
    arr = np.array(values, dtype=float, ndmin=1)
    arr[~np.isfinite(arr)] = np.nan
    return arr


# --- the Code-Point Open cache --------------------------------------------------------------------

def _column_names(archive: zipfile.ZipFile) -> list[str]:
    """Long column names from ``Doc/Code-Point_Open_Column_Headers.csv`` (second line)."""
    name = next((n for n in archive.namelist() if n.lower().endswith("column_headers.csv")), None)
    if name is None:
        raise ValueError("Code-Point Open zip has no Doc/Code-Point_Open_Column_Headers.csv")
    lines = [ln for ln in archive.read(name).decode("utf-8-sig").splitlines() if ln.strip()]
    return [c.strip() for c in lines[1].split(",")]


def read_codepoint(zip_path: Path | str) -> pd.DataFrame:
    """All postcodes in a Code-Point Open zip: postcode, pqi, easting, northing, country."""
    with zipfile.ZipFile(zip_path) as archive:
        names = _column_names(archive)
        wanted = {"Postcode": "postcode", "Positional_quality_indicator": "pqi",
                  "Eastings": "easting", "Northings": "northing", "Country_code": "country"}
        missing = [c for c in wanted if c not in names]
        if missing:
            raise ValueError(f"Code-Point Open headers lack {missing}; found {names}")
        parts = []
        for member in sorted(archive.namelist()):
            if not (member.lower().startswith("data/csv/") and member.lower().endswith(".csv")):
                continue
            part = pd.read_csv(io.BytesIO(archive.read(member)), header=None, names=names,
                               usecols=list(wanted), dtype={"Postcode": str, "Country_code": str})
            parts.append(part)
    if not parts:
        raise ValueError(f"{zip_path}: no Data/CSV/*.csv files found")
    frame = pd.concat(parts, ignore_index=True).rename(columns=wanted)
    return frame


def build_postcode_index(zip_path: Path | str | None = None, out_path: Path | str | None = None) -> Path:
    """Read Code-Point Open once and write the compact postcode parquet; returns its path."""
    zip_path = Path(zip_path) if zip_path else _codepoint_zip()
    out_path = Path(out_path) if out_path else POSTCODE_INDEX_PATH
    raw = read_codepoint(zip_path)
    postcode = normalise_postcodes(raw["postcode"])
    # Code-Point spells postcodes with one space already; fall back to its text if our
    # stricter pattern ever disagrees, so no published postcode is lost.
    postcode = postcode.fillna(raw["postcode"].str.strip().str.upper())
    no_coords = (raw["pqi"] == PQI_NO_COORDINATES) | ((raw["easting"] == 0) & (raw["northing"] == 0))
    east = raw["easting"].astype(float).mask(no_coords)
    north = raw["northing"].astype(float).mask(no_coords)
    lon, lat = bng_to_wgs84(east.to_numpy(), north.to_numpy())
    frame = pd.DataFrame({
        "postcode": postcode.astype(str),
        "easting": east.astype("Int32"),
        "northing": north.astype("Int32"),
        # float32 keeps ~0.4 m, below Code-Point's 1 m grid, and halves the cache
        "lon": lon.astype("float32"),
        "lat": lat.astype("float32"),
        "pqi": raw["pqi"].astype("int16"),
        "country": raw["country"].astype("category"),
    }).drop_duplicates("postcode").sort_values("postcode", ignore_index=True)
    with atomic.path(out_path) as tmp:
        frame.to_parquet(tmp, index=False, compression="zstd")
    _load_index_cached.cache_clear()
    return out_path


def _codepoint_zip() -> Path:
    return atlas.input_path(CODEPOINT_DATASET)


_INDEX_COLUMNS = ("postcode", "easting", "northing", "lon", "lat", "pqi", "country")
_MIN_POSTCODES = 1  # a cache with no postcode at all is damaged (a full build holds ~1.7 million)


@lru_cache(maxsize=2)
def _load_index_cached(path: str) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for damaged files
        raise atlas.cache_fault(path, f"{type(exc).__name__}: {str(exc)[:160]}") from exc
    missing = [c for c in _INDEX_COLUMNS if c not in frame.columns]
    if missing or len(frame) < _MIN_POSTCODES:
        raise atlas.cache_fault(path, f"missing columns {missing}" if missing else "no postcodes")
    return frame.set_index("postcode")


def load_postcode_index(path: Path | str | None = None, build_if_missing: bool = True) -> pd.DataFrame:
    """The postcode table indexed by normalised postcode (cached per process, read-only).

    A missing or damaged cache is rebuilt from Code-Point Open when ``build_if_missing`` (and the
    zip is there); otherwise a damaged one raises `CacheError` naming the file and the
    rebuild command.
    """
    path = Path(path) if path else POSTCODE_INDEX_PATH
    if not path.exists():
        if not build_if_missing:
            raise NotBuiltError(f"{path} not built yet: run `python -m geo_core20 data build` "
                                "(or geocode.build_postcode_index()).")
        build_postcode_index(out_path=path)
    try:
        return _load_index_cached(str(path))
    except CacheError as fault:
        if not build_if_missing:
            raise
        try:
            build_postcode_index(out_path=path)
        except (DataError, OSError, ValueError) as exc:
            raise fault from exc
        return _load_index_cached(str(path))


def locate_postcodes(values: pd.Series, index: pd.DataFrame | None = None) -> pd.DataFrame:
    """Look up postcodes; one row per input (same index) with
    postcode (normalised), easting, northing, lon, lat, country and status
    (``ok`` / ``invalid format`` / ``not found`` / ``no coordinates``)."""
    index = load_postcode_index() if index is None else index
    values = pd.Series(values)
    postcode = normalise_postcodes(values)
    found = index.reindex(postcode.fillna("").to_numpy())
    out = pd.DataFrame({
        "postcode": postcode.to_numpy(),
        "easting": found["easting"].astype("Float64").to_numpy(),
        "northing": found["northing"].astype("Float64").to_numpy(),
        "lon": found["lon"].to_numpy(dtype=float).round(6),
        "lat": found["lat"].to_numpy(dtype=float).round(6),
        "country": found["country"].astype(object).to_numpy(),
    }, index=values.index)
    status = np.where(postcode.isna(), STATUS_INVALID,
                      np.where(found["pqi"].isna().to_numpy(), STATUS_NOT_FOUND,
                               np.where(out["lon"].isna(), STATUS_NO_COORDS, STATUS_OK)))
    out["status"] = status
    return out


# --- points -> LSOA -------------------------------------------------------------------------------

def assign_lsoa(lon: np.ndarray | pd.Series, lat: np.ndarray | pd.Series, atlas: gpd.GeoDataFrame,
                snap_metres: float = SNAP_METRES) -> pd.DataFrame:
    """The atlas LSOA each point lies in (see `LSOA_ASSIGNMENT_NOTE` for the BSC caveat).

    Returns one row per point (positional index) with lsoa_code (None when outside every
    LSOA by more than ``snap_metres``), method (``within`` / ``nearest``) and distance_m.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    out = pd.DataFrame({"lsoa_code": pd.Series([None] * len(lon), dtype=object),
                        "method": pd.Series([None] * len(lon), dtype=object),
                        "distance_m": np.nan})
    valid = np.isfinite(lon) & np.isfinite(lat)
    if not valid.any():
        return out
    polygons = atlas[[schema.LSOA_CODE, "geometry"]]
    points = gpd.GeoDataFrame({"_pos": np.flatnonzero(valid)},
                              geometry=gpd.points_from_xy(lon[valid], lat[valid]), crs=schema.CRS_WGS84)
    hits = gpd.sjoin(points, polygons, how="inner", predicate="within")
    hits = hits.drop_duplicates("_pos")  # a point on a shared edge: keep one LSOA
    out.loc[hits["_pos"].to_numpy(), "lsoa_code"] = hits[schema.LSOA_CODE].to_numpy()
    out.loc[hits["_pos"].to_numpy(), "method"] = "within"
    out.loc[hits["_pos"].to_numpy(), "distance_m"] = 0.0

    missed = points[~points["_pos"].isin(hits["_pos"])]
    if len(missed) and snap_metres > 0:
        # only reproject polygons near the missed points (degrees: 0.01 ~ 700-1100 m)
        near = polygons.sindex.query(missed.geometry, predicate="dwithin", distance=0.01)
        candidates = polygons.iloc[np.unique(near[1])] if len(near[1]) else polygons.iloc[:0]
        if len(candidates):
            snapped = gpd.sjoin_nearest(missed.to_crs(schema.CRS_BNG), candidates.to_crs(schema.CRS_BNG),
                                        how="inner", max_distance=snap_metres, distance_col="distance_m")
            snapped = snapped.sort_values("distance_m").drop_duplicates("_pos")
            pos = snapped["_pos"].to_numpy()
            out.loc[pos, "lsoa_code"] = snapped[schema.LSOA_CODE].to_numpy()
            out.loc[pos, "method"] = "nearest"
            out.loc[pos, "distance_m"] = snapped["distance_m"].to_numpy()
    return out
