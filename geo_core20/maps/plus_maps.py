"""PLUS layers maps (no Streamlit): indicators, Gi* hot spots, uploaded layers and the target.

Every map is an area's polygons filled by class on one canvas layer, with escaped tooltips,
the thin Core20 outline and the area boundary; its legend (``choropleth.legend_of(m)``) is
shown beside the map by the page. Classes come from ``maps.classify``: indicators are
fitted on their national values, uploads on their own. The atlas and its display geometry
come from ``geo_core20.atlas`` (cached per process); the page caches the finished maps.
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
from geo_core20.maps import choropleth, classify, palette, styles
from geo_core20.maps import view as mapview
from geo_core20.maps.classify import Classes, legend
from geo_core20.maps.view import area_title
from geo_core20.safety import escape_html

SVG_MAX = 2_500  # above this many polygons, simplify harder (canvas layer either way)
MAX_POINT_MARKERS = 2_000
TooltipRows = Sequence[tuple[str, str]]
FLAG_COLOURS = {True: palette.FLAG_COLOURS[0], False: palette.FLAG_COLOURS[1]}
TARGET_COLOURS = {True: palette.TARGET_COLOUR, False: palette.NOT_TARGET_COLOUR}
HOTSPOT_COLOURS = dict(zip(hotspots.CLASS_ORDER, palette.HOTSPOT_COLOURS, strict=True))
"""Gi* class label -> fill: the statistics name the classes, the map layer colours them."""
FILL_OPACITY = 0.8
TARGET_FILL_OPACITY = 0.9  # target LSOAs must read at ICB zoom, however small
HIGHLIGHT_WEIGHT = 3.0  # px: the outline that keeps small target (or flagged) areas visible
AREA_WEIGHT = 2.0  # px: the chosen area's boundary (3 px hid coastal LSOAs along the coastline)
HIGHLIGHT_NOTE = "{what} are also outlined in their colour, so small ones show at every zoom."
COUNT_COLOURS = palette.COUNT_COLOURS


def escaped(values: Iterable) -> list[str]:
    return [escape_html(v) for v in values]


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


def layer_style(ind: plus.Indicator, national: pd.Series, classes: int = 5) -> Classes:
    """Classes of an indicator fitted on its *national* values, so a colour means the same in every
    area: quintiles (mapclassify) for numbers, Yes/No for flags, one colour per class for categories."""
    if ind.kind == plus.FLAG:
        return classify.flag(ind.label, colours=(FLAG_COLOURS[True], FLAG_COLOURS[False]))
    if ind.kind == plus.CATEGORY:
        return classify.categories(national, title=ind.label)
    n = int(pd.to_numeric(pd.Series(np.asarray(national, dtype=object)), errors="coerce").notna().sum())
    where = {plus.LSOA: "LSOAs", plus.MSOA: "MSOAs", plus.LAD: "local authorities"}[ind.level]
    note = (f"Classes are national quintiles over all {n:,} {where} in England, so a colour means the "
            "same everywhere. Darker = higher" + (f" ({ind.higher_means})." if ind.higher_means else "."))
    title = f"{ind.label} ({ind.unit})" if ind.unit and n else ind.label
    return classify.quantiles(national, classes, title=title, note=note if n else "",
                              fmt=lambda x: plus.format_value(ind, x))


def count_style(title: str) -> Classes:
    """Classes for points counted per LSOA: 0, 1, 2-4, 5 or more."""
    return classify.fixed((0.5, 1.5, 4.5, np.inf), COUNT_COLOURS, ("0", "1", "2-4", "5 or more"), title=title)


def quantile_style(values: pd.Series | np.ndarray, title: str, classes: int = 5) -> Classes:
    """Quintile classes of an uploaded column (its own values: there is no national reference)."""
    return classify.quantiles(values, classes, title=title,
                              note="Classes are quintiles of the uploaded values. Darker = higher.")


def polygon_map(geoms: np.ndarray, props: pd.DataFrame, classes: np.ndarray, colours: Sequence[str],
                rows: TooltipRows, *, name: str, lgd: styles.Legend, basemap: str,
                core20: shapely.Geometry | None, boundary: shapely.Geometry | None, boundary_name: str,
                attribution: list[str], points: gpd.GeoDataFrame | None = None,
                point_label: str | None = None, fill_opacity: float = FILL_OPACITY,
                highlight_class: int | None = None) -> folium.Map:
    """Polygons filled by class on one canvas, escaped tooltips, Core20 outline; ``lgd`` kept
    with the map for the page (``choropleth.legend_of``). ``highlight_class``: the areas of that
    class are also outlined in its colour, above the Core20 outline, so an LSOA of a few pixels
    (a small urban target LSOA at ICB zoom) still shows.

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
                                edge_weight=0.0 if big else 0.4, fill_opacity=fill_opacity).add_to(m)
    if core20 is not None:
        choropleth.add_core20_outline(m, core20)
    if boundary is not None:
        choropleth.add_outline(m, boundary, name=f"{boundary_name} boundary", colour=styles.AREA_LINE,
                               weight=AREA_WEIGHT, decimals=4)
    # last of the outlines: the highlighted areas (coastal targets) stay above the area's coastline
    chosen = np.asarray(classes) == highlight_class
    if highlight_class is not None and chosen.any():
        choropleth.add_outline(m, choropleth.dissolve(geoms[chosen]), name=f"{name}: outlined",
                               colour=colours[highlight_class], weight=HIGHLIGHT_WEIGHT, decimals=5)
    if points is not None and len(points):
        group = folium.FeatureGroup(name=escape_html(f"{name}: points"), show=True)
        for _, p in points.head(MAX_POINT_MARKERS).iterrows():
            label = escape_html(p.get(point_label, "")) if point_label else ""
            tip = f"{label}<br>row {int(p['row'])} · {escape_html(p[schema.LSOA_CODE])}"
            folium.CircleMarker([p["lat"], p["lon"]], radius=4, color=palette.UPLOAD_POINT_EDGE, weight=1,
                                fill=True, fill_color=palette.UPLOAD_POINT_FILL, fill_opacity=0.95,
                                tooltip=tip).add_to(group)
        group.add_to(m)
    return choropleth.finish_map(m, lgd)


def area_map(vintage: str, level: str, area: str | None, basemap: str, core20_on: bool, props: pd.DataFrame,
             classes: np.ndarray, colours: Sequence[str], rows: TooltipRows, *, name: str,
             lgd: styles.Legend, points: gpd.GeoDataFrame | None = None,
             point_label: str | None = None, fill_opacity: float = FILL_OPACITY,
             highlight_class: int | None = None) -> folium.Map:
    """Polygon map of an area's LSOAs (display geometry) with the Core20 outline and area boundary."""
    display = atlas.load_display_geometry(vintage).values[area_rows(vintage, level, area)]
    return polygon_map(display, props, classes, colours, rows, name=name, lgd=lgd, basemap=basemap,
                       core20=core20_geometry(vintage, level, area) if core20_on else None,
                       boundary=area_boundary(vintage, level, area),
                       boundary_name=area_title(vintage, level, area),
                       attribution=mapview.map_attribution(vintage), points=points, point_label=point_label,
                       fill_opacity=fill_opacity, highlight_class=highlight_class)


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
    style = layer_style(ind, national)
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
    # flagged LSOAs (coastal Core20, ...) are outlined too, so small ones show at ICB zoom
    flagged = ind.kind == plus.FLAG and ind.level == plus.LSOA
    lgd = style.legend(layer["value"] if ind.level == plus.LSOA else None,
                       notes=(f"Shown per {plus.LEVEL_TEXT[ind.level]}: {len(layer):,} in view.",
                              HIGHLIGHT_NOTE.format(what="'Yes' LSOAs") if flagged else ""),
                       core20_outline=core20_on, area_name=name if level != "england" else "")
    m = polygon_map(layer.geometry.values, props, style.find_bin(layer["value"]), style.colours, rows_spec,
                    name=f"{ind.label} ({plus.LEVEL_TEXT[ind.level]})", lgd=lgd, basemap=basemap,
                    core20=core20_geometry(vintage, level, area) if core20_on else None,
                    boundary=area_boundary(vintage, level, area), boundary_name=name,
                    attribution=mapview.map_attribution(vintage), highlight_class=0 if flagged else None)
    table = pd.DataFrame(layer.drop(columns="geometry"))
    return m, table


def hotspot_map(vintage: str, level: str, area: str | None, result: hotspots.HotspotResult, label: str,
                basemap: str, core20_on: bool) -> folium.Map:
    """LSOAs classed by Gi* hot/cold spot (``result`` rows in the area's atlas order)."""
    gdf = atlas.load_atlas(vintage)
    sub = gdf[areas.mask(gdf, level, area).to_numpy()]
    colours = [HOTSPOT_COLOURS[c] for c in hotspots.CLASS_ORDER]
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
    colours = [TARGET_COLOURS[True], TARGET_COLOURS[False]]
    inside = result.mask.to_numpy()
    lgd = legend("Core20PLUS target", colours, ["In the target", "Not in the target"],
                 [int(s["lsoas"]), int(s["area_lsoas"] - s["lsoas"])],
                 notes=(result.spec.describe(), HIGHLIGHT_NOTE.format(what="Target LSOAs")),
                 core20=core20_on, area_name=area_title(vintage, level, area) if level != "england" else "")
    props = lsoa_props(sub, inside=np.where(inside, "Yes", "No"),
                       core20=np.where(sub[schema.CORE20].to_numpy(), "Yes", "No"))
    return area_map(vintage, level, area, basemap, core20_on, props, np.where(inside, 0, 1), colours,
                    [("code", "LSOA"), ("name", "Name"), ("inside", "In target"), ("core20", "Core20")],
                    name="Core20PLUS target", lgd=lgd, fill_opacity=TARGET_FILL_OPACITY, highlight_class=0)
