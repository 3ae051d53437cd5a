"""Cartography for print maps (geopandas + matplotlib, no browser): the page layout and its parts.

:func:`draw_map` takes LSOAs, a class per LSOA and the legend of those classes
(``maps.classify.Legend``: the same colours, labels and counts as the interactive map) and lays
out a page: title and subtitle on top, the map on the left, the legend (:func:`draw_legend`)
and a small England locator (:func:`draw_locator`) *beside* it (never over the area), a scale
bar (:func:`draw_scale_bar`) and north arrow (:func:`draw_north_arrow`) on the map, notes and
the attribution (``sources.merge_attribution``) at the foot. Everything is drawn in British
National Grid (EPSG:27700), so the scale bar's metres are true. ``with_legend=False`` draws
the map alone (for a slide, where the legend is real text).

The catalogue of print maps (explorer view, coastal, target, focus, plan) is
``exports.print_maps``; output formats are ``exports.formats``.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path
from matplotlib_scalebar.scalebar import ScaleBar

from geo_core20 import schema, sources
from geo_core20.maps import choropleth, classify, palette, view

PAGE_SIZE = (11.69, 8.27)  # A4 landscape, inches
SLIDE_MAP_SIZE = (8.4, 6.4)  # the map picture of a slide (the legend is text beside it)
FONT = "DejaVu Sans"  # bundled with matplotlib: the same glyphs on every server
# an SVG names fallbacks after it (formats.SVG_FONTS), so a laptop without DejaVu shows Arial, not a serif
PORTRAIT_SIZE = (8.27, 11.69)  # A4 portrait: a tall area (England) fills it
CORE20_LABEL = f"Core20 LSOA ({schema.CORE20_RULE}), hatched"
CORE20_HATCH = "///"  # the legend swatch's hatch (the map draws its own lines: hatch_lines)
HATCH_SPACING_PT = 5.0
HATCH_MAX_LSOAS = 8000  # Core20 hatched (and small patches ringed) up to this many LSOAs; above, outlined
# above HATCH_MAX_LSOAS (England): Core20 patches dissolved, simplified to the print's resolution and
# outlined in a bold magenta (palette.CORE20_NATIONAL_LINE) on a thin white halo, widths in points
CORE20_NATIONAL_LABEL = f"Core20 area ({schema.CORE20_RULE}), outlined"
CORE20_NATIONAL_PT, CORE20_NATIONAL_HALO_PT = 0.9, 1.7
CORE20_CLOSE_PT = 0.75  # Core20 patches under twice this apart on the page are outlined as one
CORE20_SIMPLIFY_PT = 0.3  # the outline's simplification tolerance, in points on the page
NATIONAL_CORE20_NOTE = ("Core20 outlines are generalised to the page: patches less than half a millimetre "
                        "apart are outlined as one.")
CORE20_MIN_HOLE_PT = 2.5  # a hole in a patch (a non-Core20 LSOA inside it) under this size is not ringed
PLACE_LABEL, SITE_LABEL = "place-label", "site-label"  # gids of the map's labels (declutter_labels)
SMALL_CORE20_PT = 6.0  # a Core20 patch under this size (points, square root of its area) is ringed
SMALL_CORE20_NOTE = "Core20 LSOAs too small to see at this scale are ringed."
CORE20_DEFINITION = schema.CORE20_DEFINITION
_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]


@dataclass(frozen=True)
class PointLayer:
    """Points drawn over the map (e.g. chosen outreach sites), each with a short label."""

    points: gpd.GeoDataFrame  # any CRS
    label_column: str | None = "label"
    legend_label: str = "Site"
    colour: str = palette.AREA_LINE
    marker: str = "o"
    size: float = 60.0


@dataclass(frozen=True, eq=False)
class PrintGeometry:
    """A print map's shapes in British National Grid (LSOAs, the area's outline, the surrounding
    areas) and the work drawn from them (paths, dissolved Core20 outlines, hatching, the closed
    boundary), done once: ``print_maps`` memoises one per view and resolution, so every map of an
    area (explorer, coastal, focus, plan; PNG, SVG, PDF, profile, deck) reuses it. Hashed by identity
    (the memoised helpers below key on it); treat as read-only."""

    lsoas: np.ndarray  # (multi)polygons, EPSG:27700, one per LSOA in the frame's order
    boundary: shapely.Geometry | None = None  # the area's outline, EPSG:27700
    context: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))  # EPSG:27700

    @classmethod
    def of(cls, lsoas: gpd.GeoDataFrame | gpd.GeoSeries, boundary: shapely.Geometry | None = None,
           context: gpd.GeoSeries | None = None) -> PrintGeometry:
        """From LSOAs (any CRS; none = British National Grid), an outline and surrounding areas
        (EPSG:4326)."""
        frame = lsoas.to_crs(schema.CRS_BNG) if lsoas.crs is not None else lsoas.set_crs(schema.CRS_BNG)
        ctx = (np.asarray(context.to_crs(schema.CRS_BNG).values) if context is not None and len(context)
               else np.empty(0, dtype=object))
        return cls(np.asarray(frame.geometry.values), _bng(boundary), ctx)

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in shapely.total_bounds(self.lsoas))

    @cached_property
    def paths(self) -> list[Path]:
        return polygon_paths(self.lsoas)

    @cached_property
    def context_paths(self) -> list[Path]:
        polys = shapely.normalize(_polygons(self.context))  # normalised as GeoSeries.plot draws (dash phase)
        return polygon_paths(polys) if len(polys) else []


def _subset(mask: np.ndarray) -> bytes:
    """A boolean mask as a hashable key of the memoised helpers."""
    return np.ascontiguousarray(mask, dtype=bool).tobytes()


def _mask(subset: bytes) -> np.ndarray:
    return np.frombuffer(subset, dtype=bool)


@lru_cache(maxsize=32)
def _core20(geometry: PrintGeometry, subset: bytes) -> tuple[np.ndarray, list[np.ndarray]]:
    """The LSOAs in ``subset`` dissolved: its patches (touching LSOAs as one polygon) and its outline
    as line parts."""
    outline = choropleth.dissolve(geometry.lsoas[_mask(subset)])
    return shapely.get_parts(outline), line_parts(shapely.boundary(outline))


@lru_cache(maxsize=16)
def _core20_national(geometry: PrintGeometry, subset: bytes, tolerance: float) -> list[np.ndarray]:
    """The Core20 outline of a national print as line parts: the dissolved patches of ``_core20``
    (touching Core20 LSOAs as one polygon) simplified by ``tolerance`` metres (the print's resolution),
    their holes smaller than ``CORE20_MIN_HOLE_PT`` at that scale dropped (a speck of a ring inside a
    city's patch). Memoised per geometry, subset and tolerance like the other prepared shapes."""
    patches, _ = _core20(geometry, subset)
    per_pt = tolerance / CORE20_SIMPLIFY_PT
    # patches closer than the line's width on the page are one (a city's Core20 one outline, its fills
    # left to see inside, not a knot of rings): closed by a buffer out and back in
    d = CORE20_CLOSE_PT * per_pt
    merged = shapely.buffer(shapely.buffer(shapely.union_all(patches), d, quad_segs=2), -d, quad_segs=2)
    simple = shapely.simplify(merged, tolerance, preserve_topology=True)
    min_hole = (CORE20_MIN_HOLE_PT * per_pt) ** 2
    polys = shapely.get_parts(simple)
    polys = polys[np.isin(shapely.get_type_id(polys), (3,)) & ~shapely.is_empty(polys)]
    kept = []
    for poly in polys:
        holes = [r for r in poly.interiors if shapely.area(shapely.polygons(r)) >= min_hole]
        kept.append(shapely.Polygon(poly.exterior, holes) if len(holes) < len(poly.interiors) else poly)
    return line_parts(shapely.boundary(shapely.multipolygons(kept))) if kept else []


def _national_tolerance(per_pt: float) -> float:
    """The simplification tolerance (metres) of a national print at ``per_pt`` metres a point, rounded
    to 50 m so the page and its slide picture share one memoised outline where they can."""
    return max(50.0, round(CORE20_SIMPLIFY_PT * per_pt / 50) * 50)


@lru_cache(maxsize=32)
def _union(geometry: PrintGeometry, subset: bytes) -> shapely.Geometry:
    return shapely.union_all(geometry.lsoas[_mask(subset)])


@lru_cache(maxsize=64)
def _hatch(geometry: PrintGeometry, subset: bytes, extent: tuple[float, float, float, float],
           per_pt: float) -> list[np.ndarray]:
    """The hatching of the LSOAs in ``subset`` on a map of that extent and scale, as line parts."""
    return line_parts(hatch_lines(_union(geometry, subset), extent, per_pt))


@lru_cache(maxsize=32)
def _boundary_line(geometry: PrintGeometry, extent: tuple[float, float, float, float]) -> list[np.ndarray]:
    """The area's outline, its estuaries closed at the map's scale, as line parts."""
    return line_parts(shapely.boundary(_closed(geometry.boundary, extent)))


@lru_cache(maxsize=4)
def england_outline(vintage: str) -> shapely.Geometry:
    """England's outline in British National Grid (dissolved regions, simplified to 300 m)."""
    regions = view.level_outlines(vintage, "region").to_crs(schema.CRS_BNG)
    return shapely.simplify(shapely.union_all(regions.values), 300)


@lru_cache(maxsize=4)
def _england_paths(vintage: str) -> tuple[Path, ...]:
    return tuple(polygon_paths(shapely.normalize(np.array([england_outline(vintage)]))))


def _bng(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    if geom is None:
        return None
    return gpd.GeoSeries([geom], crs=schema.CRS_WGS84).to_crs(schema.CRS_BNG).iloc[0]


def _padded(bounds: Sequence[float], aspect: float, pad: float = 0.06) -> tuple[float, float, float, float]:
    """Bounds grown by ``pad`` and to the axes' width/height ``aspect`` (the area centred)."""
    minx, miny, maxx, maxy = bounds
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    w, h = w * (1 + 2 * pad), h * (1 + 2 * pad)
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _edge_width(n: int) -> float:
    """LSOA edge width (points): visible at ICB zoom, gone at national scale (it would grey the map)."""
    return 0.0 if n > 8000 else 0.12 if n > 2500 else 0.2


luminance = palette.relative_luminance  # WCAG relative luminance (0 black .. 1 white)
contrast = palette.contrast_ratio  # WCAG contrast ratio (1 .. 21)


def hatch_colour(fill: str) -> str:
    """The Core20 hatch over a fill: white over dark fills, near-black over light ones (the higher
    contrast of the two, at least 4.5:1 on any fill)."""
    light, dark = palette.CORE20_HATCH_LIGHT, palette.CORE20_HATCH_DARK
    return light if contrast(light, fill) >= contrast(dark, fill) else dark


@lru_cache(maxsize=2)
def uk_lads() -> gpd.GeoDataFrame | None:
    """UK local authority districts (ONS BUC, in the boundaries cache) in British National Grid:
    the grey land beside the area (Wales, Scotland, neighbours) and the place labels. None when the
    file is not there (the map is drawn without them)."""
    from geo_core20 import sources

    path = sources.get("lad24_boundaries").dest()
    if not path.exists():
        return None
    gdf = gpd.read_file(path).to_crs(schema.CRS_BNG)
    name = next((c for c in gdf.columns if c.endswith("_name") or c.lower().endswith("nm")), None)
    code = next((c for c in gdf.columns if c.endswith("_code") or c.lower().endswith("cd")), None)
    out = gpd.GeoDataFrame({"name": gdf[name] if name else "", "code": gdf[code] if code else ""},
                           geometry=gdf.geometry.values, crs=schema.CRS_BNG)
    out["point"] = shapely.point_on_surface(out.geometry.values)
    return out


def place_labels(priority: dict[str, float] | None = None) -> gpd.GeoDataFrame | None:
    """Local authority names to label (offline: from the boundaries cache), with a priority
    (``priority``: LAD code -> e.g. population; the largest are labelled first)."""
    lads = uk_lads()
    if lads is None:
        return None
    out = gpd.GeoDataFrame({"name": lads["name"].to_numpy(), "code": lads["code"].to_numpy(),
                            "area": lads.geometry.values}, geometry=lads["point"].values, crs=schema.CRS_BNG)
    pri = priority or {}
    out["priority"] = [float(pri.get(c, 0.0)) for c in out["code"]]
    return out.sort_values("priority", ascending=False, kind="stable")


@lru_cache(maxsize=16)
def _land_paths(extent: tuple[float, float, float, float]) -> tuple[Path, ...]:
    """The UK local authorities near ``extent`` clipped to it (grown by a margin, so the clipped
    edges and their strokes stay off the map): what shows of the land, a fraction of its vertices."""
    lads = uk_lads()
    if lads is None:
        return ()
    x0, y0, x1, y1 = extent
    mx, my = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
    box = (x0 - mx, y0 - my, x1 + mx, y1 + my)
    near = lads.geometry.values[lads.intersects(shapely.box(*box)).to_numpy()]
    clipped = shapely.normalize(_polygons(shapely.clip_by_rect(near, *box)))
    return tuple(polygon_paths(clipped)) if len(clipped) else ()


def _polygons(geoms: np.ndarray) -> np.ndarray:
    """The non-empty (multi)polygons of ``geoms`` (a clip can leave empties or lower-dimension parts)."""
    geoms = np.asarray(geoms)
    keep = shapely.get_type_id(geoms)
    out = geoms[np.isin(keep, (3, 6)) & ~shapely.is_empty(geoms)]
    mixed = geoms[keep == 7]  # a GeometryCollection: its polygons only
    if len(mixed):
        parts = shapely.get_parts(mixed)
        out = np.concatenate([out, parts[np.isin(shapely.get_type_id(parts), (3, 6))]])
    return out


def _draw_land(ax, extent: Sequence[float]) -> None:
    """Grey land (all UK local authorities) over the pale water of the axes' background."""
    paths = _land_paths(tuple(float(v) for v in extent))
    if paths:
        ax.add_collection(PathCollection(list(paths), facecolors=palette.PRINT_LAND,
                                         edgecolors=palette.PRINT_LAND, linewidths=0.3, zorder=0.5),
                          autolim=False)


def _draw_context(ax, geometry: PrintGeometry) -> None:
    """The surrounding areas' outlines, dashed grey."""
    if geometry.context_paths:
        ax.add_collection(PathCollection(geometry.context_paths, facecolors="none",
                                         edgecolors=palette.CONTEXT_LINE, linewidths=0.5,
                                         linestyles=[(0, (4, 3))], zorder=1), autolim=False)


LABEL_BOX = {"boxstyle": "round,pad=0.18", "facecolor": palette.BACKGROUND, "edgecolor": "none",
             "alpha": 0.85}
"""The halo a place name sits on where every place near it for the name crosses an outline."""


def _crosses(tree: shapely.STRtree | None, bb: tuple[float, float, float, float]) -> bool:
    return tree is not None and len(tree.query(shapely.box(*bb), predicate="intersects")) > 0


def _draw_labels(ax, labels: gpd.GeoDataFrame, extent: Sequence[float], size: float, limit: int,
                 avoid: Sequence[np.ndarray] = ()) -> None:
    """Haloed place names inside the extent, most important first, none overlapping another.

    A name goes on its place, else just above or below it (Manchester beside Sheffield on England), else
    beside it (the Isles of Scilly at the map's edge): the first of these clear of the drawn outlines
    ``avoid`` (line parts: the area boundary, Core20 outlines), or, where every one crosses an outline
    (London among its Core20 patches), the first on, above or below its place that fits, on a white box
    (``LABEL_BOX``)."""
    x0, y0, x1, y1 = extent
    fig = ax.figure
    width_pt = ax.get_position().width * fig.get_size_inches()[0] * 72
    per_pt = (x1 - x0) / width_pt  # metres per point
    taken: list[tuple[float, float, float, float]] = []
    halo = [patheffects.withStroke(linewidth=2.6, foreground="white")]
    view_box = shapely.box(*extent)
    parts = [p for p in avoid if len(p) >= 2]
    tree = shapely.STRtree([shapely.linestrings(p) for p in parts]) if parts else None
    areas = labels["area"] if "area" in labels else [None] * len(labels)
    for name, pt, area in zip(labels["name"], labels.geometry, areas, strict=True):
        if len(taken) >= limit:
            break
        if area is not None and not view_box.contains(pt) and area.intersects(view_box):
            # a neighbour whose centre is off the map: label the part that shows, if it is large enough
            part = shapely.intersection(area, view_box)
            if part.area < 0.03 * view_box.area:
                continue
            pt = shapely.point_on_surface(part)
        w = len(str(name)) * size * 0.56 * per_pt / 2
        h = size * 0.75 * per_pt
        side = w + h  # beside the place: the name's near end half a line from it
        fits = []
        for x, y, beside in ((pt.x, pt.y, False), (pt.x, pt.y + 2 * h, False), (pt.x, pt.y - 2 * h, False),
                             (pt.x + side, pt.y, True), (pt.x - side, pt.y, True)):
            bb = (x - w, y - h, x + w, y + h)
            if bb[0] < x0 or bb[2] > x1 or bb[1] < y0 or bb[3] > y1:
                continue
            if not any(not (bb[2] < t[0] or bb[0] > t[2] or bb[3] < t[1] or bb[1] > t[3]) for t in taken):
                fits.append((x, y, bb, beside))
        clear = [f for f in fits if not _crosses(tree, f[2])]
        boxed = [f for f in fits if not f[3]]  # beside its place only where it crosses nothing
        if not (clear or boxed):
            continue
        x, y, bb, _ = (clear or boxed)[0]
        taken.append(bb)
        ax.text(x, y, str(name), ha="center", va="center", fontsize=size, family=FONT,
                color=palette.TEXT, fontstyle="italic", path_effects=halo, zorder=6, clip_on=True,
                gid=PLACE_LABEL, bbox=None if clear else LABEL_BOX)


def polygon_paths(geoms: np.ndarray) -> list[Path]:
    """One compound matplotlib Path per (multi)polygon, built from shapely's ragged arrays in a few
    vectorised steps (geopandas makes a patch per polygon: most of a print map's drawing time)."""
    _, coords, (ring_off, poly_off, geom_off) = shapely.to_ragged_array(
        shapely.multipolygons(shapely.get_parts(geoms), indices=_part_index(geoms)))
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    codes[ring_off[:-1]] = Path.MOVETO
    codes[ring_off[1:] - 1] = Path.CLOSEPOLY
    starts = ring_off[poly_off[geom_off]]
    return [Path(coords[a:b], codes[a:b]) for a, b in zip(starts[:-1], starts[1:], strict=True)]


def _part_index(geoms: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(geoms)), shapely.get_num_geometries(geoms))


def line_parts(geom: shapely.Geometry | None) -> list[np.ndarray]:
    """The coordinates of each line part of a geometry (lines, multilines, polygon boundaries,
    collections), as a LineCollection takes them."""
    if geom is None or shapely.is_empty(geom):
        return []
    parts = shapely.get_parts(shapely.get_parts(shapely.normalize(np.array([geom]))))
    parts = parts[np.isin(shapely.get_type_id(parts), (1, 2))]
    if not len(parts):
        return []
    coords = shapely.get_coordinates(parts)
    return np.split(coords, np.cumsum(shapely.get_num_coordinates(parts))[:-1])


def _lines(ax, parts: Sequence[np.ndarray], *, color, linewidth: float, zorder: float,
           linestyle="solid") -> None:
    """Line parts (``line_parts``) as one LineCollection."""
    if len(parts):
        ax.add_collection(LineCollection(list(parts), colors=color, linewidths=linewidth,
                                         linestyles=linestyle, zorder=zorder), autolim=False)


def hatch_lines(area: shapely.Geometry, extent: Sequence[float], per_pt: float,
                spacing_pt: float = HATCH_SPACING_PT) -> shapely.Geometry:
    """45-degree lines ``spacing_pt`` points apart on the page, clipped to ``area`` (one geometry:
    drawn as one line collection, far faster than matplotlib's per-polygon hatch patterns)."""
    x0, y0, x1, y1 = extent
    step = spacing_pt * per_pt * np.sqrt(2)  # vertical offset of 45-degree lines that far apart
    offsets = np.arange(y0 - x1, y1 - x0 + step, step)
    lines = shapely.multilinestrings(
        [shapely.linestrings([[x0, x0 + c], [x1, x1 + c]]) for c in offsets])
    return shapely.intersection(lines, area)


def _closed(geom: shapely.Geometry, extent: Sequence[float]) -> shapely.Geometry:
    """The boundary's narrow inlets (estuaries) closed, so the line does not spike up them."""
    d = 0.004 * max(extent[2] - extent[0], extent[3] - extent[1])
    try:
        closed = shapely.buffer(shapely.buffer(geom, d, quad_segs=2), -d, quad_segs=2)
    except shapely.errors.GEOSException:
        return geom
    return closed if not closed.is_empty else geom


def _title_lines(title: str, size: tuple[float, float]) -> tuple[list[str], float]:
    """The title's lines and size: 18 pt on one line, shrunk to 11 pt for a long area name, and a title
    too long even then (a focus map's message on a portrait page) on two lines at 14 pt."""
    width = 70 * size[0] / PAGE_SIZE[0]  # characters a line holds at 18 pt
    if len(title) <= width:
        return [title], 18.0
    if 18.0 * width / len(title) >= 11.0:
        return [title], 18.0 * width / len(title)
    return textwrap.wrap(title, int(width * 18 / 14)), 14.0


def _title_extra(title: str, size: tuple[float, float]) -> float:
    """The space the title's lines past the first take, in subtitle lines (0.21 in each)."""
    lines, tsize = _title_lines(title, size)
    return (len(lines) - 1) * tsize * 1.15 / 72 / 0.21


def _subtitle_lines(subtitle: str, size: tuple[float, float]) -> list[str]:
    width = int(150 * size[0] / PAGE_SIZE[0])
    if not subtitle:
        return []
    return [w for line in subtitle.split("\n") for w in (textwrap.wrap(line, width) or [""])]


PANEL_WRAP = 56  # characters a line of the figures panel holds beside or under the map


def _layout(with_legend: bool, aspect: float, foot_lines: int, locator: bool, subtitle_lines: int = 2,
            legend_rows: int = 12, panel_lines: int = 0):
    """Page size and the boxes (figure fractions) of map, legend and locator, and the foot's top."""
    if not with_legend:
        return SLIDE_MAP_SIZE, (0.0, 0.0, 0.80, 1.0), None, (0.805, 0.02, 0.19, 0.30) if locator else None, 0
    portrait = aspect < 0.95
    size = PORTRAIT_SIZE if portrait else PAGE_SIZE
    foot = 0.012 + foot_lines * 6.3 * 1.35 / 72 / size[1]
    if portrait:
        top = 1 - (0.85 + 0.21 * subtitle_lines) / size[1]
        # under the map: the legend (one column, as tall as its rows) and, right of it, the figures
        # panel or else the locator
        side = panel_lines > 0 or locator
        need = 0.75 + 0.19 * (legend_rows if side else -(-legend_rows // 2))
        leg_h = max(need, 0.45 + 0.17 * panel_lines, 1.9 if locator and not panel_lines else 1.0) / size[1]
        bottom = foot + 0.01 + leg_h
        ax = (0.015, bottom, 0.97, top - bottom)
        leg = (0.03, foot + 0.01, 0.5 if side else 0.95, leg_h - 0.01)
        loc = (0.66, foot + 0.012, 0.3, leg_h - 0.03) if locator and not panel_lines else None
        return size, ax, leg, loc, foot
    top = 1 - (0.85 + 0.21 * subtitle_lines) / size[1]
    ax = (0.015, foot + 0.012, 0.645, top - foot - 0.012)
    leg = (0.675, 0.40, 0.315, 0.455)
    loc = (0.71, foot + 0.012, 0.24, min(0.22, 0.38 - foot)) if locator else None
    return size, ax, leg, loc, foot


def draw_map(
    lsoas: gpd.GeoDataFrame,
    class_index: Sequence[int] | np.ndarray,
    legend: classify.Legend,
    *,
    title: str,
    subtitle: str = "",
    notes: Sequence[str] = (),
    attribution: Sequence[str] = (),
    outline_mask: Sequence[bool] | np.ndarray | None = None,
    outline_label: str = CORE20_LABEL,
    area_boundary: shapely.Geometry | None = None,
    area_name: str = "",
    context: gpd.GeoSeries | None = None,
    points: Sequence[PointLayer] = (),
    locator_vintage: str | None = None,
    with_legend: bool = True,
    labels: gpd.GeoDataFrame | None = None,
    reach: gpd.GeoSeries | None = None,
    panel: str = "",
    geometry: PrintGeometry | None = None,
) -> Figure:
    """Draw LSOAs filled by class on a page (or, ``with_legend=False``, the map alone for a slide).

    ``class_index``: class of each LSOA (0-based, as ``legend.entries``; -1 = no data, grey).
    ``outline_mask``: LSOAs marked Core20: hatched (white over dark fills, near-black over light
    ones) and outlined as one dissolved line on a white halo. ``area_boundary`` (EPSG:4326) is drawn
    black on a white halo, its estuaries closed, and marked on the England locator
    (``locator_vintage`` picks its outline; None = no locator). ``context``: surrounding area
    outlines (EPSG:4326), dashed grey, over grey land (UK local authorities) and pale water.
    ``labels``: place names (``place_labels``), haloed. ``reach``: areas reached (e.g. buffers of
    outreach sites, any CRS), outlined. ``panel``: a short boxed text beside the map on the page (key
    figures); a slide picture (``with_legend=False``) has none, the slide shows its figures.
    A tall area (England) is drawn on a portrait page, the legend under the map.
    ``geometry``: the shapes of ``lsoas``, ``area_boundary`` and ``context`` already prepared
    (``PrintGeometry``: ``print_maps`` passes its memoised one); made here when not given.
    """
    if len(class_index) != len(lsoas):
        raise ValueError("class_index needs one class per LSOA")
    if geometry is None:
        geometry = PrintGeometry.of(lsoas, area_boundary, context)
    elif len(geometry.lsoas) != len(lsoas):
        raise ValueError("geometry needs one shape per LSOA")
    fill_of = np.asarray([*(e.colour for e in legend.entries), palette.NO_DATA_COLOUR], dtype=object)
    idx = np.asarray(class_index, dtype=np.int64)
    idx = np.where((idx >= 0) & (idx < len(legend.entries)), idx, -1)
    colours = fill_of[idx]

    n = len(geometry.lsoas)
    bounds = geometry.bounds
    area_aspect = max(bounds[2] - bounds[0], 1.0) / max(bounds[3] - bounds[1], 1.0)
    mask = np.zeros(n, dtype=bool) if outline_mask is None else np.asarray(outline_mask, dtype=bool)
    # a cluster of touching Core20 LSOAs is one patch: rings go round the patches that stay small
    patches, line = _core20(geometry, _subset(mask)) if mask.any() else (np.array([]), [])
    if mask.any() and n <= HATCH_MAX_LSOAS:  # rings for small Core20 patches: say so in the notes
        span = max(bounds[2] - bounds[0], (bounds[3] - bounds[1]) * 1.3)
        per_pt_guess = span * 1.06 / (0.66 * PAGE_SIZE[0] * 72)
        if (np.sqrt(shapely.area(patches)) / per_pt_guess < SMALL_CORE20_PT).any():
            notes = (*notes, SMALL_CORE20_NOTE)
    if mask.any() and n > HATCH_MAX_LSOAS:
        notes = (*notes, NATIONAL_CORE20_NOTE)
    foot = []
    if with_legend:
        if notes:
            foot.extend(textwrap.wrap("Notes: " + " ".join(notes), 190))
        if attribution:
            foot.extend(textwrap.wrap(" ".join(sources.merge_attribution(attribution)), 205))
    rows = len(legend.entries) + 2 + len(points) + (reach is not None) + legend.title.count(" ") // 6
    panel_lines = sum(len(textwrap.wrap(line, PANEL_WRAP - 10)) for line in panel.split("\n")) if panel else 0
    size, ax_box, leg_box, loc_box, foot_top = _layout(
        with_legend, area_aspect, len(foot), bool(locator_vintage),
        len(_subtitle_lines(subtitle, PAGE_SIZE)) + _title_extra(title, PAGE_SIZE), rows, panel_lines)
    if with_legend and size == PORTRAIT_SIZE:  # a portrait page wraps the foot and subtitle shorter
        foot = []
        if notes:
            foot.extend(textwrap.wrap("Notes: " + " ".join(notes), 140))
        if attribution:
            foot.extend(textwrap.wrap(" ".join(sources.merge_attribution(attribution)), 150))
        size, ax_box, leg_box, loc_box, foot_top = _layout(
            with_legend, area_aspect, len(foot), bool(locator_vintage),
            len(_subtitle_lines(subtitle, size)) + _title_extra(title, size), rows, panel_lines)
    fig = Figure(figsize=size, dpi=100)
    fig.patch.set_facecolor("white")
    ax = fig.add_axes(ax_box)
    ax_leg = fig.add_axes(leg_box) if leg_box else None
    ax_loc = fig.add_axes(loc_box) if loc_box else None
    # the neatline is the axes' frame; the background is the water
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor(palette.PRINT_WATER)
    for spine in ax.spines.values():
        spine.set_edgecolor(palette.NEATLINE)
        spine.set_linewidth(0.9)

    box = ax.get_position()
    fw, fh = fig.get_size_inches()
    x0, y0, x1, y1 = extent = _padded(bounds, (box.width * fw) / (box.height * fh), pad=0.03)
    _draw_land(ax, extent)

    _draw_context(ax, geometry)
    edge = _edge_width(n)
    ax.add_collection(PathCollection(geometry.paths, facecolors=list(colours),
                                     edgecolors=palette.LSOA_EDGE if edge else "face",
                                     linewidths=edge or 0.05, zorder=2), autolim=False)
    if reach is not None and len(reach):
        r = reach.to_crs(schema.CRS_BNG)
        r.plot(ax=ax, facecolor="none", edgecolor=palette.REACH_LINE, linewidth=1.1, linestyle=(0, (3, 2)),
               zorder=4.5)
    drawn_lines: Sequence[np.ndarray] = []  # the outlines place names keep clear of
    if mask.any():
        if n > HATCH_MAX_LSOAS:
            # national scale: too many LSOAs to hatch. The dissolved patches (one outline round a city's
            # touching Core20 LSOAs, not one per LSOA) simplified to the print's resolution, in a bold
            # magenta no decile fill nor the land or sea is near, on a thin white halo
            per_pt = (x1 - x0) / (box.width * fw * 72)
            national = _core20_national(geometry, _subset(mask), _national_tolerance(per_pt))
            drawn_lines = national
            _lines(ax, national, color=palette.CORE20_HALO, linewidth=CORE20_NATIONAL_HALO_PT, zorder=3.5)
            _lines(ax, national, color=palette.CORE20_NATIONAL_LINE, linewidth=CORE20_NATIONAL_PT, zorder=4)
        else:
            of_fill = {c: hatch_colour(c) for c in dict.fromkeys(colours[mask])}
            hatch = np.full(n, None, dtype=object)
            hatch[mask] = [of_fill[c] for c in colours[mask]]
            per_pt = (x1 - x0) / (box.width * fw * 72)
            for hc in dict.fromkeys(hatch[mask]):
                _lines(ax, _hatch(geometry, _subset(mask & (hatch == hc)), extent, per_pt), color=hc,
                       linewidth=0.9, zorder=3)
            drawn_lines = line
            _lines(ax, line, color=palette.CORE20_HALO, linewidth=2.0, zorder=3.5)
            _lines(ax, line, color=palette.CORE20_LINE, linewidth=0.9, zorder=4)
            # a Core20 patch (touching Core20 LSOAs) smaller than ~2 mm on the page is ringed too, or it
            # would be a speck; one ring per patch, not per LSOA (a city's many small LSOAs would merge
            # into a black blob hiding their fills)
            small = np.sqrt(shapely.area(patches)) / per_pt < SMALL_CORE20_PT
            if small.any():
                pts = shapely.point_on_surface(patches[small])
                ax.scatter(shapely.get_x(pts), shapely.get_y(pts), s=70, facecolors="none",
                           edgecolors=palette.CORE20_HALO, linewidths=2.4, zorder=4.2)
                ax.scatter(shapely.get_x(pts), shapely.get_y(pts), s=70, facecolors="none",
                           edgecolors=palette.CORE20_LINE, linewidths=1.1, zorder=4.3)
    boundary_bng = geometry.boundary
    if boundary_bng is not None:
        edge_line = _boundary_line(geometry, extent)
        _lines(ax, edge_line, color=palette.PRINT_AREA_HALO, linewidth=3.6, zorder=5)
        _lines(ax, edge_line, color=palette.PRINT_AREA_LINE, linewidth=1.6, zorder=5.1)
    for layer in points:
        _draw_points(ax, layer)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xlabel("")
    ax.set_ylabel("")
    if labels is not None and len(labels):
        _draw_labels(ax, labels, (x0, y0, x1, y1), size=9.5 if with_legend else 12, limit=14,
                     avoid=[*drawn_lines, *(edge_line if boundary_bng is not None else [])])
    draw_scale_bar(ax)
    draw_north_arrow(ax)
    if panel and with_legend:  # beside the map above the locator (landscape), or right of the legend
        width = PANEL_WRAP if size == PAGE_SIZE else PANEL_WRAP - 10
        text = "\n".join(w for line in panel.split("\n") for w in textwrap.wrap(line, width))
        if size == PAGE_SIZE:
            xy, va = (0.675, (loc_box[1] + loc_box[3] + 0.035) if loc_box else 0.05), "bottom"
        else:
            xy, va = (leg_box[0] + leg_box[2] + 0.03, leg_box[1] + leg_box[3] - 0.005), "top"
        fig.text(*xy, text, ha="left", va=va, fontsize=8.5, family=FONT, linespacing=1.35,
                 bbox={"boxstyle": "round,pad=0.5", "facecolor": palette.BACKGROUND,
                       "edgecolor": palette.NEATLINE})
    if ax_loc is not None:
        draw_locator(
            ax_loc,
            locator_vintage,
            boundary_bng if boundary_bng is not None else shapely.box(*bounds),
            (x0, y0, x1, y1),
        )

    if with_legend:
        # a long area name shrinks the title, a longer title takes two lines, rather than running off
        lines, tsize = _title_lines(title, size)
        top_in = 0.965 if size == PAGE_SIZE else 1 - 0.3 / size[1]
        fig.text(0.015, top_in, "\n".join(lines), fontsize=tsize, fontweight="bold", family=FONT, va="top",
                 linespacing=1.15)
        if subtitle:
            wrapped = "\n".join(_subtitle_lines(subtitle, size))
            below = 0.47 + _title_extra(title, size) * 0.21
            fig.text(
                0.015, top_in - below / size[1], wrapped, fontsize=10.5, color=palette.TEXT_SUBTITLE,
                family=FONT,
                va="top", linespacing=1.4,
            )
        draw_legend(
            ax_leg,
            legend,
            outline_label if mask.any() else "",
            area_name if boundary_bng is not None else "",
            points,
            hatch=mask.any() and n <= HATCH_MAX_LSOAS,
            reach=reach is not None and len(reach) > 0,
        )
        fig.text(
            0.015,
            0.012,
            "\n".join(foot),
            fontsize=6.3,
            color=palette.TEXT_SECONDARY,
            family=FONT,
            va="bottom",
            linespacing=1.35,
        )
    declutter_labels(fig)
    return fig


def declutter_labels(fig: Figure) -> None:
    """Hide the map labels that would not read: a site or place name reaching out of its map or over a
    name already kept (site names first, then place names in their order of importance). A site name that
    does not fit right of its marker goes left of it, then a chosen site keeps only its rank ("2."); a place
    name that does not fit on its place goes just above or below it. Run
    again after the figure is resized (a slide picture)."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    for ax in fig.axes:
        labels = [t for t in ax.texts if t.get_gid() in (SITE_LABEL, PLACE_LABEL) and t.get_visible()]
        if not labels:
            continue
        frame = ax.get_window_extent(renderer)
        kept: list = []
        for t in sorted(labels, key=lambda t: t.get_gid() != SITE_LABEL):  # stable: sites first
            ok = _label_fits(t, renderer, frame, kept)
            if not ok and t.get_gid() == SITE_LABEL:
                t.xyann = (-5, 4)
                t.set_horizontalalignment("right")
                ok = _label_fits(t, renderer, frame, kept)
                rank = re.match(r"\d+\.", t.get_text())
                if not ok and rank:
                    t.set_text(rank.group())
                    t.xyann = (5, 4)
                    t.set_horizontalalignment("left")
                    ok = _label_fits(t, renderer, frame, kept)
            if not ok and t.get_gid() == PLACE_LABEL:  # a place name: just above or below its place
                x, y = t.get_position()
                px, py = ax.transData.transform((x, y))
                h = t.get_window_extent(renderer).height
                for dy in (1.05 * h, -1.05 * h):
                    t.set_position(ax.transData.inverted().transform((px, py + dy)))
                    ok = _label_fits(t, renderer, frame, kept)
                    if ok:
                        break
                if not ok:
                    t.set_position((x, y))
            if ok:
                kept.append(t.get_window_extent(renderer))
            else:
                t.set_visible(False)


def _label_fits(t, renderer, frame, kept: list) -> bool:
    """Whether a label lies inside its map's frame and over none of the labels kept."""
    box = t.get_window_extent(renderer)
    inside = (box.x0 >= frame.x0 - 1 and box.x1 <= frame.x1 + 1 and box.y0 >= frame.y0 - 1
              and box.y1 <= frame.y1 + 1)
    return inside and not any(box.overlaps(k) for k in kept)


def _draw_points(ax, layer: PointLayer) -> None:
    pts = layer.points.to_crs(schema.CRS_BNG)
    ax.scatter(
        pts.geometry.x,
        pts.geometry.y,
        s=layer.size,
        c="white",
        edgecolors=layer.colour,
        linewidths=2.0,
        marker=layer.marker,
        zorder=7,
    )
    if layer.label_column and layer.label_column in pts.columns:
        for x, y, text in zip(pts.geometry.x, pts.geometry.y, pts[layer.label_column], strict=True):
            ax.annotate(
                str(text),
                (x, y),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=7,
                family=FONT,
                path_effects=_HALO,
                zorder=8,
                gid=SITE_LABEL,
            )


def draw_scale_bar(ax) -> None:
    """A metric scale bar, lower left (1 data unit = 1 m in British National Grid)."""
    ax.add_artist(
        ScaleBar(
            1,
            "m",
            location="lower left",
            length_fraction=0.22,
            box_alpha=0.85,
            font_properties={"family": FONT, "size": 8},
            scale_loc="top",
        )
    )


def draw_north_arrow(ax) -> None:
    """A plain north arrow (grid north of British National Grid, within 2 degrees of true north)."""
    ax.annotate(
        "N",
        xy=(0.965, 0.975),
        xytext=(0.965, 0.885),
        xycoords="axes fraction",
        textcoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        family=FONT,
        path_effects=_HALO,
        arrowprops={
            "facecolor": "black",
            "edgecolor": "white",
            "width": 3,
            "headwidth": 9,
            "headlength": 9,
            "linewidth": 0.6,
        },
    )


def draw_locator(ax, vintage: str, area: shapely.Geometry, extent: Sequence[float]) -> None:
    """England with the area in red (and the map's extent as a box when the area is small)."""
    ax.set_axis_off()
    eng = england_outline(vintage)
    ax.add_collection(PathCollection(list(_england_paths(vintage)), facecolors=palette.PRINT_LOCATOR_FILL,
                                     edgecolors=palette.PRINT_LOCATOR_EDGE, linewidths=0.4))
    ax.autoscale_view()
    if not area.equals(eng):
        polys = shapely.normalize(_polygons(np.array([area])))
        if len(polys):
            ax.add_collection(PathCollection(polygon_paths(polys), facecolors=palette.LOCATOR_AREA,
                                             edgecolors=palette.LOCATOR_AREA, linewidths=0.6))
            ax.autoscale_view()
        x0, y0, x1, y1 = extent
        if (x1 - x0) < 60_000:  # a small area is a dot at this scale: box it too
            ax.add_patch(
                matplotlib.patches.Rectangle(
                    (x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=palette.LOCATOR_AREA, linewidth=1.0
                )
            )
    ax.set_aspect("equal")
    ax.set_title("Location in England", fontsize=8.5, family=FONT, color=palette.TEXT_SECONDARY)


REACH_LABEL = "Reach of a site (the plan's distance)"


def count_label(label: str, count: int | None, what: str = "LSOAs") -> str:
    """A legend line with its count: '1 (most deprived 10%): 11 LSOAs' (one: '1 LSOA')."""
    if count is None:
        return label
    unit = what.split()[0] if what else "LSOAs"
    unit = unit[:-1] if count == 1 and unit.endswith("s") else unit
    return f"{label}: {count:,} {unit}"


def draw_legend(
    ax, legend: classify.Legend, outline_label: str, area_name: str, points: Sequence[PointLayer],
    *, hatch: bool = False, reach: bool = False,
) -> None:
    ax.set_axis_off()
    handles: list = []
    labels: list[str] = []
    for e in legend.entries:
        handles.append(Patch(facecolor=e.colour, edgecolor=palette.SWATCH_EDGE, linewidth=0.5))
        labels.append(count_label(e.label, e.count, legend.count_what))
    if outline_label:
        if hatch:
            handles.append(Patch(facecolor=palette.NHS_DARK_GREY, edgecolor=palette.CORE20_HATCH_LIGHT,
                                 hatch=CORE20_HATCH, linewidth=1.2))
            labels.append(outline_label)
        else:  # the national outline: the very line the map draws, on its halo
            handles.append(Line2D([], [], color=palette.CORE20_NATIONAL_LINE, linewidth=CORE20_NATIONAL_PT,
                                  path_effects=[patheffects.withStroke(linewidth=CORE20_NATIONAL_HALO_PT,
                                                                       foreground=palette.CORE20_HALO)]))
            labels.append(CORE20_NATIONAL_LABEL if outline_label == CORE20_LABEL
                          else outline_label.replace("hatched", "outlined"))
    if area_name:
        handles.append(Line2D([], [], color=palette.PRINT_AREA_LINE, linewidth=2))
        labels.append(f"{area_name} boundary")
    if reach:
        handles.append(Line2D([], [], color=palette.REACH_LINE, linewidth=1.5, linestyle=(0, (3, 2))))
        labels.append(REACH_LABEL)
    for layer in points:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=layer.marker,
                markersize=8,
                markerfacecolor="white",
                markeredgecolor=layer.colour,
                markeredgewidth=2,
            )
        )
        labels.append(f"{layer.legend_label} ({len(layer.points):,})")
    title = "\n".join(textwrap.wrap(legend.title, 42))
    if any(e.count is not None for e in legend.entries):
        title += f"\n({legend.count_what})"
    labels = ["\n".join(textwrap.wrap(lab, 52)) for lab in labels]
    leg = ax.legend(
        handles,
        labels,
        loc="upper left",
        frameon=False,
        title=title,
        alignment="left",
        prop={"family": FONT, "size": 8.5},
        title_fontproperties={"family": FONT, "size": 9.5, "weight": "bold"},
        handlelength=1.6,
        handleheight=1.1,
        borderaxespad=0.0,
        labelspacing=0.45,
        ncols=2 if len(handles) > 4 and ax.get_position().width > 0.6 else 1,
    )
    leg.set_in_layout(False)
