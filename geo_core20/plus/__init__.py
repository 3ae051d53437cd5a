"""PLUS layers beside Core20: indicators with honest labels, coastal communities, and the
Core20PLUS target builder.

- ``inputs``: readers of the input files (Census, IoD2025 indicators, boundaries, coastline);
- ``registry``: the indicator registry (``INDICATORS``, ``get``, ``values``, ``area_layer``);
- ``coastal``: coastal flag, coastal Core20, distance to the coast, per-area summaries;
- ``target``: ``Condition``, ``TargetSpec``, ``evaluate`` -> ``TargetResult``.

Map classes and colours live in ``geo_core20.maps`` (``plus_maps.layer_style``...); their old
names here (``plus.layer_style``, ``plus.LayerStyle``, ``plus.export_geojson``...) still
resolve, lazily, so this core package never imports the map code itself.
"""

from __future__ import annotations

import importlib

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
    "inputs", "is_rural", "registry", "lsoa_view", "msoa_codes", "parse_condition", "summarise", "target",
    "target_frame", "upload_condition", "values",
]

# Old names of the map styling that moved to geo_core20.maps: name -> (module, attribute).
_MOVED = {
    "LayerStyle": ("geo_core20.maps.classify", "Classes"),
    "NO_DATA_COLOUR": ("geo_core20.maps.classify", "NO_DATA_COLOUR"),
    "SEQUENTIAL": ("geo_core20.maps.classify", "SEQUENTIAL"),
    "CATEGORY_COLOURS": ("geo_core20.maps.classify", "CATEGORY_COLOURS"),
    "FLAG_COLOURS": ("geo_core20.maps.plus_maps", "FLAG_COLOURS"),
    "TARGET_COLOURS": ("geo_core20.maps.plus_maps", "TARGET_COLOURS"),
    "layer_style": ("geo_core20.maps.plus_maps", "layer_style"),
    "count_style": ("geo_core20.maps.plus_maps", "count_style"),
    "quantile_style": ("geo_core20.maps.plus_maps", "quantile_style"),
    "export_geojson": ("geo_core20.maps.export", "to_geojson"),
}


def __getattr__(name: str) -> object:
    """Resolve the moved map-styling names on first use (the map code imports this package)."""
    if name in _MOVED:
        module, attr = _MOVED[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'geo_core20.plus' has no attribute {name!r}")
