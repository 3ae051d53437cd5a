"""The Core20 explorer in a real browser: share links, drawing, tooltips, shading, downloads.

Every test also checks that nothing was requested from another host and no request failed
(the app must work with no internet), and keeps screenshots of each step in
test-artifacts/explorer/.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from geo_core20 import areas, schema
from geo_core20.maps import export, styles

pytestmark = pytest.mark.browser

ICB = "E54000008"  # NHS Cheshire and Merseyside ICB, 1,601 LSOAs (IoD2025)
LAD = "E08000003"  # Manchester, 295 LSOAs
IFRAME = "iframe[title='streamlit_folium.st_folium']"
PATHS = "path.gc20-lsoa"


def _frame(page, timeout: float = 60):
    """The map iframe's Frame once its map exists (re-found: a new map is a new iframe)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        handle = page.query_selector(IFRAME)
        frame = handle.content_frame() if handle else None
        if frame is not None:
            try:
                if frame.evaluate("() => !!(window.map && window.map._loaded)"):
                    return frame
            except Exception:  # noqa: BLE001 - the frame navigated away while we asked
                pass
        time.sleep(0.2)
    raise AssertionError("the map iframe never finished loading")


def _wait_paths(page, count: int, timeout: float = 60):
    frame = _frame(page, timeout)
    frame.wait_for_function(f"() => document.querySelectorAll('{PATHS}').length === {count}",
                            timeout=timeout * 1000)
    return frame


def _fills(frame) -> Counter:
    return Counter(frame.evaluate(f"() => Array.from(document.querySelectorAll('{PATHS}'))"
                                  ".map(p => p.getAttribute('fill'))"))


def _expected_fills(view, column: str) -> Counter:
    return Counter(styles.DECILE_COLOURS[int(d) - 1] for d in view[column])


_VISIBLE_PATH_JS = """(maxY) => {
  // an LSOA path whose centre is really on top (not under the legend or another layer)
  // and inside the part of the iframe the browser window shows
  const paths = Array.from(document.querySelectorAll('path.gc20-lsoa'));
  for (const p of paths) {
    const r = p.getBoundingClientRect();
    const x = r.x + r.width / 2, y = r.y + r.height / 2;
    if (r.width < 6 || r.height < 6 || y > maxY - 10 || y < 10) continue;
    if (document.elementFromPoint(x, y) !== p) continue;
    for (const id in window.map._layers) {
      const layer = window.map._layers[id];
      if (layer._path === p && layer.feature) {
        return {x, y, code: layer.feature.properties.lsoa_code, name: layer.feature.properties.lsoa_name};
      }
    }
  }
  return null;
}"""


def _visible_lsoa(page, frame) -> tuple[float, float, dict]:
    """Page coordinates of an LSOA path's centre that the mouse can reach, and its feature."""
    page.locator(IFRAME).scroll_into_view_if_needed()
    box = page.locator(IFRAME).bounding_box()
    target = frame.evaluate(_VISIBLE_PATH_JS, page.viewport_size["height"] - box["y"])
    assert target is not None, "no LSOA visible to point at"
    return box["x"] + target["x"], box["y"] + target["y"], target


def _select(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by its label."""
    box = page.locator("[data-testid='stSelectbox']", has_text=label).first
    box.locator("input, [role='combobox']").first.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_icb_share_link_draws_every_lsoa_with_legend_and_tooltips(app_page, atlas2025):
    page = app_page.page
    name = areas.area_name(atlas2025, "icb", ICB)
    expected = len(areas.select(atlas2025, "icb", ICB))
    page.goto(f"{app_page.base_url}/?vintage=2025&level=icb&area={ICB}")
    page.get_by_role("heading", name=name).wait_for(timeout=60_000)
    frame = _wait_paths(page, expected)
    assert frame.locator(PATHS).count() == expected == 1601
    legend = frame.locator(".gc20-legend")
    assert legend.is_visible()
    assert "1 (most deprived 10%)" in legend.inner_text()
    app_page.snap("icb-drawn")
    app_page.snap("icb-map", page.locator(IFRAME))

    x, y, target = _visible_lsoa(page, frame)
    page.mouse.move(x, y)
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.wait_for(state="visible", timeout=10_000)
    text = tooltip.inner_text()
    assert target["code"] in text and "IMD decile" in text and "Core20" in text
    row = atlas2025.loc[atlas2025[schema.LSOA_CODE] == target["code"]].iloc[0]
    assert f"{int(row[schema.POPULATION]):,}" in text
    app_page.snap("icb-tooltip", page.locator(IFRAME))
    app_page.assert_offline()


def test_shading_change_redraws_with_the_new_classes(app_page, atlas2025):
    page = app_page.page
    view = areas.select(atlas2025, "icb", ICB)
    page.goto(f"{app_page.base_url}/?vintage=2025&level=icb&area={ICB}")
    frame = _wait_paths(page, len(view))
    assert _fills(frame) == _expected_fills(view, schema.IMD_DECILE)
    app_page.snap("imd-decile", page.locator(IFRAME))

    _select(page, "Shade LSOAs by", styles.SHADINGS["income_decile"])
    expected = _expected_fills(view, "income_decile")
    assert expected != _expected_fills(view, schema.IMD_DECILE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            frame = _wait_paths(page, len(view), timeout=30)
            if _fills(frame) == expected:
                break
        except Exception:  # noqa: BLE001 - the old iframe went away mid-check
            pass
        time.sleep(0.3)
    assert _fills(frame) == expected, "the map was not redrawn with income domain deciles"
    assert "Income domain decile" in frame.locator(".gc20-legend").inner_text()
    assert "shade=income_decile" in page.url
    app_page.snap("income-decile", page.locator(IFRAME))
    app_page.assert_offline()


def test_click_shows_details_beside_the_map_without_redrawing_it(app_page, atlas2025):
    page = app_page.page
    page.goto(f"{app_page.base_url}/?vintage=2025&level=lad&area={LAD}")
    frame = _wait_paths(page, 295)
    frame.evaluate("() => { window.__gc20_same_map = true; }")
    x, y, target = _visible_lsoa(page, frame)
    page.mouse.click(x, y)
    name = atlas2025.loc[atlas2025[schema.LSOA_CODE] == target["code"], schema.LSOA_NAME].iloc[0]
    page.locator("[data-testid='stMarkdown']", has_text=name).first.wait_for(timeout=30_000)
    page.locator("[data-testid='stMarkdown']", has_text="IMD decile").first.wait_for(timeout=10_000)
    assert _frame(page).evaluate("() => window.__gc20_same_map === true"), "the map was redrawn"
    app_page.snap("lsoa-details")
    app_page.assert_offline()


def test_csv_download_has_the_lsoas_in_view(app_page, atlas2025):
    page = app_page.page
    page.goto(f"{app_page.base_url}/?vintage=2025&level=lad&area={LAD}")
    _wait_paths(page, 295)
    button = page.get_by_role("button", name="LSOAs in view (CSV)")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=30_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == f"core20_2025_lad_{LAD}.csv"
    with open(download.path(), "rb") as fh:
        table = export.read_lsoa_csv(fh.read())
    chosen = areas.select(atlas2025, "lad", LAD)
    assert len(table) == len(chosen) == 295
    assert set(table[schema.LSOA_CODE]) == set(chosen[schema.LSOA_CODE])
    assert int(table[schema.CORE20].sum()) == int(chosen[schema.CORE20].sum())
    app_page.snap("downloads")
    app_page.assert_offline()


def test_england_view_draws_without_freezing(app_page, atlas2025):
    page = app_page.page
    t0 = time.monotonic()
    page.goto(app_page.base_url + "/")
    page.get_by_role("heading", name="England").wait_for(timeout=60_000)
    frame = _frame(page)
    frame.wait_for_function(
        "() => window.geoCore20National ? window.geoCore20National.drawn"
        " : document.querySelectorAll('canvas').length > 0", timeout=60_000)
    seconds = time.monotonic() - t0
    drawn = frame.evaluate("() => window.geoCore20National ? window.geoCore20National.lastDrawnPolygons"
                           " : null")
    if drawn is not None:
        assert drawn == len(atlas2025)
    assert seconds < 30
    # the page still answers: a zoom is handled promptly (measured inside the page)
    zoom_ms = frame.evaluate("() => { const t = performance.now();"
                             " window.map.setZoom(window.map.getZoom() + 1); return performance.now() - t; }")
    assert zoom_ms < 3000
    app_page.snap("england")
    app_page.assert_offline()


def test_bad_link_falls_back_to_england_with_a_notice(app_page):
    page = app_page.page
    page.goto(f"{app_page.base_url}/?vintage=2025&level=icb&area=E54999999")
    page.get_by_role("heading", name="England").wait_for(timeout=60_000)
    alert = page.locator("[data-testid='stAlert']", has_text="No ICB with code E54999999")
    alert.wait_for(timeout=30_000)
    _frame(page)
    assert "level=england" in page.url
    app_page.snap("bad-link")
    app_page.assert_offline()


def test_about_page(app_page):
    page = app_page.page
    page.goto(f"{app_page.base_url}/About_the_data")
    page.get_by_role("heading", name="Core20: what it is").wait_for(timeout=60_000)
    page.get_by_role("heading", name="Sources and licences").wait_for(timeout=30_000)
    app_page.snap("about")
    app_page.assert_offline()
