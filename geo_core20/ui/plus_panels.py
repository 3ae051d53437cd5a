"""Display blocks of the PLUS layers page: headline figures, an indicator's facts, hot-spot table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo_core20 import hotspots, plus, schema
from geo_core20.maps import plus_maps
from geo_core20.ui import plus_cache as pc
from geo_core20.ui.context import PageContext
from geo_core20.ui.text import escape_markdown


def headline(ctx: PageContext) -> None:
    a, pop = ctx.area_atlas, int(ctx.area_atlas[schema.POPULATION].sum())
    coast = plus.coastal_summary(a, "england").iloc[0]
    c = st.columns(5)
    c[0].metric("LSOAs", f"{len(a):,}")
    c[1].metric("Core20 LSOAs", f"{int(a[schema.CORE20].sum()):,}")
    c[2].metric("Coastal LSOAs", f"{int(coast['coastal_lsoas']):,}", help=plus.COASTAL_DEFINITION)
    c[3].metric("Coastal Core20 LSOAs", f"{int(coast['coastal_core20_lsoas']):,}",
                help=f"Coastal (G_25_5) and Core20: {schema.CORE20_IN_BRIEF}.")
    c[4].metric("Coastal Core20 population", f"{int(coast['coastal_core20_population']):,}",
                delta=f"{100 * coast['coastal_core20_population'] / pop:.1f}% of residents" if pop else None,
                delta_color="off", delta_arrow="off")


def indicator_facts(ctx: PageContext, ind: plus.Indicator, table: pd.DataFrame) -> None:
    st.markdown(f"**{escape_markdown(ind.label)}**  \nLevel: **{plus.LEVEL_TEXT[ind.level]}**"
                + (f" · unit: {escape_markdown(ind.unit)}" if ind.unit else ""))
    if ind.level != plus.LSOA:
        st.warning(plus.LEVEL_NOTE[ind.level], icon=":material/info:")
    caveat = ind.caveat.replace(plus.LEVEL_NOTE[ind.level], "").strip() or ind.caveat
    st.info(caveat, icon=":material/menu_book:")
    if ind.id in plus_maps.TIDAL_LAYERS and (tidal := plus.coastal.tidal_note(ctx.area_atlas)):
        st.info(tidal, icon=":material/water:")
    vals = table["value"]
    if ind.kind == plus.NUMERIC:
        fmt = [plus.format_value(ind, v) for v in
               (vals.min(), vals.median(), vals.max(), pc.national_median(ctx.view.vintage, ind.id))]
        st.dataframe(pd.DataFrame({"": ["Lowest", "Median", "Highest", "England median"], "Value": fmt}),
                     hide_index=True, width="stretch")
    elif ind.kind == plus.FLAG:
        yes = ctx.area_atlas.loc[plus.values(ctx.area_atlas, ind.id).astype(bool).to_numpy()]
        st.metric("LSOAs flagged", f"{len(yes):,} of {len(ctx.area_atlas):,}")
        st.metric("Residents in them", f"{int(yes[schema.POPULATION].sum()):,}")
    else:
        st.dataframe(vals.value_counts().rename_axis("Class").reset_index(name="LSOAs"),
                     hide_index=True, width="stretch")


def hotspot_table(ctx: PageContext, result: hotspots.HotspotResult) -> pd.DataFrame:
    out = pd.concat([ctx.area_atlas[[schema.LSOA_CODE, schema.LSOA_NAME]].reset_index(drop=True),
                     result.frame.reset_index(drop=True)], axis=1)
    return out.assign(hotspot=out["hotspot"].astype(str))


def tlhc_table(ctx: PageContext) -> None:
    """Core20 residents aged 55-74 inside and outside targeted lung health check project areas: the
    area and England, IMD2019 (the programme's era) beside IoD2025, with the caveat."""
    from geo_core20 import tlhc

    v = ctx.view
    frames = [pc.tlhc_coverage("england")]
    if v.level != "england":
        per_area = pc.tlhc_coverage(v.level)
        frames.insert(0, per_area[per_area["area_code"] == v.area])
    rows = pd.concat(frames, ignore_index=True)
    counts = [c for c in rows.columns if c.startswith(("core20_55_74_inside", "core20_55_74_outside"))]
    rows[counts] = rows[counts].round(0)
    shown = pd.DataFrame({
        "Area": rows["area_name"],
        "Inside (IMD2019)": rows["core20_55_74_inside_imd2019"],
        "Outside (IMD2019)": rows["core20_55_74_outside_imd2019"],
        "Share inside (IMD2019)": rows["core20_55_74_share_inside_imd2019"],
        "Inside (IoD2025)": rows["core20_55_74_inside_iod2025"],
        "Outside (IoD2025)": rows["core20_55_74_outside_iod2025"],
        "Share inside (IoD2025)": rows["core20_55_74_share_inside_iod2025"]})
    st.markdown("**Core20 residents aged 55-74 inside and outside lung health check project areas**")
    number = st.column_config.NumberColumn(format="localized")
    share = st.column_config.NumberColumn(format="percent")
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={c: (share if c.startswith("Share") else number) for c in shown.columns
                                if c != "Area"})
    st.caption(escape_markdown(f"{tlhc.CAVEAT} IMD2019 on 2011 LSOAs (the programme's era) beside IoD2025 on "
                               "2021 LSOAs; residents aged 55-74 from ONS mid-2020 estimates."))
