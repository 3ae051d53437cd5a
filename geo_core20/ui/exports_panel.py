"""Conference-ready downloads: print-quality maps, charts, the area profile and the slide deck.

Every file comes from ``geo_core20.exports`` (the same code as ``python -m geo_core20
export-map`` and ``report``); each is built only when its button is pressed (cached in ``ui.cache``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo_core20.exports import charts, formats
from geo_core20.exports import profile as area_profile
from geo_core20.ui import cache


def _button(container, label: str, data, file_name: str, fmt: str, key: str) -> None:
    container.download_button(label, data, file_name=file_name, mime=formats.MIME[fmt], on_click="ignore",
                              key=key, icon=":material/download:")


def view_exports(vintage: str, level: str, area: str | None, shade: str, core20: bool, area_name: str,
                 slug: str, focus_id: str | None = None) -> None:
    """The explorer's print map, charts, profile and deck (with the clinical focus, if one is chosen)."""
    st.subheader("Print and present")
    st.caption("Print-quality maps (300 dpi PNG, SVG, PDF) with title, legend, scale bar, north arrow, "
               "locator and attribution; the area profile as a web page or PDF; an editable slide deck. "
               "Each is made when you press its button (a few seconds).")
    f = focus_id
    plan = plan_picker(vintage, level, area)

    def report(fmt: str):
        return lambda: cache.report_file(vintage, level, area, shade, f, fmt, plan)

    # one button opens the files' buttons: the browser draws them when asked, not on a first visit
    menu = st.popover("Print and present files", icon=":material/download:")
    for fmt in ("png", "svg", "pdf"):
        _button(menu, f"Map ({fmt.upper()})",
                lambda fmt=fmt: cache.view_map_bytes(vintage, level, area, shade, core20, fmt),
                f"map_{slug}_{shade}.{fmt}", fmt, f"gc20_export_map_{fmt}")
    _button(menu, "Slide deck (PPTX)", report("pptx"),
            f"core20_deck_{slug}.pptx", "pptx", "gc20_export_pptx")
    _button(menu, "Area profile (HTML)", report("html"),
            f"core20_profile_{slug}.html", "html", "gc20_export_html")
    _button(menu, "Area profile (PDF)", report("pdf"),
            f"core20_profile_{slug}.pdf", "pdf", "gc20_export_pdf")
    for fmt in ("png", "svg"):
        _button(menu, f"Decile chart ({fmt.upper()})",
                lambda fmt=fmt: cache.decile_chart_bytes(vintage, level, area, area_name, fmt),
                f"deciles_{slug}.{fmt}", fmt, f"gc20_export_deciles_{fmt}")


def plan_picker(vintage: str, level: str, area: str | None) -> str | None:
    """The area's saved plans, latest first (as the `report` command's default), and "No plan": the
    id of the plan the deck and profile include, or None. Nothing is shown when there is none."""
    saved = area_profile.saved_plans(vintage, level, area)
    if saved.empty:
        return None
    labels = {str(r.id): f"{r.name} (saved {str(r.saved_at)[:16].replace('T', ' ')})"
              for r in saved.itertuples(index=False)}
    choice = st.selectbox("Saved plan in the deck and profile", [*labels, ""], key="gc20_export_plan",
                          format_func=lambda pid: labels.get(pid, "No plan"),
                          help="The plan's map, sites, equity and coverage curve get their own slides and "
                               "section. Plans are saved on the Outreach planner page.")
    return choice or None


def format_buttons(label: str, make, stem: str, key: str, formats: tuple[str, ...]) -> None:
    """One download button per format for one figure (``make(fmt) -> bytes``, built on click)."""
    c = st.columns(len(formats))
    for i, fmt in enumerate(formats):
        _button(c[i], f"{label} ({fmt.upper()})", lambda fmt=fmt: make(fmt), f"{stem}.{fmt}", fmt,
                f"{key}_{fmt}")


def chart_buttons(label: str, make, stem: str, key: str) -> None:
    """PNG and SVG buttons for one chart."""
    format_buttons(label, make, stem, key, ("png", "svg"))


def map_buttons(label: str, make, stem: str, key: str) -> None:
    """PNG, SVG and PDF buttons for one print map."""
    format_buttons(label, make, stem, key, ("png", "svg", "pdf"))


def plan_exports(data: dict, slug: str) -> None:
    """An outreach plan's print map and coverage curve."""
    map_buttons("Plan map", lambda fmt: cache.plan_map_bytes(data, fmt), f"{slug}_map", "op_export_map")
    curve = pd.DataFrame(data.get("curve") or [])
    if len(curve) > 1:
        objective = data["siting"].get("objective", "mclp")
        chart_buttons("Mean distance curve" if objective == "pmedian" else "Coverage curve",
                      lambda fmt: charts.coverage_curve_chart(
                          curve, fmt, area_name=str(data.get("area_name", "")),
                          chosen_k=int(data["request"]["k"]), objective=objective,
                          unit=data["siting"].get("unit", "m")),
                      f"{slug}_curve", "op_export_curve")
