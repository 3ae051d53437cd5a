"""The catalogue of print maps: an explorer view, the coastal layer, a Core20PLUS target, a clinical
focus layer and an outreach plan, each drawn by ``cartography.draw_map`` from one view record
(``maps.view.ViewData``: the same frame, classes, legend, boundary and surrounding areas as the
interactive map; print maps show surrounding areas within ``view.PRINT_CONTEXT_PAD``).

    vd = print_view("2025", "icb", "E54000008")      # validated; ExportError names the valid choices
    fig = explorer_map(vd).figure
    png = formats.figure_bytes(fig, "png")           # 300 dpi
    coastal_map(vd); target_map(vd, spec); focus_map(vd, "hypertension"); plan_map(plan_view(plan), plan)
    change_map(vd)                                   # Core20 then and now (an IoD2025 view)
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure

from geo_core20 import access, areas, atlas, change, clinical, plus, readers, schema, sources
from geo_core20.clinical import hypertension
from geo_core20.errors import ExportError
from geo_core20.exports import cartography
from geo_core20.exports.cartography import CORE20_DEFINITION, PointLayer, draw_map, place_labels
from geo_core20.exports.formats import figure_bytes, format_of, write_output
from geo_core20.maps import change_maps, classify, outreach, palette, plus_maps, styles, view
from geo_core20.maps.view import ViewData

PLAN_SITE_STYLES = (  # (record key, legend label, colour, marker): fixed sites, then chosen ones
    ("fixed", "Fixed (existing) site", outreach.FIXED_COLOUR, "s"),  # the app's colours: grey, NHS blue
    ("chosen", "Chosen outreach site", outreach.CHOSEN_COLOUR, "o"),
)


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
    reach: bool = False  # the map draws the reach of its sites (the legend says so)
    caveat: str = ""  # what the figures need beside them wherever the map goes (a slide: beside the picture)


def print_view(vintage: str, level: str, area_code: str | None = None, shade: str = schema.IMD_DECILE,
               core20_outline: bool = True) -> ViewData:
    """The view record of a print request, or ExportError naming the valid vintages, levels,
    shadings or (for an unknown code) some area codes and how to list them all."""
    if vintage not in schema.VINTAGES:
        raise ExportError(f"unknown vintage {vintage!r}; choose one of {', '.join(schema.VINTAGES)}")
    try:
        areas.check_level(level)
        styles.check_shade(shade)
    except ValueError as exc:
        raise ExportError(str(exc)) from exc
    if level != "england" and not area_code:
        raise ExportError(f"a {schema.LEVEL_LABEL[level]} view needs an area code (--area)")
    try:
        return view.view_data(vintage, level, area_code, shade, core20_outline)
    except areas.AreaError as exc:
        valid = areas.list_areas(atlas.load_atlas(vintage), level)
        some = ", ".join(f"{c} ({n})" for c, n in valid.head(3).itertuples(index=False))
        raise ExportError(
            f"{exc}; valid {schema.LEVEL_LABEL[level]} codes include {some} ({len(valid)} in all: "
            f"list them with `python -m geo_core20 summary --vintage {vintage} --level {level}`)"
        ) from exc


BSC_NOTE = "Boundaries: ONS super-generalised (200 m, BSC) LSOA {year} boundaries."
BGC_NOTE = "Boundaries: ONS generalised (20 m, BGC) LSOA 2021 boundaries."


@lru_cache(maxsize=2)
def _read_bgc(path: str, mtime: float) -> gpd.GeoDataFrame:
    """The BGC file's LSOAs (EPSG:4326) indexed by code (cached by path and modification time)."""
    return readers.read_lsoa_boundaries(path, "2021").set_index(schema.LSOA_CODE)


def print_geometry(vd: ViewData, path: str | Path | None = None) -> tuple[gpd.GeoSeries, str]:
    """The LSOA shapes a print of ``vd`` draws and the note that says which: ONS's generalised
    (20 m, BGC) LSOA 2021 boundaries when the optional file is in the boundaries cache (``path``:
    another copy, e.g. a test fixture) and the view is below national level; else the atlas's
    super-generalised (BSC) ones, the default and the fallback."""
    bsc = (vd.frame.geometry, BSC_NOTE.format(year="2021" if vd.vintage == "2025" else "2011"))
    file = _bgc_file(vd, path)
    if file is None:
        return bsc
    fine = _read_bgc(*file)
    codes = vd.frame[schema.LSOA_CODE]
    if not codes.isin(fine.index).all():
        return bsc  # a partial file: the whole print stays on one resolution
    geoms = fine.loc[codes.to_numpy()].geometry.to_numpy()
    return gpd.GeoSeries(geoms, index=vd.frame.index, crs=fine.crs), BGC_NOTE


def _bgc_file(vd: ViewData, path: str | Path | None) -> tuple[str, float] | None:
    """(path, modification time) of the BGC file a print of ``vd`` would read; None: BSC only."""
    if vd.level == "england" or vd.vintage != "2025":
        return None
    file = Path(path) if path is not None else sources.get(sources.BGC_ID).dest()
    return (str(file), file.stat().st_mtime) if file.exists() else None


def _view_key(vd: ViewData, path: str | Path | None) -> tuple:
    """What a print's shapes depend on: the view's LSOAs (vintage, level, area) and the BGC file."""
    return vd.vintage, vd.level, vd.code_or_none, _bgc_file(vd, path)


def prepared_geometry(vd: ViewData, path: str | Path | None = None) -> tuple[cartography.PrintGeometry, str]:
    """The shapes a print of ``vd`` draws, prepared (``cartography.PrintGeometry``: British National
    Grid, paths, dissolved outlines), and the note naming their resolution (``print_geometry``):
    memoised per (vintage, level, area, BGC file), so every map and format of an area (explorer,
    coastal, focus, plan; PNG, PDF, profile, deck) reuses one. A record whose LSOAs are not its
    view's (not made by ``view.view_data``) gets its own, unshared."""
    key = _view_key(vd, path)
    if isinstance(vd, ViewData):
        geometry, resolution, codes = _prepared(*key)
        if np.array_equal(codes, vd.frame[schema.LSOA_CODE].to_numpy()):
            return geometry, resolution
    return _prepare(vd, key[-1])


def _prepare(vd: ViewData, bgc: tuple[str, float] | None) -> tuple[cartography.PrintGeometry, str]:
    geoms, resolution = print_geometry(vd, bgc[0] if bgc else None)
    context = None if vd.level == "england" else vd.context_within(view.PRINT_CONTEXT_PAD)
    return cartography.PrintGeometry.of(geoms, vd.boundary, context), resolution


@lru_cache(maxsize=8)
def _prepared(vintage: str, level: str, area_code: str | None,
              bgc: tuple[str, float] | None) -> tuple[cartography.PrintGeometry, str, np.ndarray]:
    vd = view.view_data(vintage, level, area_code)
    return (*_prepare(vd, bgc), vd.frame[schema.LSOA_CODE].to_numpy())


def _labels(vd: ViewData) -> gpd.GeoDataFrame | None:
    """Local authority names: the area's own first, then its neighbours by population; on England,
    the cities (``_city_labels``)."""
    return _labels_of(vd.vintage, vd.level, vd.code_or_none)


LONDON_REGION = "E12000007"
CITY_DENSITY = 1000  # residents per km2: a city's authority (Leeds 1,500), not a rural county (Cornwall 160)
CITY_SPACING_M = 30_000  # no England name this near a bigger city (Salford by Manchester)


@lru_cache(maxsize=8)
def _labels_of(vintage: str, level: str, area_code: str | None) -> gpd.GeoDataFrame | None:
    vd = view.view_data(vintage, level, area_code)
    lad = schema.LEVEL_COLUMNS["lad"][0]
    pop = vd.national.groupby(lad)[schema.POPULATION].sum().astype(float)
    if vd.level == "england":
        return _city_labels(vd, pop)
    priority = pop.to_dict()
    for code in pd.unique(vd.frame[lad]):  # the area's own authorities before its neighbours
        priority[code] = priority.get(code, 0.0) + 1e9
    return place_labels(priority)


def _city_labels(vd: ViewData, pop: pd.Series) -> gpd.GeoDataFrame | None:
    """England's place names: its cities, not boroughs. London once, at the centre of the London region
    (its boroughs unnamed), then the densely populated authorities (at least ``CITY_DENSITY`` residents
    per km2; the rest after them), each at least ``CITY_SPACING_M`` from a larger one. A name left out for
    a bigger city nearby adds its residents to that city, so cities rank by their conurbation (Manchester
    with Salford, Stockport, Oldham ... before Sheffield, whose own authority has as many residents).
    "Bristol, City of" reads "Bristol"."""
    labels = place_labels(pop.to_dict())
    if labels is None:
        return None
    lad, region = schema.LEVEL_COLUMNS["lad"][0], schema.LEVEL_COLUMNS["region"][0]
    london = pd.unique(vd.national.loc[vd.national[region] == LONDON_REGION, lad])
    km2 = shapely.area(np.asarray(labels["area"].to_numpy())) / 1e6
    dense = labels["priority"].to_numpy() >= CITY_DENSITY * km2
    labels = labels.assign(priority=np.where(dense, labels["priority"], labels["priority"] / 100))
    rows = labels[~labels["code"].isin(london)]
    if len(london):
        outline = view.level_outlines(vd.vintage, "region").loc[[LONDON_REGION]].to_crs(schema.CRS_BNG)
        rows = pd.concat([gpd.GeoDataFrame(
            {"name": ["London"], "code": [LONDON_REGION], "area": [outline.iloc[0]],
             "priority": [float(pop.reindex(london).sum())]}, geometry=[outline.centroid.iloc[0]],
            crs=schema.CRS_BNG), rows])
    rows = rows.sort_values("priority", ascending=False, kind="stable")
    xy = shapely.get_coordinates(rows.geometry.values)
    kept: list[int] = []
    total = rows["priority"].to_numpy(dtype=float).copy()
    for i in range(len(rows)):
        dist = np.hypot(*(xy[kept] - xy[i]).T) if kept else np.empty(0)
        if len(dist) and dist.min() < CITY_SPACING_M:
            total[kept[int(dist.argmin())]] += total[i]  # a borough of the city beside it
        else:
            kept.append(i)
    out = rows.iloc[kept].assign(priority=total[kept]).sort_values("priority", ascending=False, kind="stable")
    out["name"] = out["name"].str.replace(r", City of$", "", regex=True)
    return out


def _draw(vd: ViewData, class_index: Sequence[int] | np.ndarray, legend: classify.Legend, *, title: str,
          subtitle: str, notes: Sequence[str], attribution: Sequence[str], outline: bool = True,
          points: Sequence[PointLayer] = (), with_legend: bool = True, reach: gpd.GeoSeries | None = None,
          panel: str = "", bgc_path: str | Path | None = None) -> Figure:
    """``draw_map`` of a view record: its LSOAs (finer BGC shapes when there: ``print_geometry``),
    Core20 hatched, boundary, surrounding areas (none for England), grey land, place names and
    England locator (not for England itself); the notes say which boundaries were drawn."""
    england = vd.level == "england"
    geometry, resolution = prepared_geometry(vd, bgc_path)
    return draw_map(
        vd.frame,
        class_index,
        legend,
        title=title,
        subtitle=subtitle,
        notes=(*notes, resolution),
        attribution=attribution,
        outline_mask=vd.core20_mask if outline else None,
        area_boundary=vd.boundary,
        area_name=vd.area_name,
        context=None if england else vd.context_within(view.PRINT_CONTEXT_PAD),
        points=points,
        locator_vintage=None if england else vd.vintage,
        with_legend=with_legend,
        labels=_labels(vd),
        reach=reach,
        panel=panel,
        geometry=geometry,
    )


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


def explorer_map(vd: ViewData, *, with_legend: bool = True) -> MapFigure:
    """The static map of an explorer view: LSOAs shaded as in the app, Core20 outlined (when the
    record's ``core20_outline`` is on)."""
    title = f"{vd.area_name}: {styles.SHADINGS[vd.shade]}"
    subtitle = subtitle_for(vd.vintage, vd.level, vd.summary)
    fig = _draw(vd, vd.classes.find_bin(vd.frame[vd.shade]), vd.legend, title=title, subtitle=subtitle,
                notes=vd.legend.notes, attribution=view.attribution_lines(vd.vintage),
                outline=vd.core20_outline, with_legend=with_legend)
    return MapFigure(fig, title, subtitle, vd.legend, vd.legend.notes, key_numbers(vd.summary))


def export_map(vintage: str, level: str, area_code: str | None, out: str | Path,
               shade: str = schema.IMD_DECILE, *, core20_outline: bool = True) -> Path:
    """Write an explorer view's map to ``out`` (.png at 300 dpi, .svg or .pdf); the CLI and app share it."""
    fmt = format_of(out)
    m = explorer_map(print_view(vintage, level, area_code, shade, core20_outline))
    return write_output(out, figure_bytes(m.figure, fmt))


# --- plans --------------------------------------------------------------------------------------


def plan_view(plan: dict, shade: str = schema.IMD_DECILE) -> ViewData:
    """The view record of a plan record's area (``PlanResult.to_dict()``)."""
    req = plan.get("request") or {}
    vintage, level = str(req.get("vintage", "2025")), str(req.get("level", "icb"))
    return print_view(vintage, level, req.get("area_code"), shade)


SITE_LABEL_CHARS = 24
"""Longest line of a site's label on a print map: a longer name wraps onto the next line (never cut)."""


def site_label(text: str) -> str:
    """A site's map label: its whole name, wrapped at ``SITE_LABEL_CHARS`` (a rank stays with the name)."""
    if len(text) <= SITE_LABEL_CHARS:
        return text
    return textwrap.fill(" ".join(text.split()), SITE_LABEL_CHARS, break_on_hyphens=False)


def plan_points(plan: dict) -> list[PointLayer]:
    """Point layers of a plan record (``PlanResult.to_dict()``): fixed sites, then chosen ones."""
    siting = plan.get("siting") or {}
    layers = []
    for key, what, colour, marker in PLAN_SITE_STYLES:
        rows = pd.DataFrame(siting.get(key) or [])
        if rows.empty or not {"lon", "lat"} <= set(rows.columns):
            continue
        rows = rows.dropna(subset=["lon", "lat"])
        names = rows["name"].fillna("").astype(str) if "name" in rows else pd.Series("", index=rows.index)
        rank = rows["rank"] if "rank" in rows else pd.Series(range(1, len(rows) + 1), index=rows.index)
        label = [
            site_label(f"{int(r)}. {n}" if key == "chosen" else n) for r, n in zip(rank, names, strict=True)
        ]
        pts = gpd.GeoDataFrame(
            {"label": label}, geometry=gpd.points_from_xy(rows["lon"], rows["lat"]), crs=schema.CRS_WGS84
        )
        layers.append(PointLayer(pts, "label", what, colour, marker))
    return layers


PLAN_CLASSES = (  # (label, colour): the plan map's shading (blue/orange: safe for colour-blind readers)
    ("Target LSOA reached by the plan", palette.PLAN_REACHED),
    ("Target LSOA not reached", palette.PLAN_NOT_REACHED),
    ("Not in the target", palette.PLAN_OTHER),
)


def plan_classes(vd: ViewData, plan: dict) -> np.ndarray:
    """Class of each LSOA of the view in a plan record: 0 target and reached (``covered`` in the
    record's assignment), 1 target not reached, 2 not in the target."""
    rows = (plan.get("siting") or {}).get("assignment") or []
    covered = {str(r.get("code")): bool(r.get("covered", True)) for r in rows}
    codes = vd.frame[schema.LSOA_CODE].astype(str)
    reached = codes.map(covered)
    return np.where(reached.eq(True), 0, np.where(codes.isin(list(covered)), 1, 2)).astype(np.int64)


def plan_reach(plan: dict) -> gpd.GeoSeries | None:
    """Circles of the plan's distance around its fixed and chosen sites (straight-line km plans only:
    a travel-time plan has no circle)."""
    radius = (plan.get("request") or {}).get("radius_km")
    if radius is None:
        return None
    pts = [p.points.to_crs(schema.CRS_BNG).geometry for p in plan_points(plan)]
    if not pts:
        return None
    allpts = pd.concat(pts)
    return gpd.GeoSeries(allpts.buffer(float(radius) * 1000, quad_segs=16).values, crs=schema.CRS_BNG)


def plan_map(vd: ViewData, plan: dict, *, with_legend: bool = True, name: str | None = None) -> MapFigure:
    """The map of an outreach plan (a ``PlanResult.to_dict()`` record, e.g. ``SavedPlan.data``) on
    its view (``plan_view(plan)``): target LSOAs shaded reached / not reached, the reach of every
    site (its distance, for straight-line plans), Core20 hatched, fixed and chosen sites marked."""
    req = plan.get("request") or {}
    summ = plan.get("summary") or {}
    layers = plan_points(plan)
    radius = req.get("radius_km")
    share = summ.get("covered_share")
    what = (
        f"{plan.get('target_label') or 'target'} residents, "
        f"{req.get('k', '?')} new sites ({str(req.get('objective', '')).upper()}"
        f"{', ' + access.format_cost(float(radius) * 1000) if radius is not None else ''})"
    )
    covered = "" if share is None else f" reaching {float(share):.1%} of them"
    title = f"{vd.area_name}: outreach plan{f' {name}' if name else ''}"
    subtitle = f"{what}{covered} · {view.vintage_label(vd.vintage)}\n{CORE20_DEFINITION}"
    cls = plan_classes(vd, plan)
    labels, colours = zip(*PLAN_CLASSES, strict=True)
    reach_note = (f"Reach: within {access.format_cost(float(radius) * 1000)} (straight line) of a site."
                  if radius is not None
                  else "Reach: the plan's travel-time threshold (no circle drawn).")
    legend = classify.legend("Outreach plan: target residents reached", colours, labels,
                             [int((cls == i).sum()) for i in range(3)], notes=(reach_note,), core20=True,
                             area_name=_boundary_name(vd))
    fig = _draw(vd, cls, legend, title=title, subtitle=subtitle, notes=legend.notes,
                attribution=[*view.attribution_lines(vd.vintage), *(plan.get("attribution") or [])],
                points=layers, with_legend=with_legend, reach=plan_reach(plan))
    numbers = key_numbers(vd.summary)
    if share is not None:
        numbers = {
            "Target residents reached": f"{float(share):.1%}",
            "Target residents covered": f"{float(summ.get('target_population_covered') or 0):,.0f}",
            "Target population": f"{float(summ.get('total_target_population') or 0):,.0f}",
            "New sites": f"{len((plan.get('siting') or {}).get('chosen') or []):,}",
            **numbers,
        }
    return MapFigure(fig, title, subtitle, legend, legend.notes, numbers, tuple(layers),
                     reach=plan_reach(plan) is not None)


# --- PLUS and clinical focus layers ---------------------------------------------------------------


def plus_attribution() -> list[str]:
    return sources.attribution_lines(plus.DATASETS)


def _boundary_name(vd: ViewData) -> str:
    return vd.area_name if vd.boundary is not None else ""


def target_map(vd: ViewData, spec: plus.TargetSpec, *, with_legend: bool = True) -> MapFigure:
    """The LSOAs of a view in and out of a Core20PLUS target (no uploaded layers), Core20 outlined."""
    result = plus.evaluate(spec.validate(vd.vintage), vd.frame)
    inside = result.mask.to_numpy(dtype=bool)
    classes = classify.flag("Core20PLUS target", spec.describe(),
                            labels=("In the target", "Not in the target"),
                            colours=(plus_maps.TARGET_COLOURS[True], plus_maps.TARGET_COLOURS[False]))
    legend = classes.legend(inside, core20_outline=True, area_name=_boundary_name(vd))
    s = result.summary
    title = f"{vd.area_name}: Core20PLUS target"
    subtitle = (f"{schema.LEVEL_LABEL[vd.level]} · {view.vintage_label(vd.vintage)} · {s['lsoas']:,} LSOAs, "
                f"{s['population']:,} residents · {spec.describe()}\n{CORE20_DEFINITION}")
    fig = _draw(vd, classes.find_bin(inside), legend, title=title, subtitle=subtitle, notes=legend.notes,
                attribution=[*view.attribution_lines(vd.vintage), *plus_attribution()],
                with_legend=with_legend)
    numbers = {"LSOAs in the target": f"{s['lsoas']:,}", "Residents": f"{s['population']:,}",
               "Core20 LSOAs in it": f"{s['core20_lsoas']:,}"}
    return MapFigure(fig, title, subtitle, legend, legend.notes, numbers)


def coastal_map(vd: ViewData, *, with_legend: bool = True) -> MapFigure:
    """The coastal PLUS layer of a view (published G_25_5 flag), Core20 outlined."""
    frame = vd.frame
    classes = classify.flag(
        "Coastal LSOA (published flag G_25_5)",
        "Coastal: at least 25% of the LSOA's postcodes within 5 km of the coast "
        "(Welsh et al., BMJ Public Health 2024).",
        labels=("Coastal", "Not coastal"),
    )
    coastal = frame[schema.COASTAL].astype(bool)
    tidal = plus.coastal.tidal_note(frame)
    legend = classes.legend(coastal, core20_outline=True, area_name=_boundary_name(vd),
                            notes=(tidal,) if tidal else ())
    both = int((coastal.to_numpy() & vd.core20_mask).sum())
    pop = frame[schema.POPULATION]
    title = f"{vd.area_name}: coastal communities"
    subtitle = (
        f"{schema.LEVEL_LABEL[vd.level]} · {view.vintage_label(vd.vintage)} · {int(coastal.sum()):,} coastal "
        f"LSOAs, {both:,} of them Core20\n{CORE20_DEFINITION}"
    )
    fig = _draw(vd, classes.find_bin(coastal), legend, title=title, subtitle=subtitle, notes=legend.notes,
                attribution=view.attribution_lines(vd.vintage), with_legend=with_legend)
    numbers = {
        "Coastal LSOAs": f"{int(coastal.sum()):,}",
        "Coastal and Core20 LSOAs": f"{both:,}",
        "Coastal population": f"{int(pop[coastal].sum()):,}",
        "Coastal Core20 population": f"{int(pop[coastal & frame[schema.CORE20]].sum()):,}",
    }
    return MapFigure(fig, title, subtitle, legend, legend.notes, numbers)


def _pct(x: float) -> str:
    return "n/a" if x is None or not np.isfinite(float(x)) else f"{float(x):.1%}"


def focus_figures(vd: ViewData, focus: str) -> tuple[str, dict[str, str]]:
    """The figures a focus map leads with (a panel on the map) and its key numbers, from
    ``clinical.focus_compare`` (the `focus` command's numbers): hypertension, diagnosed as a share of
    expected (``recorded_to_expected``) for the area, its Core20 part, parent and England against the
    80% ambition, with the caveat; cancer, residents aged 55-74, smoking prevalence and distance to a
    diagnostic centre for the area and its Core20 part. People are whole numbers."""
    if focus not in ("hypertension", "cancer"):
        return "", {}
    cmp = clinical.focus_compare(vd.national, focus, vd.level, vd.code_or_none)
    whole = cmp[cmp["part"] == "whole"].set_index("scope")
    core = cmp[cmp["part"] == "core20"].set_index("scope").loc["area"]
    area = whole.loc["area"]
    name = area["area_name"]
    if focus == "hypertension":
        others = [f"{r['area_name']} {_pct(r['recorded_to_expected'])}"
                  for sc, r in whole.iterrows() if sc != "area"]
        lines = [f"Diagnosed as % of expected hypertension (ambition {hypertension.AMBITION:.0%})",
                 f"{name}: {_pct(area['recorded_to_expected'])} · its Core20 part: "
                 f"{_pct(core['recorded_to_expected'])}"]
        if others:
            lines.append(" · ".join(others))
        lines.append(hypertension.CAVEAT)
        numbers = {"Diagnosed / expected hypertension": _pct(area["recorded_to_expected"]),
                   "Core20 part: diagnosed / expected": _pct(core["recorded_to_expected"]),
                   **{f"{r['area_name']}: diagnosed / expected": _pct(r["recorded_to_expected"])
                      for sc, r in whole.iterrows() if sc != "area"},
                   "Ambition": f"{hypertension.AMBITION:.0%}",
                   "Estimated undiagnosed (people)": f"{float(area['target_population']):,.0f}"}
        return "\n".join(lines), numbers

    def km(x: float) -> str:
        return "n/a" if not np.isfinite(float(x)) else f"{float(x):.1f} km"

    lines = ["Early cancer diagnosis: residents aged 55-74",
             f"{name}: {float(area['target_population']):,.0f}, smoking {_pct(area['smoking_prevalence'])}, "
             f"{km(area['mean_km_to_cdc'])} to a CDC",
             f"Core20 part: {float(core['target_population']):,.0f}, smoking "
             f"{_pct(core['smoking_prevalence'])}, {km(core['mean_km_to_cdc'])} to a CDC"]
    numbers = {"Residents aged 55-74": f"{float(area['target_population']):,.0f}",
               "Core20 residents aged 55-74": f"{float(core['target_population']):,.0f}",
               "Smoking prevalence": _pct(area["smoking_prevalence"]),
               "Core20 smoking prevalence": _pct(core["smoking_prevalence"]),
               "Mean distance to a CDC (55-74)": km(area["mean_km_to_cdc"]),
               "Core20 mean distance to a CDC": km(core["mean_km_to_cdc"])}
    return "\n".join(lines), numbers


def focus_map(vd: ViewData, focus: str, layer: str | None = None, *, with_legend: bool = True) -> MapFigure:
    """A clinical focus layer of a view, classed as the app's focus map (``plus_maps.focus_style``:
    national quintiles, rounded breaks, the focus's own single-hue palette), counts for this area,
    Core20 hatched; hypertension and cancer lead with their figures (``focus_figures``)."""
    try:
        national = clinical.focus_layer(vd.national, focus, layer)
    except (clinical.UnknownFocus, KeyError) as exc:
        raise ExportError(str(exc).strip("'\"")) from exc
    title_layer = f"{national.label} ({national.unit})"
    classes = plus_maps.focus_style(national.values, title_layer, focus)
    values = national.values.loc[vd.frame.index]
    legend = classes.legend(values, core20_outline=True, area_name=_boundary_name(vd), no_data=True)
    f = clinical.FOCI[focus]
    panel, numbers = focus_figures(vd, focus)
    title = f"{vd.area_name}: {f.label}"
    if focus == "hypertension" and numbers:
        title += f", {numbers['Diagnosed / expected hypertension']} of expected diagnosed"
    subtitle = f"{title_layer} · {view.vintage_label(vd.vintage)}\n{CORE20_DEFINITION}"
    notes = tuple(n for n in (*legend.notes, national.note) if n)
    fig = _draw(vd, classes.find_bin(values), legend, title=title, subtitle=subtitle, notes=notes,
                attribution=[*view.attribution_lines(vd.vintage), *clinical.attribution(focus)],
                with_legend=with_legend, panel=panel)
    # a slide picture has no panel (the slide shows the figures beside the map), so the caveat goes with it
    caveat = hypertension.CAVEAT if focus == "hypertension" and numbers else ""
    return MapFigure(fig, title, subtitle, legend, notes, {**numbers, **key_numbers(vd.summary)},
                     caveat=caveat)


def change_map(vd: ViewData, kind: str = "core20", *, with_legend: bool = True) -> MapFigure:
    """Core20 then and now (``geo_core20.change``) on an IoD2025 view: each LSOA 2021 entered, left,
    stayed, not comparable or neither; ``kind="decile1"`` does the same for the most deprived decile."""
    if vd.vintage != change.NEW:
        raise ExportError(f"the change map is drawn on the IoD2025 view (LSOA 2021), not {vd.vintage}")
    if kind not in change_maps.KINDS:
        raise ExportError(f"unknown change map {kind!r}; choose one of {', '.join(change_maps.KINDS)}")
    figures = change.area_change(vd.level, vd.code_or_none)
    idx = change_maps.status_index(change.area_frame(vd.level, vd.code_or_none), vd.frame[schema.LSOA_CODE],
                                   kind)
    classes = change_maps.classes(kind)
    legend = classes.legend(idx, core20_outline=True, area_name=_boundary_name(vd),
                            notes=(change.CAVEAT,))
    what = "Core20" if kind == "core20" else "Decile 1"
    prefix = "" if kind == "core20" else "decile1_"
    n2019 = figures[f"{prefix}lsoas_2019" if kind == "decile1" else "core20_lsoas_2019"]
    n2025 = figures[f"{prefix}lsoas_2025" if kind == "decile1" else "core20_lsoas_2025"]
    title = f"{vd.area_name}: {what} then and now"
    subtitle = (f"{schema.LEVEL_LABEL[vd.level]} · {what} LSOAs: {n2019:,} in IMD2019 (LSOA 2011), {n2025:,} "
                f"in IoD2025 (LSOA 2021) · {figures[prefix + 'stayed']:,} stayed, "
                f"{figures[prefix + 'entered']:,} entered, {figures[prefix + 'left']:,} left, "
                f"{figures[prefix + 'not_comparable']:,} not comparable\n{CORE20_DEFINITION}")
    lookup = sources.attribution_lines(("lookup_lsoa11_lsoa21",))
    # LSOAs that entered or left are also marked at their centre (small urban LSOAs vanish at ICB scale)
    points = [] if vd.level == "england" else [
        PointLayer(gpd.GeoDataFrame(geometry=vd.frame.geometry[idx == i].representative_point(),
                                    crs=vd.frame.crs), None, f"{classes.labels[i]}: marked at its centre",
                   classes.colours[i], "o", 14.0)
        for i in (0, 1) if (idx == i).any()]
    fig = _draw(vd, idx, legend, title=title, subtitle=subtitle, notes=legend.notes,
                attribution=[*view.attribution_lines("2019"), *view.attribution_lines(change.NEW), *lookup],
                outline=False, points=points, with_legend=with_legend)
    numbers = {
        f"{what} LSOAs, IMD2019": f"{n2019:,}", f"{what} LSOAs, IoD2025": f"{n2025:,}",
        "Stayed": f"{figures[prefix + 'stayed']:,}", "Entered": f"{figures[prefix + 'entered']:,}",
        "Left": f"{figures[prefix + 'left']:,}", "Not comparable": f"{figures[prefix + 'not_comparable']:,}",
    }
    if kind == "core20":
        numbers["People entered"] = f"{figures['people_entered']:,}"
        numbers["People left"] = f"{figures['people_left']:,}"
    return MapFigure(fig, title, subtitle, legend, legend.notes, numbers, tuple(points))
