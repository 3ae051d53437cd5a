"""Census 2021 bulk files (nomis) read into the layouts the app's readers know.

The official download of a Census 2021 topic summary is a zip from nomis
(``https://www.nomisweb.co.uk/output/census/2021/census2021-ts021.zip``) holding one CSV per
geography: ``census2021-ts021-lsoa.csv``, ``...-msoa.csv``, ``...-ltla.csv`` and so on, each with
``date, geography, geography code`` and one column per category named
``<variable>: <category>`` (``Ethnic group: White: Roma``), sometimes with a ``; measures: Value``
suffix. The offline mirror holds the same tables reshaped by the demographr package. ``convert``
turns a bulk zip into the mirror's layout for a manifest entry, so every reader reads one layout
whichever way the file came (mirror copy or official download); ``fetch`` calls it after a download.

Category names are matched after normalising case, spaces and the measures suffix; occupancy
ratings by their signed value (``+2 or more``, ``-1``). A table whose categories do not match
raises the project's ``DataError`` naming what was expected and what was found.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from geo_core20 import atomic, limits
from geo_core20.errors import DataError

_MEASURES = re.compile(r";\s*measures\s*:\s*value\s*$", re.I)
_SPACES = re.compile(r"\s+")
GEOGRAPHY_FILES = {"lsoa": "lsoa", "msoa": "msoa", "lad": "ltla"}


def _norm(text: str) -> str:
    return _SPACES.sub(" ", str(text)).strip().lower()


def member_name(names: list[str], table: str, geography: str) -> str:
    """The zip member holding ``table`` (e.g. ``ts021``) at ``geography`` (lsoa, msoa, lad)."""
    want = f"census2021-{table.lower()}-{GEOGRAPHY_FILES[geography]}.csv"
    for name in names:
        if _basename(name).lower() == want:
            return name
    found = ", ".join(_basename(n) for n in names[:8]) or "nothing"
    raise DataError(f"the Census bulk zip has no {want} (it holds {found}).")


def _basename(name: str) -> str:
    """The last part of a zip member name, whatever its separators."""
    return re.split(r"[\\/]", name)[-1]


def read_bulk(source: Path | str | bytes, table: str, geography: str) -> pd.DataFrame:
    """A bulk table as ``code, name`` + one column per category (normalised names) + ``total``.

    ``source`` is the nomis zip, or the CSV of one geography taken out of it.
    """
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    if raw[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as zf:
                name = member_name(zf.namelist(), table, geography)
                info = zf.getinfo(name)
                if info.file_size > limits.MAX_UNZIPPED_BYTES:
                    raise DataError(f"{info.filename} unzips to {info.file_size / 1e6:,.0f} MB, over the "
                                    f"{limits.MAX_UNZIPPED_BYTES / 1e6:,.0f} MB limit.")
                raw = zf.read(name)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            raise DataError(f"the Census bulk zip cannot be read ({exc}).") from None
    try:
        frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"the Census bulk table cannot be read as CSV ({exc}).") from None
    columns = {}
    for col in frame.columns:
        columns[col] = _MEASURES.sub("", _SPACES.sub(" ", str(col)).strip())
    frame = frame.rename(columns=columns)
    lower = {_norm(c): c for c in frame.columns}
    if "geography code" not in lower:
        raise DataError(f"the Census bulk table has no 'geography code' column; found "
                        f"{', '.join(list(frame.columns)[:6])}.")
    out = pd.DataFrame({"code": frame[lower["geography code"]].str.strip(),
                        "name": frame[lower["geography"]].str.strip() if "geography" in lower else ""})
    total = None
    for col in frame.columns:
        if _norm(col) in ("date", "geography", "geography code"):
            continue
        _variable, _, category = col.partition(": ")
        category = category or col
        values = pd.to_numeric(frame[col].str.replace(",", "", regex=False), errors="coerce")
        if values.isna().any():
            bad = frame.loc[values.isna(), col].iloc[0]
            raise DataError(f"the Census bulk table's column {col!r} has a value that is not a number "
                            f"({str(bad)[:30]!r}).")
        if _norm(category).startswith("total"):
            total = values
        else:
            out[_norm(category)] = values.to_numpy()
    if total is None:
        raise DataError("the Census bulk table has no 'Total' column.")
    out["total"] = total.to_numpy()
    if out["code"].duplicated().any():
        raise DataError(f"the Census bulk table repeats geography codes "
                        f"(e.g. {out.loc[out['code'].duplicated(), 'code'].iloc[0]}).")
    return out


def _require(bulk: pd.DataFrame, wanted: list[str], what: str) -> None:
    missing = [w for w in wanted if w not in bulk.columns]
    if missing:
        found = [c for c in bulk.columns if c not in ("code", "name", "total")]
        raise DataError(f"{what}: categories {missing} not in the Census bulk table; found {found[:8]}.")


def _long(bulk: pd.DataFrame, code_col: str, category_col: str, categories: dict[str, str],
          total_col: str) -> pd.DataFrame:
    """Long layout: code, total, category (the mirror's label), n, prop."""
    _require(bulk, list(categories), category_col)
    parts = []
    for key, label in categories.items():
        parts.append(pd.DataFrame({code_col: bulk["code"], total_col: bulk["total"], category_col: label,
                                   "n": bulk[key]}))
    out = pd.concat(parts, ignore_index=True)
    out["prop"] = out["n"] / out[total_col].replace(0, np.nan)
    return out.sort_values([code_col, category_col], kind="stable").reset_index(drop=True)


def _top_level(bulk: pd.DataFrame) -> list[str]:
    return [c for c in bulk.columns if c not in ("code", "name", "total") and ": " not in c]


_ETHNIC_BROAD = ("asian, asian british or asian welsh",
                 "black, black british, black welsh, caribbean or african",
                 "mixed or multiple ethnic groups", "white", "other ethnic group")


def _label(text: str) -> str:
    """A normalised category back in the published capitalisation (first letter up)."""
    return text[:1].upper() + text[1:]


def _ethnicity_lsoa(bulk: pd.DataFrame) -> pd.DataFrame:
    return _long(bulk, "lsoa21_code", "ethnic_group", {k: _published(k) for k in _ETHNIC_BROAD},
                 "total_residents")[["lsoa21_code", "total_residents", "ethnic_group", "n", "prop"]]


_PUBLISHED = {
    "asian, asian british or asian welsh": "Asian, Asian British or Asian Welsh",
    "black, black british, black welsh, caribbean or african":
        "Black, Black British, Black Welsh, Caribbean or African",
    "mixed or multiple ethnic groups": "Mixed or Multiple ethnic groups",
    "white": "White",
    "other ethnic group": "Other ethnic group",
}


def _published(key: str) -> str:
    """The published spelling of a category (normalised keys are lower case)."""
    head, _, tail = key.partition(": ")
    head = _PUBLISHED.get(head, _label(head))
    if not tail:
        return head
    tail = re.sub(r"\b(english|welsh|scottish|northern irish|british|irish|gypsy|roma|traveller|"
                  r"indian|pakistani|bangladeshi|chinese|african|caribbean|arab|asian|black|white)\b",
                  lambda m: m.group(0).title(), tail)
    return f"{head}: {_label(tail)}"


def _ethnicity_detailed_lsoa(bulk: pd.DataFrame) -> pd.DataFrame:
    detailed = [c for c in bulk.columns if ": " in c]
    if not any("gypsy or irish traveller" in c for c in detailed):
        raise DataError("ethnic_group: no 'White: Gypsy or Irish Traveller' category in the Census bulk "
                        "table (is it TS021?).")
    return _long(bulk, "lsoa21_code", "ethnic_group", {k: _published(k) for k in detailed},
                 "total_residents")[["lsoa21_code", "total_residents", "ethnic_group", "n", "prop"]]


def _ethnicity_lad(bulk: pd.DataFrame) -> pd.DataFrame:
    detailed = [c for c in bulk.columns if ": " in c]
    parts = [pd.DataFrame({"ltla21_code": bulk["code"], "ltla21_name": bulk["name"],
                           "ethnic_group": f"{_published(k)} (number)", "value": bulk[k].astype(float)})
             for k in detailed]
    return pd.concat(parts, ignore_index=True).sort_values(["ltla21_code", "ethnic_group"], kind="stable")


def _disability(bulk: pd.DataFrame) -> pd.DataFrame:
    cats = {"disabled under the equality act": "Disabled under the Equality Act",
            "not disabled under the equality act": "Not disabled under the Equality Act"}
    return _long(bulk, "lsoa21_code", "disability", cats, "total_residents")[
        ["lsoa21_code", "disability", "n", "total_residents", "prop"]]


def _household_deprivation(bulk: pd.DataFrame) -> pd.DataFrame:
    cats = {k: _label(k) for k in _top_level(bulk) if k.startswith("household is")}
    if len(cats) != 5:
        raise DataError(f"deprivation_dimensions: expected the five 'Household is ...' categories; found "
                        f"{list(cats)}.")
    return _long(bulk, "lsoa21_code", "deprivation_dimensions", cats, "total_households")[
        ["lsoa21_code", "total_households", "deprivation_dimensions", "n", "prop"]]


_OCCUPANCY = {"+2": "+2 or more (under-occupied)", "+1": "+1 (under-occupied)", "0": "0 (ideal)",
              "-1": "-1 (overcrowded)", "-2": "-2 or less (overcrowded)"}


def _overcrowding(bulk: pd.DataFrame) -> pd.DataFrame:
    cats = {}
    for col in bulk.columns:
        m = re.match(r"([+-]?\d)\b", col.rsplit(": ", 1)[-1])
        if m and col not in ("code", "name", "total"):
            token = "+" + m.group(1) if m.group(1) in ("1", "2") else m.group(1)
            if token in _OCCUPANCY:
                cats[col] = _OCCUPANCY[token]
    if sorted(cats.values()) != sorted(_OCCUPANCY.values()):
        raise DataError(f"occupancy_rating: expected ratings +2 or more, +1, 0, -1, -2 or less; found "
                        f"{[c for c in bulk.columns if c not in ('code', 'name', 'total')][:8]}.")
    return _long(bulk, "lsoa21_code", "occupancy_rating", cats, "total_households")[
        ["lsoa21_code", "total_households", "occupancy_rating", "n", "prop"]]


def _proficiency(bulk: pd.DataFrame) -> pd.DataFrame:
    main_en = "main language is english (english or welsh in wales)"
    not_en = "main language is not english (english or welsh in wales)"
    subs = ("can speak english very well", "can speak english well", "cannot speak english well",
            "cannot speak english")
    wanted = [main_en, not_en, *(f"{not_en}: {s}" for s in subs)]
    _require(bulk, wanted, "proficiency")
    out = pd.DataFrame({"msoa21_code": bulk["code"]})
    for key in wanted:
        out[_published_language(key)] = bulk[key]
    cannot = bulk[f"{not_en}: cannot speak english well"] + bulk[f"{not_en}: cannot speak english"]
    out["Proportion who cannot speak English (well)"] = cannot / bulk["total"].replace(0, np.nan)
    return out


def _published_language(key: str) -> str:
    return (key.replace("main language is english", "Main language is English")
            .replace("main language is not english", "Main language is not English")
            .replace("(english or welsh in wales)", "(English or Welsh in Wales)")
            .replace(": can speak english", ": Can speak English")
            .replace(": cannot speak english", ": Cannot speak English"))


def _migration(bulk: pd.DataFrame) -> pd.DataFrame:
    def find(*words: str) -> str:
        hits = [c for c in bulk.columns if all(w in c for w in words)]
        if len(hits) != 1:
            raise DataError(f"migrant indicator: expected one category with {' and '.join(words)!r}; "
                            f"found {hits or list(bulk.columns)[2:8]}.")
        return hits[0]

    same = find("address one year ago is the same")
    student = find("student")
    within = find("migrant from within the uk")
    outside = find("migrant from outside the uk")
    total = bulk["total"].replace(0, np.nan)
    return pd.DataFrame({
        "msoa21_code": bulk["code"], "msoa21_name": bulk["name"], "all_usual_residents": bulk["total"],
        "address_one_year_ago_is_the_same": bulk[same],
        "address_one_year_ago_is_student_or_boarding": bulk[student],
        "migrant_from_within_uk": bulk[within], "migrant_from_outside_uk": bulk[outside],
        "prop_migrated_from_within_uk": bulk[within] / total,
        "prop_migrated_from_outside_uk": bulk[outside] / total,
    })


# manifest id -> (table, geography, converter to the mirror layout)
CONVERTERS: dict[str, tuple[str, str, Callable[[pd.DataFrame], pd.DataFrame]]] = {
    "census21_ethnicity": ("ts021", "lsoa", _ethnicity_lsoa),
    "census21_ethnicity_detailed": ("ts021", "lsoa", _ethnicity_detailed_lsoa),
    "census21_ethnicity_lad": ("ts021", "lad", _ethnicity_lad),
    "census21_disability": ("ts038", "lsoa", _disability),
    "census21_household_deprivation": ("ts011", "lsoa", _household_deprivation),
    "census21_overcrowding": ("ts052", "lsoa", _overcrowding),
    "census21_proficiency_msoa": ("ts029", "msoa", _proficiency),
    "census21_migration_msoa": ("ts019", "msoa", _migration),
}


def convert(dataset_id: str, source: Path | str | bytes) -> pd.DataFrame:
    """The bulk table of a manifest entry reshaped into the entry's mirror layout."""
    table, geography, fn = CONVERTERS[dataset_id]
    return fn(read_bulk(source, table, geography))


def convert_to_file(dataset_id: str, source: Path, dest: Path) -> Path:
    """Write the converted table at ``dest`` (CSV; gzip when the name ends in .gz), atomically."""
    frame = convert(dataset_id, source)
    # a cache file in the publisher's (mirror) layout for readers.py, not a table offered to people,
    # so not tables.to_csv: no byte-order mark, notes or rounding
    with atomic.path(dest) as tmp:
        frame.to_csv(tmp, index=False, compression="gzip" if dest.name.endswith(".gz") else None)
    return dest
