"""The area profile as an editable PowerPoint deck (python-pptx).

A title slide; key figures and the comparison as a real table; one slide per map with the map
picture (drawn without its legend) and the legend and key numbers as real shapes and text
boxes beside it; the decile profile; the clinical focus and saved plan when present; a
sources slide. Everything a presenter may retype is text, not pixels.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR
from pptx.util import Emu, Inches, Pt

from geo_core20 import clinical
from geo_core20.exports import cartography, charts, formats
from geo_core20.exports.print_maps import MapFigure
from geo_core20.exports.profile import METHODS, AreaProfile, comparison_table, focus_chart
from geo_core20.maps import classify, styles

SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)  # 16:9
_TITLE_ONLY = 5  # layout index of "Title Only" in python-pptx's default template
_MAP_DPI = 200


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#")[:6].upper())


def _text(
    slide,
    left: Emu,
    top: Emu,
    width: Emu,
    height: Emu,
    lines: Sequence[str],
    size: float = 12,
    bold_first: bool = False,
    colour: str = "#222222",
):
    box = slide.shapes.add_textbox(left, top, width, height)
    tf = box.text_frame
    tf.word_wrap = True
    for i, line in enumerate(lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.text = line
        p.font.size = Pt(size)
        p.font.color.rgb = _rgb(colour)
        p.font.bold = bold_first and i == 0
    return box


def _title(prs: Presentation, title: str, subtitle: str = ""):
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_ONLY])
    slide.shapes.title.text = title
    tf = slide.shapes.title.text_frame
    tf.paragraphs[0].font.size = Pt(22)
    slide.shapes.title.left, slide.shapes.title.top = Inches(0.4), Inches(0.2)
    slide.shapes.title.width, slide.shapes.title.height = SLIDE_W - Inches(0.8), Inches(0.9)
    if subtitle:
        _text(
            slide,
            Inches(0.45),
            Inches(1.0),
            SLIDE_W - Inches(0.9),
            Inches(0.6),
            subtitle.split("\n"),
            12,
            colour="#555555",
        )
    return slide


def _pairs_table(slide, pairs: Sequence[tuple[str, str]], left: Emu, top: Emu, width: Emu, size: float = 13):
    shape = slide.shapes.add_table(len(pairs), 2, left, top, width, Inches(0.36) * len(pairs))
    table = shape.table
    table.columns[0].width = int(width * 0.62)
    table.columns[1].width = width - int(width * 0.62)
    for i, (k, v) in enumerate(pairs):
        for j, text in enumerate((k, v)):
            cell = table.cell(i, j)
            cell.text = text
            cell.text_frame.paragraphs[0].font.size = Pt(size)
            cell.text_frame.paragraphs[0].font.bold = j == 1
    return shape


def _legend(
    slide,
    legend: classify.Legend,
    left: Emu,
    top: Emu,
    width: Emu,
    *,
    core20: bool,
    area_name: str,
    points: Sequence[cartography.PointLayer],
) -> Emu:
    """The legend as shapes (swatches) and text boxes; returns the top of the free space below it."""
    title = legend.title + (
        f" (counts: {legend.count_what})" if any(e.count is not None for e in legend.entries) else ""
    )
    _text(slide, left, top, width, Inches(0.5), [title], 12, bold_first=True)
    y = top + Inches(0.55)
    row = Inches(0.27)
    sw = Inches(0.3)

    def entry(label: str, draw) -> None:
        nonlocal y
        draw(y)
        text_w = width - sw - Inches(0.1)
        _text(slide, left + sw + Inches(0.1), y - Inches(0.07), text_w, row, [label], 11)
        # 11 pt runs ~12 characters per inch: leave room for a label that wraps
        lines = max(1, math.ceil(len(label) / max(1.0, 12 * text_w / Inches(1))))
        y += row * lines

    def swatch(fill: str, line: str = "#888888", line_w: float = 0.5):
        def draw(at: Emu) -> None:
            shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, left, at, sw, Inches(0.19))
            shape.fill.solid()
            shape.fill.fore_color.rgb = _rgb(fill)
            shape.line.color.rgb = _rgb(line)
            shape.line.width = Pt(line_w)

        return draw

    for e in legend.entries:
        entry(e.label if e.count is None else f"{e.label} ({e.count:,})", swatch(e.colour))
    if core20:
        entry(cartography.CORE20_LABEL, swatch("#ffffff", styles.CORE20_LINE, 1.5))
    if area_name:

        def line(at: Emu) -> None:
            conn = slide.shapes.add_connector(
                MSO_CONNECTOR.STRAIGHT, left, at + Inches(0.1), left + sw, at + Inches(0.1)
            )
            conn.line.color.rgb = _rgb(styles.AREA_LINE)
            conn.line.width = Pt(2.5)

        entry(f"{area_name} boundary", line)
    for layer in points:

        def dot(at: Emu, colour: str = layer.colour) -> None:
            shape = slide.shapes.add_shape(
                MSO_SHAPE.OVAL, left + Inches(0.06), at, Inches(0.18), Inches(0.18)
            )
            shape.fill.solid()
            shape.fill.fore_color.rgb = _rgb("#ffffff")
            shape.line.color.rgb = _rgb(colour)
            shape.line.width = Pt(2)

        entry(f"{layer.legend_label} ({len(layer.points):,})", dot)
    return y


def _two_per_line(items: Sequence[str]) -> list[str]:
    """Key numbers two to a line, so a plan's nine figures fit under its legend."""
    return [" · ".join(items[i : i + 2]) for i in range(0, len(items), 2)]


def _map_slide(prs: Presentation, m: MapFigure, area_name: str) -> None:
    slide = _title(prs, m.title, m.subtitle)
    png = formats.figure_bytes(m.figure, "png", dpi=_MAP_DPI)
    top = Inches(1.6)
    height = SLIDE_H - top - Inches(0.25)
    w_in, h_in = m.figure.get_size_inches()
    pic = slide.shapes.add_picture(io.BytesIO(png), Inches(0.3), top, height=height)
    pic.name = "Map"
    left = Inches(0.3) + int(height * w_in / h_in) + Inches(0.2)
    width = SLIDE_W - left - Inches(0.3)
    core20 = m.legend.core20_outline
    y = _legend(
        slide,
        m.legend,
        left,
        top,
        width,
        core20=core20,
        area_name=area_name if m.legend.area_name else "",
        points=m.point_layers,
    )
    if m.key_numbers:
        _text(
            slide,
            left,
            y + Inches(0.15),
            width,
            max(Inches(0.5), SLIDE_H - y - Inches(0.25)),
            _two_per_line([f"{k}: {v}" for k, v in m.key_numbers.items()]),
            12,
            colour="#111111",
        )
    if m.notes:
        slide.notes_slide.notes_text_frame.text = " ".join(m.notes)


def profile_deck(prof: AreaProfile) -> bytes:
    """The profile as a .pptx file's bytes (16:9)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    first = prs.slides.add_slide(prs.slide_layouts[0])
    first.shapes.title.text = prof.title
    first.placeholders[1].text = prof.subtitle
    for shape in (first.shapes.title, first.placeholders[1]):
        shape.left, shape.width = Inches(0.8), SLIDE_W - Inches(1.6)

    slide = _title(prs, f"{prof.area_name}: key figures", cartography.CORE20_DEFINITION)
    _pairs_table(slide, prof.key_figures(), Inches(0.45), Inches(1.7), Inches(6.0))
    table = comparison_table(prof)
    keep = ["Area", "Population", "Core20 share", "Decile 1 LSOAs", "Coastal LSOAs"]
    shape = slide.shapes.add_table(
        len(table) + 1, len(keep), Inches(6.8), Inches(1.7), Inches(6.1), Inches(0.4) * (len(table) + 1)
    )
    for j, col in enumerate(keep):
        shape.table.cell(0, j).text = col
        for i, v in enumerate(table[col]):
            shape.table.cell(i + 1, j).text = str(v)
    for cell in (shape.table.cell(i, j) for i in range(len(table) + 1) for j in range(len(keep))):
        cell.text_frame.paragraphs[0].font.size = Pt(11)
        cell.vertical_anchor = MSO_ANCHOR.MIDDLE

    for make in prof.map_makers():
        _map_slide(prs, make(False), prof.area_name)

    slide = _title(
        prs,
        f"{prof.area_name}: population by national IMD decile",
        "Bars: this area. Red ticks: England. Deciles 1-2 are Core20.",
    )
    chart = charts.decile_profile_chart(
        prof.decile, prof.area_name, "png", england_ticks=prof.level != "england"
    )
    slide.shapes.add_picture(io.BytesIO(chart), Inches(0.6), Inches(1.7), height=Inches(5.4))

    if prof.focus_row:
        slide = _title(
            prs, f"Clinical focus: {clinical.FOCI[prof.focus].label}", clinical.FOCI[prof.focus].aim
        )
        _pairs_table(slide, prof.focus_figures(), Inches(0.45), Inches(1.8), Inches(5.6))
        if prof.focus_compare is not None and not prof.focus_compare.empty:
            png = focus_chart(prof, "png")
            slide.shapes.add_picture(io.BytesIO(png), Inches(6.4), Inches(1.8), width=Inches(6.6))
        _text(
            slide,
            Inches(0.45),
            Inches(4.0),
            Inches(5.6),
            Inches(1.5),
            [clinical.FOCI[prof.focus].not_in_data],
            11,
            colour="#555555",
        )
    if prof.plan:
        slide = _title(
            prs, f"Outreach plan: {prof.plan_name or prof.area_name}", "Latest saved plan for this area"
        )
        _pairs_table(slide, prof.plan_figures(), Inches(0.45), Inches(1.8), Inches(5.6))
        curve = (prof.plan or {}).get("curve")
        if curve:
            png = charts.coverage_curve_chart(
                curve,
                "png",
                area_name=prof.area_name,
                chosen_k=(prof.plan.get("request") or {}).get("k"),
                target_label=str(prof.plan.get("target_label") or "target"),
                objective=str((prof.plan.get("siting") or {}).get("objective") or "mclp"),
                unit=str((prof.plan.get("siting") or {}).get("unit") or "m"),
            )
            slide.shapes.add_picture(io.BytesIO(png), Inches(6.4), Inches(1.8), width=Inches(6.6))

    slide = _title(prs, "Methods and sources")
    _text(slide, Inches(0.45), Inches(1.2), Inches(12.4), Inches(2.8), [f"• {m}" for m in METHODS], 12)
    _text(
        slide,
        Inches(0.45),
        Inches(4.1),
        Inches(12.4),
        Inches(3.2),
        [f"• {a}" for a in prof.attribution],
        10,
        colour="#444444",
    )
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
