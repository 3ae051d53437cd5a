"""The outreach planner's form: target, site types, candidates, radius, k, objective, curve, fixed sites.

Every control is kept by ``ui.keep`` (a saved plan reopened by its link sets them with
``form_values``), so the form survives section switches and page visits.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo_core20 import access, clinical, errors, schema, siting, uploads
from geo_core20.ui import cache, focus, keep, present, target, upload_form
from geo_core20.ui.context import PageContext
from geo_core20.ui.text import escape_markdown

TARGETS = {**schema.TARGET_LABELS, "plus": "Core20PLUS target (from the PLUS layers page)"}
SOURCES = {"sites": "Existing sites of the chosen types", "lsoa": "LSOA population-weighted centres",
           "upload": "Uploaded venues (CSV/Excel)"}
DEFAULTS = {"op_target": "core20", "op_types": ["gp", "pharmacy"], "op_source": "sites", "op_radius": 3.0,
            "op_k": 5, "op_objective": "mclp", "op_curve": 10, "op_fixed": []}


def form_values(data: dict) -> dict:
    """The planning form's values that reproduce a saved plan (its request and curve); its PLUS
    rule, if any, becomes the session's target."""
    req = data["request"]
    try:
        saved = siting.target_from_key(str(req.get("target", "core20")))
    except errors.InputError:  # SitingError, TargetError: an unreadable old key opens as Core20
        saved = siting.Target()
    if saved.spec is not None:
        target.put(saved.spec)  # the PLUS rule comes back too, so Choose sites reproduces the plan
    return {"op_target": "plus" if saved.spec is not None else ("all" if saved.base == "all" else "core20"),
            focus.K_FOCUS: saved.focus or focus.NONE,
            "op_types": [t for t in req.get("site_types", []) if t in schema.SITE_TYPES],
            "op_source": req.get("candidates") if req.get("candidates") in SOURCES else "sites",
            "op_radius": float(req.get("radius_km") or 3.0), "op_k": int(req.get("k") or 5),
            "op_objective": req.get("objective", "mclp"), "op_fixed": list(req.get("fixed_site_codes", [])),
            "op_curve": max((int(r["k"]) for r in data.get("curve") or []), default=0)}


def form(ctx: PageContext) -> dict:
    """The planning form; returns the chosen values (and uploaded venues, if any)."""
    r1 = st.columns([2, 2, 2, 1])
    c = {"target": keep.widget(r1[0].selectbox, "Target population", list(TARGETS), key="op_target",
                               default="core20", format_func=TARGETS.get)}
    c["types"] = tuple(keep.widget(r1[1].multiselect, "Site types", list(schema.SITE_TYPES), key="op_types",
                                   default=DEFAULTS["op_types"], format_func=schema.SITE_TYPES.get,
                                   help="Existing services to measure access to; also the candidate venues "
                                        "when candidates are existing sites."))
    c["source"] = keep.widget(r1[2].selectbox, "Candidate locations", list(SOURCES), key="op_source",
                              default="sites", format_func=SOURCES.get)
    c["radius_km"] = float(keep.widget(r1[3].number_input, "Radius (km)", key="op_radius", default=3.0,
                                       min_value=0.5, max_value=30.0, step=0.5))
    r2 = st.columns([1, 2, 1, 3])
    c["k"] = int(keep.widget(r2[0].number_input, "Sites to choose (k)", key="op_k", default=5, min_value=1,
                             max_value=siting.MAX_K, step=1))
    c["objective"] = keep.widget(r2[1].radio, "Objective", list(siting.OBJECTIVES), key="op_objective",
                                 default="mclp", format_func=siting.OBJECTIVE_LABEL.get,
                                 help="MCLP: most target residents within the radius. p-median: least "
                                      "average distance to the nearest site (everyone counts, however far).")
    c["curve_k"] = int(keep.widget(r2[2].number_input, "Curve up to k", key="op_curve", default=10,
                                   min_value=0, max_value=siting.MAX_K, step=1,
                                   help="Also solve k = 1..K to show what each extra site adds (0: skip)."))
    v = ctx.view
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
    c["venues"] = venues_upload() if c["source"] == "upload" else None
    c["od"], c["minutes"] = travel_times(ctx)
    return c


def travel_times(ctx: PageContext) -> tuple[access.ODMatrixCost | None, float | None]:
    """An optional origin-destination travel-time file and a threshold in minutes."""
    if not keep.widget(st.toggle, "Use travel times from a file instead of straight-line distance",
                       key="op_use_od", default=False,
                       help="A CSV or Excel file with three columns: origin LSOA code, destination site "
                            "or candidate code, minutes (e.g. from your routing tool). Pairs not listed "
                            "count as unreachable."):
        return None, None
    t1, t2 = st.columns([3, 1])
    file = upload_form.file_uploader("Travel times (origin LSOA, destination code, minutes)", container=t1,
                                     type=["csv", "txt", "xlsx"], key="op_od",
                                     help=f"CSV or Excel, {upload_form.size_limit_text()}.")
    minutes = float(keep.widget(t2.number_input, "Within (minutes)", key="op_minutes", default=20.0,
                                min_value=1.0, max_value=240.0, step=1.0))
    if file is None:
        st.info("Upload the travel-time file; until then distances are straight lines.",
                icon=":material/info:")
        return None, None
    try:
        od = access.read_od_csv(file.getvalue(), file.name, origins=set(ctx.atlas[schema.LSOA_CODE]))
    except errors.InputError as exc:
        st.error(str(exc), icon=":material/error:")
        return None, None
    st.caption(f"Travel times read from {escape_markdown(file.name)}; reach = within {minutes:g} minutes.")
    return od, minutes


def venues_upload() -> pd.DataFrame | None:
    file = upload_form.file_uploader(
        "Candidate venues: postcode, longitude/latitude or easting/northing, and a name column",
        type=["csv", "txt", "xlsx"], key="op_upload", help=f"CSV or Excel, {upload_form.size_limit_text()}.")
    if file is None:
        return None
    try:
        res = uploads.load_upload(file.getvalue(), file.name, cache.load_atlas_cached("2025"),
                                  kind=uploads.POINTS_KIND)
    except uploads.UploadError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    st.caption(f"{res.rows_loaded:,} of {res.rows_read:,} rows located.")
    upload_form.problem_rows(res, key="op_bad_rows")
    return siting.candidates_from_points(res.points, res.columns.label)
