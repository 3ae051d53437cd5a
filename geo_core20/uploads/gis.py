"""GIS uploads: GeoJSON, GeoPackage and zipped shapefiles, read with pyogrio.

Every file ends in a result the rest of the app already knows, or an `UploadError`:

- **points** (and multipoints, one point each) become a points layer, exactly like a CSV of
  longitude/latitude (`points.load_points`, same checks, same `PointsResult`);
- **polygons** become an LSOA-keyed layer (`LsoaTableResult`, value column ``areas``): an LSOA
  counts the uploaded polygons its *population-weighted centroid* falls inside (1 = inside one
  area, 0 = in none; overlapping areas count more than once). Centroids, not overlaps, because
  the PLUS layers and targets treat an LSOA as wholly in or out, and the ONS assigns LSOAs to
  larger areas the same way.

Any declared CRS is reprojected to EPSG:4326. A file without one (a shapefile without its
.prj) is taken as British National Grid when its coordinates fit England in metres, or as
longitude/latitude when they fit England in degrees, with a note saying so; otherwise it is
refused. Invalid polygons are repaired (``make_valid``) and reported; features without a
geometry, or of another kind (lines), are reported and left out. A file with several layers
reads the first layer with features and lists them all (`gis_layers`; pick with ``layer=``).
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo_core20 import limits, schema
from geo_core20.errors import UploadError
from geo_core20.uploads import points as points_mod
from geo_core20.uploads.columns import COUNT, PointColumns
from geo_core20.uploads.lsoa_table import LsoaTableResult
from geo_core20.uploads.reading import RawTable, RowError, check_zip, copy_member, zip_members

GIS_EXTENSIONS = (".geojson", ".json", ".gpkg", ".zip", ".shp")
AREAS_COLUMN = "areas"
POLYGON_NOTE = ("An LSOA counts the uploaded areas its population-weighted centroid falls inside "
                "(0 = none); LSOAs are wholly in or out, as the ONS assigns them to larger areas.")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
# a zipped shapefile without its .shx index is still readable: GDAL rebuilds the index
pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": "YES"})


@dataclass
class GisTable:
    """One layer of a GIS upload in EPSG:4326, with what was done to read it."""

    frame: gpd.GeoDataFrame  # attribute columns + geometry; index = feature number (1-based)
    filename: str
    layer: str
    layers: list[str]
    geometry_kind: str  # "points" or "polygons"
    crs_text: str
    notes: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def name(self) -> str:
        return PurePosixPath(self.filename).stem or "upload"


def gis_format(data: bytes, filename: str) -> str | None:
    """'geojson', 'gpkg' or 'shapefile' (a zip) when the upload is a GIS file, else None."""
    lower = filename.lower()
    if data.startswith(_SQLITE_MAGIC):
        return "gpkg"
    if data.startswith(b"PK\x03\x04"):
        names = [n.lower() for n in zip_members(data) or []]
        if any(n.endswith((".shp", ".gpkg", ".geojson")) for n in names):
            return "shapefile"
        if lower.endswith(".zip") and any(n.endswith(_SHAPEFILE_PARTS) for n in names):
            return "shapefile"  # a zip of shapefile parts without its .shp: reported when read
        return None
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if lower.endswith((".geojson", ".json")) or (head.startswith(b"{") and b'"type"' in head
                                                  and (b"Feature" in head or b"coordinates" in head)):
        return "geojson"
    if lower.endswith((".gpkg", ".shp")):
        return "gpkg" if lower.endswith(".gpkg") else "shapefile"
    return None


def is_gis(data: bytes, filename: str) -> bool:
    """Whether an upload is a GIS file (`load_gis`) rather than a table (`read_upload`)."""
    return gis_format(data, filename) is not None


def _safe_name(name: str) -> str:
    # flatten zip paths: never write outside the temporary folder
    return PurePosixPath(name.replace("\\", "/")).name


def _materialise(data: bytes, filename: str, folder: Path) -> list[Path]:
    """Write the upload into ``folder``; the dataset path(s) GDAL should open."""
    kind = gis_format(data, filename)
    if kind == "geojson":
        path = folder / "upload.geojson"
        path.write_bytes(data.removeprefix(b"\xef\xbb\xbf"))
        return [path]
    if kind == "gpkg":
        if not data.startswith(_SQLITE_MAGIC):
            raise UploadError(f"'{filename}' is named like a GeoPackage but is not one (it is not an SQLite "
                              "file). Export it again from your GIS.")
        path = folder / "upload.gpkg"
        path.write_bytes(data)
        return [path]
    if not data.startswith(b"PK\x03\x04"):
        raise UploadError(f"'{filename}': upload a shapefile as a .zip holding its .shp, .shx, .dbf and .prj "
                          "files, not the .shp alone.")
    infos = [i for i in check_zip(data, filename)
             if not i.is_dir() and "__macosx" not in i.filename.lower()]
    seen: dict[str, str] = {}
    for info in infos:
        flat = _safe_name(info.filename)
        if flat.lower() in seen:
            raise UploadError(f"'{filename}' holds two files named '{flat[:80]}' in different folders "
                              f"('{seen[flat.lower()][:80]}' and '{info.filename[:80]}'): which belongs to "
                              "which shapefile is unclear. Zip one shapefile (or give each its own name) and "
                              "retry.")
        seen[flat.lower()] = info.filename
    budget = limits.MAX_UNZIPPED_BYTES
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in infos:
            target = folder / _safe_name(info.filename)
            if target.name and target.name not in (".", ".."):
                with open(target, "wb") as out:
                    budget -= copy_member(archive, info, out, budget, filename)
    names = sorted(p.name for p in folder.iterdir())
    found = ", ".join(names[:15]) or "nothing"
    inner = [folder / n for n in names if n.lower().endswith((".gpkg", ".geojson"))]
    shps = [folder / n for n in names if n.lower().endswith(".shp")]
    if not shps and not inner:
        raise UploadError(f"'{filename}' holds no .shp file (found: {found}). A zipped shapefile needs its "
                          ".shp, .shx, .dbf and .prj files together.")
    return shps + inner


def gis_layers(data: bytes, filename: str) -> list[str]:
    """The layers of a GIS upload (several in a GeoPackage or a zip of shapefiles)."""
    with tempfile.TemporaryDirectory(prefix="gc20_gis_") as tmp:
        return [name for name, _ in _list_layers(_materialise(data, filename, Path(tmp)), filename)]


def _list_layers(paths: list[Path], filename: str) -> list[tuple[str, Path]]:
    out: list[tuple[str, Path]] = []
    for path in paths:
        try:
            layers = pyogrio.list_layers(path)
        except Exception as exc:  # noqa: BLE001 - GDAL raises several types for damaged files
            raise UploadError(f"'{filename}' cannot be read as a GIS file ({_gdal_reason(exc)}). Export it "
                              "again "
                              "from your GIS as GeoJSON, GeoPackage or a zipped shapefile.") from exc
        if len(out) + len(layers) > limits.MAX_GIS_LAYERS:
            raise UploadError(f"'{filename}' holds more than {limits.MAX_GIS_LAYERS:,} layers; the limit is "
                              f"{limits.MAX_GIS_LAYERS:,} (limits.MAX_GIS_LAYERS). Export only the layer you "
                              "need.")
        for name, _ in layers:
            if len(paths) == 1:
                label = str(name)
            elif path.suffix.lower() == ".shp":
                label = path.stem
            else:
                label = f"{path.name}:{name}"
            out.append((label, path))
    if not out:
        raise UploadError(f"'{filename}' holds no GIS layers.")
    return out


def _gdal_reason(exc: Exception) -> str:
    """The reason in the project's words (GDAL's own text, which names its configuration options
    and internals, is logged, never shown)."""
    text = str(exc).lower()
    if "size" in text and ("max" in text or "exceed" in text or "too" in text):
        return "one of its features is too large to read"
    if "not recognized" in text or "not a supported" in text or "unsupported" in text:
        return "its format is not one this page reads"
    if "no such file" in text or "does not exist" in text:
        return "a part of it is missing"
    return "the file is damaged or is not in the format its name says"


def _is_view(path: Path, layer: str) -> bool:
    """Whether a GeoPackage layer is an SQL view: a saved query, whose cost is unbounded (a recursive
    view never ends), so it is not run."""
    if path.suffix.lower() != ".gpkg":
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT type FROM sqlite_master WHERE name = ?", (layer,)).fetchone()
    except sqlite3.Error:
        return False
    return bool(row) and row[0] == "view"


def _read_layer(path: Path, layer: str, filename: str) -> gpd.GeoDataFrame:
    if _is_view(path, layer):
        raise UploadError(f"'{filename}', layer '{layer}' is a view (a saved query), which this page does not "  # noqa: E501
                          "run. Export the layer as a table and retry.")
    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception as exc:  # noqa: BLE001
        raise UploadError(f"'{filename}', layer '{layer}': cannot be read ({_gdal_reason(exc)}).") from exc
    if info.get("features", 0) > limits.MAX_ROWS:
        raise UploadError(f"'{filename}', layer '{layer}' has {info['features']:,} features; the limit is "
                          f"{limits.MAX_ROWS:,} (limits.MAX_ROWS).")
    if not info.get("geometry_type"):
        raise UploadError(f"'{filename}', layer '{layer}' is a table with no geometry (no points or areas). "
                          "Pick a layer with geometry, or upload the table as a CSV.")
    n_fields = len(info.get("fields", ()))
    if n_fields > limits.MAX_COLUMNS:
        raise UploadError(f"'{filename}', layer '{layer}' has {n_fields:,} attribute columns; the limit is "
                          f"{limits.MAX_COLUMNS:,} (limits.MAX_COLUMNS). Keep only the attributes you need.")
    try:
        # the stored feature count is not trusted: read one more than the limit and count
        gdf = pyogrio.read_dataframe(path, layer=layer, on_invalid="ignore", max_features=limits.MAX_ROWS + 1)
    except Exception as exc:  # noqa: BLE001
        raise UploadError(f"'{filename}', layer '{layer}': cannot be read ({_gdal_reason(exc)}).") from exc
    if len(gdf) > limits.MAX_ROWS:
        raise UploadError(f"'{filename}', layer '{layer}' has more than {limits.MAX_ROWS:,} features; "
                          f"the limit is {limits.MAX_ROWS:,} (limits.MAX_ROWS).")
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise UploadError(f"'{filename}', layer '{layer}' is a table with no geometry (no points or areas).")
    return gdf


def _looks_bng(bounds: np.ndarray) -> bool:
    e0, n0, e1, n1 = bounds
    return (points_mod.ENGLAND_EASTING[0] <= e0 <= e1 <= points_mod.ENGLAND_EASTING[1]
            and points_mod.ENGLAND_NORTHING[0] <= n0 <= n1 <= points_mod.ENGLAND_NORTHING[1])


def _looks_lonlat(bounds: np.ndarray) -> bool:
    x0, y0, x1, y1 = bounds
    return (points_mod.ENGLAND_LON[0] <= x0 <= x1 <= points_mod.ENGLAND_LON[1]
            and points_mod.ENGLAND_LAT[0] <= y0 <= y1 <= points_mod.ENGLAND_LAT[1])


def _to_wgs84(gdf: gpd.GeoDataFrame, filename: str, notes: list[str]) -> tuple[gpd.GeoDataFrame, str]:
    present = gdf.geometry[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    bounds = np.asarray(present.total_bounds, dtype=float)
    if gdf.crs is None:
        if _looks_bng(bounds):
            notes.append("The file declares no coordinate system (no .prj); its coordinates fit England in "
                         "metres, so they were read as British National Grid (EPSG:27700).")
            gdf = gdf.set_crs(schema.CRS_BNG)
        elif _looks_lonlat(bounds):
            notes.append("The file declares no coordinate system (no .prj); its coordinates fit England in "
                         "degrees, so they were read as longitude/latitude (EPSG:4326).")
            gdf = gdf.set_crs(schema.CRS_WGS84)
        else:
            shown = ", ".join(f"{b:,.6g}" for b in bounds)
            raise UploadError(f"'{filename}' declares no coordinate system (a shapefile needs its .prj file) "
                              f"and its coordinates ({shown}) are neither British National Grid nor "
                              "longitude/latitude in England. Export it again with its CRS.")
    crs = CRS.from_user_input(gdf.crs)
    crs_text = f"{crs.name}" + (f" (EPSG:{crs.to_epsg()})" if crs.to_epsg() else "")
    if crs.to_epsg() != 4326:
        try:
            gdf = gdf.to_crs(schema.CRS_WGS84)
        except Exception as exc:  # noqa: BLE001 - pyproj errors for CRSs it cannot transform
            raise UploadError(f"'{filename}': its coordinate system ({crs_text}) cannot be converted to "
                              "longitude/latitude.") from exc
        notes.append(f"Reprojected from {crs_text} to longitude/latitude (EPSG:4326).")
    return gdf, crs_text


def read_gis(data: bytes, filename: str, *, layer: str | None = None) -> GisTable:
    """One layer of a GIS upload (default: the first with features) as points or polygons in EPSG:4326."""
    if not data:
        raise UploadError(f"'{filename}' is empty (0 bytes).")
    if len(data) > limits.MAX_BYTES:
        raise UploadError(f"'{filename}' is {len(data) / 2**20:.1f} MB; the limit is {limits.MAX_UPLOAD_MB} "
                          "MB (limits.MAX_BYTES).")
    if gis_format(data, filename) == "geojson":
        _check_json(data, filename)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gc20_gis_") as tmp:
        paths = _materialise(data, filename, Path(tmp))
        _note_missing_parts(paths, notes)
        layers = _list_layers(paths, filename)
        names = [n for n, _ in layers]
        listed = ", ".join(f"'{n}'" for n in names)
        if layer is not None:
            chosen = next(((n, p) for n, p in layers if n == layer), None)
            if chosen is None:
                raise UploadError(f"'{filename}' has no layer '{layer}'. Layers: {listed}.")
            gdf = _read_layer(chosen[1], _gdal_layer(chosen), filename)
        else:
            chosen, gdf = None, None
            for item in layers:
                gdf = _read_layer(item[1], _gdal_layer(item), filename)
                if len(gdf):
                    chosen = item
                    break
            if chosen is None:
                raise UploadError(f"'{filename}' has no features: every layer is empty (layers: {listed}).")
        if len(gdf) == 0:
            raise UploadError(f"'{filename}', layer '{chosen[0]}' has no features (layers: {listed}).")
    if len(names) > 1:
        notes.append(f"Read layer '{chosen[0]}'; the file has {len(names)} layers ({listed}). Pick another "
                     "layer to read that one.")
    gdf = gdf.reset_index(drop=True)
    gdf.index = pd.RangeIndex(1, len(gdf) + 1)  # feature numbers as the user's GIS shows them
    errors: list[RowError] = []
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    for n in gdf.index[missing]:
        errors.append(RowError(int(n), "feature has no geometry: left out", "geometry", ""))
    gdf = gdf[~missing]
    if gdf.empty:
        raise UploadError(f"'{filename}', layer '{chosen[0]}': no feature has a geometry.")
    if len(gdf.columns) - 1 > limits.MAX_COLUMNS:
        raise UploadError(f"'{filename}' has {len(gdf.columns) - 1:,} attribute columns; the limit is "
                          f"{limits.MAX_COLUMNS:,} (limits.MAX_COLUMNS). Keep only the attributes you need.")
    n_coords = shapely.get_num_coordinates(gdf.geometry.values)
    if n_coords.sum() > limits.MAX_GIS_VERTICES:
        raise UploadError(f"'{filename}' has more than {limits.MAX_GIS_VERTICES:,} vertices; the limit is "
                          f"{limits.MAX_GIS_VERTICES:,} (limits.MAX_GIS_VERTICES). Simplify the shapes "
                          "first.")
    coords, which = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    bad = np.unique(which[~np.isfinite(coords).all(axis=1)])
    if len(bad):
        for n in gdf.index[bad]:
            errors.append(RowError(int(n), "a coordinate is not a number (NaN or infinite): left out",
                                   "geometry", ""))
        gdf = gdf.drop(index=gdf.index[bad])
        if gdf.empty:
            raise UploadError(f"'{filename}', layer '{chosen[0]}': every feature has a coordinate that "
                              "is not a number (NaN or infinite).")
    _check_crs_fits(gdf, filename)
    gdf, crs_text = _to_wgs84(gdf, filename, notes)
    kind, gdf = _one_kind(gdf, errors, filename)
    if kind == "polygons":
        gdf = _repair(gdf, errors, notes)
    return GisTable(frame=gdf, filename=filename, layer=chosen[0], layers=names, geometry_kind=kind,
                    crs_text=crs_text, notes=notes, errors=sorted(errors, key=lambda e: e.row))


def _gdal_layer(item: tuple[str, Path]) -> str:
    name, path = item
    if path.suffix.lower() == ".shp":
        return path.stem
    return name.split(":", 1)[1] if ":" in name and name.startswith(path.name) else name


def _check_json(data: bytes, filename: str) -> None:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UploadError(f"'{filename}' is not valid GeoJSON: {str(exc)[:120]}.") from exc
    geojson_types = ("FeatureCollection", "Feature", "Point", "MultiPoint", "Polygon", "MultiPolygon",
                     "GeometryCollection", "LineString", "MultiLineString")
    if not isinstance(doc, dict) or doc.get("type") not in geojson_types:
        raise UploadError(f"'{filename}' is JSON but not GeoJSON (no FeatureCollection).")


def _note_missing_parts(paths: list[Path], notes: list[str]) -> None:
    parts: dict[tuple[Path, str], set[str]] = {}
    for folder in {p.parent for p in paths}:
        for p in folder.iterdir():  # once per folder, not once per shapefile
            parts.setdefault((folder, p.stem), set()).add(p.suffix.lower())
    for shp in (p for p in paths if p.suffix.lower() == ".shp"):
        have = parts.get((shp.parent, shp.stem), set())
        if ".dbf" not in have:
            notes.append(f"'{shp.name}' came without its .dbf file, so its features have no attributes "
                         "(no names).")
        if ".shx" not in have:
            notes.append(f"'{shp.name}' came without its .shx index; it was rebuilt from the .shp.")


_POINT_TYPES = ("Point", "MultiPoint")
_POLYGON_TYPES = ("Polygon", "MultiPolygon")


def _one_kind(gdf: gpd.GeoDataFrame, errors: list[RowError], filename: str) -> tuple[str, gpd.GeoDataFrame]:
    """Points or polygons (the majority); features of the other kinds are reported and left out."""
    types = gdf.geom_type
    n_points, n_polys = int(types.isin(_POINT_TYPES).sum()), int(types.isin(_POLYGON_TYPES).sum())
    if n_points == 0 and n_polys == 0:
        kinds = ", ".join(sorted(set(types)))
        raise UploadError(f"'{filename}' holds {kinds} features only: upload points (sites) or polygons "
                          "(areas).")
    kind, keep_types = ("points", _POINT_TYPES) if n_points >= n_polys else ("polygons", _POLYGON_TYPES)
    other = ~types.isin(keep_types)
    for n, t in zip(gdf.index[other], types[other], strict=True):
        errors.append(RowError(int(n), f"{t} feature in a layer of {kind}: left out", "geometry", t))
    gdf = gdf[~other]
    if kind == "points":
        n_points = int(shapely.get_num_geometries(gdf.geometry.values).sum())
        if n_points > limits.MAX_ROWS:  # checked before a multipoint is split, on what splitting makes
            raise UploadError(f"'{filename}' holds {n_points:,} points (multipoints counted point by point); "
                              f"the limit is {limits.MAX_ROWS:,} (limits.MAX_ROWS).")
        gdf = gdf.explode(index_parts=False)  # a multipoint: one point each, same feature number
    return kind, gdf


def _check_crs_fits(gdf: gpd.GeoDataFrame, filename: str) -> None:
    """UploadError when the coordinates cannot be in the declared coordinate system (metres declared
    as degrees: every feature would land nowhere, silently)."""
    if gdf.crs is None:
        return
    crs = CRS.from_user_input(gdf.crs)
    x0, y0, x1, y1 = np.asarray(gdf.geometry.total_bounds, dtype=float)
    if crs.is_geographic and (min(x0, x1) < -180 or max(x0, x1) > 180 or min(y0, y1) < -90
                              or max(y0, y1) > 90):
        looks = " (they look like British National Grid metres)" if _looks_bng(np.array([x0, y0, x1, y1])) \
            else ""
        raise UploadError(f"'{filename}' declares longitude/latitude ({crs.name}) but its coordinates run "
                          f"from {x0:,.6g}, {y0:,.6g} to {x1:,.6g}, {y1:,.6g}, which are not degrees{looks}. "
                          "Export it again with its true coordinate system.")


def _repair(gdf: gpd.GeoDataFrame, errors: list[RowError], notes: list[str]) -> gpd.GeoDataFrame:
    valid = gdf.geometry.is_valid
    if valid.all():
        return gdf
    reasons = shapely.is_valid_reason(gdf.geometry.values[~valid.to_numpy()])
    fixed = shapely.make_valid(gdf.geometry.values[~valid.to_numpy()])
    # make_valid may return a collection with slivers of lines: keep the polygonal part
    fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
    gdf = gdf.copy()
    gdf.loc[~valid, "geometry"] = fixed
    for n, why, g in zip(gdf.index[~valid], reasons, fixed, strict=True):
        if g is None or g.is_empty:
            errors.append(RowError(int(n), f"invalid polygon ({why}) that could not be repaired: left out",
                                   "geometry", why))
        else:
            errors.append(RowError(int(n), f"invalid polygon ({why}): repaired", "geometry", why,
                                   severity="warning"))
    notes.append(f"{int((~valid).sum()):,} invalid polygon(s) were repaired (see the row problems).")
    return gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    if geom is None or geom.geom_type in _POLYGON_TYPES:
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in _POLYGON_TYPES]
    return shapely.union_all(parts) if parts else None


# --- as layers -------------------------------------------------------------------------------------

def areas_per_lsoa(polygons: gpd.GeoSeries, atlas_gdf: pd.DataFrame) -> pd.DataFrame:
    """lsoa_code, areas: how many polygons each LSOA's population-weighted centroid is inside (all LSOAs).

    The join runs a block of polygons at a time and stops with an `UploadError` once the
    candidate (centre, polygon) pairs pass `limits.MAX_JOIN_PAIRS` (thousands of overlapping
    England-sized polygons), so its memory stays bounded.
    """
    pwc = gpd.GeoDataFrame({schema.LSOA_CODE: atlas_gdf[schema.LSOA_CODE].to_numpy()},
                           geometry=gpd.points_from_xy(atlas_gdf[schema.PWC_LON], atlas_gdf[schema.PWC_LAT]),
                           crs=schema.CRS_WGS84)
    shapes = np.asarray(polygons.reset_index(drop=True).values, dtype=object)
    tree = pwc.sindex
    counts = np.zeros(len(pwc), dtype=np.int64)
    pairs = 0
    block = 256
    for start in range(0, len(shapes), block):
        part = shapes[start:start + block]
        candidates = tree.query(part)  # bounding boxes: an upper bound of the pairs to test
        pairs += candidates.shape[1]
        if pairs > limits.MAX_JOIN_PAIRS:
            raise UploadError(f"The uploaded areas overlap too much to count: more than "
                              f"{limits.MAX_JOIN_PAIRS:,} (LSOA, area) pairs to test "
                              "(limits.MAX_JOIN_PAIRS). Dissolve or remove overlapping areas and retry.")
        hits = tree.query(part, predicate="contains")
        np.add.at(counts, hits[1], 1)
    out = pd.DataFrame({schema.LSOA_CODE: pwc[schema.LSOA_CODE]})
    out[AREAS_COLUMN] = counts.astype(float)
    return out


def load_gis(data: bytes, filename: str, atlas_gdf: gpd.GeoDataFrame, *, layer: str | None = None,
             postcode_index: pd.DataFrame | None = None) -> points_mod.PointsResult | LsoaTableResult:
    """A GIS upload as a points layer or (polygons) an LSOA-keyed layer of areas per LSOA."""
    table = read_gis(data, filename, layer=layer)
    gdf = table.frame
    notes = [*table.notes, f"Layer '{table.layer}' of {table.geometry_kind}; coordinate system "
                           f"{table.crs_text}."]
    attrs = pd.DataFrame(gdf.drop(columns="geometry")).astype(object)
    attrs = attrs.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    if table.geometry_kind == "points":
        lon_col, lat_col = _free_name(attrs, "lon_wgs84"), _free_name(attrs, "lat_wgs84")
        attrs[lon_col] = [repr(float(x)) for x in gdf.geometry.x]
        attrs[lat_col] = [repr(float(y)) for y in gdf.geometry.y]
        hints = ("name", "site", "venue", "label")
        label = next((c for c in attrs.columns if any(h in c.lower() for h in hints)), None)
        raw = RawTable(frame=attrs.reset_index(drop=True), filename=filename,
                       row_numbers=np.asarray(gdf.index, dtype=int), file_format=table.layer, notes=notes,
                       errors=table.errors)
        result = points_mod.load_points(raw, atlas_gdf, PointColumns(lon=lon_col, lat=lat_col, label=label),
                                        postcode_index=postcode_index)
        return result
    vintage = points_mod.atlas_vintage(atlas_gdf)
    frame = areas_per_lsoa(gdf.geometry, atlas_gdf)
    inside = frame[frame[AREAS_COLUMN] > 0]
    notes.append(POLYGON_NOTE)
    if inside.empty:
        notes.append("No LSOA's population-weighted centroid is inside any of the areas: are they in "
                     "England?")
    return LsoaTableResult(
        name=table.name, frame=inside.reset_index(drop=True), code_column="geometry",
        value_columns={AREAS_COLUMN: COUNT}, vintage="2021" if vintage == "2025" else "2011",
        rows_read=len(table.frame) + sum(e.severity == "error" for e in table.errors), rows_loaded=len(gdf),
        unchanged=len(gdf), split=0, merged=0, irregular=0,
        unmatched=sum(e.severity == "error" for e in table.errors), errors=table.errors, notes=notes,
        polygons=gpd.GeoDataFrame(geometry=gdf.geometry.reset_index(drop=True), crs=schema.CRS_WGS84))


def _free_name(frame: pd.DataFrame, name: str) -> str:
    out, k = name, 2
    while out in frame.columns:
        out, k = f"{name}_{k}", k + 1
    return out
