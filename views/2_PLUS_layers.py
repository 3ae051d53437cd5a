"""PLUS layers: coastal communities, inclusion indicators, hot spots, local data and the
Core20PLUS target, beside Core20.

Wiring only: widgets (kept by ``ui.keep``) -> geo_core20.plus / hotspots / uploads -> maps
from geo_core20.maps.plus_maps. The section, layer, hot-spot settings and target live in the URL
(``section``, ``layer``, ``hot``, ``perms``, ``tb``, ``tc``, ``tx``; see ``ui.link``) next to the view.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo_core20 import errors, hotspots, plus, schema, sources, ui, uploads
from geo_core20.clinical.accelerators import GRT_NOTE
from geo_core20.maps import export, plus_maps, view
from geo_core20.ui import (
    downloads,
    exports_panel,
    focus,
    keep,
    link,
    page,
    pages,
    plus_panels,
    target,
    upload_form,
)
from geo_core20.ui import plus_cache as pc
from geo_core20.ui.context import PageContext
from geo_core20.ui.link import K_HOT, K_PERMS
from geo_core20.ui.link import K_PLUS_LAYER as K_LAYER
from geo_core20.ui.link import K_PLUS_SECTION as K_SECTION
from geo_core20.ui.text import escape_markdown

SECTIONS = tuple(link.PLUS_SECTIONS.values())
K_UPLOAD_COLUMN = "plus_layer_column"
ABOUT = page.ABOUT_DIR / "20_plus_layers.md"
GRT_LAYERS = ("grt_lsoa_count", "grt_lsoa_pct", "roma_lsoa_count", "roma_lsoa_pct", "grt_count", "grt_pct",
              "roma_count", "roma_pct")  # Gypsy, Roma and Traveller layers: the page says what exists



def indicators_section(ctx: PageContext) -> None:
    v = ctx.view
    ids = [i.id for i in sorted(plus.indicators(v.vintage), key=lambda i: (i.group, i.label))]
    ind = plus.get(keep.widget(st.selectbox, "Layer", ids, key=K_LAYER, default=link.PLUS_DEFAULT_LAYER,
                               valid=ids,
                               format_func=lambda i: f"{plus.get(i).group}: {plus.get(i).full_label}"))
    if ind.id in GRT_LAYERS and plus.missing_input("grt_lsoa_count") is not None:  # offline: TS021 absent
        st.info(escape_markdown(GRT_NOTE), icon=":material/groups:")
    if (missing := plus.missing_input(ind.id)) is not None:  # an optional input absent here (offline)
        st.warning(escape_markdown(missing), icon=":material/cloud_download:")
        return
    cached, table = pc.indicator_map(v.vintage, v.level, v.area, ind.id, v.basemap, ctx.core20_on)
    left, right = st.columns([5, 2], gap="medium")
    with left:
        ui.show_map(cached, key="plus_indicator_map", height=560, legend_in=right)
    with right:
        plus_panels.indicator_facts(ctx, ind, table)
    if ind.id.startswith("tlhc_"):
        plus_panels.tlhc_table(ctx)
    with st.expander(f"Table: {len(table):,} {plus.LEVEL_TEXT[ind.level]} rows"):
        st.dataframe(table.assign(value=[plus.format_value(ind, x) for x in table["value"]]),
                     hide_index=True, width="stretch", height=300)
    notes = [*view.attribution_lines(v.vintage), *ind.attribution()]
    slug = f"plus_{ind.id}_{ctx.slug}"
    d1, d2 = st.columns(2)
    downloads.table(d1, "Layer", slug, table, notes)
    downloads.geojson(d2, "Layer (GeoJSON)", lambda: export.to_geojson(
        plus.area_layer(ctx.area_atlas, ind.id), notes, slug), f"{slug}.geojson")


def hotspot_options(ctx: PageContext) -> dict[str, tuple[str, str, str]]:
    """label -> ("indicator", id, "") or ("upload", layer name, column)."""
    opts = {link.hot_label(i.id): ("indicator", i.id, "")
            for i in plus.indicators(ctx.view.vintage, level=plus.LSOA, kind=plus.NUMERIC)}
    for name, res in upload_form.layers().items():
        for col in (["count"] if res.kind == uploads.POINTS_KIND else list(res.value_columns)):
            opts[f"upload: {name} / {'points per LSOA' if col == 'count' else col}"] = ("upload", name, col)
    return opts


def hotspots_section(ctx: PageContext) -> None:
    v, opts = ctx.view, hotspot_options(ctx)
    default = next(k for k, o in opts.items() if o[1] == link.HOT_DEFAULT)
    h1, h2 = st.columns([3, 1])
    pick = keep.widget(h1.selectbox, "Find hot and cold spots of", list(opts), key=K_HOT, default=default,
                       valid=list(opts))
    choices = list(link.PERMUTATIONS)
    perms = keep.widget(h2.selectbox, "Permutations", choices, key=K_PERMS, default=choices[0],
                        help="More permutations allow smaller p-values (slower). The smallest possible "
                             "p-value is 1/(permutations + 1), doubled for the two-sided test: " + ", ".join(
                                 f"{n:,}: {hotspots.smallest_p(n):.2g}" for n in choices) + ".")
    kind, ref, col = opts[pick]
    if v.level == "england":
        st.caption("All of England: about 10 seconds with 999 permutations.")
    if kind == "indicator":
        result = pc.hotspots_cached(v.vintage, v.level, v.area, ref, perms)
        cached = pc.hotspot_map(v.vintage, v.level, v.area, ref, perms, v.basemap, ctx.core20_on)
    else:
        vals, _ = uploads.layer_values(upload_form.layers()[ref], col, v.vintage,
                                       ctx.area_atlas[schema.LSOA_CODE], ctx.atlas)
        label = f"{ref} / {col}"
        result = pc.values_hotspots(v.vintage, v.level, v.area, vals, perms, label)
        cached = ui.session_map(
            "plus_hotspot", (ctx.slug, ref, col, perms, v.basemap, ctx.core20_on),
            lambda: plus_maps.hotspot_map(v.vintage, v.level, v.area, result, label, v.basemap,
                                          ctx.core20_on))
    left, right = st.columns([5, 2], gap="medium")
    with left:
        ui.show_map(cached, key="plus_hotspot_map", height=560, legend_in=right)
    with right:
        h, c = st.columns(2)  # the class counts are in the legend above
        h.metric("Hot spot LSOAs", f"{result.n_hot:,}")
        c.metric("Cold spot LSOAs", f"{result.n_cold:,}")
        if (none := result.no_spots_note()) is not None:  # else an all-white map says nothing
            st.warning(none, icon=":material/info:")
    st.info(result.method_note, icon=":material/functions:")
    notes = [result.method_note, *view.attribution_lines(v.vintage),
             *(plus.get(ref).attribution() if kind == "indicator" else [])]
    table = plus_panels.hotspot_table(ctx, result)
    downloads.table(st, "Hot spot results", f"hotspots_{ctx.slug}", table, notes)


def local_data_section(ctx: PageContext) -> None:
    st.markdown("Add your own data: a **table keyed by LSOA code** (2011 or 2021 codes; 2011 codes are "
                "converted with the ONS lookup) or a **list of places** with postcodes, longitude/latitude "
                "or easting/northing (e.g. traveller sites, hostels, community venues), counted per LSOA. "
                "CSV or Excel (.xlsx), or GIS files (GeoJSON, GeoPackage, zipped shapefile: points, or areas "
                f"counted per LSOA), {upload_form.size_limit_text()}. Files stay in this "
                "browser session only.")
    upload_form.add_layer_form()
    pick = upload_form.pick_layer()
    if pick is not None:
        upload_form.layer_view(ctx, pick, K_UPLOAD_COLUMN)


def target_section(ctx: PageContext) -> None:
    v = ctx.view
    st.markdown("Define the population you will act on: **Core20** combined with **PLUS** conditions. "
                "The outreach planner can use this target as its demand.")
    target.base_and_combine()
    target.condition_list()
    target.add_condition(v.vintage, upload_form.layers(), lambda i: pc.national_median(v.vintage, i))
    spec = target.current()
    try:
        spec.validate(v.vintage)
        if any(c.kind == "upload" for c in spec.conditions):
            layers = {n: upload_form.layer_on_vintage(r, v.vintage) for n, r in upload_form.layers().items()}
            result = plus.evaluate(spec, ctx.area_atlas, layers)
            cached = ui.session_map("plus_target", (ctx.slug, spec, v.basemap, ctx.core20_on),
                                            lambda: plus_maps.target_map(v.vintage, v.level, v.area, result,
                                                                         v.basemap, ctx.core20_on))
        else:
            tokens = tuple(sorted(spec.to_query_params().items()))
            result, cached = pc.target(v.vintage, v.level, v.area, tokens, v.basemap, ctx.core20_on)
    except errors.InputError as exc:
        st.error(f"This target cannot be used with {schema.IMD_LABEL[v.vintage]}: {exc}")
        return
    s = result.summary
    st.subheader(escape_markdown(spec.describe()))
    k = st.columns(4)
    k[0].metric("LSOAs in target", f"{s['lsoas']:,}", help=f"of {s['area_lsoas']:,} in {ctx.area_name}")
    # the chip stays short (a long area name was cut with "…"); the area is named in the help
    share = f"{100 * s['population_share']:.1f}%"
    k[1].metric("Population", f"{s['population']:,}", delta=f"{share} of residents", delta_color="off",
                delta_arrow="off", help=escape_markdown(f"Residents of the target LSOAs: {share} of the "
                                                        f"residents of {ctx.area_name}."))
    k[2].metric("Core20 LSOAs in target", f"{s['core20_lsoas']:,}")
    k[3].metric("Coastal LSOAs in target", f"{s['coastal_lsoas']:,}")
    for w in result.warnings:
        st.warning(escape_markdown(w))
    if result.condition_masks:
        met = [int(m.sum()) for m in result.condition_masks.values()]
        st.dataframe(pd.DataFrame({"Condition": list(result.condition_masks), "LSOAs meeting it": met}),
                     hide_index=True, width="stretch")
    ui.show_map(cached, key="plus_target_map", height=560)
    page.share_link(ctx, container=st, caption="Link to this target (with the view; uploaded files are not "
                                               "in links)")
    notes = [f"Target: {spec.describe()}", *view.attribution_lines(v.vintage),
             *sources.attribution_lines(plus.DATASETS)]
    frame = plus.target_frame(ctx.area_atlas, result)
    table = pd.DataFrame(frame.drop(columns="geometry"))
    slug = f"core20plus_target_{ctx.slug}"
    d1, d2 = st.columns(2)
    downloads.table(d1, "Target LSOAs", slug, table, notes)
    downloads.geojson(d2, "Target LSOAs (GeoJSON)",
                      lambda: export.to_geojson(frame, notes, "Core20PLUS target"), f"{slug}.geojson")
    if not any(c.kind == "upload" for c in spec.conditions):  # print maps hold no uploaded data
        tokens = tuple(sorted(spec.to_query_params().items()))
        exports_panel.map_buttons("Target map", lambda fmt: ui.target_map_bytes(
            v.vintage, v.level, v.area, tokens, fmt), slug, "plus_export_target")


def about_section(ctx: PageContext) -> None:
    st.markdown(ABOUT.read_text(encoding="utf-8"))
    st.markdown("#### Indicators")
    st.dataframe(pd.DataFrame([{"Layer": i.label, "Unit": i.unit, "Level": plus.LEVEL_TEXT[i.level],
                                "Vintages": ", ".join(i.vintages), "Source": ", ".join(i.sources),
                                "Caveat": i.caveat} for i in plus.INDICATORS.values()]),
                 hide_index=True, width="stretch")


SECTION_VIEWS = dict(zip(SECTIONS, (indicators_section, hotspots_section, local_data_section, target_section,
                                    focus.panel, about_section), strict=True))


@page.frame
def main() -> None:
    st.set_page_config(page_title="PLUS layers", page_icon=ui.page_icon(), layout="wide")
    ctx = page.context(pages.PLUS)
    page.header(ctx, f"{ctx.area_name}: PLUS groups beside Core20",
                f"Core20 = {schema.CORE20_RULE}. Each layer says the geography it is published at; "
                "local-authority and MSOA data are never shown as if they were LSOA data.")
    plus_panels.headline(ctx)
    section = keep.widget(st.segmented_control, "Show", SECTIONS, key=K_SECTION, default=SECTIONS[0],
                          required=True, label_visibility="collapsed")
    SECTION_VIEWS[section](ctx)
    st.divider()
    lines = sources.merge_attribution([*view.attribution_lines(ctx.view.vintage),
                                       *sources.attribution_lines(plus.DATASETS)])
    st.caption("Sources: " + " ".join(lines))
    page.finish(ctx)


main()
