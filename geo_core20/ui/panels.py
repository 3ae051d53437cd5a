"""Display blocks of the explorer: headline numbers, comparison, decile profile, LSOA details,
attribution. Every figure comes from ``geo_core20.areas`` (the same code as the CLI)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from geo_core20 import schema
from geo_core20.maps import palette
from geo_core20.ui import cache

COMPARISON_COLUMNS = {
    "area_name": "Area",
    "lsoas": "LSOAs",
    "population": "Population",
    "core20_lsoas": "Core20 LSOAs",
    "core20_population": "Core20 population",
    "core20_population_pct": "Core20 share of population",
    "pct_lsoas_most_deprived_10": "LSOAs in decile 1 (most deprived 10%)",
}


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def comparison_rows(vintage: str, level: str, area_code: str | None) -> pd.DataFrame:
    """Summary rows for the area, its parent area and England (`areas.comparison`)."""
    return cache.comparison_cached(vintage, level, area_code)


def headline(vintage: str, level: str, area_code: str | None) -> dict:
    """Show the headline numbers; returns the area's summary row."""
    row = cache.area_summary(vintage, level, area_code)
    england = cache.area_summary(vintage, "england", None)
    c = st.columns(5)
    c[0].metric("LSOAs", f"{row['lsoas']:,}")
    c[1].metric("Population", f"{row['population']:,}",
                help="Census 2021 usual residents" if vintage == "2025" else "IoD2019 mid-2015 denominators")
    c[2].metric("Core20 LSOAs", f"{row['core20_lsoas']:,}",
                delta=f"{pct(row['core20_lsoas'] / row['lsoas'] if row['lsoas'] else 0)} of LSOAs",
                delta_color="off", delta_arrow="off")
    c[3].metric("Core20 population", f"{row['core20_population']:,}")
    diff = 100 * (row["core20_population_pct"] - england["core20_population_pct"])
    eng_pct = pct(england["core20_population_pct"])
    c[4].metric("Core20 pop. share", pct(row["core20_population_pct"]),
                delta=f"{diff:+.1f} pts vs England" if level != "england" else "20% of LSOAs",
                delta_color="off", delta_arrow="auto" if level != "england" else "off",
                help=f"Share of residents living in {schema.CORE20_LSOAS}. England: "
                     f"{eng_pct}; not exactly 20%, because the cut is 20% of LSOAs, not of people.")
    return row


def comparison_table(vintage: str, level: str, area_code: str | None) -> pd.DataFrame:
    frame = comparison_rows(vintage, level, area_code)
    show = frame[["role", *COMPARISON_COLUMNS]].rename(columns={"role": "", **COMPARISON_COLUMNS})
    st.dataframe(
        show, hide_index=True, width="stretch",
        column_config={
            "Core20 share of population": st.column_config.NumberColumn(format="percent"),
            "LSOAs in decile 1 (most deprived 10%)": st.column_config.NumberColumn(format="percent"),
            **{c: st.column_config.NumberColumn(format="localized")
               for c in ("LSOAs", "Population", "Core20 LSOAs", "Core20 population")},
        },
    )
    return frame


def decile_chart(vintage: str, level: str, area_code: str | None, area_name: str) -> pd.DataFrame:
    """Share of the area's population in each national IMD decile, England's share marked."""
    prof = cache.decile_profile_cached(vintage, level, area_code).copy()
    eng = cache.decile_profile_cached(vintage, "england", None)
    prof["population_share"] = prof["population"] / max(int(prof["population"].sum()), 1)
    prof["england_share"] = (eng["population"] / max(int(eng["population"].sum()), 1)).to_numpy()
    prof["core20"] = prof["imd_decile"] <= 2
    base = alt.Chart(prof).encode(x=alt.X("imd_decile:O", title="National IMD decile (1 = most deprived)",
                                          axis=alt.Axis(labelAngle=0)))
    bars = base.mark_bar().encode(
        y=alt.Y("population_share:Q", title="Share of population", axis=alt.Axis(format="%")),
        color=alt.Color("imd_decile:O", legend=None,
                        scale=alt.Scale(domain=list(range(1, 11)), range=list(palette.DECILE_COLOURS))),
        tooltip=[alt.Tooltip("imd_decile:O", title="Decile"),
                 alt.Tooltip("lsoas:Q", title="LSOAs", format=","),
                 alt.Tooltip("population:Q", title="Population", format=","),
                 alt.Tooltip("population_share:Q", title="Share of population", format=".1%"),
                 alt.Tooltip("england_share:Q", title="England share", format=".1%")],
    )
    if level != "england":
        ticks = base.mark_tick(color=palette.AREA_LINE, thickness=3, size=28).encode(
            y="england_share:Q",
            tooltip=[alt.Tooltip("england_share:Q", title="England share", format=".1%")])
        chart = bars + ticks
    else:
        chart = bars
    st.altair_chart(chart.properties(height=260, title=f"{area_name}: population by national IMD decile"),
                    width="stretch")
    if level != "england":
        st.caption("Bars: this area. Red ticks: England. Deciles 1-2 are Core20.")
    return prof


def lsoa_details(vintage: str, code: str | None, view_codes: set[str] | None = None) -> None:
    """Details of one LSOA (from the atlas), or a hint when none is selected."""
    if not code:
        st.info("Click an LSOA on the map to see its details here.")
        return
    atlas = cache.load_atlas_cached(vintage)
    hit = atlas.loc[atlas[schema.LSOA_CODE] == code]
    if hit.empty or (view_codes is not None and code not in view_codes):
        st.info("Click an LSOA on the map to see its details here.")
        return
    r = hit.iloc[0]
    st.markdown(f"**{r[schema.LSOA_NAME]}**  \n`{r[schema.LSOA_CODE]}`")
    core = "Yes" if bool(r[schema.CORE20]) else "No"
    st.markdown(f"IMD decile **{int(r[schema.IMD_DECILE])}** · rank {int(r[schema.IMD_RANK]):,} "
                f"of {len(atlas):,} · score {float(r[schema.IMD_SCORE]):.1f}  \n"
                f"Core20: **{core}** · population {int(r[schema.POPULATION]):,}")
    # a list, not a grid: long domain names wrap inside the narrow column instead of being cut off
    st.markdown("**Domain deciles** (1 = most deprived 10%)  \n" + "  \n".join(
        f"{label}: **{int(r[f'{d}_decile'])}**" for d, label in schema.DOMAINS.items()))
    places = [("Local authority", "lad_name"), ("Sub-ICB location", "sub_icb_name"), ("ICB", "icb_name"),
              ("NHS region", "nhs_region_name"), ("Region", "region_name")]
    st.caption(" · ".join(f"{lab}: {r[col]}" for lab, col in places if col in r and pd.notna(r[col])))
    extra = []
    if "ruc_class" in r and pd.notna(r["ruc_class"]):
        extra.append(f"Rural-urban: {r['ruc_class']}")
    if schema.COASTAL in r and pd.notna(r[schema.COASTAL]):
        extra.append(f"Coastal: {'yes' if bool(r[schema.COASTAL]) else 'no'}")
    if extra:
        st.caption(" · ".join(extra))


def attribution(vintage: str) -> None:
    from geo_core20.maps import view

    lines = view.attribution_lines(vintage)
    st.caption("**Sources and attribution**  \n" + "  \n".join(lines))

