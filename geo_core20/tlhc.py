"""Where the Targeted Lung Health Check (TLHC) programme ran, set against Core20 residents aged 55-74.

The programme's 45 projects (The Strategy Unit's evaluation reference table) are named by a code:
mostly a CCG (April 2019) code such as ``03F``, mapped to 2011 LSOAs through the ONS LSOA (2011) to
CCG (April 2019) lookup the evaluation used. Thirteen codes are not CCG 2019 codes: four are CCGs
formed by later mergers (mapped through their predecessor CCGs in the lookup, narrowed to the place
the project's name gives where it is only part of the merged CCG) and nine are other or combined
codes (each mapped with the reason in ``MAPPINGS`` or listed as unmapped). Where a project's name and
code disagree (00Q is "Blackburn Darwen and Blackpool" but Blackpool's CCG is 00R) the name is
followed and the reason says so.

A project's area is its commissioning area: not every LSOA in it was invited (several projects
covered only part of their CCG, e.g. Cheshire and Merseyside started in Liverpool, Halton, Knowsley,
St Helens and South Sefton). Figures use IMD2019 (the programme's era) on the lookup's 2011 LSOAs with
ONS mid-2020 residents aged 55-74; IoD2025 is given beside them through the LSOA 2011 -> 2021 lookup
(a 2021 LSOA is inside a project area when any 2011 LSOA it came from is).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from geo_core20 import atlas, readers, schema
from geo_core20.errors import DataError

PROJECTS_ID, LOOKUP_ID, LOCATIONS_ID = "tlhc_projects", "tlhc_lsoa11_ccg19", "tlhc_locations"
CAVEAT = ("A project's area is its commissioning area (CCG, April 2019): not every LSOA in it was invited, "
          "and several projects covered only part of their CCG.")


@dataclass(frozen=True)
class Mapping:
    """How a project code becomes CCG 2019 areas: the CCGs, optionally narrowed to local authorities."""

    ccgs: tuple[str, ...]
    reason: str
    lads: tuple[str, ...] = ()  # LAD 2019 codes to keep (empty: the whole CCGs)
    narrow: tuple[str, ...] = ()  # the CCGs ``lads`` narrows (empty: all of them)


_MERGED = "formed in 2020 from CCGs in the lookup"
MAPPINGS: dict[str, Mapping | None] = {
    # four CCGs formed by later mergers: their predecessors, narrowed to the project's place
    "36J": Mapping(("02W", "02R", "02N"), f"Bradford District and Craven CCG, {_MERGED}; narrowed to "
                   "Bradford (the project's name): the Bradford local authority's LSOAs in Bradford City, "
                   "Bradford Districts and Airedale, Wharfedale and Craven CCGs", ("E08000032",)),
    "92G": Mapping(("12D",), f"Bath and North East Somerset, Swindon and Wiltshire CCG, {_MERGED}; narrowed "
                   "to Swindon (the project's name): Swindon CCG"),
    "16C": Mapping(("00K", "00M", "00C"), f"Tees Valley CCG, {_MERGED}: Hartlepool and Stockton-on-Tees, "
                   "South Tees and Darlington CCGs"),
    "52R": Mapping(("04K",), f"Nottingham and Nottinghamshire CCG, {_MERGED}; narrowed to Nottingham City "
                   "(the project's name): Nottingham City CCG"),
    # nine other or combined codes
    "RBQ00": Mapping(("99A", "01F", "01J", "01X", "01T"), "trust code of Liverpool Heart and Chest Hospital, "
                     "which ran Cheshire and Merseyside's project; mapped to where it started: Liverpool, "
                     "Halton, Knowsley, St Helens and South Sefton CCGs"),
    "A3A8R": Mapping(("07L", "07T", "08F", "08M", "08N", "08V", "08W"), "not a CCG code; the project is "
                     "North East London: the seven North East London CCGs of 2019 (Barking and "
                     "Dagenham, City and Hackney, Havering, Newham, Redbridge, Tower Hamlets, "
                     "Waltham Forest)"),
    "N48": None,  # SWAG: a cancer alliance (Somerset, Wiltshire, Avon and Gloucestershire)
    "02Q03L": Mapping(("02P", "02Q", "03L"), "combined code of Bassetlaw (02Q) and Rotherham (03L); the "
                      "project's name adds Barnsley (02P)"),
    "N92": Mapping(("09C", "09E", "09J", "09W", "10A", "10D", "10E", "99J"), "cancer alliance code; the "
                   "project is Kent and Medway: the eight Kent and Medway CCGs of 2019"),
    "N99": Mapping(("07M", "07R", "07X", "08D", "08H"), "cancer alliance code; the project is North Central "
                   "London: Barnet, Camden, Enfield, Haringey and Islington CCGs"),
    "N47": Mapping(("07N", "07Q", "08A", "08K", "08L", "08Q"), "cancer alliance code; the project is South "
                   "East London: Bexley, Bromley, Greenwich, Lambeth, Lewisham and Southwark CCGs"),
    "03H03K": Mapping(("03H", "03K"), "combined code of North East Lincolnshire (03H) and North "
                      "Lincolnshire (03K) CCGs"),
    "D2P2L": Mapping(("05L",), "not a CCG code; the project is Sandwell and West Birmingham: its CCG"),
    # CCG 2019 codes whose name says more (or other) than the code: the name is followed
    "00Q": Mapping(("00Q", "00R"), "00Q is Blackburn with Darwen CCG; the project's name, Blackburn Darwen "
                   "and Blackpool, adds Blackpool CCG (00R)"),
    "00P": Mapping(("00P", "00N"), "00P is Sunderland CCG; the name adds South Tyneside CCG (00N)"),
    "05A": Mapping(("05A", "05H", "05R"), "05A is Coventry and Rugby CCG; the name, Coventry and "
                   "Warwickshire, adds Warwickshire North (05H) and South Warwickshire (05R) CCGs"),
    "06L": Mapping(("06T", "06M"), "06L is Ipswich and East Suffolk CCG, which the name does not mention; "
                   "the name, NE Essex and Great Yarmouth, gives North East Essex (06T) and Great Yarmouth "
                   "and Waveney (06M) CCGs"),
    "07H": Mapping(("07H", "06K", "06N"), "07H is West Essex CCG; the name, Herts and West Essex, adds East "
                   "and North Hertfordshire (06K) and Herts Valleys (06N) CCGs"),
    "09H": Mapping(("09H", "15D"), "09H is Crawley CCG; the name adds Slough, part of East Berkshire CCG "
                   "(15D), narrowed to the Slough local authority", ("E06000039",), ("15D",)),
}
UNMAPPED_REASON = {
    "N48": "SWAG is a cancer alliance (Somerset, Wiltshire, Avon and Gloucestershire), not an area the "
           "project covered whole; the evaluation's table does not say which part ran a lung health check",
}
NOTES = {
    "06P": "The name, Luton South Bedfordshire, also names the former South Bedfordshire district, now "
           "part of Central Bedfordshire in Bedfordshire CCG (06F); it cannot be told apart on this lookup, "
           "so only Luton CCG is mapped.",
}


@dataclass(frozen=True)
class Project:
    code: str
    name: str
    phase: str
    start_date: str
    eligible_population: float | None
    ccgs: tuple[str, ...]
    reason: str


def read_projects(path) -> pd.DataFrame:
    """The reference table's 45 projects: code, name, phase, start date, eligible population."""
    frame = pd.read_excel(path, sheet_name=0, dtype={"project_code": str})
    need = ["project_code", "project", "phase", "start_date", "eligible_population"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"TLHC project table: expected columns {need}; missing {missing}.")
    frame = frame[need].copy()
    frame["project_code"] = frame["project_code"].str.strip()
    frame["start_date"] = pd.to_datetime(frame["start_date"], errors="coerce").dt.strftime("%Y-%m")
    frame["eligible_population"] = pd.to_numeric(frame["eligible_population"], errors="coerce")
    return frame.reset_index(drop=True)


def read_lookup(path) -> pd.DataFrame:
    """LSOA 2011 -> CCG 2019 (ODS code) -> LAD 2019."""
    frame = pd.read_excel(path, dtype=str)
    need = ["LSOA11CD", "CCG19CDH", "CCG19NM", "LAD19CD"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"TLHC LSOA 2011 to CCG 2019 lookup: expected columns {need}; missing {missing}.")
    frame = frame[need].rename(columns={"LSOA11CD": "lsoa11_code", "CCG19CDH": "ccg", "CCG19NM": "ccg_name",
                                        "LAD19CD": "lad19_code"})
    readers.check_unique(frame["lsoa11_code"], "TLHC lookup")
    return frame


def mapping_for(code: str, ccg_codes: set[str]) -> Mapping | None:
    """The CCG areas of a project code (None: unmapped)."""
    if code in MAPPINGS:
        return MAPPINGS[code]
    if code in ccg_codes:
        return Mapping((code,), "CCG (April 2019) code")
    return None


def project_lsoas(projects: pd.DataFrame, lookup: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(LSOA 2011 rows inside each mapped project, the projects with how each was mapped).

    The first frame has ``lsoa11_code, project_code``; the second one row per project with
    ``mapped`` (bool), ``ccgs``, ``reason`` and ``lsoas``.
    """
    ccg_codes = set(lookup["ccg"])
    rows, described = [], []
    for p in projects.itertuples(index=False):
        m = mapping_for(p.project_code, ccg_codes)
        if m is None:
            reason = UNMAPPED_REASON.get(p.project_code, "not a CCG 2019 code and no documented mapping")
            described.append({"project_code": p.project_code, "mapped": False, "ccgs": "", "reason": reason,
                              "lsoas": 0})
            continue
        unknown = [c for c in m.ccgs if c not in ccg_codes]
        if unknown:
            raise DataError(f"TLHC mapping of {p.project_code}: CCG codes {unknown} are not in the lookup.")
        inside = lookup[lookup["ccg"].isin(m.ccgs)]
        if m.lads:
            narrowed = inside["ccg"].isin(m.narrow or m.ccgs)
            inside = inside[~narrowed | inside["lad19_code"].isin(m.lads)]
        note = NOTES.get(p.project_code, "")
        described.append({"project_code": p.project_code, "mapped": True, "ccgs": ",".join(m.ccgs),
                          "reason": m.reason + (f" {note}" if note else ""), "lsoas": len(inside)})
        rows.append(pd.DataFrame({"lsoa11_code": inside["lsoa11_code"].to_numpy(),
                                  "project_code": p.project_code}))
    lsoas = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["lsoa11_code",
                                                                                  "project_code"])
    return lsoas, projects.merge(pd.DataFrame(described), on="project_code")


@lru_cache(maxsize=1)
def programme() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(lsoa11_code -> project_code, projects with their mapping) from the fetched files (cached)."""
    projects = read_projects(atlas.input_path(PROJECTS_ID))
    lookup = read_lookup(atlas.input_path(LOOKUP_ID))
    return project_lsoas(projects, lookup)


def lsoa11_projects() -> pd.Series:
    """Project name(s) per LSOA 2011 inside a mapped project area (joined by '; ')."""
    lsoas, projects = programme()
    names = projects.set_index("project_code")["project"]
    joined = lsoas.assign(name=lsoas["project_code"].map(names))
    return joined.groupby("lsoa11_code")["name"].agg(lambda s: "; ".join(sorted(set(s))))


def lsoa21_projects() -> pd.Series:
    """Project name(s) per LSOA 2021: inside when any 2011 LSOA it came from is."""
    by11 = lsoa11_projects()
    bridge = readers.read_lookup(atlas.input_path("lookup_lsoa11_lsoa21"), ["lsoa11_code", "lsoa21_code"])
    bridge = bridge[bridge["lsoa11_code"].isin(by11.index)]
    bridge = bridge.assign(name=bridge["lsoa11_code"].map(by11))
    return bridge.groupby("lsoa21_code")["name"].agg(
        lambda s: "; ".join(sorted({n for v in s for n in v.split("; ")})))


def in_project(atlas_frame: pd.DataFrame, vintage: str) -> pd.Series:
    """Project name(s) of each atlas row ('' outside every mapped project area)."""
    names = lsoa21_projects() if vintage == "2025" else lsoa11_projects()
    return atlas_frame[schema.LSOA_CODE].map(names).fillna("").rename("tlhc_project")


def coverage(level: str = "icb") -> pd.DataFrame:
    """Core20 residents aged 55-74 inside and outside TLHC project areas, per area and for England.

    IMD2019 on 2011 LSOAs (mid-2020 residents 55-74) with IoD2025 on 2021 LSOAs beside it. Areas are
    those of the IMD2019 atlas (ICB 2022 codes) for the 2019 columns and of the 2025 atlas for the 2025
    columns, joined on the area code.
    """
    from geo_core20.clinical import cache

    out = []
    for vintage, suffix in (("2019", "imd2019"), ("2025", "iod2025")):
        frame = atlas.load_atlas(vintage)
        pop = cache.for_atlas(frame, vintage)["pop_55_74"].astype(float)
        inside = in_project(frame, vintage) != ""
        core = frame[schema.CORE20].astype(bool)
        keys = (pd.Series(schema.ENGLAND_CODE, index=frame.index) if level == "england"
                else frame[schema.LEVEL_COLUMNS[level][0]])
        names = (pd.Series({schema.ENGLAND_CODE: "England"}) if level == "england" else
                 frame.drop_duplicates(schema.LEVEL_COLUMNS[level][0])
                 .set_index(schema.LEVEL_COLUMNS[level][0])[schema.LEVEL_COLUMNS[level][1]])
        g = pd.DataFrame({
            f"core20_55_74_inside_{suffix}": (pop * (core & inside)),
            f"core20_55_74_outside_{suffix}": (pop * (core & ~inside)),
            f"lsoas_inside_{suffix}": inside.astype(int),
        }).groupby(keys.to_numpy()).sum()
        g[f"core20_55_74_share_inside_{suffix}"] = g[f"core20_55_74_inside_{suffix}"] / (
            g[f"core20_55_74_inside_{suffix}"] + g[f"core20_55_74_outside_{suffix}"]).where(lambda s: s > 0)
        g.insert(0, f"area_name_{suffix}", g.index.map(names))
        out.append(g)
    table = out[0].join(out[1], how="outer")
    table.insert(0, "area_name", table["area_name_iod2025"].fillna(table["area_name_imd2019"]))
    table = table.drop(columns=["area_name_imd2019", "area_name_iod2025"])
    table.index.name = "area_code"
    return table.reset_index().sort_values("area_name").reset_index(drop=True)
