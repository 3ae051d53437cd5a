"""The PLUS indicator registry: what each layer measures, at what geography, from which data.

Every indicator says the geography it is published at. LSOA indicators are joined on LSOA
code; MSOA and local-authority (LAD) indicators stay at their own level and are never
copied onto LSOAs as if they were local (`area_layer` returns MSOA or LAD polygons).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_core20 import schema, sources
from geo_core20.errors import DataError
from geo_core20.plus import inputs
from geo_core20.plus.coastal import COAST_DISTANCE_NOTE, COASTAL_DEFINITION, coast_distance_km, coastal_core20

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
    "outside the White broad group) excludes those groups. Gypsy or Irish Traveller and Roma counts "
    "are published per LSOA in Census 2021 TS021 (the LSOA layers, after the optional download) and "
    "per local authority (the local-authority layers)."
)


def is_rural(ruc_class: pd.Series) -> pd.Series:
    """Rural under either RUC: 2021 'Larger/Smaller rural: ...', 2011 'Rural town/village ...'."""
    text = ruc_class.astype("string").str.lower()
    return (text.str.contains("rural") & ~text.str.startswith("urban")).fillna(False).astype(bool)


def msoa_codes(atlas: pd.DataFrame) -> pd.Series:
    """MSOA 2021 code of each LSOA 2021 (LSOA names are the MSOA name plus a letter)."""
    names = inputs.msoa_boundaries().set_index("area_name")["area_code"]
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
    vintages: tuple[str, ...] = (schema.LSOA21_VINTAGE,)
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
        table = inputs.iod_indicators()
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
    return inputs.census_share("census21_disability", "disability", ("Disabled under the Equality Act",))


def _hh_deprived() -> pd.Series:
    return inputs.census_share("census21_household_deprivation", "deprivation_dimensions",
                         ("Household is deprived in two dimensions",
                          "Household is deprived in three dimensions",
                          "Household is deprived in four dimensions"))


def _overcrowded() -> pd.Series:
    return inputs.census_share("census21_overcrowding", "occupancy_rating",
                         ("-1 (overcrowded)", "-2 or less (overcrowded)"))


def _english() -> pd.Series:
    t = inputs.msoa_table("census21_proficiency_msoa")
    col = "Proportion who cannot speak English (well)"
    if col not in t.columns:
        raise DataError(f"census21_proficiency_msoa: no column {col!r}")
    return 100 * t[col].astype(float)


def _migration(column: str) -> Callable[[], pd.Series]:
    def fn() -> pd.Series:
        t = inputs.msoa_table("census21_migration_msoa")
        if column not in t.columns:
            raise DataError(f"census21_migration_msoa: no column {column!r}")
        return 100 * t[column].astype(float)
    return fn


def _ethnic_lad(column: str) -> Callable[[], pd.Series]:
    return lambda: inputs.ethnicity_lad()[column]


def _tlhc(kind: str) -> Loader:
    def load(atlas: pd.DataFrame) -> pd.Series:
        from geo_core20 import tlhc
        from geo_core20.clinical import cache

        names = tlhc.in_project(atlas, cache.infer_vintage(atlas[schema.LSOA_CODE]))
        return (names != "") if kind == FLAG else names.replace("", np.nan)
    return load


TLHC_NOTE = ("Targeted Lung Health Check projects (The Strategy Unit's evaluation: 45 projects, phases "
             "Original, Onboarded and Phase 3, 2018-2023), mapped from their CCG (April 2019) codes onto "
             "2011 LSOAs (IoD2025: a 2021 LSOA is inside when any 2011 LSOA it came from is). A project's "
             "area is its commissioning area: not every LSOA in it was invited. One project (SWAG, a "
             "cancer alliance) cannot be mapped.")


def _ethnic_lsoa(column: str) -> Callable[[], pd.Series]:
    return lambda: inputs.ethnicity_lsoa_detailed()[column]


LAD_OF_LSOA_NOTE = ("Shown on local-authority boundaries from the local-authority table in the offline "
                    "mirror, so it says nothing about variation between LSOAs inside an authority; the "
                    "same Census table is published per LSOA (the LSOA layers, after the optional "
                    "download).")
TS021_LSOA_NOTE = ("Census 2021 TS021 per LSOA, an optional input: `python -m geo_core20 data fetch --only "
                   "census21_ethnicity_detailed` downloads it from nomis when online (it is not in the "
                   "offline mirror). Census counts are widely thought to undercount these communities.")


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
                  _rural, kind=FLAG, vintages=schema.VINTAGES, group="Place"),
        Indicator("ruc_class", "Rural-urban classification", "", LSOA, ("ruc21", "ruc11"),
                  "ONS Rural-Urban Classification of the LSOA vintage (2021 or 2011 classes).",
                  _atlas_column("ruc_class"), kind=CATEGORY, vintages=schema.VINTAGES, group="Place"),
        Indicator("coastal", "Coastal community (G_25_5)", "", LSOA, ("coastal_lsoa21", "coastal_lsoa11"),
                  COASTAL_DEFINITION, _atlas_column(schema.COASTAL), kind=FLAG, vintages=schema.VINTAGES,
                  group="Coastal"),
        Indicator("coastal_core20", f"Coastal Core20 (coastal and {schema.CORE20_RULE})", "", LSOA,
                  ("coastal_lsoa21", "coastal_lsoa11", "iod2025", "imd2019"),
                  f"{COASTAL_DEFINITION} {schema.CORE20_DEFINITION}",
                  coastal_core20, kind=FLAG, vintages=schema.VINTAGES, group="Coastal"),
        Indicator("coast_distance_km", "Distance to the coastline", "km", LSOA, ("coastline_england",),
                  COAST_DISTANCE_NOTE, coast_distance_km, vintages=schema.VINTAGES,
                  higher_means="further inland", group="Coastal"),
        Indicator("imd_score", "Index of Multiple Deprivation score", "score", LSOA, ("iod2025", "imd2019"),
                  "IMD score of the atlas vintage (IoD2025 or IMD2019); higher = more deprived.",
                  _atlas_column(schema.IMD_SCORE), vintages=schema.VINTAGES, higher_means="more deprived",
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
        Indicator("tlhc_area", "Inside a targeted lung health check project area", "", LSOA,
                  ("tlhc_projects", "tlhc_lsoa11_ccg19", "lookup_lsoa11_lsoa21"), TLHC_NOTE, _tlhc(FLAG),
                  kind=FLAG, vintages=schema.VINTAGES, group="Lung health checks"),
        Indicator("tlhc_project", "Targeted lung health check project", "", LSOA,
                  ("tlhc_projects", "tlhc_lsoa11_ccg19", "lookup_lsoa11_lsoa21"), TLHC_NOTE, _tlhc(CATEGORY),
                  kind=CATEGORY, vintages=schema.VINTAGES, group="Lung health checks"),
        Indicator("grt_lsoa_count", "Gypsy or Irish Traveller residents", "people", LSOA,
                  (inputs.GRT_LSOA_DATASET,),
                  "Census 2021 detailed ethnic group 'White: Gypsy or Irish Traveller'. " + TS021_LSOA_NOTE,
                  _by_lsoa_code(_ethnic_lsoa("grt_count")), group="Inclusion groups (LSOA)"),
        Indicator("grt_lsoa_pct", "Gypsy or Irish Traveller residents", "% of residents", LSOA,
                  (inputs.GRT_LSOA_DATASET,),
                  "Census 2021 detailed ethnic group 'White: Gypsy or Irish Traveller' as a share of all "
                  "usual residents. " + TS021_LSOA_NOTE,
                  _by_lsoa_code(_ethnic_lsoa("grt_pct")), group="Inclusion groups (LSOA)"),
        Indicator("roma_lsoa_count", "Roma residents", "people", LSOA, (inputs.GRT_LSOA_DATASET,),
                  "Census 2021 detailed ethnic group 'White: Roma'. " + TS021_LSOA_NOTE,
                  _by_lsoa_code(_ethnic_lsoa("roma_count")), group="Inclusion groups (LSOA)"),
        Indicator("roma_lsoa_pct", "Roma residents", "% of residents", LSOA, (inputs.GRT_LSOA_DATASET,),
                  "Census 2021 detailed ethnic group 'White: Roma' as a share of all usual residents. "
                  + TS021_LSOA_NOTE,
                  _by_lsoa_code(_ethnic_lsoa("roma_pct")), group="Inclusion groups (LSOA)"),
        Indicator("grt_count", "Gypsy or Irish Traveller residents", "people", LAD,
                  ("census21_ethnicity_lad", "lad24_boundaries"),
                  "Census 2021 detailed ethnic group 'White: Gypsy or Irish Traveller'; Census counts are "
                  "widely thought to undercount these communities. " + LAD_OF_LSOA_NOTE,
                  _area_table(_ethnic_lad("grt_count")), group="Inclusion groups (local authority)"),
        Indicator("grt_pct", "Gypsy or Irish Traveller residents", "% of residents", LAD,
                  ("census21_ethnicity_lad", "lad24_boundaries"),
                  "Census 2021 detailed ethnic group 'White: Gypsy or Irish Traveller' as a share of all "
                  "usual residents, recomputed from counts (the published percentages are rounded to 0.0 for "
                  "most authorities); Census counts are widely thought to undercount these communities. "
                  + LAD_OF_LSOA_NOTE,
                  _area_table(_ethnic_lad("grt_pct")), group="Inclusion groups (local authority)"),
        Indicator("roma_count", "Roma residents", "people", LAD,
                  ("census21_ethnicity_lad", "lad24_boundaries"),
                  "Census 2021 detailed ethnic group 'White: Roma'; likely undercounted. " + LAD_OF_LSOA_NOTE,
                  _area_table(_ethnic_lad("roma_count")), group="Inclusion groups (local authority)"),
        Indicator("roma_pct", "Roma residents", "% of residents", LAD,
                  ("census21_ethnicity_lad", "lad24_boundaries"),
                  "Census 2021 detailed ethnic group 'White: Roma' as a share of all usual residents, "
                  "recomputed from counts; likely undercounted. " + LAD_OF_LSOA_NOTE,
                  _area_table(_ethnic_lad("roma_pct")), group="Inclusion groups (local authority)"),
        Indicator("homeless_per_1000", "Households assessed as homeless", "per 1,000 households", LAD,
                  ("homelessness_lad", "lad24_boundaries"),
                  "Statutory homelessness, Oct-Dec 2023 (owed a prevention or relief duty). Some authorities "
                  "did not report. " + LEVEL_NOTE[LAD],
                  _area_table(lambda: inputs.lad_csv("homelessness_lad", "ltla23_code",
                                               "Households assessed as homeless per (000s)")),
                  higher_means="more homelessness", group="Inclusion groups (local authority)"),
        Indicator("temp_accommodation_per_1000", "Households in temporary accommodation",
                  "per 1,000 households", LAD, ("homelessness_lad", "lad24_boundaries"),
                  "Statutory homelessness, end of December 2023. Some authorities did not report. "
                  + LEVEL_NOTE[LAD],
                  _area_table(lambda: inputs.lad_csv("homelessness_lad", "ltla23_code",
                                               "Households in temporary accommodation per 1,000")),
                  higher_means="more homelessness", group="Inclusion groups (local authority)"),
        Indicator("patients_per_gp", "Registered patients per GP (FTE)", "patients", LAD,
                  ("gp_patients_lad", "lad24_boundaries"),
                  "Patients registered at practices in the authority divided by their GP full-time "
                  "equivalents. " + LEVEL_NOTE[LAD],
                  _area_table(lambda: inputs.lad_csv("gp_patients_lad", "ltla24_code", "patients_per_gp")),
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


def missing_input(indicator_id: str) -> str | None:
    """None when an indicator's optional inputs are here; else how to get the first one that is not
    (an optional input, e.g. TS021 per LSOA, is absent offline: the page says so and carries on)."""
    for dataset_id in get(indicator_id).sources:
        if not sources.get(dataset_id).optional:
            continue
        try:
            inputs.input_path(dataset_id)
        except DataError as exc:
            return str(exc)
    return None


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
    bounds = inputs.msoa_boundaries() if ind.level == MSOA else inputs.lad_boundaries()
    layer = bounds[bounds["area_code"].isin(set(vals.index))].copy()
    layer["value"] = layer["area_code"].map(vals).astype(float)
    return layer[["area_code", "area_name", "value", "geometry"]].reset_index(drop=True)


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


DATASETS = ("coastal_lsoa21", "coastline_england", "census21_ethnicity", "census21_disability",
            "census21_household_deprivation", "census21_overcrowding", "iod2025_indicators",
            "census21_proficiency_msoa", "census21_migration_msoa", "census21_ethnicity_lad",
            "census21_ethnicity_detailed", "tlhc_projects", "tlhc_lsoa11_ccg19",
            "homelessness_lad", "gp_patients_lad", "msoa21_boundaries", "lad24_boundaries",
            "lookup_lsoa11_lsoa21", "codepoint_open")
"""Every input the PLUS layers read (their attribution goes with PLUS exports)."""
