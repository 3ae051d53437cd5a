"""What a person saw on a walk through the app (issue 17), in a real browser: labels cut off with
"…" (accelerator cards, the PLUS target's chip, the p-median curve's axis title) and an online
basemap that showed nothing, and said nothing, without internet.

Every request that is not to the app's own 127.0.0.1 server is aborted by Playwright (nothing
leaves the machine); the tile test relies on it to play "no internet".
"""

from __future__ import annotations

import re

import pytest

from geo_core20 import clinical, siting
from geo_core20.maps.elements import TILE_ERROR_MESSAGE
from geo_core20.ui import plan_view

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1400, "height": 1100}
WAIT = 120_000  # ms: a cold cache on a shared 2-core machine
IFRAME = "iframe[title='streamlit_folium.st_folium']"
HULL, CORNWALL = "E06000010", "E54000036"
LOCAL = re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*")

# Streamlit shows metric labels, values and chips in one line, cut with an ellipsis when too long
CUT_TEXT_JS = """() => [...document.querySelectorAll('[data-testid="stMetric"] .stMarkdownEllipsis')]
    .filter(e => e.scrollWidth > e.clientWidth + 1)
    .map(e => `${e.innerText} (${e.scrollWidth} px in ${e.clientWidth} px)`)"""


@pytest.fixture
def offline(served_app, browser):
    """A fresh tab on the served app where every request to another host is aborted."""
    context = browser.new_context(viewport=VIEWPORT)
    aborted: list[str] = []

    def abort(route) -> None:
        aborted.append(route.request.url)
        route.abort("internetdisconnected")

    context.route(LOCAL, abort)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.aborted, page.errors = aborted, errors
    yield page, served_app
    context.close()


def settle(page, ms: int = 800) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT)
    page.wait_for_timeout(ms)


def metric_labels(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid='stMetricLabel']").all_inner_texts()]


def test_accelerator_card_figures_show_their_full_labels(offline):
    page, base = offline
    page.goto(f"{base}/Accelerator_sites")
    last = list(clinical.ACCELERATORS.values())[-1]
    page.get_by_role("link", name=f"Open {last.ics}").wait_for(timeout=WAIT)
    settle(page)
    cut = page.evaluate(CUT_TEXT_JS)
    assert cut == [], f"cut off with an ellipsis: {cut}"
    labels = metric_labels(page)
    assert len(labels) == 3 * len(clinical.ACCELERATORS)
    assert labels.count("In Core20 LSOAs") == len(clinical.ACCELERATORS)
    assert page.aborted == [] and page.errors == []


def test_plus_target_chip_shows_in_full(offline):
    page, base = offline
    page.goto(f"{base}/PLUS_layers?vintage=2025&level=icb&area={CORNWALL}&tb=core20&tc=and&tx=coastal")
    page.get_by_role("heading", name=re.compile("PLUS groups beside Core20")).wait_for(timeout=WAIT)
    page.locator("[data-testid='stButtonGroup'] button", has_text="Target").first.click()
    page.get_by_text("LSOAs in target").first.wait_for(timeout=WAIT)
    settle(page)
    chip = page.locator("[data-testid='stMetric']", has_text="LSOAs in target").first
    assert chip.is_visible()
    delta = page.locator("[data-testid='stMetric']").filter(
        has=page.get_by_text("Population", exact=True)).locator("[data-testid='stMetricDelta']").first
    cut = page.evaluate(CUT_TEXT_JS)
    assert cut == [], f"cut off with an ellipsis: {cut}"
    assert re.fullmatch(r"\d+\.\d% of residents", delta.inner_text().strip()), delta.inner_text()
    assert page.errors == []


def test_pmedian_curve_axis_title_is_drawn_in_full(offline):
    page, base = offline
    page.goto(f"{base}/Outreach_planner?vintage=2025&level=lad&area={HULL}")
    page.get_by_role("button", name="Choose sites").wait_for(timeout=WAIT)
    page.locator(".st-key-op_objective").get_by_text(siting.OBJECTIVE_LABEL["pmedian"]).click()
    settle(page, 300)
    page.get_by_role("button", name="Choose sites").click()
    page.get_by_text(re.compile(r"Chose \d+ sites")).first.wait_for(timeout=180_000)
    chart = page.locator("[data-testid='stVegaLiteChart'] svg.marks").first
    chart.wait_for(timeout=WAIT)
    chart.scroll_into_view_if_needed()
    settle(page, 500)
    # the y-axis title: every line drawn (no "…") and inside the chart, not clipped by its edge
    title = chart.evaluate("""svg => {
        const box = svg.getBoundingClientRect();
        const t = [...svg.querySelectorAll('.role-axis-title text')]
            .find(e => /distance/i.test(e.textContent));
        const r = t.getBoundingClientRect();
        const spans = [...t.querySelectorAll('tspan')];
        const lines = spans.length ? spans.map(s => s.textContent) : [t.textContent];
        return {lines, title: [r.left, r.top, r.right, r.bottom],
                chart: [box.left, box.top, box.right, box.bottom],
                inside: r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5
                        && r.left >= box.left - 0.5 && r.right <= box.right + 0.5};
    }""")
    assert title["lines"] == plan_view.CURVE_Y_TITLE["pmedian"]
    assert " ".join(title["lines"]) == "Mean distance to the nearest site (km)"
    assert title["inside"], f"the axis title runs off the chart {title}"
    assert page.errors == []


def test_online_basemap_without_internet_says_so_on_the_map(offline):
    page, base = offline
    page.goto(f"{base}/?vintage=2025&level=lad&area={HULL}&basemap=osm")
    frame_el = page.locator(IFRAME).first
    frame_el.wait_for(timeout=WAIT)
    frame = page.frame_locator(IFRAME).first
    notice = frame.locator(".gc20-tile-error")
    notice.wait_for(state="visible", timeout=WAIT)
    assert notice.inner_text().strip() == TILE_ERROR_MESSAGE
    assert notice.get_attribute("role") == "status"
    tiles = [u for u in page.aborted if "tile.openstreetmap.org" in u]
    assert len(tiles) > 1, page.aborted  # many tiles failed ...
    page.wait_for_timeout(1000)
    assert notice.count() == 1  # ... and the map says so once
    assert all("tile.openstreetmap.org" in u for u in page.aborted), "a request other than tiles left"
    # the LSOAs are still drawn
    assert frame.locator(".leaflet-control-attribution").is_visible()
    assert page.errors == []
