"""One call builds the map of a view (vintage, level, area, shading): pages never pick a renderer.

    vm = view.build_view_map("2025", "icb", "E54000008", "imd_decile")
    vm.map            # folium.Map, assets served locally
    vm.legend         # the legend, shown beside the map (``classify.legend_html``)

Every extent, from all of England to one local authority, is drawn by the national canvas
renderer (``geo_core20.maps.national``): the page fetches the cached geometry file of the
area's NHS region once and each rerun sends only one class character per LSOA (LSOAs
outside the area are hidden), so a change of shading is cheap on the server and in the
browser. Small extents (ICB, sub-ICB location, local authority) get the ICB look
(``small_look``): LSOA edges at every zoom. The national layer draws the Core20 outline
itself; the area boundary, context outlines and controls are added here. Colours and
classes come from ``maps.styles``.
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
from geo_core20.maps import choropleth, national, styles

LARGE_LEVELS = frozenset({"england", "region", "nhs_region"})
# Context outlines drawn around a view when there is no basemap: same level, except England
CONTEXT_LEVEL = {"england": "region", "region": "region", "nhs_region": "nhs_region", "icb": "icb",
                 "sub_icb": "sub_icb", "lad": "lad"}
OUTLINE_SIMPLIFY = 2e-4  # degrees, as atlas.DISPLAY_TOLERANCE


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


def area_title(vintage: str, level: str, area_code: str | None) -> str:
    """The name of a view's area ("England" for all of it)."""
    return "England" if level == "england" else areas.area_name(atlas.load_atlas(vintage), level, area_code)


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


def small_look(look: national.Look = national.LOOK) -> national.Look:
    """The national renderer's look for an ICB, sub-ICB location or local authority: LSOA
    edges at every zoom (an area of ~1,600 LSOAs still shows them legibly); the Core20
    outline stays thin and zoom-dependent, so small urban LSOAs keep their fill."""
    return dataclasses.replace(look, edge_zoom=0)


def build_view_map(vintage: str, level: str, area_code: str | None = None, shade: str = schema.IMD_DECILE,
                   *, core20_outline: bool = True, basemap: str = "none",
                   standalone: bool = False) -> ViewMap:
    """The map of one view; ``standalone`` embeds everything the map needs in its HTML (for a
    downloaded file). The legend is returned in ``ViewMap.legend``, not drawn on the map."""
    t0 = time.perf_counter()
    styles.check_shade(shade)
    areas.check_level(level)
    gdf = atlas.load_atlas(vintage)
    code = schema.ENGLAND_CODE if level == "england" else area_code
    name = "England" if level == "england" else areas.area_name(gdf, level, area_code)
    view = view_frame(vintage, level, area_code)
    classes = styles.classes_for(shade, gdf, vintage_label(vintage))
    bounds = choropleth.total_bounds(view.geometry)
    large = level in LARGE_LEVELS
    tolerance = 0.002 if large else 0.0003

    m = choropleth.base_map(bounds, basemap, map_attribution(vintage), prefer_canvas=False)
    context = _context(vintage, level, area_code, bounds, tolerance) if basemap == "none" or large else None
    if context is not None:
        choropleth.add_outline(m, context, name="Surrounding areas" if level != "england" else "Regions",
                               colour=styles.CONTEXT_LINE, weight=1.0 if large else 1.2, dash="4 3",
                               decimals=4)
    codes = None if level == "england" else view[schema.LSOA_CODE].tolist()
    # the national layer outlines Core20 itself (edges or areas by zoom)
    national.add_national_layer(m, gdf, vintage, shade, core20_outline, codes, inline_geometry=standalone,
                                look=national.LOOK if large else small_look())
    boundary = None
    if level != "england":
        boundary = level_outlines(vintage, level).get(code)
        if boundary is not None:
            if large:
                boundary = shapely.simplify(boundary, tolerance / 2)
            choropleth.add_outline(m, boundary, name=f"{name} boundary", colour=styles.AREA_LINE, weight=3,
                                   decimals=4 if large else 5)
    legend = classes.legend(view[shade], core20_outline=core20_outline,
                            area_name=name if boundary is not None else "")
    choropleth.finish_map(m, legend)
    return ViewMap(map=m, renderer="national", vintage=vintage, level=level, area_code=code, area_name=name,
                   shade=shade, n_lsoas=len(view), legend=legend, build_seconds=time.perf_counter() - t0)


def lsoa_table(vintage: str, level: str, area_code: str | None) -> pd.DataFrame:
    """The LSOAs of a view as a plain table (no geometry), most deprived first, with each LSOA's
    electoral ward (``atlas.load_ward_names``) beside its name."""
    view = view_frame(vintage, level, area_code)
    cols = [schema.LSOA_CODE, schema.LSOA_NAME, schema.IMD_DECILE, schema.IMD_RANK, schema.IMD_SCORE,
            schema.CORE20, schema.POPULATION, *schema.DOMAIN_DECILES, "lad_code", "lad_name",
            "sub_icb_code", "sub_icb_name", "icb_code", "icb_name", "region_name", "nhs_region_name"]
    table = pd.DataFrame(view[[c for c in cols if c in view.columns]])
    table.insert(2, schema.WARD_NAME, table[schema.LSOA_CODE].map(atlas.load_ward_names(vintage)))
    return table.sort_values(schema.IMD_RANK).reset_index(drop=True)

