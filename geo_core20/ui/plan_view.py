"""Showing an outreach plan: figures, map, chosen sites, the objective's curve, downloads, saving.

Everything is drawn from the plan's record (``PlanResult.to_dict()``), so a saved plan
reopened by its link shows exactly what was saved.
"""

from __future__ import annotations

import json
import textwrap

import altair as alt
import pandas as pd
import streamlit as st

from geo_core20 import access, plans, siting
from geo_core20.maps import palette
from geo_core20.ui import downloads
from geo_core20.ui.text import escape_markdown

K_RESULT = "op_result"  # {"data": plan record, "plan_id": str | None, "name": str | None, "run": int}


def fmt_pop(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


CURVE_Y_TITLE = {
    # two lines each: one line of the p-median title was longer than the chart is high and was cut
    # off ("...nearest site (km" with the bracket gone); Vega draws a list as lines
    "pmedian": ["Mean distance to the", "nearest site (km)"],
    "mclp": ["Share of the target", "within reach"],
    "pmedian_time": ["Mean travel time to the", "nearest site (min)"],
}
CURVE_PADDING = {"left": 8, "top": 5, "right": 5, "bottom": 5}  # room for the title's first line's ascent


def curve_chart(curve: pd.DataFrame, k: int, objective: str, unit: str = "m") -> alt.Chart:
    """What the objective optimises, for k = 1..K: coverage (MCLP) or mean distance (p-median; in km,
    or in minutes when the plan's cost is travel time)."""
    curve = curve[curve["k"] > 0]
    x = alt.X("k:O", title="Number of sites (k)", axis=alt.Axis(labelAngle=0))
    colour = alt.condition(alt.datum.k == k, alt.value(palette.CHOSEN_SITE_COLOUR),
                           alt.value(palette.CURVE_OTHER_K))
    if objective == "pmedian" and "mean_cost" in curve:
        if unit == "m":
            km, title, tip = curve.assign(mean_km=curve["mean_cost"] / 1000), "pmedian", "Mean distance (km)"
        else:
            km, title, tip = curve.assign(mean_km=curve["mean_cost"]), "pmedian_time", f"Mean time ({unit})"
        return alt.Chart(km).mark_bar().encode(
            x=x, y=alt.Y("mean_km:Q", title=CURVE_Y_TITLE[title]), color=colour,
            tooltip=[alt.Tooltip("k:O"), alt.Tooltip("mean_km:Q", title=tip, format=".2f")],
        ).properties(height=280, padding=CURVE_PADDING)
    return alt.Chart(curve).mark_bar().encode(
        x=x, y=alt.Y("covered_share:Q", title=CURVE_Y_TITLE["mclp"], axis=alt.Axis(format="%")),
        color=colour,
        tooltip=[alt.Tooltip("k:O"), alt.Tooltip("covered_population:Q", title="Covered", format=",.0f"),
                 alt.Tooltip("added_population:Q", title="Added by the k-th site", format=",.0f"),
                 alt.Tooltip("covered_share:Q", title="Share covered", format=".1%")],
    ).properties(height=280, padding=CURVE_PADDING)


CURVE_NOTE = {
    "mclp": "Share of the target within reach of the best k sites, for each k (the best sites for k need "
            "not include the best for k-1). Where the bars flatten, extra sites add little.",
    "pmedian": "Demand-weighted mean distance (or time) to the nearest site with the best k sites, for "
               "each k: what p-median minimises. Where the bars flatten, extra sites add little.",
}


def figures(data: dict) -> None:
    s, req = data["siting"], data["request"]
    unit = s.get("unit", "m")
    reach = access.format_cost(s["radius"], unit)
    c = st.columns(5)
    c[0].metric("Target residents covered", fmt_pop(s["covered_population"]),
                delta=f"{100 * (s['covered_share'] or 0):.1f}% of the target", delta_color="off",
                delta_arrow="off",
                help=f"Target residents living within {reach} of a chosen (or already open) site.")
    c[1].metric("Target population", fmt_pop(s["total_target_population"]),
                help=escape_markdown(data.get("target_label", "")))
    c[2].metric("Sites chosen", f"{len(s['chosen'])}" + (f" + {len(s['fixed'])} open" if s["fixed"] else ""))
    if req.get("site_types"):  # a sites file's plan compares with no site types: nothing to show
        c[3].metric("Existing sites cover", f"{100 * data['existing']['covered_share']:.1f}%",
                    help=f"All existing sites of the chosen types within {reach}: "
                         f"{fmt_pop(data['existing']['covered_population'])} target residents.")
    equity = data.get("equity")
    if equity and equity.get("core20_reach_share") is not None:
        c[4].metric("Core20 residents reached", f"{100 * equity['core20_reach_share']:.1f}%",
                    delta=f"{equity['reach_gap_points']:+.1f} pts vs others", delta_color="off",
                    help=escape_markdown(equity.get("label", "")))
    elif equity:  # a plan saved before the reach comparison
        gap = 100 * (equity["covered_core20_share"] - equity["target_core20_share"])
        c[4].metric("Covered who live in Core20", f"{100 * equity['covered_core20_share']:.1f}%",
                    delta=f"{gap:+.1f} pts vs the target", delta_color="off",
                    help=escape_markdown(equity.get("label", "")))
    judge_figures(data)
    size = s.get("problem_size", {})
    solver = f"solver {s['status']}" + (f" (gap {100 * s['gap']:.2f}%)" if s.get("gap") else "")
    timing = f"solver {s['solve_seconds']:.1f} s"
    if s.get("total_seconds") is not None:
        timing += f" of {s['total_seconds']:.1f} s for the whole plan"
    st.caption(escape_markdown(
        f"{siting.OBJECTIVE_LABEL[s['objective']]} · radius {reach} · {solver} · {timing} · "
        f"{size.get('target_lsoas', 0):,} target LSOAs, {size.get('candidates_considered', 0):,} candidates "
        f"· {data.get('target_label', '')} · k = {req['k']}"))
    for warning in s.get("warnings") or data.get("warnings") or []:
        st.warning(escape_markdown(warning), icon=":material/info:")


def judge_figures(data: dict) -> None:
    """The figures people judge a plan by (lokigi's): over the demand, to the nearest open site."""
    s = data["siting"]
    if s.get("p90_cost") is None and s.get("max_cost") is None:
        return  # a plan saved before these figures existed
    unit = s.get("unit", "m")
    reach = access.format_cost(s["radius"], unit)
    c = st.columns(5)
    c[0].metric("Mean to nearest site", access.format_cost(s.get("mean_cost"), unit, decimals=1, missing="–"),
                help="Demand-weighted mean over the demand that can reach a site.")
    c[1].metric("90th percentile", access.format_cost(s.get("p90_cost"), unit, decimals=1, missing="–"),
                help="90% of the demand (that can reach a site) is this close or closer.")
    c[2].metric("Maximum", access.format_cost(s.get("max_cost"), unit, decimals=1, missing="–"),
                help="The farthest demand that can reach a site.")
    c[3].metric("Unreachable", f"{100 * (s.get('unreachable_share') or 0):.1f}%",
                help="Share of the demand that can reach no open site (e.g. no bus route in the "
                     "travel-time file).")
    c[4].metric(f"Within {reach}", f"{100 * (s.get('covered_share') or 0):.1f}%",
                help=f"Share of the demand within {reach} of an open site (fixed and chosen).")
    if data["request"].get("demand_source"):
        st.caption(escape_markdown(f"Demand: {data['request']['demand_source']} (the user's own figures, "
                                   "stored with the plan)."))


SITE_TEXT_PX = {"Site": 140, "Where": 180}
"""Widths (px) of the site table's text columns: a long venue name or address wraps within them. The
table sits beside the map in a ~360 px column: "#", the name and where it is fill it (the numbers
follow, scrolled to)."""
_PX_PER_CHAR = 7.2  # the grid's 14 px sans-serif, a little wide on average so a line is never overfull
_LINE_PX, _WRAP_MIN_PX = 20, 65  # the grid wraps text only in rows taller than 4rem (64 px)


def site_row_height(table: pd.DataFrame) -> int | None:
    """The site table's row height: None (one line) when every name and address fits its column,
    else tall enough to show the longest one in full, wrapped (the grid cuts one-line text with "…")."""
    lines = 1
    for col, px in SITE_TEXT_PX.items():
        per_line = max(8, int(px / _PX_PER_CHAR))
        for text in table[col].fillna("").astype(str):
            lines = max(lines, len(textwrap.wrap(text, per_line, break_on_hyphens=False)) or 1)
    return None if lines == 1 else max(_WRAP_MIN_PX, 10 + _LINE_PX * lines)


def sites_table(data: dict) -> None:
    s = data["siting"]
    sites = pd.DataFrame([*s["fixed"], *s["chosen"]])
    if not len(sites):
        return
    table = pd.DataFrame({
        "#": ["F" if f else str(r) for f, r in zip(sites["fixed"], sites["rank"], strict=True)],
        "Site": sites["name"], "Where": siting.site_where(sites),
        # estimated people (a focus population) are fractional: whole people in the table
        "In reach": sites["covered_population"].astype(float).round(0),
        "Only here": sites["unique_population"].astype(float).round(0),
        "Nearest for": sites["assigned_population"].astype(float).round(0),
        "Code": sites["candidate_id"]})
    helps = {"In reach": "Target residents within reach of this site",
             "Only here": "Target residents no other chosen or open site reaches",
             "Nearest for": "Target residents for whom this is the nearest site"}
    row_h = site_row_height(table)
    config = {c: st.column_config.NumberColumn(c, help=h, format="localized", width="small")
              for c, h in helps.items()}
    config |= {c: st.column_config.TextColumn(c, width=px) for c, px in SITE_TEXT_PX.items()}
    config["#"] = st.column_config.TextColumn("#", width=32)  # (not pinned: the grid greys pinned text)
    row_px = row_h or 36  # one header row, then the rows (scrolling past 420 px, or eight tall rows)
    height = min(36 + row_px * len(table) + 4, max(420, 36 + row_px * 8 + 4))
    st.dataframe(table, hide_index=True, width="stretch", height=height, row_height=row_h,
                 column_config=config)


def curve(data: dict) -> None:
    frame = pd.DataFrame(data.get("curve") or [])
    if len(frame) > 1:
        objective = data["siting"]["objective"]
        st.altair_chart(curve_chart(frame, int(data["request"]["k"]), objective,
                                    data["siting"].get("unit", "m")), width="stretch")
        st.caption(CURVE_NOTE.get(objective, ""))


def bands_chart(bands: pd.DataFrame) -> alt.Chart:
    order = list(bands["band"])
    return alt.Chart(bands).mark_bar().encode(
        x=alt.X("band:N", sort=order, title="Distance to the nearest site", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("target_population:Q", title="Target residents"),
        color=alt.Color("band:N", sort=order, legend=None,
                        scale=alt.Scale(domain=order, range=list(palette.BAND_COLOURS))),
        tooltip=[alt.Tooltip("band:N", title="Band"), alt.Tooltip("lsoas:Q", title="LSOAs"),
                 alt.Tooltip("target_population:Q", title="Target residents", format=",.0f"),
                 alt.Tooltip("share:Q", title="Share", format=".1%")]).properties(height=260)


def plan_downloads(entry: dict) -> None:
    data = entry["data"]
    saved = plans.SavedPlan(entry.get("plan_id") or "unsaved", entry.get("name") or "Unsaved plan",
                            data.get("created_at", ""), data)
    slug = plans.export_filename(saved, "").rstrip(".")
    d = st.columns(3)
    downloads.table_files(d[0], "Plan sites", slug, lambda: plans.to_csv(saved), lambda: plans.to_xlsx(saved))
    d[1].download_button("Plan (GeoPackage)", lambda: plans.to_geopackage(saved), file_name=f"{slug}.gpkg",
                         mime="application/geopackage+sqlite3", on_click="ignore", icon=":material/map:",
                         help="Opens in QGIS: chosen sites, target LSOAs (with distance) and plan details.")
    d[2].download_button("Plan (JSON)", lambda: json.dumps(data, indent=1).encode("utf-8"),
                         file_name=f"{slug}.json", mime="application/json", on_click="ignore",
                         icon=":material/data_object:")
    command = plans.cli_command(data["request"])
    if command:
        st.caption("Reproduce from the command line:")
        st.code(command, language="bash", wrap_lines=True)


_K_NAME_DEFAULT = "_op_save_name_default"


def default_name(data: dict) -> str:
    """A plan's default name, from its settings: area, k (+ fixed), objective, reach."""
    req, s = data["request"], data.get("siting") or {}
    fixed = f" + {len(s['fixed'])} open" if s.get("fixed") else ""
    radius = access.format_cost(s.get("radius"), s.get("unit", "m"), missing="")
    reach = f" within {radius}" if req.get("objective") == "mclp" and radius else ""
    label = {"mclp": "MCLP", "pmedian": "p-median"}.get(req.get("objective"), req.get("objective"))
    return f"{data.get('area_name', 'Plan')}: {req['k']} sites{fixed}, {label}{reach}"[:plans.MAX_NAME]


def save_form(entry: dict) -> None:
    data = entry["data"]
    # not a form: a name typed there would reach the app only on submit, so a rerun could not tell it
    # from the default it must follow
    with st.container(border=True):
        st.markdown("**Save this plan**")
        default = default_name(data)
        shown = st.session_state.get(_K_NAME_DEFAULT)
        if "op_save_name" not in st.session_state or st.session_state["op_save_name"] == shown:
            st.session_state["op_save_name"] = default  # not typed by the user: follow the plan's settings
        st.session_state[_K_NAME_DEFAULT] = default
        # no help icon: its "Help for Plan name" button would share the field's label
        # its value as its own default too: a browser that missed the run that set it shows it (ui.keep)
        name = st.text_input("Plan name", max_chars=plans.MAX_NAME, key="op_save_name",
                             value=st.session_state["op_save_name"])
        if st.button("Save plan", key="op_save", icon=":material/bookmark_add:", type="primary"):
            try:
                pid = plans.open_store().save(data, name)
                saved = plans.open_store().get(pid)
            except (ValueError, plans.PlanStoreError, OSError) as exc:
                st.error(f"Could not save the plan: {exc}")
                return
            st.session_state[K_RESULT] = {"data": saved.data, "plan_id": pid, "name": saved.name}
            st.rerun()


def saved_table(listing: pd.DataFrame) -> None:
    shown = listing[["name", "area_name", "target_label", "objective", "radius_km", "k", "covered_population",
                     "covered_share", "saved_at", "id"]]
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={"name": "Plan", "area_name": "Area", "target_label": "Target",
                                "radius_km": st.column_config.NumberColumn("Radius (km)"),
                                "covered_population": st.column_config.NumberColumn("Covered",
                                                                                    format="localized"),
                                "covered_share": st.column_config.NumberColumn("Share", format="percent"),
                                "saved_at": "Saved (UTC)", "id": "Id"})
