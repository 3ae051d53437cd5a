"""Core20 then and now on a map (no Streamlit): each 2021 LSOA of a view classed entered / left /
stayed / not comparable / neither (``geo_core20.change``), drawn by the one LSOA layer renderer.

The classes' colours are ``palette.CHANGE_COLOURS``: entered in vermillion, left in blue, stayed in
the darkest viridis (the most deprived colour of the explorer), not comparable in grey, neither in
near-white.
"""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd

from geo_core20 import change, schema
from geo_core20.maps import classify, lsoa_layer, palette, plus_maps, view

STATUS_COLOURS: dict[str, str] = {s: palette.CHANGE_COLOURS[s] for s in change.STATUS}
KINDS = {"core20": ("status", "Core20"), "decile1": ("decile1_status", "the most deprived decile")}
TITLE = "Core20 then and now: IMD2019 to IoD2025"
DECILE1_TITLE = "Most deprived decile then and now: IMD2019 to IoD2025"
MAP_ATTRIBUTION = ("English Indices of Deprivation 2019 and 2025, MHCLG (OGL v3)",
                   "ONS (OGL v3), LSOA 2011 to 2021 lookup; contains OS data © Crown copyright and database "
                   "right 2021", "NHS England (OGL v3)")
COMPARABLE_NOTE = ("Each LSOA 2021 takes its 2011 LSOA's IMD2019 status when unchanged, split, or merged "
                   "from 2011 LSOAs of one status; irregular changes and merges of mixed status are not "
                   "comparable (grey).")


def status_labels(kind: str = "core20") -> tuple[str, ...]:
    """The legend labels of the classes (``change.STATUS`` order)."""
    if kind == "core20":
        return tuple(change.STATUS_LABEL[s] for s in change.STATUS)
    return tuple(change.STATUS_LABEL[s].replace("Core20", "decile 1") for s in change.STATUS)


def classes(kind: str = "core20") -> classify.Classes:
    """Fixed categorical classes of the statuses (for print legends: values are class indexes)."""
    n = len(change.STATUS)
    return classify.fixed(tuple(i + 0.5 for i in range(n - 1)) + (np.inf,),
                          tuple(STATUS_COLOURS[s] for s in change.STATUS), status_labels(kind),
                          title=TITLE if kind == "core20" else DECILE1_TITLE, note=COMPARABLE_NOTE)


def status_index(frame: pd.DataFrame, codes: pd.Series, kind: str = "core20") -> np.ndarray:
    """The class index (``change.STATUS`` order) of each LSOA code in ``codes`` (-1 when unknown)."""
    column = KINDS[kind][0]
    status = codes.map(frame.set_index(schema.LSOA_CODE)[column])
    return pd.Categorical(status, categories=list(change.STATUS)).codes.astype(int)


def change_map(level: str, area: str | None, basemap: str = "none", core20_on: bool = True,
               kind: str = "core20") -> folium.Map:
    """The interactive change map of an area (2025 areas and LSOAs 2021)."""
    vd = view.view_data(change.NEW, level, area)
    frame = change.area_frame(level, area)
    idx = status_index(frame, vd.frame[schema.LSOA_CODE], kind)
    style = classes(kind)
    colours = list(style.colours)
    counts = [int((idx == i).sum()) for i in range(len(colours))]
    lgd = classify.legend(style.title, colours, list(style.labels), counts,
                          notes=(COMPARABLE_NOTE, change.CAVEAT,
                                 lsoa_layer.FLAG_NOTE.format(what="LSOA that entered or left")),
                          core20=core20_on, area_name=vd.area_name if level != "england" else "")
    labels = np.asarray(style.labels, dtype=object)
    props = plus_maps.lsoa_props(vd.frame, status=[labels[i] if i >= 0 else "" for i in idx])
    moved = np.isin(idx, [0, 1])
    return lsoa_layer.lsoa_map(vd, props, idx, colours,
                               [("code", "LSOA"), ("name", "Name"), ("status", "2019 to 2025")],
                               name=style.title, legend=lgd, basemap=basemap, core20_on=core20_on,
                               flagged=moved, attribution=list(MAP_ATTRIBUTION))
