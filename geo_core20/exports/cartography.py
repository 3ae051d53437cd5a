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

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib_scalebar.scalebar import ScaleBar

from geo_core20 import schema, sources
from geo_core20.maps import choropleth, classify, styles, view

PAGE_SIZE = (11.69, 8.27)  # A4 landscape, inches
SLIDE_MAP_SIZE = (8.4, 6.4)  # the map picture of a slide (the legend is text beside it)
FONT = "DejaVu Sans"  # bundled with matplotlib: the same glyphs on every server
CORE20_LABEL = "Core20 LSOA (national IMD deciles 1-2), outlined"
CORE20_DEFINITION = "Core20 = LSOAs in national IMD deciles 1-2 (the most deprived 20% in England)"
_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]


@dataclass(frozen=True)
class PointLayer:
    """Points drawn over the map (e.g. chosen outreach sites), each with a short label."""

    points: gpd.GeoDataFrame  # any CRS
    label_column: str | None = "label"
    legend_label: str = "Site"
    colour: str = "#d7191c"
    marker: str = "o"
    size: float = 60.0


@lru_cache(maxsize=4)
def england_outline(vintage: str) -> shapely.Geometry:
    """England's outline in British National Grid (dissolved regions, simplified to 300 m)."""
    regions = view.level_outlines(vintage, "region").to_crs(schema.CRS_BNG)
    return shapely.simplify(shapely.union_all(regions.values), 300)


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
) -> Figure:
    """Draw LSOAs filled by class on a page (or, ``with_legend=False``, the map alone for a slide).

    ``class_index``: class of each LSOA (0-based, as ``legend.entries``; -1 = no data, grey).
    ``outline_mask``: LSOAs outlined (Core20) as one dissolved thin line on a white halo, so
    small fills stay visible. ``area_boundary`` (EPSG:4326) is drawn in red and marked on the
    England locator (``locator_vintage`` picks its outline; None = no locator). ``context``:
    surrounding area outlines (EPSG:4326), light grey.
    """
    if len(class_index) != len(lsoas):
        raise ValueError("class_index needs one class per LSOA")
    frame = lsoas.to_crs(schema.CRS_BNG) if lsoas.crs is not None else lsoas.set_crs(schema.CRS_BNG)
    palette = np.asarray([*(e.colour for e in legend.entries), classify.NO_DATA_COLOUR], dtype=object)
    idx = np.asarray(class_index, dtype=np.int64)
    idx = np.where((idx >= 0) & (idx < len(legend.entries)), idx, -1)
    colours = palette[idx]

    fig = Figure(figsize=PAGE_SIZE if with_legend else SLIDE_MAP_SIZE, dpi=100)
    fig.patch.set_facecolor("white")
    if with_legend:
        ax = fig.add_axes((0.015, 0.165, 0.645, 0.69))
        ax_leg = fig.add_axes((0.675, 0.40, 0.315, 0.455))
        ax_loc = fig.add_axes((0.71, 0.165, 0.24, 0.22)) if locator_vintage else None
    else:
        ax = fig.add_axes((0.0, 0.0, 0.80, 1.0))
        ax_leg = None
        ax_loc = fig.add_axes((0.805, 0.02, 0.19, 0.30)) if locator_vintage else None
    ax.set_axis_off()

    geoms = frame.geometry.values
    bounds = shapely.total_bounds(np.asarray(geoms))
    box = ax.get_position()
    fw, fh = fig.get_size_inches()
    x0, y0, x1, y1 = _padded(bounds, (box.width * fw) / (box.height * fh))

    if context is not None and len(context):
        ctx = context.to_crs(schema.CRS_BNG)
        ctx.plot(
            ax=ax,
            facecolor="#f3f3f3",
            edgecolor=styles.CONTEXT_LINE,
            linewidth=0.5,
            linestyle=(0, (4, 3)),
            zorder=1,
        )
    edge = _edge_width(len(frame))
    gpd.GeoSeries(geoms, crs=schema.CRS_BNG).plot(
        ax=ax,
        color=list(colours),
        edgecolor=styles.LSOA_EDGE if edge else "face",
        linewidth=edge or 0.05,
        zorder=2,
    )
    if outline_mask is not None:
        mask = np.asarray(outline_mask, dtype=bool)
        if mask.any():
            outline = choropleth.dissolve(np.asarray(geoms)[mask])
            line = gpd.GeoSeries([shapely.boundary(outline)], crs=schema.CRS_BNG)
            if len(frame) > 8000:
                # national scale: a hairline without halo, or the cities turn black and hide their fills
                line.plot(ax=ax, color=styles.CORE20_LINE, linewidth=0.12, zorder=4)
            else:
                line.plot(ax=ax, color=styles.CORE20_HALO, linewidth=1.4, zorder=3)
                line.plot(ax=ax, color=styles.CORE20_LINE, linewidth=0.6, zorder=4)
    boundary_bng = _bng(area_boundary)
    if boundary_bng is not None:
        gpd.GeoSeries([shapely.boundary(boundary_bng)], crs=schema.CRS_BNG).plot(
            ax=ax, color=styles.AREA_LINE, linewidth=1.4, zorder=5
        )
    for layer in points:
        _draw_points(ax, layer)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    draw_scale_bar(ax)
    draw_north_arrow(ax)
    if ax_loc is not None:
        draw_locator(
            ax_loc,
            locator_vintage,
            boundary_bng if boundary_bng is not None else shapely.box(*bounds),
            (x0, y0, x1, y1),
        )

    if with_legend:
        # a long area name shrinks the title rather than running off the page
        size = 18.0 if len(title) <= 70 else max(11.0, 18.0 * 70 / len(title))
        fig.text(0.015, 0.965, title, fontsize=size, fontweight="bold", family=FONT, va="top")
        if subtitle:
            fig.text(
                0.015, 0.918, subtitle, fontsize=10.5, color="#333333", family=FONT, va="top", linespacing=1.4
            )
        draw_legend(
            ax_leg,
            legend,
            outline_label if outline_mask is not None and np.any(outline_mask) else "",
            area_name if boundary_bng is not None else "",
            points,
        )
        foot = []
        if notes:
            foot.extend(textwrap.wrap("Notes: " + " ".join(notes), 190))
        if attribution:
            foot.extend(textwrap.wrap(" ".join(sources.merge_attribution(attribution)), 205))
        fig.text(
            0.015,
            0.012,
            "\n".join(foot),
            fontsize=6.3,
            color="#444444",
            family=FONT,
            va="bottom",
            linespacing=1.35,
        )
    return fig


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
    gpd.GeoSeries([eng], crs=schema.CRS_BNG).plot(
        ax=ax, facecolor="#e6e6e6", edgecolor="#8c8c8c", linewidth=0.4
    )
    if not area.equals(eng):
        gpd.GeoSeries([area], crs=schema.CRS_BNG).plot(
            ax=ax, facecolor=styles.AREA_LINE, edgecolor=styles.AREA_LINE, linewidth=0.6
        )
        x0, y0, x1, y1 = extent
        if (x1 - x0) < 60_000:  # a small area is a dot at this scale: box it too
            ax.add_patch(
                matplotlib.patches.Rectangle(
                    (x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=styles.AREA_LINE, linewidth=1.0
                )
            )
    ax.set_aspect("equal")
    ax.set_title("Location in England", fontsize=7.5, family=FONT, color="#444444")


def draw_legend(
    ax, legend: classify.Legend, outline_label: str, area_name: str, points: Sequence[PointLayer]
) -> None:
    ax.set_axis_off()
    handles: list = []
    labels: list[str] = []
    for e in legend.entries:
        handles.append(Patch(facecolor=e.colour, edgecolor="#888888", linewidth=0.5))
        labels.append(e.label if e.count is None else f"{e.label}  ({e.count:,})")
    if outline_label:
        handles.append(Patch(facecolor="white", edgecolor=styles.CORE20_LINE, linewidth=1.2))
        labels.append(outline_label)
    if area_name:
        handles.append(Line2D([], [], color=styles.AREA_LINE, linewidth=2))
        labels.append(f"{area_name} boundary")
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
    counted = any(e.count is not None for e in legend.entries)
    title = "\n".join(textwrap.wrap(legend.title, 42))
    if counted:
        title += f"\n(counts: {legend.count_what})"
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
    )
    leg.set_in_layout(False)
