"""Outreach planner: who lives far from services, and where k outreach sites reach the most
Core20 (or Core20PLUS) residents.

Wiring only: widgets (kept by ``ui.keep``) -> geo_core20.siting / access / plans -> maps from
geo_core20.maps.outreach. A run calls ``siting.plan``, the same function as
``python -m geo_core20 plan``; a saved plan reopens from its link (``?plan=<id>``, read by ``ui.link``).
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from geo_core20 import access, errors, plans, schema, siting, ui, venues
from geo_core20.exports import charts
from geo_core20.maps import outreach as outreach_maps
from geo_core20.ui import (
    cache,
    downloads,
    exports_panel,
    focus,
    keep,
    link,
    page,
    pages,
    panels,
    plan_form,
    plan_view,
    target,
)
from geo_core20.ui.context import PageContext
from geo_core20.ui.plan_view import K_RESULT, fmt_pop
from geo_core20.ui.text import escape_markdown

SECTIONS = ("Plan outreach", "Access to existing sites", "Saved plans")
MAP_HEIGHT = 600


def chosen_target(choice: str) -> siting.Target:
    """The planner's target: Core20, everyone, or the session's Core20PLUS target; narrowed to the
    sidebar's clinical focus population when one is chosen."""
    if choice == "plus" and target.is_set():
        return siting.Target.from_spec(target.current(), focus.current())
    return siting.Target(base="all" if choice == "all" else "core20", focus=focus.current())


def request_view(req: dict) -> link.View:
    """The view (vintage, level, area) a plan request was made for."""
    return link.View(vintage=req.get("vintage", schema.DEFAULT_VINTAGE), level=req.get("level", "england"),
                   area=req.get("area_code"))


def open_link(new: link.Link | None) -> list[str]:
    """``?plan=<id>`` in a new link (or "Open" under Saved plans): show the saved plan and set the
    controls to its request and its view, after the link set the rest (``present=1`` stays) and
    before the controls are drawn. Returns the problems to show."""
    preset = plan_form.preset_view()  # the Devon example's button: its form values and its view
    if preset:
        link.put_view(ui.View(**preset), {"vintage", "level", "area"})
    chosen = st.session_state.pop("_op_open", None)  # "Open" under Saved plans
    pid = chosen or (new.plan if new is not None else None)
    if not pid:
        return []
    try:
        saved = plans.open_store().get(pid)
    except plans.PlanStoreError as exc:
        return [f"The plan in this link could not be opened: {exc}"]
    if saved is None:
        return [f"No saved plan with id {pid[:20]!r}: it may have been deleted, or the link was cut short."]
    st.session_state[K_RESULT] = {"data": saved.data, "plan_id": saved.id, "name": saved.name}
    for key, value in plan_form.form_values(saved.data).items():
        keep.put(key, value)
    keep.put("op_section", SECTIONS[0])
    link.put_view(request_view(saved.request), {"vintage", "level", "area"})
    return []


def run_plan(ctx: PageContext, c: dict) -> None:
    if c["source"] == "sites" and not c["types"]:
        st.error("Choose at least one site type.")
        return
    if c["source"] not in ("sites", "lsoa") and (c["candidates"] is None or c["candidates"].empty):
        st.error("Upload a file of candidate venues first." if c["source"] == "upload" else
                 f"No candidate sites yet: {plan_form.SOURCES[c['source']].lower()} gave none.")
        return
    v = ctx.view
    types = () if c["source"] == "file" else c["types"]  # a sites file's sites are the plan's sites
    with st.status("Choosing sites…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting")
        try:
            result = siting.plan(
                v.vintage, v.level, v.area, chosen_target(c["target"]), types, c["radius_km"], c["k"],
                c["objective"], c["candidates"] if c["candidates"] is not None else c["source"], c["fixed"],
                c["curve_k"] or None, progress=lambda f, m: bar.progress(min(max(float(f), 0.0), 1.0), m),
                cost_model=c["od"], threshold=c["minutes"], atlas_frame=ctx.atlas,
                sites_frame=ui.sites_cached(), demand=c["demand"], demand_source=c["demand_source"],
                candidate_source=c["candidate_source"])
        except siting.ProblemTooLarge as exc:
            bar.empty()  # its last step ("Loading the atlas…") must not stay beside the refusal
            status.update(label="Problem too large", state="error", expanded=True)
            st.error(str(exc), icon=":material/block:")
            return
        except errors.InputError as exc:
            bar.empty()
            status.update(label="Could not plan", state="error", expanded=True)
            st.error(str(exc), icon=":material/error:")
            return
        st.session_state[K_RESULT] = {"data": result.to_dict(), "plan_id": None, "name": None,
                                      "run": time.time_ns()}
        s = result.siting
        status.update(label=f"Chose {len(s.chosen)} sites ({s.status}; the plan took {s.total_seconds:.1f} "
                            f"s, the solver {s.solve_seconds:.1f} s of it)", state="complete", expanded=False)


def plan_section(ctx: PageContext, c: dict) -> None:
    entry = st.session_state.get(K_RESULT)
    if entry is None:
        st.info("Choose the target, site types, radius and k above, then **Choose sites**.",
                icon=":material/touch_app:")
        return
    data, v = entry["data"], ctx.view
    if request_view(data["request"]) != link.View(v.vintage, v.level, v.area):
        st.info(f"The plan in memory is for {escape_markdown(data.get('area_name'))}; run again for "
                f"{escape_markdown(ctx.area_name)}.", icon=":material/info:")
        return
    if entry.get("plan_id"):
        st.success(f"Saved plan **{escape_markdown(entry.get('name'))}** (id `{entry['plan_id']}`).",
                   icon=":material/bookmark:")
    plan_view.figures(data)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        t1, t2 = st.columns(2)
        existing = t1.toggle("Show existing sites", key="op_show_existing", value=True)
        show_venues = t2.toggle("Show supermarkets and libraries", key="op_show_venues", value=False,
                                help="Community venues where outreach units can park. "
                                     + venues.SUPERMARKET_NOTE)
        types = tuple(data["request"].get("site_types", []))
        sites = ui.sites_in_area_cached(v.vintage, v.level, v.area, types) if existing else None
        if show_venues and v.level != "england":
            try:
                layer = cache.venue_layer_cached(v.vintage, v.level, v.area)
            except (errors.InputError, errors.DataError) as exc:  # the venues files are missing
                st.error(f"Supermarkets and libraries cannot be shown: {exc}", icon=":material/error:")
            else:
                sites = layer if sites is None else pd.concat([sites, layer], ignore_index=True)
                st.caption(f"{len(layer):,} supermarkets and libraries in the area (grey dots, named in "
                           "their tooltips). " + escape_markdown(venues.SUPERMARKET_NOTE))
        cached = ui.session_map(
            "plan", (entry.get("plan_id"), entry.get("run"), v.basemap, ctx.core20_on, existing,
                     show_venues),
            lambda: outreach_maps.plan_map(data, v.vintage, v.level, v.area, basemap=v.basemap,
                                           core20_on=ctx.core20_on, existing_sites=sites))
        ui.show_map(cached, key="op_plan_map", height=MAP_HEIGHT, legend_in=right)
    with right:
        plan_view.sites_table(data)
        plan_view.curve(data)
    plan_view.plan_downloads(entry)
    exports_panel.plan_exports(data, f"plan_{ctx.slug}")
    plan_view.save_form(entry)
    if entry.get("plan_id"):
        page.share_link(ctx, {"plan": entry["plan_id"]}, st,
                        "Link to this plan (opens the plan for anyone using this app):")


def access_section(ctx: PageContext, c: dict) -> None:
    if not c["types"]:
        st.info("Choose at least one site type.")
        return
    v, r = ctx.view, c["radius_km"]
    key = chosen_target(c["target"]).key()
    res = ui.access_cached(v.vintage, v.level, v.area, c["types"], key, r)
    cov = res.coverage
    m, reach = st.columns(4), access.format_cost(r * 1000)
    m[0].metric(f"Target within {reach}", fmt_pop(cov.covered_population),
                delta=f"{100 * cov.covered_share:.1f}%", delta_color="off", delta_arrow="off")
    m[1].metric(f"Target beyond {reach}", fmt_pop(cov.uncovered_population))
    m[2].metric("Target LSOAs beyond", f"{cov.target_lsoas - cov.covered_lsoas:,} of {cov.target_lsoas:,}")
    mean = access.format_cost(access.weighted_mean_distance(res), decimals=2)
    m[3].metric("Mean distance to nearest", mean)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        sites = ui.sites_in_area_cached(v.vintage, v.level, v.area, c["types"])
        cached = ui.session_map(
            "access", (ctx.slug, c["types"], key, r, v.basemap, ctx.core20_on),
            lambda: outreach_maps.access_map(res, v.vintage, v.level, v.area, c["types"], sites,
                                             basemap=v.basemap, core20_on=ctx.core20_on))
        ui.show_map(cached, key="op_access_map", height=MAP_HEIGHT, legend_in=right)
    with right:
        st.altair_chart(plan_view.bands_chart(res.bands), width="stretch")
        st.markdown(f"**Target LSOAs beyond {reach}** ({len(res.uncovered):,}), farthest first")
        cols = {"lsoa_code": "LSOA", "lsoa_name": "Name", "target_population": "Target residents",
                "nearest_site_name": "Nearest site", "distance_km": "km"}
        st.dataframe(res.uncovered[[x for x in cols if x in res.uncovered.columns]].rename(columns=cols),
                     hide_index=True, width="stretch", height=260,
                     column_config={"km": st.column_config.NumberColumn(format="%.1f"),
                                    "Target residents": st.column_config.NumberColumn(format="localized")})
    slug = f"access_{ctx.slug}_{r:g}km"
    notes = [f"Distance to the nearest {', '.join(c['types'])} site; target: {key}",
             *siting.attribution(v.vintage, c["types"], focus.current())]
    d = st.columns(2)
    downloads.table(d[0], "Uncovered target LSOAs", f"{slug}_uncovered", res.uncovered, notes)
    exports_panel.chart_buttons("Distance bands chart", lambda fmt: charts.distance_bands_chart(
        res.bands, fmt, area_name=ctx.area_name), f"{slug}_bands", "op_export_bands")
    downloads.table(d[1], "Distance bands", f"{slug}_bands", res.bands, notes)


def saved_section(ctx: PageContext, c: dict) -> None:
    store = plans.open_store()
    try:
        listing = store.list()
    except plans.PlanStoreError as exc:
        st.error(f"The plan store cannot be read: {exc}")
        return
    if listing.empty:
        st.info("No saved plans yet: choose sites, then **Save plan**.", icon=":material/bookmarks:")
        return
    plan_view.saved_table(listing)
    labels = dict(zip(listing["id"], listing["name"] + " · " + listing["area_name"].fillna("") + " · "
                      + listing["saved_at"].str[:16], strict=True))
    pick = st.selectbox("Plan", list(labels), format_func=labels.get, key="op_pick")
    b = st.columns([1, 1, 4])
    if b[0].button("Open", key="op_open", icon=":material/open_in_new:"):
        st.session_state["_op_open"] = pick  # opened as if by its link, before any widget exists
        st.rerun()
    if b[1].button("Delete", key="op_delete", icon=":material/delete:"):
        store.delete(pick)
        current = st.session_state.get(K_RESULT)
        if current and current.get("plan_id") == pick:
            current["plan_id"] = None
        st.rerun()


SECTION_VIEWS = dict(zip(SECTIONS, (plan_section, access_section, saved_section), strict=True))


@page.frame
def main() -> None:
    st.set_page_config(page_title="Outreach planner", page_icon=ui.page_icon(), layout="wide")
    ctx = page.context(pages.PLANNER, on_link=open_link)
    page.header(ctx, f"{ctx.area_name}: outreach planner",
                "Where should outreach (lung health check trucks, mobile vaccination, blood-pressure checks) "
                "go to reach the most Core20 residents? Distances are straight lines between LSOA "
                "population-weighted centres and sites, in British National Grid metres, unless you bring "
                "travel times (e.g. by car from a routing engine; public-transport times from a GTFS tool "
                "such as r5py or OpenTripPlanner) as an origin-destination file.")
    with st.container(border=True):
        c = plan_form.form(ctx)
        if st.button("Choose sites", type="primary", key="op_run", icon=":material/route:"):
            run_plan(ctx, c)
    section = keep.widget(st.segmented_control, "Show", SECTIONS, key="op_section", default=SECTIONS[0],
                          required=True, label_visibility="collapsed")
    SECTION_VIEWS[section](ctx, c)
    entry = st.session_state.get(K_RESULT) or {}
    shown_plan = entry.get("plan_id") if section == SECTIONS[0] else None
    st.divider()
    panels.attribution(ctx.view.vintage)
    page.finish(ctx, {"plan": shown_plan} if shown_plan else None)


main()
