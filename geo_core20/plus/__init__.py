"""PLUS layers beside Core20: indicators with honest labels, coastal communities, and the
Core20PLUS target builder.

- ``inputs``: readers of the input files (Census, IoD2025 indicators, boundaries, coastline);
- ``registry``: the indicator registry (``INDICATORS``, ``get``, ``values``, ``area_layer``);
- ``coastal``: coastal flag, coastal Core20, distance to the coast, per-area summaries;
- ``target``: ``Condition``, ``TargetSpec``, ``evaluate`` -> ``TargetResult``.

Map classes and colours live in ``geo_core20.maps`` (``plus_maps.layer_style``...); this core
package never imports the map code.
"""

from __future__ import annotations

from geo_core20.errors import TargetError
from geo_core20.plus import coastal, inputs, registry, target
from geo_core20.plus.coastal import (
    COAST_DISTANCE_NOTE,
    COASTAL_DEFINITION,
    coast_distance_km,
    coastal_core20,
    coastal_summary,
)
from geo_core20.plus.registry import (
    CATEGORY,
    CENSUS,
    DATASETS,
    FLAG,
    INDICATORS,
    IOD_CAVEAT,
    IOD_EXCLUDED_COUNTS,
    IOD_LA_LEVEL_COLUMNS,
    IOD_LSOA_INDICATORS,
    LAD,
    LEVEL_NOTE,
    LEVEL_TEXT,
    LSOA,
    MSOA,
    NUMERIC,
    WHITE_CAVEAT,
    Indicator,
    area_codes,
    area_layer,
    format_value,
    get,
    indicators,
    is_rural,
    lsoa_view,
    missing_input,
    msoa_codes,
    values,
)
from geo_core20.plus.target import (
    BASES,
    COMBINES,
    CONDITION_KINDS,
    CONFIDENCES,
    MAX_CONDITIONS,
    OPS,
    QUERY_KEYS,
    Condition,
    TargetResult,
    TargetSpec,
    evaluate,
    parse_condition,
    summarise,
    target_frame,
    upload_condition,
)

__all__ = [
    "BASES", "CATEGORY", "CENSUS", "DATASETS", "COASTAL_DEFINITION", "COAST_DISTANCE_NOTE", "COMBINES",
    "CONDITION_KINDS", "CONFIDENCES", "FLAG", "INDICATORS", "IOD_CAVEAT", "IOD_EXCLUDED_COUNTS",
    "IOD_LA_LEVEL_COLUMNS", "IOD_LSOA_INDICATORS", "LAD", "LEVEL_NOTE", "LEVEL_TEXT", "LSOA",
    "MAX_CONDITIONS", "MSOA", "NUMERIC", "OPS", "QUERY_KEYS", "WHITE_CAVEAT", "Condition", "Indicator",
    "TargetError", "TargetResult", "TargetSpec", "area_codes", "area_layer", "coast_distance_km",
    "coastal", "coastal_core20", "coastal_summary", "evaluate", "format_value", "get", "indicators",
    "inputs", "is_rural", "registry", "lsoa_view", "missing_input", "msoa_codes", "parse_condition",
    "summarise", "target",
    "target_frame", "upload_condition", "values",
]
