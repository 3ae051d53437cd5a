"""Export speed without a visible change (issue 18): print geometry prepared once per area, drawn as
collections, PNGs written from the rendered pixels. Each test compares pixels with what the slower way
drew (matplotlib's own PNG, GeoSeries.plot, an unprepared draw_map)."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from geo_core20 import schema
from geo_core20.exports import cartography, formats, print_maps
from geo_core20.maps import palette, view

TOWER_HAMLETS = "E09000030"


def _pixels(png: bytes) -> tuple[np.ndarray, Image.Image]:
    im = Image.open(io.BytesIO(png))
    return np.asarray(im.convert("RGB")), im


def _page() -> Figure:
    fig = Figure(figsize=(3.1, 2.3))
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    ax.add_patch(Rectangle((0.1, 0.2), 0.5, 0.4, facecolor=palette.NHS_BLUE, edgecolor="black", hatch="//"))
    ax.plot([0, 1], [1, 0], color=palette.CORE20_LINE, linewidth=1.5)
    fig.text(0.05, 0.95, "Core20 · © Crown copyright", fontsize=9, va="top")
    return fig


@pytest.mark.parametrize("dpi", [72, 100, 301])
def test_png_holds_the_pixels_matplotlib_draws_as_rgb_with_its_dpi(dpi):
    fig = _page()
    ours, im = _pixels(formats.figure_bytes(fig, "png", dpi=dpi))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")  # matplotlib's own (RGBA) PNG
    theirs = np.asarray(Image.open(buf))
    assert theirs.shape[2] == 4 and (theirs[..., 3] == 255).all()  # an opaque page: alpha carries nothing
    assert im.mode == "RGB" and im.size == (theirs.shape[1], theirs.shape[0])
    assert np.array_equal(ours, theirs[..., :3])
    assert im.info["dpi"] == pytest.approx((dpi, dpi), abs=0.01)
    assert np.array_equal(np.asarray(formats.figure_image(fig, dpi)), ours)  # what the profile PDF embeds


def test_png_bytes_round_trip_any_pixels_and_drop_alpha():
    rng = np.random.default_rng(18)
    rgba = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    png = formats.png_bytes(rgba, dpi=150)
    Image.open(io.BytesIO(png)).verify()  # chunks and checksums
    back, _ = _pixels(png)
    assert np.array_equal(back, rgba[..., :3])
    assert np.array_equal(_pixels(formats.png_bytes(np.ascontiguousarray(rgba[..., :3])))[0], rgba[..., :3])


@pytest.fixture(scope="module")
def tower_hamlets(atlas2025):
    return print_maps.print_view("2025", "lad", TOWER_HAMLETS)


def test_every_print_of_an_area_shares_one_prepared_geometry(tower_hamlets):
    vd = tower_hamlets
    geometry, note = print_maps.prepared_geometry(vd)
    other_shade = print_maps.print_view("2025", "lad", TOWER_HAMLETS, shade="income_decile")
    assert other_shade is not vd
    assert print_maps.prepared_geometry(other_shade)[0] is geometry
    assert note == print_maps.print_geometry(vd)[1]
    assert len(geometry.lsoas) == len(vd.frame) and len(geometry.paths) == len(vd.frame)
    # a record whose LSOAs are not its view's gets its own
    part = view.ViewData(**{**vars(vd), "frame": vd.frame.iloc[:10]})
    assert print_maps.prepared_geometry(part)[0] is not geometry
    assert len(print_maps.prepared_geometry(part)[0].lsoas) == 10


def test_a_prepared_map_draws_the_same_pixels_as_an_unprepared_one(tower_hamlets):
    vd = tower_hamlets
    geoms, note = print_maps.print_geometry(vd)
    frame = vd.frame.set_geometry(geoms.values, crs=geoms.crs)
    cls = vd.classes.find_bin(vd.frame[vd.shade])
    kw = {"title": "Tower Hamlets", "notes": (note,), "outline_mask": vd.core20_mask,
          "area_boundary": vd.boundary, "area_name": vd.area_name,
          "context": vd.context_within(view.PRINT_CONTEXT_PAD), "locator_vintage": "2025",
          "labels": print_maps._labels(vd)}
    geometry = print_maps.prepared_geometry(vd)[0]
    fresh = formats.figure_image(cartography.draw_map(frame, cls, vd.legend, **kw), 100)
    cold = formats.figure_image(cartography.draw_map(frame, cls, vd.legend, geometry=geometry, **kw), 100)
    warm = formats.figure_image(cartography.draw_map(frame, cls, vd.legend, geometry=geometry, **kw), 100)
    assert np.array_equal(np.asarray(fresh), np.asarray(cold))
    assert np.array_equal(np.asarray(cold), np.asarray(warm))
    with pytest.raises(ValueError, match="one shape per LSOA"):
        cartography.draw_map(frame.iloc[:5], cls[:5], vd.legend, geometry=geometry, title="x")


def test_land_and_surrounding_areas_draw_as_geoseries_plot_drew_them(tower_hamlets):
    """The land clipped to the map and the dashed surrounding areas as one collection each: the same
    pixels as GeoSeries.plot of the whole authorities (and its normalised rings: the dash phase)."""
    lads = cartography.uk_lads()
    if lads is None:
        pytest.skip("UK local authority boundaries not found: run `python -m geo_core20 data fetch`")
    vd = tower_hamlets
    geometry = print_maps.prepared_geometry(vd)[0]
    extent = cartography._padded(geometry.bounds, 1.3, pad=0.03)

    def draw(new: bool) -> np.ndarray:
        fig = Figure(figsize=(4, 3))
        ax = fig.add_axes((0, 0, 1, 1))
        if new:
            cartography._draw_land(ax, extent)
            cartography._draw_context(ax, geometry)
        else:
            gpd.GeoSeries(lads.geometry.values, crs=schema.CRS_BNG).plot(
                ax=ax, facecolor=palette.PRINT_LAND, edgecolor=palette.PRINT_LAND, linewidth=0.3, zorder=0.5)
            gpd.GeoSeries(geometry.context, crs=schema.CRS_BNG).plot(
                ax=ax, facecolor="none", edgecolor=palette.CONTEXT_LINE, linewidth=0.5, linestyle=(0, (4, 3)),
                zorder=1)
        ax.set_xlim(extent[0], extent[2])
        ax.set_ylim(extent[1], extent[3])
        ax.set_aspect("equal")
        return np.asarray(formats.figure_image(fig, 150))

    assert len(geometry.context) > 0
    assert np.array_equal(draw(True), draw(False))


def test_national_core20_outline_is_prepared_once_per_geometry():
    """Above HATCH_MAX_LSOAS Core20 is outlined as generalised patches; the outline is memoised on the
    prepared geometry, so the page, its PNG/PDF and a second map of the same view compute it once."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    from geo_core20.maps import styles

    side = 95  # 9,025 squares of 1 km: past HATCH_MAX_LSOAS
    assert side * side > cartography.HATCH_MAX_LSOAS
    xs, ys = np.meshgrid(np.arange(side) * 1000.0 + 300_000, np.arange(side) * 1000.0 + 300_000)
    squares = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + 1000, ys.ravel() + 1000)
    frame = gpd.GeoDataFrame(geometry=squares, crs=schema.CRS_BNG)
    mask = np.zeros(len(frame), bool)
    mask[(xs.ravel() < 320_000) & (ys.ravel() < 320_000)] = True  # one 20 km block of Core20
    geometry = cartography.PrintGeometry.of(frame)
    legend = styles.classes_for(schema.IMD_DECILE).legend(pd.Series(np.ones(len(frame), int)),
                                                          core20_outline=True)
    cartography._core20_national.cache_clear()
    for _ in range(2):
        fig = cartography.draw_map(frame, np.zeros(len(frame), int), legend, title="t", outline_mask=mask,
                                   geometry=geometry)
    info = cartography._core20_national.cache_info()
    assert info.misses == 1 and info.hits == 1
    drawn = [c for c in fig.axes[0].collections if type(c).__name__ == "LineCollection"]
    assert any(c.get_linewidths()[0] == cartography.CORE20_NATIONAL_PT for c in drawn)
    assert cartography.NATIONAL_CORE20_NOTE in " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
