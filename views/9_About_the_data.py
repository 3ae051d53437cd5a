"""About the data: definitions, vintages, sources, licences and attribution.

Everything here is computed from the atlas and the dataset manifest (geo_core20.sources),
so it never goes stale. Other pages' definitions can be added as Markdown files in
docs/about/ (shown in name order), without editing this page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo_core20 import schema, sources, ui
from geo_core20.maps import view
from geo_core20.ui import page, pages

ABOUT_DIR = page.ABOUT_DIR

def core20_section() -> None:
    st.header("Core20: what it is")
    st.markdown(
        f"""
    **{schema.CORE20_DEFINITION}** LSOAs are ranked by the **national** Index of Multiple
    Deprivation (IMD); the Core20 population is the people living in them. It is the "Core20" of NHS England's
    [Core20PLUS5](https://www.england.nhs.uk/about/equality/equality-hub/national-healthcare-inequalities-improvement-programme/core20plus5/)
    approach to reducing healthcare inequalities.

    - **LSOA** (lower layer super output area): a small area of about 1,500 residents (1,000-3,000),
      the geography the IMD is published for.
    - **IMD decile**: the LSOAs of England ranked from most (rank 1) to least deprived and cut into
      ten equal groups; decile 1 is the most deprived 10% *of LSOAs in England*.
    - **Why never a local re-ranking**: Core20 is a national definition. Ranking an ICB's or a local
      authority's own LSOAs and taking "its" worst 20% would label every area as having exactly 20%
      Core20, hide how unequal areas are from one another, and disagree with national funding,
      targets and reporting. This app always uses the published national deciles: an area can have
      far more or far fewer than 20% of its people in Core20, and that difference is the point.
    - **Core20 share of population is not exactly 20% nationally**: the cut is 20% of *LSOAs*, and
      LSOAs differ in population, so England's Core20 population share is computed, not assumed
      (see the table below).
    - **Domains**: the IMD combines seven domains (income, employment, education, health,
      crime, barriers to housing and services, living environment). The map can shade by each
      domain's national decile, but Core20 is defined by the overall IMD only.
    - **IMD score**: the weighted domain score behind the rank (higher = more deprived). Scores
      are shaded in classes by natural breaks computed over all of England, so a colour means the
      same score everywhere. Scores are not comparable between the 2019 and 2025 indices.
    """
    )



def vintages_section() -> None:
    st.header("Vintages")
    rows = []
    for vintage in schema.VINTAGES:
        row = {"Vintage": schema.IMD_LABEL[vintage], "LSOA geography": f"LSOA {schema.LSOA_YEAR[vintage]}"}
        if ui.atlas_available(vintage):
            england = ui.area_summary(vintage, "england", None)
            row.update({
                "LSOAs in England": england["lsoas"],
                "Core20 LSOAs": england["core20_lsoas"],
                "Population": england["population"],
                "Core20 population": england["core20_population"],
                "Core20 share of population": england["core20_population_pct"],
            })
        else:
            row["LSOAs in England"] = None
        rows.append(row)
    vintages = pd.DataFrame(rows)
    st.dataframe(vintages, hide_index=True, width="stretch", column_config={
        "Core20 share of population": st.column_config.NumberColumn(format="percent"),
        "Population": st.column_config.NumberColumn(format="localized"),
        "Core20 population": st.column_config.NumberColumn(format="localized"),
        "LSOAs in England": st.column_config.NumberColumn(format="localized"),
        "Core20 LSOAs": st.column_config.NumberColumn(format="localized"),
    })
    missing = [schema.IMD_LABEL[v] for v in schema.VINTAGES if not ui.atlas_available(v)]
    if missing:
        st.info(f"Not built yet: {', '.join(missing)}. Run `python -m geo_core20 data build`.")
    st.markdown(
        """
    - **IoD2025** (English Indices of Deprivation 2025, published 30 October 2025) uses the **2021
      LSOAs**; population is Census 2021 usual residents. It is the default.
    - **IMD2019** uses the **2011 LSOAs**; population is the IoD2019 mid-2015 denominators. Use it
      to compare with plans and reports made before 2025.
    - LSOA boundaries changed between 2011 and 2021 (splits and merges), so LSOA codes and counts
      differ between the vintages; compare areas, not individual LSOA codes, across them.
    """
    )



def sources_section() -> None:
    st.header("Sources and licences")
    manifest = pd.DataFrame([{
        "Dataset": d.title,
        "Publisher": d.publisher,
        "Vintage": d.vintage,
        "Used for": ", ".join(schema.IMD_LABEL.get(v, v) for v in d.used_for),
        "Licence": d.licence,
        "Notes": d.notes,
        "Link": d.landing_page or (d.urls[0] if d.urls else ""),
    } for d in sources.MANIFEST])
    st.dataframe(manifest, hide_index=True, width="stretch",
                 column_config={"Link": st.column_config.LinkColumn("Link", display_text="source")})



def attribution_section() -> None:
    st.header("Attribution")
    for vintage in schema.VINTAGES:
        with st.expander(f"{schema.IMD_LABEL[vintage]}: notices to reproduce with maps and tables",
                         expanded=vintage == schema.VINTAGES[0]):
            for line in view.attribution_lines(vintage):
                st.markdown(f"- {line}")
    st.caption("Downloads from the explorer (CSV, GeoJSON, map HTML) carry these notices. Online basemap "
               "tiles, when switched on, are © their providers (OpenStreetMap contributors, CARTO).")

    extra = sorted(ABOUT_DIR.glob("*.md")) if ABOUT_DIR.is_dir() else []
    for path in extra:
        st.markdown(path.read_text(encoding="utf-8"))


@page.frame
def main() -> None:
    st.set_page_config(page_title="About the data", page_icon=ui.page_icon(), layout="wide")
    page.presentation(pages.ABOUT)
    st.title("About the data")
    core20_section()
    vintages_section()
    sources_section()
    attribution_section()


main()
