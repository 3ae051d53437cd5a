"""Build and load the England LSOA atlas, one GeoParquet per IMD vintage, plus the sites table.

The atlas is the one trusted table every page stands on: one row per English LSOA with
its boundary, names, geography, population, deprivation and PLUS attributes. Builds go
to a temporary file and replace the previous atlas only when every check has passed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_core20 import atomic, readers, schema, sources
from geo_core20.errors import CacheError, DataError, InputError, NotBuiltError

BUILD_VERSION = "1"  # bump when the atlas layout changes, to force a rebuild
DISPLAY_PRECISION = 1e-5  # ~1 m grid for map geometry: plenty below the 200 m BSC generalisation
DISPLAY_TOLERANCE = 2e-4  # degrees (~15-20 m) of simplification for map display


def atlas_path(vintage: str, processed_dir: Path | None = None) -> Path:
    return (processed_dir or sources.PROCESSED_DIR) / f"atlas_{vintage}.parquet"


def display_path(vintage: str, processed_dir: Path | None = None) -> Path:
    return (processed_dir or sources.PROCESSED_DIR) / f"atlas_{vintage}_display.parquet"


def sites_path(processed_dir: Path | None = None) -> Path:
    return (processed_dir or sources.PROCESSED_DIR) / "sites.parquet"


def _check_vintage(vintage: str) -> str:
    if vintage not in schema.VINTAGES:
        raise InputError(f"unknown vintage {vintage!r}; expected one of {', '.join(schema.VINTAGES)}")
    return vintage


# --- inputs -------------------------------------------------------------------------------------

INPUTS = {
    "2025": ("lsoa21_boundaries", "lsoa21_pwc", "lookup_lsoa21_icb24", "lookup_lsoa21_lad24",
             "lookup_lad24_region", "icb23_boundaries", "lookup_icb_names", "iod2025",
             "census21_population", "census21_ethnicity", "ruc21", "coastal_lsoa21", "lookup_lsoa11_lsoa21"),
    "2019": ("lsoa11_boundaries", "lsoa11_pwc", "lookup_lsoa11_icb22", "lookup_lsoa11_lsoa21",
             "lookup_lsoa21_icb24", "lookup_lsoa21_lad24", "lookup_lad24_region", "icb23_boundaries",
             "lookup_icb_names", "imd2019", "imd2019_scores", "imd2019_population", "ruc11",
             "coastal_lsoa11"),
    "sites": ("gp_practices", "pharmacies", "cdc_sites", "hospitals", "lookup_lsoa21_icb24",
              "icb23_boundaries"),
}


def input_path(dataset_id: str, raw_dir: Path | None = None, boundaries_dir: Path | None = None) -> Path:
    """The local file of a dataset, or a DataError saying where we looked and how to get it."""
    from geo_core20 import fetch

    dataset = sources.get(dataset_id)
    found = fetch.locate(dataset, raw_dir, boundaries_dir)
    if found is None and fetch._converted(dataset) and dataset.urls:
        saved = fetch.download_path(dataset, dataset.urls[0], raw_dir, boundaries_dir)
        kind = "optional input" if dataset.optional else "missing input"
        raise DataError(f"{kind} {dataset.id} ({dataset.title}) is not here yet: it exists, published by "
                        f"{dataset.publisher}. Online, `python -m geo_core20 data fetch --only {dataset.id}` "
                        f"downloads {dataset.urls[0]} and reshapes it; offline, save that file as {saved} "
                        "and run the same command.")
    if found is None:
        where = dataset.dest(raw_dir, boundaries_dir)
        how = dataset.urls[0] if dataset.urls else (dataset.landing_page or "the mirror")
        raise DataError(f"missing input {dataset.id} ({dataset.title}): expected {where}. "
                        f"Run `python -m geo_core20 data fetch --mirror DIR` (or set GEO_CORE20_MIRROR), "
                        f"or download it from {how}.")
    return found


def _fingerprint(paths: list[Path]) -> str:
    """Hash of the inputs' names, sizes and contents plus the build code, for no-op rebuilds."""
    h = hashlib.sha256(BUILD_VERSION.encode())
    for module in (readers, schema):
        h.update(Path(module.__file__).read_bytes())
    h.update(Path(__file__).read_bytes())
    for p in paths:
        h.update(str(p.name).encode())
        st = p.stat()
        h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _meta_path(target: Path) -> Path:
    return target.with_suffix(".meta.json")


def _is_current(target: Path, fingerprint: str) -> bool:
    meta = _meta_path(target)
    if not (target.exists() and meta.exists()):
        return False
    try:
        return json.loads(meta.read_text())["fingerprint"] == fingerprint
    except (ValueError, KeyError):
        return False


def write_parquet(frames: dict[Path, gpd.GeoDataFrame], fingerprint: str, extra: dict) -> None:
    """Write every frame to a temp file first; swap them in (each with its fingerprint file) only
    when all writes succeeded."""
    with contextlib.ExitStack() as stack:
        for target, frame in frames.items():
            frame.to_parquet(stack.enter_context(atomic.path(target)), index=False, compression="zstd")
    for target, frame in frames.items():
        meta = {"fingerprint": fingerprint, "built": time.strftime("%Y-%m-%dT%H:%M:%S"), "rows": len(frame),
                **extra}
        atomic.write_text(_meta_path(target), json.dumps(meta, indent=1))


# --- assembling the atlas -----------------------------------------------------------------------

def _join(left: pd.DataFrame, right: pd.DataFrame, what: str, required: bool = True) -> pd.DataFrame:
    """Left join on lsoa_code that refuses duplicates and (if required) any unmatched LSOA."""
    readers.check_unique(right[schema.LSOA_CODE], what)
    right = right[right[schema.LSOA_CODE].isin(left[schema.LSOA_CODE])]
    out = left.merge(right, on=schema.LSOA_CODE, how="left", validate="1:1")
    if required:
        missing = out.loc[out[right.columns.drop(schema.LSOA_CODE)[0]].isna(), schema.LSOA_CODE]
        if len(missing):
            raise DataError(f"{what}: no row for {len(missing)} English LSOAs, e.g. {missing.iloc[0]}.")
    return out


def _geography_2021(files: Callable[[str], Path]) -> pd.DataFrame:
    icb = readers.read_lookup(files("lookup_lsoa21_icb24"),
                              ["lsoa21_code", "sub_icb_code", "sub_icb_name", "icb_code", "icb_name"])
    lad = readers.read_lookup(files("lookup_lsoa21_lad24"), ["lsoa21_code", "lad_code", "lad_name"])
    region = readers.read_lookup(files("lookup_lad24_region"),
                                 ["lad_code", "region_code", "region_name"])
    nhs = readers.read_icb_regions(files("icb23_boundaries"), files("lookup_icb_names"))
    geo = icb.merge(lad, on="lsoa21_code", how="left", validate="1:1")
    geo = geo.merge(region, on="lad_code", how="left", validate="m:1")
    geo = geo.merge(nhs, on="icb_code", how="left", validate="m:1")
    return geo.rename(columns={"lsoa21_code": schema.LSOA_CODE})


def _finish(gdf: gpd.GeoDataFrame, vintage: str) -> gpd.GeoDataFrame:
    """Core20 flag, column order and the whole-table checks every atlas must pass."""
    gdf[schema.CORE20] = gdf[schema.IMD_DECILE] <= 2
    gdf[schema.POPULATION] = gdf[schema.POPULATION].astype("int64")
    gdf[schema.COASTAL] = gdf[schema.COASTAL].astype(bool)
    extra = [c for c in gdf.columns if c not in schema.ATLAS_COLUMNS and c != "geometry"]
    gdf = gdf[[*schema.ATLAS_COLUMNS, *extra, "geometry"]].sort_values(schema.LSOA_CODE)
    gdf = gdf.reset_index(drop=True)
    expected = schema.LSOA_COUNT[vintage]
    if len(gdf) != expected:
        raise DataError(f"atlas {vintage}: {len(gdf)} English LSOAs, expected {expected}.")
    for col in ("lad_code", "icb_code", "sub_icb_code", "region_code", "nhs_region_code"):
        if gdf[col].isna().any():
            bad = gdf.loc[gdf[col].isna(), schema.LSOA_CODE]
            raise DataError(f"atlas {vintage}: {len(bad)} LSOAs have no {col}, e.g. {bad.iloc[0]}.")
    return gdf


def _assemble_2025(files: Callable[[str], Path]) -> gpd.GeoDataFrame:
    gdf = readers.read_lsoa_boundaries(files("lsoa21_boundaries"), "2021")
    lsoa21 = set(gdf[schema.LSOA_CODE])
    lsoa11 = set(readers.read_lookup(files("lookup_lsoa11_lsoa21"), ["lsoa11_code"])["lsoa11_code"])
    imd = readers.read_imd(files("iod2025"), "2021")
    readers.check_vintage(imd[schema.LSOA_CODE], lsoa21, lsoa11, "2021", files("iod2025").name)
    gdf = gdf.merge(_geography_2021(files), on=schema.LSOA_CODE, how="left", validate="1:1")
    gdf = _join(gdf, imd, files("iod2025").name)
    gdf = _join(gdf, readers.read_population(files("census21_population"), "2021"),
                files("census21_population").name)
    gdf = _join(gdf, readers.read_ethnicity(files("census21_ethnicity")), files("census21_ethnicity").name)
    gdf = _join(gdf, readers.read_lsoa_attribute(files("ruc21"), "2021", "ruc_class"), files("ruc21").name)
    gdf = _join(gdf, readers.read_coastal(files("coastal_lsoa21"), "2021"), files("coastal_lsoa21").name)
    gdf = _join(gdf, readers.read_centroids(files("lsoa21_pwc"), "2021"), files("lsoa21_pwc").name)
    return _finish(gpd.GeoDataFrame(gdf, geometry="geometry", crs=schema.CRS_WGS84), "2025")


def _assemble_2019(files: Callable[[str], Path]) -> gpd.GeoDataFrame:
    gdf = readers.read_lsoa_boundaries(files("lsoa11_boundaries"), "2011")
    bridge = readers.read_lookup(files("lookup_lsoa11_lsoa21"), ["lsoa11_code", "lsoa21_code"])
    lsoa11 = set(gdf[schema.LSOA_CODE])
    imd_file = files("imd2019")
    imd = readers.read_imd(imd_file, "2011", scores_path=files("imd2019_scores"))
    readers.check_vintage(imd[schema.LSOA_CODE], lsoa11, set(bridge["lsoa21_code"]), "2011", imd_file.name)
    icb = readers.read_lookup(files("lookup_lsoa11_icb22"),
                              ["lsoa11_code", "sub_icb_code", "sub_icb_name", "icb_code", "icb_name",
                               "lad_code", "lad_name"]).rename(columns={"lsoa11_code": schema.LSOA_CODE})
    # ONS and NHS regions are not published on LSOA 2011; they nest LSOAs exactly, so any
    # LSOA 2021 that an LSOA 2011 maps to gives the same region (checked below).
    geo21 = _geography_2021(files)[[schema.LSOA_CODE, "region_code", "region_name", "nhs_region_code",
                                    "nhs_region_name"]].rename(columns={schema.LSOA_CODE: "lsoa21_code"})
    regions = bridge.merge(geo21, on="lsoa21_code").drop(columns="lsoa21_code").drop_duplicates()
    regions = regions.rename(columns={"lsoa11_code": schema.LSOA_CODE})
    split = regions[regions[schema.LSOA_CODE].duplicated()]
    if len(split):
        raise DataError(f"LSOA 2011 {split[schema.LSOA_CODE].iloc[0]} maps to two regions.")
    gdf = _join(gdf, icb, files("lookup_lsoa11_icb22").name)
    gdf = _join(gdf, regions, "region lookup via LSOA 2021")
    gdf = _join(gdf, imd, imd_file.name)
    gdf = _join(gdf, readers.read_population(files("imd2019_population"), "2011"),
                files("imd2019_population").name)
    gdf = _join(gdf, readers.read_lsoa_attribute(files("ruc11"), "2011", "ruc_class"), files("ruc11").name)
    gdf = _join(gdf, readers.read_coastal(files("coastal_lsoa11"), "2011"), files("coastal_lsoa11").name)
    gdf = _join(gdf, readers.read_centroids(files("lsoa11_pwc"), "2011"), files("lsoa11_pwc").name)
    return _finish(gpd.GeoDataFrame(gdf, geometry="geometry", crs=schema.CRS_WGS84), "2019")


def display_geometry(geometry: gpd.GeoSeries) -> gpd.GeoSeries:
    """Lighter geometry for web maps: simplified a little, snapped to a ~1 m grid."""
    simple = shapely.simplify(geometry.values, DISPLAY_TOLERANCE, preserve_topology=True)
    return gpd.GeoSeries(shapely.set_precision(simple, DISPLAY_PRECISION), crs=geometry.crs)


def build_atlas(vintage: str, raw_dir: Path | None = None, boundaries_dir: Path | None = None,
                processed_dir: Path | None = None, force: bool = False) -> tuple[Path, bool]:
    """Build the atlas of one vintage; returns (path, rebuilt?). No-op when inputs are unchanged."""
    _check_vintage(vintage)
    def files(dataset_id: str) -> Path:
        return input_path(dataset_id, raw_dir, boundaries_dir)

    paths = [files(i) for i in INPUTS[vintage]]
    target = atlas_path(vintage, processed_dir)
    fingerprint = _fingerprint(paths)
    if not force and _is_current(target, fingerprint) and display_path(vintage, processed_dir).exists():
        return target, False
    gdf = _assemble_2025(files) if vintage == "2025" else _assemble_2019(files)
    display = gpd.GeoDataFrame({schema.LSOA_CODE: gdf[schema.LSOA_CODE]},
                               geometry=display_geometry(gdf.geometry), crs=schema.CRS_WGS84)
    used = list(INPUTS[vintage])
    write_parquet({target: gdf, display_path(vintage, processed_dir): display}, fingerprint,
                  {"vintage": vintage, "inputs": used})
    _clear_caches()
    return target, True


# --- sites --------------------------------------------------------------------------------------

def _ods_sites(path: Path, site_type: str, icb_by_ods: dict[str, str]) -> pd.DataFrame:
    frame = readers.read_table(path)
    need = {"org_code", "name", "postcode", "lon", "lat", "Eastings", "Northings", "icb_code"}
    if not need <= set(frame.columns):
        raise DataError(f"{path.name}: expected columns {sorted(need)}; found {list(frame.columns)}.")
    if "org_subtype" in frame and site_type == "pharmacy":
        frame = frame[frame["org_subtype"] == "1"]  # 2 = appliance contractors, not pharmacies
    out = pd.DataFrame({
        "site_code": frame["org_code"], "site_name": frame["name"], "site_type": site_type,
        "postcode": frame["postcode"],
        "lon": pd.to_numeric(frame["lon"], errors="coerce"),
        "lat": pd.to_numeric(frame["lat"], errors="coerce"),
        "easting": pd.to_numeric(frame["Eastings"], errors="coerce"),
        "northing": pd.to_numeric(frame["Northings"], errors="coerce"),
        "icb_code": frame["icb_code"].map(icb_by_ods),
        "address": _join_lines(frame, ("addr1", "addr2", "addr3")),
        # ODS: addr4 is the post town (addr5 the county); title case as people write it
        "town": frame["addr4"].fillna("").astype(str).str.strip().str.title() if "addr4" in frame else "",
    })
    return out


def _join_lines(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """Address lines joined with ', ' (blank lines left out), in title case; '' where there are none."""
    present = [c for c in columns if c in frame.columns]
    if not present:
        return pd.Series("", index=frame.index)
    lines = frame[present].fillna("").astype(str)
    return lines.agg(lambda r: ", ".join(p.strip().title() for p in r if p.strip()), axis=1)


def _point_sites(path: Path, site_type: str, prefix: str) -> pd.DataFrame:
    gdf = gpd.read_file(path)
    name_col = next(c for c in gdf.columns if "name" in c.lower())
    names = gdf[name_col].astype(str)
    # no published code: a stable one from the name and position
    codes = [prefix + hashlib.sha1(f"{n}|{g.x:.5f}|{g.y:.5f}".encode()).hexdigest()[:8].upper()
             for n, g in zip(names, gdf.geometry, strict=True)]
    address = gdf["address"].astype(str) if "address" in gdf else pd.Series([""] * len(gdf))
    postcode = address.str.extract(r"([A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})\s*$")[0]
    street = address.str.replace(r",?\s*([A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})\s*$", "", regex=True)
    street = street.str.strip(" ,")
    return pd.DataFrame({
        "site_code": codes, "site_name": names, "site_type": site_type, "postcode": postcode,
        "lon": gdf.geometry.x, "lat": gdf.geometry.y, "easting": np.nan, "northing": np.nan,
        "icb_code": gdf.get("icbCode", None),
        "address": street.replace("nan", "").to_numpy(), "town": "",
    })


def build_sites(raw_dir: Path | None = None, boundaries_dir: Path | None = None,
                processed_dir: Path | None = None, force: bool = False) -> tuple[Path, bool]:
    """Sites table: active GP practices, pharmacies, CDCs and hospitals in England."""
    def files(dataset_id: str) -> Path:
        return input_path(dataset_id, raw_dir, boundaries_dir)

    target = sites_path(processed_dir)
    fingerprint = _fingerprint([files(i) for i in INPUTS["sites"]])
    if not force and _is_current(target, fingerprint):
        return target, False
    lookup = readers.read_lookup(files("lookup_lsoa21_icb24"), ["icb_code", "icb_code_nhs"])
    icb_by_ods = dict(zip(lookup["icb_code_nhs"], lookup["icb_code"], strict=True))
    frames = [
        _ods_sites(files("gp_practices"), "gp", icb_by_ods),
        _ods_sites(files("pharmacies"), "pharmacy", icb_by_ods),
        _point_sites(files("cdc_sites"), "cdc", "CDC-"),
        _point_sites(files("hospitals"), "hospital", "HOSP-"),
    ]
    sites = pd.concat(frames, ignore_index=True)
    sites = sites.dropna(subset=["lon", "lat"])  # a handful of ODS postcodes have no coordinates
    to_bng = readers._TO_BNG
    e, n = to_bng.transform(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    sites["easting"] = sites["easting"].fillna(pd.Series(e, index=sites.index))
    sites["northing"] = sites["northing"].fillna(pd.Series(n, index=sites.index))
    gdf = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites["lon"], sites["lat"]),
                           crs=schema.CRS_WGS84)
    # sites with no ICB code (hospitals) get the ICB they stand in
    icbs = gpd.read_file(files("icb23_boundaries"))[["ICB23CD", "geometry"]].to_crs(schema.CRS_WGS84)
    missing = gdf["icb_code"].isna()
    if missing.any():
        hit = gpd.sjoin(gdf.loc[missing, ["geometry"]], icbs, how="left", predicate="within")
        hit = hit[~hit.index.duplicated()]
        gdf.loc[missing, "icb_code"] = hit["ICB23CD"]
    # England only: Welsh pharmacies and the odd Scottish hospital have no English ICB
    gdf = gdf[gdf["icb_code"].notna()].reset_index(drop=True)
    gdf = gdf[[*schema.SITE_COLUMNS, "geometry"]]
    write_parquet({target: gdf}, fingerprint, {"counts": gdf["site_type"].value_counts().to_dict()})
    _clear_caches()
    return target, True


# --- loading ------------------------------------------------------------------------------------

REBUILD_COMMAND = "python -m geo_core20 data build --force"


def cache_fault(path: Path | str, problem: str) -> CacheError:
    """The error for a damaged cache file: names the file, the fault and the command that rebuilds it."""
    return CacheError(f"The cache file {path} is damaged ({problem}). Rebuild it with "
                      f"`{REBUILD_COMMAND}` (or `make data`); the raw inputs are not touched.")


def _require(path: Path) -> Path:
    if not path.exists():
        raise NotBuiltError(f"{path} not built yet: run `python -m geo_core20 data build` "
                                "(or `make data`).")
    return path


def read_cache(path: Path) -> gpd.GeoDataFrame:
    """A built GeoParquet cache, checked: unreadable, truncated or short files raise `CacheError`."""
    _require(path)
    try:
        gdf = gpd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for damaged files
        raise cache_fault(path, f"{type(exc).__name__}: {str(exc)[:160]}") from exc
    meta = _meta_path(path)
    try:
        rows = json.loads(meta.read_text())["rows"] if meta.exists() else None
    except (ValueError, KeyError, OSError):
        rows = None
    if rows is not None and rows != len(gdf):
        raise cache_fault(path, f"{len(gdf):,} rows where its build wrote {rows:,}")
    return gdf


@lru_cache(maxsize=4)
def _load_atlas_cached(vintage: str, processed: str) -> gpd.GeoDataFrame:
    return read_cache(atlas_path(vintage, Path(processed)))


def load_atlas(vintage: str, processed_dir: Path | None = None) -> gpd.GeoDataFrame:
    """The atlas of one vintage (cached per process; treat it as read-only)."""
    _check_vintage(vintage)
    return _load_atlas_cached(vintage, str(processed_dir or sources.PROCESSED_DIR))


@lru_cache(maxsize=4)
def _load_display_cached(vintage: str, processed: str) -> gpd.GeoSeries:
    return read_cache(display_path(vintage, Path(processed))).geometry


def load_display_geometry(vintage: str, processed_dir: Path | None = None) -> gpd.GeoSeries:
    """Simplified map geometry, in the same row order as `load_atlas`."""
    _check_vintage(vintage)
    return _load_display_cached(vintage, str(processed_dir or sources.PROCESSED_DIR))


@lru_cache(maxsize=2)
def _load_sites_cached(processed: str) -> gpd.GeoDataFrame:
    return read_cache(sites_path(Path(processed)))


def load_sites(processed_dir: Path | None = None) -> gpd.GeoDataFrame:
    """NHS service sites (GP practices, pharmacies, CDCs, hospitals) in England."""
    return _load_sites_cached(str(processed_dir or sources.PROCESSED_DIR))


WARD_NOTE = {
    "2025": "Wards: May 2024 electoral wards (ONS LSOA 2021 to ward to LAD lookup, best fit).",
    "2019": "Wards: May 2024 electoral wards of the LSOA 2021 each LSOA 2011 became (ONS lookups); "
            "an LSOA 2011 split across wards lists each.",
}


def load_ward_names(vintage: str) -> pd.Series:
    """The electoral ward (May 2024) of each LSOA of a vintage: name by ``lsoa_code`` (cached).

    Wards are published for LSOA 2021 (``lookup_lsoa21_lad24``); a 2019 (LSOA 2011) code gets
    the wards of the LSOA 2021 it became (``lookup_lsoa11_lsoa21``), joined by "; " when split.
    """
    _check_vintage(vintage)
    bridge = str(input_path("lookup_lsoa11_lsoa21")) if vintage == "2019" else ""
    return _ward_names_cached(str(input_path("lookup_lsoa21_lad24")), bridge)


@lru_cache(maxsize=2)
def _ward_names_cached(wards_path: str, bridge_path: str) -> pd.Series:
    wards = readers.read_lookup(wards_path, ["lsoa21_code", "ward_name"]).drop_duplicates("lsoa21_code")
    names = wards.set_index("lsoa21_code")["ward_name"]
    if bridge_path:
        bridge = readers.read_lookup(bridge_path, ["lsoa11_code", "lsoa21_code"])
        bridge = bridge.assign(ward_name=bridge["lsoa21_code"].map(names)).dropna(subset=["ward_name"])
        bridge = bridge.drop_duplicates(["lsoa11_code", "ward_name"])
        names = bridge.groupby("lsoa11_code", sort=False)["ward_name"].agg("; ".join)
    return names.rename_axis(schema.LSOA_CODE).rename(schema.WARD_NAME)


def _clear_caches() -> None:
    _load_atlas_cached.cache_clear()
    _load_display_cached.cache_clear()
    _load_sites_cached.cache_clear()
    _ward_names_cached.cache_clear()
