"""Every control on every page, changed the way a person does (set_value / click, then run), with
what the page then shows. URL-only tests hid controls that snapped back after each click."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptests import APP, PLANNER_PAGE, PLUS_PAGE, metric, ok, open_page
from streamlit.testing.v1 import AppTest

from geo_core20 import areas, hotspots, plus, schema

FIXTURES = Path(__file__).parent / "fixtures" / "uploads"
HULL, ICB = "E06000010", "E54000008"
pytestmark = pytest.mark.usefixtures("atlas2025")  # skips (conftest) when the atlas is not built


def texts(at: AppTest) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])


# --- explorer ----------------------------------------------------------------------------------------

def test_explorer_sidebar_controls(atlas2025):
    at = open_page(APP)
    at.selectbox(key="gc20_level").set_value("icb").run()
    at.selectbox(key="gc20_area").set_value(ICB).run()
    ok(at)
    icb = atlas2025[atlas2025["icb_code"] == ICB]
    assert at.selectbox(key="gc20_area").value == ICB
    assert at.title[0].value == areas.area_name(atlas2025, "icb", ICB)
    assert metric(at, "LSOAs") == f"{len(icb):,}"

    at.selectbox(key="gc20_shade").set_value("health_decile").run()
    assert at.selectbox(key="gc20_shade").value == "health_decile"
    assert "Shaded by Health deprivation and disability" in texts(ok(at))

    at.toggle(key="gc20_core20").set_value(False).run()
    assert at.toggle(key="gc20_core20").value is False and ok(at)
    at.selectbox(key="gc20_basemap").set_value("osm").run()
    assert at.selectbox(key="gc20_basemap").value == "osm" and at.query_params["basemap"] == "osm"
    at.run()  # nothing snaps back on a later rerun
    shown = (at.selectbox(key="gc20_area").value, at.selectbox(key="gc20_shade").value)
    assert shown == (ICB, "health_decile")

    at.selectbox(key="gc20_vintage").set_value("2019").run()
    ok(at)
    assert at.selectbox(key="gc20_vintage").value == "2019" and at.query_params["vintage"] == "2019"
    assert "IMD2019" in texts(at) or "IMD 2019" in texts(at)


def test_explorer_tabs_and_table_filters(atlas2025):
    at = open_page(APP, level="lad", area="E08000003")
    at.tabs[0]  # the tab bar exists
    at.session_state["gc20_tab"] = "Table"
    ok(at.run())
    at.text_input(key="gc20_table_filter").input("E01005").run()
    table = next(df.value for df in at.dataframe if schema.LSOA_CODE in df.value.columns)
    assert len(table) and table[schema.LSOA_CODE].str.contains("E01005").all()
    at.text_input(key="gc20_table_filter").input("").run()
    at.multiselect(key="gc20_table_deciles").select(1).run()
    table = next(df.value for df in at.dataframe if schema.LSOA_CODE in df.value.columns)
    manchester = atlas2025[atlas2025["lad_code"] == "E08000003"]
    assert len(table) == int((manchester[schema.IMD_DECILE] == 1).sum())
    assert at.multiselect(key="gc20_table_deciles").value == [1]


# --- PLUS layers -------------------------------------------------------------------------------------

def plus_page(**params: str) -> AppTest:
    return open_page(PLUS_PAGE, level="lad", area=HULL, **params)


def section(at: AppTest, name: str) -> AppTest:
    at.segmented_control(key="plus_section").set_value(name).run()
    assert at.segmented_control(key="plus_section").value == name
    return ok(at)


def test_plus_layer_select_changes_the_layer_and_stays():
    at = plus_page()
    assert at.selectbox(key="plus_indicator").value == "coastal_core20"
    at.selectbox(key="plus_indicator").set_value("ethnic_minority").run()
    ok(at)
    assert at.selectbox(key="plus_indicator").value == "ethnic_minority"
    assert plus.get("ethnic_minority").label.split(":")[0] in texts(at)
    assert at.query_params["layer"] == "ethnic_minority"
    section(at, "Target")
    section(at, "Indicators")  # back again: the choice is still there
    assert at.selectbox(key="plus_indicator").value == "ethnic_minority"


def test_plus_hotspot_controls(atlas2025):
    at = section(plus_page(), "Hot spots")
    opts = at.selectbox(key="plus_hot_indicator").options
    pick = next(o for o in opts if "Ethnic minority share" in o)
    at.selectbox(key="plus_hot_indicator").set_value(pick).run()
    at.selectbox(key="plus_permutations").set_value(4999).run()
    ok(at)
    assert at.selectbox(key="plus_hot_indicator").value == pick
    assert at.selectbox(key="plus_permutations").value == 4999
    assert any("4999 permutations" in i.value or "4,999 permutations" in i.value for i in at.info)
    hull = atlas2025[atlas2025["lad_code"] == HULL]
    ref = hotspots.gi_star(hull, plus.values(hull, "ethnic_minority").astype(float), permutations=4999)
    assert metric(at, "Hot spot LSOAs") == f"{ref.n_hot:,}"


def test_plus_hotspots_of_an_uploaded_layer(atlas2025):
    """Gi* of an uploaded layer (points per LSOA, none = 0) gives the core's figures, and again after a
    section switch (from the ui cache, not recomputed by the page)."""
    at = section(plus_page(), "Local data")
    data = (FIXTURES / "hull_venues.csv").read_bytes()
    at.file_uploader(key="plus_upload").upload("hull_venues.csv", data, "text/csv").run()
    at.button(key="plus_add_layer").click().run()
    section(ok(at), "Hot spots")
    opts = at.selectbox(key="plus_hot_indicator").options
    pick = next(o for o in opts if o.startswith("upload: hull_venues"))
    at.selectbox(key="plus_hot_indicator").set_value(pick).run()
    hull = atlas2025[atlas2025["lad_code"] == HULL]
    res = at.session_state["plus_layers"]["hull_venues"]
    counts = hull[schema.LSOA_CODE].map(res.counts.set_index(schema.LSOA_CODE)["count"]).fillna(0.0)
    ref = hotspots.gi_star(hull, counts.astype(float), permutations=999)
    assert metric(ok(at), "Hot spot LSOAs") == f"{ref.n_hot:,}"
    assert metric(at, "Cold spot LSOAs") == f"{ref.n_cold:,}"
    section(at, "Indicators")
    section(at, "Hot spots")
    assert at.selectbox(key="plus_hot_indicator").value == pick
    assert metric(at, "Hot spot LSOAs") == f"{ref.n_hot:,}"


def test_plus_target_controls(atlas2025):
    at = section(plus_page(), "Target")
    hull = atlas2025[atlas2025["lad_code"] == HULL]
    at.radio(key="target_base").set_value("all").run()
    assert at.radio(key="target_base").value == "all" and metric(at, "LSOAs in target") == f"{len(hull):,}"
    at.selectbox(key="target_new_kind").set_value("coastal").run()
    at.button(key="target_add").click().run()
    assert metric(ok(at), "LSOAs in target") == f"{int(hull['coastal'].sum()):,}"
    at.selectbox(key="target_new_kind").set_value("indicator").run()
    at.selectbox(key="target_new_indicator").set_value("ethnic_minority").run()
    at.selectbox(key="target_new_op").set_value("ge").run()
    at.number_input(key="target_new_threshold_ethnic_minority").set_value(10.0).run()
    at.button(key="target_add").click().run()
    at.radio(key="target_combine").set_value("or").run()
    ok(at)
    assert at.radio(key="target_combine").value == "or"
    minority = plus.values(hull, "ethnic_minority").astype(float).to_numpy() >= 10.0
    expected = int((hull["coastal"].to_numpy() | minority).sum())
    assert metric(at, "LSOAs in target") == f"{expected:,}"
    assert at.query_params["tc"] == "or" and at.query_params["tb"] == "all"
    remove = next(b for b in at.button if b.label == "Remove")
    remove.click().run()
    assert metric(ok(at), "LSOAs in target") == f"{int(minority.sum()):,}"

    at.selectbox(key="target_new_kind").set_value("percentile").run()
    at.slider(key="target_new_percentile").set_value(90).run()
    at.selectbox(key="target_new_kind").set_value("hotspot").run()
    at.select_slider(key="target_new_confidence").set_value(99).run()
    at.button(key="target_add").click().run()
    assert any("99% confidence" in m.value for m in ok(at).markdown)


def test_plus_upload_controls_show_the_new_layer():
    at = section(plus_page(), "Local data")
    at.file_uploader(key="plus_upload").upload("referrals.csv", (FIXTURES / "lsoa11_counts.csv").read_bytes(),
                                                "text/csv").run()
    kind = next(r for r in at.radio if r.label == "This file is a")
    assert kind.value == "lsoa"
    name = next(t for t in at.text_input if t.label == "Layer name")
    name.input("_x_ referrals").run()
    at.button(key="plus_add_layer").click().run()
    ok(at)
    assert at.selectbox(key="plus_show_layer").value == "_x_ referrals"  # the new layer is the one shown
    assert any("Added layer '\\_x\\_ referrals'" in s.value for s in at.success)  # literal, not italics
    assert any(b.label.startswith("Remove layer") for b in at.button)

    at.file_uploader(key="plus_upload").upload("venues.csv", (FIXTURES / "points_mixed.csv").read_bytes(),
                                                "text/csv").run()
    at.button(key="plus_add_layer").click().run()
    assert at.selectbox(key="plus_show_layer").value == "venues"
    at.selectbox(key="plus_show_layer").set_value("_x_ referrals").run()
    assert at.selectbox(key="plus_show_layer").value == "_x_ referrals"
    at.button(key="plus_remove_layer").click().run()
    ok(at)
    assert list(at.session_state["plus_layers"]) == ["venues"]
    assert at.selectbox(key="plus_show_layer").value == "venues"


def test_a_failed_upload_clears_the_earlier_success_message():
    at = section(plus_page(), "Local data")
    at.file_uploader(key="plus_upload").upload("venues.csv", (FIXTURES / "points_mixed.csv").read_bytes(),
                                                "text/csv").run()
    at.button(key="plus_add_layer").click().run()
    assert any("Added layer" in s.value for s in at.success)
    at.file_uploader(key="plus_upload").upload("notes.csv", (FIXTURES / "no_usable_column.csv").read_bytes(),
                                                "text/csv").run()
    ok(at)
    assert at.error and not any("Added layer" in s.value for s in at.success)


def test_bad_link_values_are_echoed_as_given():
    at = open_page(APP, level="ICB", area="e54999999x", shade="Bogus")
    warnings = " ".join(w.value for w in at.warning)
    assert "'e54999999x'" in warnings and "'Bogus'" in warnings
    assert "E54999999X" not in warnings


def test_plus_gis_upload_and_excel_sheet_choice(tmp_path):
    import io

    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    at = section(plus_page(), "Local data")
    pts = gpd.GeoDataFrame({"name": ["Hostel <b>A</b>", "Venue B"]},
                           geometry=[Point(-0.335, 53.745), Point(-0.36, 53.76)], crs="EPSG:4326")
    path = tmp_path / "sites.geojson"
    pts.to_file(path, driver="GeoJSON")
    at.file_uploader(key="plus_upload").upload("sites.geojson", path.read_bytes(), "application/json").run()
    at.button(key="plus_add_layer").click().run()
    ok(at)
    res = at.session_state["plus_layers"]["sites"]
    assert res.kind == "points" and res.rows_loaded == 2

    book = io.BytesIO()
    with pd.ExcelWriter(book) as xl:
        pd.DataFrame().to_excel(xl, sheet_name="Cover", index=False)
        pd.DataFrame({"postcode": ["HU1 1HJ"], "name": ["x"]}).to_excel(xl, sheet_name="Data", index=False)
        pd.DataFrame({"lsoa_code": ["E01012793"], "value": [3]}).to_excel(xl, sheet_name="Other", index=False)
    at.file_uploader(key="plus_upload").upload("book.xlsx", book.getvalue(), "application/vnd.ms-excel").run()
    ok(at)
    sheet = next(s for s in at.selectbox if s.label == "Sheet")
    assert sheet.options == ["Cover", "Data", "Other"] and sheet.value == "Data"  # the first sheet with data
    sheet.set_value("Other").run()
    assert next(r for r in at.radio if r.label == "This file is a").value == "lsoa"


# --- outreach planner --------------------------------------------------------------------------------

def test_outreach_controls_focus_plan_and_reopen(atlas2025, plan_store):
    from geo_core20 import siting

    at = open_page(PLANNER_PAGE, level="icb", area="E54000036", focus="cancer")
    at.multiselect(key="op_types").unselect("pharmacy").run()
    at.number_input(key="op_radius").set_value(5.0).run()
    at.number_input(key="op_k").set_value(3).run()
    at.radio(key="op_objective").set_value("pmedian").run()
    at.number_input(key="op_curve").set_value(3).run()
    assert (at.multiselect(key="op_types").value, at.number_input(key="op_radius").value) == (["gp"], 5.0)
    at.button(key="op_run").click().run()
    ok(at)
    data = at.session_state["op_result"]["data"]
    ref = siting.plan("2025", "icb", "E54000036", siting.Target(focus="cancer"), ("gp",), 5.0, 3, "pmedian",
                      atlas_frame=atlas2025)
    assert [c["candidate_id"] for c in data["siting"]["chosen"]] == ref.siting.chosen["candidate_id"].tolist()
    # equity compares the reach of Core20 and other residents (issue 19: the old share read 100.0% for
    # a Core20 target); the old figure stays in the record
    assert metric(at, "Core20 residents reached") == f"{100 * ref.equity.core20_reach_share:.1f}%"
    assert data["equity"]["covered_core20_share"] == pytest.approx(ref.equity.covered_core20_share)
    assert any("what p-median minimises" in c.value for c in at.caption)  # the curve shows its objective
    assert at.radio(key="op_objective").value == "pmedian" and at.number_input(key="op_k").value == 3

    save = next(b for b in at.button if b.label == "Save plan")
    save.click().run()
    pid = ok(at).session_state["op_result"]["plan_id"]
    assert at.query_params["plan"] == pid  # the address bar keeps the plan's link
    again = open_page(PLANNER_PAGE, plan=pid)
    assert again.selectbox(key="gc20_focus").value == "cancer"
    assert again.radio(key="op_objective").value == "pmedian"
    assert again.query_params["plan"] == pid and again.query_params["area"] == "E54000036"


def test_outreach_access_section_and_travel_time_file(atlas2025, plan_store, tmp_path):
    at = open_page(PLANNER_PAGE, level="lad", area=HULL)
    at.segmented_control(key="op_section").set_value("Access to existing sites").run()
    before = metric(ok(at), "Target within 3 km")
    at.number_input(key="op_radius").set_value(1.0).run()
    assert "Target within 1 km" in [m.label for m in ok(at).metric] and before
    at.toggle(key="op_use_od").set_value(True).run()
    assert any("Upload the travel-time file" in i.value for i in ok(at).info)
    od = b"origin,destination,minutes\nE99999999,X,3\n"
    at.file_uploader(key="op_od").upload("od.csv", od, "text/csv").run()
    assert any("E99999999" in e.value for e in ok(at).error)  # an unknown LSOA code is named


def test_a_damaged_atlas_is_named_with_the_command_to_rebuild_it(tmp_path, monkeypatch):
    import shutil

    import streamlit as st

    from geo_core20 import atlas, sources

    for path in sources.PROCESSED_DIR.glob("atlas_2025*"):
        shutil.copy(path, tmp_path / path.name)
    damaged = tmp_path / "atlas_2025.parquet"
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 3])  # cut short, as by a full disk
    monkeypatch.setattr(sources, "PROCESSED_DIR", tmp_path)
    st.cache_resource.clear()
    try:
        at = open_page(APP)
        error = " ".join(e.value for e in at.error)
        assert "atlas_2025.parquet" in error and "data build --force" in error
    finally:
        monkeypatch.undo()
        st.cache_resource.clear()
        atlas.load_atlas("2025")  # the real atlas again for later tests


def test_the_view_and_its_controls_follow_the_user_across_pages(atlas2025):
    at = open_page(APP, level="icb", area=ICB)
    at.selectbox(key="gc20_level").set_value("lad").run()
    lad = at.selectbox(key="gc20_area").value
    at.toggle(key="gc20_core20").set_value(False).run()
    at.selectbox(key="gc20_focus").set_value("smi").run()
    for page in ("views/2_PLUS_layers.py", "views/3_Outreach_planner.py", "views/2_PLUS_layers.py"):
        at.switch_page(page).run()
        ok(at)
        assert at.title[0].value.startswith(areas.area_name(atlas2025, "lad", lad)), page
        assert (at.selectbox(key="gc20_level").value, at.selectbox(key="gc20_area").value) == ("lad", lad)
        assert at.toggle(key="gc20_core20").value is False and at.selectbox(key="gc20_focus").value == "smi"
