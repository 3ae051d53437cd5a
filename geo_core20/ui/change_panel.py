"""The explorer's "Core20 then and now" tab: which LSOAs entered, left or stayed in Core20 from
IMD2019 to IoD2025 (``geo_core20.change``), as figures, a map, a table, a CSV and a print map.

Wiring only: ``ui.cache`` -> ``change.area_change`` / ``change.lsoa_table`` / ``maps.change_maps``.
The change is counted on the 2025 areas (LSOA 2021), whichever vintage the sidebar shows.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo_core20 import change, schema
from geo_core20.maps import change_maps, view
from geo_core20.ui import cache, downloads, exports_panel, keep, map_display
from geo_core20.ui.context import PageContext

K_KIND = "gc20_change_kind"
KIND_LABEL = {"core20": "Core20 (deciles 1-2)", "decile1": "Most deprived decile (decile 1)"}
STATUS_TEXT = {s: change.STATUS_LABEL[s] for s in change.STATUS}
TABLE_COLUMNS = {
    "lsoa_code": st.column_config.TextColumn("LSOA code"),
    "lsoa_name": st.column_config.TextColumn("LSOA name"),
    "status": st.column_config.TextColumn("Core20, 2019 to 2025"),
    "decile1_status": st.column_config.TextColumn("Decile 1, 2019 to 2025"),
    "change": st.column_config.TextColumn("LSOA 2011 to 2021"),
    "lsoas_2011": st.column_config.TextColumn("LSOAs 2011"),
    "core20_2019": st.column_config.CheckboxColumn("Core20 2019"),
    "core20_2025": st.column_config.CheckboxColumn("Core20 2025"),
    "decile1_2019": st.column_config.CheckboxColumn("Decile 1 2019"),
    "decile1_2025": st.column_config.CheckboxColumn("Decile 1 2025"),
    "population": st.column_config.NumberColumn("Residents (Census 2021)", format="localized"),
    "why": st.column_config.TextColumn("Why not comparable"),
}


def figures_table(f: dict) -> pd.DataFrame:
    """The area's figures, Core20 beside decile 1 (one row per measure)."""
    rows = [
        ("LSOAs in IMD2019 (LSOA 2011 basis)", f["core20_lsoas_2019"], f["decile1_lsoas_2019"]),
        ("LSOAs in IoD2025 (LSOA 2021)", f["core20_lsoas_2025"], f["decile1_lsoas_2025"]),
        ("Stayed (in both)", f["stayed"], f["decile1_stayed"]),
        ("Entered (IoD2025 only)", f["entered"], f["decile1_entered"]),
        ("Left (IMD2019 only)", f["left"], f["decile1_left"]),
        ("LSOAs 2021 not comparable", f["not_comparable"], f["decile1_not_comparable"]),
    ]
    return pd.DataFrame(rows, columns=["LSOAs", "Core20", "Most deprived decile"])


def _area_in_2025(ctx: PageContext) -> bool:
    v = ctx.view
    if v.level == "england" or v.vintage == change.NEW:
        return True
    return str(v.area) in set(cache.list_areas_cached(change.NEW, v.level)["area_code"])


def panel(ctx: PageContext) -> None:
    """Figures, map, table, CSV and print map of the view's area, IMD2019 to IoD2025."""
    v = ctx.view
    level, area = v.level, (None if v.level == "england" else v.area)
    st.subheader("Core20 then and now: IMD2019 to IoD2025")
    st.info(change.CAVEAT, icon=":material/history:")
    if not _area_in_2025(ctx):
        st.warning(f"{schema.LEVEL_LABEL[level]} {v.area} is not an area of the IoD2025 atlas: the change is "
                   "counted on the 2025 areas. Switch the vintage to IoD2025 and choose the area there.",
                   icon=":material/info:")
        return
    if v.vintage != change.NEW:
        st.caption("Counted on the IoD2025 areas and LSOAs 2021, whichever vintage the sidebar shows.")
    f = cache.change_figures_cached(level, area)
    c = st.columns(4)
    c[0].metric("Core20 LSOAs, IMD2019", f"{f['core20_lsoas_2019']:,}",
                help="2011 LSOAs in national IMD2019 deciles 1-2, placed in the 2025 area of their 2021 "
                     "successor. On the 2021 basis (comparable LSOAs): "
                     f"{f['core20_lsoas_2019_same_basis']:,}.")
    c[1].metric("Core20 LSOAs, IoD2025", f"{f['core20_lsoas_2025']:,}",
                help="2021 LSOAs in national IoD2025 deciles 1-2: stayed + entered + not comparable "
                     f"({f['core20_2025_not_comparable']:,}).")
    c[2].metric("Entered", f"{f['entered']:,}", help="Comparable LSOAs 2021 in Core20 in IoD2025 only.")
    c[3].metric("Left", f"{f['left']:,}", help="Comparable LSOAs 2021 in Core20 in IMD2019 only.")
    d = st.columns(4)
    d[0].metric("Stayed", f"{f['stayed']:,}", help="Comparable LSOAs 2021 in Core20 in both.")
    d[1].metric("People in LSOAs that entered", f"{f['people_entered']:,}",
                help="Census 2021 usual residents, so a change of boundaries or population is not counted "
                     "as a change of deprivation.")
    d[2].metric("People in LSOAs that left", f"{f['people_left']:,}", help="Census 2021 usual residents.")
    persistence = f["decile1_persistence"]
    d[3].metric("Decile-1 persistence", "n/a" if pd.isna(persistence) else f"{persistence:.1%}",
                help="The share of the area's IoD2025 most deprived decile LSOAs whose 2011 LSOA was in the "
                     "IMD2019 most deprived decile (MHCLG's measure: 82% for England).")
    st.caption(f"Not comparable: {f['not_comparable']:,} LSOAs 2021 ({f['people_not_comparable']:,} "
               f"residents), {f['core20_2025_not_comparable']:,} of them Core20 in IoD2025. "
               f"{change_maps.COMPARABLE_NOTE}")
    st.dataframe(figures_table(f), hide_index=True, width="stretch",
                 column_config={"Core20": st.column_config.NumberColumn(format="localized"),
                                "Most deprived decile": st.column_config.NumberColumn(format="localized")})
    kinds = list(KIND_LABEL)
    kind = keep.widget(st.radio, "Map of", kinds, key=K_KIND, default=kinds[0], valid=kinds,
                       format_func=KIND_LABEL.get, horizontal=True)
    cached = cache.change_map_cached(level, area, v.basemap, ctx.core20_on, kind)
    left, right = st.columns([5, 2], gap="medium")
    with left:
        map_display.show_map(cached, key="change_map", height=560, legend_in=right)
    table = cache.change_table_cached(level, area)
    moved = table[table["status"].isin(["entered", "left"])]
    st.markdown(f"**LSOAs that entered or left Core20** ({len(moved):,}; the CSV holds every LSOA of the "
                "area)")
    st.dataframe(moved.assign(status=moved["status"].map(STATUS_TEXT),
                              decile1_status=moved["decile1_status"].map(STATUS_TEXT)),
                 hide_index=True, width="stretch", height=320, column_config=TABLE_COLUMNS)
    odd = table[table["why"] != ""]
    if len(odd):
        st.markdown(f"**Not comparable** ({len(odd):,} LSOAs 2021, listed, not dropped)")
        st.dataframe(odd[["lsoa_code", "lsoa_name", "change", "lsoas_2011", "core20_2025", "why"]],
                     hide_index=True, width="stretch", column_config=TABLE_COLUMNS)
    else:
        st.caption("Every LSOA 2021 of this area is comparable.")
    slug = f"core20_change_{level}" + (f"_{area}" if area else "")
    notes = [change.CAVEAT, change_maps.COMPARABLE_NOTE, *view.attribution_lines("2019"),
             *view.attribution_lines(change.NEW)]
    downloads.table(st, "LSOAs with their status", slug, lambda: cache.change_table_cached(level, area),
                    notes, key="change_csv")
    exports_panel.map_buttons("Change map", lambda fmt: cache.change_map_bytes(level, area, kind, fmt),
                              f"{slug}_{kind}_map", "change_export_map")
