"""The area profile (HTML, PDF) and the slide deck on real data: numbers checked against the
`summary` and `focus` commands, files opened and read back."""

from __future__ import annotations

import base64
import copy
import dataclasses
import io
import re
from html.parser import HTMLParser

import matplotlib.text
import pandas as pd
import pypdf
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches

from geo_core20 import cli, plans, siting
from geo_core20.exports import ExportError, profile, report
from geo_core20.exports import deck as deck_module

ICB = "E54000036"  # NHS Cornwall and the Isles of Scilly ICB: coastal, small
PLAN_NAME = "<b>Pharmacies & Core20</b>"


def _cli_csv(tmp_path, *args: str) -> pd.DataFrame:
    out = tmp_path / f"{args[0]}.csv"
    argv = [*args, "--vintage", "2025", "--level", "icb", "--format", "csv", "--output", str(out)]
    assert cli.main(argv) == 0
    return pd.read_csv(out)


@pytest.fixture(scope="module")
def store(tmp_path_factory, atlas2025):
    """A private plan store holding one real plan for the ICB (MCLP, 3 pharmacies, 3 km)."""
    st = plans.PlanStore(tmp_path_factory.mktemp("plans") / "plans.sqlite")
    result = siting.plan("2025", "icb", ICB, target="core20", site_types=("pharmacy",), radius_km=3, k=3,
                         curve_max_k=4)
    st.save(result, PLAN_NAME)
    return st


@pytest.fixture(scope="module")
def prof(store):
    return profile.build_profile("2025", "icb", ICB, focus="hypertension", store=store)


@pytest.fixture(scope="module")
def html(prof):
    return report.report_bytes(prof, "html").decode("utf-8")


@pytest.fixture(scope="module")
def pdf(prof):
    return pypdf.PdfReader(io.BytesIO(report.report_bytes(prof, "pdf")))


@pytest.fixture(scope="module")
def deck(prof):
    return Presentation(io.BytesIO(report.report_bytes(prof, "pptx")))


def test_profile_numbers_are_the_summary_commands(prof, tmp_path):
    row = _cli_csv(tmp_path, "summary").set_index("area_code").loc[ICB]
    for col in ("lsoas", "population", "core20_lsoas", "core20_population"):
        assert prof.summary[col] == row[col], col
    assert prof.summary["core20_population_pct"] == pytest.approx(row["core20_population_pct"], abs=1e-9)
    assert prof.area_name == row["area_name"]
    figures = dict(prof.key_figures())
    assert figures["Population"] == f"{int(row['population']):,}"
    assert figures["Core20 share of population"] == f"{row['core20_population_pct']:.1%}"
    # the comparison rows: this ICB, its NHS region, England (England's row is the england summary)
    assert prof.comparison["scope"].tolist() == ["area", "parent", "England"]
    assert prof.comparison.iloc[2]["lsoas"] == 33_755
    assert prof.comparison.iloc[2]["core20_lsoas"] == 6_751


def test_profile_focus_numbers_are_the_focus_commands(prof, tmp_path):
    row = _cli_csv(tmp_path, "focus", "--focus", "hypertension").set_index("area_code").loc[ICB]
    assert prof.focus_row["target_population"] == pytest.approx(row["target_population"], rel=1e-9)
    figures = dict(prof.focus_figures())
    assert figures["Of whom in Core20 LSOAs"] == f"{row['core20_target_population']:,.0f}"


def test_profile_picks_the_latest_saved_plan_of_the_area(prof, store):
    assert prof.plan_name == PLAN_NAME
    assert prof.plan["request"]["area_code"] == ICB
    assert len(prof.map_makers()) == 4  # IMD deciles, coastal (Cornwall is coastal), focus, the plan
    none = profile.build_profile("2025", "icb", "E54000008", plan="latest", store=store)
    assert none.plan is None and len(none.map_makers()) == 2


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.imgs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_escaped_and_shows_the_figures(html, prof):
    parser = _Collect()
    parser.feed(html)
    text = " ".join(parser.text)
    assert prof.area_name in text
    assert f"{prof.summary['population']:,}" in text and f"{prof.summary['core20_lsoas']:,}" in text
    assert "Methods and sources" in text and "Open Government Licence" in text
    # the plan's name is shown as text, never as markup
    assert PLAN_NAME in text and "b" not in parser.tags
    assert "&lt;b&gt;Pharmacies &amp; Core20&lt;/b&gt;" in html
    # every image inlined (no network, no local files): 4 maps (PNG); decile, focus, coverage charts (SVG)
    assert all(src.startswith("data:image/") for src in parser.imgs)
    kinds = [re.match(r"data:(image/[a-z+]+);", s).group(1) for s in parser.imgs]
    assert kinds.count("image/png") == 4 and kinds.count("image/svg+xml") == 3
    first = Image.open(io.BytesIO(base64.b64decode(parser.imgs[0].split(",", 1)[1])))
    assert first.size[0] > 2000


def test_pdf_pages_and_text(pdf, prof):
    # title + figures, 4 maps, decile profile, focus, plan, methods and sources
    assert len(pdf.pages) == 9
    first = pdf.pages[0].extract_text()
    assert "Cornwall" in first and "Core20PLUS5 area profile" in first
    assert f"{prof.summary['population']:,}" in first
    assert f"{prof.summary['core20_population']:,}" in first
    assert "South West" in first  # the parent NHS region in the comparison
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Hypertension case-finding" in text
    assert "Open Government Licence" in text and "Royal Mail" in text


def test_deck_slides_pictures_and_real_text(deck, prof):
    slides = list(deck.slides)
    # title, key figures, 3 maps, decile profile, focus; the plan: map, figures and equity, sites,
    # curve; methods, sources (issue 18: the plan has its own slides; Cornwall is one local authority,
    # so no "where Core20 residents live" slide)
    assert len(slides) == 13
    assert _named(slides[0], "Title").text_frame.text == prof.title

    def texts(slide) -> str:
        out = []
        for sh in _all_shapes(slide.shapes):
            if sh.has_text_frame:
                out.append(sh.text_frame.text)
            if sh.has_table:
                out.extend(c.text for r in sh.table.rows for c in r.cells)
        return "\n".join(out)

    figures = texts(slides[1])
    assert f"{prof.summary['population']:,}" in figures and f"{prof.summary['core20_lsoas']:,}" in figures
    map_slides = [*slides[2:5], slides[7]]
    for s in map_slides:
        pics = [sh for sh in s.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pics) == 1
        swatches = [sh for sh in _all_shapes(s.shapes) if sh.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE]
        assert len(swatches) >= 2  # legend swatches are shapes, not pixels
    first_map = texts(map_slides[0])
    # counts as the print legend has them (issue 18: "11 LSOAs", not "(11)")
    assert "IMD decile" in first_map and "1 (most deprived 10%): 11 LSOAs" in first_map
    assert f"{prof.summary['core20_lsoas']:,}\nCore20 LSOAs" in first_map  # a key number over its label
    assert "Coastal: 237 LSOAs" in texts(map_slides[1])
    assert "quintiles" in map_slides[2].notes_slide.notes_text_frame.text
    assert "Chosen outreach site (3)" in texts(map_slides[3])
    focus_slide = slides[6]
    assert "Hypertension" in _named(focus_slide, "Title").text_frame.text
    # the focus comparison is a native chart now (issue 18), no picture
    assert sum(sh.has_chart for sh in focus_slide.shapes) == 1
    assert not any(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in focus_slide.shapes)
    assert "Open Government Licence" in texts(slides[-1])


def _all_shapes(shapes):
    """Every shape, those inside groups too (the legend is one group)."""
    for sh in shapes:
        yield sh
        if sh.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _all_shapes(sh.shapes)


def _named(slide, name: str):
    return next(sh for sh in slide.shapes if sh.name == name)


def test_report_cli_writes_and_refuses_bad_input(tmp_path, atlas2025, capsys):
    out = tmp_path / "eng.html"
    assert cli.main(["report", "--vintage", "2025", "--level", "england", "--format", "html", "--no-plan",
                     "--out", str(out)]) == 0
    assert "England: Core20PLUS5 area profile" in out.read_text(encoding="utf-8")
    assert cli.main(["report", "--level", "icb", "--area", "E54999999", "--format", "pdf",
                     "--out", str(tmp_path / "x.pdf")]) == 2
    assert "valid ICB codes include" in capsys.readouterr().err
    assert cli.main(["report", "--level", "icb", "--area", ICB, "--format", "pdf", "--focus", "gout",
                     "--out", str(tmp_path / "x.pdf")]) == 2
    assert "hypertension" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["report", "--level", "icb", "--area", ICB, "--format", "docx", "--out", "x.docx"])
    assert "'html', 'pdf', 'pptx'" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()
    with pytest.raises(ExportError, match="html, pdf, pptx"):
        report.report_bytes(None, "docx")


# --- issue 18: stage-ready deck and board-ready profile -----------------------------------------

def _runs(shape):
    """(text, size in pt or None) of every text run of a shape: text boxes and table cells."""
    frames = []
    if shape.has_text_frame:
        frames.append(shape.text_frame)
    if getattr(shape, "has_table", False) and shape.has_table:
        frames += [c.text_frame for r in shape.table.rows for c in r.cells]
    for tf in frames:
        for p in tf.paragraphs:
            for r in p.runs:
                if r.text.strip():
                    yield r.text, (r.font.size.pt if r.font.size is not None else None)


def test_deck_every_shape_lies_inside_its_slide_with_a_size(deck):
    w, h = deck.slide_width, deck.slide_height
    assert w * 9 == h * 16  # 16:9
    for i, slide in enumerate(deck.slides, 1):
        for sh in _all_shapes(slide.shapes):
            where = f"slide {i}, {sh.name}"
            assert sh.width > 0 and sh.height > 0, where
            assert sh.left >= 0 and sh.top >= 0, where
            assert sh.left + sh.width <= w and sh.top + sh.height <= h, where


def test_deck_every_slide_has_a_source_line_and_its_number(deck, prof):
    notice = prof.notices()[0]
    for i, slide in enumerate(deck.slides, 1):
        assert _named(slide, "Source line").text_frame.text == deck_module.SOURCE_LINE
        assert "© Crown copyright" in deck_module.SOURCE_LINE
        assert _named(slide, "Slide number").text_frame.text == str(i)
        assert notice in slide.notes_slide.notes_text_frame.text  # the full notices in the notes
    last = list(deck.slides)[-1]
    assert _named(last, "Title").text_frame.text == "Sources and notices"
    assert all(n in _named(last, "Notices").text_frame.text for n in prof.notices())


def test_deck_no_text_under_14_pt_and_key_numbers_at_18_or_more(deck):
    seen = 0
    for i, slide in enumerate(deck.slides, 1):
        for sh in _all_shapes(slide.shapes):
            for text, size in _runs(sh):
                seen += 1
                assert size is not None and size >= 14, (i, sh.name, text, size)
                if sh.name == "Key number":
                    assert size >= 18, (i, text, size)
            if getattr(sh, "has_chart", False) and sh.has_chart:
                assert sh.chart.font.size.pt >= 14, (i, sh.name)
    assert seen > 100


def test_deck_has_native_charts_and_tables_that_read_well(deck, prof):
    slides = list(deck.slides)
    charts = [sh.name for s in slides for sh in s.shapes if sh.has_chart]
    assert {"Decile profile chart", "Focus chart", "Coverage curve chart", "Equity chart"} <= set(charts)
    decile = next(sh.chart for sh in slides[5].shapes if sh.has_chart)
    values = list(decile.plots[0].series[0].values)
    assert values == pytest.approx(prof.decile["population_share"].tolist())
    table = _named(slides[1], "Comparison").table
    assert table.first_row and not table.horz_banding
    for r in range(1, len(table.rows)):
        # numbers right-aligned; data rows never styled as a header (not bold)
        assert table.cell(r, 1).text_frame.paragraphs[0].alignment == PP_ALIGN.RIGHT
        assert not any(run.font.bold for c in table.rows[r].cells for run in c.text_frame.paragraphs[0].runs)
    assert table.cell(1, 0).text_frame.paragraphs[0].alignment == PP_ALIGN.LEFT
    assert "Integrated Care Board" not in table.cell(1, 0).text  # the short name, not six lines


def test_deck_legends_are_groups_and_focus_slides_show_focus_figures(deck, prof):
    slides = list(deck.slides)
    for s in [*slides[2:5], slides[7]]:
        legend = _named(s, "Legend")
        assert legend.shape_type == MSO_SHAPE_TYPE.GROUP
        swatches = [sh for sh in legend.shapes if sh.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE]
        assert len(swatches) >= 2 and all(sh.shadow.inherit is False for sh in swatches)
    focus_map = slides[4]
    numbers = [sh.text_frame.text for sh in focus_map.shapes if sh.name == "Key number"]
    focus = dict(prof.focus_figures())
    assert numbers[0] == focus["Expected hypertension diagnosed"]
    assert f"{prof.summary['core20_lsoas']:,}" not in numbers  # not the IMD key numbers


def test_deck_plan_slides_map_sites_equity_curve(deck, prof):
    titles = [_named(s, "Title").text_frame.text for s in deck.slides if s.shapes]
    assert any(t.startswith(f"The saved plan \u201c{PLAN_NAME}\u201d reaches") for t in titles)
    sites = next(s for s in deck.slides if any(sh.name == "Plan sites" for sh in s.shapes))
    table = _named(sites, "Plan sites").table
    chosen = prof.plan["siting"]["chosen"]
    assert len(table.rows) == 1 + len(chosen)
    assert [table.cell(i + 1, 1).text for i in range(len(chosen))] == [c["name"] for c in chosen]
    assert table.cell(1, 2).text == siting.site_where(chosen[0])  # address, town, postcode as the app
    assert table.cell(1, 2).text.endswith(chosen[0]["postcode"])
    figures = " ".join(c.text for s in deck.slides for sh in s.shapes if sh.name == "Plan figures"
                       for r in sh.table.rows for c in r.cells)
    for label in ("Mean cost to nearest site", "90th percentile cost", "Maximum cost", "Unreachable share",
                  "Target residents reached", "Reached who live in Core20"):
        assert label in figures


def test_deck_plan_sites_continue_twelve_a_slide(prof):
    plan = copy.deepcopy(prof.plan)
    one = plan["siting"]["chosen"][0]
    plan["siting"]["chosen"] = [{**one, "rank": i + 1, "name": f"Site {i + 1}"} for i in range(27)]
    d = deck_module._Deck(prof.notices())
    deck_module._plan_slides(d, dataclasses.replace(prof, plan=plan), None)
    tables = [sh.table for s in d.prs.slides for sh in s.shapes if sh.name == "Plan sites"]
    assert [len(t.rows) - 1 for t in tables] == [12, 12, 3]
    titles = [_named(s, "Title").text_frame.text for s in d.prs.slides]
    assert any("(3 of 3)" in t for t in titles)


def test_slide_pictures_are_drawn_for_their_placed_size():
    from matplotlib.figure import Figure
    from matplotlib_scalebar.scalebar import ScaleBar

    fig = Figure(figsize=(8.4, 6.4))
    ax = fig.add_subplot()
    ax.set_axis_off()  # as every map and locator axes
    ax.set_aspect("equal")
    ax.set_title("Location in England", fontsize=7.5)
    ax.text(0.5, 0.5, "label", fontsize=6)
    ax.add_artist(ScaleBar(1, "m", font_properties={"size": 8}))
    png = deck_module.slide_picture(fig, 7.0, 5.33)
    assert tuple(round(v, 2) for v in fig.get_size_inches()) == (7.0, 5.33)
    drawn = [t for t in fig.findobj(matplotlib.text.Text)  # not the ticks of the hidden axis
             if t.get_text().strip() and not re.fullmatch(r"[\d.]+", t.get_text())]
    assert {t.get_text() for t in drawn} == {"Location in England", "label"}
    assert all(t.get_fontsize() >= 14 for t in drawn)
    assert fig.findobj(ScaleBar)[0].font_properties.get_size_in_points() >= 14
    assert Image.open(io.BytesIO(png)).size == (1400, 1066)


def test_pdf_has_page_numbers_header_and_the_focus_chart(pdf, prof):
    n = len(pdf.pages)
    for i, page in enumerate(pdf.pages, 1):
        assert f"Page {i} of {n}" in page.extract_text()
    focus_page = next(p for p in pdf.pages if "Diagnosed, Core20 neighbourhoods" in p.extract_text())
    assert len(focus_page.images) >= 1  # the focus chart beside its figures
    first = pdf.pages[0].extract_text().replace("\n", " ")
    assert prof.headline() in first
    methods = pdf.pages[-1].extract_text().replace("\n", " ")
    assert "GP-practice apportioning" in methods and "Health Survey for England 2022" in methods


def test_html_has_a_print_stylesheet_and_message_titles(html, prof):
    assert "@media print" in html and "break-after:avoid" in html and "counter(page)" in html
    assert f'<p class="lead">{prof.headline()}</p>' in html
    assert html.count("Source: Office for National Statistics") == 1  # one line per licence holder


# --- issue 18 review: what a look at every slide found (LibreOffice render, /tmp/review18) --------------

_FONTS = "/usr/share/fonts/truetype/liberation/LiberationSans-{}.ttf"  # Arial metrics (fonts-liberation)


def _lines_needed(text: str, size: float, bold: bool, width_pt: float) -> int:
    """Lines ``text`` takes when wrapped word by word at ``size`` pt in ``width_pt`` (Arial metrics)."""
    from PIL import ImageFont

    try:
        font = ImageFont.truetype(_FONTS.format("Bold" if bold else "Regular"), int(size * 10))
    except OSError:
        pytest.skip("Liberation Sans (Arial's metrics) is not installed")
    n = 0
    for para in text.split("\n"):
        n, line = n + 1, ""
        for word in para.split():
            wider = f"{line} {word}".strip()
            if line and font.getlength(wider) / 10 > width_pt:
                n, line = n + 1, word
            else:
                line = wider
    return n


def _assert_text_fits(slides) -> int:
    """Every text box has room for the lines its text wraps to, and nothing but the footer reaches into
    the footer band; returns the number of text boxes checked."""
    foot = deck_module._FOOT
    checked = 0
    for i, slide in enumerate(slides, 1):
        for sh in _all_shapes(slide.shapes):
            if sh.shape_type != MSO_SHAPE_TYPE.GROUP and sh.name not in ("Source line", "Slide number"):
                assert sh.top + sh.height <= foot, (i, sh.name)
            if not sh.has_text_frame or not sh.text_frame.text.strip():
                continue
            tf = sh.text_frame
            runs = [r for p in tf.paragraphs for r in p.runs if r.text.strip()]
            size = max(r.font.size.pt for r in runs)
            width_pt = (sh.width - tf.margin_left - tf.margin_right) / 12700
            need = _lines_needed(tf.text, size, bool(runs[0].font.bold), width_pt) * size * 1.2
            room = (sh.height - tf.margin_top - tf.margin_bottom) / 12700 + 0.6 * size  # half a line
            assert need <= room, (i, sh.name, tf.text[:60], round(need), round(room))
            checked += 1
    return checked


def test_deck_text_fits_its_boxes_above_the_footer(deck, prof):
    """No text box holds more lines than it has room for, and nothing but the footer reaches into the
    footer band. Devon's saved plan (a 400-character equity note) ran six lines into the source line."""
    assert _assert_text_fits(deck.slides) > 100
    plan = copy.deepcopy(prof.plan)
    label = plan["equity"].get("label") or "The plan reaches Core20 residents better than the rest."
    plan["equity"]["label"] = " ".join([label] * 8)[:400]
    d = deck_module._Deck(prof.notices())
    deck_module._plan_slides(d, dataclasses.replace(prof, plan=plan), None)
    assert any(sh.name == "Equity note" for s in d.prs.slides for sh in s.shapes)
    _assert_text_fits(d.prs.slides)


def test_deck_map_legends_read_as_the_print_legends(deck, prof):
    """The slide legend counts classes as the print does ('2: 25 LSOAs', not '2 (25)'), draws the area
    boundary in the print map's black (not the app's red the map no longer uses) and keys the reach."""
    from pptx.dml.color import RGBColor

    from geo_core20.exports import cartography
    from geo_core20.maps import palette

    slides = list(deck.slides)
    maps = [s for s in slides if any(sh.name == "Map" for sh in s.shapes)]
    assert len(maps) >= 4  # IMD, coastal, focus, plan
    for s in maps:
        legend = _named(s, "Legend")
        texts = [sh.text_frame.text for sh in legend.shapes if sh.has_text_frame]
        classes = [t for t in texts if re.search(r"\d+ LSOAs?$", t)]
        assert len(classes) >= 2, texts
        assert not [t for t in texts if re.fullmatch(r".*\(\d[\d,]*\)", t) and "site" not in t], texts
        bars = [sh for sh in legend.shapes if sh.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE
                and sh.height < Inches(0.1) and sh.width > Inches(0.2)]
        assert bars and all(b.fill.fore_color.rgb == RGBColor.from_string(palette.PRINT_AREA_LINE[1:])
                            for b in bars)
    imd = maps[0]
    first = prof.view_data().legend.entries[0]
    assert cartography.count_label(first.label, first.count) in [
        sh.text_frame.text for sh in _named(imd, "Legend").shapes if sh.has_text_frame]
    plan = maps[-1]
    assert cartography.REACH_LABEL in [sh.text_frame.text for sh in _named(plan, "Legend").shapes
                                       if sh.has_text_frame]


def test_deck_focus_map_has_the_caveat_beside_it_not_a_panel_cut_off_on_it(deck, prof):
    """At 14 pt the print's figures panel ran off the left of the slide picture ('sed as % of expected');
    the slide draws the map without it and states the caveat beside the map, its figures in the column."""
    from geo_core20.clinical import hypertension

    focus = next(s for s in deck.slides if any(sh.name == "Caveat" for sh in s.shapes))
    assert _named(focus, "Caveat").text_frame.text == hypertension.CAVEAT
    assert _named(focus, "Caveat").top >= _named(focus, "Map").top + _named(focus, "Map").height
    slide_map = prof.map_makers()[2](False)
    texts = [t.get_text() for ax in slide_map.figure.axes for t in ax.texts]
    assert not [t for t in texts if "ambition" in t or "Health Survey" in t]
    assert slide_map.caveat == hypertension.CAVEAT
    printed = prof.map_makers()[2](True)  # the A4 print keeps its panel with the caveat
    printed_texts = [*printed.figure.texts, *(t for ax in printed.figure.axes for t in ax.texts)]
    assert any(hypertension.CAVEAT.split(";")[0] in t.get_text().replace("\n", " ") for t in printed_texts)


def test_pdf_portrait_map_on_a_portrait_page_and_where_beside_the_key_figures(tmp_path, atlas2025):
    """Nottingham and Nottinghamshire (a tall ICB, seven local authorities): its A4 portrait print filled a
    third of a landscape page, and the "where Core20 residents live" table split over two pages, the
    second holding three rows. Now the map page is portrait and the table sits on the first page."""
    prof = profile.build_profile("2025", "icb", "E54000060", plan=None)
    pdf = pypdf.PdfReader(io.BytesIO(report.report_bytes(prof, "pdf")))
    first = pdf.pages[0].extract_text()
    assert "Where Core20 residents live" in first
    assert all(name in first for name in prof.where_table().iloc[:, 0])  # every row on page 1
    map_page = pdf.pages[1]
    assert "IMD decile" in map_page.extract_text() or map_page.images
    box = map_page.mediabox
    assert float(box.height) > float(box.width)  # portrait, as the print
    assert float(pdf.pages[0].mediabox.width) > float(pdf.pages[0].mediabox.height)
    assert all(f"Page {i} of {len(pdf.pages)}" in p.extract_text() for i, p in enumerate(pdf.pages, 1))


def test_deck_legend_says_outlined_where_the_map_outlines_core20():
    """The England print outlines Core20 (too many LSOAs to hatch) and says so; its slide legend said
    'hatched' over a hatched swatch. The slide legend follows the map."""
    from geo_core20 import schema
    from geo_core20.exports import cartography
    from geo_core20.maps import palette, styles

    classes = styles.classes_for(schema.IMD_DECILE)
    for n, label in ((cartography.HATCH_MAX_LSOAS + 1, cartography.CORE20_NATIONAL_LABEL),
                     (500, cartography.CORE20_LABEL)):
        legend = classes.legend(pd.Series([1, 5, 10] * (n // 3 + 1))[:n], core20_outline=True)
        d = deck_module._Deck(["notice"])
        slide = d.slide("x")
        deck_module._legend(slide, legend, Inches(7), Inches(2), Inches(5), core20=True, area_name="",
                            points=())
        texts = [sh.text_frame.text for sh in _named(slide, "Legend").shapes if sh.has_text_frame]
        assert label in texts
        # the national swatch is the map's magenta line; the hatched one is not
        fills = {str(sh.fill.fore_color.rgb).lower() for sh in _named(slide, "Legend").shapes
                 if not sh.has_text_frame or not sh.text_frame.text
                 if sh.fill.type == 1}  # MSO_FILL.SOLID
        national = palette.CORE20_NATIONAL_LINE.lstrip("#") in fills
        assert national == (label == cartography.CORE20_NATIONAL_LABEL)


def test_deck_equity_chart_labels_short_bars_above_them(prof):
    """Devon's plan: 9.7% and 11.3% printed white inside bars a tenth of the axis tall, cut in half."""
    from pptx.enum.chart import XL_LABEL_POSITION

    plan = copy.deepcopy(prof.plan)
    plan["equity"].update(target_core20_share=0.097, covered_core20_share=0.62)
    d = deck_module._Deck(prof.notices())
    deck_module._plan_slides(d, dataclasses.replace(prof, plan=plan), None)
    chart = next(sh.chart for s in d.prs.slides for sh in s.shapes if sh.name == "Equity chart")
    series = chart.plots[0].series[0]
    assert series.points[0].data_label.position == XL_LABEL_POSITION.OUTSIDE_END
    assert str(series.points[0].data_label.font.color.rgb) != "FFFFFF"
    assert chart.plots[0].data_labels.position == XL_LABEL_POSITION.INSIDE_END  # a tall bar keeps it inside


def test_hypertension_files_show_the_focus_commands_recorded_to_expected(prof, deck, pdf, html, tmp_path):
    """Must show (issue 18): the diagnosed / expected percentage in the deck, the PDF and the HTML equals
    the `focus` command's recorded_to_expected (area and Core20 part), read back from the files."""
    row = _cli_csv(tmp_path, "focus", "--focus", "hypertension").set_index("area_code").loc[ICB]
    whole, core = f"{row['recorded_to_expected']:.1%}", f"{row['core20_recorded_to_expected']:.1%}"
    focus_map = next(s for s in deck.slides if any(sh.name == "Caveat" for sh in s.shapes))
    numbers = [sh.text_frame.text for sh in focus_map.shapes if sh.name == "Key number"]
    assert numbers[:2] == [whole, core]
    text = " ".join(p.extract_text() for p in pdf.pages).replace("\n", " ")
    assert re.search(rf"Expected hypertension diagnosed\s+{re.escape(whole)}", text)
    assert re.search(rf"Diagnosed, Core20 neighbourhoods\s+{re.escape(core)}", text)
    assert f"{whole} of expected hypertension is diagnosed ({core} in Core20" in html


def test_cancer_files_show_smoking_and_distance_to_a_diagnostic_centre(store, tmp_path):
    """Issue 18 item 3: the cancer focus shows the 55-74s with smoking prevalence and the distance to a
    diagnostic centre (area and Core20 part) in the deck, the PDF and the HTML, equal to the `focus`
    command's figures, and never a literal "None"."""
    row = _cli_csv(tmp_path, "focus", "--focus", "cancer").set_index("area_code").loc[ICB]
    want = {"Smoking prevalence": f"{row['smoking_prevalence']:.1%}",
            "Smoking prevalence in Core20 LSOAs": f"{row['core20_smoking_prevalence']:.1%}",
            "Mean distance to a diagnostic centre": f"{row['mean_km_to_cdc']:.1f} km",
            "Mean distance to a diagnostic centre, Core20": f"{row['core20_mean_km_to_cdc']:.1f} km"}
    cancer = profile.build_profile("2025", "icb", ICB, focus="cancer", plan=None, store=store)
    slides = Presentation(io.BytesIO(report.report_bytes(cancer, "pptx"))).slides
    cells = {}
    for slide in slides:
        for sh in slide.shapes:
            if sh.has_table:
                for r in sh.table.rows:
                    texts = [c.text for c in r.cells]
                    cells[texts[0]] = texts[len(texts) - 1]
    for label, value in want.items():
        assert cells.get(label) == value, (label, cells.get(label))
    pdf_text = " ".join(p.extract_text() for p in pypdf.PdfReader(
        io.BytesIO(report.report_bytes(cancer, "pdf"))).pages).replace("\n", " ")
    html_text = report.report_bytes(cancer, "html").decode()
    for label, value in want.items():
        assert re.search(rf"{re.escape(label)}.{{0,60}}?{re.escape(value)}", pdf_text), label
        assert value in html_text, label
    assert "None" not in pdf_text and ">None<" not in html_text
