"""Outreach planner: who lives far from services, and where k outreach sites reach the most
Core20 (or Core20PLUS) residents.

Thin by design: sidebar and widgets -> geo_core20.access / siting / plans -> maps built by
geo_core20.maps.outreach. A run calls `siting.plan`, the same function as
``python -m geo_core20 plan``; what the page shows is drawn from the plan's JSON, so a saved
plan reopened by its link (``?plan=<id>``) shows exactly what was saved.
"""

from __future__ import annotations

import json
import shlex
import time
from urllib.parse import urlencode

import altair as alt
import folium
import pandas as pd
import streamlit as st

from geo_core20 import access, areas, atlas, plans, plus, schema, siting, ui, uploads
from geo_core20.maps import outreach as outreach_maps
from geo_core20.maps.outreach import BAND_COLOURS, CHOSEN_COLOUR
from geo_core20.safety import csv_safe_frame, escape_html
from geo_core20.ui import mapview as mapview_ui
from geo_core20.ui import panels, state

st.set_page_config(page_title="Outreach planner", page_icon=ui.page_icon(), layout="wide")

SECTIONS = ("Plan outreach", "Access to existing sites", "Saved plans")
K_SECTION = "op_section"
K_RESULT = "op_result"  # {"data": PlanResult.to_dict(), "plan_id": str | None, "name": str | None}
K_TARGET, K_TYPES, K_SOURCE = "op_target", "op_types", "op_source"
K_RADIUS, K_K, K_OBJECTIVE, K_CURVE, K_FIXED = "op_radius", "op_k", "op_objective", "op_curve", "op_fixed"
K_UPLOAD, K_VENUES = "op_upload", "op_venues"
K_LINK_SEEN, K_LINK_PROBLEM = "_op_link_seen", "_op_link_problem"
K_SAVED_FLASH = "_op_saved_flash"
TARGETS = {"core20": "Core20 residents (IMD deciles 1-2)", "all": "All residents",
           "plus": "Core20PLUS target (from the PLUS layers page)"}
SOURCES = {"sites": "Existing sites of the chosen types", "lsoa": "LSOA population-weighted centres",
           "upload": "Uploaded venues (CSV/Excel)"}
MAP_HEIGHT = 600


# --- cached data -----------------------------------------------------------------------------------

@st.cache_resource(show_spinner="Loading service sites…")
def sites_cached() -> pd.DataFrame:
    return atlas.load_sites()


@st.cache_data(show_spinner=False, max_entries=64)
def sites_in_area_cached(vintage: str, level: str, area: str | None, types: tuple[str, ...]) -> pd.DataFrame:
    """Sites of ``types`` located in the area (all of England: every site)."""
    sites = sites_cached()
    typed = sites[sites["site_type"].isin(list(types))]
    if level == "england":
        return pd.DataFrame(typed.drop(columns="geometry"))
    gdf = ui.load_atlas_cached(vintage)
    found = siting.sites_in_area(typed, gdf[areas.mask(gdf, level, area).to_numpy()])
    return pd.DataFrame(found.drop(columns="geometry"))


@st.cache_data(show_spinner="Measuring distances to the nearest site…", max_entries=32)
def access_cached(vintage: str, level: str, area: str | None, types: tuple[str, ...], target: str,
                  radius_km: float) -> access.AccessResult:
    gdf = ui.load_atlas_cached(vintage)
    sub = gdf[areas.mask(gdf, level, area).to_numpy()]
    sites = sites_cached()
    typed = sites[sites["site_type"].isin(list(types))]  # every site: people cross area boundaries
    weights, _ = siting.resolve_target(sub, target_value(target))
    return access.analyse(sub, typed, threshold=radius_km * 1000, weights=weights)


# --- target ----------------------------------------------------------------------------------------

def plus_spec() -> plus.TargetSpec | None:
    """The Core20PLUS target built on the PLUS layers page in this session, if any."""
    conditions = st.session_state.get("plus_conditions") or []
    if not conditions:
        return None
    try:
        return plus.TargetSpec(st.session_state.get("plus_base", "core20"),
                               st.session_state.get("plus_combine", "and"), tuple(conditions)).validate()
    except plus.TargetError:
        return None


def target_value(key: str) -> object:
    """The target for `siting.plan`: "core20", "all", or a plus.TargetSpec (from its key)."""
    if key in ("core20", "all"):
        return key
    if key == "plus":
        spec = plus_spec()
        return spec if spec is not None else "core20"
    params = dict(p.split("=", 1) for p in key.split("&") if "=" in p)
    return plus.TargetSpec.from_query_params(params) or "core20"


def target_key(value: object) -> str:
    return siting._target_key(value)


# --- opening a plan by its link ----------------------------------------------------------------------

def open_plan(saved: plans.SavedPlan) -> None:
    """Show a saved plan and set the controls to its request (so Run reproduces it)."""
    req = saved.request
    st.session_state[K_RESULT] = {"data": saved.data, "plan_id": saved.id, "name": saved.name}
    st.session_state[K_TYPES] = [t for t in req.get("site_types", []) if t in schema.SITE_TYPES]
    st.session_state[K_RADIUS] = float(req.get("radius_km") or 3.0)
    st.session_state[K_K] = int(req.get("k") or 5)
    st.session_state[K_OBJECTIVE] = req.get("objective", "mclp")
    target = str(req.get("target", "core20"))
    st.session_state[K_TARGET] = target if target in ("core20", "all") else "plus"
    source = req.get("candidates", "sites")
    st.session_state[K_SOURCE] = source if source in SOURCES else "sites"
    st.session_state[K_FIXED] = list(req.get("fixed_site_codes", []))
    curve = saved.data.get("curve") or []
    st.session_state[K_CURVE] = max((int(r["k"]) for r in curve), default=0)
    st.session_state[K_SECTION] = SECTIONS[0]


def open_link() -> None:
    """Open ``?plan=<id>`` once per link: the plan's own view goes into the URL, so the
    sidebar (which reads vintage, level and area from the URL) selects the plan's area."""
    pid = st.query_params.get("plan")
    if not pid or pid == st.session_state.get(K_LINK_SEEN):
        return
    st.session_state[K_LINK_SEEN] = pid
    try:
        saved = plans.PlanStore().get(pid)
    except plans.PlanStoreError as exc:
        st.session_state[K_LINK_PROBLEM] = f"The plan in this link could not be opened: {exc}"
        return
    if saved is None:
        st.session_state[K_LINK_PROBLEM] = (f"No saved plan with id {escape_html(pid[:20])}: it may have "
                                            "been deleted, or the link was cut short.")
        return
    open_plan(saved)
    req = saved.request
    view = state.View(vintage=req.get("vintage", "2025"), level=req.get("level", "england"),
                      area=req.get("area_code"))
    st.query_params.from_dict(state.view_params(view))


def share_link(view: state.View, plan_id: str) -> str:
    try:
        base = (st.context.url or "").split("?")[0]
    except AttributeError:
        base = ""
    return f"{base}?{urlencode({**state.view_params(view), 'plan': plan_id})}"


def result_matches(data: dict, view: state.View) -> bool:
    req = data.get("request", {})
    return (req.get("vintage"), req.get("level"), req.get("area_code")) == (view.vintage, view.level,
                                                                            view.area)


# --- maps ------------------------------------------------------------------------------------------

def plan_map(data: dict, view: state.View, core20_on: bool, show_existing: bool) -> folium.Map:
    """The plan's map (see maps.outreach.plan_map), with this session's cached existing sites."""
    existing = (sites_in_area_cached(view.vintage, view.level, view.area,
                                     tuple(data["request"].get("site_types", []))) if show_existing else None)
    return outreach_maps.plan_map(data, view.vintage, view.level, view.area, basemap=view.basemap,
                                  core20_on=core20_on, existing_sites=existing)


def access_map(res: access.AccessResult, view: state.View, types: tuple[str, ...],
               core20_on: bool) -> folium.Map:
    sites = sites_in_area_cached(view.vintage, view.level, view.area, types)
    return outreach_maps.access_map(res, view.vintage, view.level, view.area, types, sites,
                                    basemap=view.basemap, core20_on=core20_on)


def show(cached: mapview_ui.CachedMap, key: str) -> None:
    """Draw a map rendered once when built: st_folium renames a map's elements each time it
    renders it, so re-rendering one folium.Map on a rerun breaks its script."""
    ui.show_map(cached, key=key, height=MAP_HEIGHT)


def cached_map(slot: str, key: tuple, build) -> mapview_ui.CachedMap:
    """One map per page slot per session, built and rendered only when what it shows changes."""
    held = st.session_state.get(f"_op_map_{slot}")
    if held is not None and held[0] == key:
        return held[1]
    with st.spinner("Drawing the map…"):
        cached = mapview_ui.prepare(build())
    st.session_state[f"_op_map_{slot}"] = (key, cached)
    return cached


# --- result display ---------------------------------------------------------------------------------

def fmt_pop(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def curve_chart(curve: pd.DataFrame, k: int) -> alt.Chart:
    curve = curve.assign(chosen=curve["k"] == k)
    base = alt.Chart(curve[curve["k"] > 0])
    bars = base.mark_bar(color="#9ecae1").encode(
        x=alt.X("k:O", title="Number of sites (k)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("added_population:Q", title="Target residents added by the k-th site"),
        tooltip=[alt.Tooltip("k:O"), alt.Tooltip("added_population:Q", title="Added", format=",.0f"),
                 alt.Tooltip("covered_population:Q", title="Covered", format=",.0f"),
                 alt.Tooltip("covered_share:Q", title="Share covered", format=".1%")])
    line = base.mark_line(point=True, color=CHOSEN_COLOUR).encode(
        x="k:O", y=alt.Y("covered_share:Q", title="Share of the target covered", axis=alt.Axis(format="%")))
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=280)


def show_result(entry: dict, view: state.View, core20_on: bool) -> None:
    data = entry["data"]
    s, req = data["siting"], data["request"]
    unit = s.get("unit", "m")
    radius_text = f"{req.get('radius_km')} km" if unit == "m" else f"{s['radius']:g} {unit}"
    if entry.get("plan_id"):
        st.success(f"Saved plan **{escape_html(entry.get('name'))}** (id `{entry['plan_id']}`).",
                   icon=":material/bookmark:")
    c = st.columns(5)
    c[0].metric("Target residents covered", fmt_pop(s["covered_population"]),
                delta=f"{100 * (s['covered_share'] or 0):.1f}% of the target", delta_color="off",
                delta_arrow="off",
                help=f"Target residents living within {radius_text} of a chosen (or already open) site.")
    c[1].metric("Target population", fmt_pop(s["total_target_population"]),
                help=escape_html(data.get("target_label", "")))
    c[2].metric("Sites chosen", f"{len(s['chosen'])}" + (f" + {len(s['fixed'])} open" if s["fixed"] else ""))
    mean = s.get("mean_cost")
    c[3].metric("Mean distance to nearest", "–" if mean is None else
                f"{mean / 1000:.1f} km" if unit == "m" else f"{mean:.1f} {unit}",
                help="Population-weighted, over the target, to the nearest chosen or already open site.")
    c[4].metric("Existing sites cover", f"{100 * data['existing']['covered_share']:.1f}%",
                help=f"All existing sites of the chosen types (anywhere, people cross boundaries) within "
                     f"{radius_text}: {fmt_pop(data['existing']['covered_population'])} target residents. "
                     f"With the chosen sites added: {fmt_pop(data['combined']['covered_population'])}.")
    size = s.get("problem_size", {})
    st.caption(f"{siting.OBJECTIVE_LABEL[s['objective']]} · radius {radius_text} · solver: {s['status']}"
               + (f" (gap {100 * s['gap']:.2f}%)" if s.get("gap") else "")
               + f" in {s['solve_seconds']:.1f} s · {size.get('target_lsoas', 0):,} target LSOAs, "
               f"{size.get('candidates_considered', 0):,} candidates · "
               f"{escape_html(data.get('target_label'))}")
    left, right = st.columns([3, 2], gap="medium")
    with left:
        show_existing = st.toggle("Show existing sites", key="op_show_existing", value=True)
        key = (entry.get("plan_id"), entry.get("run"), view.basemap, core20_on, show_existing)
        show(cached_map("plan", key, lambda: plan_map(data, view, core20_on, show_existing)), "op_plan_map")
    with right:
        sites = pd.DataFrame([*s["fixed"], *s["chosen"]])
        if len(sites):
            table = pd.DataFrame({
                "#": ["F" if f else str(r) for f, r in zip(sites["fixed"], sites["rank"], strict=True)],
                "Site": sites["name"], "Target within reach": sites["covered_population"],
                "Only this site reaches": sites["unique_population"],
                "Nearest site for": sites["assigned_population"], "Code": sites["candidate_id"]})
            st.dataframe(table, hide_index=True, width="stretch", height=min(36 * (len(table) + 1) + 4, 420),
                         column_config={c: st.column_config.NumberColumn(format="localized")
                                        for c in ("Target within reach", "Only this site reaches",
                                                  "Nearest site for")})
        curve = pd.DataFrame(data.get("curve") or [])
        if len(curve) > 1:
            st.altair_chart(curve_chart(curve, int(req["k"])), width="stretch")
            st.caption("Bars: what each extra site adds when every k is chosen optimally (the best sites "
                       "for k need not include the best for k-1). Line: share of the target covered.")
    downloads(entry, view)


def downloads(entry: dict, view: state.View) -> None:
    data = entry["data"]
    saved = plans.SavedPlan(entry.get("plan_id") or "unsaved", entry.get("name") or "Unsaved plan",
                            data.get("created_at", ""), data)
    req = data["request"]
    slug = plans.export_filename(saved, "").rstrip(".")
    d = st.columns(3)
    d[0].download_button("Plan sites (CSV)", lambda: plans.to_csv(saved).encode("utf-8-sig"),
                         file_name=f"{slug}.csv", mime="text/csv", on_click="ignore", icon=":material/table:",
                         help="Chosen sites with their figures; plan details and attribution first.")
    d[1].download_button("Plan (GeoPackage)", lambda: plans.to_geopackage(saved), file_name=f"{slug}.gpkg",
                         mime="application/geopackage+sqlite3", on_click="ignore", icon=":material/map:",
                         help="Opens in QGIS: chosen sites, target LSOAs (with distance) and plan details.")
    d[2].download_button("Plan (JSON)", lambda: json.dumps(data, indent=1).encode("utf-8"),
                         file_name=f"{slug}.json", mime="application/json", on_click="ignore",
                         icon=":material/data_object:")
    if req.get("candidates") in ("sites", "lsoa") and "=" not in str(req.get("target")):
        cmd = ["python", "-m", "geo_core20", "plan", "--vintage", req["vintage"], "--level", req["level"]]
        if req.get("area_code"):
            cmd += ["--area", req["area_code"]]
        cmd += ["--target", req["target"], "--sites", ",".join(req["site_types"]), "--radius-km",
                f"{req['radius_km']:g}", "--k", str(req["k"]), "--objective", req["objective"],
                "--candidates", req["candidates"]]
        if req.get("fixed_site_codes"):
            cmd += ["--fixed", ",".join(req["fixed_site_codes"])]
        st.caption("Reproduce from the command line:")
        st.code(shlex.join(cmd), language="bash", wrap_lines=True)


def save_form(entry: dict, view: state.View) -> None:
    data = entry["data"]
    with st.form("op_save_form", border=True):
        st.markdown("**Save this plan**")
        req = data["request"]
        default = f"{data.get('area_name', 'Plan')}: {req['k']} sites, {req['objective']}"
        name = st.text_input("Plan name", value=default[:plans.MAX_NAME], max_chars=plans.MAX_NAME,
                             key="op_save_name")
        if st.form_submit_button("Save plan", icon=":material/bookmark_add:", type="primary"):
            try:
                pid = plans.PlanStore().save(data, name)
            except (ValueError, plans.PlanStoreError, OSError) as exc:
                st.error(f"Could not save the plan: {exc}")
                return
            saved = plans.PlanStore().get(pid)
            st.session_state[K_RESULT] = {"data": saved.data, "plan_id": pid, "name": saved.name}
            st.session_state[K_LINK_SEEN] = pid
            st.session_state[K_SAVED_FLASH] = pid
            st.rerun()
    pid = entry.get("plan_id")
    if pid:
        st.caption("Link to this plan (opens the plan for anyone using this app):")
        st.code(share_link(view, pid), language=None, wrap_lines=True)


# --- page -------------------------------------------------------------------------------------------

open_link()
st.sidebar.title("Outreach planner")
view, core20_on, problems = ui.view_controls(with_shading=False)
ui.warm_caches(view.vintage)
area_name = panels.area_title(view.vintage, view.level, view.area)
st.title(f"{area_name}: outreach planner")
st.caption(f"{schema.IMD_LABEL[view.vintage]} · Where should outreach (lung health check trucks, mobile "
           "vaccination, blood-pressure checks) go to reach the most Core20 residents? Distances are "
           "straight lines between LSOA population-weighted centres and sites, in British National Grid "
           "metres.")
for p in problems:
    st.warning(p, icon=":material/link_off:")
if st.session_state.get(K_LINK_PROBLEM):
    st.warning(st.session_state.pop(K_LINK_PROBLEM), icon=":material/link_off:")
if not ui.assets_ready():
    st.error("The map's JavaScript/CSS is not installed, so maps cannot draw. Run "
             "`python -m geo_core20 assets` and reload.")

st.session_state.setdefault(K_TYPES, ["gp", "pharmacy"])
st.session_state.setdefault(K_TARGET, "core20")
st.session_state.setdefault(K_SOURCE, "sites")
st.session_state.setdefault(K_RADIUS, 3.0)
st.session_state.setdefault(K_K, 5)
st.session_state.setdefault(K_OBJECTIVE, "mclp")
st.session_state.setdefault(K_CURVE, 10)
st.session_state.setdefault(K_FIXED, [])

with st.container(border=True):
    r1 = st.columns([2, 2, 2, 1])
    target_choice = r1[0].selectbox("Target population", list(TARGETS), key=K_TARGET, format_func=TARGETS.get)
    types = tuple(r1[1].multiselect("Site types", list(schema.SITE_TYPES), key=K_TYPES,
                                    format_func=schema.SITE_TYPES.get,
                                    help="Existing services to measure access to; also the candidate "
                                         "venues when candidates are existing sites."))
    source = r1[2].selectbox("Candidate locations", list(SOURCES), key=K_SOURCE, format_func=SOURCES.get)
    radius_km = r1[3].number_input("Radius (km)", min_value=0.5, max_value=30.0, step=0.5, key=K_RADIUS)
    r2 = st.columns([1, 2, 1, 3])
    k = int(r2[0].number_input("Sites to choose (k)", min_value=1, max_value=siting.MAX_K, step=1, key=K_K))
    objective = r2[1].radio("Objective", list(siting.OBJECTIVES), key=K_OBJECTIVE,
                            format_func=siting.OBJECTIVE_LABEL.get,
                            help="MCLP: most target residents within the radius. p-median: least average "
                                 "distance to the nearest site (everyone counts, however far).")
    curve_k = int(r2[2].number_input("Curve up to k", min_value=0, max_value=siting.MAX_K, step=1,
                                     key=K_CURVE,
                                     help="Also solve k = 1..K to show what each extra site adds (0: skip)."))
    area_sites = sites_in_area_cached(view.vintage, view.level, view.area, tuple(schema.SITE_TYPES)) \
        if view.level != "england" else pd.DataFrame(columns=["site_code", "site_name", "site_type"])
    names = dict(zip(area_sites["site_code"], area_sites["site_name"], strict=True))
    kinds = dict(zip(area_sites["site_code"], area_sites["site_type"], strict=True))
    st.session_state[K_FIXED] = [c for c in st.session_state[K_FIXED] if c in names]
    fixed = r2[3].multiselect("Already open (kept; k sites are added to them)", list(names), key=K_FIXED,
                              format_func=lambda c: f"{names.get(c, c)} ({c}, {kinds.get(c, '')})",
                              placeholder="None")
    if target_choice == "plus":
        spec = plus_spec()
        if spec is None:
            st.info("No Core20PLUS target has been built in this session: define one on the **PLUS layers** "
                    "page (Target section). Core20 is used until then.", icon=":material/info:")
        else:
            st.caption(f"Target: {escape_html(spec.describe())}")
    venues = None
    if source == "upload":
        file = st.file_uploader("Candidate venues: postcode, longitude/latitude or easting/northing, and a "
                                "name column", type=["csv", "txt", "xlsx"], key=K_UPLOAD)
        if file is not None:
            try:
                res = uploads.load_upload(file.getvalue(), file.name, ui.load_atlas_cached(view.vintage),
                                          kind=uploads.POINTS_KIND)
            except uploads.UploadError as exc:
                st.error(str(exc), icon=":material/error:")
                res = None
            if res is not None:
                venues = siting.candidates_from_points(res.points, res.columns.label)
                st.caption(f"{res.rows_loaded:,} of {res.rows_read:,} rows located.")
                if res.errors:
                    bad = uploads.errors_frame(res.errors)
                    st.warning(f"{len(bad):,} row(s) not used (row numbers as in a spreadsheet):",
                               icon=":material/rule:")
                    st.dataframe(bad, hide_index=True, width="stretch",
                                 height=min(38 * (len(bad) + 1), 240))
    run = st.button("Choose sites", type="primary", key="op_run", icon=":material/route:")

if run:
    problem = None
    if source != "upload" and not types and source == "sites":
        problem = "Choose at least one site type."
    elif source == "upload" and (venues is None or venues.empty):
        problem = "Upload a file of candidate venues first."
    if problem:
        st.error(problem)
    else:
        target = target_value(target_choice)
        with st.status("Choosing sites…", expanded=True) as status:
            bar = st.progress(0.0, text="Starting")

            def progress(fraction: float, message: str) -> None:
                bar.progress(float(min(max(fraction, 0.0), 1.0)), text=message)

            t0 = time.perf_counter()
            try:
                result = siting.plan(
                    view.vintage, view.level, view.area, target, types, float(radius_km), k, objective,
                    venues if source == "upload" else source, tuple(fixed), curve_k if curve_k > 0 else None,
                    progress=progress, atlas_frame=ui.load_atlas_cached(view.vintage),
                    sites_frame=sites_cached())
            except siting.ProblemTooLarge as exc:
                status.update(label="Problem too large", state="error", expanded=True)
                st.error(str(exc), icon=":material/block:")
            except (siting.SitingError, access.AccessError, areas.AreaError, plus.TargetError) as exc:
                status.update(label="Could not plan", state="error", expanded=True)
                st.error(str(exc), icon=":material/error:")
            else:
                st.session_state[K_RESULT] = {"data": result.to_dict(), "plan_id": None, "name": None,
                                              "run": time.time_ns()}
                secs = time.perf_counter() - t0
                status.update(label=f"Chose {len(result.siting.chosen)} sites in {secs:.1f} s "
                                    f"({result.siting.status})", state="complete", expanded=False)

section = st.segmented_control("Show", SECTIONS, key=K_SECTION, default=SECTIONS[0], required=True,
                               label_visibility="collapsed")
entry = st.session_state.get(K_RESULT)

if section == "Plan outreach":
    if entry is None:
        st.info("Choose the target, site types, radius and k above, then **Choose sites**.",
                icon=":material/touch_app:")
    elif not result_matches(entry["data"], view):
        req = entry["data"]["request"]
        st.info(f"The plan in memory is for {escape_html(entry['data'].get('area_name'))} "
                f"({schema.IMD_LABEL.get(req.get('vintage'), '')}); run again for {escape_html(area_name)}.",
                icon=":material/info:")
    else:
        show_result(entry, view, core20_on)
        save_form(st.session_state[K_RESULT], view)

elif section == "Access to existing sites":
    if not types:
        st.info("Choose at least one site type.")
    else:
        key = target_key(target_value(target_choice))
        res = access_cached(view.vintage, view.level, view.area, types, key, float(radius_km))
        cov = res.coverage
        c = st.columns(4)
        c[0].metric(f"Target within {radius_km:g} km", fmt_pop(cov.covered_population),
                    delta=f"{100 * cov.covered_share:.1f}%", delta_color="off", delta_arrow="off")
        c[1].metric(f"Target beyond {radius_km:g} km", fmt_pop(cov.uncovered_population))
        c[2].metric("Target LSOAs beyond",
                    f"{cov.target_lsoas - cov.covered_lsoas:,} of {cov.target_lsoas:,}")
        weights = res.weights.to_numpy()
        mean = (weights * res.nearest["cost"].to_numpy()).sum() / weights.sum() if weights.sum() else 0
        c[3].metric("Mean distance to nearest", f"{mean / 1000:.2f} km")
        left, right = st.columns([3, 2], gap="medium")
        with left:
            key_map = (view.vintage, view.level, view.area, types, key, radius_km, view.basemap, core20_on)
            show(cached_map("access", key_map, lambda: access_map(res, view, types, core20_on)),
                 "op_access_map")
        with right:
            bands = res.bands
            chart = alt.Chart(bands).mark_bar().encode(
                x=alt.X("band:N", sort=list(bands["band"]), title="Distance to the nearest site",
                        axis=alt.Axis(labelAngle=0)),
                y=alt.Y("target_population:Q", title="Target residents"),
                color=alt.Color("band:N", sort=list(bands["band"]), legend=None,
                                scale=alt.Scale(domain=list(bands["band"]), range=list(BAND_COLOURS))),
                tooltip=[alt.Tooltip("band:N", title="Band"), alt.Tooltip("lsoas:Q", title="LSOAs"),
                         alt.Tooltip("target_population:Q", title="Target residents", format=",.0f"),
                         alt.Tooltip("share:Q", title="Share", format=".1%")])
            st.altair_chart(chart.properties(height=260), width="stretch")
            st.markdown(f"**Target LSOAs beyond {radius_km:g} km** ({len(res.uncovered):,}), farthest first")
            show_cols = {"lsoa_code": "LSOA", "lsoa_name": "Name", "target_population": "Target residents",
                         "nearest_site_name": "Nearest site", "distance_km": "km"}
            st.dataframe(res.uncovered[[c for c in show_cols if c in res.uncovered.columns]]
                         .rename(columns=show_cols), hide_index=True, width="stretch", height=260,
                         column_config={
                             "km": st.column_config.NumberColumn(format="%.1f"),
                             "Target residents": st.column_config.NumberColumn(format="localized")})
        slug = f"access_{view.vintage}_{view.level}_{view.area or 'england'}_{radius_km:g}km"
        d = st.columns(2)
        d[0].download_button("Uncovered target LSOAs (CSV)",
                             lambda: csv_safe_frame(res.uncovered).to_csv(index=False).encode("utf-8-sig"),
                             file_name=f"{slug}_uncovered.csv", mime="text/csv", on_click="ignore",
                             icon=":material/table:")
        d[1].download_button("Distance bands (CSV)",
                             lambda: res.bands.to_csv(index=False).encode("utf-8-sig"),
                             file_name=f"{slug}_bands.csv", mime="text/csv", on_click="ignore",
                             icon=":material/bar_chart:")

else:  # saved plans
    store = plans.PlanStore()
    try:
        listing = store.list()
    except (plans.PlanStoreError, OSError) as exc:
        st.error(f"The plan store cannot be read: {exc}")
        listing = pd.DataFrame()
    if listing.empty:
        st.info("No saved plans yet: choose sites, then **Save plan**.", icon=":material/bookmarks:")
    else:
        shown = listing[["name", "area_name", "target_label", "objective", "radius_km", "k",
                         "covered_population", "covered_share", "saved_at", "id"]]
        st.dataframe(shown, hide_index=True, width="stretch",
                     column_config={"name": "Plan", "area_name": "Area", "target_label": "Target",
                                    "radius_km": st.column_config.NumberColumn("Radius (km)"),
                                    "covered_population": st.column_config.NumberColumn("Covered",
                                                                                        format="localized"),
                                    "covered_share": st.column_config.NumberColumn("Share", format="percent"),
                                    "saved_at": "Saved (UTC)", "id": "Id"})
        labels = dict(zip(listing["id"], listing["name"] + " · " + listing["area_name"].fillna("") + " · "
                          + listing["saved_at"].str[:16], strict=True))
        pick = st.selectbox("Plan", list(labels), format_func=labels.get, key="op_pick")
        b = st.columns([1, 1, 4])
        if b[0].button("Open", key="op_open", icon=":material/open_in_new:"):
            # opened as if by its link, on the next run, before any widget exists
            st.query_params.from_dict({"plan": pick})
            st.session_state[K_LINK_SEEN] = None
            st.rerun()
        if b[1].button("Delete", key="op_delete", icon=":material/delete:"):
            store.delete(pick)
            current = st.session_state.get(K_RESULT)
            if current and current.get("plan_id") == pick:
                current["plan_id"] = None
            st.rerun()

st.divider()
panels.attribution(view.vintage)
