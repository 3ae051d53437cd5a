"""One call builds the map of a view (vintage, level, area, shading): pages never pick a renderer.

    vm = view.build_view_map("2025", "icb", "E54000008", "imd_decile")
    vm.map            # folium.Map, assets served locally
    vm.renderer       # which technique drew the LSOAs

Every extent, from all of England to one local authority, is drawn by
``geo_core20.maps.national`` (the fast canvas renderer of issue 6) when that module provides
``add_national_layer``: the page fetches the cached geometry file of the area's NHS region
once and each rerun sends only one class character per LSOA (LSOAs outside the area are
hidden), so a change of shading is cheap on the server and in the browser. Small extents
(ICB, sub-ICB location, local authority) get the ICB look: LSOA edges at every zoom and the
full Core20 outline (``SMALL_LOOK``). Without that module, or if it fails:

* up to ``SVG_MAX_LSOAS`` (every ICB, sub-ICB location and local authority): one SVG path
  per LSOA through folium.GeoJson, with tooltips, hover highlight and click-through;
* larger extents (England, ONS and NHS regions): all LSOAs on one canvas, geometry
  simplified to the zoom, styled in the browser from a class number, so the browser never
  holds 33,755 SVG nodes.

The national renderer contract (``maps/national.py``, issue 6): called with the map
already fitted, attributed and given its area outlines, it adds the LSOA layer, including
the Core20 outline; the legend, area boundary and controls are added here afterwards:

    add_national_layer(m: folium.Map, atlas_gdf: GeoDataFrame, vintage: str, shade: str,
                       core20_outline: bool, lsoa_codes: list[str] | None, *,
                       inline_geometry: bool, look: national.Look) -> folium Layer

``lsoa_codes`` is None for all of England. Colours and classes come from ``maps.styles``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from functools import lru_cache

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_core20 import areas, atlas, schema, sources
from geo_core20.maps import choropleth, styles

SVG_MAX_LSOAS = 2_500
LARGE_LEVELS = frozenset({"england", "region", "nhs_region"})
# Context outlines drawn around a view when there is no basemap: same level, except England
CONTEXT_LEVEL = {"england": "region", "region": "region", "nhs_region": "nhs_region", "icb": "icb",
                 "sub_icb": "sub_icb", "lad": "lad"}
OUTLINE_SIMPLIFY = 2e-4  # degrees, as atlas.DISPLAY_TOLERANCE
CANVAS_SIMPLIFY = {"england": 0.0015, "region": 0.0004, "nhs_region": 0.0004}  # degrees
CANVAS_DECIMALS = {"england": 3, "region": 4, "nhs_region": 4}


@dataclass
class ViewMap:
    """A built map and what is needed to describe it."""

    map: folium.Map
    renderer: str
    vintage: str
    level: str
    area_code: str
    area_name: str
    shade: str
    n_lsoas: int
    legend: styles.Legend
    build_seconds: float
    details: dict = field(default_factory=dict)


def vintage_label(vintage: str) -> str:
    return schema.IMD_LABEL.get(vintage, vintage)


def attribution_lines(vintage: str) -> list[str]:
    """Full attribution notices of every dataset behind a vintage's atlas."""
    return sources.attribution_lines(list(atlas.INPUTS[vintage]))


def map_attribution(vintage: str) -> list[str]:
    """Short attribution for the map's corner (the full notices sit on the page and exports)."""
    iod = f"English Indices of Deprivation {vintage}"
    lsoa_year = schema.LSOA_YEAR[vintage]
    return [f"{iod}, MHCLG (OGL v3)",
            f"ONS (OGL v3); contains OS data © Crown copyright and database right {lsoa_year}",
            "NHS England (OGL v3)"]


def view_frame(vintage: str, level: str, area_code: str | None) -> gpd.GeoDataFrame:
    """The atlas rows of a view with the (lighter) display geometry."""
    gdf = atlas.load_atlas(vintage)
    rows = areas.mask(gdf, level, area_code).to_numpy()
    display = atlas.load_display_geometry(vintage)
    frame = pd.DataFrame(gdf.loc[rows, [c for c in gdf.columns if c != "geometry"]])
    return gpd.GeoDataFrame(frame, geometry=display.values[rows], crs=schema.CRS_WGS84)


@lru_cache(maxsize=16)
def level_outlines(vintage: str, level: str) -> gpd.GeoSeries:
    """Every area of a level dissolved from its LSOAs' full geometry (index = area code).

    Simplified like the display geometry; ~0.3 s per level, cached.
    """
    if level == "england":
        raise ValueError("England has no sub-areas to outline")
    gdf = atlas.load_atlas(vintage)
    full = gdf.geometry.values
    codes = gdf[schema.LEVEL_COLUMNS[level][0]].to_numpy()
    out = {c: choropleth.dissolve(full[codes == c]) for c in pd.unique(codes)}
    simple = shapely.simplify(np.array(list(out.values())), OUTLINE_SIMPLIFY, preserve_topology=True)
    bad = ~shapely.is_valid(simple)
    simple[bad] = shapely.make_valid(simple[bad])  # parts of a multipolygon may touch after simplifying
    return gpd.GeoSeries(simple, index=list(out), crs=schema.CRS_WGS84)


def _context(vintage: str, level: str, area_code: str | None, bounds: tuple[float, ...],
             tolerance: float) -> shapely.Geometry | None:
    """Outlines of the areas around a view, as lines (context when no basemap is drawn)."""
    ctx_level = CONTEXT_LEVEL[level]
    outlines = level_outlines(vintage, ctx_level)
    minx, miny, maxx, maxy = bounds
    pad_x, pad_y = (maxx - minx) * 0.35, (maxy - miny) * 0.35
    box = shapely.box(minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y)
    near = outlines[outlines.intersects(box)]
    if level != "england" and area_code in near.index:
        near = near.drop(index=area_code)
    if near.empty:
        return None
    lines = shapely.boundary(shapely.simplify(near.values, tolerance))
    return shapely.intersection(shapely.union_all(lines), box)


def _national_module():
    """The issue-6 renderer, if present and implementing the contract; else None."""
    try:
        from geo_core20.maps import national  # noqa: PLC0415 - optional, owned by another module
    except ImportError:
        return None
    return national if callable(getattr(national, "add_national_layer", None)) else None


def small_look(national):
    """The national renderer's look for an ICB, sub-ICB location or local authority.

    As the SVG view drew them: LSOA edges at every zoom (an area of ~1,600 LSOAs still
    shows them legibly) and the full Core20 outline with its halo however far out the area
    is fitted (the national look thins it below zoom 9.5 so cities stay readable).
    """
    full = national.LOOK.core20_steps[-1]
    return dataclasses.replace(national.LOOK, edge_zoom=0, core20_steps=((0, full[1], full[2]),))


def _canvas_layer(m: folium.Map, view: gpd.GeoDataFrame, shade: str, classes: styles.Classes,
                  level: str, n_national: int) -> None:
    """Fallback for large extents: one canvas, simplified geometry, class number per LSOA."""
    tol = CANVAS_SIMPLIFY.get(level, 0.0004)
    geoms = shapely.simplify(view.geometry.values, tol, preserve_topology=True)
    tips = choropleth.tooltip_frame(view, shade, n_national)
    keep = ["lsoa_code", "lsoa_name", "imd_decile", "core20"]
    if shade != schema.IMD_DECILE:
        keep.append(shade)
    props = tips[[c for c in keep if c in tips.columns]]
    props = props.rename(columns={"lsoa_code": "code", "lsoa_name": "name"})
    props["c"] = classes.index(view[shade])
    data = choropleth.feature_collection(geoms, props, decimals=CANVAS_DECIMALS.get(level, 4))
    aliases = choropleth.tooltip_aliases(shade)
    rows = [("code", "LSOA"), ("name", "Name"), ("imd_decile", "IMD decile"), ("core20", "Core20")]
    if shade != schema.IMD_DECILE:
        rows.append((shade, aliases[shade]))
    choropleth.ClassedLsoaLayer(data, classes.colours, rows, name=f"LSOAs: {styles.SHADINGS[shade]}",
                                bounds=choropleth.total_bounds(view.geometry),
                                edge_weight=0.0 if level == "england" else 0.3).add_to(m)


def build_view_map(vintage: str, level: str, area_code: str | None = None, shade: str = schema.IMD_DECILE,
                   *, core20_outline: bool = True, basemap: str = "none",
                   force_renderer: str | None = None, standalone: bool = False) -> ViewMap:
    """The map of one view.

    ``standalone`` embeds everything the map needs in its HTML (for a downloaded file);
    ``force_renderer`` ("svg", "canvas", "national") is for benchmarks and tests.
    """
    t0 = time.perf_counter()
    styles.check_shade(shade)
    areas.check_level(level)
    gdf = atlas.load_atlas(vintage)
    code = schema.ENGLAND_CODE if level == "england" else area_code
    name = "England" if level == "england" else areas.area_name(gdf, level, area_code)
    view = view_frame(vintage, level, area_code)
    n_national = len(gdf)
    classes = styles.classes_for(shade, gdf, vintage_label(vintage))
    bounds = choropleth.total_bounds(view.geometry)
    large = level in LARGE_LEVELS
    tolerance = 0.002 if large else 0.0003

    fallback = "svg" if not large and len(view) <= SVG_MAX_LSOAS else "canvas"
    renderer = force_renderer or ("national" if _national_module() is not None else fallback)
    m = choropleth.base_map(bounds, basemap, map_attribution(vintage), prefer_canvas=False)
    context = _context(vintage, level, area_code, bounds, tolerance) if basemap == "none" or large else None
    if context is not None:
        choropleth.add_outline(m, context, name="Surrounding areas" if level != "england" else "Regions",
                               colour=styles.CONTEXT_LINE, weight=1.0 if large else 1.2, dash="4 3",
                               decimals=4)
    details: dict = {}
    core20_drawn = False
    if renderer == "svg":
        choropleth.add_lsoa_layer(m, view, shade, classes, n_lsoas=n_national)
    elif renderer == "canvas":
        _canvas_layer(m, view, shade, classes, level, n_national)
    elif renderer == "national":
        national = _national_module()
        if national is None:
            raise RuntimeError("the national renderer (geo_core20.maps.national) is not available")
        codes = None if level == "england" else view[schema.LSOA_CODE].tolist()
        look = national.LOOK if large else small_look(national)
        try:
            national.add_national_layer(m, gdf, vintage, shade, core20_outline, codes,
                                        inline_geometry=standalone, look=look)
            core20_drawn = True  # the national layer outlines Core20 itself (edges or areas by zoom)
        except Exception as exc:  # noqa: BLE001 - a broken fast path must not take the page down
            if force_renderer == "national":
                raise
            details["national_error"] = f"{type(exc).__name__}: {exc}"
            renderer = fallback
            if renderer == "svg":
                choropleth.add_lsoa_layer(m, view, shade, classes, n_lsoas=n_national)
            else:
                _canvas_layer(m, view, shade, classes, level, n_national)
    else:
        raise ValueError(f"unknown renderer {renderer!r}")

    if core20_outline and not core20_drawn:
        rows = areas.mask(gdf, level, area_code).to_numpy()
        outline = choropleth.core20_outline(view, gdf.geometry.values[rows],
                                            tolerance=tolerance / 2 if large else OUTLINE_SIMPLIFY)
        choropleth.add_core20_outline(m, outline)
    boundary = None
    if level != "england":
        boundary = level_outlines(vintage, level).get(code)
        if boundary is not None:
            if large:
                boundary = shapely.simplify(boundary, tolerance / 2)
            choropleth.add_outline(m, boundary, name=f"{name} boundary", colour=styles.AREA_LINE, weight=3,
                                   decimals=4 if large else 5)
    legend = styles.legend_for(classes, view[shade], core20_outline=core20_outline,
                               area_name=name if boundary is not None else "")
    choropleth.finish_map(m, legend)
    return ViewMap(map=m, renderer=renderer, vintage=vintage, level=level, area_code=code, area_name=name,
                   shade=shade, n_lsoas=len(view), legend=legend,
                   build_seconds=time.perf_counter() - t0, details=details)


def lsoa_table(vintage: str, level: str, area_code: str | None) -> pd.DataFrame:
    """The LSOAs of a view as a plain table (no geometry), most deprived first."""
    view = view_frame(vintage, level, area_code)
    cols = [schema.LSOA_CODE, schema.LSOA_NAME, schema.IMD_DECILE, schema.IMD_RANK, schema.IMD_SCORE,
            schema.CORE20, schema.POPULATION, *schema.DOMAIN_DECILES, "lad_code", "lad_name",
            "sub_icb_code", "sub_icb_name", "icb_code", "icb_name", "region_name", "nhs_region_name"]
    table = pd.DataFrame(view[[c for c in cols if c in view.columns]])
    return table.sort_values(schema.IMD_RANK).reset_index(drop=True)

