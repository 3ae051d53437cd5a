"""The area profile as an editable PowerPoint deck (python-pptx), 16:9, ready to present unchanged.

Every slide is laid out on the blank layout (no template placeholders left at zero size): a title
that states the message, the content, and a footer with a short source / copyright line and the
slide number (the full notices are on the last slide and in every slide's notes). Slide text is
14 pt or more (key numbers 18 pt or more); map pictures are drawn for their placed size, so their
own text (scale bar, locator, labels) is 14 pt or more on the slide too. Charts are native
PowerPoint charts (decile profile, focus comparison, coverage curve, plan equity), tables have
numbers right-aligned and one header row, and each map's legend is one group of shapes.

Slides: title; key figures (the headline as title); where Core20 residents live (more than one
local authority); one per map; decile profile; clinical focus; the saved plan (figures and equity,
sites 12 a slide, coverage curve); methods; sources.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence

import matplotlib.text
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib_scalebar.scalebar import ScaleBar
from pptx import Presentation
from pptx.chart.data import CategoryChartData, XyChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from geo_core20 import clinical
from geo_core20.exports import cartography, formats, headline
from geo_core20.exports.print_maps import MapFigure
from geo_core20.exports.profile import AreaProfile, comparison_table, focus_measure
from geo_core20.maps import classify, palette
from geo_core20.maps import palette as nhs

SLIDE_W, SLIDE_H = Emu(12_192_000), Emu(6_858_000)  # 13.333 x 7.5 in: PowerPoint's 16:9
_BLANK = 6  # layout index of "Blank" in python-pptx's default template
MIN_PT = 14.0  # no slide text smaller (also text inside pictures, at placed size)
KEY_PT = 20.0  # key numbers
TITLE_PT = 26.0
SOURCE_LINE = "Sources: ONS, MHCLG, NHS England. © Crown copyright 2025; full notices on the last slide"
SITES_PER_SLIDE = 12
_MARGIN = Inches(0.45)
_TOP = Inches(1.45)  # content starts below the title
_FOOT = Inches(6.95)  # footer band starts here
_MAP_DPI = 200
_FONT = "Arial"  # NHS identity: Frutiger, else Arial


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#")[:6].upper())


def _style_run(font, size: float, colour: str = nhs.NHS_TEXT, bold: bool = False) -> None:
    font.size = Pt(max(size, MIN_PT))
    font.name = _FONT
    font.bold = bold
    font.color.rgb = _rgb(colour)


def _text(slide, left, top, width, height, lines: Sequence[str], size: float = 16, *,
          bold_first: bool = False, colour: str = nhs.NHS_TEXT, align=PP_ALIGN.LEFT, name: str | None = None,
          anchor=MSO_ANCHOR.TOP, shapes=None):
    box = (shapes or slide.shapes).add_textbox(left, top, width, height)
    if name:
        box.name = name
    tf = box.text_frame
    tf.word_wrap = True
    tf.vertical_anchor = anchor
    tf.margin_left = tf.margin_right = Inches(0.05)
    for i, line in enumerate(lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.alignment = align
        run = p.add_run()
        run.text = line
        _style_run(run.font, size, colour, bold_first and i == 0)
    return box


class _Deck:
    """A presentation being built: numbers every slide and adds its footer and notes."""

    def __init__(self, notices: Sequence[str]):
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = SLIDE_W, SLIDE_H
        self.notices = list(notices)

    def slide(self, title: str, *, notes: Sequence[str] = ()):
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[_BLANK])
        if title:
            size = TITLE_PT if len(title) <= 80 else 22.0 if len(title) <= 120 else 20.0
            _text(slide, _MARGIN, Inches(0.3), SLIDE_W - 2 * _MARGIN, Inches(1.05), [title], size,
                  bold_first=True, colour=nhs.NHS_DARK_BLUE, name="Title", anchor=MSO_ANCHOR.MIDDLE)
            bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, _MARGIN, Inches(1.33), Inches(1.2),
                                         Inches(0.06))
            bar.name = "Title rule"
            _fill(bar, nhs.NHS_BLUE)
        self._footer(slide)
        slide.notes_slide.notes_text_frame.text = "\n".join([*notes, "Sources and notices:", *self.notices])
        return slide

    def _footer(self, slide, colour: str = nhs.NHS_TEXT_SECONDARY) -> None:
        n = len(self.prs.slides)
        _text(slide, _MARGIN, _FOOT, SLIDE_W - 2 * _MARGIN - Inches(0.9), Inches(0.45), [SOURCE_LINE], MIN_PT,
              colour=colour, name="Source line", anchor=MSO_ANCHOR.MIDDLE)
        _text(slide, SLIDE_W - _MARGIN - Inches(0.8), _FOOT, Inches(0.8), Inches(0.45), [str(n)], MIN_PT,
              colour=colour, align=PP_ALIGN.RIGHT, name="Slide number", anchor=MSO_ANCHOR.MIDDLE)

    def bytes(self) -> bytes:
        buf = io.BytesIO()
        self.prs.save(buf)
        return buf.getvalue()


def _fill(shape, colour: str, line: str | None = None, line_pt: float = 0.75) -> None:
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(colour)
    shape.shadow.inherit = False  # no theme shadow
    if line is None:
        shape.line.fill.background()
    else:
        shape.line.color.rgb = _rgb(line)
        shape.line.width = Pt(line_pt)


# --- tables -------------------------------------------------------------------------------------

def _table(slide, frame: pd.DataFrame, left, top, width, *, widths: Sequence[float] | None = None,
           size: float = 16, header: bool = True, name: str = "Table", bold_col: int | None = None,
           right: Sequence[int] = ()):
    """A table that reads well: one header row (only), numbers right-aligned, text left."""
    rows = len(frame) + (1 if header else 0)
    row_h = Inches(0.1 + size / 72 * 1.25)
    shape = slide.shapes.add_table(rows, len(frame.columns), left, top, width, row_h * rows)
    shape.name = name
    table = shape.table
    table.first_row = header
    table.horz_banding = False
    weights = widths or [1.0] * len(frame.columns)
    for j, w in enumerate(weights):
        table.columns[j].width = int(width * w / sum(weights))
    numeric = [_is_numeric(frame.iloc[:, j]) for j in range(len(frame.columns))]
    cells = []
    if header:
        cells.append([str(c) for c in frame.columns])
    cells += [[str(v) for v in row] for row in frame.itertuples(index=False)]
    for i, row in enumerate(cells):
        table.rows[i].height = row_h
        for j, text in enumerate(row):
            cell = table.cell(i, j)
            cell.text = text
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.margin_left = cell.margin_right = Inches(0.08)
            head = header and i == 0
            cell.fill.solid()
            band = nhs.WHITE if i % 2 else nhs.NHS_PALE_GREY
            cell.fill.fore_color.rgb = _rgb(nhs.NHS_BLUE if head else band)
            p = cell.text_frame.paragraphs[0]
            p.alignment = PP_ALIGN.RIGHT if (numeric[j] or j in right) and (j > 0 or not head) \
                else PP_ALIGN.LEFT
            for run in p.runs:
                _style_run(run.font, size, nhs.WHITE if head else nhs.NHS_TEXT, head or (bold_col == j))
    return shape


def _is_numeric(col: pd.Series) -> bool:
    s = col.astype(str).str.replace(r"[,%\s]|km|min", "", regex=True).str.replace(r"^[-+]", "", regex=True)
    return bool(len(s)) and bool(s.str.fullmatch(r"\d+(\.\d+)?").all())


def _pairs(slide, pairs: Sequence[tuple[str, str]], left, top, width, size: float = 16, name: str = "Figures",
           widths: Sequence[float] = (2.4, 1.0)):
    frame = pd.DataFrame(list(pairs), columns=["Figure", "Value"])
    return _table(slide, frame, left, top, width, widths=widths, size=size, header=False, name=name,
                  bold_col=1, right=(1,))


# --- native charts ------------------------------------------------------------------------------

def _chart_style(chart, *, legend: bool, percent: bool, size: float = MIN_PT) -> None:
    chart.font.size = Pt(size)
    chart.font.name = _FONT
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(size)
    va = chart.value_axis
    va.has_major_gridlines = True
    va.major_gridlines.format.line.color.rgb = _rgb(nhs.NHS_PALE_GREY)
    va.tick_labels.font.size = Pt(size)
    if percent:
        va.tick_labels.number_format = "0%"
        va.tick_labels.number_format_is_linked = False
    chart.category_axis.tick_labels.font.size = Pt(size)


def decile_chart(slide, prof: AreaProfile, left, top, width, height):
    """The decile profile as a native column chart (this area in the map's colours, England grey)."""
    d = prof.decile
    data = CategoryChartData(number_format="0.0%")
    data.categories = [str(int(x)) for x in d["imd_decile"]]
    data.add_series("This area", [float(v) for v in d["population_share"]])
    if prof.level != "england":
        data.add_series("England", [float(v) for v in d["england_share"]])
    gf = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, left, top, width, height, data)
    gf.name = "Decile profile chart"
    chart = gf.chart
    _chart_style(chart, legend=prof.level != "england", percent=True)
    plot = chart.plots[0]
    plot.gap_width = 40
    area = plot.series[0]
    area.format.fill.solid()
    area.format.fill.fore_color.rgb = _rgb(palette.DECILE_COLOURS[3])
    for i, colour in enumerate(palette.DECILE_COLOURS[: len(d)]):
        pt = area.points[i]
        pt.format.fill.solid()
        pt.format.fill.fore_color.rgb = _rgb(colour)
    if len(plot.series) > 1:
        eng = plot.series[1]
        eng.format.fill.solid()
        eng.format.fill.fore_color.rgb = _rgb(nhs.NHS_MID_GREY)
    chart.category_axis.has_title = True
    chart.category_axis.axis_title.text_frame.text = "National IMD decile (1 = most deprived; 1-2 = Core20)"
    _style_run(chart.category_axis.axis_title.text_frame.paragraphs[0].runs[0].font, MIN_PT)
    return gf


def focus_chart(slide, prof: AreaProfile, left, top, width, height):
    """The focus measure for the area, its parent and England, whole and Core20 part (native bars)."""
    measure, label = focus_measure(prof)
    f = prof.focus_compare
    wide = f.pivot_table(index=["scope", "area_name"], columns="part", values=measure, sort=False)
    pct = measure == "recorded_to_expected"
    data = CategoryChartData(number_format="0.0%" if pct else "#,##0.0")
    data.categories = [_short(str(n)) for _, n in wide.index]
    for part, name in (("whole", "Whole area"), ("core20", "Core20 part")):
        if part in wide.columns:
            data.add_series(name, [None if pd.isna(v) else float(v) for v in wide[part]])
    gf = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, left, top, width, height, data)
    gf.name = "Focus chart"
    chart = gf.chart
    _chart_style(chart, legend=True, percent=pct)
    chart.category_axis.reverse_order = True
    chart.has_title = True
    chart.chart_title.text_frame.text = label
    _style_run(chart.chart_title.text_frame.paragraphs[0].runs[0].font, MIN_PT, bold=True)
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.font.size = Pt(MIN_PT)
    plot.data_labels.number_format = "0.0%" if pct else "#,##0.0"
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.position = XL_LABEL_POSITION.OUTSIDE_END
    for s, colour in zip(plot.series, (nhs.NHS_BLUE, palette.DECILE_COLOURS[0]), strict=False):
        s.format.fill.solid()
        s.format.fill.fore_color.rgb = _rgb(colour)
    if pct:
        chart.value_axis.maximum_scale = 1.0
        chart.value_axis.minimum_scale = 0.0
    return gf


def curve_chart(slide, prof: AreaProfile, left, top, width, height):
    """The plan's coverage curve (share of target residents reached by number of new sites), native."""
    frame = pd.DataFrame(prof.plan.get("curve") or [])
    data = XyChartData()
    series = data.add_series("Share of target residents reached", number_format="0%")
    for k, share in zip(frame["k"], frame["covered_share"], strict=True):
        series.add_data_point(float(k), float(share or 0))
    gf = slide.shapes.add_chart(XL_CHART_TYPE.XY_SCATTER_LINES, left, top, width, height, data)
    gf.name = "Coverage curve chart"
    chart = gf.chart
    chart.font.size = Pt(MIN_PT)
    chart.font.name = _FONT
    chart.has_legend = False
    va, ca = chart.value_axis, chart.category_axis
    va.minimum_scale, va.maximum_scale = 0.0, 1.0
    va.tick_labels.number_format = "0%"
    va.tick_labels.number_format_is_linked = False
    va.has_major_gridlines = True
    va.major_gridlines.format.line.color.rgb = _rgb(nhs.NHS_PALE_GREY)
    ca.minimum_scale, ca.maximum_scale, ca.major_unit = 0.0, float(frame["k"].max()), 1.0
    for axis, title in ((va, "Share of target residents reached"), (ca, "New sites (k)")):
        axis.has_title = True
        axis.axis_title.text_frame.text = title
        _style_run(axis.axis_title.text_frame.paragraphs[0].runs[0].font, MIN_PT)
    s = chart.plots[0].series[0]
    s.format.line.color.rgb = _rgb(nhs.NHS_BLUE)
    s.format.line.width = Pt(3)
    s.smooth = False
    k = (prof.plan.get("request") or {}).get("k")
    if k is not None and (frame["k"] == k).any():
        i = int((frame["k"] == k).to_numpy().nonzero()[0][0])
        pt = s.points[i]
        pt.data_label.has_text_frame = True
        pt.data_label.text_frame.text = f"k = {k}: {float(frame['covered_share'].iloc[i]):.1%}"
        pt.data_label.position = XL_LABEL_POSITION.BELOW
        _style_run(pt.data_label.text_frame.paragraphs[0].runs[0].font, MIN_PT, bold=True)
    return gf


def equity_chart(slide, prof: AreaProfile, left, top, width, height):
    """Equity: the Core20 share of the people the plan reaches against the target's (native bars)."""
    eq = prof.plan.get("equity") or {}
    data = CategoryChartData(number_format="0.0%")
    data.categories = ["Target residents", "Residents reached"]
    data.add_series("Living in Core20 neighbourhoods",
                    [float(eq["target_core20_share"]), float(eq["covered_core20_share"])])
    gf = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, left, top, width, height, data)
    gf.name = "Equity chart"
    chart = gf.chart
    _chart_style(chart, legend=False, percent=True)
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = 0.0, 1.0
    chart.has_title = True
    chart.chart_title.text_frame.text = "Share living in Core20 neighbourhoods"
    _style_run(chart.chart_title.text_frame.paragraphs[0].runs[0].font, MIN_PT, bold=True)
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.has_data_labels = True
    plot.data_labels.font.size = Pt(KEY_PT)
    plot.data_labels.number_format = "0.0%"
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.position = XL_LABEL_POSITION.INSIDE_END
    plot.data_labels.font.color.rgb = _rgb(nhs.WHITE)
    s = plot.series[0]
    s.format.fill.solid()
    s.format.fill.fore_color.rgb = _rgb(nhs.NHS_BLUE)
    for i, share in enumerate((eq["target_core20_share"], eq["covered_core20_share"])):
        if float(share) < 0.25:  # a short bar: the figure above it, dark (inside it was cut in half)
            label = s.points[i].data_label
            label.position = XL_LABEL_POSITION.OUTSIDE_END
            label.font.size = Pt(KEY_PT)
            label.font.color.rgb = _rgb(nhs.NHS_TEXT)
    return gf


def _short(name: str) -> str:
    """A long area name shortened for a chart axis or table ('Integrated Care Board' -> 'ICB')."""
    return (name.replace(" Integrated Care Board (ICB)", " ICB").replace(" Integrated Care Board", " ICB")
            .replace("Commissioning Region", "region"))


# --- maps ---------------------------------------------------------------------------------------

def slide_picture(fig: Figure, width_in: float, height_in: float, min_pt: float = MIN_PT) -> bytes:
    """The map figure drawn for its placed size on the slide: resized to it (same aspect) with every
    text at least ``min_pt`` (titles, labels, locator, scale bar), as PNG."""
    fig.set_size_inches(width_in, height_in)
    for t in fig.findobj(matplotlib.text.Text):
        if t.get_text().strip() and t.get_fontsize() < min_pt:
            t.set_fontsize(min_pt)
    for bar in fig.findobj(ScaleBar):
        fp = bar.font_properties
        if not isinstance(fp, FontProperties):
            fp = FontProperties(**fp) if isinstance(fp, dict) else FontProperties(fp)
        bar.font_properties = {"family": fp.get_family(), "style": fp.get_style(), "weight": fp.get_weight(),
                               "size": max(fp.get_size_in_points(), min_pt)}
    # a text the larger size pushes off the picture (either side) is wrapped onto more lines instead
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig_w = fig.bbox.width
    for t in fig.findobj(matplotlib.text.Text):
        text = t.get_text()
        if not text.strip() or t.get_gid() in (cartography.PLACE_LABEL, cartography.SITE_LABEL):
            continue
        box = t.get_window_extent(renderer)
        if box.width <= 0 or (box.x0 >= -1 and box.x1 <= fig_w + 1):
            continue
        ha = t.get_horizontalalignment()  # the room the text has, from where it is anchored
        room = (box.x1 if ha == "right" else fig_w - box.x0 if ha == "left"
                else 2 * min(box.x0 + box.width / 2, fig_w - box.x0 - box.width / 2))
        room = max(min(room, fig_w) - 2, fig_w * 0.2)
        lines = text.split("\n")
        chars = max(6, int(max(map(len, lines)) * room / box.width) - 1)
        t.set_text("\n".join(w for line in lines
                             for w in (textwrap.wrap(line, chars, break_long_words=False) or [""])))
    cartography.declutter_labels(fig)  # names the larger size pushes out of the map or onto another
    return formats.figure_bytes(fig, "png", dpi=_MAP_DPI)


def _legend(slide, legend: classify.Legend, left, top, width, *, core20: bool, area_name: str,
            points: Sequence[cartography.PointLayer], reach: bool = False) -> Emu:
    """The legend as one group of shapes (swatches and text, no shadows); returns the y below it."""
    group = slide.shapes.add_group_shape()
    group.name = "Legend"
    shapes = group.shapes
    title_lines = max(1, math.ceil(len(legend.title) / max(1.0, 9.0 * width / Inches(1))))  # 16 pt bold
    _text(slide, left, top, width, Inches(0.32) * title_lines, [legend.title], 16, bold_first=True,
          shapes=shapes)
    y = top + Inches(0.32) * title_lines + Inches(0.12)
    sw = Inches(0.32)
    text_w = width - sw - Inches(0.12)
    per_line = max(1.0, 10.5 * text_w / Inches(1))  # 14 pt: ~10.5 characters per inch

    def entry(label: str, draw) -> None:
        nonlocal y
        lines = max(1, math.ceil(len(label) / per_line))
        draw(y + Inches(0.03))
        _text(slide, left + sw + Inches(0.12), y - Inches(0.02), text_w, Inches(0.27) * lines, [label],
              MIN_PT, shapes=shapes)
        y += Inches(0.27) * lines + Inches(0.02)

    def swatch(fill: str, line: str = nhs.NHS_MID_GREY, line_w: float = 0.5):
        def draw(at: Emu) -> None:
            shape = shapes.add_shape(MSO_SHAPE.RECTANGLE, left, at, sw, Inches(0.22))
            _fill(shape, fill, line, line_w)

        return draw

    for e in legend.entries:  # as the print legend: '1 (most deprived 10%): 82 LSOAs'
        entry(cartography.count_label(e.label, e.count, legend.count_what), swatch(e.colour))
    if core20:  # hatched, as on the map
        def hatched(at: Emu) -> None:
            from pptx.enum.dml import MSO_PATTERN

            shape = shapes.add_shape(MSO_SHAPE.RECTANGLE, left, at, sw, Inches(0.22))
            _fill(shape, nhs.WHITE, palette.CORE20_LINE, 1.75)
            shape.fill.patterned()
            shape.fill.pattern = MSO_PATTERN.WIDE_UPWARD_DIAGONAL
            shape.fill.fore_color.rgb = _rgb(palette.CORE20_LINE)
            shape.fill.back_color.rgb = _rgb(nhs.WHITE)

        def outlined(at: Emu) -> None:  # the national map's line: a magenta bar, as the boundary's
            bar = shapes.add_shape(MSO_SHAPE.RECTANGLE, left, at + Inches(0.09), sw, Inches(0.035))
            _fill(bar, palette.CORE20_NATIONAL_LINE)

        # as the map: hatched, or outlined where the view has too many LSOAs to hatch (England)
        if sum(e.count or 0 for e in legend.entries) <= cartography.HATCH_MAX_LSOAS:
            entry(cartography.CORE20_LABEL, hatched)
        else:
            entry(cartography.CORE20_NATIONAL_LABEL, outlined)
    if area_name:
        def line(at: Emu) -> None:  # a thin bar, not a zero-height connector
            bar = shapes.add_shape(MSO_SHAPE.RECTANGLE, left, at + Inches(0.08), sw, Inches(0.05))
            _fill(bar, nhs.PRINT_AREA_LINE)  # the print map's boundary colour, not the app's red

        entry(f"{_short(area_name)} boundary", line)
    if reach:
        def dashes(at: Emu) -> None:
            for i in range(3):
                bar = shapes.add_shape(MSO_SHAPE.RECTANGLE, left + i * Inches(0.12), at + Inches(0.09),
                                       Inches(0.08), Inches(0.04))
                _fill(bar, nhs.REACH_LINE)

        entry(cartography.REACH_LABEL, dashes)
    for layer in points:
        def dot(at: Emu, colour: str = layer.colour, marker: str = layer.marker) -> None:
            kind = MSO_SHAPE.RECTANGLE if marker == "s" else MSO_SHAPE.OVAL  # the map's marker
            shape = shapes.add_shape(kind, left + Inches(0.05), at, Inches(0.22), Inches(0.22))
            _fill(shape, nhs.WHITE, colour, 2)

        entry(f"{layer.legend_label} ({len(layer.points):,})", dot)
    return y


def _map_slide(d: _Deck, m: MapFigure, area_name: str, figures: Sequence[tuple[str, str]] = ()) -> None:
    """A map picture (drawn for the slide), its legend as a group, and key figures beside it."""
    slide = d.slide(m.title, notes=[m.subtitle, *m.notes])
    if m.subtitle:
        _text(slide, _MARGIN, _TOP, SLIDE_W - 2 * _MARGIN, Inches(0.6), [m.subtitle.replace("\n", " · ")],
              MIN_PT, colour=nhs.NHS_TEXT_SECONDARY, name="Subtitle")
    top = _TOP + Inches(0.65)
    w_in, h_in = m.figure.get_size_inches()
    bottom = _FOOT - Inches(0.05)
    if m.caveat:  # e.g. what the expected hypertension rates leave out: across the slide under the map
        note = _text_height(m.caveat, SLIDE_W - 2 * _MARGIN, MIN_PT)
        bottom -= note
        _text(slide, _MARGIN, bottom, SLIDE_W - 2 * _MARGIN, note, [m.caveat], MIN_PT,
              colour=nhs.NHS_TEXT_SECONDARY, name="Caveat")
    height = bottom - top - Inches(0.05)
    width = int(height * w_in / h_in)
    png = slide_picture(m.figure, width / Inches(1), height / Inches(1))
    pic = slide.shapes.add_picture(io.BytesIO(png), _MARGIN, top, width=width, height=height)
    pic.name = "Map"
    left = _MARGIN + width + Inches(0.25)
    col_w = SLIDE_W - left - _MARGIN
    y = _legend(slide, m.legend, left, top, col_w, core20=m.legend.core20_outline,
                area_name=area_name if m.legend.area_name else "", points=m.point_layers, reach=m.reach)
    # the focus or plan figures when given, else the view's key numbers, Core20 first; two a row, as
    # many rows as fit under the legend
    pairs = list(figures) or sorted(m.key_numbers.items(), key=lambda kv: "Core20" not in kv[0])
    _key_numbers(slide, pairs, left, y + Inches(0.05), col_w, bottom)


def _text_height(text: str, width, size: float = MIN_PT) -> Emu:
    """The height a text box of ``width`` needs for ``text`` at ``size`` pt (wrapped at about 10.5
    characters per inch at 14 pt, lines 1.2 times the size, plus the box's margins)."""
    per_line = max(1, int((width / Inches(1) - 0.1) * 10.5 * MIN_PT / size))
    lines = sum(max(1, len(textwrap.wrap(p, per_line))) for p in text.split("\n"))
    return Emu(int(Inches(1) * (lines * size * 1.2 / 72 + 0.1)))


def _key_numbers(slide, pairs: Sequence[tuple[str, str]], left, top, width, bottom) -> None:
    """Key numbers two a row, large (value 20 pt above its 14 pt label, the row as tall as its longest
    label needs), as many rows as fit above ``bottom``."""
    half = int(width / 2)
    per_line = max(1.0, 10.5 * (half - Inches(0.1)) / Inches(1))  # 14 pt: ~10.5 characters per inch
    y = top
    for i in range(0, len(pairs), 2):
        row = pairs[i:i + 2]
        lines = max(math.ceil(len(label) / per_line) for label, _ in row)
        height = Inches(0.34) + Inches(0.25) * lines + Inches(0.06)
        if y + height > bottom:
            return
        for j, (label, value) in enumerate(row):
            x = left + j * half
            _text(slide, x, y, half, Inches(0.36), [value], KEY_PT, bold_first=True, colour=nhs.NHS_DARK_BLUE,
                  name="Key number")
            _text(slide, x, y + Inches(0.32), half, Inches(0.25) * lines, [label], MIN_PT,
                  colour=nhs.NHS_TEXT_SECONDARY, name="Key number label")
        y += height


def _kpi_tiles(slide, pairs: Sequence[tuple[str, str]], top) -> None:
    n = len(pairs)
    gap = Inches(0.2)
    w = int((SLIDE_W - 2 * _MARGIN - gap * (n - 1)) / n)
    for i, (label, value) in enumerate(pairs):
        x = _MARGIN + i * (w + gap)
        tile = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, top, w, Inches(1.5))
        tile.name = "Key number tile"
        _fill(tile, nhs.NHS_PALE_GREY)
        _text(slide, x + Inches(0.1), top + Inches(0.1), w - Inches(0.2), Inches(0.7), [value], 32,
              bold_first=True, colour=nhs.NHS_DARK_BLUE, name="Key number")
        _text(slide, x + Inches(0.1), top + Inches(0.82), w - Inches(0.2), Inches(0.6), [label], 16,
              colour=nhs.NHS_TEXT)


# --- the deck -----------------------------------------------------------------------------------

def _title_slide(d: _Deck, prof: AreaProfile) -> None:
    slide = d.prs.slides.add_slide(d.prs.slide_layouts[_BLANK])
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, SLIDE_W, Inches(4.6))
    band.name = "Title band"
    _fill(band, nhs.NHS_BLUE)
    width = SLIDE_W - Inches(1.6)
    _text(slide, Inches(0.8), Inches(0.7), width, Inches(0.5), ["Core20PLUS5 area profile"], 20,
          colour=nhs.WHITE, name="Kicker")
    _text(slide, Inches(0.8), Inches(1.3), width, Inches(2.2), [prof.title], 40, bold_first=True,
          colour=nhs.WHITE, name="Title", anchor=MSO_ANCHOR.MIDDLE)
    _text(slide, Inches(0.8), Inches(3.6), SLIDE_W - Inches(1.6), Inches(0.8), [prof.subtitle], 18,
          colour=nhs.WHITE, name="Subtitle")
    _text(slide, Inches(0.8), Inches(4.95), SLIDE_W - Inches(1.6), Inches(1.6), [prof.headline()], 24,
          bold_first=True, colour=nhs.NHS_DARK_BLUE, name="Headline")
    d._footer(slide)
    notes = [prof.paragraph(), "Sources and notices:", *d.notices]
    slide.notes_slide.notes_text_frame.text = "\n".join(notes)


def _figures_slide(d: _Deck, prof: AreaProfile) -> None:
    s = prof.summary
    slide = d.slide(prof.headline(), notes=[prof.paragraph(), cartography.CORE20_DEFINITION])
    _kpi_tiles(slide, [("Core20 share of population", f"{s['core20_population_pct']:.1%}"),
                       ("Core20 population", f"{s['core20_population']:,}"),
                       ("Core20 LSOAs", f"{s['core20_lsoas']:,}"),
                       ("Population", f"{s['population']:,}")], _TOP + Inches(0.15))
    table = comparison_table(prof)
    table["Area"] = table["Area"].map(_short)
    keep = [c for c in ("Area", "Population", "Core20 share", "Decile 1 LSOAs", "Coastal LSOAs")
            if c in table]
    _table(slide, table[keep], _MARGIN, _TOP + Inches(1.9), SLIDE_W - 2 * _MARGIN,
           widths=(4.2, *([1.3] * (len(keep) - 1))), size=16, name="Comparison")
    _text(slide, _MARGIN, Inches(5.95), SLIDE_W - 2 * _MARGIN, Inches(0.9), [cartography.CORE20_DEFINITION],
          MIN_PT, colour=nhs.NHS_TEXT_SECONDARY)


def _where_slide(d: _Deck, prof: AreaProfile) -> None:
    where = prof.where_table()
    names = headline.most_of_them(prof.where)
    title = (f"Most Core20 residents live in {headline.join_names(names)}" if names else
             f"Core20 residents are spread across {len(where):,} local authorities")
    slide = d.slide(title)
    shown = where.head(SITES_PER_SLIDE)
    _table(slide, shown, _MARGIN, _TOP + Inches(0.2), Inches(9.0), widths=(3.0, 1.5, 2.0), size=MIN_PT,
           name="Where Core20 residents live")
    if len(where) > len(shown):
        _text(slide, Inches(9.8), _TOP + Inches(0.2), Inches(3.0), Inches(1.2),
              [f"{len(where) - len(shown):,} more local authorities with fewer Core20 residents "
               "(all in the profile)."], MIN_PT, colour=nhs.NHS_TEXT_SECONDARY)


def _decile_slide(d: _Deck, prof: AreaProfile) -> None:
    from geo_core20.exports.profile import decile_message

    slide = d.slide(decile_message(prof), notes=["Bars: this area (the map's colours); grey: England."])
    decile_chart(slide, prof, _MARGIN, _TOP + Inches(0.1), SLIDE_W - 2 * _MARGIN, _FOOT - _TOP - Inches(0.2))


def _focus_slides(d: _Deck, prof: AreaProfile) -> None:
    f = clinical.FOCI[prof.focus]
    slide = d.slide(prof.focus_message() or f"Clinical focus: {f.label}",
                    notes=[f"National aim: {f.aim}", f.not_in_data])
    _pairs(slide, [(label.split(" (")[0], v) for label, v in prof.focus_figures()], _MARGIN,
           _TOP + Inches(0.15), Inches(5.6), size=MIN_PT, name="Focus figures")
    if prof.focus_compare is not None and not prof.focus_compare.empty:
        focus_chart(slide, prof, Inches(6.3), _TOP + Inches(0.1), SLIDE_W - Inches(6.3) - _MARGIN,
                    _FOOT - _TOP - Inches(0.2))


def _plan_slides(d: _Deck, prof: AreaProfile, plan_map: MapFigure | None) -> None:
    name = prof.plan_name or "(unnamed)"
    figures = prof.plan_figures()
    if plan_map is not None:
        keys = ("Target residents reached", "New sites", "Mean cost to nearest site", "Unreachable share")
        _map_slide(d, plan_map, prof.area_name, [(k, v) for k, v in figures if k in keys])
    s = prof.plan.get("summary") or {}
    title = headline.plan_sentence(name, float(s.get("covered_share") or 0),
                                   len((prof.plan.get("siting") or {}).get("chosen") or []))
    slide = d.slide(title, notes=[prof.plan_message(), f"Target: {prof.plan.get('target_label') or ''}"])
    shown = [(k, v) for k, v in figures if k not in ("Plan", "Target")]
    _pairs(slide, shown, _MARGIN, _TOP + Inches(0.15), Inches(6.3), size=MIN_PT, name="Plan figures",
           widths=(1.5, 1.0))
    eq = prof.plan.get("equity") or {}
    if eq.get("covered_core20_share") is not None and eq.get("target_core20_share") is not None:
        width = SLIDE_W - Inches(7.0) - _MARGIN
        note = _text_height(str(eq["label"]), width) if eq.get("label") else 0
        bottom = _FOOT - Inches(0.05)  # the note under the chart, the chart as tall as the rest allows
        equity_chart(slide, prof, Inches(7.0), _TOP + Inches(0.1), width,
                     min(Inches(4.0), bottom - note - _TOP - Inches(0.2)))
        if note:
            _text(slide, Inches(7.0), bottom - note, width, note, [str(eq["label"])], MIN_PT,
                  colour=nhs.NHS_TEXT_SECONDARY, name="Equity note")
    sites = prof.plan_sites()
    pages = max(1, math.ceil(len(sites) / SITES_PER_SLIDE)) if len(sites) else 0
    for i in range(pages):
        part = sites.iloc[i * SITES_PER_SLIDE:(i + 1) * SITES_PER_SLIDE]
        more = f" ({i + 1} of {pages})" if pages > 1 else ""
        slide = d.slide(f"The plan's {len(sites):,} sites{more}: {name}")
        cols = [c for c in part.columns if c != "Address" or part["Address"].astype(bool).any()]
        widths = {"#": 0.5, "Site": 4.0, "Address": 3.2, "Kind": 1.0, "Residents reached": 2.0}
        _table(slide, part[cols], _MARGIN, _TOP + Inches(0.15), SLIDE_W - 2 * _MARGIN,
               widths=[widths[c] for c in cols], size=MIN_PT, name="Plan sites")
    curve = prof.plan.get("curve") or []
    if len(curve) > 1:
        slide = d.slide(curve_message(prof), notes=[f"Target: {prof.plan.get('target_label') or ''}"])
        curve_chart(slide, prof, _MARGIN, _TOP + Inches(0.1), SLIDE_W - 2 * _MARGIN,
                    _FOOT - _TOP - Inches(0.2))


def curve_message(prof: AreaProfile) -> str:
    """The coverage curve's title as a message: the chosen k's reach against the curve's largest k."""
    frame = pd.DataFrame(prof.plan.get("curve") or [])
    k = (prof.plan.get("request") or {}).get("k")
    top = frame.loc[frame["k"].idxmax()]
    if k is None or not (frame["k"] == k).any():
        return f"{int(top['k'])} new sites would reach {headline.pct(top['covered_share'])} of the target"
    share = float(frame.loc[frame["k"] == k, "covered_share"].iloc[0])
    out = f"{k} new sites reach {headline.pct(share)} of target residents"
    if int(top["k"]) > k:
        out += f"; {int(top['k'])} would reach {headline.pct(top['covered_share'])}"
    return out


def _closing_slides(d: _Deck, prof: AreaProfile) -> None:
    slide = d.slide("Methods")
    _text(slide, _MARGIN, _TOP + Inches(0.1), SLIDE_W - 2 * _MARGIN, _FOOT - _TOP - Inches(0.2),
          [f"• {m}" for m in prof.methods()], MIN_PT, name="Methods")
    slide = d.slide("Sources and notices")
    _text(slide, _MARGIN, _TOP + Inches(0.1), SLIDE_W - 2 * _MARGIN, _FOOT - _TOP - Inches(0.2),
          [f"• {a}" for a in d.notices], MIN_PT, name="Notices")


def profile_deck(prof: AreaProfile) -> bytes:
    """The profile as a .pptx file's bytes (16:9)."""
    d = _Deck(prof.notices())
    _title_slide(d, prof)
    _figures_slide(d, prof)
    if prof.level != "lad" and prof.where is not None and len(prof.where) > 1:
        _where_slide(d, prof)
    makers = prof.map_makers()
    plan_maker = makers.pop() if prof.plan is not None else None
    focus_figures = [(k.split(" (")[0], v) for k, v in prof.focus_figures()]
    ambition = [p for p in focus_figures if p[0] in ("Expected hypertension diagnosed",
                                                     "Diagnosed, Core20 neighbourhoods", "National ambition")]
    focus_figures = ambition + [p for p in focus_figures if p not in ambition]
    for i, make in enumerate(makers):
        is_focus = bool(prof.focus) and i == len(makers) - 1
        _map_slide(d, make(False), prof.area_name, focus_figures if is_focus else ())
    _decile_slide(d, prof)
    if prof.focus_row:
        _focus_slides(d, prof)
    if prof.plan:
        _plan_slides(d, prof, plan_maker(False) if plan_maker else None)
    _closing_slides(d, prof)
    return d.bytes()
