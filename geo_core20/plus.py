"""PLUS layers beside Core20: indicators with honest labels, coastal communities, and the
Core20PLUS target builder.

Every indicator says the geography it is published at. LSOA indicators are joined on LSOA
code; MSOA and local-authority (LAD) indicators stay at their own level and are never
copied onto LSOAs as if they were local (`area_layer` returns MSOA or LAD polygons). A
target condition may still use them, worded as "LSOA lies in a local authority where ...".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from pathlib import Path
from urllib.parse import quote, unquote

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_core20 import schema, sources
from geo_core20.readers import DataError

LSOA, MSOA, LAD = "lsoa", "msoa", "lad"
LEVEL_TEXT = {LSOA: "LSOA", MSOA: "MSOA", LAD: "local authority"}
LEVEL_NOTE = {
    LSOA: "Published per LSOA (about 1,500 people).",
    MSOA: "Published per MSOA (middle layer, about 8,000 people), so shown on MSOA boundaries.",
    LAD: "Published only per local authority, so shown on local-authority boundaries; it says "
         "nothing about variation between LSOAs inside an authority.",
}
NUMERIC, FLAG, CATEGORY = "numeric", "flag", "category"

WHITE_CAVEAT = (
    "Census 2021 broad groups: 'White' includes White: Gypsy or Irish Traveller, White: Roma and "
    "other White minorities (e.g. White: Irish, Other White), so 'ethnic minority' here (everyone "
    "outside the White broad group) excludes those groups. Gypsy/Irish Traveller and Roma counts "
    "exist only per local authority (see those layers)."
)
COASTAL_DEFINITION = (
    "Coastal LSOA: at least 25% of its postcodes lie within 5 km of the GB coastline, estuaries "
    "included (flag G_25_5; Welsh et al., BMJ Public Health 2024, doi:10.1136/bmjph-2024-001067)."
)
COAST_DISTANCE_NOTE = (
    "Straight-line distance from the LSOA's population-weighted centroid to the England coastline "
    "(ONS Countries 2011 generalised outline minus land borders; estuary shores included), in km."
)


class TargetError(ValueError):
    """A target specification (or share link) that cannot be used; message for the user."""


# --- inputs --------------------------------------------------------------------------------------

def _path(dataset_id: str) -> Path:
    from geo_core20 import atlas  # local: atlas imports the build machinery

    return atlas.input_path(dataset_id)


def _require_columns(frame: pd.DataFrame, columns: list[str], dataset_id: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{dataset_id}: expected columns {missing}; found {list(frame.columns)}.")


@lru_cache(maxsize=16)
def _census_share(dataset_id: str, category_col: str, wanted: tuple[str, ...]) -> pd.Series:
    """Percentage of the LSOA total in the ``wanted`` categories of a long Census table."""
    path = _path(dataset_id)
    frame = pd.read_csv(path)
    code = "lsoa21_code"
    _require_columns(frame, [code, category_col, "n"], dataset_id)
    unknown = set(wanted) - set(frame[category_col])
    if unknown:
        raise DataError(f"{dataset_id}: categories {sorted(unknown)} not found in {category_col}.")
    total = frame.groupby(code)["n"].sum()
    part = frame[frame[category_col].isin(wanted)].groupby(code)["n"].sum().reindex(total.index, fill_value=0)
    return (100 * part / total.replace(0, np.nan)).rename(dataset_id)


@lru_cache(maxsize=1)
def _iod_indicators() -> pd.DataFrame:
    frame = pd.read_csv(_path("iod2025_indicators"))
    _require_columns(frame, ["lsoa21_code"], "iod2025_indicators")
    return frame.set_index("lsoa21_code")


@lru_cache(maxsize=2)
def _area_boundaries(dataset_id: str, code_col: str, name_col: str, prefix: str) -> gpd.GeoDataFrame:
    """English MSOA or LAD polygons as area_code, area_name, geometry (EPSG:4326)."""
    gdf = gpd.read_file(_path(dataset_id))
    _require_columns(gdf, [code_col, name_col], dataset_id)
    gdf = gdf[gdf[code_col].str.startswith(prefix)].rename(columns={code_col: "area_code",
                                                                  name_col: "area_name"})
    return gdf[["area_code", "area_name", "geometry"]].to_crs(schema.CRS_WGS84).reset_index(drop=True)


def _msoa_boundaries() -> gpd.GeoDataFrame:
    return _area_boundaries("msoa21_boundaries", "msoa21_code", "msoa21_name", "E02")


def _lad_boundaries() -> gpd.GeoDataFrame:
    return _area_boundaries("lad24_boundaries", "ltla24_code", "ltla24_name", "E")


@lru_cache(maxsize=1)
def _msoa_table(dataset_id: str) -> pd.DataFrame:
    frame = pd.read_csv(_path(dataset_id))
    _require_columns(frame, ["msoa21_code"], dataset_id)
    return frame.set_index("msoa21_code")


@lru_cache(maxsize=1)
def _lad22_to_lad24() -> pd.Series:
    """LAD 2021/22 code -> LAD 2024 code, by where most of each district's LSOAs now lie."""
    from geo_core20 import atlas, readers

    lookup = readers.read_lookup(_path("lookup_lsoa11_lsoa21"), ["lsoa21_code", "lad_code"])
    lookup = lookup.drop_duplicates("lsoa21_code").rename(columns={"lad_code": "lad22"})
    a = atlas.load_atlas("2025")[[schema.LSOA_CODE, "lad_code"]]
    joined = a.merge(lookup, left_on=schema.LSOA_CODE, right_on="lsoa21_code")
    return joined.groupby("lad22")["lad_code"].agg(lambda s: s.value_counts().index[0])


@lru_cache(maxsize=1)
def _ethnicity_lad() -> pd.DataFrame:
    """Gypsy or Irish Traveller and Roma residents per LAD 2024 (counts and % of residents)."""
    frame = pd.read_csv(_path("census21_ethnicity_lad"))
    _require_columns(frame, ["ltla21_code", "ethnic_group", "value"], "census21_ethnicity_lad")
    frame = frame[frame["ltla21_code"].str.startswith("E") & frame["ethnic_group"].str.endswith("(number)")]
    frame = frame.assign(lad=frame["ltla21_code"].map(_lad22_to_lad24()).fillna(frame["ltla21_code"]))
    total = frame.groupby("lad")["value"].sum()
    out = pd.DataFrame(index=total.index)
    for key, group in (("grt", "White: Gypsy or Irish Traveller (number)"), ("roma", "White: Roma (number)")):
        if group not in set(frame["ethnic_group"]):
            raise DataError(f"census21_ethnicity_lad: no '{group}' rows.")
        count = frame[frame["ethnic_group"] == group].groupby("lad")["value"].sum().reindex(total.index)
        out[f"{key}_count"] = count
        # published percents are rounded to 0.0 for most districts: recompute from counts
        out[f"{key}_pct"] = 100 * count / total
    return out


def _lad_csv(dataset_id: str, code_col: str, value_col: str) -> pd.Series:
    frame = pd.read_csv(_path(dataset_id))
    _require_columns(frame, [code_col, value_col], dataset_id)
    return frame.set_index(code_col)[value_col].astype(float)


# --- derived LSOA values -----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _coast_tree() -> tuple[shapely.STRtree, np.ndarray]:
    gdf = gpd.read_file(_path("coastline_england")).to_crs(schema.CRS_BNG)
    lines = shapely.get_parts(gdf.geometry.to_numpy())
    # short pieces make the nearest-line search fast (one long line would be scanned whole)
    pieces = []
    for line in lines:
        coords = shapely.get_coordinates(line)
        for start in range(0, len(coords) - 1, 64):
            pieces.append(shapely.linestrings(coords[start:start + 65]))
    arr = np.array(pieces, dtype=object)
    return shapely.STRtree(arr), arr


def coast_distance_km(atlas: pd.DataFrame) -> pd.Series:
    """Distance (km) from each LSOA's population-weighted centroid to the England coastline."""
    tree, _ = _coast_tree()
    east = atlas[schema.PWC_EASTING].to_numpy(float)
    north = atlas[schema.PWC_NORTHING].to_numpy(float)
    pts = shapely.points(east, north)
    ok = np.isfinite(east) & np.isfinite(north)
    dist = np.full(len(atlas), np.nan)
    if ok.any():
        (src, _), d = tree.query_nearest(pts[ok], return_distance=True, all_matches=False)
        vals = np.full(int(ok.sum()), np.nan)
        vals[src] = d
        dist[ok] = vals
    return pd.Series(dist / 1000.0, index=atlas.index, name="coast_distance_km")


def coastal_core20(atlas: pd.DataFrame) -> pd.Series:
    """Coastal Core20 class: coastal (G_25_5) and in the national most deprived 20%."""
    return (atlas[schema.COASTAL].astype(bool) & atlas[schema.CORE20].astype(bool)).rename("coastal_core20")


def is_rural(ruc_class: pd.Series) -> pd.Series:
    """Rural under either RUC: 2021 'Larger/Smaller rural: ...', 2011 'Rural town/village ...'."""
    text = ruc_class.astype("string").str.lower()
    return (text.str.contains("rural") & ~text.str.startswith("urban")).fillna(False).astype(bool)


def msoa_codes(atlas: pd.DataFrame) -> pd.Series:
    """MSOA 2021 code of each LSOA 2021 (LSOA names are the MSOA name plus a letter)."""
    names = _msoa_boundaries().set_index("area_name")["area_code"]
    return atlas[schema.LSOA_NAME].astype(str).str[:-1].map(names).rename("msoa_code")


def area_codes(atlas: pd.DataFrame, level: str) -> pd.Series:
    """The code of each LSOA's enclosing area at ``level`` (lsoa, msoa or lad)."""
    if level == LSOA:
        return atlas[schema.LSOA_CODE]
    if level == MSOA:
        return msoa_codes(atlas)
    if level == LAD:
        return atlas["lad_code"]
    raise ValueError(f"unknown indicator level {level!r}")


# --- the registry ---------------------------------------------------------------------------------

Loader = Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class Indicator:
    """One map layer: what it measures, at what geography, from which data, with which caveats."""

    id: str
    label: str
    unit: str
    level: str  # "lsoa", "msoa" or "lad"
    sources: tuple[str, ...]  # manifest dataset ids
    caveat: str
    loader: Loader  # atlas -> values (LSOA: aligned to atlas rows; MSOA/LAD: indexed by area code)
    kind: str = NUMERIC
    vintages: tuple[str, ...] = ("2025",)
    higher_means: str = ""  # e.g. "more deprived"; "" when neither direction is "worse"
    group: str = ""

    @property
    def level_label(self) -> str:
        return LEVEL_TEXT[self.level]

    @property
    def full_label(self) -> str:
        """Label with unit and level, e.g. 'Disability (% of residents) - LSOA'."""
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.label}{unit} - {LEVEL_TEXT[self.level]} level"

    def attribution(self) -> list[str]:
        return sources.attribution_lines(list(self.sources))


def _atlas_column(column: str, scale: float = 1.0) -> Loader:
    def load(atlas: pd.DataFrame) -> pd.Series:
        if column not in atlas.columns:
            raise DataError(f"the atlas has no column {column!r} (is this the right vintage?)")
        values = atlas[column]
        return values.astype(float) * scale if scale != 1.0 else values
    return load


def _by_lsoa_code(series_fn: Callable[[], pd.Series]) -> Loader:
    def load(atlas: pd.DataFrame) -> pd.Series:
        return atlas[schema.LSOA_CODE].map(series_fn()).astype(float)
    return load


def _iod(column: str) -> Loader:
    def load(atlas: pd.DataFrame) -> pd.Series:
        table = _iod_indicators()
        if column not in table.columns:
            raise DataError(f"iod2025_indicators: no column {column!r}")
        return atlas[schema.LSOA_CODE].map(table[column]).astype(float)
    return load


def _area_table(fn: Callable[[], pd.Series]) -> Loader:
    def load(atlas: pd.DataFrame) -> pd.Series:
        return fn()
    return load


def _rural(atlas: pd.DataFrame) -> pd.Series:
    return is_rural(atlas["ruc_class"])


def _disability() -> pd.Series:
    return _census_share("census21_disability", "disability", ("Disabled under the Equality Act",))


def _hh_deprived() -> pd.Series:
    return _census_share("census21_household_deprivation", "deprivation_dimensions",
                         ("Household is deprived in two dimensions",
                          "Household is deprived in three dimensions",
                          "Household is deprived in four dimensions"))


def _overcrowded() -> pd.Series:
    return _census_share("census21_overcrowding", "occupancy_rating",
                         ("-1 (overcrowded)", "-2 or less (overcrowded)"))


def _english() -> pd.Series:
    t = _msoa_table("census21_proficiency_msoa")
    col = "Proportion who cannot speak English (well)"
    if col not in t.columns:
        raise DataError(f"census21_proficiency_msoa: no column {col!r}")
    return 100 * t[col].astype(float)


def _migration(column: str) -> Callable[[], pd.Series]:
    def fn() -> pd.Series:
        t = _msoa_table("census21_migration_msoa")
        if column not in t.columns:
            raise DataError(f"census21_migration_msoa: no column {column!r}")
        return 100 * t[column].astype(float)
    return fn


def _ethnic_lad(column: str) -> Callable[[], pd.Series]:
    return lambda: _ethnicity_lad()[column]


CENSUS = "Census 2021"
IOD_CAVEAT = ("IoD2025 underlying indicator (File 8), as published for LSOA 2021; see the IoD2025 "
              "technical report for its exact definition and time period.")

_ETHNIC = [
    ("ethnic_minority", "Ethnic minority share: all outside the White broad group", WHITE_CAVEAT),
    ("ethnic_asian", "Asian, Asian British or Asian Welsh", ""),
    ("ethnic_black", "Black, Black British, Black Welsh, Caribbean or African", ""),
    ("ethnic_mixed", "Mixed or Multiple ethnic groups", ""),
    ("ethnic_other", "Other ethnic group (incl. Arab)", ""),
    ("ethnic_white", "White broad group (incl. Gypsy or Irish Traveller, Roma, Irish, Other White)",
     WHITE_CAVEAT),
]

# IoD2025 File 8 columns that vary between LSOAs in a local authority (checked by
# tests/test_plus.py). Left out: the four domain numerators (counts of people, whose
# denominators are not in the mirror) and the two homelessness indicators, which are
# local-authority values repeated on every LSOA (statutory homelessness is offered at
# LAD level instead).
IOD_LSOA_INDICATORS: dict[str, tuple[str, str, str]] = {
    # column: (label, unit, higher means)
    "adult_skills_and_english_language_proficiency_indicator":
        ("Adult skills and English language proficiency", "proportion of working-age adults",
         "more deprived"),
    "entry_to_higher_education_indicator": ("Young people not entering higher education", "proportion",
                                            "more deprived"),
    "acute_morbidity_indicator": ("Acute morbidity (emergency admissions)", "standardised ratio",
                                  "more deprived"),
    "comparative_illness_and_disability_ratio_indicator":
        ("Comparative illness and disability ratio (work-limiting illness)", "standardised ratio",
         "more deprived"),
    "mental_health_indicator": ("Mental health (mood and anxiety disorders)", "standardised score",
                                "more deprived"),
    "years_of_potential_life_lost_indicator": ("Years of potential life lost (premature death)",
                                               "standardised rate", "more deprived"),
    "violence_with_injury_rate_per_1_000_at_risk_population":
        ("Violence with injury", "per 1,000 at-risk population", "more crime"),
    "violence_without_injury_rate_per_1_000_at_risk_population":
        ("Violence without injury", "per 1,000 at-risk population", "more crime"),
    "stalking_and_harassment_rate_per_1_000_at_risk_population":
        ("Stalking and harassment", "per 1,000 at-risk population", "more crime"),
    "burglary_rate_per_1_000_at_risk_properties": ("Burglary", "per 1,000 at-risk properties", "more crime"),
    "theft_rate_per_1_000_at_risk_population": ("Theft", "per 1,000 at-risk population", "more crime"),
    "criminal_damage_rate_per_1_000_at_risk_population":
        ("Criminal damage", "per 1,000 at-risk population", "more crime"),
    "public_order_and_possession_of_weapons_rate_per_1_000_at_risk_population":
        ("Public order and possession of weapons", "per 1,000 at-risk population", "more crime"),
    "anti_social_behaviour_rate_per_1_000_at_risk_population":
        ("Anti-social behaviour", "per 1,000 at-risk population", "more crime"),
    "connectivity_score": ("Connectivity (access by public transport, walking and cycling)", "score",
                           "better connected"),
    "owner_occupation_affordability_component_of_housing_affordability_indicator":
        ("Housing affordability: owner occupation component", "score", "less affordable"),
    "private_rental_affordability_component_of_housing_affordability_indicator":
        ("Housing affordability: private rental component", "score", "less affordable"),
    "housing_affordability_indicator": ("Housing affordability", "standardised score", "less affordable"),
    "digital_connectivity_broadband_download_and_upload_speeds":
        ("Digital connectivity (broadband speeds)", "standardised score", "poorer broadband"),
    "patient_to_gp_ratio": ("Patients per GP (LSOA estimate)", "patients per FTE GP",
                            "fewer GPs per patient"),
    "household_overcrowding_indicator_rooms": ("Household overcrowding (rooms)", "proportion of households",
                                               "more overcrowded"),
    "household_overcrowding_indicator_bedrooms": ("Household overcrowding (bedrooms)",
                                                  "proportion of households", "more overcrowded"),
}
IOD_LA_LEVEL_COLUMNS = ("core_homelessness_rate_percent_of_households",
                        "homelessness_indicator_rate_per_1_000_households")
IOD_EXCLUDED_COUNTS = ("income_domain_numerator",
                       "income_deprivation_affecting_children_index_idaci_numerator",
                       "income_deprivation_affecting_older_people_index_idaopi_numerator",
                       "employment_domain_numerator")


def _build_registry() -> dict[str, Indicator]:
    reg: list[Indicator] = []
    for col, label, caveat in _ETHNIC:
        reg.append(Indicator(col, label, "% of residents", LSOA, ("census21_ethnicity",),
                             caveat or "Census 2021 TS021, five broad ethnic groups.",
                             _atlas_column(col, 100.0), group="Census 2021: ethnicity"))
    reg += [
        Indicator("disability", "Disabled under the Equality Act", "% of residents", LSOA,
                  ("census21_disability",), "Census 2021 TS038; all ages; self-reported.",
                  _by_lsoa_code(_disability), higher_means="more disability", group=CENSUS),
        Indicator("household_deprived_2plus", "Households deprived in 2 or more dimensions",
                  "% of households", LSOA, ("census21_household_deprivation",),
                  "Census 2021 TS011: dimensions are employment, education, health and disability, and "
                  "housing. This is not the Index of Multiple Deprivation.",
                  _by_lsoa_code(_hh_deprived), higher_means="more deprived", group=CENSUS),
        Indicator("overcrowding", "Overcrowded households (occupancy rating -1 or less, rooms)",
                  "% of households", LSOA, ("census21_overcrowding",),
                  "Census 2021 TS052: fewer rooms than the household needs.",
                  _by_lsoa_code(_overcrowded), higher_means="more overcrowded", group=CENSUS),
        Indicator("rural", "Rural LSOA (rural-urban classification)", "", LSOA, ("ruc21", "ruc11"),
                  "ONS Rural-Urban Classification: 2021 'Larger/Smaller rural' or 2011 'Rural ...' classes.",
                  _rural, kind=FLAG, vintages=("2025", "2019"), group="Place"),
        Indicator("ruc_class", "Rural-urban classification", "", LSOA, ("ruc21", "ruc11"),
                  "ONS Rural-Urban Classification of the LSOA vintage (2021 or 2011 classes).",
                  _atlas_column("ruc_class"), kind=CATEGORY, vintages=("2025", "2019"), group="Place"),
        Indicator("coastal", "Coastal community (G_25_5)", "", LSOA, ("coastal_lsoa21", "coastal_lsoa11"),
                  COASTAL_DEFINITION, _atlas_column(schema.COASTAL), kind=FLAG, vintages=("2025", "2019"),
                  group="Coastal"),
        Indicator("coastal_core20", "Coastal Core20 (coastal and national IMD deciles 1-2)", "", LSOA,
                  ("coastal_lsoa21", "coastal_lsoa11", "iod2025", "imd2019"),
                  COASTAL_DEFINITION + " Core20 is the national most deprived 20% of LSOAs.",
                  coastal_core20, kind=FLAG, vintages=("2025", "2019"), group="Coastal"),
        Indicator("coast_distance_km", "Distance to the coastline", "km", LSOA, ("coastline_england",),
                  COAST_DISTANCE_NOTE, coast_distance_km, vintages=("2025", "2019"),
                  higher_means="further inland", group="Coastal"),
        Indicator("imd_score", "Index of Multiple Deprivation score", "score", LSOA, ("iod2025", "imd2019"),
                  "IMD score of the atlas vintage (IoD2025 or IMD2019); higher = more deprived.",
                  _atlas_column(schema.IMD_SCORE), vintages=("2025", "2019"), higher_means="more deprived",
                  group="Deprivation"),
    ]
    for col, (label, unit, higher) in IOD_LSOA_INDICATORS.items():
        reg.append(Indicator(f"iod_{col}", label, unit, LSOA, ("iod2025_indicators",), IOD_CAVEAT, _iod(col),
                             higher_means=higher, group="IoD2025 indicators"))
    reg += [
        Indicator("english_not_well", "Cannot speak English well or at all", "% of residents aged 3+", MSOA,
                  ("census21_proficiency_msoa", "msoa21_boundaries"),
                  "Census 2021 TS029, main language not English and cannot speak English well or at all. "
                  + LEVEL_NOTE[MSOA], _area_table(_english), higher_means="more language need",
                  group="Census 2021 (MSOA)"),
        Indicator("migrants_outside_uk", "Arrived from outside the UK in the year before the Census",
                  "% of residents", MSOA, ("census21_migration_msoa", "msoa21_boundaries"),
                  "Census 2021 TS019 (address one year ago outside the UK). " + LEVEL_NOTE[MSOA],
                  _area_table(_migration("prop_migrated_from_outside_uk")), group="Census 2021 (MSOA)"),
        Indicator("migrants_within_uk", "Moved from elsewhere in the UK in the year before the Census",
                  "% of residents", MSOA, ("census21_migration_msoa", "msoa21_boundaries"),
                  "Census 2021 TS019 (address one year ago elsewhere in the UK). " + LEVEL_NOTE[MSOA],
                  _area_table(_migration("prop_migrated_from_within_uk")), group="Census 2021 (MSOA)"),
        Indicator("grt_count", "Gypsy or Irish Traveller residents", "people", LAD,
                  ("census21_ethnicity_lad", "lad24_boundaries"),
                  "Census 2021 detailed ethnic group 'White: Gypsy or Irish Traveller'; Census counts are "
                  "widely thought to undercount these communities. " + LEVEL_NOTE[LAD],
                  _area_table(_ethnic_lad("grt_count")), group="Inclusion groups (local authority)"),
        Indicator("grt_pct", "Gypsy or Irish Traveller residents", "% of residents", LAD,
                  ("census21_ethnicity_lad", "lad24_boundaries"),
                  "Census 2021 detailed ethnic group 'White: Gypsy or Irish Traveller' as a share of all "
                  "usual residents, recomputed from counts (the published percentages are rounded to 0.0 for "
                  "most authorities); Census counts are widely thought to undercount these communities. "
                  + LEVEL_NOTE[LAD],
                  _area_table(_ethnic_lad("grt_pct")), group="Inclusion groups (local authority)"),
        Indicator("roma_count", "Roma residents", "people", LAD,
                  ("census21_ethnicity_lad", "lad24_boundaries"),
                  "Census 2021 detailed ethnic group 'White: Roma'; likely undercounted. " + LEVEL_NOTE[LAD],
                  _area_table(_ethnic_lad("roma_count")), group="Inclusion groups (local authority)"),
        Indicator("roma_pct", "Roma residents", "% of residents", LAD,
                  ("census21_ethnicity_lad", "lad24_boundaries"),
                  "Census 2021 detailed ethnic group 'White: Roma' as a share of all usual residents, "
                  "recomputed from counts; likely undercounted. " + LEVEL_NOTE[LAD],
                  _area_table(_ethnic_lad("roma_pct")), group="Inclusion groups (local authority)"),
        Indicator("homeless_per_1000", "Households assessed as homeless", "per 1,000 households", LAD,
                  ("homelessness_lad", "lad24_boundaries"),
                  "Statutory homelessness, Oct-Dec 2023 (owed a prevention or relief duty). Some authorities "
                  "did not report. " + LEVEL_NOTE[LAD],
                  _area_table(lambda: _lad_csv("homelessness_lad", "ltla23_code",
                                               "Households assessed as homeless per (000s)")),
                  higher_means="more homelessness", group="Inclusion groups (local authority)"),
        Indicator("temp_accommodation_per_1000", "Households in temporary accommodation",
                  "per 1,000 households", LAD, ("homelessness_lad", "lad24_boundaries"),
                  "Statutory homelessness, end of December 2023. Some authorities did not report. "
                  + LEVEL_NOTE[LAD],
                  _area_table(lambda: _lad_csv("homelessness_lad", "ltla23_code",
                                               "Households in temporary accommodation per 1,000")),
                  higher_means="more homelessness", group="Inclusion groups (local authority)"),
        Indicator("patients_per_gp", "Registered patients per GP (FTE)", "patients", LAD,
                  ("gp_patients_lad", "lad24_boundaries"),
                  "Patients registered at practices in the authority divided by their GP full-time "
                  "equivalents. " + LEVEL_NOTE[LAD],
                  _area_table(lambda: _lad_csv("gp_patients_lad", "ltla24_code", "patients_per_gp")),
                  higher_means="fewer GPs per patient", group="Access (local authority)"),
    ]
    out = {ind.id: ind for ind in reg}
    assert len(out) == len(reg), "duplicate indicator ids"
    return out


INDICATORS: dict[str, Indicator] = _build_registry()


def get(indicator_id: str) -> Indicator:
    try:
        return INDICATORS[indicator_id]
    except KeyError:
        raise KeyError(f"unknown indicator {indicator_id!r}; known: {', '.join(INDICATORS)}") from None


def indicators(vintage: str | None = None, level: str | None = None,
               kind: str | None = None) -> list[Indicator]:
    """Registered indicators, optionally only those for a vintage, level or kind."""
    return [i for i in INDICATORS.values()
            if (vintage is None or vintage in i.vintages) and (level is None or i.level == level)
            and (kind is None or i.kind == kind)]


def values(atlas: pd.DataFrame, indicator_id: str) -> pd.Series:
    """An indicator's values: aligned to ``atlas`` rows for LSOA indicators; indexed by area
    code (MSOA or LAD, only the areas the atlas rows lie in) for the others."""
    ind = get(indicator_id)
    out = ind.loader(atlas)
    if ind.level == LSOA:
        return pd.Series(out, index=atlas.index, name=ind.id)
    codes = area_codes(atlas, ind.level).dropna().unique()
    return out.reindex(codes).rename(ind.id)


def lsoa_view(atlas: pd.DataFrame, indicator_id: str) -> pd.Series:
    """Each LSOA's value *of its enclosing area* (for target conditions, not for mapping)."""
    ind = get(indicator_id)
    if ind.level == LSOA:
        return values(atlas, indicator_id)
    return area_codes(atlas, ind.level).map(ind.loader(atlas)).astype(float).rename(ind.id)


def area_layer(atlas: gpd.GeoDataFrame, indicator_id: str,
               geometry: gpd.GeoSeries | None = None) -> gpd.GeoDataFrame:
    """Polygons to map an indicator at its own level: area_code, area_name, value, geometry.

    LSOA indicators use the atlas rows (or ``geometry``, e.g. simplified display shapes in the
    same order); MSOA and LAD indicators use those boundaries, for the areas the rows lie in.
    """
    ind = get(indicator_id)
    if ind.level == LSOA:
        geom = geometry if geometry is not None else atlas.geometry
        return gpd.GeoDataFrame({"area_code": atlas[schema.LSOA_CODE].to_numpy(),
                                 "area_name": atlas[schema.LSOA_NAME].to_numpy(),
                                 "value": values(atlas, indicator_id).to_numpy()},
                                geometry=np.asarray(geom), crs=schema.CRS_WGS84, index=atlas.index)
    vals = values(atlas, indicator_id)
    bounds = _msoa_boundaries() if ind.level == MSOA else _lad_boundaries()
    layer = bounds[bounds["area_code"].isin(set(vals.index))].copy()
    layer["value"] = layer["area_code"].map(vals).astype(float)
    return layer[["area_code", "area_name", "value", "geometry"]].reset_index(drop=True)


def coastal_summary(atlas: pd.DataFrame, level: str) -> pd.DataFrame:
    """Per area: LSOAs, coastal LSOAs, coastal Core20 LSOAs and their population."""
    frame = pd.DataFrame({
        "lsoas": 1,
        "coastal_lsoas": atlas[schema.COASTAL].astype(int),
        "coastal_core20_lsoas": coastal_core20(atlas).astype(int),
        "coastal_population": atlas[schema.POPULATION].where(atlas[schema.COASTAL], 0),
        "coastal_core20_population": atlas[schema.POPULATION].where(coastal_core20(atlas), 0),
    }, index=atlas.index)
    if level == "england":
        out = frame.sum().to_frame().T
        out.insert(0, "area_code", schema.ENGLAND_CODE)
        out.insert(1, "area_name", "England")
        return out
    code, name = schema.LEVEL_COLUMNS[level]
    frame["area_code"], frame["area_name"] = atlas[code], atlas[name]
    return frame.groupby(["area_code", "area_name"], as_index=False).sum().sort_values("area_name",
                                                                                      ignore_index=True)


# --- the Core20PLUS target builder ---------------------------------------------------------------

BASES = ("core20", "all")
COMBINES = ("and", "or")
CONDITION_KINDS = ("coastal", "indicator", "hotspot", "coldspot", "upload")
OPS = {"ge": ">=", "le": "<=", "gt": ">"}
CONFIDENCES = (90, 95, 99)
MAX_CONDITIONS = 8
QUERY_KEYS = ("tb", "tc", "tx")
_NAME_RE = re.compile(r"^[\w .,()&'+\-]{1,80}$")


@dataclass(frozen=True)
class Condition:
    """One PLUS condition. ``kind``:

    - ``coastal``: LSOA is coastal (G_25_5);
    - ``indicator``: indicator ``op`` threshold, where ``percentile`` makes the threshold a
      percentile (0-100) of the values within the chosen area;
    - ``hotspot`` / ``coldspot``: Gi* hot (cold) spot of the indicator at >= ``confidence`` %;
    - ``upload``: uploaded layer ``layer`` has ``column`` (default: its first value) ``op`` threshold
      (default: > 0, e.g. at least one point).
    """

    kind: str
    indicator: str = ""
    op: str = "ge"
    threshold: float = 0.0
    percentile: bool = False
    confidence: int = 95
    layer: str = ""
    column: str = ""

    def token(self) -> str:
        """Compact text for share links (see `parse_condition`)."""
        if self.kind == "coastal":
            return "coastal"
        if self.kind == "indicator":
            value = ("p" if self.percentile else "") + _num(self.threshold)
            return f"ind:{self.indicator}:{self.op}:{value}"
        if self.kind in ("hotspot", "coldspot"):
            return f"{self.kind[:-4]}:{self.indicator}:{self.confidence}"
        if self.kind == "upload":
            base = f"up:{quote(self.layer, safe='')}"
            if self.column or self.op != "gt" or self.threshold != 0:
                base += f":{quote(self.column, safe='')}:{self.op}:{_num(self.threshold)}"
            return base
        raise TargetError(f"unknown condition kind {self.kind!r}")

    def describe(self) -> str:
        if self.kind == "coastal":
            return "coastal (G_25_5)"
        if self.kind == "indicator":
            ind = get(self.indicator)
            where = "" if ind.level == LSOA else f"lies in a {LEVEL_TEXT[ind.level]} where "
            if self.percentile:
                amount = f"the {_ordinal(self.threshold)} percentile within the area"
            else:
                amount = f"{_num(self.threshold)}{' ' + ind.unit if ind.unit else ''}"
            return f"{where}{ind.label} {OPS[self.op]} {amount}"
        if self.kind in ("hotspot", "coldspot"):
            label = get(self.indicator).label
            return f"{self.kind[:-4]} spot of {label} (Gi*, >= {self.confidence}% confidence)"
        if self.kind == "upload":
            col = f" {self.column}" if self.column else ""
            return f"uploaded layer '{self.layer}'{col} {OPS[self.op]} {_num(self.threshold)}"
        return self.kind


def upload_condition(layer: str, column: str = "", op: str = "gt", threshold: float = 0.0) -> Condition:
    """An uploaded-layer condition; by default "at least one point / a positive value"."""
    return Condition("upload", layer=layer, column=column, op=op, threshold=threshold)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _ordinal(x: float) -> str:
    n = _num(x)
    if not float(x).is_integer():
        return f"{n}th"
    k = int(x)
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class TargetSpec:
    """Core20 (or all LSOAs) combined with PLUS conditions, all joined by ``combine``."""

    base: str = "core20"
    combine: str = "and"
    conditions: tuple[Condition, ...] = ()

    def validate(self, vintage: str | None = None) -> TargetSpec:
        if self.base not in BASES:
            raise TargetError(f"unknown target base {self.base!r}; expected one of {', '.join(BASES)}")
        if self.combine not in COMBINES:
            raise TargetError(f"unknown combination {self.combine!r}; expected 'and' or 'or'")
        if len(self.conditions) > MAX_CONDITIONS:
            raise TargetError(f"at most {MAX_CONDITIONS} conditions, got {len(self.conditions)}")
        for c in self.conditions:
            _validate_condition(c, vintage)
        return self

    def describe(self) -> str:
        base = "Core20 LSOAs (national IMD deciles 1-2)" if self.base == "core20" else "LSOAs"
        if not self.conditions:
            return base if self.base == "core20" else "All LSOAs"
        joined = f" {self.combine.upper()} ".join(c.describe() for c in self.conditions)
        if self.base == "all":
            return f"LSOAs where {joined}"
        return f"{base} {self.combine.upper()} {joined}"

    def to_query_params(self) -> dict[str, str]:
        """Compact share-link parameters: tb (base), tc (and/or), tx (conditions, comma-separated)."""
        self.validate()
        params = {"tb": self.base, "tc": self.combine}
        if self.conditions:
            params["tx"] = ",".join(c.token() for c in self.conditions)
        return params

    @classmethod
    def from_query_params(cls, params: Mapping[str, object], vintage: str | None = None) -> TargetSpec | None:
        """The spec in share-link parameters; None when there is none; TargetError if invalid."""
        def one(key: str) -> str | None:
            v = params.get(key)
            if isinstance(v, (list, tuple)):
                v = v[-1] if v else None
            return None if v is None else str(v)

        base, combine, text = one("tb"), one("tc"), one("tx")
        if base is None and combine is None and text is None:
            return None
        if text and len(text) > 2000:
            raise TargetError("the target in this link is too long")
        conditions = tuple(parse_condition(t) for t in (text or "").split(",") if t.strip())
        return cls(base or "core20", combine or "and", conditions).validate(vintage)


def parse_condition(token: str) -> Condition:
    """Inverse of `Condition.token`; TargetError naming what is wrong."""
    parts = token.strip().split(":")
    head = parts[0]
    try:
        if head == "coastal" and len(parts) == 1:
            return Condition("coastal")
        if head == "ind" and len(parts) == 4:
            value = parts[3]
            pct = value.startswith("p")
            return Condition("indicator", indicator=parts[1], op=parts[2],
                             threshold=_finite(value[1:] if pct else value), percentile=pct)
        if head in ("hot", "cold") and len(parts) == 3:
            return Condition(f"{head}spot", indicator=parts[1], confidence=int(parts[2]))
        if head == "up" and len(parts) == 2:
            return Condition("upload", layer=unquote(parts[1]), op="gt", threshold=0.0)
        if head == "up" and len(parts) == 5:
            return Condition("upload", layer=unquote(parts[1]), column=unquote(parts[2]), op=parts[3],
                             threshold=_finite(parts[4]))
    except ValueError as exc:
        raise TargetError(f"bad target condition {token!r}: {exc}") from None
    raise TargetError(f"unknown target condition {token!r}")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("threshold must be a finite number")
    return value


def _validate_condition(c: Condition, vintage: str | None) -> None:
    if c.kind not in CONDITION_KINDS:
        raise TargetError(f"unknown condition kind {c.kind!r}; expected one of {', '.join(CONDITION_KINDS)}")
    if c.op not in OPS:
        raise TargetError(f"unknown comparison {c.op!r}; expected one of {', '.join(OPS)}")
    if not math.isfinite(c.threshold):
        raise TargetError("thresholds must be finite numbers")
    if c.kind in ("indicator", "hotspot", "coldspot"):
        if c.indicator not in INDICATORS:
            raise TargetError(f"unknown indicator {c.indicator!r}")
        ind = INDICATORS[c.indicator]
        if vintage is not None and vintage not in ind.vintages:
            raise TargetError(f"indicator {ind.label!r} is not available for the {vintage} atlas")
        if c.kind == "indicator" and ind.kind == CATEGORY:
            raise TargetError(f"{ind.label!r} is a classification; use the 'rural' flag instead")
        if c.kind != "indicator" and (ind.kind != NUMERIC or ind.level != LSOA):
            raise TargetError(f"hot spots need a numeric LSOA indicator; {ind.label!r} is not one")
        if c.kind != "indicator" and c.confidence not in CONFIDENCES:
            raise TargetError(f"confidence must be one of {CONFIDENCES}, not {c.confidence}")
        if c.percentile and not 0 <= c.threshold <= 100:
            raise TargetError(f"a percentile must be between 0 and 100, not {_num(c.threshold)}")
    if c.kind == "upload" and not _NAME_RE.match(c.layer or ""):
        raise TargetError("an upload condition needs a layer name (letters, digits, spaces, .,()&'+- only)")


@dataclass
class TargetResult:
    """The target mask over the area's LSOAs, each condition's own mask, and a summary."""

    spec: TargetSpec
    mask: pd.Series
    condition_masks: dict[str, pd.Series]
    summary: dict
    warnings: list[str] = field(default_factory=list)


def evaluate(spec: TargetSpec, atlas: gpd.GeoDataFrame, uploads: Mapping[str, pd.DataFrame] | None = None,
             hotspot_results: dict | None = None) -> TargetResult:
    """Evaluate ``spec`` over ``atlas`` (the chosen area's LSOAs; percentiles and hot spots are
    computed within it). ``uploads`` maps layer name -> frame with lsoa_code and value columns.
    A condition on an upload that is not loaded is skipped with a warning."""
    from geo_core20 import hotspots

    spec.validate()
    uploads = uploads or {}
    hotspot_results = {} if hotspot_results is None else hotspot_results
    warnings: list[str] = []
    masks: dict[str, pd.Series] = {}
    for c in spec.conditions:
        label = c.describe()
        if c.kind == "coastal":
            m = atlas[schema.COASTAL].astype(bool)
        elif c.kind == "indicator":
            v = lsoa_view(atlas, c.indicator).astype(float)
            if c.percentile:
                ind = get(c.indicator)
                pool = v if ind.level == LSOA else values(atlas, c.indicator).astype(float)
                if pool.notna().sum() == 0:
                    warnings.append(f"No values for {ind.label} in this area: condition matches nothing.")
                    cut = np.inf
                else:
                    cut = float(np.nanpercentile(pool.to_numpy(float), c.threshold))
                label += f" (= {cut:.3g})"
            else:
                cut = c.threshold
            m = _compare(v, c.op, cut)
        elif c.kind in ("hotspot", "coldspot"):
            key = (c.indicator, len(atlas), int(pd.util.hash_pandas_object(atlas[schema.LSOA_CODE],
                                                                           index=False).sum()))
            if key not in hotspot_results:
                ind = get(c.indicator)
                hotspot_results[key] = hotspots.gi_star(atlas, values(atlas, c.indicator).astype(float),
                                                        indicator_label=ind.label)
            res = hotspot_results[key]
            strength = {90: 1, 95: 2, 99: 3}[c.confidence]
            gi = res.frame["gi_bin"]
            m = (gi >= strength) if c.kind == "hotspot" else (gi <= -strength)
            m = m.fillna(False).astype(bool)
        else:  # upload
            layer = uploads.get(c.layer)
            if layer is None:
                warnings.append(f"Uploaded layer '{c.layer}' is not loaded: its condition was skipped. "
                                "Upload the file again to apply it.")
                continue
            cols = [col for col in layer.columns if col != schema.LSOA_CODE]
            col = c.column or (cols[0] if cols else "")
            if col not in layer.columns:
                warnings.append(f"Uploaded layer '{c.layer}' has no column '{col}': condition skipped.")
                continue
            v = atlas[schema.LSOA_CODE].map(layer.set_index(schema.LSOA_CODE)[col]).astype(float)
            m = _compare(v.fillna(0.0) if c.op == "gt" and c.threshold == 0 else v, c.op, c.threshold)
        masks[label] = pd.Series(m, index=atlas.index).fillna(False).astype(bool)

    terms = list(masks.values())
    if spec.base == "core20":
        terms.insert(0, atlas[schema.CORE20].astype(bool))
    if not terms:
        mask = pd.Series(True, index=atlas.index)
    else:
        op = (lambda a, b: a & b) if spec.combine == "and" else (lambda a, b: a | b)
        mask = reduce(op, terms)
    mask = mask.rename("in_target")
    return TargetResult(spec, mask, masks, summarise(atlas, mask), warnings)


def _compare(v: pd.Series, op: str, cut: float) -> pd.Series:
    if op == "ge":
        return v >= cut
    if op == "le":
        return v <= cut
    return v > cut


def summarise(atlas: pd.DataFrame, mask: pd.Series) -> dict:
    """LSOA count and population of the target, and how much of it is Core20 or coastal."""
    sel = atlas[mask.to_numpy()]
    pop_all = float(atlas[schema.POPULATION].sum())
    pop = float(sel[schema.POPULATION].sum())
    return {
        "lsoas": int(len(sel)),
        "population": int(pop),
        "population_share": pop / pop_all if pop_all else 0.0,
        "core20_lsoas": int(sel[schema.CORE20].sum()),
        "core20_population": int(sel.loc[sel[schema.CORE20], schema.POPULATION].sum()),
        "coastal_lsoas": int(sel[schema.COASTAL].sum()),
        "area_lsoas": int(len(atlas)),
        "area_population": int(pop_all),
    }


def target_frame(atlas: gpd.GeoDataFrame, result: TargetResult) -> gpd.GeoDataFrame:
    """The target's LSOAs with the columns an analyst needs, plus one column per condition."""
    cols = [schema.LSOA_CODE, schema.LSOA_NAME, "lad_code", "lad_name", "icb_code", "icb_name",
            schema.IMD_DECILE, schema.CORE20, schema.COASTAL, schema.POPULATION, "geometry"]
    out = atlas.loc[result.mask.to_numpy(), [c for c in cols if c in atlas.columns]].copy()
    for i, (label, m) in enumerate(result.condition_masks.items(), start=1):
        out.insert(len(out.columns) - 1, f"condition_{i}", m[result.mask].to_numpy())
        out.attrs[f"condition_{i}"] = label
    return out.reset_index(drop=True)


# --- map styling and exports (pure: the page draws with geo_core20.maps) -------------------------

SEQUENTIAL = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")  # viridis, low -> high
FLAG_COLOURS = {True: "#21918c", False: "#f2f2f2"}
CATEGORY_COLOURS = ("#0072B2", "#56B4E9", "#009E73", "#E69F00", "#D55E00", "#CC79A7", "#F0E442", "#999999")
TARGET_COLOURS = {True: "#d95f02", False: "#e6e6e6"}
NO_DATA_COLOUR = "#bdbdbd"


@dataclass(frozen=True)
class LayerStyle:
    """Colours and legend labels of one indicator layer; `index` puts values into classes."""

    colours: tuple[str, ...]
    labels: tuple[str, ...]
    title: str
    note: str
    kind: str
    upper: tuple[float, ...] = ()  # numeric: inclusive upper bound of each class, ascending
    categories: tuple[str, ...] = ()  # category: the category of each class

    def index(self, vals: pd.Series | np.ndarray) -> np.ndarray:
        """Class of each value (-1 where missing)."""
        s = pd.Series(np.asarray(vals, dtype=object))
        out = np.full(len(s), -1, dtype=np.int64)
        if self.kind == NUMERIC:
            v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
            ok = np.isfinite(v)
            pos = np.searchsorted(np.asarray(self.upper), v[ok], side="left")
            out[ok] = np.minimum(pos, len(self.upper) - 1)
        elif self.kind == FLAG:
            ok = s.notna().to_numpy()
            out[ok] = np.where(s[ok].astype(bool).to_numpy(), 0, 1)
        else:
            pos = {c: i for i, c in enumerate(self.categories)}
            out = s.map(lambda c: pos.get(c, -1)).to_numpy(dtype=np.int64)
        return out

    def colour(self, vals: pd.Series | np.ndarray) -> np.ndarray:
        palette = np.asarray((*self.colours, NO_DATA_COLOUR), dtype=object)
        return palette[self.index(vals)]

    def counts(self, vals: pd.Series | np.ndarray) -> list[int]:
        idx = self.index(vals)
        return [int((idx == i).sum()) for i in range(len(self.colours))]


def format_value(ind: Indicator, value: object) -> str:
    """A value as a reader expects it: '12.3%', '4.2 km', 'Yes', '1,234'."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or pd.isna(value):
        return "no data"
    if ind.kind == FLAG:
        return "Yes" if bool(value) else "No"
    if ind.kind == CATEGORY:
        return str(value)
    v = float(value)
    if ind.unit.startswith("%"):
        return f"{v:.2f}%" if abs(v) < 1 else f"{v:.1f}%"
    if ind.unit == "km":
        return f"{v:.1f} km"
    if ind.unit in ("people", "patients", "patients per FTE GP"):
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"


def layer_style(ind: Indicator, national: pd.Series, classes: int = 5) -> LayerStyle:
    """Classes of an indicator from its *national* values, so a colour means the same in every area:
    quintiles for numbers, Yes/No for flags, one colour per class for categories."""
    if ind.kind == FLAG:
        return LayerStyle((FLAG_COLOURS[True], FLAG_COLOURS[False]), ("Yes", "No"), ind.label, "", FLAG)
    if ind.kind == CATEGORY:
        cats = tuple(sorted(pd.Series(national).dropna().astype(str).unique()))
        colours = tuple(CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i in range(len(cats)))
        return LayerStyle(colours, cats, ind.label, "", CATEGORY, categories=cats)
    v = pd.to_numeric(pd.Series(national), errors="coerce").dropna().to_numpy(dtype=float)
    if len(v) == 0:
        return LayerStyle((NO_DATA_COLOUR,), ("no data",), ind.label, "", NUMERIC, upper=(np.inf,))
    qs = np.unique(np.quantile(v, np.linspace(0, 1, classes + 1)[1:]))
    qs[-1] = max(qs[-1], float(v.max()))
    colours = SEQUENTIAL[-len(qs):] if len(qs) < len(SEQUENTIAL) else SEQUENTIAL
    labels, low = [], float(v.min())
    for i, hi in enumerate(qs):
        lo_text = format_value(ind, low if i == 0 else qs[i - 1])
        labels.append(f"{lo_text} to {format_value(ind, hi)}" if i else f"up to {format_value(ind, hi)}")
    where = {LSOA: "LSOAs", MSOA: "MSOAs", LAD: "local authorities"}[ind.level]
    note = (f"Classes are national quintiles over all {len(v):,} {where} in England, so a colour means the "
            "same everywhere. Darker = higher" + (f" ({ind.higher_means})." if ind.higher_means else "."))
    return LayerStyle(tuple(colours), tuple(labels), f"{ind.label} ({ind.unit})" if ind.unit else ind.label,
                      note, NUMERIC, upper=tuple(float(q) for q in qs))


def export_geojson(frame: gpd.GeoDataFrame, attribution: list[str], name: str, decimals: int = 6) -> bytes:
    """A GeoDataFrame as GeoJSON with an ``attribution`` member; text kept as data (JSON-escaped)."""
    import json

    out = frame.copy()
    for col in out.columns:
        if col == "geometry":
            continue
        if pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype(bool)
        elif pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype("Int64").astype(object).where(out[col].notna(), None)
        else:  # floats and text: JSON null for missing
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    data = json.loads(out.to_crs(schema.CRS_WGS84).to_json(drop_id=True, default=_json_scalar),
                      parse_float=lambda s: round(float(s), decimals))
    data["name"] = name
    data["attribution"] = list(attribution)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _json_scalar(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def count_style(title: str) -> LayerStyle:
    """Classes for points counted per LSOA: 0, 1, 2-4, 5 or more."""
    return LayerStyle(("#f2f2f2", "#a6dba0", "#5aae61", "#1b7837"), ("0", "1", "2-4", "5 or more"), title,
                      "", NUMERIC, upper=(0.5, 1.5, 4.5, np.inf))


def quantile_style(values: pd.Series | np.ndarray, title: str, classes: int = 5) -> LayerStyle:
    """Quintile classes of an uploaded column (its own values: there is no national reference)."""
    v = pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce").dropna().to_numpy(dtype=float)
    if len(v) == 0:
        return LayerStyle((NO_DATA_COLOUR,), ("no data",), title, "", NUMERIC, upper=(np.inf,))
    qs = np.unique(np.quantile(v, np.linspace(0, 1, classes + 1)[1:]))
    labels = [f"up to {qs[0]:,.4g}", *[f"{a:,.4g} to {b:,.4g}" for a, b in zip(qs[:-1], qs[1:], strict=True)]]
    return LayerStyle(SEQUENTIAL[-len(qs):], tuple(labels), title,
                      "Classes are quintiles of the uploaded values. Darker = higher.", NUMERIC,
                      upper=tuple(float(q) for q in qs))
