"""Core20 then and now: which LSOAs entered, left or stayed in Core20 from IMD2019 to IoD2025.

IMD2019 ranks 2011 LSOAs; IoD2025 ranks 2021 LSOAs. ONS's LSOA (2011) to LSOA (2021) lookup says
how each 2021 LSOA came about (``change_code``): U unchanged, S split from one 2011 LSOA, M merged
from several, X irregular (boundaries redrawn). A 2021 LSOA is **comparable** when it is unchanged,
a split (it takes its one parent's 2019 status), or a merge whose 2011 parts share one Core20
status (it takes that status); it is **not comparable** when irregular or a merge of mixed status.

For every comparable 2021 LSOA: ``stayed`` (Core20 in both), ``entered`` (only in 2025), ``left``
(only in 2019), ``never``. Identities, for any area:

* stayed + entered + (Core20 in 2025 but not comparable) = Core20 LSOAs 2025;
* stayed + left = Core20 LSOAs 2019 counted on the 2021 basis (comparable LSOAs only);
* the 2019 count on its own 2011 basis (``core20_lsoas_2019``) is given beside it, each 2011 LSOA
  placed in the 2025 area of its 2021 successor holding most Census 2021 residents.

People are Census 2021 usual residents of the 2021 LSOAs (the 2025 atlas's population), so that a
boundary or population change is not mistaken for a change in deprivation. The same is done for
the most deprived decile (decile 1). MHCLG's caveat applies: the 2025 indices use new
indicators, methods and geographies, so a move in rank is not by itself a change on the ground.

Pure pandas; the frame is built once per process (``lsoa_change``) and summarised per area.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from geo_core20 import areas, atlas, errors, readers, schema

OLD, NEW = "2019", "2025"
CHANGE_KINDS = {"U": "unchanged", "S": "split", "M": "merged", "X": "irregular"}

# Status of a 2021 LSOA between the two Indices (the map's classes, in legend order).
STATUS = ("entered", "left", "stayed", "not_comparable", "never")
STATUS_LABEL = {
    "entered": "Entered Core20 (IoD2025 only)",
    "left": "Left Core20 (IMD2019 only)",
    "stayed": "Stayed in Core20 (both)",
    "not_comparable": "Not comparable (boundary change)",
    "never": "Not Core20 in either",
}
CAVEAT = ("The English Indices of Deprivation 2025 use new indicators, methods and geographies "
          "(LSOA 2021), so a move in rank between IMD2019 and IoD2025 is not by itself a change "
          "on the ground (MHCLG, IoD2025 statistical release, 30 October 2025).")

# The CLI's stable columns (pinned by tests/test_change.py)
COLUMNS = (
    "area_code", "area_name",
    "core20_lsoas_2019", "core20_lsoas_2025",
    "stayed", "entered", "left", "not_comparable", "core20_2025_not_comparable",
    "core20_lsoas_2019_same_basis",
    "people_core20_2025", "people_stayed", "people_entered", "people_left", "people_not_comparable",
    "decile1_lsoas_2019", "decile1_lsoas_2025",
    "decile1_stayed", "decile1_entered", "decile1_left", "decile1_not_comparable",
    "decile1_persistence",
)


def _flag_status(new: pd.Series, old: pd.Series, comparable: pd.Series) -> pd.Series:
    status = pd.Series("never", index=new.index, dtype=object)
    status[comparable & new & old] = "stayed"
    status[comparable & new & ~old] = "entered"
    status[comparable & ~new & old] = "left"
    status[~comparable] = "not_comparable"
    return status


def build_change(atlas_new: pd.DataFrame, atlas_old: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """One row per 2021 LSOA of ``atlas_new`` with its 2019 and 2025 status (pure; unit-tested).

    ``lookup`` has ``lsoa11_code, lsoa21_code, change_code``. Columns of the result:
    ``lsoa_code, change_code, parents`` (2011 codes joined by ``;``), ``core20_2019`` /
    ``decile1_2019`` (nullable booleans: <NA> when the parts disagree or the change is irregular),
    ``core20_2025``, ``decile1_2025``, ``comparable``, ``decile1_comparable``, ``status``,
    ``decile1_status``, ``population``.
    """
    new = atlas_new[[schema.LSOA_CODE, schema.CORE20, schema.IMD_DECILE, schema.POPULATION]].copy()
    old = atlas_old[[schema.LSOA_CODE, schema.CORE20, schema.IMD_DECILE]].rename(
        columns={schema.LSOA_CODE: "lsoa11_code"})
    links = lookup[["lsoa11_code", "lsoa21_code", "change_code"]].merge(old, on="lsoa11_code", how="inner")
    links["d1"] = links[schema.IMD_DECILE] == 1
    grouped = links.groupby("lsoa21_code")
    per21 = pd.DataFrame({
        "change_code": grouped["change_code"].agg(lambda s: "X" if "X" in set(s) else
                                                   ("M" if "M" in set(s) else s.iloc[0])),
        "parents": grouped["lsoa11_code"].agg(lambda s: ";".join(sorted(s))),
        "_c20_all": grouped[schema.CORE20].all(), "_c20_any": grouped[schema.CORE20].any(),
        "_d1_all": grouped["d1"].all(), "_d1_any": grouped["d1"].any(),
    })
    frame = new.merge(per21, left_on=schema.LSOA_CODE, right_index=True, how="left")
    missing = frame["change_code"].isna()
    if missing.any():
        raise errors.DataError(
            f"{int(missing.sum())} LSOAs 2021 of the IoD2025 atlas are not in the LSOA 2011 to 2021 "
            f"lookup (e.g. {', '.join(frame.loc[missing, schema.LSOA_CODE].head(3))}); "
            "run `python -m geo_core20 data fetch` and `data build --force`.")
    irregular = frame["change_code"] == "X"

    def status_2019(all_col: str, any_col: str) -> pd.Series:
        agreed = frame[all_col] == frame[any_col]
        out = frame[all_col].astype("boolean")
        out[~agreed | irregular] = pd.NA
        return out

    frame["core20_2019"] = status_2019("_c20_all", "_c20_any")
    frame["decile1_2019"] = status_2019("_d1_all", "_d1_any")
    frame["core20_2025"] = frame[schema.CORE20].astype(bool)
    frame["decile1_2025"] = frame[schema.IMD_DECILE] == 1
    frame["comparable"] = frame["core20_2019"].notna()
    frame["decile1_comparable"] = frame["decile1_2019"].notna()
    frame["status"] = _flag_status(frame["core20_2025"], frame["core20_2019"].fillna(False).astype(bool),
                                   frame["comparable"])
    frame["decile1_status"] = _flag_status(frame["decile1_2025"],
                                           frame["decile1_2019"].fillna(False).astype(bool),
                                           frame["decile1_comparable"])
    # decile-1 persistence (MHCLG's definition): an IoD2025 decile-1 LSOA "was in decile 1" in
    # IMD2019 when any 2011 LSOA it came from was (a merge of a decile-1 and another part counts).
    frame["decile1_parent_2019"] = frame["_d1_any"].astype(bool)
    return frame.drop(columns=[schema.CORE20, schema.IMD_DECILE, "_c20_all", "_c20_any",
                               "_d1_all", "_d1_any"]).reset_index(drop=True)


def old_basis(atlas_new: pd.DataFrame, atlas_old: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """2011 LSOAs with their IMD2019 status and the 2021 LSOA that places them in 2025 areas.

    A 2011 LSOA goes to its 2021 successor with the most Census 2021 residents (all successors of a
    split lie in one local authority, so the choice only matters at irregular edges).
    """
    pop = atlas_new[[schema.LSOA_CODE, schema.POPULATION]].rename(columns={schema.LSOA_CODE: "lsoa21_code"})
    links = lookup[["lsoa11_code", "lsoa21_code"]].merge(pop, on="lsoa21_code", how="inner")
    links = links.sort_values(["lsoa11_code", schema.POPULATION, "lsoa21_code"],
                              ascending=[True, False, True]).drop_duplicates("lsoa11_code")
    old = atlas_old[[schema.LSOA_CODE, schema.CORE20, schema.IMD_DECILE]].rename(
        columns={schema.LSOA_CODE: "lsoa11_code"})
    return old.merge(links[["lsoa11_code", "lsoa21_code"]], on="lsoa11_code", how="left")


@lru_cache(maxsize=1)
def lsoa_change() -> pd.DataFrame:
    """The change frame for England (cached per process; the atlases are cached too)."""
    lookup = readers.read_lookup(atlas.input_path("lookup_lsoa11_lsoa21"),
                                 ["lsoa11_code", "lsoa21_code", "change_code"])
    new, old = atlas.load_atlas(NEW), atlas.load_atlas(OLD)
    frame = build_change(new, old, lookup)
    geo = new[[schema.LSOA_CODE, schema.LSOA_NAME,
               *[c for cols in schema.LEVEL_COLUMNS.values() for c in cols]]]
    return geo.merge(frame, on=schema.LSOA_CODE, how="right")


@lru_cache(maxsize=1)
def _old_basis() -> pd.DataFrame:
    lookup = readers.read_lookup(atlas.input_path("lookup_lsoa11_lsoa21"), ["lsoa11_code", "lsoa21_code"])
    new, old = atlas.load_atlas(NEW), atlas.load_atlas(OLD)
    placed = old_basis(new, old, lookup)
    geo = new[[schema.LSOA_CODE, *[c for cols in schema.LEVEL_COLUMNS.values() for c in cols]]].rename(
        columns={schema.LSOA_CODE: "lsoa21_code"})
    return placed.merge(geo, on="lsoa21_code", how="left")


def _counts(frame: pd.DataFrame, olds: pd.DataFrame) -> dict:
    s, d = frame["status"], frame["decile1_status"]
    people = frame[schema.POPULATION].astype(float)
    d1_new = frame["decile1_2025"]
    persistence = (float(frame.loc[d1_new, "decile1_parent_2019"].mean()) if d1_new.any() else float("nan"))
    return {
        "core20_lsoas_2019": int(olds[schema.CORE20].sum()),
        "core20_lsoas_2025": int(frame["core20_2025"].sum()),
        "stayed": int((s == "stayed").sum()),
        "entered": int((s == "entered").sum()),
        "left": int((s == "left").sum()),
        "not_comparable": int((s == "not_comparable").sum()),
        "core20_2025_not_comparable": int(((s == "not_comparable") & frame["core20_2025"]).sum()),
        "core20_lsoas_2019_same_basis": int(((s == "stayed") | (s == "left")).sum()),
        "people_core20_2025": int(people[frame["core20_2025"]].sum()),
        "people_stayed": int(people[s == "stayed"].sum()),
        "people_entered": int(people[s == "entered"].sum()),
        "people_left": int(people[s == "left"].sum()),
        "people_not_comparable": int(people[s == "not_comparable"].sum()),
        "decile1_lsoas_2019": int((olds[schema.IMD_DECILE] == 1).sum()),
        "decile1_lsoas_2025": int(d1_new.sum()),
        "decile1_stayed": int((d == "stayed").sum()),
        "decile1_entered": int((d == "entered").sum()),
        "decile1_left": int((d == "left").sum()),
        "decile1_not_comparable": int((d == "not_comparable").sum()),
        "decile1_persistence": persistence,
    }


def area_frame(level: str, area_code: str | None) -> pd.DataFrame:
    """The change frame of one area's 2021 LSOAs."""
    frame = lsoa_change()
    return frame[areas.mask(frame, level, area_code)].reset_index(drop=True)


def area_change(level: str, area_code: str | None) -> dict:
    """The figures of one area (``COLUMNS`` less code and name)."""
    olds = _old_basis()
    return _counts(area_frame(level, area_code), olds[areas.mask(olds, level, area_code)])


def change_table(level: str) -> pd.DataFrame:
    """One row per area of ``level`` (``england`` gives one row) with ``COLUMNS``."""
    areas.check_level(level)
    frame, olds = lsoa_change(), _old_basis()
    if level == "england":
        rows = [{"area_code": schema.ENGLAND_CODE, "area_name": "England", **_counts(frame, olds)}]
    else:
        code_col, name_col = schema.LEVEL_COLUMNS[level]
        names = frame.groupby(code_col)[name_col].first()
        old_groups = dict(tuple(olds.groupby(code_col)))
        rows = [{"area_code": code, "area_name": names[code],
                 **_counts(group, old_groups.get(code, olds.iloc[0:0]))}
                for code, group in frame.groupby(code_col, sort=True)]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def irregular(level: str, area_code: str | None) -> pd.DataFrame:
    """The area's 2021 LSOAs that are not comparable, with why (listed, never dropped)."""
    frame = area_frame(level, area_code)
    out = frame[~frame["comparable"]][[schema.LSOA_CODE, schema.LSOA_NAME, "change_code", "parents",
                                       "core20_2025"]].copy()
    out["why"] = out["change_code"].map({"X": "irregular boundary change",
                                         "M": "merge of 2011 LSOAs with different Core20 status"})
    return out.reset_index(drop=True)


TABLE_COLUMNS = ("lsoa_code", "lsoa_name", "status", "decile1_status", "change", "lsoas_2011",
                 "core20_2019", "core20_2025", "decile1_2019", "decile1_2025", "population", "why")
WHY = {"X": "irregular boundary change", "M": "merge of 2011 LSOAs with different Core20 status"}


def lsoa_table(level: str, area_code: str | None) -> pd.DataFrame:
    """The area's 2021 LSOAs with their status (``TABLE_COLUMNS``; entered and left first), for the
    app's table and CSV: 2019 values are <NA> where not comparable, and ``why`` says why."""
    frame = area_frame(level, area_code)
    order = {s: i for i, s in enumerate(STATUS)}
    out = pd.DataFrame({
        "lsoa_code": frame[schema.LSOA_CODE], "lsoa_name": frame[schema.LSOA_NAME],
        "status": frame["status"], "decile1_status": frame["decile1_status"],
        "change": frame["change_code"].map(CHANGE_KINDS), "lsoas_2011": frame["parents"],
        "core20_2019": frame["core20_2019"], "core20_2025": frame["core20_2025"],
        "decile1_2019": frame["decile1_2019"], "decile1_2025": frame["decile1_2025"],
        "population": frame[schema.POPULATION].astype("int64"),
        "why": frame["change_code"].map(WHY).where(~frame["comparable"], ""),
    })
    out["why"] = out["why"].fillna("")
    out = out.assign(_o=out["status"].map(order)).sort_values(["_o", "lsoa_code"]).drop(columns="_o")
    return out.reset_index(drop=True)[list(TABLE_COLUMNS)]
