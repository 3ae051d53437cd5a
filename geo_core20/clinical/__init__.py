"""The "5" of Core20PLUS5: clinical focus areas, practice-to-LSOA QOF estimates, accelerator presets.

Public API (see each module): FOCI, focus_population, focus_summary, focus_compare, focus_layer,
UnknownFocus, ACCELERATORS, build_clinical, load_clinical.
"""

from geo_core20.clinical.accelerators import ACCELERATORS, Accelerator, get_accelerator, key_numbers
from geo_core20.clinical.cache import build_clinical, build_report, load_clinical
from geo_core20.clinical.focus import (
    ADULT_FOCUS_IDS,
    CYP_FOCUS_IDS,
    CYP_PLUS_GROUPS,
    DEFAULT_LAYER,
    FAMILIES,
    FOCI,
    FOCUS_IDS,
    LAYERS,
    SUMMARY_COLUMNS,
    Focus,
    MapLayer,
    attribution,
    cdc_distance_km,
    check_focus,
    focus_compare,
    focus_layer,
    focus_layers,
    focus_population,
    focus_summary,
    parse_focus,
)
from geo_core20.errors import UnknownFocus

__all__ = [
    "ADULT_FOCUS_IDS", "CYP_FOCUS_IDS", "CYP_PLUS_GROUPS", "FAMILIES",
    "ACCELERATORS", "DEFAULT_LAYER", "FOCI", "FOCUS_IDS", "LAYERS", "SUMMARY_COLUMNS", "Accelerator", "Focus",
    "MapLayer", "UnknownFocus", "attribution", "build_clinical", "build_report", "cdc_distance_km",
    "check_focus",
    "focus_compare", "focus_layer", "focus_layers", "focus_population", "focus_summary", "get_accelerator",
    "key_numbers", "load_clinical", "parse_focus",
]
