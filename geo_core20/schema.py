"""Canonical column names of the LSOA atlas and the sites table.

Every module reads and writes these names, so a rename happens here once.
"""

from __future__ import annotations

DEFAULT_VINTAGE = "2025"
"""The vintage every page, share link, command and API call opens with: IoD2025 on LSOA 2021."""
LSOA21_VINTAGE, LSOA11_VINTAGE = "2025", "2019"
"""The vintage whose atlas is keyed by LSOA 2021 codes (uploads, points, Census data) / by 2011 codes."""
VINTAGES = (DEFAULT_VINTAGE, LSOA11_VINTAGE)
"""IMD vintages: IoD2025 on LSOA 2021 (primary) and IMD2019 on LSOA 2011."""

LSOA_YEAR = {"2025": "2021", "2019": "2011"}
LSOA_COUNT = {"2025": 33_755, "2019": 32_844}
IMD_LABEL = {"2025": "IoD2025 (LSOA 2021)", "2019": "IMD2019 (LSOA 2011)"}

# Words that recur: said once here, shown the same on every page, export and command.
CORE20_DECILES = "IMD deciles 1-2"
CORE20_RULE = f"national {CORE20_DECILES}"
"""Which LSOAs are Core20, in brief (legends, labels)."""
CORE20_IN_BRIEF = f"the most deprived 20% of LSOAs in England ({CORE20_RULE})"
CORE20_DEFINITION = f"Core20 = {CORE20_IN_BRIEF}, never re-ranked locally."
"""The one definition of Core20 (page captions, help texts, indicator notes)."""
CORE20_LSOAS = f"Core20 LSOAs ({CORE20_RULE})"
TARGET_LABELS = {"core20": CORE20_LSOAS, "all": "All LSOAs"}
"""The target bases (Core20PLUS target builder, outreach planner, plan descriptions)."""

# Geography levels, smallest last. `england` is the whole country.
LEVELS = ("england", "region", "nhs_region", "icb", "sub_icb", "lad")
LEVEL_LABEL = {
    "england": "England",
    "region": "ONS region",
    "nhs_region": "NHS region",
    "icb": "ICB",
    "sub_icb": "Sub-ICB location",
    "lad": "Local authority",
}
# code/name columns of each level in the atlas
LEVEL_COLUMNS = {
    "region": ("region_code", "region_name"),
    "nhs_region": ("nhs_region_code", "nhs_region_name"),
    "icb": ("icb_code", "icb_name"),
    "sub_icb": ("sub_icb_code", "sub_icb_name"),
    "lad": ("lad_code", "lad_name"),
}
ENGLAND_CODE = "E92000001"

LSOA_CODE = "lsoa_code"
LSOA_NAME = "lsoa_name"
WARD_NAME = "ward_name"  # May 2024 electoral ward (explorer table; not an atlas column)
IMD_SCORE = "imd_score"
IMD_RANK = "imd_rank"
IMD_DECILE = "imd_decile"
CORE20 = "core20"
POPULATION = "population"
COASTAL = "coastal"
PWC_LON, PWC_LAT = "pwc_lon", "pwc_lat"
PWC_EASTING, PWC_NORTHING = "pwc_easting", "pwc_northing"

# The seven IoD domains: canonical stem -> label. Atlas has `<stem>_decile`.
DOMAINS = {
    "income": "Income",
    "employment": "Employment",
    "education": "Education, skills and training",
    "health": "Health deprivation and disability",
    "crime": "Crime",
    "barriers": "Barriers to housing and services",
    "environment": "Living environment",
}
DOMAIN_DECILES = tuple(f"{d}_decile" for d in DOMAINS)

# Census 2021 broad ethnic groups (LSOA 2021 atlas only): column -> label
ETHNIC_GROUPS = {
    "ethnic_asian": "Asian, Asian British or Asian Welsh",
    "ethnic_black": "Black, Black British, Black Welsh, Caribbean or African",
    "ethnic_mixed": "Mixed or Multiple ethnic groups",
    "ethnic_white": "White",
    "ethnic_other": "Other ethnic group",
}
ETHNIC_MINORITY = "ethnic_minority"  # 1 - ethnic_white (see PLUS labelling caveats)

ATLAS_COLUMNS = (
    LSOA_CODE, LSOA_NAME,
    "lad_code", "lad_name", "sub_icb_code", "sub_icb_name", "icb_code", "icb_name",
    "nhs_region_code", "nhs_region_name", "region_code", "region_name",
    IMD_SCORE, IMD_RANK, IMD_DECILE, *DOMAIN_DECILES, CORE20,
    POPULATION, "ruc_class", COASTAL,
    PWC_LON, PWC_LAT, PWC_EASTING, PWC_NORTHING,
)
"""Columns present in every atlas (plus `geometry`, EPSG:4326). The 2021 atlas also
has the ETHNIC_GROUPS shares and ETHNIC_MINORITY."""

# Sites table (all vintages)
SITE_TYPES = {
    "gp": "GP practice",
    "pharmacy": "Pharmacy",
    "cdc": "Community diagnostic centre",
    "hospital": "Hospital",
}
SITE_COLUMNS = ("site_code", "site_name", "site_type", "postcode", "lon", "lat",
                "easting", "northing", "icb_code", "address", "town")
"""The sites table's columns; ``address`` (street lines) and ``town`` are '' where not published."""

CRS_WGS84 = "EPSG:4326"
CRS_BNG = "EPSG:27700"
