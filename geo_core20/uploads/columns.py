"""Which columns of an upload hold what: LSOA codes, postcodes, coordinates, values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo_core20 import geocode
from geo_core20.errors import UploadError
from geo_core20.uploads.cells import (
    DECIMAL_COMMA_OPTION,
    _flat,
    blank_mask,
    is_lsoa_code,
    key,
    number_formats,
    parse_columns,
    parse_numbers,
    share,
    share_numbers_columns,
)
from geo_core20.uploads.reading import RawTable

COUNT, RATE = "count", "rate"
LSOA_KIND, POINTS_KIND = "lsoa", "points"

# header aliases, compared after `key` (lower case, letters and digits only)
LSOA_ALIASES = ("lsoacode", "lsoa21cd", "lsoa11cd", "lsoa", "lsoacode2021", "lsoacode2011", "lsoa21code",
                "lsoa11code", "lsoa21", "lsoa11", "lsoacd", "lsoaid", "geographycode", "areacode",
                "lowerlayersuperoutputarea", "lowerlayersuperoutputareacode", "lsoa2021code",
                "lsoa2011code", "lsoa2021", "lsoa2011", "code")
POSTCODE_ALIASES = ("postcode", "postcodes", "pcd", "pcds", "pcd2", "pcd7", "pcd8", "postalcode", "zip",
                    "zipcode", "pc", "sitepostcode", "venuepostcode")
LON_ALIASES = ("lon", "long", "longitude", "lng", "wgs84lon", "longitudewgs84", "xlon", "lonwgs84")
LAT_ALIASES = ("lat", "latitude", "wgs84lat", "latitudewgs84", "ylat", "latwgs84")
EASTING_ALIASES = ("easting", "eastings", "east", "bnge", "bngeasting", "xbng", "oseast1m", "gridrefeast")
NORTHING_ALIASES = ("northing", "northings", "north", "bngn", "bngnorthing", "ybng", "osnrth1m",
                    "gridrefnorth")
AMBIGUOUS_X, AMBIGUOUS_Y = ("x", "xcoord", "xcoordinate"), ("y", "ycoord", "ycoordinate")
LABEL_HINTS = ("name", "site", "venue", "title", "label", "description", "organisation", "location")
_RATE_HINTS = ("rate", "per", "pct", "percent", "prop", "share", "ratio", "score", "mean", "average",
               "avg", "index", "prevalence", "median")

EXPECTED_COLUMNS_TEXT = (
    "an LSOA code column (e.g. lsoa_code, LSOA21CD, LSOA11CD, 'LSOA code (2021)', or any column of codes "
    "like E01000001), or a postcode column, or longitude and latitude columns, or easting and northing "
    "columns"
)


def find_lsoa_column(frame: pd.DataFrame) -> str | None:
    """The column of LSOA codes: by header alias (checked against content), else by content."""
    by_alias = [c for c in frame.columns if key(c) in LSOA_ALIASES
                or (("lsoa" in key(c)) and ("cd" in key(c) or "code" in key(c)))]
    for col in by_alias:
        if share(frame[col], is_lsoa_code) >= 0.5:
            return col
    scored = [(c, share(frame[c], is_lsoa_code)) for c in frame.columns]
    scored = [(c, s) for c, s in scored if s >= 0.8]
    return max(scored, key=lambda cs: cs[1])[0] if scored else None



@dataclass
class PointColumns:
    """Which columns locate each point (postcode and/or a coordinate pair)."""

    postcode: str | None = None
    lon: str | None = None
    lat: str | None = None
    easting: str | None = None
    northing: str | None = None
    label: str | None = None

    @property
    def usable(self) -> bool:
        return bool(self.postcode or (self.lon and self.lat) or (self.easting and self.northing))

    def describe(self) -> str:
        parts = []
        if self.lon and self.lat:
            parts.append(f"longitude/latitude from '{self.lon}'/'{self.lat}'")
        if self.easting and self.northing:
            parts.append(f"easting/northing from '{self.easting}'/'{self.northing}'")
        if self.postcode:
            parts.append(f"postcode from '{self.postcode}'")
        return "; ".join(parts) if parts else "none"


def _first(frame: pd.DataFrame, aliases: tuple[str, ...], contains: str | None = None,
           exclude: Iterable[str] = ()) -> str | None:
    exclude = set(exclude)
    for col in frame.columns:
        if col not in exclude and key(col) in aliases:
            return col
    if contains:
        for col in frame.columns:
            if col not in exclude and contains in key(col):
                return col
    return None


def _median_abs(values: pd.Series) -> float:
    nums = parse_numbers(values).abs().dropna()
    return float(nums.median()) if len(nums) else float("nan")


_POSTCODE_START = r"^\s*[A-Za-z]{1,2}[0-9]"


def _maybe_postcodes(frame: pd.DataFrame) -> list[str]:
    """Columns whose first filled cells mostly start like a postcode (a cheap test of all columns at
    once, before the exact one)."""
    columns = list(frame.columns)
    if not columns:
        return []
    head = frame.head(2000)
    values, group = _flat(head, columns)
    filled = ~blank_mask(values).to_numpy(dtype=bool)
    like = filled & values.astype(str).str.match(_POSTCODE_START).fillna(False).to_numpy(dtype=bool)
    n_filled = np.bincount(group[filled], minlength=len(columns))
    n_like = np.bincount(group[like], minlength=len(columns))
    return [c for c, f, k in zip(columns, n_filled, n_like, strict=True) if f and k >= 0.5 * f]


def find_point_columns(frame: pd.DataFrame) -> PointColumns:
    """Postcode, lon/lat and easting/northing columns by header (x/y decided by their values)."""
    cols = PointColumns()
    pc = _first(frame, POSTCODE_ALIASES, contains="postcode")
    if pc is not None and share(frame[pc], lambda v: geocode.normalise_postcode(v) is not None) >= 0.3:
        cols.postcode = pc
    elif pc is None:
        # a headerless or oddly named column full of postcodes
        scored = [(c, share(frame[c], lambda v: geocode.normalise_postcode(v) is not None))
                  for c in _maybe_postcodes(frame)]
        scored = [(c, s) for c, s in scored if s >= 0.8]
        cols.postcode = max(scored, key=lambda cs: cs[1])[0] if scored else None
    cols.lon = _first(frame, LON_ALIASES, contains="longitude")
    cols.lat = _first(frame, LAT_ALIASES, contains="latitude")
    cols.easting = _first(frame, EASTING_ALIASES, contains="easting")
    cols.northing = _first(frame, NORTHING_ALIASES, contains="northing")
    x = _first(frame, AMBIGUOUS_X)
    y = _first(frame, AMBIGUOUS_Y)
    if x and y:
        scale = max(_median_abs(frame[x]), _median_abs(frame[y]))
        if scale <= 180 and not (cols.lon and cols.lat):
            cols.lon, cols.lat = x, y
        elif scale > 1000 and not (cols.easting and cols.northing):
            cols.easting, cols.northing = x, y
    if not (cols.lon and cols.lat):
        cols.lon = cols.lat = None
    if not (cols.easting and cols.northing):
        cols.easting = cols.northing = None
    used = {cols.postcode, cols.lon, cols.lat, cols.easting, cols.northing}
    for col in frame.columns:
        if col not in used and any(h in key(col) for h in LABEL_HINTS):
            cols.label = col
            break
    return cols


def numeric_columns(frame: pd.DataFrame, exclude: Iterable[str] = ()) -> list[str]:
    """Columns whose filled cells are (at least 80%) numbers: candidate value columns."""
    exclude = set(exclude)
    shares = share_numbers_columns(frame, [c for c in frame.columns if c not in exclude])
    return [c for c, s in shares.items() if s >= 0.8]


def guess_semantics(frame: pd.DataFrame, column: str) -> str:
    """'rate' for shares, rates, scores (or any decimals); 'count' for whole numbers."""
    return guess_semantics_columns(frame, [column])[column]


def guess_semantics_columns(frame: pd.DataFrame, columns: Iterable[str]) -> dict[str, str]:
    """`guess_semantics` of each of ``columns`` (their numbers parsed all at once)."""
    columns = list(dict.fromkeys(columns))
    out: dict[str, str] = {}
    rest = []
    for col in columns:
        name = key(col)
        if any(h in name for h in _RATE_HINTS) or "%" in str(col):
            out[col] = RATE
        else:
            rest.append(col)
    if rest:
        values, group = _flat(frame, rest)
        percent = np.bincount(group[values.astype(str).str.contains("%", regex=False).to_numpy(dtype=bool)],
                              minlength=len(rest)) > 0
        nums = parse_columns(frame, rest)
        for j, col in enumerate(rest):
            v = nums[col].dropna()
            whole = len(v) and (v >= 0).all() and np.allclose(v, v.round())
            out[col] = RATE if percent[j] or not whole else COUNT
    return {c: out[c] for c in columns}


def detect_kind(raw: RawTable) -> str:
    """'lsoa' for a table keyed by LSOA code, 'points' for postcodes/coordinates.

    Raises UploadError naming the columns found and the columns expected when neither fits.
    """
    lsoa = find_lsoa_column(raw.frame)
    points = find_point_columns(raw.frame)
    if lsoa is not None:
        others = numeric_columns(raw.frame, exclude=[lsoa, points.lon, points.lat, points.easting,
                                                     points.northing])
        if others or not points.usable:
            return LSOA_KIND
    if points.usable:
        return POINTS_KIND
    raise UploadError(no_usable_column_message(raw))


def no_usable_column_message(raw: RawTable) -> str:
    found = ", ".join(f"'{c}'" for c in raw.frame.columns[:30])
    more = f" and {len(raw.frame.columns) - 30} more" if len(raw.frame.columns) > 30 else ""
    return (f"No usable column in '{raw.filename}'. Columns found: {found}{more}. Expected "
            f"{EXPECTED_COLUMNS_TEXT}.")



def check_number_columns(raw: RawTable, columns: Iterable[str | None]) -> None:
    """UploadError when a column's numbers could be read two ways (decimal comma or point).

    Nothing is guessed: the message names the column, an example of each way, and the option
    that re-reads the file with decimal commas. A file read with that option is not checked.
    """
    if raw.decimal_comma:
        return
    wanted = [c for c in dict.fromkeys(columns) if c is not None and c in raw.frame.columns]
    formats = number_formats(raw.frame, wanted, european_hint=raw.delimiter == ";")
    for col in wanted:
        values = raw.frame[col]
        if formats[col] == "ambiguous":
            texts = [str(v) for v in values.head(5000) if any(ch in str(v) for ch in ",.")][:4]
            shown = ", ".join(repr(t[:20]) for t in texts)
            raise UploadError(f"'{raw.filename}': column '{col}' has numbers that read differently with a "
                              f"decimal comma and with a decimal point ({shown}): '0,125' could be 0.125 or "
                              f"125, '1.234' could be 1.234 or 1234. Nothing was guessed. If the file uses "
                              f"decimal commas (1.234,5), {DECIMAL_COMMA_OPTION}; otherwise write the "
                              "numbers with a decimal point and no thousands separator.")
