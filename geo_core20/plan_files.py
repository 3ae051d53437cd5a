"""The outreach planner's own files: travel times, candidate sites and demand, in the forms people have them.

- `read_travel_times`: an origin-destination file in **long** form (origin, destination, time: one
  row per pair) or **wide** form (one row per origin, one column per site, as lokigi and r5py
  write it); origins as LSOA codes or LSOA names ("Plymouth 001A"); minutes by default, seconds
  when asked (or when the long form's time column says so); a blank, negative or >= 9999 cell
  means unreachable; destinations matched to the candidate sites by id or by name.
- `read_sites_file`: candidate sites with an optional id (the name serves as id), a name, lon/lat
  or easting/northing or a postcode (located offline, as uploads are) and an optional existing
  flag (``Existing`` Yes/No) that marks sites already open.
- `read_demand`: one numeric column of an LSOA table (codes or names) as the plan's demand.

Each reads untrusted bytes through `geo_core20.uploads.read_upload` (size, rows, columns and
cells bounded by `geo_core20.limits`) and raises `access.AccessError` (or the reader's
`uploads.UploadError`) with the rows, columns or names at fault; neither changes anything the
user already has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo_core20 import access, schema, uploads
from geo_core20.uploads.cells import blank_columns, blank_mask, is_blank, is_lsoa_code, key, parse_columns

UNREACHABLE_AT = 9999.0
"""A time at or above this (r5py's and lokigi's 'no route' marker) means unreachable."""
TIME_UNITS = ("minutes", "seconds")
_SECONDS_HINTS = ("seconds", "secs", "second", "sec")
_ID_ALIASES = ("id", "siteid", "sitecode", "code", "candidateid", "venueid", "ref", "reference", "odscode")
_NAME_ALIASES = ("name", "sitename", "facilityname", "venuename", "venue", "site", "facility", "label",
                 "candidate", "candidatename", "location")
_EXISTING_ALIASES = ("existing", "fixed", "open", "isexisting", "alreadyopen", "existingsite")
_YES = frozenset({"yes", "y", "true", "t", "1", "existing", "open", "fixed"})
_NO = frozenset({"no", "n", "false", "f", "0", "", "new", "candidate"})
SHOW = 8  # names/rows listed in a message before "and N more"

Error = access.AccessError


def _list(values: Sequence[object], limit: int = SHOW) -> str:
    items = [repr(str(v)[:60]) for v in values[:limit]]
    more = f" and {len(values) - limit:,} more" if len(values) > limit else ""
    return ", ".join(items) + more


def _rows(rows: Sequence[int] | np.ndarray, limit: int = 10) -> str:
    rows = [int(r) for r in rows]
    shown = ", ".join(map(str, rows[:limit]))
    return f"{shown} and {len(rows) - limit:,} more" if len(rows) > limit else shown


def _name_key(text: object) -> str:
    """Names compared loosely: case and runs of spaces ignored."""
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def _raw(data: bytes, filename: str, decimal_comma: bool | None = None) -> uploads.RawTable:
    raw = uploads.read_upload(data, filename, decimal_comma=decimal_comma)
    rejected = [e for e in raw.errors if e.severity == "error"]
    if rejected:
        raise Error(f"'{filename}': {len(rejected):,} row(s) could not be read (rows "
                    f"{_rows(sorted(e.row for e in rejected))}): {rejected[0].reason}.")
    if raw.frame.empty:
        raise Error(f"'{filename}' has no data rows.")
    return raw


# --- LSOA codes and names -----------------------------------------------------------------------

@dataclass(frozen=True)
class LsoaIndex:
    """The LSOA codes of a vintage and their names, to read an origin or demand column either way."""

    codes: frozenset[str]
    by_name: dict[str, str]  # loose name -> code

    @classmethod
    def from_atlas(cls, atlas: pd.DataFrame) -> LsoaIndex:
        codes = atlas[schema.LSOA_CODE].astype(str)
        names = atlas[schema.LSOA_NAME].astype(str) if schema.LSOA_NAME in atlas.columns else \
            pd.Series([], dtype=str)
        return cls(frozenset(codes), {_name_key(n): c for n, c in zip(names, codes, strict=False)})

    def resolve(self, values: Iterable[object]) -> tuple[np.ndarray, str]:
        """LSOA codes for the values (None where unknown) and what they were: 'codes' or 'names'."""
        texts = [str(v).strip() for v in values]
        as_codes = [re.sub(r"\s+", "", t).upper() for t in texts]
        n_codes = sum(is_lsoa_code(t) for t in texts)
        if n_codes >= len(texts) / 2:
            return np.array([c if c in self.codes else None for c in as_codes], dtype=object), "codes"
        return np.array([self.by_name.get(_name_key(t)) for t in texts], dtype=object), "names"

    def share_known(self, values: pd.Series) -> float:
        filled = [v for v in values.head(2000) if not is_blank(v)]
        if not filled:
            return 0.0
        codes, _ = self.resolve(filled)
        return float(np.mean([c is not None for c in codes]))


def _lsoa_column(frame: pd.DataFrame, lsoas: LsoaIndex, prefer: Sequence[str] = ()) -> str | None:
    """The column of LSOA codes or names: a preferred header first, then codes, then names (by content)."""
    for col in frame.columns:
        if key(col) in prefer and lsoas.share_known(frame[col]) >= 0.5:
            return col
    by_code = uploads.find_lsoa_column(frame)
    if by_code is not None:
        return by_code
    scored = [(c, lsoas.share_known(frame[c])) for c in frame.columns]
    scored = [(c, s) for c, s in scored if s >= 0.5]
    return max(scored, key=lambda cs: cs[1])[0] if scored else None


def _unknown_lsoas(filename: str, column: str, values: pd.Series, codes: np.ndarray, rows: np.ndarray,
                   kind: str) -> None:
    unknown = np.array([c is None for c in codes]) & ~values.map(is_blank).to_numpy()
    blank = values.map(is_blank).to_numpy()
    if blank.any():
        raise Error(f"'{filename}': {int(blank.sum()):,} row(s) have no LSOA in column '{column}' "
                    f"(rows {_rows(rows[blank])}).")
    if unknown.any():
        names = list(dict.fromkeys(values[unknown].astype(str)))
        what = "LSOA codes" if kind == "codes" else "LSOA names"
        raise Error(f"'{filename}': {len(names):,} {what} in column '{column}' do not exist in the chosen "
                    f"vintage: {_list(names)} (rows {_rows(rows[unknown])}). Use LSOA 2021 codes such as "
                    "E01015023 or names such as 'Plymouth 003A'.")


# --- candidate and site names ------------------------------------------------------------------

def _match_sites(labels: Sequence[str], sites: pd.DataFrame | None) -> tuple[list[str | None], str]:
    """Candidate ids for destination labels: by id first, else by name."""
    if sites is None:
        return [str(x).strip() for x in labels], ""
    ids = sites["candidate_id"].astype(str)
    by_id = {i.strip(): i for i in ids}
    by_name: dict[str, str] = {}
    for i, n in zip(ids, sites["name"].astype(str), strict=True):
        by_name.setdefault(_name_key(n), i)
    by_id_key = {_name_key(i): i for i in ids}
    out: list[str | None] = []
    for label in labels:
        text = str(label).strip()
        out.append(by_id.get(text) or by_id_key.get(_name_key(text)) or by_name.get(_name_key(text)))
    return out, "id or name"


# --- travel times --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TravelTimes:
    """An OD file read: the cost model the planner takes, and what the reader did."""

    cost: access.ODMatrixCost
    form: str  # "long" or "wide"
    time_unit: str  # "minutes" or "seconds" (as the file was read; the cost is always minutes)
    origin_kind: str  # "codes" or "names"
    origins: int
    destinations: tuple[str, ...]  # candidate ids (or the file's labels when no sites were given)
    cells: int
    unreachable_cells: int
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        return " ".join(self.notes)


def _time_cells(frame: pd.DataFrame, columns: Sequence[str], rows: np.ndarray, filename: str,
                scale: float, decimal_comma: bool | None = None) -> np.ndarray:
    """Times in minutes (rows x columns): inf where blank, negative or >= 9999; Error on text."""
    columns = list(columns)
    nums = parse_columns(frame, columns, decimal_comma).to_numpy()
    blank = blank_columns(frame, columns).to_numpy()
    given = ~blank & ~np.isnan(nums)
    with np.errstate(invalid="ignore"):
        usable = given & (nums >= 0) & (nums < UNREACHABLE_AT)
    out = np.where(usable, nums * scale, np.inf)
    js, is_ = np.nonzero((~blank & np.isnan(nums)).T)  # column by column, as the user reads them
    bad = [(int(rows[i]), str(columns[j]), str(frame[columns[j]].iat[i]))
           for j, i in zip(js, is_, strict=True)]
    if bad:
        cols = list(dict.fromkeys(c for _, c, _ in bad))
        example = "; ".join(f"row {r}, column '{c[:40]}': {t[:30]!r}" for r, c, t in bad[:5])
        raise Error(f"'{filename}': {len(bad):,} time cell(s) hold text, not a number of minutes or seconds "
                    f"(columns {_list(cols)}; {example}{' ...' if len(bad) > 5 else ''}). Leave a cell blank "
                    "(or write 9999) for an unreachable pair.")
    return out


def read_travel_times(data: bytes, filename: str, atlas: pd.DataFrame, *, sites: pd.DataFrame | None = None,
                      time_unit: str | None = None, decimal_comma: bool | None = None) -> TravelTimes:
    """Read an OD travel-time file (CSV or Excel, long or wide form) as minutes.

    ``atlas``: the vintage's LSOAs (codes and names; origins must be among them). ``sites``:
    candidates (``candidate_id``, ``name``) that destinations must match, by id or name.
    ``time_unit``: "minutes" or "seconds"; None reads minutes unless the long form's time column
    is named in seconds. ``decimal_comma``: the file writes 1.234,5 (see `uploads.read_upload`).
    Raises `access.AccessError` naming what is at fault.
    """
    if time_unit is not None and time_unit not in TIME_UNITS:
        raise Error(f"time unit must be one of {', '.join(TIME_UNITS)}, not {time_unit!r}")
    raw = _raw(data, filename, decimal_comma)
    frame, rows = raw.frame, np.asarray(raw.row_numbers)
    lsoas = LsoaIndex.from_atlas(atlas)
    by_key = {key(c): c for c in frame.columns}
    found = {role: next((by_key[n] for n in names if n in by_key), None)
             for role, names in access.OD_COLUMNS.items()}
    seconds_col = next((c for c in frame.columns if key(c) in ("seconds", "secs", "durationseconds",
                                                                "timeseconds", "travelseconds")), None)
    if found["cost"] is None and seconds_col is not None:
        found["cost"] = seconds_col
    long_form = (None not in (found["origin"], found["destination"], found["cost"])
                 and found["origin"] != found["destination"])
    notes: list[str] = []
    if long_form:
        form = "long"
        origin_col = found["origin"]
        named_seconds = any(h in key(found["cost"]) for h in _SECONDS_HINTS)
        unit = time_unit or ("seconds" if named_seconds else "minutes")
        if time_unit is None and named_seconds:
            notes.append(f"Times read as seconds (column '{found['cost']}'), converted to minutes.")
        dest_labels = frame[found["destination"]].astype(str).str.strip()
        blank_dest = dest_labels.map(is_blank).to_numpy()
        scale = 1 / 60 if unit == "seconds" else 1.0
        uploads.columns.check_number_columns(raw, [found["cost"]])
        times = _time_cells(frame, [found["cost"]], rows, filename, scale, raw.decimal_comma)[:, 0]
        labels = list(dict.fromkeys(dest_labels))
        columns_label = f"column '{found['destination']}'"
    else:
        form = "wide"
        origin_col = _lsoa_column(frame, lsoas,
                                  prefer=("fromid", "origin", "from", *access.OD_COLUMNS["origin"]))
        if origin_col is None:
            origin_col = frame.columns[0]
        labels = [c for c in frame.columns if c != origin_col]
        if not labels:
            raise Error(f"'{filename}' has an origin column ('{origin_col}') but no site columns. A wide "
                        "travel-time file has one row per origin LSOA and one column per site; a long one "
                        "has columns origin, destination and minutes.")
        unit = time_unit or "minutes"
        uploads.columns.check_number_columns(raw, labels)
        times = _time_cells(frame, labels, rows, filename, 1 / 60 if unit == "seconds" else 1.0,
                            raw.decimal_comma)
        dest_labels = None
        columns_label = "the column headers"
    origin_values = frame[origin_col]
    codes, origin_kind = lsoas.resolve(origin_values)
    _unknown_lsoas(filename, str(origin_col), origin_values, codes, rows, origin_kind)  # origins named first
    if form == "long" and blank_dest.any():
        raise Error(f"'{filename}': {int(blank_dest.sum()):,} row(s) have no destination in column "
                    f"'{found['destination']}' (rows {_rows(rows[blank_dest])}).")
    matched, _ = _match_sites(labels, sites)
    unmatched = [lab for lab, m in zip(labels, matched, strict=True) if m is None]
    if unmatched:
        known = sites["name"].astype(str).tolist() if sites is not None else []
        raise Error(f"'{filename}': {len(unmatched):,} destination(s) in {columns_label} match no candidate "
                    f"site by id or name: {_list(unmatched)}. The candidate sites are {_list(known)}.")
    label_to_id = dict(zip(labels, matched, strict=True))
    if form == "long":
        dest_ids = dest_labels.map(label_to_id).to_numpy(dtype=object)
        table = pd.DataFrame({"origin_code": codes, "destination_code": dest_ids, "cost": times})
        reach = table.assign(ok=np.isfinite(times)).groupby("origin_code", sort=False)["ok"].any()
        dead_codes = set(reach.index[~reach.to_numpy()])
        dead = np.array([c in dead_codes for c in codes])
        n_cells, n_unreach = len(times), int((~np.isfinite(times)).sum())
    else:
        n_o, n_d = times.shape
        dead = ~np.isfinite(times).any(axis=1)
        table = pd.DataFrame({"origin_code": np.repeat(codes, n_d),
                              "destination_code": np.tile(np.asarray(matched, dtype=object), n_o),
                              "cost": times.ravel()})
        n_cells, n_unreach = times.size, int((~np.isfinite(times)).sum())
    if dead.any():
        names = list(dict.fromkeys(origin_values[dead].astype(str)))
        raise Error(f"'{filename}': {len(names):,} origin(s) can reach no site (every time blank, negative "
                    f"or >= {UNREACHABLE_AT:g}): {_list(names)} (rows {_rows(rows[dead])}). Remove them or "
                    "give their times.")
    finite = table[np.isfinite(table["cost"].to_numpy())]
    notes.insert(0, f"Travel times read from '{filename}' ({form} form, {len(codes):,} row(s), origins as "
                    f"LSOA {origin_kind}) in {unit}"
                    f"{' (converted to minutes)' if unit == 'seconds' else ''}.")
    notes.append(f"{n_unreach:,} of {n_cells:,} cell(s) are unreachable (blank, negative or "
                 f">= {UNREACHABLE_AT:g}).")
    return TravelTimes(access.ODMatrixCost(finite, unit="min"), form, unit, origin_kind,
                       int(pd.Series(codes).nunique()), tuple(m for m in matched if m is not None), n_cells,
                       n_unreach, tuple(notes))


# --- candidate sites -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SitesFile:
    """Candidate sites from a file, and which of them are already open (the file's existing flag)."""

    candidates: pd.DataFrame  # siting.CANDIDATE_COLUMNS + existing, located_by
    existing_ids: tuple[str, ...]
    id_column: str | None
    name_column: str
    existing_column: str | None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _first_column(frame: pd.DataFrame, aliases: Sequence[str], exclude: Iterable[str] = ()) -> str | None:
    exclude = set(exclude)
    return next((c for c in frame.columns if c not in exclude and key(c) in aliases), None)


def read_sites_file(data: bytes, filename: str, atlas: pd.DataFrame, *,
                    postcode_index: pd.DataFrame | None = None, decimal_comma: bool | None = None,
                    swap_axes: bool = False) -> SitesFile:
    """Candidate sites: id (optional), name, lon/lat or easting/northing or postcode, existing flag.

    Every row must be located in England and have a name or id; ids (or names, when there is no
    id column) must be unique; the existing flag reads Yes/No (also True/False, 1/0). Raises
    `access.AccessError` naming the rows at fault.
    """
    from geo_core20.siting.solver import candidates_frame

    raw = _raw(data, filename, decimal_comma)
    frame = raw.frame
    point_cols = uploads.find_point_columns(frame)
    used = {point_cols.postcode, point_cols.lon, point_cols.lat, point_cols.easting, point_cols.northing}
    name_col = _first_column(frame, _NAME_ALIASES, used) or next(
        (c for c in frame.columns if c not in used and "name" in key(c)), None) or point_cols.label
    id_col = _first_column(frame, _ID_ALIASES, used | {name_col})
    existing_col = _first_column(frame, _EXISTING_ALIASES, used | {name_col, id_col})
    if name_col is None and id_col is None:
        raise Error(f"'{filename}' has no site name or id column (e.g. name, site_name, Facility_Name or "
                    "id). "
                    f"Its columns are {_list(list(frame.columns))}.")
    if not point_cols.usable:
        raise Error(f"'{filename}' does not say where the sites are: add longitude and latitude (or lon/lat, "
                    f"easting/northing) or postcode columns. Its columns are {_list(list(frame.columns))}.")
    located = uploads.load_points(raw, atlas, point_cols, postcode_index=postcode_index, swap_axes=swap_axes)
    bad = [e for e in located.errors if e.severity == "error"]
    if bad:
        detail = "; ".join(f"row {e.row}: {e.reason}" for e in bad[:5])
        raise Error(f"'{filename}': {len(bad):,} site(s) could not be located ({detail}"
                    f"{' ...' if len(bad) > 5 else ''}). Every candidate site needs a place in England.")
    pts = located.points
    names = pts[name_col].astype(str).str.strip() if name_col else pts[id_col].astype(str).str.strip()
    ids = pts[id_col].astype(str).str.strip() if id_col else names
    rows = pts["row"].to_numpy()
    empty = (ids == "").to_numpy()
    if empty.any():
        raise Error(f"'{filename}': {int(empty.sum()):,} site(s) have no {'id' if id_col else 'name'} "
                    f"(rows {_rows(rows[empty])}).")
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        raise Error(f"'{filename}': site {'ids' if id_col else 'names'} must be unique; repeated: "
                    f"{_list(list(dict.fromkeys(ids[dup])))} (rows {_rows(rows[dup])}).")
    names = names.where(names != "", ids)
    existing = np.zeros(len(pts), dtype=bool)
    if existing_col is not None:
        flags = pts[existing_col].astype(str).str.strip().str.lower()
        unknown = ~flags.isin(_YES | _NO).to_numpy()
        if unknown.any():
            raise Error(f"'{filename}': column '{existing_col}' must say Yes or No; rows "
                        f"{_rows(rows[unknown])} "
                        f"say {_list(list(dict.fromkeys(pts[existing_col][unknown].astype(str))))}.")
        existing = flags.isin(_YES).to_numpy()
    out = candidates_frame(ids, names, pts["easting"], pts["northing"], pts["lon"], pts["lat"])
    out["existing"] = existing
    out["located_by"] = pts["located_by"].to_numpy(dtype=object)
    notes = [f"{len(out):,} site(s) read from '{filename}' ({point_cols.describe()})"
             + (f"; {int(existing.sum()):,} marked existing in column '{existing_col}'"
                if existing_col else "")
             + "."]
    return SitesFile(out, tuple(out.loc[existing, "candidate_id"]), id_col, name_col or id_col,
                     existing_col, tuple(notes))


# --- demand --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Demand:
    """A demand column from the user's LSOA table: values per LSOA code and where they came from."""

    values: pd.Series  # float, index = LSOA code
    column: str
    lsoa_column: str
    lsoa_kind: str  # "codes" or "names"
    source: str  # "<file>, column <column>"
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> float:
        return float(self.values.sum())


def read_demand(data: bytes, filename: str, column: str, atlas: pd.DataFrame, *,
                decimal_comma: bool | None = None) -> Demand:
    """One numeric column of an LSOA table (LSOA codes or names detected as uploads are) as demand.

    Blank cells count as 0; text or a negative number is an error naming the rows; an LSOA
    code or name that does not exist in the vintage is an error naming it; a repeated LSOA too.
    ``decimal_comma``: the file writes 1.234,5 (see `uploads.read_upload`).
    """
    raw = _raw(data, filename, decimal_comma)
    frame, rows = raw.frame, np.asarray(raw.row_numbers)
    if column not in frame.columns:
        loose = {key(c): c for c in frame.columns}
        if key(column) not in loose:
            numeric = uploads.numeric_columns(frame)
            raise Error(f"'{filename}' has no column '{column}'. Its numeric columns are {_list(numeric)}.")
        column = loose[key(column)]
    lsoas = LsoaIndex.from_atlas(atlas)
    lsoa_col = _lsoa_column(frame, lsoas, prefer=("lsoacode", "lsoa21cd", "lsoa2021code"))
    if lsoa_col is None or lsoa_col == column:
        raise Error(f"'{filename}' has no column of LSOA codes or LSOA names of the chosen vintage (e.g. "
                    f"'LSOA 2021 Code' with E01015023 or a name like 'Plymouth 003A'). Its columns are "
                    f"{_list(list(frame.columns))}.")
    codes, kind = lsoas.resolve(frame[lsoa_col])
    _unknown_lsoas(filename, str(lsoa_col), frame[lsoa_col], codes, rows, kind)
    uploads.columns.check_number_columns(raw, [column])
    texts = frame[column].astype(str)
    values = uploads.parse_numbers(frame[column], raw.decimal_comma).to_numpy(copy=True)
    values[blank_mask(frame[column]).to_numpy(dtype=bool)] = 0.0
    text = np.isnan(values)
    if text.any():
        raise Error(f"'{filename}': column '{column}' holds text in rows {_rows(rows[text])} (e.g. "
                    f"{texts[text].iloc[0][:30]!r}); demand must be a number per LSOA.")
    negative = values < 0
    if negative.any():
        raise Error(f"'{filename}': column '{column}' has negative demand in rows {_rows(rows[negative])}.")
    dup = pd.Series(codes).duplicated(keep=False).to_numpy()
    if dup.any():
        raise Error(f"'{filename}': {int(pd.Series(codes[dup]).nunique()):,} LSOA(s) appear more than once "
                    "in "
                    f"column '{lsoa_col}' (rows {_rows(rows[dup])}).")
    series = pd.Series(values, index=pd.Index(codes.astype(str), name=schema.LSOA_CODE), name=column)
    notes = (f"Demand: column '{column}' of '{filename}' ({len(series):,} LSOAs by {kind[:-1]}, total "
             f"{series.sum():,.0f}).",)
    return Demand(series, column, str(lsoa_col), kind, f"{filename}, column {column}", notes)


def demand_columns(data: bytes, filename: str, atlas: pd.DataFrame) -> list[str]:
    """The numeric columns of an LSOA table that could be a demand (its LSOA column left out)."""
    raw = _raw(data, filename)
    lsoa_col = _lsoa_column(raw.frame, LsoaIndex.from_atlas(atlas), prefer=("lsoacode", "lsoa21cd"))
    return uploads.numeric_columns(raw.frame, exclude=[lsoa_col] if lsoa_col else [])


# --- the HSMA Devon example (a one-click preset in the planner) ------------------------------------

DEVON_ICB = "E54000037"
DEVON_MATRICES = {"car": ("hsma_devon_car", "Car (Valhalla)"),
                  "pt": ("hsma_devon_pt", "Public transport (r5py, weekday 14:00)")}
DEVON_DEMAND_COLUMN = "MF50-84"
PUBLIC_TRANSPORT_NOTE = ("Public-transport times need a GTFS-capable tool (r5py, OpenTripPlanner) and come "
                         "in as an OD file, as in the HSMA Devon example.")


@dataclass(frozen=True)
class Example:
    """A worked example's files read: candidate sites (with the existing ones), demand, travel times."""

    sites: SitesFile
    demand: Demand
    times: TravelTimes
    label: str


def devon_example(atlas: pd.DataFrame, mode: str = "car") -> Example:
    """The HSMA Devon example from the data mirror: the 4 community diagnostic centres (existing) and 14
    candidate sites, residents aged 50-84 per LSOA, car or public-transport minutes (Devon ICB)."""
    from geo_core20 import atlas as atlas_module

    if mode not in DEVON_MATRICES:
        raise Error(f"the Devon example has travel times by {', '.join(DEVON_MATRICES)}, not {mode!r}")
    ids = {"sites": "hsma_devon_sites", "demand": "hsma_devon_demand", "times": DEVON_MATRICES[mode][0]}
    paths = {k: atlas_module.input_path(i) for k, i in ids.items()}
    sites = read_sites_file(paths["sites"].read_bytes(), paths["sites"].name, atlas)
    demand = read_demand(paths["demand"].read_bytes(), paths["demand"].name, DEVON_DEMAND_COLUMN, atlas)
    times = read_travel_times(paths["times"].read_bytes(), paths["times"].name, atlas, sites=sites.candidates)
    return Example(sites, demand, times, f"HSMA Devon example, {DEVON_MATRICES[mode][1].lower()}")
