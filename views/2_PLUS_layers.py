"""PLUS layers: coastal communities, inclusion indicators, hot spots, local data and the
Core20PLUS target, beside Core20.

Thin by design: sidebar and widgets -> geo_core20.plus / hotspots / uploads -> maps built
by geo_core20.maps.plus_maps. The target lives in the URL (tb, tc, tx) next to the view
(vintage, level, area), so a copied link reopens the same target.
"""

from __future__ import annotations

from urllib.parse import urlencode

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo_core20 import areas, geocode, hotspots, plus, schema, sources, ui, uploads
from geo_core20.maps import export, plus_maps, styles
from geo_core20.maps import view as mapview
from geo_core20.safety import csv_safe_frame, escape_html
from geo_core20.ui import mapview as mapview_ui
from geo_core20.ui import panels, state, widgets

st.set_page_config(page_title="PLUS layers", page_icon=ui.page_icon(), layout="wide")

K_LAYERS = "plus_layers"  # layer name -> uploads.LsoaTableResult | uploads.PointsResult
K_CONDITIONS = "plus_conditions"  # list[plus.Condition]
K_BASE, K_COMBINE = "plus_base", "plus_combine"
K_INDICATOR, K_SECTION = "plus_indicator", "plus_section"
K_HOT_INDICATOR, K_PERMS = "plus_hot_indicator", "plus_permutations"
K_TARGET_SEEN = "_plus_target_seen"
K_UPLOAD_MSG = "_plus_upload_message"
SECTIONS = ("Indicators", "Hot spots", "Local data", "Target", "About the data")
PLUS_DATASETS = ("coastal_lsoa21", "coastline_england", "census21_ethnicity", "census21_disability",
                 "census21_household_deprivation", "census21_overcrowding", "iod2025_indicators",
                 "census21_proficiency_msoa", "census21_migration_msoa", "census21_ethnicity_lad",
                 "homelessness_lad", "gp_patients_lad", "msoa21_boundaries", "lad24_boundaries",
                 "lookup_lsoa11_lsoa21", "codepoint_open")


# --- URL: the target next to the view ----------------------------------------------------------

MY_KEYS = (*plus.QUERY_KEYS, "layer")  # this page's own URL parameters (the view has its own)


def seed_target_from_url(params: dict) -> list[str]:
    """Load the target (and layer) from a link the page did not write itself; returns problems.

    A URL without any of this page's parameters (e.g. after visiting another page) keeps the
    session's target; a new link with them replaces it (missing ones mean the defaults).
    """
    st.session_state.setdefault(K_LAYERS, {})
    st.session_state.setdefault(K_CONDITIONS, [])
    st.session_state.setdefault(K_BASE, "core20")
    st.session_state.setdefault(K_COMBINE, "and")
    mine = {k: params[k] for k in MY_KEYS if k in params}
    signature = tuple(sorted(mine.items()))
    if not mine or signature == st.session_state.get(K_TARGET_SEEN):
        return []
    st.session_state[K_TARGET_SEEN] = signature
    problems = []
    if mine.get("layer") in plus.INDICATORS:
        st.session_state[K_INDICATOR] = mine["layer"]
    elif "layer" in mine:
        problems.append(f"Unknown layer {mine['layer'][:40]!r} in this link; showing the default layer.")
    try:
        spec = plus.TargetSpec.from_query_params({k: v for k, v in mine.items() if k != "layer"})
    except plus.TargetError as exc:
        return [*problems, f"The target in this link was not used: {exc}."]
    spec = spec or plus.TargetSpec()
    st.session_state[K_BASE] = spec.base
    st.session_state[K_COMBINE] = spec.combine
    st.session_state[K_CONDITIONS] = list(spec.conditions)
    return problems


def kept(name: str) -> str:
    """Widget key for a value kept in ``name`` across sections and pages.

    Streamlit forgets a widget's state when the widget is not drawn in a run (another section
    is shown), so the value lives under ``name`` and is copied into the widget's own key.
    """
    key = f"_w_{name}"
    if name in st.session_state:
        st.session_state[key] = st.session_state[name]
    return key


def keep(name: str, value):
    st.session_state[name] = value
    return value


def current_spec() -> plus.TargetSpec:
    return plus.TargetSpec(st.session_state[K_BASE], st.session_state[K_COMBINE],
                           tuple(st.session_state[K_CONDITIONS]))


def page_params(view: state.View, spec: plus.TargetSpec, indicator: str | None) -> dict[str, str]:
    out = state.view_params(view)
    if spec != plus.TargetSpec():
        out.update(spec.to_query_params())
    if indicator:
        out["layer"] = indicator
    return out


def sync_url(view: state.View, params: dict[str, str]) -> None:
    """Write view + target to the URL and mark it as ours, so the next run does not re-read it."""
    widgets.sync_url(view, params)
    st.session_state[K_TARGET_SEEN] = tuple(sorted((k, v) for k, v in params.items() if k in MY_KEYS))


def share_url(params: dict[str, str]) -> str:
    try:
        base = (st.context.url or "").split("?")[0]
    except AttributeError:
        base = ""
    return f"{base}?{urlencode(params)}"


# --- cached data ----------------------------------------------------------------------------------

@st.cache_data(show_spinner=False, max_entries=64)
def national_values(vintage: str, indicator_id: str) -> pd.Series:
    """An indicator over all England (for national class breaks and comparisons)."""
    return plus.values(ui.load_atlas_cached(vintage), indicator_id)


@st.cache_resource(show_spinner=False)
def hotspot_memo() -> dict:
    """Gi* results shared by evaluations (keys include the area, so sessions can share them)."""
    return {}


@st.cache_data(show_spinner="Running Getis-Ord Gi*…", max_entries=32)
def hotspots_cached(vintage: str, level: str, area: str | None, indicator_id: str,
                    permutations: int) -> hotspots.HotspotResult:
    atlas = ui.load_atlas_cached(vintage)
    sub = atlas[areas.mask(atlas, level, area).to_numpy()]
    ind = plus.get(indicator_id)
    return hotspots.gi_star(sub, plus.values(sub, indicator_id).astype(float), permutations=permutations,
                            indicator_label=ind.label, area_label=area_label(vintage, level, area))


def area_label(vintage: str, level: str, area: str | None) -> str:
    return panels.area_title(vintage, level, area)


# --- map drawing ----------------------------------------------------------------------------------

def show(m: folium.Map, key: str, height: int = 560) -> None:
    """Draw a map, rendering it once even when the map object is cached (see ui.mapview)."""
    prepared = getattr(m, "_gc20_prepared", None)
    if prepared is None:
        prepared = mapview_ui.prepare(m)
        m._gc20_prepared = prepared
    ui.show_map(prepared, key=key, height=height)


@st.cache_resource(show_spinner="Drawing the map…", max_entries=24)
def indicator_map(vintage: str, level: str, area: str | None, indicator_id: str, basemap: str,
                  core20_on: bool) -> tuple[folium.Map, pd.DataFrame]:
    """The map of one indicator at its own level, and the table behind it."""
    return plus_maps.indicator_map(vintage, level, area, indicator_id, basemap, core20_on,
                                   national_values(vintage, indicator_id))


@st.cache_resource(show_spinner="Drawing the map…", max_entries=16)
def hotspot_map_cached(vintage: str, level: str, area: str | None, indicator_id: str, permutations: int,
                       basemap: str, core20_on: bool) -> folium.Map:
    result = hotspots_cached(vintage, level, area, indicator_id, permutations)
    return plus_maps.hotspot_map(vintage, level, area, result, plus.get(indicator_id).label, basemap,
                                 core20_on)


@st.cache_resource(show_spinner="Evaluating the target…", max_entries=16)
def target_cached(vintage: str, level: str, area: str | None, tokens: tuple, basemap: str,
                  core20_on: bool) -> tuple[plus.TargetResult, folium.Map]:
    """Target and map for a spec without uploaded layers (the same for every session)."""
    spec = plus.TargetSpec.from_query_params(dict(tokens)) or plus.TargetSpec()
    atlas = ui.load_atlas_cached(vintage)
    sub = atlas[areas.mask(atlas, level, area).to_numpy()]
    result = plus.evaluate(spec, sub, {}, hotspot_memo())
    return result, plus_maps.target_map(vintage, level, area, result, basemap, core20_on)


# --- page ---------------------------------------------------------------------------------------------

url_problems = seed_target_from_url(st.query_params.to_dict())
st.sidebar.title("PLUS layers")
view, core20_on, problems = ui.view_controls(with_shading=False)
ui.warm_caches(view.vintage)
atlas = ui.load_atlas_cached(view.vintage)
mask = areas.mask(atlas, view.level, view.area).to_numpy()
area_atlas = atlas[mask]
area_name = area_label(view.vintage, view.level, view.area)
layers: dict = st.session_state[K_LAYERS]


def draw(props: pd.DataFrame, classes: np.ndarray, colours, rows, *, name: str, lgd: styles.Legend,
         points: gpd.GeoDataFrame | None = None, point_label: str | None = None) -> folium.Map:
    """A map of the chosen area's LSOAs (display geometry) with this page's outlines."""
    return plus_maps.area_map(view.vintage, view.level, view.area, view.basemap, core20_on, props, classes,
                              colours, rows, name=name, lgd=lgd, points=points, point_label=point_label)


st.title(f"{area_name}: PLUS groups beside Core20")
st.caption(f"{schema.IMD_LABEL[view.vintage]} · Core20 = national IMD deciles 1-2. Each layer says the "
           "geography it is published at; local-authority and MSOA data are never shown as if they "
           "were LSOA data.")
for p in [*problems, *url_problems]:
    st.warning(p, icon=":material/link_off:")
if not ui.assets_ready():
    st.error("The map's JavaScript/CSS is not installed, so maps cannot draw. Run "
             "`python -m geo_core20 assets` and reload.")

coast = plus.coastal_summary(area_atlas, "england").iloc[0]
pop = int(area_atlas[schema.POPULATION].sum())
c = st.columns(5)
c[0].metric("LSOAs", f"{len(area_atlas):,}")
c[1].metric("Core20 LSOAs", f"{int(area_atlas[schema.CORE20].sum()):,}")
c[2].metric("Coastal LSOAs", f"{int(coast['coastal_lsoas']):,}", help=plus.COASTAL_DEFINITION)
c[3].metric("Coastal Core20 LSOAs", f"{int(coast['coastal_core20_lsoas']):,}",
            help="Coastal (G_25_5) and in the national most deprived 20% (IMD deciles 1-2).")
c[4].metric("Coastal Core20 population", f"{int(coast['coastal_core20_population']):,}",
            delta=f"{100 * coast['coastal_core20_population'] / pop:.1f}% of residents" if pop else None,
            delta_color="off", delta_arrow="off")

section = st.segmented_control("Show", SECTIONS, key=K_SECTION, default=SECTIONS[0], required=True,
                               label_visibility="collapsed")
chosen_indicator: str | None = st.session_state.get(K_INDICATOR)

# --- indicators ----------------------------------------------------------------------------------
if section == "Indicators":
    options = sorted(plus.indicators(view.vintage), key=lambda i: (i.group, i.label))
    ids = [i.id for i in options]
    if st.session_state.get(K_INDICATOR) not in ids:
        st.session_state[K_INDICATOR] = "coastal_core20"
    chosen_indicator = keep(K_INDICATOR, st.selectbox(
        "Layer", ids, key=kept(K_INDICATOR),
        format_func=lambda i: f"{plus.get(i).group}: {plus.get(i).full_label}"))
    ind = plus.get(chosen_indicator)
    left, right = st.columns([3, 1], gap="medium")
    with st.spinner("Loading the layer…"):
        m, table = indicator_map(view.vintage, view.level, view.area, ind.id, view.basemap, core20_on)
    with left:
        show(m, key="plus_indicator_map")
    with right:
        st.markdown(f"**{escape_html(ind.label)}**  \nLevel: **{plus.LEVEL_TEXT[ind.level]}**"
                    + (f" · unit: {escape_html(ind.unit)}" if ind.unit else ""))
        if ind.level != plus.LSOA:
            st.warning(plus.LEVEL_NOTE[ind.level], icon=":material/info:")
        st.info(ind.caveat.replace(plus.LEVEL_NOTE[ind.level], "").strip() or ind.caveat,
                icon=":material/menu_book:")
        vals = table["value"]
        if ind.kind == plus.NUMERIC:
            nat = national_values(view.vintage, ind.id).astype(float)
            st.dataframe(pd.DataFrame({
                "": ["Lowest", "Median", "Highest", "England median"],
                "Value": [plus.format_value(ind, vals.min()), plus.format_value(ind, vals.median()),
                          plus.format_value(ind, vals.max()), plus.format_value(ind, nat.median())],
            }), hide_index=True, width="stretch")
        elif ind.kind == plus.FLAG:
            yes = area_atlas.loc[plus.values(area_atlas, ind.id).astype(bool).to_numpy()]
            st.metric("LSOAs flagged", f"{len(yes):,} of {len(area_atlas):,}")
            st.metric("Residents in them", f"{int(yes[schema.POPULATION].sum()):,}")
        else:
            st.dataframe(vals.value_counts().rename_axis("Class").reset_index(name="LSOAs"),
                         hide_index=True, width="stretch")
    with st.expander(f"Table: {len(table):,} {plus.LEVEL_TEXT[ind.level]} rows"):
        shown = table.assign(value=[plus.format_value(ind, v) for v in table["value"]])
        st.dataframe(shown, hide_index=True, width="stretch", height=300)
    attribution = [*mapview.attribution_lines(view.vintage), *ind.attribution()]
    slug = f"plus_{ind.id}_{view.vintage}_{view.level}_{view.area or 'england'}"
    d1, d2 = st.columns(2)
    d1.download_button("Layer (CSV)", lambda: export.lsoa_csv(table, attribution), file_name=f"{slug}.csv",
                       mime="text/csv", on_click="ignore", icon=":material/table:")
    d2.download_button("Layer (GeoJSON)",
                       lambda: plus.export_geojson(plus.area_layer(area_atlas, ind.id), attribution, slug),
                       file_name=f"{slug}.geojson", mime="application/geo+json", on_click="ignore",
                       icon=":material/polyline:")


# --- hot spots ------------------------------------------------------------------------------------
def upload_value_options() -> dict[str, tuple[str, str]]:
    """Hot-spot-able columns of uploaded layers: label -> (layer, column)."""
    out = {}
    for name, res in layers.items():
        if res.kind == uploads.LSOA_KIND:
            if view.vintage != "2025":
                continue  # LSOA tables are held on 2021 LSOAs
            for col in res.value_columns:
                out[f"upload: {name} / {col}"] = (name, col)
        else:
            out[f"upload: {name} / points per LSOA"] = (name, "count")
    return out


def layer_frame(res, vintage: str) -> pd.DataFrame:
    """An uploaded layer as lsoa_code + values on this vintage's LSOAs."""
    if res.kind == uploads.LSOA_KIND:
        return res.frame if vintage == "2025" else res.frame.iloc[0:0]
    if vintage == "2025":
        return res.counts
    placed = geocode.assign_lsoa(res.points["lon"], res.points["lat"], ui.load_atlas_cached(vintage))
    codes = placed["lsoa_code"].dropna()
    return codes.value_counts().rename_axis(schema.LSOA_CODE).reset_index(name="count")


if section == "Hot spots":
    numeric = plus.indicators(view.vintage, level=plus.LSOA, kind=plus.NUMERIC)
    opts = {f"{i.group}: {i.label}" + (f" ({i.unit})" if i.unit else ""): ("indicator", i.id)
            for i in numeric}
    opts.update({k: ("upload", v) for k, v in upload_value_options().items()})
    labels = list(opts)
    default = next((k for k, v in opts.items() if v == ("indicator", "imd_score")), labels[0])
    if st.session_state.get(K_HOT_INDICATOR) not in labels:
        st.session_state[K_HOT_INDICATOR] = default
    h1, h2 = st.columns([3, 1])
    pick = keep(K_HOT_INDICATOR, h1.selectbox("Find hot and cold spots of", labels,
                                              key=kept(K_HOT_INDICATOR)))
    st.session_state.setdefault(K_PERMS, 999)
    perms = keep(K_PERMS, h2.selectbox("Permutations", [999, 4999, 9999], key=kept(K_PERMS),
                                       help="More permutations allow smaller p-values (slower)."))
    kind, ref = opts[pick]
    if view.level == "england":
        st.caption("All of England: about 10 seconds with 999 permutations.")
    if kind == "indicator":
        result = hotspots_cached(view.vintage, view.level, view.area, ref, perms)
        label = plus.get(ref).label
    else:
        lname, col = ref
        frame = layer_frame(layers[lname], view.vintage).set_index(schema.LSOA_CODE)[col]
        vals = area_atlas[schema.LSOA_CODE].map(frame).astype(float)
        if col == "count":
            vals = vals.fillna(0.0)  # no point in an LSOA means a count of 0
        label = f"{lname} / {col}"
        with st.spinner("Running Getis-Ord Gi*…"):
            result = hotspots.gi_star(area_atlas, vals, permutations=perms, indicator_label=label,
                                      area_label=area_name)
    counts = result.counts()
    if kind == "indicator":
        m = hotspot_map_cached(view.vintage, view.level, view.area, ref, perms, view.basemap, core20_on)
    else:
        m = plus_maps.hotspot_map(view.vintage, view.level, view.area, result, label, view.basemap, core20_on)
    left, right = st.columns([3, 1], gap="medium")
    with left:
        show(m, key="plus_hotspot_map")
    with right:
        st.metric("Hot spot LSOAs", f"{result.n_hot:,}")
        st.metric("Cold spot LSOAs", f"{result.n_cold:,}")
        st.dataframe(counts.rename_axis("Class").reset_index(name="LSOAs"), hide_index=True, width="stretch")
    st.info(result.method_note, icon=":material/functions:")
    attribution = [*mapview.attribution_lines(view.vintage),
                   *(plus.get(ref).attribution() if kind == "indicator" else [])]

    def hotspot_csv(result=result, attribution=attribution) -> bytes:
        out = pd.concat([area_atlas[[schema.LSOA_CODE, schema.LSOA_NAME]].reset_index(drop=True),
                         result.frame.reset_index(drop=True)], axis=1)
        out["hotspot"] = out["hotspot"].astype(str)
        return export.lsoa_csv(out, [result.method_note, *attribution])

    st.download_button("Hot spot results (CSV)", hotspot_csv,
                       file_name=f"hotspots_{view.vintage}_{view.level}_{view.area or 'england'}.csv",
                       mime="text/csv", on_click="ignore", icon=":material/table:")


# --- local data -----------------------------------------------------------------------------------
def unique_name(name: str) -> str:
    base = (name or "upload").strip()[:60] or "upload"
    base = "".join(ch if ch.isalnum() or ch in " .,()&'+-_" else "_" for ch in base)
    out, k = base, 2
    while out in layers:
        out, k = f"{base} ({k})", k + 1
    return out


def show_report(res) -> None:
    st.dataframe(res.report(), hide_index=True, width="stretch")
    for note in res.notes:
        st.caption(note)
    if res.errors:
        bad = uploads.errors_frame(res.errors)
        n_err = int((bad["severity"] == "error").sum())
        st.warning(f"{n_err:,} row(s) could not be used and {len(bad) - n_err:,} loaded with a warning. Row "
                   "numbers are as in a spreadsheet (the header is row 1).", icon=":material/rule:")
        st.dataframe(bad, hide_index=True, width="stretch", height=min(38 * (len(bad) + 1), 320))
        st.download_button("Problem rows (CSV)", csv_safe_frame(bad).to_csv(index=False).encode("utf-8-sig"),
                           file_name=f"{res.name}_problems.csv", mime="text/csv", on_click="ignore",
                           key=f"plus_bad_{res.name}")


if section == "Local data":
    st.markdown("Add your own data: a **table keyed by LSOA code** (2011 or 2021 codes; 2011 codes are "
                "converted with the ONS lookup) or a **list of places** with postcodes, longitude/latitude "
                "or easting/northing (e.g. traveller sites, hostels, community venues), counted per LSOA. "
                f"CSV or Excel (.xlsx), up to {uploads.MAX_BYTES // 1024 // 1024} MB. Files stay in this "
                "browser session only.")
    file = st.file_uploader("Upload a CSV or Excel file", type=["csv", "txt", "tsv", "xlsx", "xlsm"],
                            key="plus_upload", max_upload_size=uploads.MAX_BYTES // 1024 // 1024)
    if file is not None:
        fid = getattr(file, "file_id", None) or f"{file.name}-{file.size}"  # per-file widget state
        try:
            raw = uploads.read_upload(file.getvalue(), file.name)
            detected = uploads.detect_kind(raw)
        except uploads.UploadError as exc:
            st.error(str(exc), icon=":material/error:")
            raw = None
        if raw is not None:
            st.caption(f"Read {len(raw.frame):,} rows and {len(raw.frame.columns)} columns"
                       + (f" ({raw.encoding}, delimiter {raw.delimiter!r})" if raw.encoding else
                          f" (sheet '{raw.sheet}')") + ". " + " ".join(raw.notes))
            kinds = {uploads.LSOA_KIND: "Table keyed by LSOA code", uploads.POINTS_KIND: "Places (points)"}
            kind = st.radio("This file is a", list(kinds), index=list(kinds).index(detected),
                            format_func=kinds.get, horizontal=True, key=f"plus_upload_kind_{fid}")
            name = st.text_input("Layer name", value=raw.name, key=f"plus_upload_name_{fid}", max_chars=60)
            options: dict = {}
            if kind == uploads.LSOA_KIND:
                cols = list(raw.frame.columns)
                found = uploads.find_lsoa_column(raw.frame)
                code_col = st.selectbox("LSOA code column", cols, key=f"plus_upload_code_{fid}",
                                        index=cols.index(found) if found in cols else 0)
                numeric = uploads.numeric_columns(raw.frame, exclude=[code_col])
                chosen = st.multiselect("Value columns to map", [c for c in cols if c != code_col],
                                        default=numeric, key=f"plus_upload_values_{fid}")
                semantics = {}
                for col in chosen:
                    semantics[col] = st.radio(
                        f"'{col}' is a", [uploads.COUNT, uploads.RATE],
                        index=[uploads.COUNT, uploads.RATE].index(uploads.guess_semantics(raw.frame, col)),
                        format_func={uploads.COUNT: "count (people, events: split and summed)",
                                     uploads.RATE: "rate or share (copied and population-weighted)"}.get,
                        horizontal=True, key=f"plus_sem_{fid}_{col}")
                options = {"value_columns": semantics, "code_column": code_col}
            if st.button("Add layer", type="primary", key="plus_add_layer", icon=":material/add:"):
                try:
                    with st.spinner("Loading…"):
                        if kind == uploads.LSOA_KIND:
                            res = uploads.load_lsoa_table(raw, england_codes21=ui.load_atlas_cached("2025")[
                                schema.LSOA_CODE], **options)
                        else:
                            res = uploads.load_points(raw, ui.load_atlas_cached("2025"))
                    res.name = unique_name(name)
                    layers[res.name] = res
                    st.session_state[K_UPLOAD_MSG] = res.name
                except uploads.UploadError as exc:
                    st.error(str(exc), icon=":material/error:")

    if not layers:
        st.info("No layers yet. Earlier layers stay here while this browser tab is open.")
    else:
        latest = st.session_state.get(K_UPLOAD_MSG)
        if latest in layers:
            st.success(f"Added layer '{latest}'.", icon=":material/check:")
        summary = pd.DataFrame([{"Layer": n, "Rows read": r.rows_read, "Loaded": r.rows_loaded,
                                 "Kind": "points" if r.kind == uploads.POINTS_KIND else "LSOA table",
                                 "Problem rows": sum(e.severity == "error" for e in r.errors)}
                                for n, r in layers.items()])
        st.dataframe(summary, hide_index=True, width="stretch")
        names = list(layers)
        pick = st.selectbox("Show layer", names, index=names.index(latest) if latest in names else 0,
                            key="plus_show_layer")
        res = layers[pick]
        with st.expander("Load report", expanded=pick == latest):
            show_report(res)
        if st.button(f"Remove layer '{pick}'", key="plus_remove_layer", icon=":material/delete:"):
            del layers[pick]
            st.session_state.pop(K_UPLOAD_MSG, None)
            st.rerun()
        frame = layer_frame(res, view.vintage)
        if res.kind == uploads.LSOA_KIND and view.vintage != "2025":
            st.info("LSOA tables are converted to 2021 LSOAs: switch the IMD vintage to IoD2025 to map them.")
        else:
            col = "count" if res.kind == uploads.POINTS_KIND else st.selectbox(
                "Value", list(res.value_columns), key="plus_layer_column")
            vals = area_atlas[schema.LSOA_CODE].map(frame.set_index(schema.LSOA_CODE)[col]).astype(float)
            pts = None
            if res.kind == uploads.POINTS_KIND:
                vals = vals.fillna(0.0)  # no point in an LSOA is a count of 0
                style = plus.count_style(f"{pick}: points per LSOA")
                pts = res.points
                if view.vintage == "2025":
                    pts = pts[pts[schema.LSOA_CODE].isin(set(area_atlas[schema.LSOA_CODE]))]
                st.caption(f"{int(vals.sum()):,} point(s) in {area_name}; "
                           f"{int((vals > 0).sum()):,} LSOAs have at least one.")
            else:
                style = plus.quantile_style(frame[col], f"{pick}: {col} ({res.value_columns[col]})")
            klass = style.index(vals)
            note = geocode.LSOA_ASSIGNMENT_NOTE if pts is not None else ""
            lgd = plus_maps.legend(style.title, style.colours, style.labels, style.counts(vals),
                                   core20=core20_on, notes=(style.note, note))
            props = plus_maps.lsoa_props(area_atlas, value=["" if pd.isna(x) else f"{x:,.4g}" for x in vals])
            m = draw(props, klass, style.colours, [("code", "LSOA"), ("name", "Name"), ("value", col)],
                     name=pick, lgd=lgd, points=pts,
                     point_label=res.columns.label if res.kind == uploads.POINTS_KIND else None)
            show(m, key="plus_upload_map")
            export_frame = (uploads.safe_export(res.points) if res.kind == uploads.POINTS_KIND
                            else csv_safe_frame(res.frame))
            st.download_button("Layer data (CSV)", export_frame.to_csv(index=False).encode("utf-8-sig"),
                               file_name=f"{pick}.csv", mime="text/csv", on_click="ignore",
                               key="plus_layer_csv")


# --- target builder -------------------------------------------------------------------------------
def uploads_for_target() -> dict[str, pd.DataFrame]:
    """Uploaded layers on this vintage's LSOAs (LSOA tables exist on 2021 LSOAs only)."""
    out = {n: layer_frame(r, view.vintage) for n, r in layers.items()
           if r.kind == uploads.POINTS_KIND or view.vintage == "2025"}
    if len(out) < len(layers):
        st.warning("Uploaded LSOA tables are held on 2021 LSOAs: switch to IoD2025 to use them in a target.")
    return out


if section == "Target":
    st.markdown("Define the population you will act on: **Core20** combined with **PLUS** conditions. "
                "Later pages (clinical areas, outreach siting) use this target as their demand.")
    t1, t2 = st.columns(2)
    keep(K_BASE, t1.radio("Start from", ["core20", "all"], key=kept(K_BASE), horizontal=True,
                          format_func={"core20": "Core20 LSOAs (IMD deciles 1-2)", "all": "All LSOAs"}.get))
    keep(K_COMBINE, t2.radio("Combine conditions with", ["and", "or"], key=kept(K_COMBINE), horizontal=True,
                             format_func={"and": "AND (every condition)", "or": "OR (any condition)"}.get))
    conds: list = st.session_state[K_CONDITIONS]
    for i, cond in enumerate(list(conds)):
        a, b = st.columns([6, 1])
        a.markdown(f"{i + 1}. {escape_html(cond.describe())}")
        if b.button("Remove", key=f"plus_rm_{i}_{cond.token()}", icon=":material/close:"):
            conds.pop(i)
            st.rerun()
    with st.expander("Add a condition", expanded=not conds):
        kinds = {"coastal": "Coastal community (G_25_5)",
                 "indicator": "Indicator at or above / below a value",
                 "percentile": "Indicator at or above a percentile within the area",
                 "hotspot": "Hot spot of an indicator (Gi*)", "coldspot": "Cold spot of an indicator (Gi*)",
                 "upload": "Uploaded layer"}
        kind = st.selectbox("Condition", list(kinds), format_func=kinds.get, key="plus_new_kind")
        new = None
        if kind in ("indicator", "percentile", "hotspot", "coldspot"):
            testable = kind in ("indicator", "percentile")
            pool = [i for i in plus.indicators(view.vintage) if i.kind != plus.CATEGORY
                    and (testable or (i.kind == plus.NUMERIC and i.level == plus.LSOA))]
            if kind == "percentile":
                pool = [i for i in pool if i.kind == plus.NUMERIC]
            ind_id = st.selectbox("Indicator", [i.id for i in pool], key="plus_new_ind",
                                  format_func=lambda i: plus.get(i).full_label)
            ind = plus.get(ind_id)
            if kind == "indicator":
                if ind.kind == plus.FLAG:
                    new = plus.Condition("indicator", ind_id, "ge", 1)
                else:
                    x1, x2 = st.columns([1, 2])
                    op = x1.selectbox("Comparison", ["ge", "le"], format_func=plus.OPS.get, key="plus_new_op")
                    med = float(np.nanmedian(national_values(view.vintage, ind_id).astype(float)))
                    thr = x2.number_input(f"Value ({ind.unit or 'value'}; England median "
                                          f"{plus.format_value(ind, med)})", value=round(med, 3),
                                          key="plus_new_thr")
                    new = plus.Condition("indicator", ind_id, op, float(thr))
            elif kind == "percentile":
                pct = st.slider("Percentile within the area", 50, 99, 80, key="plus_new_pct")
                new = plus.Condition("indicator", ind_id, "ge", float(pct), percentile=True)
            else:
                conf = st.select_slider("Confidence", [90, 95, 99], value=95, key="plus_new_conf")
                new = plus.Condition(kind, ind_id, confidence=int(conf))
        elif kind == "coastal":
            new = plus.Condition("coastal")
        elif layers:
            lname = st.selectbox("Layer", list(layers), key="plus_new_layer")
            res = layers[lname]
            if res.kind == uploads.POINTS_KIND:
                new = plus.upload_condition(lname)
                st.caption("LSOAs with at least one of the layer's points.")
            else:
                y1, y2, y3 = st.columns(3)
                col = y1.selectbox("Column", list(res.value_columns), key="plus_new_upcol")
                op = y2.selectbox("Comparison", ["gt", "ge", "le"], format_func=plus.OPS.get,
                                  key="plus_new_upop")
                thr = y3.number_input("Value", value=0.0, key="plus_new_upthr")
                new = plus.upload_condition(lname, col, op, float(thr))
        else:
            st.caption("Upload a layer under 'Local data' first.")
        if new is not None and st.button("Add condition", type="primary", key="plus_add_cond",
                                         icon=":material/add:"):
            try:
                plus.TargetSpec(st.session_state[K_BASE], st.session_state[K_COMBINE],
                                (*conds, new)).validate(view.vintage)
                conds.append(new)
                st.rerun()
            except plus.TargetError as exc:
                st.error(str(exc))

    spec = current_spec()
    result = m = None
    try:
        spec.validate(view.vintage)
        if any(c.kind == "upload" for c in spec.conditions):
            with st.spinner("Evaluating the target…"):
                result = plus.evaluate(spec, area_atlas, uploads_for_target(), hotspot_memo())
                m = plus_maps.target_map(view.vintage, view.level, view.area, result, view.basemap, core20_on)
        else:
            tokens = tuple(sorted(spec.to_query_params().items()))
            result, m = target_cached(view.vintage, view.level, view.area, tokens, view.basemap, core20_on)
    except plus.TargetError as exc:
        st.error(f"This target cannot be used with {schema.IMD_LABEL[view.vintage]}: {exc}")
    if result is not None:
        s = result.summary
        st.subheader(spec.describe())
        k = st.columns(4)
        k[0].metric("LSOAs in target", f"{s['lsoas']:,}", help=f"of {s['area_lsoas']:,} in {area_name}")
        k[1].metric("Population", f"{s['population']:,}",
                    delta=f"{100 * s['population_share']:.1f}% of {area_name}", delta_color="off",
                    delta_arrow="off")
        k[2].metric("Core20 LSOAs in target", f"{s['core20_lsoas']:,}")
        k[3].metric("Coastal LSOAs in target", f"{s['coastal_lsoas']:,}")
        for w in result.warnings:
            st.warning(w)
        if result.condition_masks:
            met = [int(v.sum()) for v in result.condition_masks.values()]
            st.dataframe(pd.DataFrame({"Condition": list(result.condition_masks), "LSOAs meeting it": met}),
                         hide_index=True, width="stretch")
        show(m, key="plus_target_map")
        params = page_params(view, spec, chosen_indicator)
        st.caption("Link to this target (area, vintage and conditions; uploaded files are not in links)")
        st.code(share_url(params), language=None, wrap_lines=True)
        slug = f"core20plus_target_{view.vintage}_{view.level}_{view.area or 'england'}"

        def target_export(fmt: str, result=result, spec=spec) -> bytes:
            frame = plus.target_frame(area_atlas, result)
            labels = {c: frame.attrs.get(c, c) for c in frame.columns if c.startswith("condition_")}
            attribution = [*mapview.attribution_lines(view.vintage),
                           *sources.attribution_lines([d for d in PLUS_DATASETS if d in sources.BY_ID])]
            notes = [f"Target: {spec.describe()}", *[f"{k}: {v}" for k, v in labels.items()], *attribution]
            if fmt == "csv":
                return export.lsoa_csv(pd.DataFrame(frame.drop(columns="geometry")), notes)
            return plus.export_geojson(frame, notes, "Core20PLUS target")

        d1, d2 = st.columns(2)
        d1.download_button("Target LSOAs (CSV)", lambda: target_export("csv"), file_name=f"{slug}.csv",
                           mime="text/csv", on_click="ignore", icon=":material/table:")
        d2.download_button("Target LSOAs (GeoJSON)", lambda: target_export("geojson"),
                           file_name=f"{slug}.geojson", mime="application/geo+json", on_click="ignore",
                           icon=":material/polyline:")


# --- about ----------------------------------------------------------------------------------------
if section == "About the data":
    st.markdown("#### Coastal communities")
    st.markdown(f"{plus.COASTAL_DEFINITION} Coastal Core20 = coastal **and** national IMD deciles 1-2. "
                f"{plus.COAST_DISTANCE_NOTE}")
    st.markdown("#### Ethnicity")
    st.markdown(plus.WHITE_CAVEAT)
    st.markdown("#### Geography of each layer")
    st.markdown("\n".join(f"- **{plus.LEVEL_TEXT[lv].capitalize()}**: {note}"
                          for lv, note in plus.LEVEL_NOTE.items()))
    st.markdown("IoD2025 indicators repeated on every LSOA of a local authority (both homelessness "
                "indicators) are not offered as LSOA layers; statutory homelessness is shown per local "
                "authority instead.")
    st.markdown("#### Local data")
    st.markdown("Postcodes are located offline with OS Code-Point Open (May 2025). "
                f"{geocode.LSOA_ASSIGNMENT_NOTE} 2011 LSOA codes are converted with the ONS LSOA 2011 to "
                "2021 lookup: counts of split LSOAs "
                "are shared by 2021 population, rates copied; merged LSOAs' counts are summed and rates "
                "population-weighted.")
    st.markdown("#### Hot spots")
    st.markdown("Getis-Ord Gi* with queen contiguity, permutation inference and a Benjamini-Hochberg "
                "false-discovery-rate correction; the method note beside each map gives the details.")
    st.markdown("#### Indicators")
    st.dataframe(pd.DataFrame([{"Layer": i.label, "Unit": i.unit, "Level": plus.LEVEL_TEXT[i.level],
                                "Vintages": ", ".join(i.vintages), "Source": ", ".join(i.sources),
                                "Caveat": i.caveat} for i in plus.INDICATORS.values()]),
                 hide_index=True, width="stretch")

sync_url(view, page_params(view, current_spec(), chosen_indicator))
st.divider()
st.caption("Sources: " + " ".join(dict.fromkeys(
    [*mapview.attribution_lines(view.vintage),
     *sources.attribution_lines([d for d in PLUS_DATASETS if d in sources.BY_ID])])))
