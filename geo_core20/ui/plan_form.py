"""The outreach planner's form: target, site types, candidates, radius, k, objective, curve, fixed sites.

Every control is kept by ``ui.keep`` (a saved plan reopened by its link sets them with
``form_values``), so the form survives section switches and page visits.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo_core20 import access, clinical, errors, plan_files, schema, siting, uploads, venues
from geo_core20.ui import cache, focus, keep, present, target, upload_form
from geo_core20.ui.context import PageContext
from geo_core20.ui.text import escape_markdown
from geo_core20.uploads import worker

TARGETS = {**schema.TARGET_LABELS, "plus": "Core20PLUS target (from the PLUS layers page)"}
SOURCES = {"sites": "Existing sites of the chosen types", "lsoa": "LSOA population-weighted centres",
           "upload": "Uploaded venues (CSV/Excel)",
           "file": "Sites file (id, name, lon/lat or postcode, Existing)",
           "supermarket": "Supermarkets (over 280 m2)", "library": "Open static public libraries"}
K_PRESET = "op_preset"  # "devon" while the HSMA Devon example is on
DEVON_FORM = {"op_target": "all", "op_source": "file", "op_objective": "pmedian", "op_k": 2, "op_curve": 4,
              "op_minutes": 30.0, "op_devon_mode": "car", "op_use_od": False, "op_use_demand": False}
DEFAULTS = {"op_target": "core20", "op_types": ["gp", "pharmacy"], "op_source": "sites", "op_radius": 3.0,
            "op_k": 5, "op_objective": "mclp", "op_curve": 10, "op_fixed": []}


def form_values(data: dict) -> dict:
    """The planning form's values that reproduce a saved plan (its request and curve); its PLUS
    rule, if any, becomes the session's target."""
    req = data["request"]
    saved = siting.PlanRequest.from_dict(req).target  # structured (schema 4) or an old share-link key
    if saved.base == "custom":  # an unreadable old key opens as Core20
        saved = siting.Target()
    if saved.spec is not None:
        target.put(saved.spec)  # the PLUS rule comes back too, so Choose sites reproduces the plan
    cand = str(req.get("candidates") or "sites")
    head, _, retailers = cand.partition(":")
    out = {"op_target": "plus" if saved.spec is not None else ("all" if saved.base == "all" else "core20"),
           focus.K_FOCUS: saved.focus or focus.NONE,
           "op_types": [t for t in req.get("site_types", []) if t in schema.SITE_TYPES],
           "op_source": cand if cand in SOURCES else head if head in SOURCES else "sites",
           "op_radius": float(req.get("radius_km") or 3.0), "op_k": int(req.get("k") or 5),
           "op_objective": req.get("objective", "mclp"), "op_fixed": list(req.get("fixed_site_codes", [])),
           "op_curve": max((int(r["k"]) for r in data.get("curve") or []), default=0)}
    if head == "supermarket":
        out["op_retailers"] = [r for r in retailers.split(",") if r]
    if req.get("unit") == "min":
        out["op_minutes"] = float(req.get("radius") or 30.0)
    return out


K_BEFORE = "_op_before_preset"  # the form's values before the example, given back on leaving it


def start_devon_example() -> None:
    """The Devon preset: set the form (before it is drawn) and the view to Devon ICB."""
    if st.session_state.get(K_PRESET) != "devon":
        st.session_state[K_BEFORE] = {k: keep.get(k) for k in DEVON_FORM}
    for k, v in DEVON_FORM.items():
        keep.put(k, v)
    st.session_state[K_PRESET] = "devon"


def leave_devon_example() -> None:
    """Give the form back as it was before the example (before the form's widgets are drawn)."""
    st.session_state.pop(K_PRESET, None)
    before = st.session_state.pop(K_BEFORE, None) or {}
    for k in DEVON_FORM:
        if before.get(k) is None:
            keep.forget(k)  # not set before: its default again
        else:
            keep.put(k, before[k])


def preset_view() -> dict | None:
    """The view a preset button asked for (once), or None: the page puts it in the URL."""
    if st.session_state.pop("_op_preset_go", None) != "devon":
        return None
    start_devon_example()
    return {"vintage": "2025", "level": "icb", "area": plan_files.DEVON_ICB}


def form(ctx: PageContext) -> dict:
    """The planning form; returns the chosen values (candidates, demand and travel times read)."""
    v = ctx.view
    preset = st.session_state.get(K_PRESET)
    if preset == "devon" and (v.level, v.area) != ("icb", plan_files.DEVON_ICB):
        leave_devon_example()  # the user moved to another area: the example ends
        preset = None
    p1, p2 = st.columns([3, 1], vertical_alignment="center")
    if preset == "devon":
        p1.markdown("**HSMA Devon example**: Devon ICB, the 4 community diagnostic centres fixed, 14 "
                    "candidate sites, demand = residents aged 50-84 (ONS mid-2022), travel times in minutes.")
        if p2.button("Leave the example", key="op_preset_off", icon=":material/close:"):
            leave_devon_example()
            st.rerun()
    else:
        p1.caption("Try the HSMA programme's worked example: Devon ICB, 4 diagnostic centres fixed, 14 "
                   "candidates, residents aged 50-84, car or public-transport travel times.")
        if p2.button("Devon example", key="op_devon", icon=":material/directions_car:"):
            st.session_state["_op_preset_go"] = "devon"  # applied before the sidebar reads the URL
            st.rerun()
    r1 = st.columns([2, 2, 2, 1])
    c = {"target": keep.widget(r1[0].selectbox, "Target population", list(TARGETS), key="op_target",
                               default="core20", format_func=TARGETS.get)}
    c["types"] = tuple(keep.widget(r1[1].multiselect, "Site types", list(schema.SITE_TYPES), key="op_types",
                                   default=DEFAULTS["op_types"], format_func=schema.SITE_TYPES.get,
                                   help="Existing services to measure access to; also the candidate venues "
                                        "when candidates are existing sites.", disabled=preset == "devon"))
    c["source"] = keep.widget(r1[2].selectbox, "Candidate locations", list(SOURCES), key="op_source",
                              default="sites", format_func=SOURCES.get, disabled=preset == "devon")
    if preset == "devon":
        c["source"] = "file"
    if preset == "devon":  # travel times: reach is in minutes, not km
        c["radius_km"] = float(keep.get("op_radius", 3.0))
        minutes = minutes_input(r1[3])
    else:
        c["radius_km"] = float(keep.widget(r1[3].number_input, "Radius (km)", key="op_radius", default=3.0,
                                           min_value=0.5, max_value=30.0, step=0.5))
    r2 = st.columns([1, 2, 1, 3])
    c["k"] = int(keep.widget(r2[0].number_input, "Sites to choose (k)", key="op_k", default=5, min_value=1,
                             max_value=siting.MAX_K, step=1, help="NEW sites, beside those already open."))
    c["objective"] = keep.widget(r2[1].radio, "Objective", list(siting.OBJECTIVES), key="op_objective",
                                 default="mclp", format_func=siting.OBJECTIVE_LABEL.get,
                                 help="MCLP: most target residents within the radius. p-median: least "
                                      "average distance to the nearest site (everyone counts, however far).")
    c["curve_k"] = int(keep.widget(r2[2].number_input, "Curve up to k", key="op_curve", default=10,
                                   min_value=0, max_value=siting.MAX_K, step=1,
                                   help="Also solve k = 1..K to show what each extra site adds (0: skip)."))
    c.update(candidates=None, candidate_source=None, file_fixed=(), demand=None, demand_source=None)
    if preset == "devon":
        example = devon_example()
        if example is None:
            c.update(od=None, minutes=None)
            return c
        c.update(candidates=example.sites.candidates, file_fixed=example.sites.existing_ids,
                 demand=example.demand.values, demand_source=example.demand.source,
                 od=example.times.cost, minutes=minutes, fixed=example.sites.existing_ids)
        r2[3].caption("Already open: " + escape_markdown(", ".join(example.sites.existing_ids)))
        st.caption(escape_markdown(" ".join([*example.sites.notes, *example.demand.notes,
                                             *example.times.notes])))
        st.caption(escape_markdown(plan_files.PUBLIC_TRANSPORT_NOTE))
        return c
    area_sites = (cache.sites_in_area_cached(v.vintage, v.level, v.area, tuple(schema.SITE_TYPES))
                  if v.level != "england" else pd.DataFrame(columns=["site_code", "site_name", "site_type"]))
    names = dict(zip(area_sites["site_code"], area_sites["site_name"], strict=True))
    kinds = dict(zip(area_sites["site_code"], area_sites["site_type"], strict=True))
    c["fixed"] = tuple(keep.widget(r2[3].multiselect, "Already open (kept; k sites are added to them)",
                                   list(names), key="op_fixed", default=[], valid=names,
                                   format_func=lambda x: f"{names.get(x, x)} ({x}, {kinds.get(x, '')})",
                                   placeholder="None"))
    if c["target"] == "plus":
        if target.is_set():
            st.caption(f"Target: {escape_markdown(target.current().describe())}")
        else:
            st.info("No Core20PLUS target has been built in this session: define one on the **PLUS layers** "
                    "page (Target section). Core20 is used until then.", icon=":material/info:")
    if focus.current():
        label = clinical.FOCI[focus.current()].target_label
        where = "" if present.enabled() else " (change it in the sidebar)"  # no sidebar while presenting
        st.caption(escape_markdown(f"Clinical focus: {label}, counted in the target LSOAs{where}."))
    if c["source"] == "upload":
        c["candidates"] = venues_upload()
    elif c["source"] == "file":
        read = sites_file_upload(ctx)
        if read is not None:
            c["candidates"], c["file_fixed"] = read.candidates, read.existing_ids
            if not c["fixed"]:
                c["fixed"] = read.existing_ids  # the file's Existing flag marks fixed sites
    elif c["source"] in venues.VENUE_KINDS:
        c["candidates"], c["candidate_source"] = venue_candidates(ctx, c["source"])
    c["demand"], c["demand_source"] = demand_upload(ctx)
    c["od"], c["minutes"] = travel_times(ctx, c)
    return c


def minutes_input(container=st) -> float:
    return float(keep.widget(container.number_input, "Within (minutes)", key="op_minutes", default=30.0,
                             min_value=1.0, max_value=240.0, step=5.0,
                             help="Coverage (MCLP, and the share within reach) counts travel times up to "
                                  "this many minutes."))


def devon_example() -> plan_files.Example | None:
    mode = keep.widget(st.radio, "Travel times", list(plan_files.DEVON_MATRICES), key="op_devon_mode",
                       default="car", horizontal=True,
                       format_func=lambda m: plan_files.DEVON_MATRICES[m][1])
    try:
        return cache.devon_example_cached(mode)
    except (errors.InputError, errors.DataError) as exc:  # the example's files missing from the mirror
        st.error(f"The Devon example's files cannot be read: {exc}", icon=":material/error:")
        return None


def venue_candidates(ctx: PageContext, kind: str) -> tuple[pd.DataFrame | None, str | None]:
    """Supermarkets (all or chosen retailers) or open static libraries in the area, as candidates."""
    v = ctx.view
    if v.level == "england":
        st.info("Choose an area in the sidebar: venues are candidates within one area.",
                icon=":material/info:")
        return None, None
    chosen: list[str] = []
    if kind == "supermarket":
        known = cache.retailers_cached()
        kept_retailers(known)
        chosen = keep.widget(st.multiselect, "Retailers (none chosen: all)", known, key="op_retailers",
                             default=[], valid=lambda x: set(x) <= set(known), placeholder="All retailers")
    try:
        cands = cache.venue_candidates_cached(v.vintage, v.level, v.area, kind, tuple(chosen))
    except (errors.InputError, errors.DataError) as exc:  # an unknown retailer; the venues file missing
        st.error(str(exc), icon=":material/error:")
        return None, None
    st.caption(escape_markdown(f"{len(cands):,} {venues.VENUE_KINDS[kind].lower()} venue(s) in the area. "
                               f"{venues.VENUE_NOTES[kind]}"))
    if kind == "library":
        not_located = cache.libraries_not_located_cached()
        if len(not_located):
            with st.expander(f"{len(not_located):,} open libraries in England could not be located by their "
                             "postcode, so they are not offered"):
                st.dataframe(not_located[["name", "authority", "postcode", "why"]], hide_index=True,
                             width="stretch", column_config={"name": "Library", "authority": "Authority",
                                                             "postcode": "Postcode", "why": "Why"})
    spec = venues.describe_kinds({kind: ",".join(chosen) or None})
    return cands, spec


def kept_retailers(known: list[str]) -> None:
    """Retailers from a saved plan (or typed in another case) matched to the supermarkets file's names
    before the multiselect is drawn; unknown ones are named and left out, not silently widened to all."""
    wanted = keep.get("op_retailers") or []
    if set(wanted) <= set(known):
        return
    chosen, unknown = [], []
    for name in wanted:
        try:
            chosen += venues.choose_retailers(str(name), known)  # ignoring case and punctuation, as the CLI
        except errors.InputError:
            unknown.append(str(name))
    chosen = list(dict.fromkeys(chosen))
    keep.put("op_retailers", chosen)
    if unknown:
        still = f" Still chosen: {', '.join(chosen)}." if chosen else " All retailers are used."
        st.warning(escape_markdown(f"The supermarkets file has no retailer {', '.join(map(repr, unknown))}: "
                                   f"left out of the choice.{still}"), icon=":material/warning:")


def sites_file_upload(ctx: PageContext) -> plan_files.SitesFile | None:
    file = upload_form.file_uploader(
        "Candidate sites file: id (optional), name, longitude/latitude or postcode, Existing (Yes/No)",
        type=["csv", "txt", "xlsx"], key="op_sites_file",
        help=f"CSV or Excel, {upload_form.size_limit_text()}. Sites marked Existing = Yes are kept open "
             "(unless you choose sites under Already open); k new sites are added to them.")
    if file is None:
        st.info("Upload the candidate sites file.", icon=":material/info:")
        return None
    try:
        read = plan_files.read_sites_file(file.getvalue(), file.name, ctx.atlas)
    except errors.InputError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    st.caption(escape_markdown(" ".join(read.notes)))
    return read


def demand_upload(ctx: PageContext) -> tuple[pd.Series | None, str | None]:
    """An optional LSOA table whose chosen numeric column is the plan's demand."""
    if not keep.widget(st.toggle, "Use your own demand (an LSOA table)", key="op_use_demand", default=False,
                       help="Any numeric column of a CSV or Excel table keyed by LSOA code or name (e.g. "
                            "ever-smokers aged 55-74 from GP records) replaces the target population."):
        return None, None
    d1, d2 = st.columns([3, 2])
    file = upload_form.file_uploader("Demand table (LSOA code or name, numeric columns)", container=d1,
                                     type=["csv", "txt", "xlsx"], key="op_demand_file",
                                     help=f"CSV or Excel, {upload_form.size_limit_text()}.")
    if file is None:
        st.info("Upload the demand table; until then the target population is the demand.",
                icon=":material/info:")
        return None, None
    try:
        columns = plan_files.demand_columns(file.getvalue(), file.name, ctx.atlas)
        if not columns:
            st.error(f"{escape_markdown(file.name)} has no numeric column to use as demand.",
                     icon=":material/error:")
            return None, None
        column = keep.widget(d2.selectbox, "Demand column", columns, key="op_demand_col", default=columns[0],
                             valid=columns)
        demand = plan_files.read_demand(file.getvalue(), file.name, column, ctx.atlas)
    except errors.InputError as exc:
        st.error(str(exc), icon=":material/error:")
        return None, None
    st.caption(escape_markdown(" ".join(demand.notes) + " The plan's demand is this column, not the target "
                               "population."))
    return demand.values, demand.source


def travel_times(ctx: PageContext, c: dict) -> tuple[access.ODMatrixCost | None, float | None]:
    """An optional origin-destination travel-time file (long or wide) and a threshold in minutes."""
    if not keep.widget(st.toggle, "Use travel times from a file instead of straight-line distance",
                       key="op_use_od", default=False,
                       help="Long form: origin LSOA, destination site, minutes (one row per pair). Wide "
                            "form: one row per origin LSOA (code or name), one column per site (as lokigi "
                            "and r5py write it). Blank, negative or >= 9999 cells and pairs not listed are "
                            "unreachable."):
        return None, None
    st.caption(escape_markdown(plan_files.PUBLIC_TRANSPORT_NOTE))
    t1, t2, t3 = st.columns([3, 1, 1])
    file = upload_form.file_uploader("Travel times (long or wide form; origins as LSOA codes or names)",
                                     container=t1, type=["csv", "txt", "xlsx"], key="op_od",
                                     help=f"CSV or Excel, {upload_form.size_limit_text()}.")
    unit = keep.widget(t2.radio, "Times in", list(plan_files.TIME_UNITS), key="op_time_unit",
                       default="minutes", help="Seconds are converted to minutes.")
    minutes = minutes_input(t3)
    if file is None:
        st.info("Upload the travel-time file; until then distances are straight lines.",
                icon=":material/info:")
        return None, None
    sites = c["candidates"]
    if sites is None and c["source"] == "sites":
        v = ctx.view
        in_area = cache.sites_in_area_cached(v.vintage, v.level, v.area, c["types"])
        sites = siting.candidates_from_sites(in_area)
    try:
        read = worker.run("read_travel_times", file.getvalue(), file.name, worker.Atlas(ctx.view.vintage),
                          sites=sites, time_unit=None if unit == "minutes" else unit)
    except errors.InputError as exc:
        st.error(str(exc), icon=":material/error:")
        return None, None
    st.caption(escape_markdown(f"{read.describe()} Reach = within {minutes:g} minutes."))
    return read.cost, minutes


def venues_upload() -> pd.DataFrame | None:
    file = upload_form.file_uploader(
        "Candidate venues: postcode, longitude/latitude or easting/northing, and a name column",
        type=["csv", "txt", "xlsx"], key="op_upload", help=f"CSV or Excel, {upload_form.size_limit_text()}.")
    if file is None:
        return None
    try:
        res = worker.run("load_upload", file.getvalue(), file.name, worker.Atlas("2025"),
                         kind=uploads.POINTS_KIND)
    except uploads.UploadError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    st.caption(f"{res.rows_loaded:,} of {res.rows_read:,} rows located.")
    upload_form.problem_rows(res, key="op_bad_rows")
    return siting.candidates_from_points(res.points, res.columns.label)
