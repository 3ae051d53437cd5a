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
from PIL import Image

from geo_core20 import access, areas, clinical, plans, plus, schema, siting, sources
from geo_core20.errors import ExportError
from geo_core20.exports import charts, formats, headline, print_maps
from geo_core20.exports.print_maps import MapFigure
from geo_core20.maps import palette, view
from geo_core20.maps.view import ViewData
from geo_core20.safety import escape_html

MAP_DPI_EMBED = 200  # maps inlined in the HTML and PDF: sharp when printed, a few hundred kB each

METHOD_CORE20 = (
    f"{schema.CORE20_DEFINITION} It is a national cut of the published national deciles.",
    "Deciles are the published national deciles of the English Indices of Deprivation; population is the "
    "Census 2021 usual resident population of each LSOA (IMD2019 vintage: the IoD2019 denominators).",
    "Coastal: the published LSOA flag G_25_5 (an LSOA is coastal when at least 25% of its postcodes lie "
    "within 5 km of the coastline; Welsh et al., BMJ Public Health 2024).",
    "Areas are built from whole LSOAs using the ONS best-fit lookups (LSOA to sub-ICB location, ICB, "
    "NHS region, local authority and region), so an area's figures sum its LSOAs.",
    "Maps are drawn in British National Grid (EPSG:27700); colours and classes are those of the "
    "interactive map (colour-blind-safe viridis, most deprived darkest).",
)
METHODS = METHOD_CORE20  # every method that can apply (profiles list only those that do: methods())
COASTAL_METHOD = METHODS[2]
CLINICAL_METHOD = (
    "Clinical focus: QOF 2021-22 registers are published per GP practice; each LSOA's register is "
    "estimated as the sum over practices of the practice's patients living in the LSOA (NHS Digital, "
    "July 2022) times its recorded prevalence (GP-practice apportioning). Age groups come from ONS "
    "mid-2020 small-area population estimates by single year of age, carried onto LSOA 2021 with the ONS "
    "lookup."
)
HYPERTENSION_METHOD = (
    "Expected hypertension applies the Health Survey for England 2022 rates of hypertension by age band "
    "(adults 16-34 4% ... 75+ 69%) to each LSOA's mid-2020 adults; recorded / expected is the share of "
    "expected hypertension that is diagnosed (ambition: 80%). The rates vary with age only, not with "
    "deprivation or ethnicity, so the gap in Core20 neighbourhoods is understated."
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
    where: pd.DataFrame | None = None  # headline.core20_by_lad: Core20 residents by local authority
    plus_rows: tuple[headline.PlusRow, ...] = ()  # PLUS groups present in the area, area vs England

    @property
    def coastal_area(self) -> bool:
        """True when the area has coastal LSOAs (inland areas show no coastal rows or method)."""
        return bool(self.coastal.get("coastal_lsoas"))

    @property
    def england_core20_share(self) -> float:
        return float(self.comparison.iloc[-1]["core20_population_pct"])

    def headline(self) -> str:
        """The one-sentence message every export opens with."""
        where = self.where if self.where is not None else headline.core20_by_lad(self.view_data().frame)
        return headline.headline_sentence(self.area_name, self.summary, where, level=self.level)

    def focus_message(self) -> str:
        if not self.focus_row:
            return ""
        r, f = self.focus_row, clinical.FOCI[self.focus]
        if r.get("recorded_to_expected") is not None and self.focus == "hypertension":
            return headline.focus_sentence(
                f.label, recorded_to_expected=float(r["recorded_to_expected"]),
                core20_recorded_to_expected=_num(r.get("core20_recorded_to_expected")),
                ambition=clinical.hypertension.AMBITION)
        return headline.focus_sentence(f.label, target_label=f.target_label,
                                       target=float(r["target_population"]),
                                       core20_target_share=_num(r.get("core20_target_share")))

    def plan_message(self) -> str:
        if not self.plan:
            return ""
        s = self.plan.get("summary") or {}
        eq = self.plan.get("equity") or {}
        return headline.plan_sentence(
            self.plan_name or "(unnamed)", float(s.get("covered_share") or 0),
            len((self.plan.get("siting") or {}).get("chosen") or []),
            covered_core20_share=_num(eq.get("covered_core20_share")),
            target_core20_share=_num(eq.get("target_core20_share")))

    def paragraph(self) -> str:
        """The area's Core20PLUS5 picture in plain English (every figure as in the tables)."""
        return headline.profile_paragraph(headline.Facts(
            self.area_name, self.level, self.summary, self.england_core20_share,
            self.where if self.where is not None else headline.core20_by_lad(self.view_data().frame),
            self.plus_rows, focus_sentence=self.focus_message(), plan_sentence=self.plan_message()))

    def methods(self) -> list[str]:
        """Only the methods that apply to this profile (no coastal method inland)."""
        out = [m for m in METHODS if m != COASTAL_METHOD or self.coastal_area]
        if self.focus:
            out.append(CLINICAL_METHOD)
            if self.focus == "hypertension":
                out.append(HYPERTENSION_METHOD)
        return out

    def notices(self) -> list[str]:
        """One attribution line per licence holder (notices differing only by year merged)."""
        return sources.merge_attribution(self.attribution)

    def where_table(self) -> pd.DataFrame:
        """Core20 residents by local authority (the table behind "most of them in")."""
        w = self.where if self.where is not None else headline.core20_by_lad(self.view_data().frame)
        return pd.DataFrame({
            "Local authority": w["lad_name"].astype(str),
            "Core20 residents": w["core20_population"].map(headline.count),
            "Share of the area's Core20 residents": w["share"].map(headline.pct),
        })

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
            ("Decile 1 LSOAs", f"{int(self.comparison.iloc[0]['decile1_lsoas']):,}"),
        ]
        if self.coastal_area:
            rows += [
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
        ] + self._ambition_figures() + self._cancer_figures()

    def _cancer_figures(self) -> list[tuple[str, str]]:
        """Early cancer diagnosis: smoking and the distance to a diagnostic centre beside the 55-74s
        (the print map's panel has the same figures); a figure the data cannot give says so."""
        if self.focus != "cancer" or not self.focus_row:
            return []
        r = self.focus_row

        def show(key: str, fmt: Callable[[float], str], why: str) -> str:
            x = _num(r.get(key))
            return fmt(x) if x is not None else f"not available ({why})"

        no_patients = "no registered patients apportioned to these LSOAs"
        no_55_74 = "no residents aged 55-74 or no diagnostic centre in the data"

        def pct(x: float) -> str:
            return f"{x:.1%}"

        def km(x: float) -> str:
            return f"{x:.1f} km"

        return [
            ("Smoking prevalence (recorded smokers, % of registered patients)",
             show("smoking_prevalence", pct, no_patients)),
            ("Smoking prevalence in Core20 LSOAs", show("core20_smoking_prevalence", pct, no_patients)),
            ("Mean distance to a diagnostic centre (residents aged 55-74)",
             show("mean_km_to_cdc", km, no_55_74)),
            ("Mean distance to a diagnostic centre, Core20", show("core20_mean_km_to_cdc", km, no_55_74)),
        ]

    def _ambition_figures(self) -> list[tuple[str, str]]:
        r = self.focus_row or {}
        if self.focus != "hypertension" or r.get("recorded_to_expected") is None:
            return []
        out = [("Expected hypertension diagnosed", headline.pct(r["recorded_to_expected"]))]
        if _num(r.get("core20_recorded_to_expected")) is not None:
            out.append(("Diagnosed, Core20 neighbourhoods", headline.pct(r["core20_recorded_to_expected"])))
        out.append(("National ambition", f"{clinical.hypertension.AMBITION:.0%}"))
        return out

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
        unit = s.get("cost_unit") or req.get("unit") or "m"
        for key, label in (("mean_cost", "Mean cost to nearest site"), ("p90_cost", "90th percentile cost"),
                           ("max_cost", "Maximum cost")):
            if _num(s.get(key)) is not None:
                out.append((label, access.format_cost(float(s[key]), unit, decimals=1)))
        if s.get("unreachable_share") is not None:
            out.append(("Unreachable share", f"{float(s['unreachable_share']):.1%}"))
        eq = self.plan.get("equity") or {}
        if _num(eq.get("covered_core20_share")) is not None:
            out.append(("Reached who live in Core20", f"{float(eq['covered_core20_share']):.1%}"))
            out.append(("Target who live in Core20", f"{float(eq['target_core20_share']):.1%}"))
        return out

    def plan_sites(self) -> pd.DataFrame:
        """The plan's sites for a slide or page: fixed then chosen, with where each is (address, town,
        postcode where the record has them: the same words as the app's site table)."""
        sit = (self.plan or {}).get("siting") or {}
        rows = [(r, True) for r in sit.get("fixed") or []] + [(r, False) for r in sit.get("chosen") or []]
        return pd.DataFrame({
            "#": [str(r.get("rank") or i + 1) for i, (r, _) in enumerate(rows)],
            "Site": [str(r.get("name") or r.get("candidate_id") or "") for r, _ in rows],
            "Address": [siting.site_where(r) for r, _ in rows],  # address, town, postcode where known
            "Kind": ["Fixed" if fixed else "New" for _, fixed in rows],
            "Residents reached": [headline.count(r.get("covered_population") or 0) for r, _ in rows],
        })


def _num(v) -> float | None:
    """A finite number, or None (missing, None, NaN or infinite)."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if x == x and abs(x) != float("inf") else None


def _plus_rows(gdf: pd.DataFrame, frame: pd.DataFrame, coastal: bool) -> tuple[headline.PlusRow, ...]:
    """PLUS groups of the national data present in the area: coastal (coastal areas only) and
    ethnic minority residents (Census 2021, 2025 atlas), each area against England."""
    def share(f: pd.DataFrame, col: str) -> float:
        pop = f["population"].astype(float)
        return float((f[col].astype(float) * pop).sum() / max(pop.sum(), 1.0))

    rows = []
    if coastal and "coastal" in frame:
        rows.append(headline.PlusRow("residents of coastal LSOAs", share(frame, "coastal"),
                                     share(gdf, "coastal")))
    if schema.ETHNIC_MINORITY in frame:
        rows.append(headline.PlusRow("ethnic minority residents", share(frame, schema.ETHNIC_MINORITY),
                                     share(gdf, schema.ETHNIC_MINORITY)))
    return tuple(rows)


def _scope_row(gdf: pd.DataFrame, coastal: pd.DataFrame, scope: str, level: str, code: str | None) -> dict:
    s = areas.area_summary(gdf, level, code)
    c = coastal.loc[coastal["area_code"] == s["area_code"]]
    c = c.iloc[0] if len(c) else pd.Series(dtype=float)
    pop = s["population"] or 1
    rows = areas.mask(gdf, level, code)
    return {
        "decile1_lsoas": int((gdf.loc[rows, "imd_decile"] == 1).sum()),
        "scope": scope,
        "level": schema.LEVEL_LABEL[level],
        **s,
        "coastal_lsoas": int(c.get("coastal_lsoas", 0)),
        "coastal_population_pct": float(c.get("coastal_population", 0)) / pop,
    }


def saved_plans(
    vintage: str, level: str, area_code: str | None, store: plans.PlanStore | None = None
) -> pd.DataFrame:
    """The saved plans of this exact view (id, name, saved_at, ...), newest first; empty when there
    are none or the store cannot be read (the app's picker and ``--plan`` offer the same list)."""
    code = schema.ENGLAND_CODE if level == "england" else area_code
    try:
        saved = (store or plans.open_store()).list()
    except (plans.PlanStoreError, sqlite3.Error, OSError):
        return pd.DataFrame(columns=["id", "name", "saved_at"])
    hit = saved[(saved["vintage"] == vintage) & (saved["level"] == level)
                & ((saved["area_code"] == code) | (saved["area_code"] == area_code))]
    return hit.reset_index(drop=True)


def latest_plan(
    vintage: str, level: str, area_code: str, store: plans.PlanStore | None = None
) -> plans.SavedPlan | None:
    """The newest saved plan of this exact view, or None (also when the store cannot be read)."""
    store = store or plans.open_store()
    hit = saved_plans(vintage, level, area_code, store)
    try:
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
    prof.where = headline.core20_by_lad(vd.frame)
    prof.plus_rows = _plus_rows(gdf, vd.frame, prof.coastal_area)
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

_CSS = f"""
body{{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Arial,sans-serif;color:{palette.TEXT};
max-width:1100px;
margin:24px auto;
padding:0 16px}}
h1{{font-size:28px;margin:0 0 4px}}h2{{font-size:20px;margin:28px 0 8px;
border-bottom:1px solid {palette.RULE}}}
.sub{{color:{palette.TEXT_MUTED};margin:0 0 16px}}.kpis{{display:flex;flex-wrap:wrap;gap:10px}}
.lead{{font-size:19px;font-weight:600;margin:12px 0}}.story{{font-size:16px;max-width:820px}}
.kpi{{border:1px solid {palette.RULE};border-radius:6px;padding:8px 12px;min-width:150px}}
.kpi strong{{display:block;font-size:22px}}.kpi span{{color:{palette.TEXT_MUTED};font-size:13px}}
table{{border-collapse:collapse;margin:8px 0}}th,td{{border:1px solid {palette.RULE};
padding:4px 8px;text-align:right}}
th:first-child,td:first-child{{text-align:left}}figure{{margin:12px 0}}img{{max-width:100%;height:auto}}
figcaption{{color:{palette.TEXT_MUTED};font-size:13px}}.small{{font-size:12px;color:{palette.TEXT_MUTED}}}
header.run,footer.run{{color:{palette.TEXT_MUTED};font-size:12px;display:flex;justify-content:space-between}}
header.run{{border-bottom:1px solid {palette.RULE};padding-bottom:4px;margin-bottom:12px}}
footer.run{{border-top:1px solid {palette.RULE};padding-top:4px;margin-top:24px}}
@page{{size:A4 landscape;margin:14mm 12mm 16mm;
@bottom-right{{content:"Page " counter(page) " of " counter(pages);font-size:9pt;
color:{palette.TEXT_MUTED}}}}}
@media print{{
body{{max-width:none;margin:0;padding:0;font-size:11pt}}
h1,h2,h3{{break-after:avoid;page-break-after:avoid}}
h2{{break-before:auto}}
figure,table,.kpis,tr,img{{break-inside:avoid;page-break-inside:avoid}}
section.maps figure{{break-before:page;page-break-before:always}}
header.run{{position:running(header)}}
a{{color:inherit;text-decoration:none}}
}}
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
            "Decile 1 LSOAs": c["decile1_lsoas"].map("{:,}".format),
            **({"Coastal LSOAs": c["coastal_lsoas"].map("{:,}".format),
                "Coastal share of pop.": c["coastal_population_pct"].map("{:.1%}".format)}
               if prof.coastal_area else {}),
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


def focus_measure(prof: AreaProfile) -> tuple[str, str]:
    """(focus_compare column, label) of the focus chart: the ambition measure when the focus has one
    (hypertension: the share of expected hypertension that is diagnosed), else the target per 1,000."""
    if prof.focus == "hypertension" and prof.focus_compare is not None \
            and "recorded_to_expected" in prof.focus_compare:
        return "recorded_to_expected", "Share of expected hypertension diagnosed (ambition 80%)"
    return "target_per_1000", f"{clinical.FOCI[prof.focus].label}: target per 1,000 residents"


def focus_chart(prof: AreaProfile, fmt: str) -> bytes:
    """The focus measure: area, parent, England; whole and Core20 part."""
    measure, label = focus_measure(prof)
    return charts.focus_compare_chart(prof.focus_compare, fmt, measure=measure, label=label)


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


def decile_message(prof: AreaProfile) -> str:
    """The decile chart's title as a message: the area's share in deciles 1-2 against England's."""
    d = prof.decile
    area = float(d.loc[d["core20"], "population_share"].sum())
    eng = float(d.loc[d["core20"], "england_share"].sum())
    if prof.level == "england":
        return f"{headline.pct(area)} of England's residents live in {schema.CORE20_RULE}"
    return (f"{headline.pct(area)} of residents live in {schema.CORE20_RULE}, "
            f"against {headline.pct(eng)} across England")


def _running(prof: AreaProfile) -> tuple[str, str]:
    """(header, footer) text of every page."""
    return (f"{prof.area_name} · Core20PLUS5 area profile",
            f"geo_core20 · {view.vintage_label(prof.vintage)} · made {prof.created}")


def profile_html(prof: AreaProfile) -> str:
    """The profile as one self-contained HTML page (maps as PNG, charts as SVG, inlined), with a
    print stylesheet (headings kept with what follows, one map a page)."""
    e = escape_html
    head, foot = _running(prof)
    parts = [
        f'<header class="run"><span>{e(head)}</span><span>{e(prof.subtitle)}</span></header>',
        f"<h1>{e(prof.title)}</h1>",
        f'<p class="sub">{e(prof.subtitle)}</p>',
        f'<p class="lead">{e(prof.headline())}</p>',
        f'<p class="story">{e(prof.paragraph())}</p>',
        "<h2>Key figures</h2>",
        _kpis(prof.key_figures()),
        f"<h2>{e(prof.area_name)} beside its parent area and England</h2>",
        _html_table(comparison_table(prof)),
    ]
    if prof.level != "lad" and prof.where is not None and len(prof.where) > 1:
        parts += ["<h2>Where Core20 residents live</h2>", _html_table(prof.where_table())]
    parts.append('<section class="maps"><h2>Maps</h2>')
    for make in prof.map_makers():
        m = make(True)
        png = formats.figure_bytes(m.figure, "png", dpi=MAP_DPI_EMBED)
        parts.append(
            f'<figure><img alt="{e(m.title)}" src="{_data_uri(png, "image/png")}">'
            f"<figcaption>{e(m.title)}. {e(' '.join(m.notes))}</figcaption></figure>"
        )
    parts.append("</section>")
    svg = charts.decile_profile_chart(
        prof.decile, prof.area_name, "svg", england_ticks=prof.level != "england"
    )
    parts += [
        f"<h2>{e(decile_message(prof))}</h2>",
        f'<figure><img alt="Population by national IMD decile" src="{_data_uri(svg, "image/svg+xml")}">'
        "<figcaption>Bars: this area. Red ticks: England. Deciles 1-2 are Core20.</figcaption></figure>",
    ]
    if prof.focus_row:
        parts += [
            f"<h2>{e(prof.focus_message())}</h2>",
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
        parts += [f"<h2>{e(prof.plan_message())}</h2>", _kpis(prof.plan_figures())]
        sites = prof.plan_sites()
        if len(sites):
            parts.append(_html_table(sites))
        chart = _plan_chart(prof, "svg")
        if chart:
            parts.append(
                f'<figure><img alt="Coverage curve" src="{_data_uri(chart, "image/svg+xml")}"></figure>'
            )
    parts += [
        "<h2>Methods and sources</h2>",
        "<ul>" + "".join(f"<li>{e(m)}</li>" for m in prof.methods()) + "</ul>",
        "<h3>Attribution</h3>",
        "<ul>" + "".join(f"<li>{e(a)}</li>" for a in prof.notices()) + "</ul>",
        f'<footer class="run"><span>{e(foot)}</span><span>{e(prof.headline())}</span></footer>',
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


def _numeric(col: pd.Series) -> bool:
    s = col.astype(str).str.replace(r"[,%\s]|km|min", "", regex=True).str.replace(r"^[-+]", "", regex=True)
    return bool(len(s)) and bool(s.str.fullmatch(r"\d+(\.\d+)?").all())


def _pdf_table(pdf: FPDF, frame: pd.DataFrame, size: float = 8.5,
               widths: tuple[float, ...] | None = None) -> None:
    """A table: text columns left, number columns right, one header row."""
    pdf.set_font("DejaVu", size=size)
    widths = widths or (3.2, *([1.0] * (len(frame.columns) - 1)))  # the area name gets the room
    with pdf.table(
        col_widths=widths,
        text_align=tuple("RIGHT" if _numeric(frame.iloc[:, j]) else "LEFT"
                         for j in range(len(frame.columns))),
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
        text_align=("LEFT", "RIGHT"),
        first_row_as_headings=False,
        line_height=5.8,
    ) as table:
        for k, v in pairs:
            table.row([k, v])


def _pdf_heading(pdf: FPDF, text: str) -> None:
    """A heading (wrapped; moved to the next page with room for what follows when near the bottom)."""
    if pdf.get_y() > pdf.h - pdf.b_margin - 40:
        pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(1)


class _ProfilePDF(FPDF):
    """A4 landscape with a running header (area, profile) and footer (source line, page N of M)."""

    def __init__(self, header_text: str, footer_text: str):
        super().__init__(orientation="L", format="A4")
        self._head, self._foot = header_text, footer_text

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font("DejaVu", size=8.5)
        self.set_text_color(85, 85, 85)
        self.cell(0, 5, self._head, align="L")
        self.ln(7)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("DejaVu", size=8.5)
        self.set_text_color(85, 85, 85)
        self.cell(0, 5, self._foot, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)


def _pdf_chart(pdf: FPDF, image: Image.Image, w: float) -> None:
    """A chart image (``formats.figure_image``) centred-left, moved to a new page first when it would
    not fit below."""
    h = w * image.height / image.width
    if pdf.get_y() + h > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.image(image, w=w)


def _pdf_beside(pdf: FPDF, png: bytes, y: float, w: float = 118) -> float:
    """A chart at the right of the page from ``y`` (beside a figures table); returns its bottom."""
    with Image.open(io.BytesIO(png)) as im:
        h = w * im.height / im.width
    pdf.image(io.BytesIO(png), x=pdf.w - pdf.r_margin - w, y=y, w=w)
    return y + h


PDF_WHERE_ROWS = 10  # local authorities listed beside the key figures on the PDF's first page


def profile_pdf(prof: AreaProfile) -> bytes:
    """The profile as a PDF (A4 landscape; text is real text, maps embedded as 200 dpi PNG), with a
    running header and footer, page numbers, the headline and every chart of the HTML."""
    head, foot = _running(prof)
    pdf = _ProfilePDF(head, f"{foot} · Sources: ONS, MHCLG, NHS England")
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(True, margin=14)
    _fonts(pdf)
    pdf.set_title(prof.title)
    pdf.set_creator("geo_core20")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 20)
    pdf.multi_cell(0, 10, prof.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.set_font("DejaVu", size=11)
    pdf.cell(0, 7, prof.subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(1)
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 6.5, prof.headline(), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(1)
    pdf.set_font("DejaVu", size=10.5)
    pdf.multi_cell(0, 5.4, prof.paragraph(), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(2)
    y0 = pdf.get_y()
    _pdf_heading(pdf, "Key figures")
    _pdf_pairs(pdf, prof.key_figures())
    if prof.level != "lad" and prof.where is not None and len(prof.where) > 1:
        # beside the key figures (below the comparison it split over two pages, the second near empty)
        bottom = pdf.get_y()
        where = prof.where_table()
        x, w = pdf.l_margin + 158, pdf.w - pdf.r_margin - pdf.l_margin - 158
        pdf.set_xy(x, y0)
        pdf.set_font("DejaVu", "B", 14)
        pdf.multi_cell(w, 7, "Where Core20 residents live", new_x=XPos.LEFT, new_y=YPos.NEXT, align="L")
        pdf.ln(1)
        pdf.set_font("DejaVu", size=9)
        with pdf.table(col_widths=(2.2, 1.0, 1.3), width=w, align="RIGHT", first_row_as_headings=True,
                       text_align=("LEFT", "RIGHT", "RIGHT"), line_height=4.8) as table:
            table.row([str(c) for c in where.columns])
            for row in where.head(PDF_WHERE_ROWS).itertuples(index=False):
                table.row([str(v) for v in row])
        if len(where) > PDF_WHERE_ROWS:
            pdf.set_x(x)
            pdf.set_font("DejaVu", size=8.5)
            more = len(where) - PDF_WHERE_ROWS
            pdf.multi_cell(w, 4.5, f"... and {more:,} more local authorities with fewer Core20 residents "
                           "(all in the HTML profile).", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_xy(pdf.l_margin, max(bottom, pdf.get_y()))
    pdf.ln(3)
    _pdf_heading(pdf, f"{prof.area_name} beside its parent area and England")
    _pdf_table(pdf, comparison_table(prof))
    for make in prof.map_makers():
        m = make(True)
        w_in, h_in = m.figure.get_size_inches()
        pdf.add_page(orientation="P" if h_in > w_in else "L")  # a portrait map (England) on a portrait page
        image = formats.figure_image(m.figure, dpi=MAP_DPI_EMBED)  # the pixels, no PNG to decode again
        # the map page fills the space between header and footer
        h_avail = pdf.h - pdf.get_y() - pdf.b_margin - 3
        w = min(pdf.w - 20, h_avail * m.figure.get_size_inches()[0] / m.figure.get_size_inches()[1])
        pdf.image(image, x=(pdf.w - w) / 2, w=w)
    pdf.add_page()
    _pdf_heading(pdf, decile_message(prof))
    chart = charts.decile_profile_figure(prof.decile, prof.area_name, england_ticks=prof.level != "england")
    _pdf_chart(pdf, formats.figure_image(chart), 170)  # the chart's 300 dpi pixels, no PNG to decode
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
        _pdf_heading(pdf, prof.focus_message())
        y0 = pdf.get_y()
        _pdf_pairs(pdf, prof.focus_figures())
        table = _focus_table(prof)
        if table is not None:
            # the chart beside the figures, the table below both
            y1 = _pdf_beside(pdf, focus_chart(prof, "png"), y0)
            pdf.set_y(max(pdf.get_y(), y1) + 3)
            _pdf_table(pdf, table)
            pdf.ln(2)
        pdf.set_font("DejaVu", size=8.5)
        pdf.multi_cell(
            0, 4.5, clinical.FOCI[prof.focus].not_in_data, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L"
        )
    if prof.plan:
        pdf.add_page()
        _pdf_heading(pdf, prof.plan_message())
        y0 = pdf.get_y()
        _pdf_pairs(pdf, prof.plan_figures())
        chart = _plan_chart(prof, "png")
        y1 = _pdf_beside(pdf, chart, y0) if chart else y0
        pdf.set_y(max(pdf.get_y(), y1) + 3)
        sites = prof.plan_sites()
        if len(sites):
            _pdf_heading(pdf, "The plan's sites")
            _pdf_table(pdf, sites, size=9, widths=(0.4, 3.0, 1.6, 0.8, 1.4))
    pdf.add_page()
    _pdf_heading(pdf, "Methods and sources")
    pdf.set_font("DejaVu", size=9.5)
    for line in prof.methods():
        pdf.multi_cell(0, 5, f"• {line}", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    pdf.ln(2)
    _pdf_heading(pdf, "Attribution")
    pdf.set_font("DejaVu", size=9)
    for line in prof.notices():
        pdf.multi_cell(0, 4.8, f"• {line}", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")
    return bytes(pdf.output())
