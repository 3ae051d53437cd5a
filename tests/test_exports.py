"""Static maps, charts and the `export-map` command: the files written are opened and checked."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pypdf
import pytest
import shapely
from PIL import Image

from geo_core20 import cli, schema, sources
from geo_core20.exports import ExportError, cartography, charts, formats, print_maps
from geo_core20.maps import palette, styles

ICB = "E54000008"  # NHS Cheshire and Merseyside ICB (2024 code)
ICB_NAME = "NHS Cheshire and Merseyside Integrated Care Board"


def _png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def _distinct_colours(img: Image.Image, box: tuple[float, float, float, float]) -> set[tuple[int, int, int]]:
    """Distinct colours in a fractional box (left, top, right, bottom) of the image."""
    w, h = img.size
    crop = img.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    return {c for _, c in crop.getcolors(maxcolors=1 << 24)}


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


# --- the generic drawing function on hand-made squares (no atlas) --------------------------------

@pytest.fixture(scope="module")
def grid() -> gpd.GeoDataFrame:
    """Ten 1 km squares in British National Grid, a row near Liverpool."""
    squares = [shapely.box(330_000 + i * 1000, 390_000, 331_000 + i * 1000, 391_000) for i in range(10)]
    return gpd.GeoDataFrame({"decile": [*range(1, 10), None]}, geometry=squares, crs=schema.CRS_BNG)


def test_draw_map_fills_each_class_with_its_colour_and_no_data_grey(grid):
    classes = styles.classes_for(schema.IMD_DECILE)
    legend = classes.legend(grid["decile"], no_data=True)
    fig = cartography.draw_map(grid, classes.find_bin(grid["decile"]), legend, title="Squares",
                              subtitle="test", attribution=["Contains OS data"], with_legend=True)
    img = _png(formats.figure_bytes(fig, "png", dpi=100))
    colours = {_hex(c) for c in _distinct_colours(img, (0.0, 0.15, 0.66, 0.86))}
    # deciles 1..9 drawn, decile 10 absent, the missing square grey (edges anti-aliased: check presence)
    assert set(palette.DECILE_COLOURS[:9]) <= colours
    assert palette.NO_DATA_COLOUR in colours
    assert legend.entries[-1].label == "No data" and legend.entries[-1].count == 1


def test_draw_map_rejects_misaligned_classes(grid):
    legend = styles.classes_for(schema.IMD_DECILE).legend()
    with pytest.raises(ValueError, match="one class per LSOA"):
        cartography.draw_map(grid, [0, 1], legend, title="x")


def test_draw_map_points_and_outline_show_in_the_legend_svg(grid):
    classes = styles.classes_for(schema.IMD_DECILE)
    pts = gpd.GeoDataFrame({"label": ["1. <Site & co>"]}, geometry=[shapely.Point(332_500, 390_500)],
                           crs=schema.CRS_BNG)
    fig = cartography.draw_map(grid, classes.find_bin(grid["decile"]), classes.legend(grid["decile"]),
                              title="Squares", outline_mask=np.arange(10) < 2,
                              points=[cartography.PointLayer(pts, legend_label="Chosen outreach site")])
    svg = formats.figure_bytes(fig, "svg").decode()
    ET.fromstring(svg)  # well-formed
    assert "Chosen outreach site (1)" in svg
    assert cartography.CORE20_LABEL in svg
    # site labels carry a white halo, so they are drawn as outlines: check the figure's texts
    assert "1. <Site & co>" in [t.get_text() for t in fig.axes[0].texts]


def test_format_checks_name_the_valid_types():
    assert formats.format_of("map.PNG") == "png"
    with pytest.raises(ExportError, match="png, svg, pdf"):
        formats.format_of("map.gif")
    with pytest.raises(ExportError, match="no suffix"):
        formats.format_of("map")


def test_one_attribution_builder_merges_years_and_keeps_every_notice():
    lines = ["Contains OS data © Crown copyright and database right 2021.",
             "Contains OS data © Crown copyright and database right 2024.",
             "Contains NHS England data.", "Contains NHS England data."]
    assert sources.merge_attribution(lines) == [
        "Contains OS data © Crown copyright and database right 2021 and 2024.", "Contains NHS England data."]


# --- charts -----------------------------------------------------------------------------------------

def test_charts_are_png_and_svg():
    prof = pd.DataFrame({"imd_decile": range(1, 11), "population_share": np.full(10, 0.1),
                         "england_share": np.linspace(0.05, 0.15, 10)})
    png = charts.decile_profile_chart(prof, "Area <x>", "png")
    img = Image.open(io.BytesIO(png))
    assert round(img.info["dpi"][0]) == 300
    svg = charts.decile_profile_chart(prof, "Area <x>", "svg").decode()
    assert "Area &lt;x&gt;: population by national IMD decile" in svg
    curve = [{"k": k, "covered_share": min(1.0, 0.2 * k)} for k in range(6)]
    assert "k = 3: 60.0%" in charts.coverage_curve_chart(curve, "svg", chosen_k=3).decode()
    bands = pd.DataFrame({"band": ["0-1 km", "1-2 km", "2+ km"], "share": [0.5, 0.3, 0.2],
                          "cumulative_share": [0.5, 0.8, 1.0]})
    assert "1-2 km" in charts.distance_bands_chart(bands, "svg").decode()
    with pytest.raises(ValueError, match="png, svg"):
        charts.distance_bands_chart(bands, "jpg")


# --- real data: an ICB map in every format ------------------------------------------------------

@pytest.fixture(scope="module")
def icb_map(atlas2025):
    return print_maps.explorer_map(print_maps.print_view("2025", "icb", ICB))


def test_icb_png_is_300_dpi_a4_and_shows_many_colours(icb_map):
    data = formats.figure_bytes(icb_map.figure, "png")
    img = Image.open(io.BytesIO(data))
    assert round(img.info["dpi"][0]) == 300 and round(img.info["dpi"][1]) == 300
    assert img.size == (3507, 2481)  # A4 landscape at 300 dpi
    rgb = img.convert("RGB")
    in_map = {_hex(c) for c in _distinct_colours(rgb, (0.05, 0.2, 0.6, 0.8))}
    assert len(in_map) > 200  # fills, edges, outlines (not a blank page)
    assert set(palette.DECILE_COLOURS) <= in_map  # every decile occurs in Cheshire and Merseyside
    # the legend column (right) carries the swatches, not the map: no LSOA drawn there
    legend_box = {_hex(c) for c in _distinct_colours(rgb, (0.68, 0.2, 0.71, 0.4))}
    assert palette.DECILE_COLOURS[0] in legend_box


def test_icb_svg_parses_with_legend_and_area_name_as_text(icb_map):
    svg = formats.figure_bytes(icb_map.figure, "svg").decode()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert ICB_NAME in svg
    counts = {e.label: e.count for e in icb_map.legend.entries}
    # issue 18: counts read as "N LSOAs" ("1 (most deprived 10%): 322 LSOAs", not "(322)")
    assert f"1 (most deprived 10%): {counts['1 (most deprived 10%)']:,} LSOAs" in svg
    assert "25 km" in svg or "10 km" in svg or "20 km" in svg  # the scale bar's label
    assert "Contains OS data" in svg


def test_icb_pdf_has_one_page_with_the_area_name(icb_map):
    reader = pypdf.PdfReader(io.BytesIO(formats.figure_bytes(icb_map.figure, "pdf")))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Cheshire and Merseyside" in text
    assert f"{icb_map.key_numbers['LSOAs']} LSOAs" in text


def test_legend_counts_are_the_interactive_maps(icb_map, atlas2025):
    from geo_core20.maps import view

    vm_legend = styles.classes_for(schema.IMD_DECILE, atlas2025, view.vintage_label("2025")).legend(
        view.view_frame("2025", "icb", ICB)[schema.IMD_DECILE])
    assert [(e.colour, e.label, e.count) for e in icb_map.legend.entries] == \
        [(e.colour, e.label, e.count) for e in vm_legend.entries]


def test_export_map_cli_writes_png(tmp_path, atlas2025, capsys):
    out = tmp_path / "cm.png"
    assert cli.main(["export-map", "--vintage", "2025", "--level", "icb", "--area", ICB,
                     "--shade", "income_decile", "--no-core20", "--out", str(out)]) == 0
    img = Image.open(out)
    assert round(img.info["dpi"][0]) == 300 and img.size == (3507, 2481)
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "expected"), [
    (["--level", "icb", "--area", "E99999999", "--out", "x.png"], "valid ICB codes include E54000"),
    (["--level", "icb", "--area", ICB, "--out", "x.gif"], "png, svg, pdf"),
    (["--level", "icb", "--area", ICB, "--shade", "nope", "--out", "x.png"], "imd_decile, imd_score"),
    (["--level", "icb", "--out", "x.png"], "needs an area code"),
])
def test_export_map_cli_bad_input_exits_2_naming_valid_choices(tmp_path, atlas2025, capsys, args, expected):
    args = [a if a != "x.png" and a != "x.gif" else str(tmp_path / a) for a in args]
    assert cli.main(["export-map", "--vintage", "2025", *args]) == 2
    assert expected in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_export_map_cli_bad_level_names_levels(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["export-map", "--level", "ics", "--area", ICB, "--out", "x.png"])
    assert exc.value.code == 2
    assert "'england', 'region', 'nhs_region', 'icb', 'sub_icb', 'lad'" in capsys.readouterr().err


def test_plan_points_from_a_plan_record():
    record = {"siting": {"chosen": [{"rank": 1, "name": "A pharmacy", "lon": -4.7, "lat": 50.46},
                                    {"rank": 2, "name": None, "lon": -5.5, "lat": 50.1}],
                         "fixed": []}}
    (layer,) = print_maps.plan_points(json.loads(json.dumps(record)))
    assert layer.points["label"].tolist() == ["1. A pharmacy", "2. "]
    assert layer.legend_label == "Chosen outreach site"


def test_plan_map_site_labels_keep_long_venue_names_whole():
    """A library's name ("Penzance Library & Information Service") was cut at 32 characters on the
    print map ("4. Penzance Library & Information S"): it is wrapped onto lines, never cut."""
    long = "Penzance Library & Information Service"
    record = {"siting": {"chosen": [{"rank": 4, "name": long, "lon": -5.54, "lat": 50.12}],
                         "fixed": [{"name": "Royal Cornwall Hospital (Treliske) Diagnostic Centre",
                                    "lon": -5.09, "lat": 50.27}]}}
    fixed, chosen = print_maps.plan_points(record)
    (label,) = chosen.points["label"]
    assert " ".join(label.split()) == f"4. {long}" and "\n" in label  # whole, on more than one line
    assert max(map(len, label.splitlines())) <= print_maps.SITE_LABEL_CHARS
    (label,) = fixed.points["label"]
    assert " ".join(label.split()) == "Royal Cornwall Hospital (Treliske) Diagnostic Centre"


def test_focus_map_unknown_focus_names_the_foci(atlas2025):
    with pytest.raises(ExportError, match="hypertension"):
        print_maps.focus_map(print_maps.print_view("2025", "icb", ICB), "gout")


def test_the_exported_p_median_curve_shows_mean_distance_as_the_page_does():
    """The page draws mean distance for p-median (km) or mean time (minutes): so does the export."""
    curve = [{"k": k, "covered_share": min(1.0, 0.2 * k), "mean_cost": 6000.0 / (k + 1)} for k in range(5)]
    svg = charts.coverage_curve_chart(curve, "svg", chosen_k=2, objective="pmedian").decode()
    assert "k = 2: 2.00 km" in svg and "Mean distance to the nearest site (km)" in svg
    assert "Share of target residents reached" not in svg
    minutes = [{"k": k, "covered_share": 0.5, "mean_cost": 30.0 - k} for k in range(4)]
    svg = charts.coverage_curve_chart(minutes, "svg", chosen_k=3, objective="pmedian", unit="min").decode()
    assert "k = 3: 27.00 min" in svg and "Mean travel time to the nearest site (min)" in svg
    assert "k = 3: 60.0%" in charts.coverage_curve_chart(
        [{"k": k, "covered_share": min(1.0, 0.2 * k)} for k in range(6)], "svg", chosen_k=3,
        objective="mclp").decode()


def test_focus_chart_of_a_share_reads_in_per_cent_against_the_ambition():
    """The profile's hypertension chart showed 'share diagnosed' on a 0.0-0.8 axis with no ambition:
    per cent ticks, each bar's figure, and the 80% ambition as a line (visual review, issue 18)."""
    from matplotlib.ticker import PercentFormatter

    compare = pd.DataFrame({"scope": ["area", "area", "england", "england"],
                            "area_name": ["Area", "Area", "England", "England"],
                            "part": ["whole", "core20"] * 2,
                            "recorded_to_expected": [0.645, 0.777, 0.668, 0.805]})
    fig = charts.focus_compare_figure(compare, "recorded_to_expected", "Share diagnosed (ambition 80%)")
    ax = fig.axes[0]
    assert isinstance(ax.xaxis.get_major_formatter(), PercentFormatter)
    shown = {t.get_text() for t in ax.texts}
    assert {"64.5%", "77.7%", "66.8%", "80.5%"} <= shown
    lines = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [0.8, 0.8]]
    assert len(lines) == 1 and "80%" in lines[0].get_label()
    plain = charts.focus_compare_figure(compare.rename(columns={"recorded_to_expected": "target_per_1000"}))
    assert not plain.axes[0].texts and not plain.axes[0].get_lines()  # a rate: no per cent, no ambition
