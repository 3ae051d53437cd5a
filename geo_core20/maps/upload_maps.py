"""Maps of a user's uploaded layer (LSOA-keyed values or points counted per LSOA), drawn by the one
LSOA layer renderer (``maps.lsoa_layer``): every LSOA with uploaded data is marked by a dot too."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo_core20 import geocode
from geo_core20.maps import classify, lsoa_layer, plus_maps, view


def upload_map(vintage: str, level: str, area: str | None, values: pd.Series, title: str, *, basemap: str,
               core20_on: bool, national: pd.Series, points: gpd.GeoDataFrame | None = None,
               point_label: str | None = None, note: str | None = None,
               style: classify.Classes | None = None) -> folium.Map:
    """``values`` (one per LSOA of the area, atlas order) classed by quantiles of the whole layer
    (``national``), or as counts when ``points`` are given; ``note`` replaces the classes' own note.
    LSOAs with a value (with at least one point) are marked."""
    vd = view.view_data(vintage, level, area)
    if style is None:  # a given style (e.g. a clinical focus's, plus_maps.focus_style) is kept
        style = (plus_maps.count_style(title) if points is not None
                 else plus_maps.quantile_style(national, title))
    placed = geocode.LSOA_ASSIGNMENT_NOTE if points is not None else ""
    numbers = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce")
    uploaded = (numbers > 0 if points is not None else numbers.notna()).to_numpy()
    lgd = classify.legend(style.title, style.colours, style.labels, style.counts(values), core20=core20_on,
                          notes=(note or style.note, placed,
                                 lsoa_layer.FLAG_NOTE.format(what="LSOA with uploaded data")))
    props = plus_maps.lsoa_props(vd.frame, value=["" if pd.isna(x) else f"{x:,.4g}" for x in values])
    return lsoa_layer.lsoa_map(vd, props, style.find_bin(values), style.colours,
                               [("code", "LSOA"), ("name", "Name"), ("value", "Value")], name=title,
                               legend=lgd, basemap=basemap, core20_on=core20_on, points=points,
                               point_label=point_label, flagged=uploaded)
