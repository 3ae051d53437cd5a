"""Core20 explorer (home page): pick an area, see where Core20 is, share it.

Run with ``streamlit run app.py``. Thin by design: sidebar widgets -> geo_core20 (areas,
maps) -> map, numbers and downloads; all caching lives in geo_core20.ui.

This file is also the app's entry point: it builds the navigation from the page list in
``geo_core20.ui.pages`` (this explorer first), so that the home page is called "Core20 explorer".
"""

from __future__ import annotations

import streamlit as st

from geo_core20 import atlas, lsoa_filter, schema, ui
from geo_core20.lsoa_filter import TableFilter
from geo_core20.maps import styles
from geo_core20.ui import change_panel, exports_panel, focus, keep, link, page, pages, panels, present
from geo_core20.ui import downloads as dl
from geo_core20.ui.link import View

MAP_HEIGHT = 620
TABS = tuple(link.EXPLORER_TABS.values())
TABLE_COLUMNS = {
    schema.LSOA_CODE: st.column_config.TextColumn("LSOA code"),
    schema.LSOA_NAME: st.column_config.TextColumn("LSOA name"),
    schema.WARD_NAME: st.column_config.TextColumn("Ward (2024)"),
    schema.IMD_DECILE: st.column_config.NumberColumn("IMD decile"),
    schema.IMD_RANK: st.column_config.NumberColumn("IMD rank", format="localized"),
    schema.IMD_SCORE: st.column_config.NumberColumn("IMD score", format="%.1f"),
    schema.CORE20: st.column_config.CheckboxColumn("Core20"),
    schema.POPULATION: st.column_config.NumberColumn("Population", format="localized"),
    **{f"{d}_decile": st.column_config.NumberColumn(f"{label} decile")
       for d, label in schema.DOMAINS.items()},
    **{col: st.column_config.TextColumn(f"{schema.LEVEL_LABEL[level]} {part}")
       for level, cols in schema.LEVEL_COLUMNS.items()
       for col, part in zip(cols, ("code", "name"), strict=True)},
}
K_TAB = link.K_TAB


def map_tab(view: View, core20_outline: bool) -> None:
    shown = ui.view_map_cached(view.vintage, view.level, view.area, view.shade, core20_outline, view.basemap)
    left, right = st.columns([5, 2], gap="medium")
    with left:
        clicked = ui.show_map(shown, key="explorer_map", height=MAP_HEIGHT, legend_in=right)
    if not present.enabled():  # a projector shows the map and its legend only
        with right:
            st.subheader("Selected LSOA")
            # the view's codes only once an LSOA was clicked: unpickling England's 33,755-row table and
            # hashing its codes on every rerun cost ~0.1 s of server time for a hint
            codes = (set(ui.lsoa_table_cached(view.vintage, view.level, view.area)[schema.LSOA_CODE])
                     if clicked else None)
            panels.lsoa_details(view.vintage, clicked, codes)
    st.caption(f"Shaded by {styles.SHADINGS[view.shade]}. {shown.vm.legend.notes[0]} Hover an LSOA for its "
               "figures; click it for details. The layers button (top right) switches outlines off.")


def table_tab(view: View) -> TableFilter:
    """The view's LSOAs as a table under its filter; returns the filter (the CSV download follows it)."""
    table = ui.lsoa_table_cached(view.vintage, view.level, view.area)
    f1, f2, f3 = st.columns([2, 2, 1])
    text = f1.text_input("Filter by LSOA, ward or place", key="gc20_table_filter",
                         placeholder=f"{lsoa_filter.SEARCHED}: e.g. E01000001, Birkenhead or Sunderland",
                         help=f"Finds the text in the {lsoa_filter.SEARCHED} (codes and names). "
                              f"{atlas.WARD_NOTE[view.vintage]}")
    deciles = f2.multiselect("IMD deciles", list(range(1, 11)), key="gc20_table_deciles",
                             placeholder="All deciles")
    core_only = f3.toggle("Core20 only", key="gc20_table_core20")
    flt = TableFilter.of(text, deciles, core_only)
    shown = ui.filtered_table_cached(view.vintage, view.level, view.area, flt)
    st.caption(f"{len(shown):,} of {len(table):,} LSOAs, most deprived first. Click a column header to sort."
               + (" The CSV download below holds these rows." if flt.active else ""))
    st.dataframe(shown, hide_index=True, width="stretch", height=520, column_config=TABLE_COLUMNS)
    return flt


def downloads(view: View, core20_outline: bool, flt: TableFilter, page_slug: str) -> None:
    """The view's data files, behind one button: the browser draws the buttons when it is opened (a
    first visit does not lay out buttons nobody pressed yet; each file is built only when its button is)."""
    st.subheader("Downloads")
    slug = f"core20_{page_slug}"
    menu = st.popover("Download the LSOAs in view", icon=":material/download:")
    v = view
    stem = f"{slug}{'_filtered' if flt.active else ''}"
    dl.table_files(menu, "LSOAs in view", stem, lambda: ui.csv_bytes_cached(v.vintage, v.level, v.area, flt),
                   lambda: ui.xlsx_bytes_cached(v.vintage, v.level, v.area, flt),
                   help=(f"The rows the table shows. {flt.describe()} " if flt.active else "") + dl.CSV_HELP)
    dl.geojson(menu, "LSOAs in view (GeoJSON)", lambda: ui.geojson_bytes_cached(v.vintage, v.level, v.area),
               f"{slug}.geojson")
    menu.download_button(
        "Interactive map (HTML)",
        lambda: ui.map_html_cached(view.vintage, view.level, view.area, view.shade, core20_outline,
                                   view.basemap),
        file_name=f"{slug}_{view.shade}.html", mime="text/html", on_click="ignore", icon=":material/map:",
        help="One file that works offline: Leaflet and the data are inside it.")


@page.frame
def explorer() -> None:
    """The Core20 explorer page."""
    ctx = page.context(pages.EXPLORER, with_shading=True)
    view, core20_outline = ctx.view, ctx.core20_on
    page.header(ctx, ctx.area_name, schema.CORE20_DEFINITION)
    panels.headline(view.vintage, view.level, view.area)

    # Only the open tab is built: a hidden table of all 33,755 LSOAs would still be sent to
    # and laid out by the browser, stalling the map for seconds on the England view.
    keep.restore(K_TAB, TABS[0], valid=TABS)  # kept like every control (a link may name the tab)
    tabs = st.tabs(list(TABS), key=K_TAB, on_change="rerun")
    keep.remember(K_TAB)
    with tabs[0]:
        if tabs[0].open is not False:
            map_tab(view, core20_outline)
    flt = lsoa_filter.UNFILTERED
    with tabs[1]:
        if tabs[1].open:
            flt = table_tab(view)
    with tabs[2]:
        if tabs[2].open:
            panels.comparison_table(view.vintage, view.level, view.area)
            panels.decile_chart(view.vintage, view.level, view.area, ctx.area_name)
    with tabs[3]:
        if tabs[3].open:
            focus.panel(ctx)
    with tabs[4]:
        if tabs[4].open:
            change_panel.panel(ctx)
    if not present.enabled():  # presenting: no download headings with their buttons hidden
        downloads(view, core20_outline, flt, ctx.slug)
        exports_panel.view_exports(view.vintage, view.level, view.area, view.shade, core20_outline,
                                   ctx.area_name, ctx.slug, focus.current())
    st.divider()
    panels.attribution(view.vintage)
    page.finish(ctx)


def main() -> None:
    home = pages.get(pages.EXPLORER)
    st.set_page_config(page_title=home.title, page_icon=ui.page_icon(), layout="wide")
    nav = [st.Page(explorer, title=home.title, default=True)]
    nav += [st.Page(p.script, title=p.title, url_path=p.url_path) for p in pages.PAGES if p.script]
    st.navigation(nav).run()


main()
