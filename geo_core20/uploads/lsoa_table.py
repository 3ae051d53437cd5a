"""LSOA-keyed tables: codes checked, 2011 codes converted to 2021, values counted or weighted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_core20 import atlas, readers, schema
from geo_core20.errors import NotBuiltError, UploadError
from geo_core20.uploads.cells import LSOA_RE, _flat, blank_columns, parse_columns
from geo_core20.uploads.columns import (
    COUNT,
    LSOA_KIND,
    RATE,
    check_number_columns,
    find_lsoa_column,
    guess_semantics_columns,
    no_usable_column_message,
    numeric_columns,
)
from geo_core20.uploads.reading import RawTable, RowError


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
    polygons: gpd.GeoDataFrame | None = None  # a GIS upload's areas (EPSG:4326), to re-place on any atlas

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
    path = atlas.input_path("lookup_lsoa11_lsoa21")
    return readers.read_lookup(path, ["lsoa11_code", "lsoa21_code", "change_code"])


def default_populations() -> tuple[pd.Series | None, pd.Series | None]:
    """Census 2021 population per LSOA 2021 and the IMD2019 population per LSOA 2011 (atlases)."""
    out: list[pd.Series | None] = []
    for vintage in ("2025", "2019"):
        try:
            a = atlas.load_atlas(vintage)
            out.append(pd.Series(a[schema.POPULATION].to_numpy(float), index=a[schema.LSOA_CODE].to_numpy()))
        except NotBuiltError:
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
    columns = list(semantics)
    v = values[columns].to_numpy(dtype=float)[pairs["_src"].to_numpy(dtype=int)]
    codes = pairs[schema.LSOA_CODE].to_numpy()
    share = pairs["share"].to_numpy(dtype=float)[:, None]
    weight = np.where(np.isnan(v), np.nan, pairs["weight"].to_numpy(dtype=float)[:, None])
    # the user's columns by position: a value column may be called share, weight or _src
    counts = pd.DataFrame(v * share).groupby(codes).sum(min_count=1)
    num = pd.DataFrame(v * weight).groupby(codes).sum(min_count=1)
    den = pd.DataFrame(weight).groupby(codes).sum(min_count=1)
    rates = num / den.replace(0, np.nan)
    is_count = np.array([semantics[c] == COUNT for c in columns])
    out = pd.DataFrame(np.where(is_count, counts.to_numpy(), rates.to_numpy()), columns=columns)
    out.insert(0, schema.LSOA_CODE, counts.index.to_numpy())
    return out.sort_values(schema.LSOA_CODE, ignore_index=True)


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
        raise UploadError(no_usable_column_message(raw) if code_column is None
                          else f"Column '{code_column}' is not in '{raw.filename}'.")
    if value_columns is None:
        value_columns = numeric_columns(frame, exclude=[code_column])
    if isinstance(value_columns, (list, tuple)):
        value_columns = guess_semantics_columns(frame, value_columns)
    for col, sem in value_columns.items():
        if col not in frame.columns:
            raise UploadError(f"Value column '{col}' is not in '{raw.filename}'.")
        if sem not in (COUNT, RATE):
            raise UploadError(f"Column '{col}': meaning must be '{COUNT}' or '{RATE}', not '{sem}'.")
    if schema.LSOA_CODE in value_columns:
        raise UploadError(f"'{raw.filename}': a value column cannot be called '{schema.LSOA_CODE}', the "
                          "layer's own column of LSOA 2021 codes. Rename that column and retry.")
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
    codes11 = set(lookup["lsoa11_code"].tolist())  # tolist: iterating arrow strings is slow
    codes21 = set(lookup["lsoa21_code"].tolist())
    keep = np.ones(len(frame), dtype=bool)
    first_seen: dict[str, int] = {}
    originals = frame[code_column].tolist()  # plain lists: per-row pandas access is slow
    row_no = [int(r) for r in rows]
    for i, code in enumerate(codes.tolist()):
        original = originals[i]
        if not code:
            errors.append(RowError(row_no[i], "no LSOA code", code_column, ""))
        elif not LSOA_RE.match(code):
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

    check_number_columns(raw, value_columns)
    values = parse_columns(frame, value_columns, raw.decimal_comma)
    blanks = blank_columns(frame, value_columns)
    cells, _ = _flat(frame, list(value_columns))
    empty = (cells.astype(str).str.strip() == "").to_numpy(dtype=bool)
    empty = empty.reshape(len(value_columns), len(frame)).T
    markers = int((blanks.to_numpy() & ~empty & keep[:, None]).sum())
    bad_all = values.isna().to_numpy() & ~blanks.to_numpy() & keep[:, None]
    for j, col in enumerate(value_columns):
        if not bad_all[:, j].any():
            continue
        for i in np.flatnonzero(bad_all[:, j]):
            errors.append(RowError(int(rows[i]), "not a number: value left empty", col, frame[col].iat[i],
                                   severity="warning"))

    if markers:
        notes.append(f"{markers:,} value cell(s) held a missing-value marker (such as '*', 'n/a' or 'c' for "
                     "suppressed) and were left empty.")
    good = pd.Series(np.flatnonzero(keep), dtype=int)
    good_codes = codes.iloc[good.to_numpy()]
    in21 = _member(good_codes, codes21)
    only11 = good_codes[~in21]
    only21 = good_codes[~_member(good_codes, codes11)]
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

    direct = good[in21]  # 2021 codes (incl. unchanged 2011 ones)
    convert = good[~in21]
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
        all_pairs = all_pairs[_member(all_pairs[schema.LSOA_CODE], set(pd.Series(england_codes21).tolist()))]
    out = _aggregate(all_pairs, values, value_columns)
    by_code = all_pairs.assign(direct=all_pairs["change_code"].eq("U")).groupby(schema.LSOA_CODE)
    fed = by_code.agg(rows=("_src", "nunique"), direct=("direct", "any"))
    double = int((fed["rows"].gt(1) & fed["direct"]).sum())
    if double:
        notes.append(f"{double:,} LSOA 2021 code(s) were given directly and also received values converted "
                     "from a 2011 code; counts were added and rates averaged. Check for double counting.")
    unmatched = int((~keep).sum()) + raw.rows_rejected
    return LsoaTableResult(
        name=raw.name, frame=out, code_column=code_column, value_columns=dict(value_columns),
        vintage=vintage, rows_read=len(frame) + raw.rows_rejected, rows_loaded=int(keep.sum()),
        unchanged=int(len(direct)), split=split, merged=merged, irregular=irregular, unmatched=unmatched,
        errors=sorted(raw.errors + errors, key=lambda e: e.row),
        notes=raw.notes + notes)


def _member(values: pd.Series, allowed: set[str]) -> np.ndarray:
    """``values.isin(allowed)`` for a small Series and a large set (pandas' arrow-string isin converts
    the whole set each call: ~1 s for the 35,000 LSOA codes)."""
    return np.fromiter((v in allowed for v in values.tolist()), dtype=bool, count=len(values))


def _partial_merges(conv: pd.DataFrame, lookup: pd.DataFrame) -> int:
    merged = conv[conv["change_code"].isin(["M", "X"])]
    if merged.empty:
        return 0
    need = lookup[lookup["lsoa21_code"].isin(set(merged[schema.LSOA_CODE]))].groupby("lsoa21_code")[
        "lsoa11_code"].nunique()
    have = merged.groupby(schema.LSOA_CODE)["lsoa11_code"].nunique()
    return int((have < need.reindex(have.index)).sum())
