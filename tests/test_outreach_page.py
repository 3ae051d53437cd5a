"""The outreach planner page under Streamlit's AppTest: run, save, reopen by link, access view."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from apptests import PLANNER_PAGE, metric, ok, open_page, run_plan, save_plan

from geo_core20 import plans, siting

FIXTURES = Path(__file__).parent / "fixtures" / "uploads"
ICB = "E54000008"  # Cheshire and Merseyside
HULL = "E06000010"
pytestmark = pytest.mark.usefixtures("atlas2025", "plan_store")  # a fresh plan store per test (conftest)


def test_run_shows_the_same_plan_as_the_command_line(atlas2025):
    at = open_page(PLANNER_PAGE, level="icb", area=ICB)
    assert at.title[0].value.endswith("outreach planner")
    assert any("Choose sites" in i.value for i in at.info)
    at = run_plan(at, k=3, curve=4)
    ref = siting.plan("2025", "icb", ICB, "core20", ("gp", "pharmacy"), 3.0, 3, "mclp", atlas_frame=atlas2025)
    assert metric(at, "Target residents covered") == f"{ref.siting.covered_population:,.0f}"
    assert metric(at, "Target population") == f"{ref.siting.total_target_population:,.0f}"
    assert metric(at, "Sites chosen") == "3"
    data = at.session_state["op_result"]["data"]
    assert [c["candidate_id"] for c in data["siting"]["chosen"]] == ref.siting.chosen["candidate_id"].tolist()
    assert [r["k"] for r in data["curve"]] == [0, 1, 2, 3, 4]
    table = next(df.value for df in at.dataframe if "Site" in df.value.columns)
    assert len(table) == 3 and set(table["Code"]) == set(ref.siting.chosen["candidate_id"])


def test_save_then_reopen_by_link(atlas2025):
    at = run_plan(open_page(PLANNER_PAGE, level="icb", area=ICB), k=2)
    pid = save_plan(at, "Lung checks <script>")
    entry = at.session_state["op_result"]
    assert plans.is_plan_id(pid) and entry["plan_id"] == pid and entry["name"] == "Lung checks <script>"
    link = next(c.value for c in at.code if "plan=" in c.value)
    assert re.search(rf"[?&]plan={pid}\b", link) and f"area={ICB}" in link
    covered = metric(at, "Target residents covered")
    assert plans.PlanStore().get(pid).summary["target_population_covered"] == int(covered.replace(",", ""))

    again = open_page(PLANNER_PAGE, plan=pid)  # a new session opening the link: plan and area come back
    assert again.title[0].value.startswith("NHS Cheshire and Merseyside")
    assert metric(again, "Target residents covered") == covered
    assert any(pid in s.value for s in again.success)
    assert again.session_state["op_result"]["data"] == plans.PlanStore().get(pid).data
    assert again.number_input(key="op_k").value == 2


def test_a_bad_link_warns_and_the_page_still_works():
    at = open_page(PLANNER_PAGE, plan="zzzzzzzzzz")
    assert any("No saved plan" in w.value for w in at.warning)
    at = open_page(PLANNER_PAGE, plan="<b>x</b>")
    assert any("No saved plan" in w.value for w in at.warning)


def test_england_is_too_large_and_says_so():
    at = open_page(PLANNER_PAGE, level="england")
    at = run_plan(at, k=3)
    assert any("Problem too large" in e.value and "smaller area" in e.value for e in at.error)
    assert "op_result" not in at.session_state or at.session_state["op_result"] is None


def test_access_section_shows_coverage_bands_and_uncovered():
    at = open_page(PLANNER_PAGE, level="icb", area=ICB)
    at.number_input(key="op_radius").set_value(1.0)
    at = ok(at.segmented_control(key="op_section").set_value("Access to existing sites").run())
    labels = [m.label for m in at.metric]
    assert "Target within 1 km" in labels and "Target LSOAs beyond" in labels
    uncovered = next(df.value for df in at.dataframe if "Nearest site" in df.value.columns)
    assert (uncovered["km"] > 1.0).all()
    beyond = metric(at, "Target LSOAs beyond")
    assert beyond.startswith(f"{len(uncovered):,} of ")


def test_saved_plans_list_and_open():
    at = run_plan(open_page(PLANNER_PAGE, level="icb", area=ICB), k=2)
    pid = save_plan(at)
    at = ok(at.segmented_control(key="op_section").set_value("Saved plans").run())
    listing = next(df.value for df in at.dataframe if "id" in df.value.columns)
    assert listing["id"].tolist() == [pid]
    at = ok(at.button(key="op_open").click().run())
    assert at.session_state["op_result"]["plan_id"] == pid
    assert at.segmented_control(key="op_section").value == "Plan outreach"


def test_uploaded_venues_are_the_candidates():
    at = open_page(PLANNER_PAGE, level="lad", area=HULL)
    at.selectbox(key="op_source").set_value("upload").run()
    at.file_uploader(key="op_upload").upload("hull_venues.csv", (FIXTURES / "hull_venues.csv").read_bytes(),
                                             "text/csv").run()
    ok(at)
    assert any("row(s) not used" in w.value for w in at.warning)  # HU99 9ZZ is not a postcode
    at = run_plan(at, k=2)
    chosen = at.session_state["op_result"]["data"]["siting"]["chosen"]
    assert len(chosen) == 2 and all(c["candidate_id"].startswith("U") for c in chosen)
    assert at.session_state["op_result"]["data"]["request"]["candidates"] == "upload"
