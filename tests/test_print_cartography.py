"""Print maps worth projecting (issue 18): Core20 seen on every fill, the app's palettes, rounded legend
breaks, the plan map by coverage, the focus figures, SVG fonts and the optional finer (BGC) boundaries."""

from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from geo_core20 import clinical, schema, sources
from geo_core20.exports import cartography, formats, print_maps
from geo_core20.maps import classify, palette, plus_maps, styles
from geo_core20.ui import focus as ui_focus

ROOT = Path(__file__).resolve().parents[1]
BGC_FIXTURE = ROOT / "tests" / "fixtures" / "bgc" / "lsoa21_ew_bgc_tiny.geojson"
TOWER_HAMLETS, CORNWALL = "E09000030", "E06000052"
RANGE = re.compile(r"^(up to (?P<a>[\d,.]+)|(?P<b>[\d,.]+) to (?P<c>[\d,.]+)|(?P<d>[\d,.]+) or more"
                   r"|(?P<e>[\d,.]+))$")


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def _ranges(labels) -> list[tuple[float, float]]:
    """(low, high) shown by each rounded label; 'up to a' starts at -inf, 'd or more' ends at +inf."""
    out = []
    for label in labels:
        m = RANGE.match(label)
        assert m, f"legend label {label!r} is not a rounded range"
        if m["a"]:
            out.append((-np.inf, _num(m["a"])))
        elif m["b"]:
            out.append((_num(m["b"]), _num(m["c"])))
        elif m["d"]:
            out.append((_num(m["d"]), np.inf))
        else:
            out.append((_num(m["e"]), _num(m["e"])))
    return out


def _assert_rounded_and_apart(labels) -> None:
    ranges = _ranges(labels)
    for (lo, hi) in ranges:
        assert lo <= hi
    for (_, hi), (lo, _) in zip(ranges, ranges[1:], strict=False):
        assert lo > hi, f"classes share a value: {labels}"
    for label in labels:  # at most 3 decimals, no '16.63'-style noise unless the values need it
        for number in re.findall(r"[\d,]+\.(\d+)", label):
            assert len(number) <= 3, label


# --- legend breaks (no atlas) -----------------------------------------------------------------------

def test_round_breaks_give_readable_classes_without_shared_values():
    upper, decimals = classify.round_breaks((16.63, 20.87, 24.1, 30.5, 98.0))
    labels = classify.rounded_labels(upper, decimals)
    assert labels == ("up to 17", "18 to 21", "22 to 24", "25 to 30", "31 or more")
    _assert_rounded_and_apart(labels)
    # values go in the class their shown (rounded) value names
    classes = classify.Classes(palette.SEQUENTIAL, labels, "x", upper=upper)
    assert classes.find_bin([17.4, 17.6, 21.2, 24.49, 30.6, 200]).tolist() == [0, 1, 1, 2, 4, 4]
    # small fractions keep the decimals they need; whole breaks stay whole
    small = classify.round_breaks((0.012, 0.034, 0.05, 0.09, 0.5))
    _assert_rounded_and_apart(classify.rounded_labels(*small))
    whole = classify.round_breaks((1, 2, 3, 4, 5))
    assert classify.rounded_labels(*whole) == ("up to 1", "2", "3", "4", "5 or more")


def test_legend_counts_read_as_lsoas():
    assert cartography.count_label("1 (most deprived 10%)", 11) == "1 (most deprived 10%): 11 LSOAs"
    assert cartography.count_label("10 (least deprived 10%)", 1) == "10 (least deprived 10%): 1 LSOA"
    assert cartography.count_label("No data", None) == "No data"


def test_hatch_contrasts_with_every_fill_of_every_palette():
    fills = [*palette.DECILE_COLOURS, *palette.SCORE_COLOURS, palette.NO_DATA_COLOUR,
             *[c for pal in palette.FOCUS_COLOURS.values() for c in pal], *palette.CYP_FOCUS_COLOURS]
    for fill in fills:
        assert cartography.contrast(cartography.hatch_colour(fill), fill) >= 4.5, fill


def test_focus_palettes_are_single_hue_and_not_the_imd_purples():
    seen = set()
    for focus in clinical.ADULT_FOCUS_IDS:
        pal = palette.focus_colours(focus)
        assert len(pal) == 5 and not set(pal) & set(palette.DECILE_COLOURS)
        lum = [cartography.luminance(c) for c in pal]
        assert lum == sorted(lum, reverse=True), f"{focus}: light to dark"
        assert pal not in seen
        seen.add(pal)
    assert palette.PRINT_AREA_LINE != palette.AREA_LINE  # not the red that turns olive under deuteranopia


def test_svg_names_sans_serif_fallbacks():
    from matplotlib.figure import Figure

    fig = Figure()
    fig.text(0.1, 0.5, "Core20", family=cartography.FONT)
    svg = formats.figure_bytes(fig, "svg").decode()
    assert "font-family: 'DejaVu Sans', Arial, Helvetica, sans-serif" in svg
    assert "font-family: 'DejaVu Sans';" not in svg


# --- finer boundaries (BGC): a hand-made fixture in the ONS layout ----------------------------------------

def _fake_view(level: str = "lad") -> SimpleNamespace:
    codes = ["E01000001", "E01000002", "E01000003"]
    squares = [shapely.box(-0.10 + 0.01 * i, 51.5, -0.09 + 0.01 * i, 51.51) for i in range(3)]
    frame = gpd.GeoDataFrame({schema.LSOA_CODE: codes}, geometry=squares, crs=schema.CRS_WGS84,
                             index=[10, 11, 12])
    return SimpleNamespace(level=level, vintage="2025", frame=frame)


def test_bgc_boundaries_are_used_for_prints_below_national_level_when_present(tmp_path):
    vd = _fake_view()
    geoms, note = print_maps.print_geometry(vd, BGC_FIXTURE)
    assert note == print_maps.BGC_NOTE and "20 m" in note
    assert list(geoms.index) == [10, 11, 12]
    # the fixture's 8-point outlines, not the atlas's squares
    assert all(len(g.exterior.coords) == 9 for g in geoms)
    assert not any(g.equals(s) for g, s in zip(geoms, vd.frame.geometry, strict=True))
    # fallbacks: no file, a file without every LSOA of the view, and England (always BSC)
    assert print_maps.print_geometry(vd, tmp_path / "absent.geojson")[1].startswith("Boundaries: ONS super")
    partial = json.loads(BGC_FIXTURE.read_text())
    partial["features"] = partial["features"][:2]
    (tmp_path / "partial.geojson").write_text(json.dumps(partial))
    assert "200 m" in print_maps.print_geometry(vd, tmp_path / "partial.geojson")[1]
    assert "200 m" in print_maps.print_geometry(_fake_view("england"), BGC_FIXTURE)[1]


def test_bgc_is_an_optional_ons_input_with_a_licence():
    d = sources.get(sources.BGC_ID)
    assert d.optional and d.kind == "boundary" and "OGL" in d.licence or "Open Government" in d.licence
    assert d.urls and d.urls[0].startswith(sources.ONS_ARCGIS) and "BGC" in d.urls[0]


# --- real data: Tower Hamlets and Cornwall -------------------------------------------------------------

def _contrast_share(fig, vd, fills, dpi: int) -> tuple[list[float], list[float]]:
    """Per LSOA (interior, 1.5 px in from its edge): the share of pixels contrasting (>= 3:1) with its
    fill, for Core20 LSOAs and the others."""
    img = np.asarray(Image.open(io.BytesIO(formats.figure_bytes(fig, "png", dpi=dpi))).convert("RGB"))
    img = img.astype(float) / 255
    lin = np.where(img <= 0.04045, img / 12.92, ((img + 0.055) / 1.055) ** 2.4)
    lum = lin @ np.array([0.2126, 0.7152, 0.0722])
    ax, height, scale = fig.axes[0], img.shape[0], dpi / fig.dpi
    inv = ax.transData.inverted()
    metres_per_px = (ax.get_xlim()[1] - ax.get_xlim()[0]) / (ax.get_window_extent().width * scale)
    frame = vd.frame.to_crs(schema.CRS_BNG)
    # other LSOAs next to a Core20 one carry its outline and (small ones) its ring: compare the rest
    near_core20 = shapely.buffer(shapely.union_all(frame.geometry[frame[schema.CORE20]].values),
                                 6 / 72 * dpi * metres_per_px)  # 6 pt: a ring and its halo
    core, other = [], []
    for geom, fill, is_core in zip(frame.geometry, fills, frame[schema.CORE20], strict=True):
        if not is_core and shapely.intersects(geom, near_core20):
            continue
        inner = shapely.buffer(geom, -1.5 * metres_per_px)
        (px0, py0), (px1, py1) = ax.transData.transform([inner.bounds[:2], inner.bounds[2:]]) * scale
        xs, ys = np.meshgrid(np.arange(int(px0), int(px1) + 1) + 0.5, np.arange(int(py0), int(py1) + 1) + 0.5)
        data = inv.transform(np.c_[xs.ravel(), ys.ravel()] / scale)
        inside = shapely.contains_xy(inner, data[:, 0], data[:, 1])
        assert inside.sum() >= 5 or not is_core, "a Core20 LSOA too small to check at this resolution"
        if not inside.any():
            continue
        lp = lum[(height - ys.ravel()[inside]).astype(int), xs.ravel()[inside].astype(int)]
        lf = cartography.luminance(fill)
        ratio = (np.maximum(lf, lp) + 0.05) / (np.minimum(lf, lp) + 0.05)
        (core if is_core else other).append(float((ratio >= 3).mean()))
    return core, other


@pytest.mark.parametrize(("code", "dpi", "n_core20"), [(TOWER_HAMLETS, 100, 73), (CORNWALL, 300, 36)])
def test_core20_lsoas_are_distinguishable_on_the_print(atlas2025, code, dpi, n_core20):
    vd = print_maps.print_view("2025", "lad", code)
    fig = print_maps.explorer_map(vd).figure
    fills = [palette.DECILE_COLOURS[int(d) - 1] for d in vd.frame[schema.IMD_DECILE]]
    core, other = _contrast_share(fig, vd, fills, dpi)
    assert len(core) == n_core20
    # every Core20 LSOA carries the hatch: at least a tenth of its inside contrasts with its fill ...
    assert min(core) >= 0.10, f"a Core20 LSOA without a visible hatch: {sorted(core)[:5]}"
    # ... while a typical other LSOA (away from Core20 outlines and rings) is plain, labels aside
    assert len(other) >= 10 and np.median(other) <= 0.05


@pytest.fixture(scope="module")
def tower_hamlets(atlas2025):
    return print_maps.print_view("2025", "lad", TOWER_HAMLETS)


def test_print_map_uses_the_apps_palette_and_rounded_legend(tower_hamlets):
    vd = tower_hamlets
    m = print_maps.focus_map(vd, "cancer")
    national = clinical.focus_layer(vd.national, "cancer")
    app = plus_maps.focus_style(national.values, f"{national.label} ({national.unit})", "cancer")
    entries = [e for e in m.legend.entries if e.label != "No data"]
    assert [e.colour for e in entries] == list(app.colours) == list(palette.focus_colours("cancer"))
    assert [e.label for e in entries] == list(app.labels)
    _assert_rounded_and_apart([e.label for e in entries])
    img = Image.open(io.BytesIO(formats.figure_bytes(m.figure, "png", dpi=60))).convert("RGB")
    seen = {"#{:02x}{:02x}{:02x}".format(*c) for _, c in img.getcolors(1 << 24)}
    drawn = [e.colour for e in entries if e.count]
    assert set(drawn) <= seen
    svg = formats.figure_bytes(m.figure, "svg").decode()
    assert re.search(r"\d+ LSOAs?<", svg) or " LSOAs" in svg


def test_hypertension_print_shows_the_focus_commands_recorded_to_expected(atlas2025, tower_hamlets):
    vd = tower_hamlets
    summary = clinical.focus_summary(atlas2025, "hypertension", "lad").set_index("area_code")
    england = clinical.focus_summary(atlas2025, "hypertension", "england").iloc[0]
    m = print_maps.focus_map(vd, "hypertension")
    shown = f"{summary.loc[TOWER_HAMLETS, 'recorded_to_expected']:.1%}"
    assert m.key_numbers["Diagnosed / expected hypertension"] == shown
    assert shown in m.title
    texts = " ".join(t.get_text() for t in [*m.figure.texts, *(t for ax in m.figure.axes for t in ax.texts)])
    assert shown in texts and f"England {england['recorded_to_expected']:.1%}" in texts
    assert "ambition 80%" in texts and "do not vary with deprivation" in texts  # the caveat on the figure
    # one denominator: the map's unit is the tables' "per 1,000 residents"
    assert "per 1,000 residents" in m.subtitle and ui_focus.COLUMN_LABEL["target_per_1000"] in m.subtitle


def test_cancer_core20_rows_have_smoking_and_distance(atlas2025):
    cmp = clinical.focus_compare(atlas2025, "cancer", "lad", CORNWALL)
    core = cmp[cmp["part"] == "core20"]
    for col in ("recorded_smokers", "smoking_prevalence", "mean_km_to_cdc"):
        assert core[col].notna().all() and np.isfinite(core[col].astype(float)).all(), col
    table = ui_focus.comparison_table(cmp)
    assert not table.isna().any().any()
    people = table["Focus population"]
    assert str(people.dtype) == "Int64"  # whole people, not 309,684.019


def test_plan_map_is_shaded_by_coverage_with_reach(atlas2025):
    plan = json.loads((ROOT / "tests" / "fixtures" / "plan_v1.json").read_text())
    vd = print_maps.plan_view(plan)
    codes = vd.frame[schema.LSOA_CODE].tolist()[:3]
    plan = copy.deepcopy(plan)
    plan["siting"]["assignment"] = [{"code": codes[0], "covered": True}, {"code": codes[1], "covered": True},
                                    {"code": codes[2], "covered": False}]
    cls = print_maps.plan_classes(vd, plan)
    assert cls[:3].tolist() == [0, 0, 1] and (cls[3:] == 2).all()
    m = print_maps.plan_map(vd, plan)
    assert [(e.label, e.count) for e in m.legend.entries] == [
        ("Target LSOA reached by the plan", 2), ("Target LSOA not reached", 1),
        ("Not in the target", len(codes) and len(vd.frame) - 3)]
    reach = print_maps.plan_reach(plan)
    assert len(reach) == 2 and reach.area.round(-3).iloc[0] == pytest.approx(np.pi * 1500 ** 2, rel=0.01)
    texts = [t for t in m.figure.texts if "new sites" in t.get_text()]
    renderer = FigureCanvasAgg(m.figure).get_renderer()
    box = texts[0].get_window_extent(renderer)
    assert box.x1 <= m.figure.bbox.x1, "the plan subtitle runs off the page"
    assert "reaching 73.9% of them" in texts[0].get_text()
    assert cartography.REACH_LABEL in [t.get_text() for t in m.figure.axes[1].get_legend().get_texts()]
    assert pd.Series(cls).isin([0, 1, 2]).all()


# --- issue 18 review: what a look at every print and slide found (/tmp/review18) -------------------------

def _rings(fig) -> int:
    """Rings drawn round small Core20 patches (the ring scatter: hollow markers of size 70)."""
    from matplotlib.collections import PathCollection

    counts = [len(c.get_offsets()) for ax in fig.axes for c in ax.collections
              if isinstance(c, PathCollection) and len(c.get_sizes()) and c.get_sizes()[0] == 70]
    return max(counts, default=0)


def test_small_core20_patches_get_one_ring_each_not_one_per_lsoa():
    """Nottingham's and Liverpool's many small Core20 LSOAs were ringed one by one, a black blob hiding
    the fills; touching Core20 LSOAs form one patch, ringed only when the patch itself is small."""
    tiny = [shapely.box(400_000 + i * 60, 300_000 + j * 60, 400_060 + i * 60, 300_060 + j * 60)
            for i in range(10) for j in range(10)]  # a 600 m block of 100 touching 60 m LSOAs
    lone = [shapely.box(410_000, 310_000, 410_060, 310_060)]  # one small Core20 LSOA on its own
    big = [shapely.box(390_000, 290_000, 395_000, 295_000), shapely.box(415_000, 315_000, 420_000, 320_000)]
    frame = gpd.GeoDataFrame(geometry=[*tiny, *lone, *big], crs=schema.CRS_BNG)
    mask = np.r_[np.ones(101, bool), np.zeros(2, bool)]
    classes = styles.classes_for(schema.IMD_DECILE)
    legend = classes.legend(pd.Series([1] * 101 + [9, 9]))
    fig = cartography.draw_map(frame, np.r_[np.zeros(101, int), [8, 8]], legend, title="x",
                               outline_mask=mask)
    assert _rings(fig) == 1  # the lone LSOA; the block is a patch big enough to see (hatched)
    fig = cartography.draw_map(frame.iloc[:100], np.zeros(100, int), legend, title="x",
                               outline_mask=np.ones(100, bool), with_legend=False)
    assert _rings(fig) == 0  # the block alone fills the map: nothing is small


def _visible_labels(fig):
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    boxes = [t.get_window_extent(renderer) for t in ax.texts
             if t.get_visible() and t.get_gid() in (cartography.SITE_LABEL, cartography.PLACE_LABEL)]
    return ax.get_window_extent(renderer), boxes


def test_site_labels_stay_inside_the_map_and_apart_on_the_print_and_on_the_slide():
    """Five Liverpool practices 200 m apart printed their names on top of each other, and on the slide
    one ran out of the map onto the locator: a label that does not fit moves left of its marker, a
    chosen site keeps its rank, the rest are dropped (the sites slide lists them all)."""
    from geo_core20.exports import deck

    squares = [shapely.box(330_000 + i * 1000, 390_000, 331_000 + i * 1000, 391_000) for i in range(10)]
    frame = gpd.GeoDataFrame(geometry=squares, crs=schema.CRS_BNG)
    names = [f"{i}. {'SOME LONG MEDICAL CENTRE NAME'[:20 + i]}" for i in range(1, 6)]
    xs = [333_000 + 150 * i for i in range(4)] + [339_900]  # four together, one at the map's right edge
    pts = gpd.GeoDataFrame({"label": names}, geometry=gpd.points_from_xy(xs, [390_500] * 5),
                           crs=schema.CRS_BNG)
    classes = styles.classes_for(schema.IMD_DECILE)
    idx = np.arange(10) % 10
    for with_legend in (True, False):
        fig = cartography.draw_map(frame, idx, classes.legend(pd.Series(idx + 1)), title="x",
                                   with_legend=with_legend,
                                   points=[cartography.PointLayer(pts, legend_label="Chosen outreach site")])
        if not with_legend:
            deck.slide_picture(fig, 6.3, 4.8)  # 14 pt on the slide: decluttered again
        frame_box, boxes = _visible_labels(fig)
        assert len(boxes) >= (3 if with_legend else 1)
        for k, b in enumerate(boxes):
            assert frame_box.x0 - 1 <= b.x0 and b.x1 <= frame_box.x1 + 1, (with_legend, k)
            assert not any(b.overlaps(o) for o in boxes[k + 1:]), (with_legend, k)


def test_slide_picture_rewraps_a_right_anchored_panel_inside_the_picture():
    """A multi-line text anchored on the right (the print's figures panel) grew past the picture's left
    edge at 14 pt and was cut ('amshire Integrated Care Board: 64.5%'): it is rewrapped to fit."""
    from matplotlib.figure import Figure

    from geo_core20.exports import deck

    fig = Figure(figsize=(8.4, 6.4))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    line = "Diagnosed as % of expected hypertension (ambition 80%) in the whole area and its Core20 part"
    t = ax.text(0.985, 0.02, f"{line}\n{line}", transform=ax.transAxes, ha="right", va="bottom",
                fontsize=9.5)
    deck.slide_picture(fig, 6.3, 4.8)
    box = t.get_window_extent(FigureCanvasAgg(fig).get_renderer())
    assert t.get_fontsize() >= 14
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width + 1
    assert t.get_text().replace("\n", " ") == f"{line} {line}"  # every word kept, none split


def test_a_long_title_on_a_portrait_page_wraps_inside_the_page():
    """'NHS Nottingham and Nottinghamshire Integrated Care Board: Hypertension case-finding, 64.5% of
    expected diagnosed' ran off a portrait print at 11 pt ('...case-finding, 64.'): two lines at 14 pt."""
    tall = [shapely.box(450_000, 300_000 + j * 1000, 451_000, 301_000 + j * 1000) for j in range(20)]
    frame = gpd.GeoDataFrame(geometry=tall, crs=schema.CRS_BNG)
    classes = styles.classes_for(schema.IMD_DECILE)
    idx = np.arange(20) % 10
    title = ("NHS Nottingham and Nottinghamshire Integrated Care Board: Hypertension case-finding, "
             "64.5% of expected diagnosed")
    subtitle = "Estimated undiagnosed hypertension (per 1,000 residents)\nsecond line"
    fig = cartography.draw_map(frame, idx, classes.legend(pd.Series(idx + 1)), title=title, subtitle=subtitle)
    w, h = fig.get_size_inches()
    assert h > w  # a tall area: portrait
    renderer = FigureCanvasAgg(fig).get_renderer()
    shown = next(t for t in fig.texts if "Hypertension" in t.get_text())
    assert shown.get_text().replace("\n", " ") == title and shown.get_fontsize() >= 14
    box = shown.get_window_extent(renderer)
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width
    sub = next(t for t in fig.texts if t.get_text().startswith("Estimated"))
    assert sub.get_window_extent(renderer).y1 < box.y0  # the subtitle below the title's second line
    assert sub.get_window_extent(renderer).y0 > fig.axes[0].get_window_extent(renderer).y1  # above the map


# --- England: too many LSOAs to hatch -------------------------------------------------------------------

@pytest.fixture(scope="module")
def england_print(atlas2025):
    vd = print_maps.print_view("2025", "england")
    return vd, print_maps.explorer_map(vd).figure


def _rgb_distance(img: np.ndarray, colour: str) -> np.ndarray:
    return np.linalg.norm(img - np.array(palette.rgb(colour), dtype=float), axis=-1)


def test_england_core20_patches_are_outlined_in_a_colour_no_fill_shares(england_print):
    """On England Core20 was a 0.15 pt black hairline, invisible at A4 and on a slide: the dissolved
    patches are now outlined in a bold magenta on a white halo. The 12 largest patches clear of place
    names carry that colour on their boundary at 300 dpi, while their inside still shows its decile fill
    (not a magenta blob)."""
    vd, fig = england_print
    dpi = 300
    img = np.asarray(Image.open(io.BytesIO(formats.figure_bytes(fig, "png", dpi=dpi))).convert("RGB"))
    img = img.astype(float)
    ax, height, scale = fig.axes[0], img.shape[0], dpi / fig.dpi
    metres_per_px = (ax.get_xlim()[1] - ax.get_xlim()[0]) / (ax.get_window_extent().width * scale)
    frame = vd.frame.to_crs(schema.CRS_BNG)
    # the patches as the notes say they are drawn: touching Core20 LSOAs as one, and patches less than
    # twice CORE20_CLOSE_PT apart on the page outlined as one (closed: grown by it and shrunk back)
    d = cartography.CORE20_CLOSE_PT / 72 * dpi * metres_per_px
    core20 = shapely.union_all(frame.geometry[frame[schema.CORE20]].values)
    patches = shapely.get_parts(shapely.buffer(shapely.buffer(core20, d), -d))
    largest = patches[np.argsort(shapely.area(patches))[::-1][:30]]
    magenta = _rgb_distance(img, palette.CORE20_NATIONAL_LINE) < 60

    def pixels(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        px = ax.transData.transform(xy) * scale
        return (height - px[:, 1]).astype(int), px[:, 0].astype(int)

    renderer = FigureCanvasAgg(fig).get_renderer()
    names = [t.get_window_extent(renderer).expanded(1.1, 1.3) for t in ax.texts if t.get_visible()]
    tested = 0
    r = 6  # px (1.4 pt): the outline is generalised to the page, so it lies near, not on, the LSOA edges
    for patch in largest:
        ring = shapely.get_exterior_ring(patch)
        pts = shapely.line_interpolate_point(ring, np.linspace(0, 1, 60, endpoint=False), normalized=True)
        xy = shapely.get_coordinates(pts)
        disp = ax.transData.transform(xy)
        under = [(disp[:, 0] >= b.x0) & (disp[:, 0] <= b.x1) & (disp[:, 1] >= b.y0) & (disp[:, 1] <= b.y1)
                 for b in names]
        free = ~np.any(under, axis=0)  # place names (and their halo) lie above the outline
        if free.sum() < 20 or tested == 12:  # mostly under a name (London's): the largest others are checked
            continue
        tested += 1
        rows, cols = pixels(xy[free])
        hit = [magenta[y - r:y + r + 1, x - r:x + r + 1].any() for y, x in zip(rows, cols, strict=True)]
        assert np.mean(hit) >= 0.8, f"a Core20 patch's outline is missing the highlight: {np.mean(hit):.2f}"
        inner = shapely.buffer(patch, -4 / 72 * dpi * metres_per_px)  # 4 pt inside the outline
        if inner.is_empty:
            continue
        grid = shapely.get_coordinates(shapely.points(np.c_[
            np.random.default_rng(0).uniform(inner.bounds[0], inner.bounds[2], 4000),
            np.random.default_rng(1).uniform(inner.bounds[1], inner.bounds[3], 4000)]))
        grid = grid[shapely.contains_xy(inner, grid[:, 0], grid[:, 1])]
        if len(grid) >= 20:
            iy, ix = pixels(grid)
            assert magenta[iy, ix].mean() < 0.35, "the inside of a Core20 patch is drowned in its outline"
    assert tested >= 12
    # the highlight is far (RGB distance > 150) from every fill it can lie on, the land and the sea
    for fill in (*palette.DECILE_COLOURS, palette.PRINT_LAND, palette.PRINT_WATER):
        assert np.linalg.norm(np.subtract(palette.rgb(palette.CORE20_NATIONAL_LINE), palette.rgb(fill))) > 150
    # and its white halo sets it off from the darkest fills (deciles 1-2, the Core20 fills themselves)
    assert cartography.contrast(palette.CORE20_NATIONAL_LINE, palette.CORE20_HALO) >= 4
    assert min(cartography.contrast(palette.CORE20_HALO, c) for c in palette.DECILE_COLOURS[:2]) >= 7


def test_england_legend_shows_the_outline_the_map_draws(england_print):
    _, fig = england_print
    legend = next(a.get_legend() for a in fig.axes if a.get_legend() is not None)
    texts = [t.get_text() for t in legend.get_texts()]
    assert cartography.CORE20_NATIONAL_LABEL in texts
    assert cartography.CORE20_NATIONAL_LABEL == "Core20 area (national IMD deciles 1-2), outlined"
    handle = legend.legend_handles[texts.index(cartography.CORE20_NATIONAL_LABEL)]
    assert handle.get_color() == palette.CORE20_NATIONAL_LINE
    assert handle.get_linewidth() == cartography.CORE20_NATIONAL_PT >= 0.8
    # the map draws that very line (colour and width) over the LSOAs
    rgb = tuple(v / 255 for v in palette.rgb(palette.CORE20_NATIONAL_LINE))
    drawn = [c for c in fig.axes[0].collections
             if type(c).__name__ == "LineCollection" and tuple(c.get_colors()[0][:3]) == rgb]
    assert drawn and drawn[0].get_linewidths()[0] == cartography.CORE20_NATIONAL_PT
    assert not any("hatched" in t for t in texts)


def test_england_labels_name_cities_not_london_boroughs(england_print):
    vd, fig = england_print
    shown = {t.get_text() for t in fig.axes[0].texts
             if t.get_gid() == cartography.PLACE_LABEL and t.get_visible()}
    assert {"London", "Birmingham", "Leeds", "Manchester", "Liverpool"} <= shown, shown
    lad, region = schema.LEVEL_COLUMNS["lad"][1], schema.LEVEL_COLUMNS["region"][0]
    boroughs = set(vd.national.loc[vd.national[region] == print_maps.LONDON_REGION, lad])
    assert len(boroughs) == 33 and not shown & boroughs, shown & boroughs
    assert not any(name.endswith(", City of") for name in shown)


def test_a_place_name_that_collides_moves_just_above_or_below_its_place():
    """On the England slide (14 pt names) Manchester fell on Leeds and Sheffield and was dropped: a place
    name that does not fit on its place is tried just above, then just below it, before it is hidden."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 4), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    for name in ("Sheffield", "Manchester", "Liverpool"):  # all on one spot, in order of importance
        ax.text(50, 50, name, ha="center", va="center", fontsize=14, gid=cartography.PLACE_LABEL)
    cartography.declutter_labels(fig)
    first, second, third = ax.texts
    assert first.get_visible() and first.get_position() == (50, 50)
    assert second.get_visible() and second.get_position()[1] > 50  # above
    assert third.get_visible() and third.get_position()[1] < 50  # then below
    _, boxes = _visible_labels(fig)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    ax.text(50, 50, "Bradford", ha="center", va="center", fontsize=14, gid=cartography.PLACE_LABEL)
    cartography.declutter_labels(fig)
    assert not ax.texts[-1].get_visible()  # no room left: hidden


def _label_axes():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 4), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 100_000)
    ax.set_ylim(0, 100_000)
    return fig, ax


def _place(name: str, x: float, y: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [name]}, geometry=gpd.points_from_xy([x], [y]), crs=schema.CRS_BNG)


def test_a_place_name_keeps_clear_of_the_outlines_or_sits_on_a_box():
    """A name whose place an outline runs through moves just above or below it, clear of the line; where
    every place near it crosses outlines (London inside its Core20 patches) it stays, on a white box."""
    extent = (0, 0, 100_000, 100_000)
    across = [np.array([[0.0, 50_000.0], [100_000.0, 50_000.0]])]  # one line through the place
    fig, ax = _label_axes()
    cartography._draw_labels(ax, _place("Leeds", 50_000, 50_000), extent, size=9.5, limit=14, avoid=across)
    (t,) = ax.texts
    assert t.get_position()[0] == 50_000 and t.get_position()[1] != 50_000  # moved off the line
    assert t.get_bbox_patch() is None  # clear of it: no box needed
    grid = [np.array([[0.0, y], [100_000.0, y]]) for y in range(0, 100_001, 2_000)]  # lines everywhere
    fig, ax = _label_axes()
    cartography._draw_labels(ax, _place("London", 50_000, 50_000), extent, size=9.5, limit=14, avoid=grid)
    (t,) = ax.texts
    assert t.get_position() == (50_000, 50_000) and t.get_bbox_patch() is not None
    assert t.get_bbox_patch().get_facecolor()[:3] == tuple(v / 255 for v in palette.rgb(palette.BACKGROUND))


def test_a_place_at_the_maps_edge_is_named_beside_it():
    """The Isles of Scilly lie near the left edge of Cornwall's print: a name centred on them ran off the
    map and was left out; it goes beside them (right) instead."""
    fig, ax = _label_axes()
    cartography._draw_labels(ax, _place("Isles of Scilly", 3_000, 20_000), (0, 0, 100_000, 100_000),
                             size=9.5, limit=14)
    (t,) = ax.texts
    x, y = t.get_position()
    assert y == 20_000 and x > 3_000 and t.get_ha() == "center"
    extent = t.get_window_extent(FigureCanvasAgg(fig).get_renderer())
    assert extent.x0 >= 0 and ax.transData.transform((3_000, 20_000))[0] < extent.x0  # right of its place


def _drawn_outlines(fig) -> list[np.ndarray]:
    """The Core20 outlines and area boundary a print map drew (its LineCollections of those colours)."""
    colours = {tuple(v / 255 for v in palette.rgb(c)) for c in
               (palette.CORE20_NATIONAL_LINE, palette.CORE20_LINE, palette.PRINT_AREA_LINE)}
    return [seg for c in fig.axes[0].collections if type(c).__name__ == "LineCollection"
            and len(c.get_colors()) and tuple(c.get_colors()[0][:3]) in colours for seg in c.get_segments()]


def _names_over_outlines(fig) -> dict[str, bool]:
    """Each visible place name: whether it lies over a drawn outline without a box beneath it."""
    ax = fig.axes[0]
    renderer = FigureCanvasAgg(fig).get_renderer()
    tree = shapely.STRtree([shapely.linestrings(s) for s in _drawn_outlines(fig) if len(s) >= 2])
    out = {}
    for t in ax.texts:
        if t.get_gid() != cartography.PLACE_LABEL or not t.get_visible():
            continue
        b = t.get_window_extent(renderer).shrunk(0.9, 0.8)  # the letters, not the halo round them
        (x0, y0), (x1, y1) = ax.transData.inverted().transform([[b.x0, b.y0], [b.x1, b.y1]])
        crossing = len(tree.query(shapely.box(x0, y0, x1, y1), predicate="intersects")) > 0
        out[t.get_text()] = crossing and t.get_bbox_patch() is None
    return out


def test_england_print_names_sit_clear_of_core20_outlines_london_on_a_box(england_print):
    _, fig = england_print
    over = _names_over_outlines(fig)
    assert "London" in over and not any(over.values()), over
    london = next(t for t in fig.axes[0].texts if t.get_text() == "London" and t.get_visible())
    assert london.get_bbox_patch() is not None  # London sits inside its Core20 patches: on a box


@pytest.mark.parametrize(("level", "code"), [("region", print_maps.LONDON_REGION), ("icb", "E54000036")])
def test_london_and_cornwall_prints_names_clear_of_outlines_isles_of_scilly_named(atlas2025, level, code):
    fig = print_maps.explorer_map(print_maps.print_view("2025", level, code)).figure
    over = _names_over_outlines(fig)
    assert over and not any(over.values()), over
    if code == "E54000036":  # Cornwall and the Isles of Scilly: both its authorities are named
        assert {"Cornwall", "Isles of Scilly"} <= set(over), over
        scilly = next(t for t in fig.axes[0].texts if t.get_text() == "Isles of Scilly")
        x, y = scilly.get_position()
        assert 80_000 < x < 130_000 and 0 < y < 30_000  # beside the islands (about 92 km E, 11 km N)
