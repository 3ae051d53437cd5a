"""The area profile: one report for an England, region, NHS region, ICB, sub-ICB or local authority view.

    prof = build_profile("2025", "icb", "E54000036", focus="hypertension", plan="latest")
    html = profile_html(prof)        # self-contained: images inlined, all text escaped
    pdf = profile_pdf(prof)          # fpdf2, A4 landscape

Its numbers are the app's: ``areas.area_summary`` (the `summary` command), ``plus.coastal_summary``,
``clinical.focus_summary`` / ``focus_compare`` (the `focus` command) and a saved plan's record.
"""

from __future__ import annotations

import base64
import io
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import matplotlib
import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from geo_core20 import access, areas, clinical, plans, plus, schema
from geo_core20.errors import ExportError
from geo_core20.exports import charts, formats, print_maps
from geo_core20.exports.print_maps import MapFigure
from geo_core20.maps import view
from geo_core20.maps.view import ViewData
from geo_core20.safety import escape_html

MAP_DPI_EMBED = 200  # maps inlined in the HTML and PDF: sharp when printed, a few hundred kB each

METHODS = (
    "Core20: the LSOAs in national IMD deciles 1 and 2, the most deprived 20% of LSOAs in England. It is a "
    "national cut: an area's Core20 is never re-ranked locally.",
    "Deciles are the published national deciles of the English Indices of Deprivation; population is the "
    "Census 2021 usual resident population of each LSOA (IMD2019 vintage: the IoD2019 denominators).",
    "Coastal: the published LSOA flag G_25_5 (an LSOA is coastal when at least 25% of its postcodes lie "
    "within 5 km of the coastline; Welsh et al., BMJ Public Health 2024).",
    "Areas are built from whole LSOAs using the ONS best-fit lookups (LSOA to sub-ICB location, ICB, "
    "NHS region, local authority and region), so an area's figures sum its LSOAs.",
    "Maps are drawn in British National Grid (EPSG:27700); colours and classes are those of the "
    "interactive map (colour-blind-safe viridis, most deprived darkest).",
)


@dataclass
class AreaProfile:
    """Everything the profile shows, computed once (HTML, PDF and the deck read it)."""

    vintage: str
    level: str
    area_code: str
    area_name: str
    shade: str
    summary: dict
    comparison: pd.DataFrame  # one row per scope: this area, its parent, England
    coastal: dict
    decile: pd.DataFrame  # charts.profile_frame
    attribution: list[str]
    focus: str | None = None
    focus_row: dict | None = None  # clinical.focus_summary row of this area
    focus_compare: pd.DataFrame | None = None
    plan: dict | None = None  # PlanResult.to_dict() record
    plan_name: str = ""
    plan_id: str = ""
    created: str = field(default_factory=lambda: datetime.now(UTC).strftime("%d %B %Y"))
    view: ViewData | None = field(default=None, repr=False)  # the record every map of the profile draws

    def view_data(self) -> ViewData:
        return self.view or print_maps.print_view(self.vintage, self.level, self.area_code, self.shade)

    @property
    def title(self) -> str:
        return f"{self.area_name}: Core20PLUS5 area profile"

    @property
    def subtitle(self) -> str:
        kind = "" if self.level == "england" else f"{schema.LEVEL_LABEL[self.level]} {self.area_code} · "
        return f"{kind}{view.vintage_label(self.vintage)} · made {self.created}"

    def map_makers(self) -> list[Callable[[bool], MapFigure]]:
        """One function per map of the profile (argument: draw the legend on the image)."""
        out: list[Callable[[bool], MapFigure]] = [
            lambda legend: print_maps.explorer_map(self.view_data(), with_legend=legend)
        ]
        if self.coastal.get("coastal_lsoas"):
            out.append(
                lambda legend: print_maps.coastal_map(self.view_data(), with_legend=legend)
            )
        if self.focus:
            out.append(
                lambda legend: print_maps.focus_map(self.view_data(), self.focus, with_legend=legend)
            )
        if self.plan is not None:
            out.append(lambda legend: print_maps.plan_map(print_maps.plan_view(self.plan), self.plan,
                                                          with_legend=legend, name=self.plan_name))
        return out

    def key_figures(self) -> list[tuple[str, str]]:
        """(label, value) of the headline numbers, in the order shown."""
        s, c = self.summary, self.coastal
        rows = [
            ("LSOAs", f"{s['lsoas']:,}"),
            ("Population", f"{s['population']:,}"),
            ("Core20 LSOAs", f"{s['core20_lsoas']:,}"),
            ("Core20 population", f"{s['core20_population']:,}"),
            ("Core20 share of population", f"{s['core20_population_pct']:.1%}"),
            ("LSOAs in national decile 1", f"{s['pct_lsoas_most_deprived_10']:.1%}"),
            ("Coastal LSOAs", f"{int(c.get('coastal_lsoas', 0)):,}"),
            ("Coastal and Core20 LSOAs", f"{int(c.get('coastal_core20_lsoas', 0)):,}"),
            ("Coastal Core20 population", f"{int(c.get('coastal_core20_population', 0)):,}"),
        ]
        return rows

    def focus_figures(self) -> list[tuple[str, str]]:
        if not self.focus_row:
            return []
        r = self.focus_row
        label = clinical.FOCI[self.focus].target_label if self.focus in clinical.FOCI else "Target population"
        return [
            (label, f"{float(r['target_population']):,.0f}"),
            ("Of whom in Core20 LSOAs", f"{float(r['core20_target_population']):,.0f}"),
            ("Core20 share of the target", f"{float(r['core20_target_share']):.1%}"),
            ("Target per 1,000 residents", f"{float(r['target_per_1000']):,.1f}"),
            ("Target per 1,000 Core20 residents", f"{float(r['core20_target_per_1000']):,.1f}"),
        ]

    def plan_figures(self) -> list[tuple[str, str]]:
        if not self.plan:
            return []
        s = self.plan.get("summary") or {}
        req = self.plan.get("request") or {}
        out = [
            ("Plan", self.plan_name or "(unnamed)"),
            ("Target", str(self.plan.get("target_label") or "")),
            ("New sites", f"{len((self.plan.get('siting') or {}).get('chosen') or []):,}"),
            ("Objective", str(req.get("objective", "")).upper()),
        ]
        if req.get("radius_km") is not None:
            out.append(("Radius", access.format_cost(float(req["radius_km"]) * 1000)))
        if s.get("covered_share") is not None:
            out.append(("Target residents reached", f"{float(s['covered_share']):.1%}"))
            out.append(("Target residents covered", f"{float(s.get('target_population_covered') or 0):,.0f}"))
        return out


def _scope_row(gdf: pd.DataFrame, coastal: pd.DataFrame, scope: str, level: str, code: str | None) -> dict:
    s = areas.area_summary(gdf, level, code)
    c = coastal.loc[coastal["area_code"] == s["area_code"]]
    c = c.iloc[0] if len(c) else pd.Series(dtype=float)
    pop = s["population"] or 1
    return {
        "scope": scope,
        "level": schema.LEVEL_LABEL[level],
        **s,
        "coastal_lsoas": int(c.get("coastal_lsoas", 0)),
        "coastal_population_pct": float(c.get("coastal_population", 0)) / pop,
    }


def latest_plan(
    vintage: str, level: str, area_code: str, store: plans.PlanStore | None = None
) -> plans.SavedPlan | None:
    """The newest saved plan of this exact view, or None (also when the store cannot be read)."""
    store = store or plans.open_store()
    try:
        saved = store.list()
        hit = saved[
            (saved["vintage"] == vintage) & (saved["level"] == level) & (saved["area_code"] == area_code)
        ]
        return store.get(str(hit.iloc[0]["id"])) if len(hit) else None
    except (plans.PlanStoreError, sqlite3.Error, OSError):
        return None  # a profile without the plan beats no profile


def build_profile(
    vintage: str,
    level: str,
    area_code: str | None = None,
    *,
    shade: str = schema.IMD_DECILE,
    focus: str | None = None,
    plan: str | dict | plans.SavedPlan | None = "latest",
    store: plans.PlanStore | None = None,
) -> AreaProfile:
    """The profile of one view. ``focus``: a clinical focus id (None = none). ``plan``: "latest"
    (the newest saved plan of this view, if any), a plan id, a SavedPlan, a plan record, or None."""
    vd = print_maps.print_view(vintage, level, area_code, shade)
    code, name, gdf = vd.area_code, vd.area_name, vd.national
    coastal_all = plus.coastal_summary(gdf, level)
    comparison = pd.DataFrame([
        _scope_row(gdf, coastal_all if s.scope == "area" else plus.coastal_summary(gdf, s.level),
                   "England" if s.scope == "england" else s.scope, s.level, s.area_code)
        for s in areas.comparison_scopes(gdf, level, area_code)])
    hit = coastal_all.loc[coastal_all["area_code"] == code]
    coastal = {k: (v.item() if hasattr(v, "item") else v) for k, v in hit.iloc[0].items()} if len(hit) else {}
    prof = AreaProfile(
        vintage,
        level,
        code,
        name,
        shade,
        dict(vd.summary),
        comparison,
        coastal,
        charts.profile_frame(gdf, level, area_code),
        view.attribution_lines(vintage),
        view=vd,
    )
    if focus:
        try:
            clinical.check_focus(focus)
        except clinical.UnknownFocus as exc:
            raise ExportError(str(exc)) from exc
        summ = clinical.focus_summary(gdf, focus, level)
        match = summ.loc[summ["area_code"] == code]
        prof.focus = focus
        prof.focus_row = match.iloc[0].to_dict() if len(match) else None
        prof.focus_compare = clinical.focus_compare(gdf, focus, level, area_code)
        prof.attribution = list(dict.fromkeys([*prof.attribution, *clinical.attribution(focus)]))
    saved: plans.SavedPlan | None = None
    if isinstance(plan, plans.SavedPlan):
        saved = plan
    elif plan == "latest":
        saved = latest_plan(vintage, level, code, store)
    elif isinstance(plan, str):
        saved = (store or plans.open_store()).get(plan)
        if saved is None:
            raise ExportError(f"no saved plan with id {plan!r}")
    elif isinstance(plan, dict):
        prof.plan = plan
    if saved is not None:
        prof.plan, prof.plan_name, prof.plan_id = saved.data, saved.name, saved.id
    if prof.plan:
        prof.attribution = list(dict.fromkeys([*prof.attribution, *(prof.plan.get("attribution") or [])]))
    return prof


# --- HTML ---------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Arial,sans-serif;color:#222;max-width:1100px;
margin:24px auto;
padding:0 16px}
h1{font-size:28px;margin:0 0 4px}h2{font-size:20px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.sub{color:#555;margin:0 0 16px}.kpis{display:flex;flex-wrap:wrap;gap:10px}
.kpi{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:150px}
.kpi strong{display:block;font-size:22px}.kpi span{color:#555;font-size:13px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}figure{margin:12px 0}img{max-width:100%;height:auto}
figcaption{color:#555;font-size:13px}.small{font-size:12px;color:#555}
"""


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def comparison_table(prof: AreaProfile) -> pd.DataFrame:
    """The comparison with parent and England, formatted for reading (strings)."""
    c = prof.comparison
    return pd.DataFrame(
        {
            "Area": [
                n if lvl == "England" else f"{n} ({lvl})"
                for n, lvl in zip(c["area_name"], c["level"], strict=True)
            ],
            "LSOAs": c["lsoas"].map("{:,}".format),
            "Population": c["population"].map("{:,}".format),
            "Core20 LSOAs": c["core20_lsoas"].map("{:,}".format),
            "Core20 population": c["core20_population"].map("{:,}".format),
            "Core20 share": c["core20_population_pct"].map("{:.1%}".format),
            "Decile 1 LSOAs": c["pct_lsoas_most_deprived_10"].map("{:.1%}".format),
            "Coastal LSOAs": c["coastal_lsoas"].map("{:,}".format),
            "Coastal share of pop.": c["coastal_population_pct"].map("{:.1%}".format),
        }
    )


def _html_table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{escape_html(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape_html(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kpis(pairs: list[tuple[str, str]]) -> str:
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi"><strong>{escape_html(v)}</strong><span>{escape_html(k)}</span></div>'
            for k, v in pairs
        )
        + "</div>"
    )


def _focus_table(prof: AreaProfile) -> pd.DataFrame | None:
    if prof.focus_compare is None or prof.focus_compare.empty:
        return None
    f = prof.focus_compare
    return pd.DataFrame(
        {
            "Area": f["area_name"],
            "Part": f["part"].map({"whole": "Whole area", "core20": "Core20"}),
            "Target population": f["target_population"].map("{:,.0f}".format),
            "Per 1,000 residents": f["target_per_1000"].map("{:,.1f}".format),
        }
    )


def focus_chart(prof: AreaProfile, fmt: str) -> bytes:
    """The focus target per 1,000 residents: area, parent, England; whole and Core20 part."""
    label = f"{clinical.FOCI[prof.focus].label}: target per 1,000 residents"
    return charts.focus_compare_chart(prof.focus_compare, fmt, label=label)


def _plan_chart(prof: AreaProfile, fmt: str) -> bytes | None:
    curve = (prof.plan or {}).get("curve")
    if not curve:
        return None
    req = (prof.plan or {}).get("request") or {}
    solved = (prof.plan or {}).get("siting") or {}
    return charts.coverage_curve_chart(
        curve,
        fmt,
        area_name=prof.area_name,
        chosen_k=req.get("k"),
        target_label=str(prof.plan.get("target_label") or "target"),
        objective=str(solved.get("objective") or req.get("objective") or "mclp"),
        unit=str(solved.get("unit") or req.get("unit") or "m"),
    )


def profile_html(prof: AreaProfile) -> str:
    """The profile as one self-contained HTML page (maps as PNG, charts as SVG, inlined)."""
    e = escape_html
    parts = [
        f"<h1>{e(prof.title)}</h1>",
        f'<p class="sub">{e(prof.subtitle)}</p>',
        "<h2>Key figures</h2>",
        _kpis(prof.key_figures()),
        "<h2>Compared with its parent area and England</h2>",
        _html_table(comparison_table(prof)),
    ]
    parts.append("<h2>Maps</h2>")
    for make in prof.map_makers():
        m = make(True)
        png = formats.figure_bytes(m.figure, "png", dpi=MAP_DPI_EMBED)
        parts.append(
            f'<figure><img alt="{e(m.title)}" src="{_data_uri(png, "image/png")}">'
            f"<figcaption>{e(m.title)}. {e(' '.join(m.notes))}</figcaption></figure>"
        )
    svg = charts.decile_profile_chart(
        prof.decile, prof.area_name, "svg", england_ticks=prof.level != "england"
    )
    parts += [
        "<h2>Decile profile</h2>",
        f'<figure><img alt="Population by national IMD decile" src="{_data_uri(svg, "image/svg+xml")}">'
        "<figcaption>Bars: this area. Red ticks: England. Deciles 1-2 are Core20.</figcaption></figure>",
    ]
    if prof.focus_row:
        parts += [
            f"<h2>Clinical focus: {e(clinical.FOCI[prof.focus].label)}</h2>",
            _kpis(prof.focus_figures()),
        ]
        table = _focus_table(prof)
        if table is not None:
            parts.append(_html_table(table))
            chart = focus_chart(prof, "svg")
            parts.append(
                f'<figure><img alt="Focus comparison" src="{_data_uri(chart, "image/svg+xml")}"></figure>'
            )
        parts.append(f'<p class="small">{e(clinical.FOCI[prof.focus].not_in_data)}</p>')
    if prof.plan:
        parts += ["<h2>Latest saved outreach plan</h2>", _kpis(prof.plan_figures())]
        chart = _plan_chart(prof, "svg")
        if chart:
            parts.append(
                f'<figure><img alt="Coverage curve" src="{_data_uri(chart, "image/svg+xml")}"></figure>'
            )
    parts += [
        "<h2>Methods and sources</h2>",
        "<ul>" + "".join(f"<li>{e(m)}</li>" for m in METHODS) + "</ul>",
        "<h3>Attribution</h3>",
        "<ul>" + "".join(f"<li>{e(a)}</li>" for a in prof.attribution) + "</ul>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(prof.title)}</title><style>{_CSS}</style></head><body>{''.join(parts)}</body></html>\n"
    )


# --- PDF ----------------------------------------------------------------------------------------


def _fonts(pdf: FPDF) -> None:
    """DejaVu Sans (bundled with matplotlib) for full Unicode: area names, '·', '©'."""
    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf.add_font("DejaVu", "", str(ttf / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(ttf / "DejaVuSans-Bold.ttf"))


def _pdf_table(pdf: FPDF, frame: pd.DataFrame, size: float = 8.5) -> None:
    pdf.set_font("DejaVu", size=size)
    widths = (3.2, *([1.0] * (len(frame.columns) - 1)))  # the area name gets the room
    with pdf.table(
        col_widths=widths,
        text_align=("LEFT", *(["RIGHT"] * (len(frame.columns) - 1))),
        first_row_as_headings=True,
        line_height=5.2,
    ) as table:
        table.row([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            table.row([str(v) for v in row])


def _pdf_pairs(pdf: FPDF, pairs: list[tuple[str, str]]) -> None:
    pdf.set_font("DejaVu", size=10)
    with pdf.table(
        col_widths=(100, 50),
        width=150,
        align="LEFT",
        text_align="LEFT",
        first_row_as_headings=False,
        line_height=5.8,
    ) as table:
        for k, v in pairs:
            table.row([k, v])


def _pdf_heading(pdf: FPDF, text: str) -> None:
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 9, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")


def profile_pdf(prof: AreaProfile) -> bytes:
    """The profile as a PDF (A4 landscape; text is real text, maps embedded as 200 dpi PNG)."""
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    _fonts(pdf)
    pdf.set_title(prof.title)
    pdf.set_creator("geo_core20")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 20)
    pdf.multi_cell(0, 10, prof.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.set_font("DejaVu", size=11)
    pdf.cell(0, 7, prof.subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(2)
    _pdf_heading(pdf, "Key figures")
    _pdf_pairs(pdf, prof.key_figures())
    pdf.ln(3)
    _pdf_heading(pdf, "Compared with its parent area and England")
    _pdf_table(pdf, comparison_table(prof))
    for make in prof.map_makers():
        m = make(True)
        pdf.add_page()
        png = formats.figure_bytes(m.figure, "png", dpi=MAP_DPI_EMBED)
        pdf.image(io.BytesIO(png), x=10, y=10, w=pdf.w - 20)
    pdf.add_page()
    _pdf_heading(pdf, "Decile profile")
    chart = charts.decile_profile_chart(
        prof.decile, prof.area_name, "png", england_ticks=prof.level != "england"
    )
    pdf.image(io.BytesIO(chart), w=170)
    pdf.set_font("DejaVu", size=9)
    pdf.cell(
        0,
        6,
        "Bars: this area. Red ticks: England. Deciles 1-2 are Core20.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    if prof.focus_row:
        pdf.add_page()
        _pdf_heading(pdf, f"Clinical focus: {clinical.FOCI[prof.focus].label}")
        _pdf_pairs(pdf, prof.focus_figures())
        table = _focus_table(prof)
        if table is not None:
            pdf.ln(3)
            _pdf_table(pdf, table)
        pdf.set_font("DejaVu", size=8.5)
        pdf.multi_cell(
            0, 4.5, clinical.FOCI[prof.focus].not_in_data, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L"
        )
    if prof.plan:
        pdf.add_page()
        _pdf_heading(pdf, "Latest saved outreach plan")
        _pdf_pairs(pdf, prof.plan_figures())
        chart = _plan_chart(prof, "png")
        if chart:
            pdf.ln(3)
            pdf.image(io.BytesIO(chart), w=150)
    pdf.add_page()
    _pdf_heading(pdf, "Methods and sources")
    pdf.set_font("DejaVu", size=9.5)
    for line in METHODS:
        pdf.multi_cell(0, 5, f"• {line}", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(2)
    _pdf_heading(pdf, "Attribution")
    pdf.set_font("DejaVu", size=9)
    for line in prof.attribution:
        pdf.multi_cell(0, 4.8, f"• {line}", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    return bytes(pdf.output())
