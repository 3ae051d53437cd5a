"""Point files: postcodes, longitude/latitude or easting/northing -> located points per LSOA 2021."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_core20 import geocode, schema
from geo_core20.errors import UploadError
from geo_core20.uploads.cells import parse_numbers
from geo_core20.uploads.columns import (
    POINTS_KIND,
    PointColumns,
    check_number_columns,
    find_point_columns,
    no_usable_column_message,
)
from geo_core20.uploads.reading import RawTable, RowError

_LAST_2011_CODE = "E01033768"  # LSOA 2021 codes for new areas start after the last 2011 code

# England with a small margin (Isles of Scilly to Lowestoft, Lizard Point to Berwick)
ENGLAND_LON = (-6.45, 1.8)
ENGLAND_LAT = (49.85, 55.82)
ENGLAND_EASTING = (80_000, 660_000)
ENGLAND_NORTHING = (5_000, 660_000)


@dataclass
class PointsResult:
    """Located points (good rows), their count per LSOA 2021, and the rows that failed."""

    name: str
    points: gpd.GeoDataFrame  # row, the file's columns, postcode_found, lon, lat, easting, northing,
    # located_by, lsoa_code, lsoa_method (EPSG:4326)
    counts: pd.DataFrame  # lsoa_code, count
    columns: PointColumns
    rows_read: int
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kind: str = POINTS_KIND
    lsoa_vintage: str = "2025"  # the atlas vintage whose LSOAs lsoa_code and counts refer to

    @property
    def rows_loaded(self) -> int:
        return len(self.points)

    def report(self) -> pd.DataFrame:
        hard = sum(e.severity == "error" for e in self.errors)
        items = [
            ("Rows read", self.rows_read),
            ("Located from", self.columns.describe()),
            ("Points loaded", self.rows_loaded),
            ("Rows rejected", hard),
            ("LSOAs with at least one point", len(self.counts)),
        ]
        return pd.DataFrame(items, columns=["item", "value"]).astype({"value": str})


def _check_lonlat(lon: float, lat: float) -> str | None:
    """Why a lon/lat pair cannot be a point in England, or None if it can."""
    if lon == 0 and lat == 0:
        return "coordinates are 0, 0 (probably missing)"
    if abs(lon) > 1000 or abs(lat) > 1000:
        return "looks like easting/northing in metres, not longitude/latitude in degrees"
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return f"not valid coordinates (longitude {lon:g}, latitude {lat:g})"
    in_england = ENGLAND_LON[0] <= lon <= ENGLAND_LON[1] and ENGLAND_LAT[0] <= lat <= ENGLAND_LAT[1]
    if in_england:
        return None
    if ENGLAND_LON[0] <= lat <= ENGLAND_LON[1] and ENGLAND_LAT[0] <= lon <= ENGLAND_LAT[1]:
        return f"latitude and longitude look swapped (longitude {lon:g}, latitude {lat:g})"
    return f"outside England (longitude {lon:g}, latitude {lat:g})"


def _in_england_bng(east: float, north: float) -> bool:
    return (ENGLAND_EASTING[0] <= east <= ENGLAND_EASTING[1]
            and ENGLAND_NORTHING[0] <= north <= ENGLAND_NORTHING[1])


def _check_bng(east: float, north: float) -> str | None:
    """Why an easting/northing pair cannot be a point in England, or None if it can."""
    if east == 0 and north == 0:
        return "coordinates are 0, 0 (probably missing)"
    if abs(east) <= 180 and abs(north) <= 90:
        return "looks like longitude/latitude in degrees, not easting/northing in metres"
    if _in_england_bng(east, north):
        return None
    if _in_england_bng(north, east):
        return f"easting and northing look swapped (easting {east:g}, northing {north:g})"
    return f"outside England (easting {east:g}, northing {north:g})"


_POSTCODE_REASON = {
    geocode.STATUS_INVALID: "not a valid UK postcode",
    geocode.STATUS_NOT_FOUND: ("postcode not found in OS Code-Point Open (May 2025): new, retired or "
                               "mistyped?"),
    geocode.STATUS_NO_COORDS: "postcode has no coordinates in Code-Point Open (quality code 90)",
}


def atlas_vintage(atlas_gdf: pd.DataFrame) -> str:
    """'2025' for an atlas of LSOA 2021 codes, '2019' for one of LSOA 2011 codes."""
    codes = atlas_gdf[schema.LSOA_CODE]
    return "2025" if len(codes) and str(codes.max()) > _LAST_2011_CODE else "2019"


SWAP_AXES_OPTION = ("tick 'The coordinate columns are swapped' on the upload form (--swap-axes on the "
                    "command line)")
_INTERNAL = ("row", "postcode_found", "lon", "lat", "easting", "northing", "located_by", schema.LSOA_CODE,
             "lsoa_method", "geometry")


def _refuse_swapped(raw: RawTable, pair: tuple[str, str], xs: np.ndarray, ys: np.ndarray, is_lonlat: bool,
                    atlas: gpd.GeoDataFrame) -> None:
    """UploadError when the file's two coordinate columns are the wrong way round (most rows land
    in England only when swapped): nothing is placed by a guess, the message names the option."""
    ok = np.isfinite(xs) & np.isfinite(ys)
    if ok.sum() < 5:
        return
    x, y = xs[ok], ys[ok]
    if is_lonlat:
        given = np.array([_check_lonlat(a, b) is None for a, b in zip(x, y, strict=True)])
        swapped = np.array([_check_lonlat(b, a) is None for a, b in zip(x, y, strict=True)])
    else:
        in_box = np.array([_in_england_bng(a, b) or _in_england_bng(b, a) for a, b in zip(x, y, strict=True)])
        if in_box.sum() < 5:
            return
        x, y = x[in_box], y[in_box]
        given = geocode.assign_lsoa(*geocode.bng_to_wgs84(x, y), atlas)["lsoa_code"].notna().to_numpy()
        swapped = geocode.assign_lsoa(*geocode.bng_to_wgs84(y, x), atlas)["lsoa_code"].notna().to_numpy()
    only_swapped = int((swapped & ~given).sum())
    if only_swapped >= 5 and only_swapped >= 0.2 * len(given) and swapped.sum() > given.sum():
        what = "longitude and latitude" if is_lonlat else "easting and northing"
        raise UploadError(f"'{raw.filename}': the {what} columns ('{pair[0]}', '{pair[1]}') look swapped: "
                          f"{int(swapped.sum()):,} of {len(given):,} rows are in England read the other way "
                          f"round, {int(given.sum()):,} as the header says. Nothing was placed. If the "
                          f"columns are swapped, {SWAP_AXES_OPTION}; otherwise check the header.")


def load_points(raw: RawTable, atlas: gpd.GeoDataFrame, columns: PointColumns | None = None, *,
                postcode_index: pd.DataFrame | None = None, swap_axes: bool = False) -> PointsResult:
    """Locate each row (coordinates first, else postcode), place it in an LSOA, count per LSOA.

    ``swap_axes``: the coordinate columns are the wrong way round (the user said so). Without
    it, a file whose rows land in England mostly when swapped is refused, naming this option.
    """
    frame = raw.frame
    cols = columns or find_point_columns(frame)
    if not cols.usable:
        raise UploadError(no_usable_column_message(raw))
    n = len(frame)
    rows = raw.row_numbers
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    how = np.array([""] * n, dtype=object)
    errors: list[RowError] = []
    reasons: dict[int, RowError] = {}

    coord_pair = (cols.lon, cols.lat) if cols.lon else (cols.easting, cols.northing) if cols.easting else None
    xs = ys = np.full(n, np.nan)
    if coord_pair:
        is_lonlat = coord_pair[0] == cols.lon
        if swap_axes:
            coord_pair = coord_pair[::-1]
        check_number_columns(raw, coord_pair)
        xs = parse_numbers(frame[coord_pair[0]], raw.decimal_comma).to_numpy()
        ys = parse_numbers(frame[coord_pair[1]], raw.decimal_comma).to_numpy()
        tx_all, ty_all = frame[coord_pair[0]].tolist(), frame[coord_pair[1]].tolist()
        if not swap_axes:
            _refuse_swapped(raw, coord_pair, xs, ys, is_lonlat, atlas)
        good: list[int] = []
        for i in range(n):
            tx, ty = tx_all[i], ty_all[i]
            if not tx and not ty:
                continue
            if np.isnan(xs[i]) or np.isnan(ys[i]):
                bad_col, bad_val = (coord_pair[0], tx) if np.isnan(xs[i]) else (coord_pair[1], ty)
                reasons[i] = RowError(int(rows[i]), "coordinate is blank or not a number", bad_col, bad_val)
                continue
            problem = _check_lonlat(xs[i], ys[i]) if is_lonlat else _check_bng(xs[i], ys[i])
            if problem:
                reasons[i] = RowError(int(rows[i]), problem, f"{coord_pair[0]}, {coord_pair[1]}",
                                      f"{tx}, {ty}")
                continue
            good.append(i)
        if good:
            if is_lonlat:
                lon[good], lat[good] = xs[good], ys[good]
            else:
                lon[good], lat[good] = geocode.bng_to_wgs84(xs[good], ys[good])
            how[good] = "longitude/latitude" if is_lonlat else "easting/northing"

    postcode_found = np.full(n, None, dtype=object)
    country = np.full(n, None, dtype=object)
    if cols.postcode:
        texts = frame[cols.postcode].tolist()
        need = np.array([i for i in np.flatnonzero(how == "") if str(texts[i]).strip()], dtype=int)
        if len(need):
            found = geocode.locate_postcodes(pd.Series([texts[i] for i in need]), postcode_index)
            status_all = found["status"].to_numpy()
            f_pc, f_country = found["postcode"].to_numpy(), found["country"].to_numpy()
            f_lon, f_lat = found["lon"].to_numpy(float), found["lat"].to_numpy(float)
            for k, i in enumerate(need):
                status = status_all[k]
                postcode_found[i] = f_pc[k]
                if status == geocode.STATUS_OK:
                    lon[i], lat[i] = f_lon[k], f_lat[k]
                    country[i] = f_country[k]
                    how[i] = "postcode"
                    if i in reasons:  # bad coordinates rescued by the postcode
                        reasons[i].severity = "warning"
                        reasons[i].reason += "; located by postcode instead"
                elif i not in reasons:
                    reasons[i] = RowError(int(rows[i]), _POSTCODE_REASON[status], cols.postcode, texts[i])
    for i in range(n):
        if how[i] == "" and i not in reasons:
            what = cols.describe()
            reasons[i] = RowError(int(rows[i]), f"no location given ({what} all blank)")

    placed = geocode.assign_lsoa(lon, lat, atlas)
    lsoa = placed["lsoa_code"].to_numpy(dtype=object)
    lost = np.flatnonzero((how != "") & pd.isna(lsoa))
    swapped_hit = np.zeros(n, dtype=bool)
    bng_lost = [i for i in lost if how[i] == "easting/northing"]
    if bng_lost:
        # easting and northing ranges overlap in England, so a swap shows only as a miss
        sx, sy = geocode.bng_to_wgs84(ys[bng_lost], xs[bng_lost])
        again = geocode.assign_lsoa(sx, sy, atlas)["lsoa_code"].notna().to_numpy()
        swapped_hit[np.array(bng_lost)[again]] = True
    for i in lost:
        where = geocode.COUNTRY_NAMES.get(country[i] or "", "")
        if how[i] == "postcode":
            column, value = cols.postcode, frame[cols.postcode].iat[i]
        else:
            column = f"{coord_pair[0]}, {coord_pair[1]}"
            value = f"{frame[coord_pair[0]].iat[i]}, {frame[coord_pair[1]].iat[i]}"
        if swapped_hit[i]:
            reason = f"easting and northing look swapped ({value})"
        elif where and where != "England":
            reason = f"postcode is in {where}: outside England"
        else:
            reason = f"outside England: not in or within {geocode.SNAP_METRES:.0f} m of any English LSOA"
        if i in reasons and reasons[i].severity == "warning":
            reasons[i].severity = "error"
            reasons[i].reason += f"; {reason}"
        else:
            reasons[i] = RowError(int(rows[i]), reason, column, value)
        how[i] = ""
    errors = [reasons[i] for i in sorted(reasons)]

    ok = how != ""
    east, north = geocode.wgs84_to_bng(lon[ok], lat[ok])
    data = frame.loc[ok].copy()
    coordinate_columns = {cols.lon, cols.lat, cols.easting, cols.northing}
    clash = {c: f"{c} (file)" for c in data.columns if c in _INTERNAL and c not in coordinate_columns}
    if clash:  # the file's own column called row, lsoa_code...: kept under another name
        data = data.rename(columns=clash)
        raw_notes = [f"The file's column(s) {', '.join(repr(c) for c in clash)} share a name with a column "
                     f"this page adds; kept as {', '.join(repr(c) for c in clash.values())}."]
    else:
        raw_notes = []
    data.insert(0, "row", rows[ok])
    data["postcode_found"] = postcode_found[ok]
    data["lon"] = lon[ok].round(6)
    data["lat"] = lat[ok].round(6)
    data["easting"] = east.round(0)
    data["northing"] = north.round(0)
    data["located_by"] = how[ok]
    data[schema.LSOA_CODE] = lsoa[ok]
    data["lsoa_method"] = placed["method"].to_numpy(dtype=object)[ok]
    points = gpd.GeoDataFrame(data.reset_index(drop=True),
                              geometry=gpd.points_from_xy(lon[ok], lat[ok]), crs=schema.CRS_WGS84)
    counts = (points.groupby(schema.LSOA_CODE).size().rename("count").reset_index()
              if len(points) else pd.DataFrame({schema.LSOA_CODE: [], "count": []}))
    notes = raw.notes + raw_notes + [geocode.LSOA_ASSIGNMENT_NOTE]
    snapped = int((points["lsoa_method"] == "nearest").sum()) if len(points) else 0
    if snapped:
        notes.append(f"{snapped:,} point(s) fell just outside the generalised coastline and were given the "
                     "nearest LSOA.")
    return PointsResult(name=raw.name, points=points, counts=counts, columns=cols,
                        lsoa_vintage=atlas_vintage(atlas), rows_read=n + raw.rows_rejected,
                        errors=sorted(raw.errors + errors, key=lambda e: e.row), notes=notes)
