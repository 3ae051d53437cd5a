"""Presentation mode on a projector (issue 18): a 1280x720 screen shows the map and its legend without
scrolling, and the map's full-screen view keeps the title and the legend. Screenshots go to
test-artifacts/explorer/ (look at them)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

IFRAME = "iframe[title='streamlit_folium.st_folium']"
CHESHIRE = "E54000008"  # NHS Cheshire and Merseyside ICB
PROJECTOR = {"width": 1280, "height": 720}
WAIT = 90_000


@pytest.fixture
def projector(served_app, browser):
    context = browser.new_context(viewport=PROJECTOR)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{served_app}/?vintage=2025&level=icb&area={CHESHIRE}&present=1")
    page.get_by_role("heading", name=re.compile("Cheshire and Merseyside")).first.wait_for(timeout=WAIT)
    page.locator(IFRAME).first.wait_for(state="visible", timeout=WAIT)
    frame = page.locator(IFRAME).first.element_handle().content_frame()
    frame.wait_for_function("() => window.geoCore20National && window.geoCore20National.drawn", timeout=WAIT)
    page.locator(".gc20-legend").first.wait_for(state="visible", timeout=WAIT)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT)
    page.wait_for_timeout(800)
    yield page, frame
    assert errors == [], f"page errors: {errors[:3]}"
    context.close()


def _inside_screen(box: dict, what: str) -> None:
    assert box is not None, f"{what} is not laid out"
    assert box["y"] >= 0 and box["x"] >= 0, f"{what} starts above or left of the screen: {box}"
    assert box["y"] + box["height"] <= PROJECTOR["height"] + 1, f"{what} runs below 720 px: {box}"
    assert box["x"] + box["width"] <= PROJECTOR["width"] + 1, f"{what} runs past 1280 px: {box}"


def test_presentation_at_1280x720_shows_map_and_legend_without_scrolling(projector):
    page, _ = projector
    page.screenshot(path="test-artifacts/explorer/present-1280x720.png")
    _inside_screen(page.locator(IFRAME).first.bounding_box(), "the map")
    legend = page.locator(".gc20-legend").first
    assert "1 (most deprived 10%)" in legend.inner_text()
    _inside_screen(legend.bounding_box(), "the legend")
    # nothing was scrolled to get there, and no empty download headings while presenting
    assert page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTop") == 0
    for heading in ("Downloads", "Print and present"):
        assert page.get_by_role("heading", name=heading).count() == 0, f"an empty {heading!r} heading"


def test_full_screen_map_keeps_title_and_legend(projector):
    page, frame = projector
    key = frame.locator(".gc20-fullscreen-key")
    assert key.count() == 1 and not key.is_visible(), "the full-screen key shows before full screen"
    frame.locator("a[title='Full screen']").first.click()
    key.wait_for(state="visible", timeout=10_000)
    text = " ".join(key.inner_text().split())
    assert "NHS Cheshire and Merseyside" in text and "IMD decile" in text, text
    assert "1 (most deprived 10%)" in text, text
    page.screenshot(path="test-artifacts/explorer/present-fullscreen.png")
    frame.locator("a[title='Exit full screen']").first.click()
    key.wait_for(state="hidden", timeout=10_000)
