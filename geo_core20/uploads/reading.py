"""Bytes -> a table of text cells: decoding, delimiters, Excel sheets, title lines, ragged rows.

Reading is forgiving (encodings, delimiters, Excel, title lines, missing header), and every
file ends in a `RawTable` or an `UploadError` whose message is meant for the user as it
stands (it names the limit or the row at fault). Rows that cannot be read safely (more
values than the header has columns) are left out and reported in ``RawTable.errors`` with
the row number the user sees in a spreadsheet (header = row 1, first data row = 2).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from lzma import LZMAError
from pathlib import PurePath

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from geo_core20 import geocode, limits
from geo_core20.errors import UploadError
from geo_core20.uploads.cells import is_lsoa_code, parse_number

# The csv module refuses fields over 131,072 characters with a bare `_csv.Error`; the upload
# size limit already bounds every field, and `limits.MAX_CELL_CHARS` is checked (and named)
# after parsing instead. This raises a process-wide limit, which only ever widens what parses.
csv.field_size_limit(2**31 - 1)

_MARKUP = re.compile(rb"^(\xef\xbb\xbf)?\s*<[?!a-zA-Z]")
_MARKUP_KINDS = ((b"<gpx", "a GPX (GPS track)"), (b"<kml", "a KML (Google Earth)"), (b"<gml", "a GML"),
                 (b"<html", "an HTML web page"), (b"<!doctype html", "an HTML web page"))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
GIS_SUFFIXES = (".shp", ".dbf", ".shx", ".prj", ".cpg")


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
    errors: list[RowError] = field(default_factory=list)  # rows left out (or flagged) while reading
    sheets: list[str] = field(default_factory=list)  # every sheet of a workbook, in order
    decimal_comma: bool | None = None  # True: numbers read as 1.234,5 (the user said so); None: detected

    @property
    def name(self) -> str:
        """Layer name from the file name (without its extension)."""
        return PurePath(self.filename).stem or "upload"

    @property
    def rows_rejected(self) -> int:
        """Rows left out while reading (counted in the loaders' 'rows read')."""
        return sum(e.severity == "error" for e in self.errors)


# --- text ------------------------------------------------------------------------------------------

def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte of ASCII-ish text is zero."""
    if len(head) < 4 or len(head) % 2:
        head = head[:len(head) - len(head) % 2]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        text, encoding = data[3:].decode("utf-8", errors="replace"), "UTF-8 (with BOM)"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data[:4096]):
        codec = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else _utf16_without_bom(data[:4096])
        try:
            text, encoding = data.decode(codec), "UTF-16"
        except UnicodeDecodeError as exc:
            raise UploadError(f"'{filename}' looks like UTF-16 text but cannot be decoded as such: save it "
                              "again as CSV UTF-8.") from exc
        text = text.removeprefix("\ufeff")
    elif b"\x00" in data[:4096]:
        raise UploadError(f"'{filename}' does not look like a text (CSV) file: it contains binary data. "
                          "Upload a CSV, an Excel .xlsx file or a GIS file (GeoJSON, GeoPackage, zipped "
                          "shapefile).")
    else:
        try:
            text, encoding = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError:
                text, encoding = data.decode("latin-1"), "Latin-1"
    head = text[:4096]
    if head and len(_CONTROL.findall(head)) > 0.02 * len(head):
        raise UploadError(f"'{filename}' does not look like a text (CSV) file: it is full of control "
                          "characters. Upload a CSV, an Excel .xlsx file or a GIS file.")
    return text, encoding


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits most of the first 50 lines into the same number of fields.

    More robust than csv.Sniffer on real exports: title lines above the header, commas inside
    quoted names and decimal commas in semicolon files do not fool it.
    """
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    best, best_score = ",", (0, 0, 0)
    for delim in (",", ";", "\t", "|"):
        counts = [len(next(csv.reader([ln], delimiter=delim), [])) - 1 for ln in lines]
        split = [c for c in counts if c > 0]
        if not split:
            continue
        mode = max(set(split), key=split.count)
        # a tie on lines split alike goes to the delimiter whose lines split alike *in a row* (header
        # and data), not to one a title line shares with a value: "Referrals by LSOA, 2024" above
        # "lsoa_code;value" and "E01000001;1,000" splits two lines either way
        run = longest = 0
        for c in counts:
            run = run + 1 if c == mode else 0
            longest = max(longest, run)
        score = (split.count(mode), longest, mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _row_cap() -> int:
    # title lines and a header may sit above the data; the exact row check comes later
    return limits.MAX_ROWS + 10


def _too_many_rows(filename: str, more_than: int) -> UploadError:
    return UploadError(f"'{filename}' has more than {more_than:,} rows; the limit is {limits.MAX_ROWS:,} "
                       "data rows (limits.MAX_ROWS). Keep only the rows you need, or split the file.")


def _read_csv_rows(text: str, delimiter: str, filename: str) -> list[tuple[int, list[str]]]:
    """(row number, cells) of every row with a value; blank rows are counted but not kept."""
    rows: list[tuple[int, list[str]]] = []
    n, last = 0, []
    for n, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
        last = row
        if any(c.strip() for c in row):
            rows.append((n, row))
            if len(rows) > _row_cap():
                raise _too_many_rows(filename, limits.MAX_ROWS)
    if last and "\n" in last[-1] and text.count('"') % 2:
        raise UploadError(f"'{filename}' has a quote mark (\") that is never closed, on row {n}: "
                          "everything after it was read as one cell. Close or remove the quote and retry.")
    return rows


# --- Excel -----------------------------------------------------------------------------------------

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


def _sheet_rows(sheet, filename: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of each row with a value. The sheet's declared dimension is ignored: a
    workbook may declare a million rows by 16,384 columns and hold two columns (openpyxl would pad
    every row to the declared width)."""
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    filled = 0
    try:
        for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if not row or all(v is None for v in row):
                continue
            cells = [_cell_text(v) for v in row]
            if any(c.strip() for c in cells):
                filled += 1
                if filled > _row_cap():
                    raise _too_many_rows(filename, limits.MAX_ROWS)
                if len(cells) > 4 * limits.MAX_COLUMNS:
                    raise _too_many_columns(filename, len(cells))
                yield n, cells
    except UploadError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl reads rows lazily and raises many types on damage
        raise _damaged_book(filename) from exc


def _damaged_book(filename: str) -> UploadError:
    return UploadError(f"'{filename}' is an Excel file whose sheet is damaged (its rows cannot be read). "
                       "Open it in Excel and save it again as .xlsx or CSV, and retry.")


def _too_many_columns(filename: str, width: int) -> UploadError:
    return UploadError(f"'{filename}' has {width:,} columns; the limit is {limits.MAX_COLUMNS:,} "
                       "(limits.MAX_COLUMNS). Keep only the columns you need.")


_XLSX_SMALL_PARTS = {"xl/styles.xml": 20 * 1024 * 1024}


def _check_book_parts(data: bytes, filename: str) -> None:
    """UploadError for a workbook part that unzips to more than its limit (a 'zip bomb' workbook)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            cap = _XLSX_SMALL_PARTS.get(info.filename.lower(), limits.MAX_XLSX_PART_BYTES)
            if info.file_size > cap:
                raise UploadError(f"'{filename}' is a workbook whose part '{info.filename[:80]}' unzips to "
                                  f"{info.file_size / 2**20:,.0f} MB; the limit is {cap // 2**20:,} MB "
                                  "(limits.MAX_XLSX_PART_BYTES). Save it again with fewer cell styles, or "
                                  "as CSV.")


def _open_book(data: bytes, filename: str, data_only: bool = True):
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise UploadError(f"'{filename}' is an Excel file that cannot be opened ({type(exc).__name__}). "
                          "Save it again as .xlsx or CSV and retry.") from exc


def _has_formula(archive: zipfile.ZipFile, member: str) -> bool:
    """Whether a sheet's XML holds a formula element, read in chunks (sheets can be large)."""
    tail = b""
    with archive.open(member) as fh:
        while chunk := fh.read(1 << 20):
            if re.search(rb"<(\w+:)?f[ >/]", tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _unsaved_formulas(data: bytes, filename: str, title: str,
                      rows: list[tuple[int, list[str]]]) -> list[tuple[int, str]]:
    """(row, formula) of formula cells with no saved result (workbooks written by programs, not Excel)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if not any(_has_formula(archive, n) for n in archive.namelist()
                       if n.startswith("xl/worksheets/")):
                return []
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError,
            LZMAError) as exc:
        raise _damaged_book(filename) from exc
    by_number = dict(rows)
    book = _open_book(data, filename, data_only=False)
    try:
        found = []
        sheet = book[title]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
        for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            saved = by_number.get(n, [])
            for k, v in enumerate(row):
                if isinstance(v, str) and v.startswith("=") and (k >= len(saved) or not saved[k]):
                    found.append((n, v))
        return found
    except Exception as exc:  # noqa: BLE001 - openpyxl reads rows lazily and raises many types on damage
        raise _damaged_book(filename) from exc
    finally:
        book.close()


def _read_xlsx(data: bytes, filename: str,
               sheet: str | None) -> tuple[list[tuple[int, list[str]]], str, list[str], list[str]]:
    """Rows of the chosen sheet (default: the first with data), its title, all sheet names, notes."""
    _check_book_parts(data, filename)
    book = _open_book(data, filename)
    try:
        names = list(book.sheetnames)
        listed = ", ".join(f"'{n}'" for n in names) or "none"
        worksheets = [ws for ws in book.worksheets if hasattr(ws, "iter_rows")]
        if not worksheets:
            raise UploadError(f"'{filename}' has no worksheets with cells (sheets: {listed}).")
        if sheet is not None:
            chosen = next((ws for ws in worksheets if ws.title == sheet), None)
            if chosen is None:
                raise UploadError(f"'{filename}' has no sheet '{sheet}'. Sheets: {listed}.")
            rows = list(_sheet_rows(chosen, filename))
        else:
            chosen, rows = None, []
            for ws in worksheets:
                rows = list(_sheet_rows(ws, filename))
                if rows:
                    chosen = ws
                    break
            if chosen is None:
                raise UploadError(f"'{filename}' has no data: every sheet is empty (sheets: {listed}).")
        notes = []
        if len(names) > 1:
            notes.append(f"Read sheet '{chosen.title}'; the workbook has {len(names)} sheets ({listed}). "
                         "Pick another sheet to read that one.")
        return rows, chosen.title, names, notes
    finally:
        book.close()


# --- zips ------------------------------------------------------------------------------------------

def zip_members(data: bytes) -> list[str] | None:
    """Names inside a zip upload (None when it is not a readable zip)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None


_ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2",
                zipfile.ZIP_LZMA: "lzma"}


def check_zip(data: bytes, filename: str) -> list[zipfile.ZipInfo]:
    """The members of a zip upload, checked before any is read (UploadError naming the fault).

    Refused: more than `limits.MAX_ZIP_MEMBERS` members, a name longer than
    `limits.MAX_ZIP_NAME_CHARS` or one that climbs out of its folder (``..``, an absolute path),
    an encrypted member, a compression method Python cannot read, and more than
    `limits.MAX_UNZIPPED_BYTES` in all (a zip bomb). A damaged zip returns no members (the
    callers say what they expected).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return []
    if len(infos) > limits.MAX_ZIP_MEMBERS:
        raise UploadError(f"'{filename}' holds {len(infos):,} files; the limit is {limits.MAX_ZIP_MEMBERS:,} "
                          "files in one zip (limits.MAX_ZIP_MEMBERS). Zip only the files of the layer you "
                          "need.")
    for info in infos:
        name = info.filename
        shown = repr(name[:60] + ("..." if len(name) > 60 else ""))
        if len(name) > limits.MAX_ZIP_NAME_CHARS:
            raise UploadError(f"'{filename}' holds a file whose name is {len(name):,} characters long "
                              f"({shown}); the limit is {limits.MAX_ZIP_NAME_CHARS} "
                              "(limits.MAX_ZIP_NAME_CHARS). Rename it and zip it again.")
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise UploadError(f"'{filename}' holds a file named {shown}, a path outside the zip's own "
                              "folder. Zip the files again from their folder.")
        if info.flag_bits & 0x1:
            raise UploadError(f"'{filename}' holds an encrypted (password-protected) file, {shown}. Zip it "
                              "again without a password.")
        if info.compress_type not in _ZIP_METHODS:
            raise UploadError(f"'{filename}' holds {shown} compressed with a method this page cannot read "
                              f"(method {info.compress_type}). Zip it again with ordinary (deflate) "
                              "compression.")
    total = sum(i.file_size for i in infos)
    if total > limits.MAX_UNZIPPED_BYTES:
        raise UploadError(f"'{filename}' unzips to {total / 2**20:,.0f} MB; the limit is "
                          f"{limits.MAX_UNZIPPED_BYTES // 2**20:,} MB unzipped (limits.MAX_UNZIPPED_BYTES).")
    return infos


def check_unzipped_size(data: bytes, filename: str) -> None:
    """UploadError when a zip would unzip to more than `limits.MAX_UNZIPPED_BYTES` (a zip bomb), or
    holds members that cannot be read safely (`check_zip`)."""
    check_zip(data, filename)


def copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, out, cap: int, filename: str) -> int:
    """Stream one zip member into the file object ``out``, a megabyte at a time; the bytes written.

    UploadError when it holds more than ``cap`` bytes, or fails its checksum or decompression.
    """
    written = 0
    try:
        with archive.open(info) as fh:
            while chunk := fh.read(1 << 20):
                written += len(chunk)
                if written > cap:
                    raise UploadError(f"'{filename}': the file inside it, '{info.filename[:80]}', holds more "
                                      f"than {cap / 2**20:,.0f} MB unzipped; the limit is "
                                      f"{cap / 2**20:,.0f} MB.")
                out.write(chunk)
    except UploadError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError,
            ValueError, LZMAError) as exc:
        raise UploadError(f"'{filename}' is a damaged zip: '{info.filename[:80]}' inside it cannot be "
                          "unzipped (a bad checksum or a cut-off file). Zip the files again and retry."
                          ) from exc
    return written


def _zip_kind(data: bytes) -> str:
    """'xlsx', 'ods', 'shapefile', 'single' (one CSV/xlsx inside), 'bad' or 'other'."""
    names = zip_members(data)
    if names is None:
        return "bad"
    lower = [n.lower() for n in names]
    if "[content_types].xml" in lower and any(n.startswith("xl/") for n in lower):
        return "xlsx"
    if "mimetype" in lower and any(n.startswith("content.xml") for n in lower):
        return "ods"
    if any(n.endswith(GIS_SUFFIXES) or n.endswith((".gpkg", ".geojson")) for n in lower):
        return "shapefile"
    files = [n for n in lower if not n.endswith("/") and not n.startswith("__macosx/")]
    if len(files) == 1 and files[0].endswith((".csv", ".txt", ".tsv", ".xlsx")):
        return "single"
    return "other"


def _unzip_single(data: bytes, filename: str) -> tuple[bytes, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = next(i for i in archive.infolist()
                    if not i.is_dir() and not i.filename.startswith("__MACOSX/"))
        if info.file_size > limits.MAX_BYTES:
            raise UploadError(f"The file inside the zip, '{info.filename}', is {info.file_size / 2**20:.1f} "
                              "MB "
                              f"unzipped; the limit is {limits.MAX_UPLOAD_MB} MB (limits.MAX_BYTES).")
        out = io.BytesIO()
        copy_member(archive, info, out, limits.MAX_BYTES, filename)
        return out.getvalue(), info.filename


# --- the table -------------------------------------------------------------------------------------

def _looks_like_data(cells: list[str]) -> bool:
    """A first row made of codes, postcodes or numbers is data, not a header."""
    filled = [c.strip() for c in cells if c.strip()]
    if not filled:
        return False
    codes = sum(is_lsoa_code(c) or geocode.normalise_postcode(c) is not None for c in filled)
    numbers = sum(parse_number(c) is not None for c in filled)
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


def _width(row: list[str]) -> int:
    """Cells up to the last filled one (trailing empty cells do not count)."""
    n = len(row)
    while n and not row[n - 1].strip():
        n -= 1
    return n


def _split_ragged(header: list[str] | None, body: list[tuple[int, list[str]]], delimiter: str | None,
                  notes: list[str]) -> tuple[int, list[tuple[int, list[str]]], list[RowError]]:
    """The table width, the rows that fit it, and a RowError for each row with more values.

    The width is the header's, unless most data rows are wider (a header missing names for
    its last columns): then the extra columns are kept as column_N. A minority of wider rows
    is an unquoted delimiter inside a value (such as 1,000), so those rows are left out
    rather than shifting a value into a phantom column.
    """
    widths = [_width(r) for _, r in body]
    head_width = _width(header) if header is not None else 0
    if widths:
        counts = pd.Series(widths).value_counts()
        common = int(counts.index[0]) if counts.iloc[0] > counts.get(head_width, 0) else head_width
    else:
        common = head_width
    width = max(head_width, common, 1)
    if header is not None and width > head_width:
        notes.append(f"Most rows have {width} values but the header names only {head_width} columns; the "
                     "unnamed ones are called column_N.")
    kept, errors = [], []
    sep = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}.get(delimiter or "", "delimiter")
    for (n, row), w in zip(body, widths, strict=True):
        if w > width:
            hint = (f" (an unquoted {sep} inside a value, such as 1{delimiter}000? Quote that value or "
                    "remove the "
                    f"{sep})") if delimiter else ""
            shown = (delimiter or ", ").join(c.strip() for c in row[:w])[:200]
            errors.append(RowError(n, f"row has {w} values but the table has {width} columns{hint}; row "
                                   "left out", "", shown))
            continue
        kept.append((n, row[:width] + [""] * (width - len(row[:width]))))
    if errors:
        rows = ", ".join(str(e.row) for e in errors[:10]) + (" ..." if len(errors) > 10 else "")
        notes.append(f"{len(errors):,} row(s) have more values than the table has columns and were left out "
                     f"(rows {rows}); see the row problems.")
    return width, kept, errors


def read_upload(data: bytes, filename: str, *, sheet: str | None = None,
                decimal_comma: bool | None = None) -> RawTable:
    """Parse an uploaded CSV or Excel file into text cells (see the module docstring).

    ``sheet`` picks a workbook's sheet by name (default: the first sheet with data);
    ``RawTable.sheets`` lists them all. ``decimal_comma=True`` has the loaders read numbers
    as 1.234,5 (the user's choice); by default a column that could be read either way is
    refused by the loaders, naming that option.
    """
    if data is None or len(data) == 0:
        raise UploadError(f"'{filename}' is empty (0 bytes).")
    if len(data) > limits.MAX_BYTES:
        raise UploadError(f"'{filename}' is {len(data) / 1024 / 1024:.1f} MB; the limit is "
                          f"{limits.MAX_UPLOAD_MB} MB (limits.MAX_BYTES). Keep only the columns you need, or "
                          "split the file.")
    lower = filename.lower()
    notes: list[str] = []
    encoding = delimiter = chosen = None
    sheets: list[str] = []
    errors: list[RowError] = []
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        check_unzipped_size(data, filename)
        kind = _zip_kind(data)
        if kind == "single":
            inner, inner_name = _unzip_single(data, filename)
            table = read_upload(inner, inner_name, sheet=sheet, decimal_comma=decimal_comma)
            table.filename = filename
            table.notes.insert(0, f"Read '{inner_name}' from inside the zip.")
            return table
        if kind == "ods" or lower.endswith(".ods"):
            raise UploadError("OpenDocument spreadsheets (.ods) are not supported: save as .xlsx or CSV.")
        if kind == "shapefile":
            raise UploadError(f"'{filename}' is a GIS file (a zip holding a shapefile or GIS layer): upload "
                              "it as "
                              "a GIS file (the page reads GeoJSON, GeoPackage and zipped shapefiles).")
        if kind == "bad":
            raise UploadError(f"'{filename}' looks like a zip or Excel file but is damaged or incomplete. "
                              "Save it "
                              "again as .xlsx or CSV and retry.")
        if kind == "other":
            members = [n for n in zip_members(data) or [] if not n.endswith("/")][:10]
            raise UploadError(f"'{filename}' is a zip but not an Excel workbook; it holds "
                              f"{', '.join(repr(m) for m in members) or 'nothing'}. Upload a CSV, an .xlsx "
                              "file, "
                              "or a zip holding one CSV or a shapefile.")
        numbered, chosen, sheets, sheet_notes = _read_xlsx(data, filename, sheet)
        notes += sheet_notes
        file_format = "xlsx"
        for n, formula in _unsaved_formulas(data, filename, chosen, numbered):
            errors.append(RowError(n, "formula with no saved result: read as empty (open and save the file "
                                      "in Excel, or paste values)", "", formula[:200], severity="warning"))
        if errors:
            notes.append(f"{len(errors):,} formula cell(s) had no saved result and were read as empty.")
    elif data.startswith(b"SQLite format 3\x00") or (
            data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and b'"type"' in data[:4096]
            and (b"Feature" in data[:4096] or b"coordinates" in data[:4096])):
        raise UploadError(f"'{filename}' is a GIS file (GeoPackage or GeoJSON), not a table: upload it as "
                          "a GIS file (the page reads GeoJSON, GeoPackage and zipped shapefiles).")
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadError("Old Excel 97-2003 (.xls) files are not supported: save as .xlsx or CSV.")
    elif _MARKUP.match(data[:4096]):
        kind = next((k for tag, k in _MARKUP_KINDS if tag in data[:4096].lower()), "an XML or HTML")
        raise UploadError(f"'{filename}' is {kind} file, not a table: this page reads CSV, Excel .xlsx and "
                          "GIS files (GeoJSON, GeoPackage, zipped shapefiles). Convert it first (in QGIS, "
                          "for example, export the layer as GeoJSON).")
    else:
        if lower.endswith((".xlsx", ".xlsm")):
            raise UploadError(f"'{filename}' is named like an Excel file but is not one. "
                              "Save it again as .xlsx or CSV.")
        text, encoding = _decode(data, filename)
        delimiter = _sniff_delimiter(text)
        numbered = _read_csv_rows(text, delimiter, filename)
        del text
        file_format = "csv"
        if encoding not in ("UTF-8", "UTF-8 (with BOM)"):
            notes.append(f"Read as {encoding} text.")

    if not numbered:
        raise UploadError(f"'{filename}' has no data: every row is empty.")
    longest = max((len(c), n) for n, r in numbered for c in r)
    if longest[0] > limits.MAX_CELL_CHARS:
        raise UploadError(f"'{filename}' has a cell of {longest[0]:,} characters on row {longest[1]}; the "
                          "limit "
                          f"is {limits.MAX_CELL_CHARS:,} characters per cell (limits.MAX_CELL_CHARS). A "
                          "cell that "
                          "long is usually a quote mark (\") left open: check that row.")
    widest = max(_width(r) for _, r in numbered)  # trailing empty cells are not columns
    if widest > limits.MAX_COLUMNS:
        raise _too_many_columns(filename, widest)

    # title lines above the header are skipped: the rows before the last text row above the first
    # data row (codes, postcodes or numbers), or else single-cell rows above wider ones
    first_data = next((i for i, (_, r) in enumerate(numbered[:8]) if _looks_like_data(r)), None)
    if (first_data is not None and 2 <= first_data <= 6
            and not any(parse_number(c) is not None for _, r in numbered[:first_data] for c in r)):
        skipped = first_data - 1
        del numbered[:skipped]
    else:
        width = max(sum(bool(c.strip()) for c in r) for _, r in numbered[:50])
        skipped = 0
        while (len(numbered) > 1 and skipped < 5 and width > 1
               and sum(bool(c.strip()) for c in numbered[0][1]) == 1
               and not _looks_like_data(numbered[0][1])):
            numbered.pop(0)
            skipped += 1
    if skipped:
        notes.append(f"Skipped {skipped} title line(s) above the header.")

    has_header = not _looks_like_data(numbered[0][1])
    if has_header:
        header, body = numbered[0][1], numbered[1:]
    else:
        header, body = None, numbered
        notes.append("The first row looks like data, so the file was read as having no header row.")
    n_cols, body, ragged = _split_ragged(header, body, delimiter, notes)
    errors += ragged
    if header is not None:
        columns = _unique_names(header[:n_cols] + [""] * (n_cols - len(header[:n_cols])))
    else:
        columns = [f"column_{i}" for i in range(1, n_cols + 1)]
    if len(body) > limits.MAX_ROWS:
        raise UploadError(f"'{filename}' has {len(body):,} data rows; the limit is "
                          f"{limits.MAX_ROWS:,} data rows "
                          "(limits.MAX_ROWS). Keep only the rows you need, or split the file.")
    frame = pd.DataFrame([r for _, r in body], columns=columns, dtype=object)
    if frame.empty:
        frame = pd.DataFrame(columns=columns, dtype=object)
    frame = frame.apply(lambda col: col.map(_cell_text, na_action="ignore").fillna("").str.strip()
                        if len(col) and not all(isinstance(c, str) for c in col) else col.str.strip())
    # drop columns with neither a header nor any value (trailing delimiters, stray cells)
    blank = [c for c in frame.columns if c.startswith("column_") and has_header and not frame[c].any()]
    frame = frame.drop(columns=blank)
    if frame.empty:
        if ragged:
            raise UploadError(f"'{filename}': every data row has more values than the header has columns "
                              f"(first on row {ragged[0].row}). Check the delimiter and quote values that "
                              "contain it.")
        raise UploadError(f"'{filename}' has a header row but no data rows.")
    return RawTable(frame=frame.reset_index(drop=True), filename=filename,
                    row_numbers=np.array([n for n, _ in body], dtype=int), file_format=file_format,
                    encoding=encoding, delimiter=delimiter, sheet=chosen, has_header=has_header, notes=notes,
                    errors=errors, sheets=sheets, decimal_comma=decimal_comma)
