"""The folium building blocks of every LSOA map on a tiny hand-made grid of 'LSOAs'."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from map_checks import lsoa_layer

from geo_core20 import schema
from geo_core20.maps import assets, choropleth, classify, palette, styles, view
from geo_core20.maps import plus_maps as pm
from geo_core20.maps.lsoa_layer import lsoa_map

EVIL = '<img src=x onerror="alert(1)">'


@pytest.fixture
def grid() -> gpd.GeoDataFrame:
    """Six unit-ish squares near Leeds; the first two (adjacent) are Core20."""
    boxes = [shapely.box(-1.5 + 0.01 * i, 53.8, -1.49 + 0.01 * i, 53.81) for i in range(6)]
    deciles = [1, 2, 5, 7, 10, 3]
    frame = {
        schema.LSOA_CODE: [f"E0100000{i}" for i in range(6)],
        schema.LSOA_NAME: [EVIL, "Leeds 001B", "Leeds 001C", "=HYPERLINK(1)", "Leeds 001E", "Leeds 001F"],
        schema.IMD_DECILE: deciles,
        schema.IMD_RANK: [100, 5000, 15000, 21000, 33000, 8000],
        schema.IMD_SCORE: [70.123456, 40.0, 20.0, 12.0, 3.0, 30.0],
        schema.POPULATION: [1500, 1600, 1700, 1800, 1900, 2000],
        schema.CORE20: [d <= 2 for d in deciles],
        "income_decile": [2, 2, 4, 9, 10, 1],
    }
    return gpd.GeoDataFrame(frame, geometry=boxes, crs=schema.CRS_WGS84)


def _grid_map(grid: gpd.GeoDataFrame, shade: str = schema.IMD_DECILE, *, basemap: str = "none",
              area_boundary: shapely.Geometry | None = None, area_name: str = "",
              attribution: tuple[str, ...] = ()):
    """The grid drawn as every LSOA map is: classes on one canvas, Core20 outline, boundary, legend."""
    classes = styles.decile_classes(shade)
    props = pm.lsoa_props(grid, value=[str(d) for d in grid[shade]])
    lgd = classes.legend(grid[shade], core20_outline=True,
                         area_name=area_name if area_boundary is not None else "")
    no_context = gpd.GeoSeries([], crs=schema.CRS_WGS84)
    vd = view.ViewData("2025", "lad", "E06999999", area_name or "Area", shade, True, grid, classes, lgd,
                       area_boundary, no_context, tuple(grid.total_bounds), {}, grid)
    return lsoa_map(vd, props, classes.find_bin(grid[shade]), classes.colours,
                    [("code", "LSOA"), ("name", "Name"), ("value", styles.SHADINGS[shade])],
                    name=f"LSOAs: {styles.SHADINGS[shade]}", legend=lgd, basemap=basemap, core20_on=True,
                    attribution=list(attribution))


def test_map_has_one_feature_per_lsoa_with_escaped_tooltips(grid):
    m = _grid_map(grid)
    html = m.get_root().render()
    features, _ = lsoa_layer(m)
    props = {f["properties"]["code"]: f["properties"] for f in features}
    assert set(props) == set(grid[schema.LSOA_CODE]) and len(features) == len(grid)
    first = props["E01000000"]
    assert first["name"] == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    assert EVIL not in html
    assert assets.external_urls(m) == []


def test_fill_colours_follow_the_national_classes(grid):
    m = _grid_map(grid, "income_decile")
    features, fills = lsoa_layer(m)
    got = {f["properties"]["code"]: fills[f["properties"]["c"]] for f in features}
    pairs = zip(grid[schema.LSOA_CODE], grid["income_decile"], strict=True)
    expected = {code: palette.DECILE_COLOURS[d - 1] for code, d in pairs}
    assert got == expected
    html = m.get_root().render()
    assert "Income domain decile" in html  # the tooltip shows the shaded value too


def test_coordinates_are_rounded(grid):
    wobbly = grid.copy()
    wobbly.geometry = wobbly.geometry.translate(1.234567891e-7, 0)
    data = choropleth.feature_collection(wobbly.geometry.values, decimals=5)
    coords = np.array(data["features"][0]["geometry"]["coordinates"][0])
    assert np.allclose(coords, np.round(coords, 5), atol=0)


def test_core20_outline_dissolves_adjacent_lsoas(grid):
    outline = choropleth.core20_outline(grid, tolerance=0)
    assert outline.geom_type == "Polygon"
    assert outline.area == pytest.approx(shapely.union_all(grid.geometry.values[:2]).area)
    assert choropleth.core20_outline(grid[~grid[schema.CORE20]]) is None


def test_controls_legend_and_attribution(grid):
    box = shapely.box(-1.5, 53.8, -1.43, 53.81)
    m = _grid_map(grid, schema.IMD_DECILE, area_boundary=box, area_name="Leeds <b>",
                  attribution=("Contains OS data © Crown copyright",))
    html = m.get_root().render()
    assert "L.control.scale" in html
    assert "L.control.layers" in html
    assert "L.Control.FullScreen" in html or "fullscreen" in html
    # the legend goes beside the map (returned with it), never on it
    assert "Map legend" not in html and "gc20-legend" not in html
    # ... but full screen keeps a copy (issue 18), hidden until the map is full screen
    assert "gc20-fullscreen-legend" in html and "gc20-fullscreen-key" in html and "display:none" in html
    assert "enterFullscreen" in html
    legend = classify.legend_html(choropleth.legend_of(m))
    assert "Map legend" in legend and "1 (most deprived 10%)" in legend
    assert "Leeds &lt;b&gt; boundary" in legend and "Leeds <b>" not in legend
    assert "Leeds <b>" not in html
    assert "Contains OS data © Crown copyright" in html
    # the outline layers do not swallow hover/click meant for the LSOAs
    assert html.count('"interactive": false') >= 2


def test_bounds_are_precomputed(grid):
    layer = choropleth.BoundedGeoJson(choropleth.feature_collection(grid.geometry.values),
                                      choropleth.total_bounds(grid.geometry))
    (s, w), (n, e) = layer.get_bounds()
    assert (w, s, e, n) == pytest.approx(tuple(grid.total_bounds))


def test_unknown_basemap_is_refused(grid):
    with pytest.raises(ValueError, match="basemap"):
        choropleth.base_map(grid.total_bounds, basemap="google")


def test_online_basemap_is_optional_and_attributed(grid):
    html = _grid_map(grid, basemap="osm").get_root().render()
    assert "tile.openstreetmap.org" in html and "OpenStreetMap" in html
    html = _grid_map(grid).get_root().render()
    assert "tile.openstreetmap.org" not in html and "L.tileLayer" not in html


def test_map_fits_its_bounds_once_without_animation(grid):
    html = _grid_map(grid, basemap="osm").get_root().render()
    calls = re.findall(r"\.fitBounds\(\s*(\[\[.*?\]\])\s*,\s*(\{.*?\})\s*\)", html, re.S)
    assert len(calls) == 1, "one fit, with its options"
    (s, w), (n, e) = json.loads(calls[0][0])
    assert (w, s, e, n) == pytest.approx(tuple(grid.total_bounds))
    assert json.loads(calls[0][1])["animate"] is False
    assert html.count("fitBounds(") == 1 and "flyTo" not in html
    # fitted before the tile layer exists, so no tiles are fetched at the starting zoom
    assert html.index(".fitBounds(") < html.index("L.tileLayer")


def test_starting_zoom_is_close_to_the_fitted_one():
    england = (-5.72, 49.96, 1.76, 55.81)
    assert 5.5 <= choropleth.fit_zoom(england) <= 6.5
    icb = (-2.0, 54.0, -1.0, 55.0)
    assert choropleth.fit_zoom(icb) > choropleth.fit_zoom(england) + 2
    assert choropleth.fit_zoom((-1.5, 53.8, -1.5, 53.8)) == choropleth.MAX_ZOOM  # a point: clamped
