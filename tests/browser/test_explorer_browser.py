"""The Core20 explorer in a real browser: share links, drawing, tooltips, shading, downloads.

Every test also checks that nothing was requested from another host and no request failed
(the app must work with no internet), and keeps screenshots of each step in
test-artifacts/explorer/.
"""

from __future__ import annotations

import time
from collections import Counter

import pandas as pd
import pytest

from geo_core20 import areas, schema, tables
from geo_core20.maps import palette, styles

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
    return Counter(palette.DECILE_COLOURS[int(d) - 1] for d in view[column])


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


def _assert_legend_beside_the_map(page, frame, text: str) -> None:
    """No legend inside the map; where the page shows one (beside the map), it says ``text``."""
    assert frame.locator(".gc20-legend").count() == 0, "the legend must not cover the map"
    beside = page.locator(".gc20-legend")
    if beside.count():  # the page renders maps.classify.legend_html next to the map
        assert text in beside.first.inner_text()
        legend_box, map_box = beside.first.bounding_box(), page.locator(IFRAME).bounding_box()
        overlap_x = min(legend_box["x"] + legend_box["width"], map_box["x"] + map_box["width"]) - max(
            legend_box["x"], map_box["x"])
        overlap_y = min(legend_box["y"] + legend_box["height"], map_box["y"] + map_box["height"]) - max(
            legend_box["y"], map_box["y"])
        assert overlap_x <= 0 or overlap_y <= 0, "legend and map overlap"


def _assert_place_not_covered(page, frame, lat: float, lon: float) -> None:
    """The map at (lat, lon) is the map itself, not a control laid over it."""
    pt = frame.evaluate(f"() => window.map.latLngToContainerPoint([{lat}, {lon}])")
    box = frame.evaluate("() => { const b = window.map.getContainer().getBoundingClientRect();"
                         " return {x: b.left, y: b.top, w: b.width, h: b.height}; }")
    assert 0 < pt["x"] < box["w"] and 0 < pt["y"] < box["h"], "the place is in view"
    covered = frame.evaluate("([x, y]) => { const el = document.elementFromPoint(x, y);"
                             " return !el || !!el.closest('.leaflet-control-container, .gc20-legend'); }",
                             [box["x"] + pt["x"], box["y"] + pt["y"]])
    assert not covered, f"a control covers ({lat}, {lon})"


def _assert_inside_the_map(frame, locator) -> None:
    tip = locator.bounding_box()
    box = frame.locator(".leaflet-container").first.bounding_box()
    size = frame.evaluate("() => [window.map.getSize().x, window.map.getContainer().clientWidth]")
    where = f"tooltip {tip}, map {box}, Leaflet size / container width {size}"
    assert tip["x"] >= box["x"] - 1 and tip["x"] + tip["width"] <= box["x"] + box["width"] + 1, where
    assert tip["y"] >= box["y"] - 1 and tip["y"] + tip["height"] <= box["y"] + box["height"] + 1, where


def _assert_wheel_zooms_only_after_focus(page, frame) -> None:
    """Scrolling the page over the map scrolls the page; once the map has focus, the wheel zooms."""
    def over_the_map() -> None:
        page.locator(IFRAME).scroll_into_view_if_needed()
        box = page.locator(IFRAME).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    zoom = frame.evaluate("() => window.map.getZoom()")
    centre = frame.evaluate("() => window.map.getCenter()")
    over_the_map()
    page.mouse.wheel(0, -240)
    page.wait_for_timeout(400)
    assert frame.evaluate("() => window.map.getZoom()") == zoom, "the page scroll zoomed the map"
    frame.evaluate("() => window.map.getContainer().focus()")
    assert frame.evaluate("() => window.map.scrollWheelZoom.enabled()")
    over_the_map()
    page.mouse.wheel(0, -240)
    frame.wait_for_function(f"() => window.map.getZoom() > {zoom}", timeout=5_000)
    frame.evaluate("() => window.map.getContainer().blur()")
    page.wait_for_timeout(800)  # the wheel's zoom animation ends before the view is put back
    frame.evaluate("([c, z]) => window.map.setView([c.lat, c.lng], z, {animate: false})", [centre, zoom])
    frame.wait_for_function(f"() => window.map.getZoom() === {zoom}", timeout=5_000)


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
    _assert_legend_beside_the_map(page, frame, "1 (most deprived 10%)")
    # the ICB's boundary and the surrounding areas are drawn from their shared geometry files (fetched by
    # the map, not sent in its script): lines of the boundary's and the context's colours are on the map
    frame.wait_for_function("() => (window.gc20Layer || {}).drawn > 0", timeout=60_000)
    lines = frame.evaluate("""() => { const n = {};
        Object.values(window.map._layers).forEach(l => {
            if (l.getLatLngs && l.options && l.options.color) {
                const pts = JSON.stringify(l.getLatLngs()).split('lat').length - 1;
                n[l.options.color] = (n[l.options.color] || 0) + pts; } });
        return n; }""")
    assert lines.get(palette.AREA_LINE, 0) > 100 and lines.get(palette.CONTEXT_LINE, 0) > 100, lines
    assert "/app/static/shared/" in " ".join(frame.evaluate(
        "() => performance.getEntriesByType('resource').map(e => e.name)"))
    app_page.snap("icb-drawn")
    app_page.snap("icb-map", page.locator(IFRAME))
    _assert_wheel_zooms_only_after_focus(page, frame)

    x, y, target = _visible_lsoa(page, frame)
    page.mouse.move(x, y)
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.wait_for(state="visible", timeout=10_000)
    text = tooltip.inner_text()
    assert target["code"] in set(chosen[schema.LSOA_CODE])
    assert target["code"] in text and "IMD decile" in text and "Core20" in text
    row = atlas2025.loc[atlas2025[schema.LSOA_CODE] == target["code"]].iloc[0]
    assert f"{int(row[schema.POPULATION]):,}" in text
    _assert_inside_the_map(frame, tooltip)
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
    assert after == [palette.DECILE_COLOURS[int(income[c]) - 1] for c in sample]
    assert after != before
    assert frame.evaluate(f"() => {API}.layer._o.shade") == "income_decile"
    assert frame.evaluate(f"() => {API}.drawCount") >= 1
    assert "Income domain decile" in frame.evaluate(f"() => {API}.layer._o.ariaLabel")
    _assert_legend_beside_the_map(page, frame, "Income domain decile")
    assert "shade=income_decile" in page.url
    app_page.snap("income-decile", page.locator(IFRAME))
    app_page.assert_offline()


def test_north_east_icb_legend_leaves_tyneside_visible(app_page, atlas2025):
    page = app_page.page
    icb = "E54000050"  # NHS North East and North Cumbria ICB
    expected = len(areas.select(atlas2025, "icb", icb))
    page.goto(f"{app_page.base_url}/?vintage=2025&level=icb&area={icb}")
    frame = _wait_drawn(page, expected)
    _assert_legend_beside_the_map(page, frame, "1 (most deprived 10%)")
    _assert_place_not_covered(page, frame, 54.97, -1.61)  # Newcastle upon Tyne
    _assert_place_not_covered(page, frame, 54.91, -1.38)  # Sunderland
    page.locator(IFRAME).scroll_into_view_if_needed()
    app_page.snap("nenc-icb")
    app_page.snap("nenc-icb-map", page.locator(IFRAME))
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
    menu = page.get_by_role("button", name="Download the LSOAs in view")  # the buttons are behind it
    menu.scroll_into_view_if_needed()
    menu.click()
    button = page.get_by_role("button", name="LSOAs in view (CSV)")
    button.wait_for(timeout=30_000)
    with page.expect_download(timeout=30_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == f"core20_2025_lad_{LAD}.csv"
    with open(download.path(), "rb") as fh:
        table = tables.read_csv(fh.read())
    # the recipe the download's help gives
    recipe = pd.read_csv(download.path(), comment="#", dtype={schema.LSOA_CODE: str})
    assert recipe.equals(table)
    chosen = areas.select(atlas2025, "lad", LAD)
    assert len(table) == len(chosen) == 295
    assert set(table[schema.LSOA_CODE]) == set(chosen[schema.LSOA_CODE])
    assert int(table[schema.CORE20].sum()) == int(chosen[schema.CORE20].sum())
    excel = page.get_by_role("button", name="LSOAs in view (Excel)")
    with page.expect_download(timeout=60_000) as info:
        excel.click()
    assert info.value.suggested_filename == f"core20_2025_lad_{LAD}.xlsx"
    with open(info.value.path(), "rb") as fh:
        sheet, notes = tables.read_xlsx(fh.read())
    assert sheet[schema.LSOA_CODE].tolist() == table[schema.LSOA_CODE].tolist() and len(notes) >= 3
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
    fitted = frame.evaluate("() => [window.map.getCenter(), window.map.getZoom()]")
    # the page still answers: a zoom is handled promptly (measured inside the page)
    zoom_ms = frame.evaluate("() => { const t = performance.now();"
                             " window.map.setZoom(window.map.getZoom() + 1); return performance.now() - t; }")
    assert zoom_ms < 3000
    page.wait_for_timeout(800)  # the zoom animation ends before the fitted view is put back
    frame.evaluate("([c, z]) => window.map.setView([c.lat, c.lng], z, {animate: false})", fitted)
    frame.wait_for_function(f"() => window.map.getZoom() === {fitted[1]}", timeout=5_000)
    page.wait_for_timeout(300)  # redrawn at the fitted view
    _assert_legend_beside_the_map(page, frame, "1 (most deprived 10%)")
    _assert_place_not_covered(page, frame, 51.51, -0.12)  # London
    app_page.snap("england")
    page.locator(IFRAME).scroll_into_view_if_needed()
    app_page.snap("england-map", page.locator(IFRAME))
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
