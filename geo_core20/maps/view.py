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

What a view shows is assembled once, by :func:`view_data`, into a frozen :class:`ViewData`
record (area code and name, LSOA frame, classes and legend, boundary, surrounding areas,
summary figures); the interactive map here and every print map (``exports.print_maps``)
draw from that record and never go back to the atlas for it.

    vd = view.view_data("2025", "icb", "E54000008", "imd_decile")
    vd.frame, vd.legend, vd.boundary, vd.context_within(view.CONTEXT_PAD), vd.summary
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
from geo_core20.maps import choropleth, classify, national, palette, styles

LARGE_LEVELS = frozenset({"england", "region", "nhs_region"})
# Context outlines drawn around a view when there is no basemap: same level, except England
CONTEXT_LEVEL = {"england": "region", "region": "region", "nhs_region": "nhs_region", "icb": "icb",
                 "sub_icb": "sub_icb", "lad": "lad"}
OUTLINE_SIMPLIFY = 2e-4  # degrees, as atlas.DISPLAY_TOLERANCE
CONTEXT_PAD = 0.35  # the interactive map's surrounding areas: within 35% of the view's size each side
PRINT_CONTEXT_PAD = 0.6  # a print map's (a page has room for more around the area)
MAX_CONTEXT_PAD = max(CONTEXT_PAD, PRINT_CONTEXT_PAD)  # what a ViewData record holds


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
    legend: classify.Legend
    build_seconds: float
    details: dict = field(default_factory=dict)
    data: ViewData | None = None  # the record the map was drawn from


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
    """The atlas rows of a view with the (lighter) display geometry (a fresh copy)."""
    return _frame(atlas.load_atlas(vintage), atlas.load_display_geometry(vintage), level, area_code)


def _frame(gdf: gpd.GeoDataFrame, display: gpd.GeoSeries, level: str,
           area_code: str | None) -> gpd.GeoDataFrame:
    rows = areas.mask(gdf, level, area_code).to_numpy()
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


def _clipped_context(vd: ViewData, pad: float, tolerance: float) -> shapely.Geometry | None:
    """The record's surrounding areas within ``pad`` as lines clipped to that box (the interactive
    map's context when no basemap is drawn)."""
    near = vd.context_within(pad)
    if near.empty:
        return None
    lines = shapely.boundary(shapely.simplify(near.values, tolerance))
    return shapely.intersection(shapely.union_all(lines), _padded_box(vd.bounds, pad))


def _padded_box(bounds: tuple[float, ...], pad: float) -> shapely.Geometry:
    minx, miny, maxx, maxy = bounds
    pad_x, pad_y = (maxx - minx) * pad, (maxy - miny) * pad
    return shapely.box(minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y)


@dataclass(frozen=True, eq=False)
class ViewData:
    """Everything a map of one view (vintage, level, area, shading, Core20 outline) shows, built
    once by :func:`view_data` and read by every renderer (interactive and print).

    Treat ``frame`` and ``national`` as read-only: records are cached and shared.
    """

    vintage: str
    level: str
    area_code: str  # schema.ENGLAND_CODE for England
    area_name: str
    shade: str
    core20_outline: bool
    frame: gpd.GeoDataFrame  # the view's atlas rows, display geometry (EPSG:4326)
    classes: classify.Classes
    legend: classify.Legend  # counts of this view; "No data" only when a value is missing
    boundary: shapely.Geometry | None  # the area's outline (None for England)
    context: gpd.GeoSeries  # areas around the view within MAX_CONTEXT_PAD (the area itself left out)
    bounds: tuple[float, float, float, float]
    summary: dict  # areas.area_summary of the view
    national: gpd.GeoDataFrame = field(repr=False)  # the atlas the record was built from

    @property
    def large(self) -> bool:
        return self.level in LARGE_LEVELS

    @property
    def code_or_none(self) -> str | None:
        """The area code, None for England (as the atlas lookups take it)."""
        return None if self.level == "england" else self.area_code

    @property
    def core20_mask(self) -> np.ndarray:
        return self.frame[schema.CORE20].to_numpy(dtype=bool)

    def context_within(self, pad: float) -> gpd.GeoSeries:
        """Surrounding areas touching the view's bounds grown by ``pad`` (a share of its width and
        height on each side): the interactive map uses CONTEXT_PAD, print maps PRINT_CONTEXT_PAD."""
        if pad > MAX_CONTEXT_PAD:
            raise ValueError(f"context padding {pad} is beyond the record's {MAX_CONTEXT_PAD}")
        if pad == MAX_CONTEXT_PAD:
            return self.context
        return self.context[self.context.intersects(_padded_box(self.bounds, pad))]


def view_data(vintage: str, level: str, area_code: str | None = None, shade: str = schema.IMD_DECILE,
              core20_outline: bool = True) -> ViewData:
    """The record of one view (cached per process: one assembly per view for every map of it).

    Raises ValueError (``areas.AreaError`` for an unknown area) for a bad level, area or shading.
    """
    styles.check_shade(shade)
    areas.check_level(level)
    return _view_data(vintage, level, None if level == "england" else area_code, shade, bool(core20_outline))


@lru_cache(maxsize=16)
def _view_data(vintage: str, level: str, area_code: str | None, shade: str, core20_outline: bool) -> ViewData:
    gdf = atlas.load_atlas(vintage)
    code = schema.ENGLAND_CODE if level == "england" else str(area_code)
    name = "England" if level == "england" else areas.area_name(gdf, level, area_code)
    frame = _frame(gdf, atlas.load_display_geometry(vintage), level, area_code)
    classes = styles.classes_for(shade, gdf, vintage_label(vintage))
    boundary = None if level == "england" else level_outlines(vintage, level).get(code)
    legend = classes.legend(frame[shade], core20_outline=core20_outline,
                            area_name=name if boundary is not None else "", no_data=True)
    bounds = tuple(choropleth.total_bounds(frame.geometry))
    outlines = level_outlines(vintage, CONTEXT_LEVEL[level])
    context = outlines[outlines.intersects(_padded_box(bounds, MAX_CONTEXT_PAD))]
    context = context.drop(index=code, errors="ignore")
    summary = areas.area_summary(gdf, level, area_code)
    return ViewData(vintage, level, code, name, shade, core20_outline, frame, classes, legend, boundary,
                    context, bounds, summary, gdf)


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
    vd = view_data(vintage, level, area_code, shade, core20_outline)
    m = render_view_map(vd, basemap=basemap, standalone=standalone)
    return ViewMap(map=m, renderer="national", vintage=vintage, level=level, area_code=vd.area_code,
                   area_name=vd.area_name, shade=shade, n_lsoas=len(vd.frame), legend=vd.legend,
                   build_seconds=time.perf_counter() - t0, data=vd)


def render_view_map(vd: ViewData, *, basemap: str = "none", standalone: bool = False,
                    context_pad: float = CONTEXT_PAD) -> folium.Map:
    """The interactive map of a view record: the national canvas layer, surrounding areas within
    ``context_pad`` (when no basemap is drawn, or always for large extents) and the area boundary."""
    large = vd.large
    tolerance = 0.002 if large else 0.0003
    m = choropleth.base_map(vd.bounds, basemap, map_attribution(vd.vintage), prefer_canvas=False)
    context = _clipped_context(vd, context_pad, tolerance) if basemap == "none" or large else None
    if context is not None:
        choropleth.add_outline(m, context, name="Surrounding areas" if vd.level != "england" else "Regions",
                               colour=palette.CONTEXT_LINE, weight=1.0 if large else 1.2, dash="4 3",
                               decimals=4, shareable=True)
    codes = None if vd.level == "england" else vd.frame[schema.LSOA_CODE].tolist()
    # the national layer outlines Core20 itself (edges or areas by zoom)
    national.add_national_layer(m, vd.national, vd.vintage, vd.shade, vd.core20_outline, codes,
                                inline_geometry=standalone, look=national.LOOK if large else small_look())
    if vd.boundary is not None:
        boundary = shapely.simplify(vd.boundary, tolerance / 2) if large else vd.boundary
        choropleth.add_outline(m, boundary, name=f"{vd.area_name} boundary", colour=palette.AREA_LINE,
                               weight=3, decimals=4 if large else 5, shareable=True)
    choropleth.finish_map(m, vd.legend)
    return m


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

