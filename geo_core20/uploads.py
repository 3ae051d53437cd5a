"""A user's own data as a map layer: an LSOA-keyed table or a file of points.

Reading is forgiving (encodings, delimiters, Excel, title lines, missing header) and
row-level problems never stop a load: each bad row is reported with the row number the
user sees in a spreadsheet (header = row 1, first data row = 2) and the reason, and the
good rows still load. Only an unusable file raises `UploadError`, whose message is meant
for the user as it stands.

Text in uploads is kept as data (names with HTML or formulas included); escape it at
output with `geo_core20.safety`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_core20 import geocode, safety, schema

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 250_000
COUNT, RATE = "count", "rate"
LSOA_KIND, POINTS_KIND = "lsoa", "points"

_LSOA_RE = re.compile(r"^[EW]01\d{6}$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_DECIMAL_COMMA_RE = re.compile(r"^[+-]?\d+,\d+$")
MISSING_MARKERS = frozenset({"na", "n/a", "nan", "null", "none", "-", "*", "**", "..", ".", "x", "c",
                             "#n/a", "suppressed", "redacted", "<5", "[c]", "[x]", "[z]"})
"""Cells meaning 'no value' in published and NHS tables (suppression included): read as blank."""

# England with a small margin (Isles of Scilly to Lowestoft, Lizard Point to Berwick)
ENGLAND_LON = (-6.45, 1.8)
ENGLAND_LAT = (49.85, 55.82)
ENGLAND_EASTING = (80_000, 660_000)
ENGLAND_NORTHING = (5_000, 660_000)

# header aliases, compared after `_key` (lower case, letters and digits only)
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


class UploadError(ValueError):
    """The file cannot be used at all; the message tells the user why and what to do."""


@dataclass
class RowError:
    """One problem with one row, as the user sees it in a spreadsheet."""

    row: int  # header = 1, so the first data row is 2
    reason: str
    column: str = ""
    value: str = ""
    severity: str = "error"  # "error": row not loaded; "warning": loaded, with a caveat


def errors_frame(errors: Iterable[RowError]) -> pd.DataFrame:
    """Row problems as a table (sorted by row) ready to show or download."""
    rows = [{"row": e.row, "column": e.column, "value": e.value, "problem": e.reason, "severity": e.severity}
            for e in errors]
    frame = pd.DataFrame(rows, columns=["row", "column", "value", "problem", "severity"])
    return frame.sort_values(["row", "column"], kind="stable", ignore_index=True)


# --- reading ---------------------------------------------------------------------------------------

@dataclass
class RawTable:
    """An uploaded table, every cell as text, with where each row sits in the user's file."""

    frame: pd.DataFrame  # column names de-duplicated; cells str ("" for blank)
    filename: str
    row_numbers: np.ndarray  # spreadsheet row number of each frame row
    file_format: str  # "csv" or "xlsx"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    has_header: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """Layer name from the file name (without its extension)."""
        return PurePath(self.filename).stem or "upload"


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8 (with BOM)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise UploadError("The file says it is UTF-16 text but cannot be decoded as such.") from exc
    if b"\x00" in data[:4096]:
        raise UploadError("This does not look like a text (CSV) file: it contains binary data. "
                          "Upload a CSV or an Excel .xlsx file.")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits most of the first 50 lines into the same number of fields.

    More robust than csv.Sniffer on real exports: title lines above the header, commas inside
    quoted names and decimal commas in semicolon files do not fool it.
    """
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    best, best_score = ",", (0, 0)
    for delim in (",", ";", "\t", "|"):
        counts = [len(next(csv.reader([ln], delimiter=delim))) - 1 for ln in lines]
        split = [c for c in counts if c > 0]
        if not split:
            continue
        mode = max(set(split), key=split.count)
        score = (split.count(mode), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _cell_text(value: object) -> str:
    """An Excel cell as the text the user sees (12.0 -> "12", dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes) -> tuple[list[list[str]], str, int]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise UploadError(f"This Excel file cannot be opened ({type(exc).__name__}). Save it again as .xlsx "
                          "or CSV and retry.") from exc
    try:
        sheet = book.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        return rows, sheet.title, len(book.worksheets)
    finally:
        book.close()


def _looks_like_data(cells: list[str]) -> bool:
    """A first row made of codes, postcodes or numbers is data, not a header."""
    filled = [c.strip() for c in cells if c.strip()]
    if not filled:
        return False
    codes = sum(bool(_LSOA_RE.match(c.upper())) or geocode.normalise_postcode(c) is not None for c in filled)
    numbers = sum(_parse_number(c) is not None for c in filled)
    return codes > 0 or numbers == len(filled)


def _unique_names(cells: list[str]) -> list[str]:
    names: list[str] = []
    for i, cell in enumerate(cells, start=1):
        base = cell.replace("\ufeff", "").strip() or f"column_{i}"
        name, k = base, 2
        while name in names:
            name, k = f"{base} ({k})", k + 1
        names.append(name)
    return names


def read_upload(data: bytes, filename: str) -> RawTable:
    """Parse an uploaded CSV or Excel file into text cells (see module docstring)."""
    if data is None or len(data) == 0:
        raise UploadError(f"'{filename}' is empty (0 bytes).")
    if len(data) > MAX_BYTES:
        raise UploadError(f"'{filename}' is {len(data) / 1024 / 1024:.1f} MB; the limit is "
                          f"{MAX_BYTES // 1024 // 1024} MB. Keep only the columns you need, or split "
                          "the file.")
    lower = filename.lower()
    notes: list[str] = []
    encoding = delimiter = sheet = None
    if data.startswith(b"PK\x03\x04"):
        if lower.endswith(".ods"):
            raise UploadError("OpenDocument spreadsheets (.ods) are not supported: save as .xlsx or CSV.")
        rows, sheet, n_sheets = _read_xlsx(data)
        file_format = "xlsx"
        if n_sheets > 1:
            notes.append(f"Read the first sheet, '{sheet}' (the workbook has {n_sheets} sheets).")
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadError("Old Excel 97-2003 (.xls) files are not supported: save as .xlsx or CSV.")
    else:
        if lower.endswith((".xlsx", ".xlsm")):
            raise UploadError(f"'{filename}' is named like an Excel file but is not one. "
                              "Save it again as .xlsx or CSV.")
        text, encoding = _decode(data)
        delimiter = _sniff_delimiter(text)
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        file_format = "csv"
        if encoding not in ("UTF-8", "UTF-8 (with BOM)"):
            notes.append(f"Read as {encoding} text (not valid UTF-8).")

    numbered = [(i + 1, [c if isinstance(c, str) else _cell_text(c) for c in r]) for i, r in enumerate(rows)]
    numbered = [(n, r) for n, r in numbered if any(c.strip() for c in r)]
    if not numbered:
        raise UploadError(f"'{filename}' has no data: every row is empty.")

    # title lines above the header (one filled cell, wider rows below) are skipped
    width = max(sum(bool(c.strip()) for c in r) for _, r in numbered[:50])
    skipped = 0
    while (len(numbered) > 1 and skipped < 5 and width > 1
           and sum(bool(c.strip()) for c in numbered[0][1]) == 1 and not _looks_like_data(numbered[0][1])):
        numbered.pop(0)
        skipped += 1
    if skipped:
        notes.append(f"Skipped {skipped} title line(s) above the header.")

    n_cols = max(len(r) for _, r in numbered)
    padded = [(n, r + [""] * (n_cols - len(r))) for n, r in numbered]
    has_header = not _looks_like_data(padded[0][1])
    if has_header:
        header, body = padded[0][1], padded[1:]
        columns = _unique_names(header)
    else:
        body = padded
        columns = [f"column_{i}" for i in range(1, n_cols + 1)]
        notes.append("The first row looks like data, so the file was read as having no header row.")
    if len(body) > MAX_ROWS:
        raise UploadError(f"'{filename}' has {len(body):,} data rows; the limit is {MAX_ROWS:,}.")
    frame = pd.DataFrame([r for _, r in body], columns=columns, dtype=object)
    if frame.empty and not has_header:
        frame = pd.DataFrame(columns=columns, dtype=object)
    frame = frame.map(lambda c: c.strip() if isinstance(c, str) else _cell_text(c))
    # drop columns with neither a header nor any value (trailing delimiters, stray cells)
    blank = [c for c in frame.columns if c.startswith("column_") and has_header and not frame[c].any()]
    frame = frame.drop(columns=blank)
    if frame.empty:
        raise UploadError(f"'{filename}' has a header row but no data rows.")
    return RawTable(frame=frame.reset_index(drop=True), filename=filename,
                    row_numbers=np.array([n for n, _ in body], dtype=int), file_format=file_format,
                    encoding=encoding, delimiter=delimiter, sheet=sheet, has_header=has_header, notes=notes)


# --- column detection ------------------------------------------------------------------------------

def _key(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _parse_number(text: str) -> float | None:
    """'1,234' -> 1234.0; '12.5%' -> 12.5; '£3' -> 3.0; None if not a number."""
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if not t:
        return None
    t = t.lstrip("£$€").rstrip("%")
    if _THOUSANDS_RE.match(t):
        t = t.replace(",", "")
    elif _DECIMAL_COMMA_RE.match(t):  # "12,5" from a European-locale export ("1,234" stays thousands)
        t = t.replace(",", ".")
    if not _NUMBER_RE.match(t):
        return None
    value = float(t)
    return value if np.isfinite(value) else None


def parse_numbers(values: pd.Series) -> pd.Series:
    """Numbers from text cells (NaN where blank or not a number)."""
    return values.map(lambda v: _parse_number(v) if isinstance(v, str) else
                      (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None)
                      ).astype(float)


def _is_blank(text: object) -> bool:
    t = str(text).strip()
    return t == "" or t.lower() in MISSING_MARKERS


def _share(values: pd.Series, test) -> float:
    filled = values[~values.map(_is_blank)]
    if filled.empty:
        return 0.0
    sample = filled.head(2000)
    return float(np.mean([bool(test(str(v))) for v in sample]))


def _is_lsoa_code(text: str) -> bool:
    return bool(_LSOA_RE.match(text.strip().upper()))


def find_lsoa_column(frame: pd.DataFrame) -> str | None:
    """The column of LSOA codes: by header alias (checked against content), else by content."""
    by_alias = [c for c in frame.columns if _key(c) in LSOA_ALIASES
                or (("lsoa" in _key(c)) and ("cd" in _key(c) or "code" in _key(c)))]
    for col in by_alias:
        if _share(frame[col], _is_lsoa_code) >= 0.5:
            return col
    scored = [(c, _share(frame[c], _is_lsoa_code)) for c in frame.columns]
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
        if col not in exclude and _key(col) in aliases:
            return col
    if contains:
        for col in frame.columns:
            if col not in exclude and contains in _key(col):
                return col
    return None


def _median_abs(values: pd.Series) -> float:
    nums = parse_numbers(values).abs().dropna()
    return float(nums.median()) if len(nums) else float("nan")


def find_point_columns(frame: pd.DataFrame) -> PointColumns:
    """Postcode, lon/lat and easting/northing columns by header (x/y decided by their values)."""
    cols = PointColumns()
    pc = _first(frame, POSTCODE_ALIASES, contains="postcode")
    if pc is not None and _share(frame[pc], lambda v: geocode.normalise_postcode(v) is not None) >= 0.3:
        cols.postcode = pc
    elif pc is None:
        # a headerless or oddly named column full of postcodes
        scored = [(c, _share(frame[c], lambda v: geocode.normalise_postcode(v) is not None))
                  for c in frame.columns]
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
        if col not in used and any(h in _key(col) for h in LABEL_HINTS):
            cols.label = col
            break
    return cols


def numeric_columns(frame: pd.DataFrame, exclude: Iterable[str] = ()) -> list[str]:
    """Columns whose filled cells are (at least 80%) numbers: candidate value columns."""
    exclude = set(exclude)
    out = []
    for col in frame.columns:
        if col in exclude:
            continue
        if _share(frame[col], lambda v: _parse_number(v) is not None) >= 0.8:
            out.append(col)
    return out


def guess_semantics(frame: pd.DataFrame, column: str) -> str:
    """'rate' for shares, rates, scores (or any decimals); 'count' for whole numbers."""
    key = _key(column)
    if any(h in key for h in _RATE_HINTS) or "%" in str(column):
        return RATE
    if frame[column].astype(str).str.contains("%", regex=False).any():
        return RATE
    nums = parse_numbers(frame[column]).dropna()
    if len(nums) and (nums >= 0).all() and np.allclose(nums, nums.round()):
        return COUNT
    return RATE


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
    raise UploadError(_no_usable_column_message(raw))


def _no_usable_column_message(raw: RawTable) -> str:
    found = ", ".join(f"'{c}'" for c in raw.frame.columns[:30])
    more = f" and {len(raw.frame.columns) - 30} more" if len(raw.frame.columns) > 30 else ""
    return (f"No usable column in '{raw.filename}'. Columns found: {found}{more}. Expected "
            f"{EXPECTED_COLUMNS_TEXT}.")


# --- LSOA-keyed tables -----------------------------------------------------------------------------

@dataclass
class LsoaTableResult:
    """An LSOA-keyed upload, converted to LSOA 2021 codes, with its conversion report."""

    name: str
    frame: pd.DataFrame  # lsoa_code (2021) + one float column per value column
    code_column: str
    value_columns: dict[str, str]  # column -> "count" | "rate"
    vintage: str  # "2021", "2011", "mixed" or "either" (every code unchanged between them)
    rows_read: int
    rows_loaded: int  # input rows that contributed to the output
    unchanged: int  # rows whose LSOA needed no conversion
    split: int  # 2011 rows split over several 2021 LSOAs
    merged: int  # 2011 rows merged with others into one 2021 LSOA
    irregular: int  # 2011 rows with an irregular (X) change
    unmatched: int  # rows whose code could not be used
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kind: str = LSOA_KIND

    @property
    def converted(self) -> int:
        return self.split + self.merged + self.irregular

    def report(self) -> pd.DataFrame:
        """The conversion report as a two-column table for display."""
        items = [
            ("Rows read", self.rows_read),
            ("LSOA codes detected as", {"2021": "LSOA 2021", "2011": "LSOA 2011", "mixed": "a mix of 2011 "
                                        "and 2021", "either": "LSOA 2011 or 2021 (all unchanged)"}
             .get(self.vintage, self.vintage)),
            ("Rows unchanged", self.unchanged),
            ("Rows converted 2011 -> 2021", self.converted),
            ("... of which split (one 2011 LSOA -> several 2021)", self.split),
            ("... of which merged (several 2011 LSOAs -> one 2021)", self.merged),
            ("... of which irregular boundary changes", self.irregular),
            ("Rows unmatched or rejected", self.unmatched),
            ("LSOA 2021 rows in the layer", len(self.frame)),
        ]
        return pd.DataFrame(items, columns=["item", "value"]).astype({"value": str})


def load_lookup() -> pd.DataFrame:
    """The ONS LSOA 2011 -> 2021 lookup (lsoa11_code, lsoa21_code, change_code)."""
    from geo_core20 import atlas, readers

    path = atlas.input_path("lookup_lsoa11_lsoa21")
    return readers.read_lookup(path, ["lsoa11_code", "lsoa21_code", "change_code"])


def default_populations() -> tuple[pd.Series | None, pd.Series | None]:
    """Census 2021 population per LSOA 2021 and the IMD2019 population per LSOA 2011 (atlases)."""
    from geo_core20 import atlas

    out: list[pd.Series | None] = []
    for vintage in ("2025", "2019"):
        try:
            a = atlas.load_atlas(vintage)
            out.append(pd.Series(a[schema.POPULATION].to_numpy(float), index=a[schema.LSOA_CODE].to_numpy()))
        except (FileNotFoundError, OSError):
            out.append(None)
    return out[0], out[1]


def conversion_pairs(codes11: Iterable[str], lookup: pd.DataFrame, pop21: pd.Series | None,
                     pop11: pd.Series | None) -> pd.DataFrame:
    """For 2011 codes: rows (lsoa11_code, lsoa_code (2021), change_code, share, weight).

    ``share`` is the part of a 2011 LSOA's count that goes to each 2021 LSOA: the 2021
    LSOA's share of the population of all 2021 LSOAs the 2011 one maps to (1 if unchanged
    or merged). ``weight`` is the population that moves along that pair (2011 population
    times share), used to population-weight rates where several 2011 LSOAs meet.
    """
    pairs = lookup[lookup["lsoa11_code"].isin(set(codes11))][["lsoa11_code", "lsoa21_code", "change_code"]]
    pairs = pairs.rename(columns={"lsoa21_code": schema.LSOA_CODE}).reset_index(drop=True)
    p21 = pairs[schema.LSOA_CODE].map(pop21) if pop21 is not None else pd.Series(np.nan, index=pairs.index)
    p21 = p21.astype(float).fillna(1.0).clip(lower=1e-9)  # unknown population: equal shares
    pairs["share"] = p21 / p21.groupby(pairs["lsoa11_code"]).transform("sum")
    p11 = pairs["lsoa11_code"].map(pop11) if pop11 is not None else pd.Series(np.nan, index=pairs.index)
    pairs["weight"] = p11.astype(float).fillna(1.0) * pairs["share"]
    return pairs


def _aggregate(pairs: pd.DataFrame, values: pd.DataFrame, semantics: dict[str, str]) -> pd.DataFrame:
    """2021 values from (source row, 2021 code, share, weight) pairs and source values."""
    joined = pairs.join(values, on="_src")
    out = pd.DataFrame(index=pd.Index(sorted(joined[schema.LSOA_CODE].unique()), name=schema.LSOA_CODE))
    for col, sem in semantics.items():
        v = joined[col]
        if sem == COUNT:
            part = (v * joined["share"]).groupby(joined[schema.LSOA_CODE]).sum(min_count=1)
        else:
            w = joined["weight"].where(v.notna())
            num = (v * w).groupby(joined[schema.LSOA_CODE]).sum(min_count=1)
            den = w.groupby(joined[schema.LSOA_CODE]).sum(min_count=1)
            part = num / den.replace(0, np.nan)
        out[col] = part
    return out.reset_index()


def load_lsoa_table(raw: RawTable, value_columns: dict[str, str] | list[str] | None = None, *,
                    code_column: str | None = None, lookup: pd.DataFrame | None = None,
                    pop21: pd.Series | None = None, pop11: pd.Series | None = None,
                    england_codes21: Iterable[str] | None = None) -> LsoaTableResult:
    """Load an LSOA-keyed table onto LSOA 2021 codes.

    ``value_columns`` maps column -> "count" or "rate" (a list means: guess each); None
    takes every numeric column with a guessed meaning. 2011 codes are converted with the
    ONS lookup: unchanged (U) as is; split (S) counts apportioned by 2021 population share
    and rates copied; merged (M) counts summed and rates population-weighted; irregular (X)
    apportioned by population like a split. Populations default to the atlases.
    """
    frame = raw.frame
    code_column = code_column or find_lsoa_column(frame)
    if code_column is None or code_column not in frame.columns:
        raise UploadError(_no_usable_column_message(raw) if code_column is None
                          else f"Column '{code_column}' is not in '{raw.filename}'.")
    if value_columns is None:
        value_columns = numeric_columns(frame, exclude=[code_column])
    if isinstance(value_columns, (list, tuple)):
        value_columns = {c: guess_semantics(frame, c) for c in value_columns}
    for col, sem in value_columns.items():
        if col not in frame.columns:
            raise UploadError(f"Value column '{col}' is not in '{raw.filename}'.")
        if sem not in (COUNT, RATE):
            raise UploadError(f"Column '{col}': meaning must be '{COUNT}' or '{RATE}', not '{sem}'.")
    if not value_columns:
        raise UploadError(f"'{raw.filename}' has LSOA codes in '{code_column}' but no numeric column to map. "
                          f"Columns found: {', '.join(map(str, frame.columns))}.")
    lookup = load_lookup() if lookup is None else lookup
    if pop21 is None and pop11 is None:
        pop21, pop11 = default_populations()
    notes: list[str] = []
    if pop21 is None:
        notes.append("2021 populations were not available: split LSOAs were shared out equally.")

    rows = raw.row_numbers
    errors: list[RowError] = []
    codes = frame[code_column].astype(str).str.strip().str.upper().str.replace(r"\s+", "", regex=True)
    codes11 = set(lookup["lsoa11_code"])
    codes21 = set(lookup["lsoa21_code"])
    keep = np.ones(len(frame), dtype=bool)
    first_seen: dict[str, int] = {}
    originals = frame[code_column].tolist()  # plain lists: per-row pandas access is slow
    row_no = [int(r) for r in rows]
    for i, code in enumerate(codes.tolist()):
        original = originals[i]
        if not code:
            errors.append(RowError(row_no[i], "no LSOA code", code_column, ""))
        elif not _LSOA_RE.match(code):
            errors.append(RowError(row_no[i], "not an LSOA code (expected E01 and 6 digits)", code_column,
                                   original))
        elif code.startswith("W"):
            errors.append(RowError(row_no[i], "Welsh LSOA: the atlas covers England only", code_column,
                                   original))
        elif code not in codes11 and code not in codes21:
            errors.append(RowError(row_no[i], "LSOA code not found in the 2011 or 2021 code lists",
                                   code_column, original))
        elif code in first_seen:
            errors.append(RowError(row_no[i], f"duplicate LSOA code (first on row {first_seen[code]}); "
                                   "row ignored", code_column, original))
        else:
            first_seen[code] = row_no[i]
            continue
        keep[i] = False

    values = pd.DataFrame({c: parse_numbers(frame[c]) for c in value_columns}, index=frame.index)
    markers = 0
    for col in value_columns:
        blank = frame[col].map(_is_blank)
        markers += int((blank & (frame[col].astype(str).str.strip() != "") & keep).sum())
        bad = values[col].isna() & ~blank & keep
        for i in np.flatnonzero(bad.to_numpy()):
            errors.append(RowError(int(rows[i]), "not a number: value left empty", col, frame[col].iat[i],
                                   severity="warning"))

    if markers:
        notes.append(f"{markers:,} value cell(s) held a missing-value marker (such as '*', 'n/a' or 'c' for "
                     "suppressed) and were left empty.")
    good = pd.Series(np.flatnonzero(keep), dtype=int)
    good_codes = codes.iloc[good.to_numpy()]
    only11 = good_codes[~good_codes.isin(codes21)]
    only21 = good_codes[~good_codes.isin(codes11)]
    if len(only11) and len(only21):
        vintage = "mixed"
        notes.append(f"The file mixes {len(only11):,} codes used only in 2011 with {len(only21):,} used only "
                     "in 2021; 2011 codes were converted. Check the file does not hold both vintages of "
                     "the same places (that would double count).")
    elif len(only11):
        vintage = "2011"
    elif len(only21):
        vintage = "2021"
    else:
        vintage = "either"

    direct = good[good_codes.isin(codes21).to_numpy()]  # 2021 codes (incl. unchanged 2011 ones)
    convert = good[~good_codes.isin(codes21).to_numpy()]
    pairs = [pd.DataFrame({"_src": direct.to_numpy(), schema.LSOA_CODE: codes.iloc[direct].to_numpy(),
                           "change_code": "U", "share": 1.0,
                           "weight": codes.iloc[direct].map(pop21).astype(float).fillna(1.0).to_numpy()
                           if pop21 is not None else 1.0})]
    split = merged = irregular = 0
    if len(convert):
        conv = conversion_pairs(codes.iloc[convert], lookup, pop21, pop11)
        src = pd.Series(convert.to_numpy(), index=codes.iloc[convert].to_numpy())
        conv["_src"] = conv["lsoa11_code"].map(src)
        pairs.append(conv.drop(columns="lsoa11_code"))
        change = conv.groupby("_src")["change_code"].first()
        split, merged, irregular = (int((change == c).sum()) for c in ("S", "M", "X"))
        partial = _partial_merges(conv, lookup)
        if partial:
            notes.append(f"{partial:,} merged 2021 LSOA(s) received only some of their 2011 LSOAs from the "
                         "file; their counts cover only the LSOAs supplied.")
    all_pairs = pd.concat(pairs, ignore_index=True)
    all_pairs = all_pairs[all_pairs[schema.LSOA_CODE].str.startswith("E01")]
    if england_codes21 is not None:
        all_pairs = all_pairs[all_pairs[schema.LSOA_CODE].isin(set(england_codes21))]
    out = _aggregate(all_pairs, values, value_columns)
    by_code = all_pairs.assign(direct=all_pairs["change_code"].eq("U")).groupby(schema.LSOA_CODE)
    fed = by_code.agg(rows=("_src", "nunique"), direct=("direct", "any"))
    double = int((fed["rows"].gt(1) & fed["direct"]).sum())
    if double:
        notes.append(f"{double:,} LSOA 2021 code(s) were given directly and also received values converted "
                     "from a 2011 code; counts were added and rates averaged. Check for double counting.")
    unmatched = int((~keep).sum())
    return LsoaTableResult(
        name=raw.name, frame=out, code_column=code_column, value_columns=dict(value_columns),
        vintage=vintage, rows_read=len(frame), rows_loaded=int(keep.sum()), unchanged=int(len(direct)),
        split=split, merged=merged, irregular=irregular, unmatched=unmatched, errors=errors,
        notes=raw.notes + notes)


def _partial_merges(conv: pd.DataFrame, lookup: pd.DataFrame) -> int:
    merged = conv[conv["change_code"].isin(["M", "X"])]
    if merged.empty:
        return 0
    need = lookup[lookup["lsoa21_code"].isin(set(merged[schema.LSOA_CODE]))].groupby("lsoa21_code")[
        "lsoa11_code"].nunique()
    have = merged.groupby(schema.LSOA_CODE)["lsoa11_code"].nunique()
    return int((have < need.reindex(have.index)).sum())


# --- point files -----------------------------------------------------------------------------------

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


def load_points(raw: RawTable, atlas: gpd.GeoDataFrame, columns: PointColumns | None = None, *,
                postcode_index: pd.DataFrame | None = None) -> PointsResult:
    """Locate each row (coordinates first, else postcode), place it in an LSOA, count per LSOA."""
    frame = raw.frame
    cols = columns or find_point_columns(frame)
    if not cols.usable:
        raise UploadError(_no_usable_column_message(raw))
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
        xs = parse_numbers(frame[coord_pair[0]]).to_numpy()
        ys = parse_numbers(frame[coord_pair[1]]).to_numpy()
        tx_all, ty_all = frame[coord_pair[0]].tolist(), frame[coord_pair[1]].tolist()
        is_lonlat = coord_pair[0] == cols.lon
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
    notes = raw.notes + [geocode.LSOA_ASSIGNMENT_NOTE]
    snapped = int((points["lsoa_method"] == "nearest").sum()) if len(points) else 0
    if snapped:
        notes.append(f"{snapped:,} point(s) fell just outside the generalised coastline and were given the "
                     "nearest LSOA.")
    return PointsResult(name=raw.name, points=points, counts=counts, columns=cols, rows_read=n,
                        errors=errors, notes=notes)


# --- one call for the UI ---------------------------------------------------------------------------

def load_upload(data: bytes, filename: str, atlas: gpd.GeoDataFrame, kind: str | None = None,
                **options) -> LsoaTableResult | PointsResult:
    """Read and load an upload as the detected (or given) kind."""
    raw = read_upload(data, filename)
    kind = kind or detect_kind(raw)
    if kind == LSOA_KIND:
        codes = atlas.get(schema.LSOA_CODE)
        return load_lsoa_table(raw, england_codes21=codes, **options)
    if kind == POINTS_KIND:
        return load_points(raw, atlas, **options)
    raise UploadError(f"Unknown upload kind {kind!r}: expected '{LSOA_KIND}' or '{POINTS_KIND}'.")


def safe_export(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy fit for CSV download: uploaded text cannot run as a spreadsheet formula."""
    out = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    return safety.csv_safe_frame(out)
