"""The clinical focus ("the 5") shared by every page: sidebar picker and focus panel (``family=`` and
``focus=`` in links are read and written by ``ui.link``).

Two families: the adult Core20PLUS5 and Core20PLUS5 for children and young people (CYP). The sidebar
asks for the family first, then lists that family's five areas (a CYP focus in a link also selects
the CYP family).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo_core20 import clinical
from geo_core20.exports import charts
from geo_core20.maps import view
from geo_core20.ui import cache, downloads, exports_panel, keep, map_display, present
from geo_core20.ui.context import PageContext
from geo_core20.ui.link import ADULT, CYP, FAMILIES, K_FAMILY, K_FOCUS
from geo_core20.ui.link import NO_FOCUS as NONE
from geo_core20.ui.text import escape_markdown

K_LAYER = "focus_layer"
FAMILY_IDS = {ADULT: clinical.ADULT_FOCUS_IDS, CYP: clinical.CYP_FOCUS_IDS}
HYPERTENSION_NOTE = (
    "Why crude recorded prevalence misleads: hypertension is far more common with age, and deprived areas "
    "are on average younger, so their recorded prevalence can look *lower* even where more of the expected "
    "cases are undiagnosed. The expected register applies national age-specific rates (Health Survey for "
    "England) to each LSOA's own age structure, so recorded / expected compares like with like.")
COLUMN_LABEL = {
    "target_population": "Focus population", "population": "Residents",
    "target_per_1000": "per 1,000 residents", "residents_15_44": "Residents 15-44",
    "ethnic_minority_residents_15_44": "Ethnic minority residents 15-44",
    "registered_patients": "Registered patients (resident)", "recorded_register": "Recorded register",
    "recorded_prevalence": "Recorded prevalence", "recorded_smokers": "Recorded smokers",
    "smoking_prevalence": "Smoking prevalence", "mean_km_to_cdc": "Mean km to a CDC",
    "expected_register": "Expected register", "expected_prevalence": "Expected prevalence",
    "gap": "Expected minus recorded", "recorded_to_expected": "Recorded / expected",
}


def picker(container=None) -> str | None:
    """The sidebar's focus family choice, then that family's clinical focus select; the chosen focus id
    (None for no focus)."""
    c = container or st.sidebar
    families = list(FAMILIES)
    fam = keep.widget(c.radio, "Clinical focus for", families, key=K_FAMILY, default=ADULT, valid=families,
                      format_func=FAMILIES.get, horizontal=True,
                      help="Core20PLUS5 for adults, or Core20PLUS5 for children and young people (CYP): "
                           "each has five clinical areas.")
    options = [NONE, *FAMILY_IDS[fam]]
    label = "Clinical focus (the 5)" if fam == ADULT else "Clinical focus (the CYP 5)"
    value = keep.widget(c.selectbox, label, options, key=K_FOCUS, default=NONE,
                        valid=options, format_func=lambda f: "None" if f == NONE else clinical.FOCI[f].label,
                        help=f"One of the five clinical areas of {clinical.FAMILIES[fam]}: its "
                             "population, measures, map.")
    return None if value == NONE else value


def family() -> str:
    value = keep.get(K_FAMILY, ADULT)
    return value if value in FAMILIES else ADULT


def current() -> str | None:
    """The chosen focus (None when none, or when it is not of the chosen family: the family was just
    switched and the focus select falls back to none)."""
    value = keep.get(K_FOCUS, NONE)
    return value if value in FAMILY_IDS[family()] else None


RATES = ("target_per_1000", "recorded_prevalence", "smoking_prevalence", "mean_km_to_cdc",
         "expected_prevalence", "recorded_to_expected")
"""Measures that are rates (kept fractional); every other measure counts people (whole numbers)."""


def comparison_table(compare: pd.DataFrame) -> pd.DataFrame:
    """Rows: each area whole and its Core20 part; columns: the focus's measures, labelled; people
    are whole numbers (estimates apportioned to LSOAs are fractional: "309,684", not "309,684.019")."""
    part = compare["part"].map({"whole": "whole area", "core20": "Core20 part"})
    out = compare.drop(columns=["scope", "level", "area_code", "part", "focus"])
    out.insert(0, "Area", compare["area_name"] + " · " + part)
    out = out.drop(columns=["area_name"]).dropna(axis=1, how="all")
    for col in out.columns[1:]:
        if col not in RATES and pd.api.types.is_numeric_dtype(out[col]):
            out[col] = pd.to_numeric(out[col]).round().astype("Int64")
    return out.rename(columns=COLUMN_LABEL)


def ambition_metrics(compare: pd.DataFrame) -> None:
    """Hypertension's lead: diagnosed as a share of expected (``recorded_to_expected``) for the area,
    its Core20 part, parent and England, against the 80% ambition, with the caveat beside it."""
    ambition = clinical.hypertension.AMBITION
    rows = [(f"{r.area_name}{' · Core20 part' if r.part == 'core20' else ''}", r.recorded_to_expected)
            for r in compare.itertuples() if r.part == "whole" or r.scope == "area"]
    st.markdown(f"**Diagnosed as a share of expected hypertension** (ambition: {ambition:.0%})")
    cols = st.columns(len(rows))
    for col, (label, value) in zip(cols, rows, strict=True):
        if pd.notna(value):
            col.metric(label, f"{float(value):.1%}", f"{float(value) - ambition:+.1%} vs the ambition",
                       delta_color="normal")
    st.caption(clinical.hypertension.CAVEAT)


def panel(ctx: PageContext) -> None:
    """The focus's figures (area, parent, England; whole and Core20 part), map and data notes."""
    focus = current()
    if focus is None:
        if present.enabled():  # presenting: no sidebar to choose one in
            return
        fam = family()
        names = ", ".join(clinical.FOCI[f].label.split(" (")[0].lower() for f in FAMILY_IDS[fam])
        st.info(f"Choose a clinical focus of {clinical.FAMILIES[fam]} ({names}) in the sidebar to see "
                "its population and measures.", icon=":material/stethoscope:")
        if fam == CYP:
            cyp_plus_groups()
        return
    f, v = clinical.FOCI[focus], ctx.view
    st.subheader(f"{f.label}: {f.target_label}")
    st.caption(f"National aim: {f.aim}")
    if focus == "hypertension":
        ambition_metrics(cache.focus_compare_cached(v.vintage, v.level, v.area, focus))
    table = comparison_table(cache.focus_compare_cached(v.vintage, v.level, v.area, focus))
    pct = [c for c in table.columns if "prevalence" in c.lower() or c == "Recorded / expected"]
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        **{c: st.column_config.NumberColumn(format="localized") for c in table.columns[1:] if c not in pct},
        **{c: st.column_config.NumberColumn(format="percent") for c in pct}})
    layers = clinical.focus_layers(focus)
    layer = keep.widget(st.selectbox, "Map", list(layers), key=K_LAYER, default=list(layers)[0],
                        valid=list(layers), format_func=layers.get)
    cached = cache.focus_layer_map_cached(v.vintage, v.level, v.area, focus, layer, v.basemap, ctx.core20_on)
    map_display.show_map(cached, key="focus_map", height=560)
    if focus == "hypertension":
        st.info(HYPERTENSION_NOTE, icon=":material/monitor_heart:")
    st.warning(f"{f.not_in_data} {f.local_upload}", icon=":material/visibility_off:")
    notes = [f"{f.label}: {f.target_label}", clinical.focus.LAYER_NOTE, *view.attribution_lines(v.vintage),
             *clinical.attribution(focus)]
    downloads.table(st, "Focus figures", f"focus_{focus}_{ctx.slug}", table, notes, key="focus_csv")
    compare = cache.focus_compare_cached(v.vintage, v.level, v.area, focus)
    stem = f"focus_{focus}_{layer}_{ctx.slug}"
    exports_panel.map_buttons("Focus map", lambda fmt: cache.focus_map_bytes(
        v.vintage, v.level, v.area, focus, layer, fmt), stem, "focus_export_map")
    exports_panel.chart_buttons("Focus comparison chart", lambda fmt: charts.focus_compare_chart(
        compare, fmt, label=f.target_label), f"focus_{focus}_{ctx.slug}", "focus_chart")
    if f.family == CYP:
        cyp_plus_groups()
    st.caption(escape_markdown(" ".join(dict.fromkeys(clinical.attribution(focus)))))


def cyp_plus_groups() -> None:
    """The PLUS groups of Core20PLUS5 for children and young people, with what open data holds."""
    st.markdown("**PLUS groups for children and young people**")
    st.dataframe(pd.DataFrame({"Group": list(clinical.CYP_PLUS_GROUPS),
                               "What open data holds": list(clinical.CYP_PLUS_GROUPS.values())}),
                 hide_index=True, width="stretch")


def accelerator_banner(ctx: PageContext) -> None:
    """When the view is an accelerator site's ICB with its focus: the preset's caption and data note."""
    if ctx.view.level != "icb":
        return
    for a in clinical.ACCELERATORS.values():
        if a.icb_code == ctx.view.area and a.focus == current():
            st.info(escape_markdown(f"{a.ics}: {a.caption}"), icon=":material/flag:")
