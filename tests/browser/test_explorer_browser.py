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
# The explorer draws every extent with the national canvas renderer; its JS hook
# (window.geoCore20National, templates/national_renderer.js) says what it drew.
API = "window.geoCore20National"


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


def _wait_drawn(page, count: int, timeout: float = 60):
    """The map frame once its LSOA layer has drawn exactly ``count`` LSOAs."""
    frame = _frame(page, timeout)
    frame.wait_for_function(f"() => {API} && {API}.drawnCount() === {count}", timeout=timeout * 1000)
    assert frame.evaluate(f"() => {API}.errors") == []
    return frame


def _drawn_codes(frame) -> list[str]:
    return frame.evaluate(f"() => {API}.drawnCodes()")


def _fills(frame) -> Counter:
    """Fill colours of the LSOAs drawn, one per LSOA, as the renderer styles them."""
    return Counter(frame.evaluate(f"() => {API}.drawnCodes().map(c => {API}.styleOf(c).fill)"))


def _expected_fills(view, column: str) -> Counter:
    return Counter(styles.DECILE_COLOURS[int(d) - 1] for d in view[column])


_VISIBLE_LSOA_JS = """(maxY) => {
  // a point of the map, inside the part of the iframe the browser window shows and not under
  // the legend or another control, well inside one drawn LSOA (same LSOA 6 px around it)
  const api = window.geoCore20National, map = window.map, box = map.getContainer().getBoundingClientRect();
  const at = (x, y) => {
    const ll = map.containerPointToLatLng([x - box.left, y - box.top]);
    return api.lsoaAt(ll.lat, ll.lng);
  };
  const points = [];
  for (let i = 1; i < 30; i++) for (let j = 1; j < 30; j++) points.push([i / 30, j / 30]);
  points.sort((a, b) => Math.hypot(a[0] - 0.5, a[1] - 0.5) - Math.hypot(b[0] - 0.5, b[1] - 0.5));
  for (const [fx, fy] of points) {
    const x = box.left + fx * box.width, y = box.top + fy * box.height;
    if (y > maxY - 10 || y < 10) continue;
    const el = document.elementFromPoint(x, y);
    if (!el || !map.getContainer().contains(el) || el.closest('.leaflet-control-container')
        || el.tagName.toLowerCase() === 'path') continue;
    const code = at(x, y);
    if (!code || [[6, 0], [-6, 0], [0, 6], [0, -6]].some(([dx, dy]) => at(x + dx, y + dy) !== code)) continue;
    return {x, y, code};
  }
  return null;
}"""


def _visible_lsoa(page, frame) -> tuple[float, float, dict]:
    """Page coordinates of a point the mouse can reach inside a drawn LSOA, and its code."""
    page.locator(IFRAME).scroll_into_view_if_needed()
    box = page.locator(IFRAME).bounding_box()
    target = frame.evaluate(_VISIBLE_LSOA_JS, page.viewport_size["height"] - box["y"])
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
    frame = _wait_drawn(page, expected)
    drawn = _drawn_codes(frame)
    assert len(drawn) == len(set(drawn)) == expected == 1601
    chosen = areas.select(atlas2025, "icb", ICB)
    assert set(drawn) == set(chosen[schema.LSOA_CODE])
    # LSOAs of the same NHS region outside the ICB are loaded but hidden
    region = chosen["nhs_region_code"].iloc[0]
    outside = atlas2025.loc[(atlas2025["nhs_region_code"] == region) & (atlas2025["icb_code"] != ICB),
                            schema.LSOA_CODE].head(20).tolist()
    assert outside and all(st and not st["visible"] for st in
                           frame.evaluate(f"codes => codes.map(c => {API}.styleOf(c))", outside))
    # Core20 LSOAs of the ICB are outlined
    core = chosen.loc[chosen[schema.CORE20], schema.LSOA_CODE].head(20).tolist()
    core_styles = frame.evaluate(f"codes => codes.map(c => {API}.styleOf(c))", core)
    assert core and all(st["visible"] and st["outlined"] for st in core_styles)
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
    assert target["code"] in set(chosen[schema.LSOA_CODE])
    assert target["code"] in text and "IMD decile" in text and "Core20" in text
    row = atlas2025.loc[atlas2025[schema.LSOA_CODE] == target["code"]].iloc[0]
    assert f"{int(row[schema.POPULATION]):,}" in text
    app_page.snap("icb-tooltip", page.locator(IFRAME))
    app_page.assert_offline()


def test_shading_change_redraws_with_the_new_classes(app_page, atlas2025):
    page = app_page.page
    view = areas.select(atlas2025, "icb", ICB)
    page.goto(f"{app_page.base_url}/?vintage=2025&level=icb&area={ICB}")
    frame = _wait_drawn(page, len(view))
    assert _fills(frame) == _expected_fills(view, schema.IMD_DECILE)
    sample = view[schema.LSOA_CODE].head(200).tolist()
    before = frame.evaluate(f"codes => codes.map(c => {API}.styleOf(c).fill)", sample)
    app_page.snap("imd-decile", page.locator(IFRAME))

    _select(page, "Shade LSOAs by", styles.SHADINGS["income_decile"])
    expected = _expected_fills(view, "income_decile")
    assert expected != _expected_fills(view, schema.IMD_DECILE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            frame = _wait_drawn(page, len(view), timeout=30)
            if _fills(frame) == expected:
                break
        except Exception:  # noqa: BLE001 - the old iframe went away mid-check
            pass
        time.sleep(0.3)
    assert _fills(frame) == expected, "the map was not redrawn with income domain deciles"
    after = frame.evaluate(f"codes => codes.map(c => {API}.styleOf(c).fill)", sample)
    income = view.set_index(schema.LSOA_CODE)["income_decile"]
    assert after == [styles.DECILE_COLOURS[int(income[c]) - 1] for c in sample]
    assert after != before
    assert frame.evaluate(f"() => {API}.layer._o.shade") == "income_decile"
    assert frame.evaluate(f"() => {API}.drawCount") >= 1
    assert "Income domain decile" in frame.locator(".gc20-legend").inner_text()
    assert "shade=income_decile" in page.url
    app_page.snap("income-decile", page.locator(IFRAME))
    app_page.assert_offline()


def test_click_shows_details_beside_the_map_without_redrawing_it(app_page, atlas2025):
    page = app_page.page
    page.goto(f"{app_page.base_url}/?vintage=2025&level=lad&area={LAD}")
    frame = _wait_drawn(page, 295)
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
    _wait_drawn(page, 295)
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
        "() => window.geoCore20National && window.geoCore20National.drawn", timeout=60_000)
    seconds = time.monotonic() - t0
    assert frame.evaluate("() => window.geoCore20National.drawnCount()") == len(atlas2025)
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
