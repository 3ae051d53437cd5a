"""The explorer's "Core20 then and now" tab under AppTest, and the change map (interactive and print)."""

from __future__ import annotations

import numpy as np
import pytest
from apptests import APP, ok, open_page
from streamlit.testing.v1 import AppTest

from geo_core20 import change
from geo_core20.exports import print_maps
from geo_core20.maps import change_maps, choropleth

NEL, CORNWALL = "E54000029", "E54000036"  # North East London (urban); Cornwall and the Isles of Scilly
TAB = "Core20 then and now"
K_KIND = "gc20_change_kind"  # the map select's key (ui.change_panel.K_KIND)


@pytest.fixture(scope="module", autouse=True)
def _needs_atlas(atlas2025, atlas2019):
    """Skip (via the conftest fixtures) when the atlases are not built."""


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _expected(row) -> dict[str, str]:
    return {
        "Core20 LSOAs, IMD2019": f"{row['core20_lsoas_2019']:,}",
        "Core20 LSOAs, IoD2025": f"{row['core20_lsoas_2025']:,}",
        "Entered": f"{row['entered']:,}", "Left": f"{row['left']:,}", "Stayed": f"{row['stayed']:,}",
        "People in LSOAs that entered": f"{row['people_entered']:,}",
        "People in LSOAs that left": f"{row['people_left']:,}",
        "Decile-1 persistence": f"{row['decile1_persistence']:.1%}",
    }


def test_change_tab_shows_the_icb_figures_of_the_change_table_and_lists_the_not_comparable():
    at = open_page(APP, explorer_tab=TAB, vintage="2025", level="icb", area=NEL)
    icb = change.change_table("icb").set_index("area_code")
    metrics = _metrics(at)
    for label, value in _expected(icb.loc[NEL]).items():
        assert metrics[label] == value, label
    assert any(i.value == change.CAVEAT for i in at.info)
    frames = [df.value for df in at.dataframe]
    figures = next(f for f in frames if "Most deprived decile" in f.columns)
    assert figures.set_index("LSOAs").loc["Entered (IoD2025 only)", "Core20"] == icb.loc[NEL, "entered"]
    odd = next(f for f in frames if "why" in f.columns and "change" in f.columns and len(f.columns) == 6)
    assert set(odd["lsoa_code"]) == set(change.irregular("icb", NEL)["lsoa_code"])
    assert len(odd) == icb.loc[NEL, "not_comparable"] == 2
    moved = next(f for f in frames if "status" in f.columns and "decile1_status" in f.columns)
    assert len(moved) == icb.loc[NEL, "entered"] + icb.loc[NEL, "left"]
    assert at.get("download_button")  # CSV and the change map's PNG / SVG / PDF


def test_a_person_switches_the_map_to_decile_1_and_the_area_to_cornwall():
    at = open_page(APP, explorer_tab=TAB, vintage="2025", level="icb", area=NEL)
    ok(at.radio(key=K_KIND).set_value("decile1").run())
    assert at.radio(key=K_KIND).value == "decile1"
    ok(at.selectbox(key="gc20_area").set_value(CORNWALL).run())
    cornwall = change.change_table("icb").set_index("area_code").loc[CORNWALL]
    assert _metrics(at)["Entered"] == f"{cornwall['entered']:,}"
    assert any("Every LSOA 2021 of this area is comparable" in c.value for c in at.caption) == (
        cornwall["not_comparable"] == 0)


def test_the_2019_vintage_still_counts_on_the_2025_areas():
    at = open_page(APP, explorer_tab=TAB, vintage="2019", level="england")
    england = change.change_table("england").iloc[0]
    assert _metrics(at)["Entered"] == f"{england['entered']:,}"
    assert any("whichever vintage" in c.value for c in at.caption)


def test_change_map_legend_counts_match_the_figures_and_tooltips_are_escaped():
    m = change_maps.change_map("icb", NEL)
    legend = choropleth.legend_of(m)
    counts = {e.label: e.count for e in legend.entries}
    f = change.area_change("icb", NEL)
    assert counts[change.STATUS_LABEL["entered"]] == f["entered"]
    assert counts[change.STATUS_LABEL["left"]] == f["left"]
    assert counts[change.STATUS_LABEL["stayed"]] == f["stayed"]
    assert counts[change.STATUS_LABEL["not_comparable"]] == f["not_comparable"]
    assert change.CAVEAT in legend.notes
    # one colour per status, all different
    assert len(set(change_maps.STATUS_COLOURS.values())) == len(change.STATUS)


def test_print_change_map_draws_the_statuses_with_the_figures_and_the_caveat():
    vd = print_maps.print_view("2025", "icb", CORNWALL)
    m = print_maps.change_map(vd)
    f = change.area_change("icb", CORNWALL)
    assert m.title.endswith("Core20 then and now")
    assert m.key_numbers["Entered"] == f"{f['entered']:,}" and m.key_numbers["Left"] == f"{f['left']:,}"
    assert change.CAVEAT in m.notes
    counts = [e.count for e in m.legend.entries[:4]]
    assert counts == [f["entered"], f["left"], f["stayed"], f["not_comparable"]]
    # small LSOAs that entered or left are marked at their centre too
    assert [len(p.points) for p in m.point_layers] == [f["entered"], f["left"]]
    d1 = print_maps.change_map(vd, "decile1")
    assert d1.key_numbers["Stayed"] == f"{f['decile1_stayed']:,}"
    with pytest.raises(print_maps.ExportError, match="IoD2025"):
        print_maps.change_map(print_maps.print_view("2019", "england"))


def test_lsoa_table_lists_every_lsoa_with_status_and_why():
    table = change.lsoa_table("icb", NEL)
    frame = change.area_frame("icb", NEL)
    assert list(table.columns) == list(change.TABLE_COLUMNS)
    assert len(table) == len(frame)
    assert (table["why"] != "").sum() == int((~frame["comparable"]).sum())
    assert table["status"].iloc[0] == "entered"  # entered and left first
    idx = change_maps.status_index(frame, table["lsoa_code"])
    assert np.array_equal(np.asarray(change.STATUS)[idx], table["status"].to_numpy())


def test_about_page_states_mhclg_caveat_and_the_comparability_rule():
    at = open_page(APP)
    ok(at.switch_page("views/9_About_the_data.py").run())
    text = " ".join(" ".join(m.value.split()) for m in at.markdown)
    assert change.CAVEAT in text
    assert "not comparable" in text and "merge of mixed status" in text and "irregular" in text
    assert "No QOF register is shown as a children's figure" in text
    assert "tidal Thames" in text
