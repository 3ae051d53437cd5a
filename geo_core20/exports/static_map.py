"""Print-quality static maps drawn on the server (geopandas + matplotlib, no browser).

One generic drawing function, :func:`draw_map`, takes LSOAs, a class per LSOA and the legend
of those classes (``maps.classify.Legend``: the same colours, labels and counts as the
interactive map) and lays out a page: title and subtitle on top, the map on the left, the
legend and a small England locator *beside* it (never over the area), a scale bar and north
arrow on the map, notes and the attribution at the foot. Everything is drawn in British
National Grid (EPSG:27700), so the scale bar's metres are true.

    fig = explorer_map("2025", "icb", "E54000008").figure
    png = figure_bytes(fig, "png")          # 300 dpi

Wrappers: :func:`explorer_map` (an explorer view), :func:`plan_map` (a saved outreach plan,
from ``PlanResult.to_dict()``) and :func:`coastal_map` (the coastal PLUS layer). ``legend=False``
draws the map alone (for a slide, where the legend is real text).
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib_scalebar.scalebar import ScaleBar

from geo_core20 import areas, atlas, schema
from geo_core20.maps import choropleth, classify, styles, view

FORMATS = ("png", "svg", "pdf")
"""Output types of a static map (by file suffix)."""
DPI = 300
PAGE_SIZE = (11.69, 8.27)  # A4 landscape, inches
SLIDE_MAP_SIZE = (8.4, 6.4)  # the map picture of a slide (the legend is text beside it)
FONT = "DejaVu Sans"  # bundled with matplotlib: the same glyphs on every server
CORE20_LABEL = "Core20 LSOA (national IMD deciles 1-2), outlined"
CORE20_DEFINITION = "Core20 = LSOAs in national IMD deciles 1-2 (the most deprived 20% in England)"
_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]


class ExportError(ValueError):
    """A bad export request (format, level, area or shading); the message names the valid choices."""


@dataclass(frozen=True)
class PointLayer:
    """Points drawn over the map (e.g. chosen outreach sites), each with a short label."""

    points: gpd.GeoDataFrame  # any CRS
    label_column: str | None = "label"
    legend_label: str = "Site"
    colour: str = "#d7191c"
    marker: str = "o"
    size: float = 60.0


@dataclass
class MapFigure:
    """A drawn map and what describes it (for the report and the slide deck)."""

    figure: Figure
    title: str
    subtitle: str
    legend: classify.Legend
    notes: tuple[str, ...] = ()
    key_numbers: dict[str, str] = field(default_factory=dict)
    point_layers: tuple[PointLayer, ...] = ()


def check_format(fmt: str) -> str:
    """The lower-case output type, or ExportError naming the valid ones."""
    f = str(fmt).lower().lstrip(".")
    if f not in FORMATS:
        raise ExportError(
            f"unknown map output type {fmt!r}; choose one of {', '.join(FORMATS)} "
            "(by the file's suffix: .png, .svg, .pdf)"
        )
    return f


def format_of(path: str | Path) -> str:
    """The output type of a file name, from its suffix."""
    suffix = Path(path).suffix
    if not suffix:
        raise ExportError(
            f"{str(path)!r} has no suffix; end it with one of {', '.join('.' + f for f in FORMATS)}"
        )
    return check_format(suffix)


def figure_bytes(fig: Figure, fmt: str, dpi: int = DPI) -> bytes:
    """The figure as PNG (``dpi``), SVG (text kept as text, so it is searchable) or PDF."""
    fmt = check_format(fmt)
    buf = io.BytesIO()
    # text as text in SVG/PDF (searchable, editable); a fixed hash salt keeps SVG ids stable
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42, "svg.hashsalt": "geo_core20"}):
        # PNG: zlib level 3 is ~2x faster than the default 6 for a few % more bytes
        extra = {"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}
        fig.savefig(buf, format=fmt, dpi=dpi, facecolor="white", **extra)
    return buf.getvalue()


# --- geometry helpers ---------------------------------------------------------------------------


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


# --- the generic drawing function ---------------------------------------------------------------


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
    # 1 data unit = 1 m in British National Grid
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
    _north_arrow(ax)
    if ax_loc is not None:
        _locator(
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
        _legend(
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
            foot.extend(textwrap.wrap(" ".join(compact_attribution(attribution)), 205))
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


_YEAR_END = re.compile(r"^(?P<head>.*?)(?P<year>(19|20)\d{2})(?P<tail>\.?)$")


def compact_attribution(lines: Sequence[str]) -> list[str]:
    """Distinct notices, those differing only in their final year merged ("... right 2021, 2022 and 2024.")
    so the foot of a map stays short; no notice is dropped."""
    merged: dict[str, list[str]] = {}
    order: list[str] = []
    for line in dict.fromkeys(x.strip() for x in lines if x and x.strip()):
        m = _YEAR_END.match(line)
        key = f"{m['head']}\x00{m['tail']}" if m else line
        if key not in merged:
            merged[key] = []
            order.append(key)
        if m:
            merged[key].append(m["year"])
    out = []
    for key in order:
        years = sorted(set(merged[key]))
        if not years:
            out.append(key)
            continue
        head, tail = key.split("\x00")
        joined = years[0] if len(years) == 1 else f"{', '.join(years[:-1])} and {years[-1]}"
        out.append(f"{head}{joined}{tail}")
    return out


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


def _north_arrow(ax) -> None:
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


def _locator(ax, vintage: str, area: shapely.Geometry, extent: Sequence[float]) -> None:
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


def _legend(
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


# --- wrappers -----------------------------------------------------------------------------------


def _check_view(vintage: str, level: str, area_code: str | None, shade: str) -> None:
    if vintage not in schema.VINTAGES:
        raise ExportError(f"unknown vintage {vintage!r}; choose one of {', '.join(schema.VINTAGES)}")
    try:
        areas.check_level(level)
        styles.check_shade(shade)
    except ValueError as exc:
        raise ExportError(str(exc)) from exc
    if level != "england" and not area_code:
        raise ExportError(f"a {schema.LEVEL_LABEL[level]} view needs an area code (--area)")


def _area(vintage: str, level: str, area_code: str | None) -> tuple[str, str]:
    """(code, name) of a view's area; ExportError for an unknown code (naming where to list them)."""
    gdf = atlas.load_atlas(vintage)
    try:
        name = areas.area_name(gdf, level, area_code)
    except areas.AreaError as exc:
        valid = areas.list_areas(gdf, level)
        some = ", ".join(f"{c} ({n})" for c, n in valid.head(3).itertuples(index=False))
        raise ExportError(
            f"{exc}; valid {schema.LEVEL_LABEL[level]} codes include {some} ({len(valid)} in all: "
            f"list them with `python -m geo_core20 summary --vintage {vintage} --level {level}`)"
        ) from exc
    return (schema.ENGLAND_CODE if level == "england" else str(area_code)), name


def _context(vintage: str, level: str, code: str, bounds: Sequence[float]) -> gpd.GeoSeries | None:
    if level == "england":
        return None
    outlines = view.level_outlines(vintage, view.CONTEXT_LEVEL[level])
    minx, miny, maxx, maxy = bounds
    pad_x, pad_y = (maxx - minx) * 0.6, (maxy - miny) * 0.6
    near = outlines[outlines.intersects(shapely.box(minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y))]
    return near.drop(index=code, errors="ignore")


def subtitle_for(vintage: str, level: str, summary: dict) -> str:
    """'ICB · IoD2025 (LSOA 2021) · 1,234 LSOAs, population 1,000,000 · Core20 = ...'."""
    return (
        f"{schema.LEVEL_LABEL[level]} · {view.vintage_label(vintage)} · {summary['lsoas']:,} LSOAs, "
        f"population {summary['population']:,} · Core20: {summary['core20_lsoas']:,} LSOAs, "
        f"{summary['core20_population_pct']:.1%} of residents\n{CORE20_DEFINITION}"
    )


def key_numbers(summary: dict) -> dict[str, str]:
    """The view's headline figures, formatted (the same numbers as the `summary` command)."""
    return {
        "LSOAs": f"{summary['lsoas']:,}",
        "Population": f"{summary['population']:,}",
        "Core20 LSOAs": f"{summary['core20_lsoas']:,}",
        "Core20 population": f"{summary['core20_population']:,}",
        "Core20 share of population": f"{summary['core20_population_pct']:.1%}",
    }


@dataclass
class MapView:
    """What every map of one view needs: its LSOAs, classes, legend, boundary and figures."""

    vintage: str
    level: str
    code: str
    name: str
    frame: gpd.GeoDataFrame
    classes: classify.Classes
    legend: classify.Legend
    boundary: shapely.Geometry | None
    summary: dict
    context: gpd.GeoSeries | None


def map_view(vintage: str, level: str, area_code: str | None, shade: str,
             core20_outline: bool = True) -> MapView:
    _check_view(vintage, level, area_code, shade)
    code, name = _area(vintage, level, area_code)
    gdf = atlas.load_atlas(vintage)
    frame = view.view_frame(vintage, level, area_code)
    classes = styles.classes_for(shade, gdf, view.vintage_label(vintage))
    boundary = None if level == "england" else view.level_outlines(vintage, level).get(code)
    legend = classes.legend(
        frame[shade],
        core20_outline=core20_outline,
        area_name=name if boundary is not None else "",
        no_data=True,
    )
    context = _context(vintage, level, code, choropleth.total_bounds(frame.geometry))
    return MapView(
        vintage,
        level,
        code,
        name,
        frame,
        classes,
        legend,
        boundary,
        areas.area_summary(gdf, level, area_code),
        context,
    )


def locator_vintage(v: MapView) -> str | None:
    """England needs no "where in England" inset."""
    return None if v.level == "england" else v.vintage


def explorer_map(
    vintage: str,
    level: str,
    area_code: str | None = None,
    shade: str = schema.IMD_DECILE,
    *,
    core20_outline: bool = True,
    with_legend: bool = True,
) -> MapFigure:
    """The static map of an explorer view: LSOAs shaded as in the app, Core20 outlined."""
    v = map_view(vintage, level, area_code, shade, core20_outline)
    title = f"{v.name}: {styles.SHADINGS[shade]}"
    subtitle = subtitle_for(vintage, level, v.summary)
    fig = draw_map(
        v.frame,
        v.classes.find_bin(v.frame[shade]),
        v.legend,
        title=title,
        subtitle=subtitle,
        notes=v.legend.notes,
        attribution=view.attribution_lines(vintage),
        outline_mask=v.frame[schema.CORE20].to_numpy(dtype=bool) if core20_outline else None,
        area_boundary=v.boundary,
        area_name=v.name,
        context=v.context,
        locator_vintage=locator_vintage(v),
        with_legend=with_legend,
    )
    return MapFigure(fig, title, subtitle, v.legend, v.legend.notes, key_numbers(v.summary))


def plan_points(plan: dict) -> list[PointLayer]:
    """Point layers of a plan record (``PlanResult.to_dict()``): fixed sites, then chosen ones."""
    siting = plan.get("siting") or {}
    layers = []
    for key, what, colour, marker in (
        ("fixed", "Fixed (existing) site", "#1f78b4", "s"),
        ("chosen", "Chosen outreach site", "#d7191c", "o"),
    ):
        rows = pd.DataFrame(siting.get(key) or [])
        if rows.empty or not {"lon", "lat"} <= set(rows.columns):
            continue
        rows = rows.dropna(subset=["lon", "lat"])
        names = rows["name"].fillna("").astype(str) if "name" in rows else pd.Series("", index=rows.index)
        rank = rows["rank"] if "rank" in rows else pd.Series(range(1, len(rows) + 1), index=rows.index)
        label = [
            f"{int(r)}. {n[:32]}" if key == "chosen" else n[:32] for r, n in zip(rank, names, strict=True)
        ]
        pts = gpd.GeoDataFrame(
            {"label": label}, geometry=gpd.points_from_xy(rows["lon"], rows["lat"]), crs=schema.CRS_WGS84
        )
        layers.append(PointLayer(pts, "label", what, colour, marker))
    return layers


def plan_map(
    plan: dict, *, shade: str = schema.IMD_DECILE, with_legend: bool = True, name: str | None = None
) -> MapFigure:
    """The map of an outreach plan (a ``PlanResult.to_dict()`` record, e.g. ``SavedPlan.data``):
    the area shaded as the explorer, Core20 outlined, fixed and chosen sites marked and labelled."""
    req = plan.get("request") or {}
    vintage, level = str(req.get("vintage", "2025")), str(req.get("level", "icb"))
    v = map_view(vintage, level, req.get("area_code"), shade)
    summ = plan.get("summary") or {}
    layers = plan_points(plan)
    radius = req.get("radius_km")
    share = summ.get("covered_share")
    what = (
        f"{plan.get('target_label') or req.get('target', 'target')} residents, "
        f"{req.get('k', '?')} new sites ({str(req.get('objective', '')).upper()}"
        f"{f', {float(radius):g} km' if radius is not None else ''})"
    )
    covered = "" if share is None else f" reaching {float(share):.1%} of them"
    title = f"{v.name}: outreach plan{f' {name}' if name else ''}"
    subtitle = f"{what}{covered} · {view.vintage_label(vintage)}\n{CORE20_DEFINITION}"
    fig = draw_map(
        v.frame,
        v.classes.find_bin(v.frame[shade]),
        v.legend,
        title=title,
        subtitle=subtitle,
        notes=v.legend.notes,
        attribution=[*view.attribution_lines(vintage), *(plan.get("attribution") or [])],
        outline_mask=v.frame[schema.CORE20].to_numpy(dtype=bool),
        area_boundary=v.boundary,
        area_name=v.name,
        context=v.context,
        points=layers,
        locator_vintage=locator_vintage(v),
        with_legend=with_legend,
    )
    numbers = key_numbers(v.summary)
    if share is not None:
        numbers = {
            "Target residents reached": f"{float(share):.1%}",
            "Target residents covered": f"{float(summ.get('target_population_covered') or 0):,.0f}",
            "Target population": f"{float(summ.get('total_target_population') or 0):,.0f}",
            "New sites": f"{len((plan.get('siting') or {}).get('chosen') or []):,}",
            **numbers,
        }
    return MapFigure(fig, title, subtitle, v.legend, v.legend.notes, numbers, tuple(layers))


def export_map(
    vintage: str,
    level: str,
    area_code: str | None,
    out: str | Path,
    shade: str = schema.IMD_DECILE,
    *,
    core20_outline: bool = True,
) -> Path:
    """Write an explorer view's map to ``out`` (.png at 300 dpi, .svg or .pdf); the CLI and app share it."""
    fmt = format_of(out)
    m = explorer_map(vintage, level, area_code, shade, core20_outline=core20_outline)
    data = figure_bytes(m.figure, fmt)
    path = Path(out)
    path.write_bytes(data)
    return path
