"""The outreach planner's own inputs in a real browser (issues 19 and 20): the HSMA Devon example in one
click, a Core20 lung-health-check plan on supermarkets with the sites' towns, the TLHC layer on the PLUS
page. Screenshots go to test-artifacts/planner/ (looked at for the report)."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pytest
import shapely
from test_pages_browser import (
    IFRAME,
    WAIT,
    Session,
    _site_markers,
    assert_legend_clear_of_maps,
    hover_tooltip,
    legend,
    map_frame,
    map_point,
    metric,
    pole,
    select,
    set_number,
    settle,
)

from geo_core20 import access, plan_files, plus, siting

pytestmark = pytest.mark.browser
CHESHIRE = "E54000008"
DEVON = plan_files.DEVON_ICB


@pytest.fixture
def session(request, served_app, browser):
    s = Session(browser, served_app, "planner", height=1300)
    yield s
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        s.snap(f"failure-{request.node.name}", full_page=True)
    s.close()


def _choose(page, k: int | None = None) -> None:
    settle(page, 300)
    if k is not None:
        set_number(page, "Sites to choose (k)", k)
    page.get_by_role("button", name="Choose sites").click()


def test_the_devon_example_in_one_click(session, atlas2025):
    try:
        plan_files.devon_example(atlas2025, "car")
    except Exception as exc:  # DataError: the HSMA files are not in the mirror
        pytest.skip(f"Devon example not found: {exc}")
    page = session.page
    session.goto(f"/Outreach_planner?vintage=2025&level=icb&area={CHESHIRE}")
    page.get_by_role("button", name="Choose sites").wait_for(timeout=WAIT)
    page.get_by_role("button", name=re.compile("Devon example")).click()
    heading = page.get_by_role("heading", name=re.compile("NHS Devon Integrated Care Board: outreach"))
    heading.wait_for(timeout=WAIT)
    page.get_by_text("HSMA Devon example").first.wait_for(timeout=WAIT)
    assert page.get_by_text(re.compile("OpenTripPlanner")).count() >= 1  # public transport: an OD file
    settle(page)
    _choose(page)
    page.get_by_text(re.compile(r"Chose 2 sites")).first.wait_for(timeout=180_000)
    _site_markers(page, 6)  # 4 centres already open + 2 chosen
    assert metric(page, "Sites chosen") == "2 + 4 open"
    assert metric(page, "Target population") == "519,493"  # residents aged 50-84
    for label in ("Mean to nearest site", "90th percentile", "Maximum"):
        assert metric(page, label).endswith(" min")
    assert metric(page, "Within 30 min").endswith("%") and metric(page, "Unreachable") == "0.0%"
    assert_legend_clear_of_maps(page)
    session.snap("01-devon-example", full_page=True)
    session.check()


def test_the_devon_example_by_public_transport(session, atlas2025):
    """The preset, then public transport (r5py, 109 cells unreachable) within 45 minutes: the figures a
    person judges the plan by are the core's for the same inputs, and the map draws the 6 open sites."""
    try:
        pt = plan_files.devon_example(atlas2025, "pt")
    except Exception as exc:  # DataError: the HSMA files are not in the mirror
        pytest.skip(f"Devon example not found: {exc}")
    ref = siting.plan("2025", "icb", DEVON, site_types=(), k=2, objective="pmedian",
                      candidates=pt.sites.candidates, fixed_site_codes=pt.sites.existing_ids,
                      cost_model=pt.times.cost, threshold=45.0, atlas_frame=atlas2025,
                      demand=pt.demand.values, demand_source=pt.demand.source).siting
    page = session.page
    session.goto(f"/Outreach_planner?vintage=2025&level=icb&area={CHESHIRE}")
    page.get_by_role("button", name=re.compile("Devon example")).click()
    page.get_by_role("heading", name=re.compile("NHS Devon Integrated Care Board: outreach")).wait_for(
        timeout=WAIT)
    settle(page)
    page.get_by_text(plan_files.DEVON_MATRICES["pt"][1], exact=True).click()  # the "Travel times" radio
    settle(page)
    page.get_by_text(re.compile(r"109 of 13,122 cell")).first.wait_for(timeout=WAIT)  # the 9999 cells
    set_number(page, "Within (minutes)", 45)
    _choose(page)
    page.get_by_text(re.compile(r"Chose 2 sites")).first.wait_for(timeout=180_000)
    _site_markers(page, 6)  # the 4 centres already open + 2 chosen, on the drawn map
    assert "within 45 min" in legend(page, "Reach of the chosen sites")
    assert metric(page, "Sites chosen") == "2 + 4 open"
    assert metric(page, "Target population") == "519,493"
    shown = {label: metric(page, label) for label in ("Mean to nearest site", "90th percentile", "Maximum",
                                                        "Unreachable", "Within 45 min")}
    assert shown == {
        "Mean to nearest site": access.format_cost(ref.mean_cost, "min", decimals=1),
        "90th percentile": access.format_cost(ref.p90_cost, "min", decimals=1),
        "Maximum": access.format_cost(ref.max_cost, "min", decimals=1),
        "Unreachable": f"{100 * ref.unreachable_share:.1f}%",
        "Within 45 min": f"{100 * ref.covered_share:.1f}%"}
    assert ref.mean_cost < ref.p90_cost < ref.max_cost and 0 < ref.covered_share < 1  # not trivial
    # the chosen candidates, named on the map: hover each site marker (on top, inside the map) as a
    # person does and read the bold name in its tooltip
    frame = map_frame(page)
    page.locator(IFRAME).last.scroll_into_view_if_needed()
    settle(page)
    tips = [hover_tooltip(page, frame, m["px"], m["py"], has_text=". ")
            for m in _site_markers(page, 6) if m["mine"] and m["inside"]]
    named = {int(r): unescape(n) for t in tips if t for r, n in re.findall(r"<b>(\d+)\. (.*?)</b>", t)}
    for rank, name in enumerate(ref.chosen["name"], start=1):
        assert named.get(rank) == name, (rank, name, named)
    assert_legend_clear_of_maps(page)
    page.locator(IFRAME).last.scroll_into_view_if_needed()
    session.snap("06-devon-public-transport-map", page.locator(IFRAME).last)
    session.snap("07-devon-public-transport-page", full_page=True)
    session.check()


def test_a_core20_lung_health_check_plan_on_supermarkets(session):
    page = session.page
    session.goto(f"/Outreach_planner?vintage=2025&level=icb&area={CHESHIRE}&focus=cancer")
    page.get_by_role("button", name="Choose sites").wait_for(timeout=WAIT)
    select(page, "op_source", "Supermarkets (over 280 m2)")
    settle(page)
    for retailer in ("Lidl", "Aldi"):
        select(page, "op_retailers", retailer)
        settle(page, 300)
        page.keyboard.press("Escape")
    page.get_by_text(re.compile(r"supermarket \(over 280 m2\) venue\(s\) in the area")).first.wait_for(
        timeout=WAIT)
    _choose(page, 3)
    page.get_by_text(re.compile(r"Chose 3 sites")).first.wait_for(timeout=180_000)
    frame = map_frame(page)
    page.locator(IFRAME).last.scroll_into_view_if_needed()
    settle(page)
    # hover each chosen site's marker (the ones on top, inside the map) and read its tooltip
    tips = [hover_tooltip(page, frame, m["px"], m["py"], has_text=". ")
            for m in _site_markers(page, 3) if m["mine"] and m["inside"]]
    assert tips and None not in tips, f"a chosen site's marker shows no tooltip: {tips}"
    for tip in tips:  # chosen supermarkets: name, then town
        assert re.search(r"<b>\d\. (Lidl|Aldi)</b><br>[A-Z][a-z]", tip), tip
    metrics = page.locator("[data-testid='stMetric']").all_inner_texts()
    assert any("Core20 residents reached" in t for t in metrics)
    legend(page, "Reach of the chosen sites")
    page.locator(IFRAME).last.scroll_into_view_if_needed()
    session.snap("02-supermarkets-map", page.locator(IFRAME).last)
    table = page.locator("[data-testid='stDataFrame']").first
    table.scroll_into_view_if_needed()
    session.snap("03-supermarkets-table", table)
    session.snap("04-supermarkets-page", full_page=True)
    session.check()


def test_the_tlhc_layer_opens(session, atlas2025):
    page = session.page
    session.goto(f"/PLUS_layers?vintage=2025&level=icb&area={CHESHIRE}")
    page.get_by_role("heading", name=re.compile("PLUS groups")).wait_for(timeout=WAIT)
    ind = plus.get("tlhc_area")
    box = page.locator(".st-key-plus_indicator")
    box.locator("input, [role='combobox']").first.click()
    page.keyboard.type("targeted lung health check project area")  # the long list is virtualised
    page.get_by_role("option", name=f"{ind.group}: {ind.full_label}", exact=True).first.click()
    settle(page)
    legend(page, ind.label)
    title = "Core20 residents aged 55-74 inside and outside lung health check project areas"
    page.get_by_text(title).wait_for(timeout=180_000)
    assert page.get_by_text(re.compile("commissioning area")).count() >= 1
    # hover LSOAs in the project area (the largest first: clear of the flag markers at their centres):
    # the tooltip names the project
    frame = map_frame(page)
    page.locator(IFRAME).last.scroll_into_view_if_needed()
    settle(page)
    area = atlas2025[atlas2025["icb_code"] == CHESHIRE]
    inside = area[plus.values(area, "tlhc_project").notna().to_numpy()]
    assert len(inside), "no Cheshire and Merseyside LSOA in a TLHC project area"
    tip = None
    geoms = np.asarray(inside.geometry.values)
    for geom in geoms[np.argsort(-shapely.area(geoms))[:8]]:
        at = map_point(page, frame, *pole(geom))
        tip = at and hover_tooltip(page, frame, *at, has_text="TLHC project", timeout=4000)
        if tip:
            break
    assert tip, "no LSOA in the project area shows a tooltip naming its TLHC project"
    assert re.search(r"<th>TLHC project</th><td>Cheshire and Merseyside</td>", tip), tip
    session.snap("05-tlhc-layer", full_page=True)
    session.check()


def test_long_library_names_show_in_full_in_the_site_table(session):
    """Cornwall's libraries ("Penzance Library & Information Service", with an address over two lines
    of its column): the site table's rows are drawn tall, so each name and address wraps in full, and
    the number, name and where it is fit the table's width beside the map (screenshot looked at)."""
    from geo_core20.ui import plan_view

    page = session.page
    session.goto("/Outreach_planner?vintage=2025&level=icb&area=E54000036")
    page.get_by_role("button", name="Choose sites").wait_for(timeout=WAIT)
    select(page, "op_source", "Open static public libraries")
    settle(page)
    _choose(page, 6)
    page.get_by_text(re.compile(r"Chose 6 sites")).first.wait_for(timeout=180_000)
    legend(page, "Reach of the chosen sites")  # the map is drawn; the site table follows it
    page.locator(IFRAME).last.scroll_into_view_if_needed()
    settle(page)
    tables = page.locator("[data-testid='stDataFrame']")
    table = tables.last
    table.scroll_into_view_if_needed()
    settle(page)
    box = table.bounding_box()
    session.snap("08-libraries-table-wrapped", table)
    assert box["height"] >= 36 + 5 * 64, box  # rows drawn taller than one line (wrapping) ...
    assert 32 + sum(plan_view.SITE_TEXT_PX.values()) <= box["width"] + 8, box  # ... name and where in view
    session.check()
