"""The one LSOA layer renderer of the outreach, PLUS and upload maps (no Streamlit).

The explorer draws every extent with the national canvas renderer (``maps.national``); every
other page's map of an area is drawn here, from the view record (``maps.view.ViewData``: the
area's LSOAs with display geometry, boundary, name and bounds): polygons filled by class on one
canvas layer with escaped tooltips, the thin Core20 outline, the area boundary, optionally the
areas of one class outlined in their colour, uploaded points, and **flag markers**.

Flag markers keep the LSOAs a map is about (target LSOAs, hot and cold spots, LSOAs with
uploaded data) visible at any zoom: an urban LSOA is a few hundred metres across, a pixel or
two at ICB zoom, so each flagged LSOA also gets a small circle at its population-weighted
centre, in its class colour with a dark rim, above every outline (CSS class ``FLAG_CLASS``).

    vd = view.view_data("2025", "icb", "E54000036")
    m = lsoa_layer.lsoa_map(vd, props, classes, colours, rows, name="Core20PLUS target",
                            legend=lgd, basemap="none", core20_on=True, flagged=classes == 0)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from geo_core20 import schema
from geo_core20.maps import choropleth, classify, palette, view
from geo_core20.maps.view import ViewData
from geo_core20.safety import escape_html

SVG_MAX = 2_500  # above this many polygons, simplify harder (canvas layer either way)
MAX_POINT_MARKERS = 2_000
MAX_FLAG_MARKERS = 2_000  # beyond this many flagged LSOAs, the smallest (the hardest to see) get one
FILL_OPACITY = 0.8
AREA_WEIGHT = 2.0  # px: the chosen area's boundary (3 px hid coastal LSOAs along the coastline)
HIGHLIGHT_WEIGHT = 3.0  # px: the outline that keeps small areas of one class visible
FLAG_CLASS = "gc20-flag"  # CSS class of the flag markers (browser tests find them with elementFromPoint)
FLAG_PANE = "gc20-flags"  # above outlines (overlay pane 400) and below tooltips and popups
FLAG_RADIUS = 5.0  # px
FLAG_RIM = palette.FLAG_RIM
FLAG_NOTE = "Each {what} is also marked by a dot at its population-weighted centre, so small ones show."
TooltipRows = Sequence[tuple[str, str]]


class FlagMarkers(MacroElement):
    """Circle markers (SVG, own pane) at flagged LSOAs' centres, coloured by class, with tooltips.

    One compact array ``[lat, lon, class, tooltip]`` per marker, built into markers in the browser.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            if (!map.getPane({{ this.pane_js }})) {
                map.createPane({{ this.pane_js }}).style.zIndex = 450;
            }
            var fills = {{ this.fills_js }}, svg = L.svg({pane: {{ this.pane_js }}});
            var group = L.layerGroup();
            {{ this.data_js }}.forEach(function (d) {
                new L.CircleMarker([d[0], d[1]], {pane: {{ this.pane_js }}, renderer: svg,
                    radius: {{ this.radius }}, color: {{ this.rim_js }}, weight: 1.5, opacity: 1, fill: true,
                    fillColor: fills[d[2]], fillOpacity: 1, className: {{ this.class_js }}})
                    .bindTooltip(d[3], {direction: 'top', className: 'gc20-tooltip'}).addTo(group);
            });
            group.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, lat: Sequence[float], lon: Sequence[float], klass: Sequence[int], tips: Sequence[str],
                 fills: Sequence[str]):
        super().__init__()
        self._name = "FlagMarkers"
        rows = [[round(float(a), 5), round(float(o), 5), int(c), str(t)]
                for a, o, c, t in zip(lat, lon, klass, tips, strict=True)]
        self.count = len(rows)
        self.data_js = json.dumps(rows, separators=(",", ":")).replace("</", "<\\/")
        self.fills_js = json.dumps(list(fills))
        self.pane_js = json.dumps(FLAG_PANE)
        self.class_js = json.dumps(FLAG_CLASS)
        self.radius = float(FLAG_RADIUS)
        self.rim_js = json.dumps(FLAG_RIM)


@lru_cache(maxsize=32)
def core20_geometry(vd: ViewData) -> shapely.Geometry | None:
    """A view's Core20 outline, cached per record: dissolved from the full geometry (display
    geometry leaves slivers) up to SVG_MAX LSOAs, from the display geometry and simplified harder above."""
    if len(vd.frame) > SVG_MAX:
        geom = choropleth.core20_outline(vd.frame)
        return None if geom is None else shapely.simplify(geom, 0.0008)
    return choropleth.core20_outline(vd.frame, vd.national.geometry.loc[vd.frame.index].values)


def flag_markers(vd: ViewData, flagged: np.ndarray, classes: np.ndarray,
                 colours: Sequence[str]) -> FlagMarkers | None:
    """Markers at the flagged LSOAs of a view (None when none is flagged); the smallest first when
    there are more than MAX_FLAG_MARKERS."""
    rows = np.flatnonzero(np.asarray(flagged, dtype=bool))
    if not len(rows):
        return None
    if len(rows) > MAX_FLAG_MARKERS:
        area = shapely.area(np.asarray(vd.frame.geometry.values)[rows])
        rows = rows[np.argsort(area, kind="stable")[:MAX_FLAG_MARKERS]]
    f = vd.frame.iloc[rows]
    tips = [f"{escape_html(c)} {escape_html(n)}" for c, n in zip(f[schema.LSOA_CODE], f[schema.LSOA_NAME],
                                                                  strict=True)]
    return FlagMarkers(f[schema.PWC_LAT], f[schema.PWC_LON], np.asarray(classes)[rows], tips, colours)


def lsoa_map(vd: ViewData, props: pd.DataFrame, classes: np.ndarray, colours: Sequence[str],
             rows: TooltipRows, *, name: str, legend: classify.Legend, basemap: str, core20_on: bool,
             geoms: np.ndarray | None = None, fill_opacity: float = FILL_OPACITY,
             flagged: np.ndarray | None = None, highlight_class: int | None = None,
             points: gpd.GeoDataFrame | None = None, point_label: str | None = None,
             attribution: Sequence[str] | None = None, finish: bool = True) -> folium.Map:
    """The view's LSOAs (or ``geoms``: MSOA or local authority polygons) filled by class on one
    canvas, escaped tooltips, Core20 outline and area boundary; ``legend`` kept with the map for
    the page (``choropleth.legend_of``) when ``finish`` (otherwise the caller adds its layers and
    calls ``choropleth.finish_map``).

    ``props`` must already be escaped (see ``plus_maps.lsoa_props``); point labels are escaped here.
    ``flagged`` (one bool per LSOA of the view): LSOAs marked by a dot at their centre.
    ``highlight_class``: the areas of that class are also outlined in its colour, above the
    Core20 outline and the area's boundary. ``attribution``: the map corner's notices (default:
    the vintage's, ``view.map_attribution``).
    """
    geoms = np.asarray(vd.frame.geometry.values if geoms is None else geoms)
    big = len(geoms) > SVG_MAX
    if big:
        geoms = shapely.simplify(geoms, 0.0015 if len(geoms) > 15_000 else 0.0004, preserve_topology=True)
    bounds = choropleth.total_bounds(geoms)
    m = choropleth.base_map(bounds, basemap,
                            view.map_attribution(vd.vintage) if attribution is None else attribution)
    data_props = props.copy()
    data_props["c"] = np.asarray(classes, dtype=int)
    decimals = 3 if len(geoms) > 15_000 else 4 if big else 5
    data = choropleth.feature_collection(geoms, data_props, decimals=decimals)
    choropleth.ClassedLsoaLayer(data, list(colours), rows, name=name, bounds=bounds,
                                edge_weight=0.0 if big else 0.4, fill_opacity=fill_opacity).add_to(m)
    if core20_on:
        choropleth.add_core20_outline(m, core20_geometry(vd))
    if vd.boundary is not None:
        choropleth.add_outline(m, shapely.simplify(vd.boundary, 0.0003), name=f"{vd.area_name} boundary",
                               colour=palette.AREA_LINE, weight=AREA_WEIGHT, decimals=4, shareable=True)
    # last of the outlines: the highlighted areas (coastal targets) stay above the area's coastline
    chosen = np.asarray(classes) == highlight_class
    if highlight_class is not None and chosen.any():
        choropleth.add_outline(m, choropleth.dissolve(geoms[chosen]), name=f"{name}: outlined",
                               colour=colours[highlight_class], weight=HIGHLIGHT_WEIGHT, decimals=5,
                               shareable=True)  # a file per layer: the websocket carries no polygon
    if points is not None and len(points):
        group = folium.FeatureGroup(name=escape_html(f"{name}: points"), show=True)
        for _, p in points.head(MAX_POINT_MARKERS).iterrows():
            label = escape_html(p.get(point_label, "")) if point_label else ""
            tip = f"{label}<br>row {int(p['row'])} · {escape_html(p[schema.LSOA_CODE])}"
            folium.CircleMarker([p["lat"], p["lon"]], radius=4, color=palette.UPLOAD_POINT_EDGE, weight=1,
                                fill=True, fill_color=palette.UPLOAD_POINT_FILL, fill_opacity=0.95,
                                tooltip=tip).add_to(group)
        group.add_to(m)
    if flagged is not None:
        if len(flagged) != len(vd.frame):
            raise ValueError("flagged needs one value per LSOA of the view")
        markers = flag_markers(vd, flagged, classes, colours)
        if markers is not None:
            m.add_child(markers)
    return choropleth.finish_map(m, legend) if finish else m
