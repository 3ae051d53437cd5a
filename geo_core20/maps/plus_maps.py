"""PLUS layers maps (no Streamlit): indicators, Gi* hot spots, uploaded layers and the target.

Every map is an area's polygons filled by class on one canvas layer, with escaped tooltips,
the Core20 outline, the area boundary and a legend. The atlas and its display geometry come
from ``geo_core20.atlas`` (cached per process); the page caches the finished maps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_core20 import areas, atlas, hotspots, plus, schema
from geo_core20.maps import choropleth, styles
from geo_core20.maps import view as mapview
from geo_core20.safety import escape_html

SVG_MAX = 2_500  # above this many polygons, simplify harder (canvas layer either way)
MAX_POINT_MARKERS = 2_000
TooltipRows = Sequence[tuple[str, str]]


def escaped(values: Iterable) -> list[str]:
    return [escape_html(v) for v in values]


def area_title(vintage: str, level: str, area: str | None) -> str:
    return "England" if level == "england" else areas.area_name(atlas.load_atlas(vintage), level, area)


def area_rows(vintage: str, level: str, area: str | None) -> np.ndarray:
    return areas.mask(atlas.load_atlas(vintage), level, area).to_numpy()


@lru_cache(maxsize=32)
def core20_geometry(vintage: str, level: str, area: str | None) -> shapely.Geometry | None:
    """The area's Core20 outline (simplified harder for large areas); cached per process."""
    view = mapview.view_frame(vintage, level, area)
    geom = choropleth.core20_outline(view)
    if geom is not None and len(view) > SVG_MAX:
        geom = shapely.simplify(geom, 0.0008)
    return geom


def area_boundary(vintage: str, level: str, area: str | None) -> shapely.Geometry | None:
    if level == "england":
        return None
    geom = mapview.level_outlines(vintage, level).get(area)
    return None if geom is None else shapely.simplify(geom, 0.0003)


def legend(title: str, colours: Sequence[str], labels: Sequence[str], counts: Sequence[int] | None = None,
           notes: Sequence[str] = (), core20: bool = False, area_name: str = "") -> styles.Legend:
    """A legend of one entry per class; empty notes are dropped."""
    counts = counts or [None] * len(colours)
    entries = tuple(styles.LegendEntry(c, lab, n) for c, lab, n in zip(colours, labels, counts, strict=True))
    return styles.Legend(title, entries, tuple(n for n in notes if n), core20, area_name)


def polygon_map(geoms: np.ndarray, props: pd.DataFrame, classes: np.ndarray, colours: Sequence[str],
                rows: TooltipRows, *, name: str, lgd: styles.Legend, basemap: str,
                core20: shapely.Geometry | None, boundary: shapely.Geometry | None, boundary_name: str,
                attribution: list[str], points: gpd.GeoDataFrame | None = None,
                point_label: str | None = None) -> folium.Map:
    """Polygons filled by class on one canvas, escaped tooltips, Core20 outline, legend.

    ``props`` must already be escaped (see `lsoa_props`); point labels are escaped here.
    """
    big = len(geoms) > SVG_MAX
    if big:
        geoms = shapely.simplify(geoms, 0.0015 if len(geoms) > 15_000 else 0.0004, preserve_topology=True)
    bounds = choropleth.total_bounds(geoms)
    m = choropleth.base_map(bounds, basemap, attribution)
    data_props = props.copy()
    data_props["c"] = np.asarray(classes, dtype=int)
    decimals = 3 if len(geoms) > 15_000 else 4 if big else 5
    data = choropleth.feature_collection(geoms, data_props, decimals=decimals)
    choropleth.ClassedLsoaLayer(data, list(colours), rows, name=name, bounds=bounds,
                                edge_weight=0.0 if big else 0.4, fill_opacity=0.8).add_to(m)
    if core20 is not None:
        choropleth.add_core20_outline(m, core20)
    if boundary is not None:
        choropleth.add_outline(m, boundary, name=f"{boundary_name} boundary", colour=styles.AREA_LINE,
                               weight=3, decimals=4)
    if points is not None and len(points):
        group = folium.FeatureGroup(name=escape_html(f"{name}: points"), show=True)
        for _, p in points.head(MAX_POINT_MARKERS).iterrows():
            label = escape_html(p.get(point_label, "")) if point_label else ""
            tip = f"{label}<br>row {int(p['row'])} · {escape_html(p[schema.LSOA_CODE])}"
            folium.CircleMarker([p["lat"], p["lon"]], radius=4, color="#000", weight=1, fill=True,
                                fill_color="#ffd92f", fill_opacity=0.95, tooltip=tip).add_to(group)
        group.add_to(m)
    return choropleth.finish_map(m, lgd)


def area_map(vintage: str, level: str, area: str | None, basemap: str, core20_on: bool, props: pd.DataFrame,
             classes: np.ndarray, colours: Sequence[str], rows: TooltipRows, *, name: str,
             lgd: styles.Legend, points: gpd.GeoDataFrame | None = None,
             point_label: str | None = None) -> folium.Map:
    """Polygon map of an area's LSOAs (display geometry) with the Core20 outline and area boundary."""
    display = atlas.load_display_geometry(vintage).values[area_rows(vintage, level, area)]
    return polygon_map(display, props, classes, colours, rows, name=name, lgd=lgd, basemap=basemap,
                       core20=core20_geometry(vintage, level, area) if core20_on else None,
                       boundary=area_boundary(vintage, level, area),
                       boundary_name=area_title(vintage, level, area),
                       attribution=mapview.map_attribution(vintage), points=points, point_label=point_label)


def lsoa_props(sub: pd.DataFrame, **columns: Iterable) -> pd.DataFrame:
    """Tooltip fields: LSOA code and name plus ``columns``, all escaped for HTML."""
    return pd.DataFrame({"code": escaped(sub[schema.LSOA_CODE]), "name": escaped(sub[schema.LSOA_NAME]),
                         **{k: escaped(v) for k, v in columns.items()}})


def indicator_map(vintage: str, level: str, area: str | None, indicator_id: str, basemap: str,
                  core20_on: bool, national: pd.Series | None = None) -> tuple[folium.Map, pd.DataFrame]:
    """The map of one indicator at its own level, and the table behind it.

    ``national``: the indicator over all England (class breaks); computed when not given.
    """
    gdf = atlas.load_atlas(vintage)
    rows = areas.mask(gdf, level, area).to_numpy()
    sub = gdf[rows]
    ind = plus.get(indicator_id)
    if national is None:
        national = plus.values(gdf, indicator_id)
    style = plus.layer_style(ind, national)
    if ind.level == plus.LSOA:
        layer = plus.area_layer(sub, indicator_id, atlas.load_display_geometry(vintage).values[rows])
    else:
        layer = plus.area_layer(sub, indicator_id)
    fmt = [plus.format_value(ind, v) for v in layer["value"]]
    props = pd.DataFrame({"code": escaped(layer["area_code"]), "name": escaped(layer["area_name"]),
                          "value": escaped(fmt)})
    level_word = {plus.LSOA: "LSOA", plus.MSOA: "MSOA", plus.LAD: "Local authority"}[ind.level]
    rows_spec = [("code", level_word), ("name", "Name"), ("value", ind.label)]
    name = area_title(vintage, level, area)
    # legend counts are "LSOAs in view"; MSOA and LAD layers say what they show in a note instead
    counts = style.counts(layer["value"]) if ind.level == plus.LSOA else None
    lgd = legend(style.title, style.colours, style.labels, counts,
                 notes=(style.note, f"Shown per {plus.LEVEL_TEXT[ind.level]}: {len(layer):,} in view."),
                 core20=core20_on, area_name=name if level != "england" else "")
    m = polygon_map(layer.geometry.values, props, style.index(layer["value"]), style.colours, rows_spec,
                    name=f"{ind.label} ({plus.LEVEL_TEXT[ind.level]})", lgd=lgd, basemap=basemap,
                    core20=core20_geometry(vintage, level, area) if core20_on else None,
                    boundary=area_boundary(vintage, level, area), boundary_name=name,
                    attribution=mapview.map_attribution(vintage))
    table = pd.DataFrame(layer.drop(columns="geometry"))
    return m, table


def hotspot_map(vintage: str, level: str, area: str | None, result: hotspots.HotspotResult, label: str,
                basemap: str, core20_on: bool) -> folium.Map:
    """LSOAs classed by Gi* hot/cold spot (``result`` rows in the area's atlas order)."""
    gdf = atlas.load_atlas(vintage)
    sub = gdf[areas.mask(gdf, level, area).to_numpy()]
    colours = [hotspots.CLASS_COLOURS[c] for c in hotspots.CLASS_ORDER]
    name = area_title(vintage, level, area)
    lgd = legend(f"Gi* hot and cold spots: {label}", colours, list(hotspots.CLASS_ORDER),
                 result.counts().tolist(), notes=("FDR-adjusted (Benjamini-Hochberg).",), core20=core20_on,
                 area_name=name if level != "england" else "")
    klass = pd.Categorical(result.frame["hotspot"], categories=list(hotspots.CLASS_ORDER)).codes
    props = lsoa_props(sub, cls=result.frame["hotspot"].astype(str),
                       z=[f"{z:.2f}" if np.isfinite(z) else "" for z in result.frame["z"]],
                       q=[f"{q:.3f}" if np.isfinite(q) else "" for q in result.frame["p_fdr"]])
    return area_map(vintage, level, area, basemap, core20_on, props, klass, colours,
                    [("code", "LSOA"), ("name", "Name"), ("cls", "Class"), ("z", "Gi* z"), ("q", "FDR p")],
                    name="Gi* hot and cold spots", lgd=lgd)


def target_map(vintage: str, level: str, area: str | None, result: plus.TargetResult, basemap: str,
               core20_on: bool) -> folium.Map:
    """LSOAs in and out of a Core20PLUS target (``result`` evaluated on the area's atlas rows)."""
    gdf = atlas.load_atlas(vintage)
    sub = gdf[areas.mask(gdf, level, area).to_numpy()]
    s = result.summary
    colours = [plus.TARGET_COLOURS[True], plus.TARGET_COLOURS[False]]
    inside = result.mask.to_numpy()
    lgd = legend("Core20PLUS target", colours, ["In the target", "Not in the target"],
                 [int(s["lsoas"]), int(s["area_lsoas"] - s["lsoas"])], notes=(result.spec.describe(),),
                 core20=core20_on, area_name=area_title(vintage, level, area) if level != "england" else "")
    props = lsoa_props(sub, inside=np.where(inside, "Yes", "No"),
                       core20=np.where(sub[schema.CORE20].to_numpy(), "Yes", "No"))
    return area_map(vintage, level, area, basemap, core20_on, props, np.where(inside, 0, 1), colours,
                    [("code", "LSOA"), ("name", "Name"), ("inside", "In target"), ("core20", "Core20")],
                    name="Core20PLUS target", lgd=lgd)
