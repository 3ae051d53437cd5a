"""The one writer of tables: CSV (pages, plans, the command line) and Excel (.xlsx) downloads.

Every table the app offers is written here, with the attribution its data licences require
(`sources.merge_attribution`: one line per licence holder) and every text cell made formula-safe
(`safety.csv_safe_frame`). Floats are tidied per column (no ``49.99999999999999``).

A download CSV starts with a UTF-8 byte-order mark (Excel then reads names right), its notes as
``# ...`` comment lines and a blank line above the header, which the documented recipe skips:

    pandas.read_csv("file.csv", comment="#")

Its Excel twin puts the table on the first sheet (header on row 1) and the notes on a second.
The command line writes the same CSV without the byte-order mark or notes (``bom=False``, for
pipes) and without rounding (``tidy=False``: its figures are exact fractions).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from geo_core20 import schema, sources
from geo_core20.safety import csv_safe_frame, csv_safe_value

CSV_NOTE_PREFIX = "# "
CSV_READ_RECIPE = 'pandas.read_csv(path, comment="#")'
"""How to read every CSV the app writes (the help text of the download buttons quotes it)."""
CSV_HELP = f"Attribution lines start with '#' above the header; in Python: {CSV_READ_RECIPE}."
XLSX_HELP = "The table on the first sheet (header on row 1); notes and attribution on the second."
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_SHEET, NOTES_SHEET = "Data", "Notes"
SIGNIFICANT_DIGITS = 6
"""Floats are written to about this many significant digits (per column): no ``49.99999999999999``."""
COLUMN_DECIMALS = {"lat": 6, "lon": 6, "pwc_lat": 6, "pwc_lon": 6, schema.IMD_SCORE: 3}

Note = str | tuple[str, object]
"""A note above a table: a line of text (attribution, a method note), or an ``(item, value)`` pair
(a plan's details) written as two cells."""


def note_rows(notes: Sequence[Note]) -> list[list[object]]:
    """The notes as rows of cells: runs of text lines merged by `sources.merge_attribution` (one line
    per licence holder, each only once), pairs kept as they are; every cell formula-safe."""
    rows: list[list[object]] = []
    for is_text, run in itertools.groupby(notes, key=lambda n: isinstance(n, str)):
        if is_text:
            rows += [[csv_safe_value(line)] for line in sources.merge_attribution(run)]
        else:
            rows += [[csv_safe_value(str(item)), csv_safe_value(value)] for item, value in run]
    return rows


def _decimals(values: np.ndarray, name: str) -> int:
    if name in COLUMN_DECIMALS:
        return COLUMN_DECIMALS[name]
    top = float(np.max(np.abs(values))) if len(values) else 0.0
    magnitude = math.floor(math.log10(top)) + 1 if top > 0 else 1
    return int(min(SIGNIFICANT_DIGITS, max(0, SIGNIFICANT_DIGITS - magnitude)))


def tidy_numbers(table: pd.DataFrame, decimals: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Float columns rounded per column (to ~6 significant digits of their largest value, or
    ``decimals[column]``); whole-number float columns become integers (nullable)."""
    out = table.copy()
    fixed = {**COLUMN_DECIMALS, **(decimals or {})}
    for col in out.columns:
        if not pd.api.types.is_float_dtype(out[col]):
            continue
        v = out[col].to_numpy(dtype=float)
        finite = v[np.isfinite(v)]
        if len(finite) and np.all(np.abs(finite - np.round(finite)) < 1e-9) and col not in fixed:
            whole = pd.array(np.where(np.isfinite(v), np.round(v), np.nan), dtype="Float64")
            out[col] = whole.astype("Int64")
            continue
        n = fixed.get(col, _decimals(finite, str(col)))
        out[col] = out[col].round(n)
    return out


def _frame(table: pd.DataFrame, decimals: Mapping[str, int] | None, tidy: bool) -> pd.DataFrame:
    frame = csv_safe_frame(pd.DataFrame(table).drop(columns="geometry", errors="ignore"))
    return tidy_numbers(frame, decimals) if tidy else frame


def to_csv(table: pd.DataFrame, notes: Sequence[Note] = (), *, decimals: Mapping[str, int] | None = None,
           bom: bool = True, tidy: bool = True) -> bytes:
    """Any table as the app's CSV: BOM, ``# `` note lines and a blank line, header, tidy numbers.

    Text cells holding ``#`` are quoted (with every other text cell), so the documented
    ``comment="#"`` recipe never cuts a value short. A note line starts with ``# `` and is never
    quoted as a whole (a quoted line would not be a comment).
    """
    buf = io.StringIO()
    rows = note_rows(notes)
    pairs = csv.writer(buf, lineterminator="\n")
    for row in rows:
        if len(row) == 1:  # written raw: a quoted line would not be a comment
            buf.write(f"{CSV_NOTE_PREFIX}{row[0]}\n")
        else:  # "# item" starts the line, so it is never quoted; the value is
            pairs.writerow([f"{CSV_NOTE_PREFIX}{row[0]}", *row[1:]])
    if rows:
        buf.write("\n")
    frame = _frame(table, decimals, tidy)
    text_cols = [c for c in frame.columns
                 if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    has_hash = any("#" in str(c) for c in frame.columns) or any(
        frame[c].astype(str).str.contains("#", regex=False).any() for c in text_cols)
    frame.to_csv(buf, index=False, lineterminator="\n",
                 quoting=csv.QUOTE_NONNUMERIC if has_hash else csv.QUOTE_MINIMAL)
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def _cell(value: object) -> object:
    """A value openpyxl can store: missing -> empty, numpy scalars -> Python, no control characters."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isinf(value):
        return str(value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def to_xlsx(table: pd.DataFrame, notes: Sequence[Note] = (), *,
            decimals: Mapping[str, int] | None = None) -> bytes:
    """The Excel twin of `to_csv`: the table on the first sheet (header on row 1, bold, frozen),
    the notes (details, attribution) on the second. Cells are formula-safe as in the CSV."""
    frame = _frame(table, decimals, tidy=True)
    book = openpyxl.Workbook(write_only=True)
    data = book.create_sheet(DATA_SHEET)
    data.freeze_panes = "A2"
    data.append([_cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        data.append([_cell(v) for v in row])
    sheet = book.create_sheet(NOTES_SHEET)
    sheet.append(["Notes and attribution"])
    for row in note_rows(notes):
        sheet.append([_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_note_lines(text: str) -> int:
    """How many note lines start an exported CSV."""
    n = 0
    for line in text.lstrip("\ufeff").splitlines():
        if not (line.startswith(CSV_NOTE_PREFIX) or line.startswith('"' + CSV_NOTE_PREFIX)):
            break
        n += 1
    return n


def read_csv(data: bytes | str) -> pd.DataFrame:
    """Read back a CSV written here, exactly as the documented recipe does (LSOA codes as text)."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    return pd.read_csv(io.BytesIO(raw), comment="#", dtype={schema.LSOA_CODE: str})


def read_xlsx(data: bytes) -> tuple[pd.DataFrame, list[str]]:
    """Read back an Excel file written here: the table (LSOA codes as text) and the note lines."""
    table = pd.read_excel(io.BytesIO(data), sheet_name=DATA_SHEET, dtype={schema.LSOA_CODE: str})
    notes = pd.read_excel(io.BytesIO(data), sheet_name=NOTES_SHEET, header=None, dtype=str)
    lines = [", ".join(str(v) for v in row if isinstance(v, str)) for row in notes.itertuples(index=False)]
    return table, lines[1:]
