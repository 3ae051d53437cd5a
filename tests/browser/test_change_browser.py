"""Core20 then and now in a real browser: a person opens the explorer on an ICB, clicks the tab,
reads the figures, the map and its legend, switches the map to decile 1. Screenshots of the change
map go to test-artifacts/explorer/ (look at them)."""

from __future__ import annotations

import time

import pytest

from geo_core20 import change

pytestmark = pytest.mark.browser

IFRAME = "iframe[title='streamlit_folium.st_folium']"
TAB = "Core20 then and now"
WAIT = 120_000


def _map_frame(page, timeout: float = 90):
    """The visible map iframe's Frame once its Leaflet map has loaded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for handle in page.query_selector_all(IFRAME):
            frame = handle.content_frame() if handle.is_visible() else None
            if frame is None:
                continue
            try:
                if frame.evaluate("() => !!(window.map && window.map._loaded)"):
                    return handle, frame
            except Exception:  # noqa: BLE001 - the frame navigated away while we asked
                pass
        time.sleep(0.3)
    raise AssertionError("the change map never finished loading")


def _legend_text(page, contains: str) -> str:
    legend = page.locator(".gc20-legend").filter(has_text=contains).first
    legend.wait_for(timeout=WAIT)
    return legend.inner_text()


@pytest.mark.parametrize("icb", ["E54000029", "E54000036"])  # North East London (urban); Cornwall (coastal)
def test_change_tab_shows_figures_map_and_legend(app_page, icb):
    page = app_page.page
    row = change.change_table("icb").set_index("area_code").loc[icb]
    page.goto(f"{app_page.base_url}/?vintage=2025&level=icb&area={icb}")
    page.get_by_role("heading", name=row["area_name"]).wait_for(timeout=WAIT)
    page.get_by_role("tab", name=TAB).click()
    page.get_by_role("heading", name="Core20 then and now: IMD2019 to IoD2025").wait_for(timeout=WAIT)
    entered = page.locator("[data-testid='stMetric']").filter(has_text="Entered").first
    entered.wait_for(timeout=WAIT)
    assert f"{row['entered']:,}" in entered.inner_text()
    handle, _ = _map_frame(page)
    text = _legend_text(page, "Entered Core20")
    assert f"({row['entered']:,})" in text and f"({row['left']:,})" in text and f"({row['stayed']:,})" in text
    assert page.get_by_text(change.CAVEAT).first.is_visible()
    handle.scroll_into_view_if_needed()
    app_page.snap(f"change-{icb}-page")
    app_page.snap(f"change-{icb}-map", handle)
    # the person switches the map to the most deprived decile
    page.locator(".st-key-gc20_change_kind").get_by_text("Most deprived decile (decile 1)").click()
    text = _legend_text(page, "Entered decile 1")
    assert f"({row['decile1_entered']:,})" in text and f"({row['decile1_stayed']:,})" in text
    _map_frame(page)
    app_page.snap(f"change-{icb}-decile1")
    app_page.assert_offline()
