"""Maps of a user's uploaded layer (LSOA-keyed values or points counted per LSOA)."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from geo_core20 import areas, atlas, geocode
from geo_core20.maps import classify, plus_maps


def upload_map(vintage: str, level: str, area: str | None, values: pd.Series, title: str, *, basemap: str,
               core20_on: bool, national: pd.Series, points: gpd.GeoDataFrame | None = None,
               point_label: str | None = None, note: str | None = None) -> folium.Map:
    """``values`` (one per LSOA of the area, atlas order) classed by quantiles of the whole layer
    (``national``), or as counts when ``points`` are given; ``note`` replaces the classes' own note."""
    sub = atlas.load_atlas(vintage)
    sub = sub[areas.mask(sub, level, area).to_numpy()]
    style = plus_maps.count_style(title) if points is not None else plus_maps.quantile_style(national, title)
    placed = geocode.LSOA_ASSIGNMENT_NOTE if points is not None else ""
    lgd = classify.legend(style.title, style.colours, style.labels, style.counts(values), core20=core20_on,
                          notes=(note or style.note, placed))
    props = plus_maps.lsoa_props(sub, value=["" if pd.isna(x) else f"{x:,.4g}" for x in values])
    return plus_maps.area_map(vintage, level, area, basemap, core20_on, props, style.index(values),
                              style.colours, [("code", "LSOA"), ("name", "Name"), ("value", "Value")],
                              name=title, lgd=lgd, points=points, point_label=point_label)
