"""The national renderer in a real browser (Playwright + Debian Chromium).

Standalone map pages, built with ``national.add_national_layer`` and served the way Streamlit
serves them (geometry asset and Leaflet under ``/app/static``), check that:

* England draws all 33,755 LSOAs, and the colour drawn for sampled LSOAs is their atlas class
  (the layer's style hook, and the canvas pixels at each LSOA's pole of inaccessibility);
* after panning and zooming with the mouse, hovering shows the LSOA's tooltip and a click
  reports it (as streamlit-folium reads it);
* a change of shading restyles the geometry already in the page (no new download), and a
  new page with another shading gets the asset from the browser cache;
* an NHS region draws only its LSOAs; the 2019 vintage (LSOA 2011) draws too.

Screenshots go to test-artifacts/national/.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import math
import threading
from pathlib import Path

import folium
import numpy as np
import pytest
import shapely
from PIL import Image

from geo_core20 import plus, schema
from geo_core20.maps import assets, national, plus_maps, styles

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "national"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1100, "height": 800}
REGION = "E40000003"  # London NHS region


def _map_name(m: folium.Map) -> str:
    return m.get_name()


def _page(atlas_gdf, vintage: str, shade: str, static_dir: Path, lsoa_codes=None) -> tuple[str, str]:
    """HTML of a bare map (local assets, no tiles) with the national layer; and the map's JS name."""
    assets.use_local_assets()
    view = atlas_gdf if lsoa_codes is None else atlas_gdf[atlas_gdf[schema.LSOA_CODE].isin(lsoa_codes)]
    minx, miny, maxx, maxy = view.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=6, tiles=None, zoom_snap=0.25)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    national.add_national_layer(m, atlas_gdf, vintage, shade, True, lsoa_codes, static_dir=static_dir)
    return m.get_root().render(), _map_name(m)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """/app/static/national/* from the test's asset folder, /app/static/* from the app's."""

    national_dir: Path
    pages_dir: Path

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0]
        prefix = "/app/static/"
        if path.startswith(prefix + "national/"):
            return str(self.national_dir / path[len(prefix + "national/"):])
        if path.startswith(prefix):
            return str(assets.STATIC_DIR / path[len(prefix):])
        return str(self.pages_dir / path.lstrip("/"))

    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory, atlas2025):
    if not assets.is_installed():
        pytest.skip("map assets not installed: run `python -m geo_core20 assets` (make setup does)")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium missing: apt-get install chromium")
    static_dir = tmp_path_factory.mktemp("static")
    pages = tmp_path_factory.mktemp("pages")
    region = atlas2025.loc[atlas2025["nhs_region_code"] == REGION, schema.LSOA_CODE].tolist()
    names = {}
    for page, (shade, codes) in {"england": ("imd_decile", None), "england_income": ("income_decile", None),
                                 "region": ("imd_decile", region)}.items():
        html, names[page] = _page(atlas2025, "2025", shade, static_dir, codes)
        (pages / f"{page}.html").write_text(html, encoding="utf-8")
    handler = type("H", (_Handler,), {"national_dir": static_dir / "national", "pages_dir": pages})
    factory = functools.partial(handler, directory=str(pages))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), factory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}", "static": static_dir, "pages": pages,
           "names": names, "region": region, "handler": handler}
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    yield ctx
    ctx.close()


def _open(context, site, page_name: str):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{site['url']}/{page_name}.html")
    page.wait_for_function("window.geoCore20National && window.geoCore20National.paintedAt", timeout=20_000)
    assert page.evaluate("geoCore20National.errors") == []
    assert errors == []
    return page


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _pole(geom) -> tuple[float, float, float]:
    """(lat, lon, radius in metres) of the largest circle inside the LSOA."""
    line = shapely.maximum_inscribed_circle(geom, 1e-6)
    (x, y), (bx, by) = line.coords[0], line.coords[1]
    metres = math.hypot((bx - x) * 111_320 * math.cos(math.radians(y)), (by - y) * 110_570)
    return y, x, metres


def _zoom_for(lat: float, radius_m: float, px: float = 6.0) -> float:
    """The zoom at which a circle of radius_m is px pixels across its radius (capped at 17)."""
    metres_per_px_z0 = 40_075_016.686 * math.cos(math.radians(lat)) / 256
    return float(min(17, max(6, math.ceil(math.log2(px * metres_per_px_z0 / max(radius_m, 1.0))))))


_SET_VIEW = """([name, lat, lng, zoom]) => new Promise(resolve => {
    const map = window[name], api = window.geoCore20National, before = api.drawCount;
    map.setView([lat, lng], zoom, {animate: false});
    const check = () => api.drawCount > before ? resolve(api.drawCount) : setTimeout(check, 20);
    check();
})"""

_PIXEL = """([name, lat, lng]) => {
    const map = window[name], canvas = document.querySelector('canvas.gc20-national-fill');
    const pt = map.latLngToContainerPoint([lat, lng]);
    const mapBox = map.getContainer().getBoundingClientRect(), box = canvas.getBoundingClientRect();
    const ratio = canvas.width / box.width;
    const x = Math.round((mapBox.left + pt.x - box.left) * ratio);
    const y = Math.round((mapBox.top + pt.y - box.top) * ratio);
    const d = canvas.getContext('2d').getImageData(x, y, 1, 1).data;
    return {rgba: Array.from(d), code: window.geoCore20National.lsoaAt(lat, lng)};
}"""


_STYLES = "codes => codes.map(c => geoCore20National.styleOf(c))"


def _fills(page_or_frame, rows) -> list[str]:
    """The fill colour the page's layer gives each LSOA of ``rows``."""
    return [s["fill"] for s in page_or_frame.evaluate(_STYLES, rows[schema.LSOA_CODE].tolist())]


def _hex(rgb) -> str:
    return "#" + "".join(f"{int(v):02x}" for v in rgb[:3])


def _sample(gdf, n: int, seed: int = 20):
    rng = np.random.default_rng(seed)
    return gdf.iloc[np.sort(rng.choice(len(gdf), size=n, replace=False))]


def test_england_draws_every_lsoa_in_its_atlas_class(context, site, atlas2025):
    page = _open(context, site, "england")
    _shot(page, "england_2025")
    assert page.evaluate("geoCore20National.lastDrawnPolygons") == len(atlas2025) == 33_755
    classes = styles.classes_for("imd_decile", atlas2025)
    sample = _sample(atlas2025, 50)
    got = page.evaluate(_STYLES, sample[schema.LSOA_CODE].tolist())
    want = classes.colour(sample[schema.IMD_DECILE])
    for style, colour, core20 in zip(got, want, sample[schema.CORE20], strict=True):
        assert style["visible"] and style["fill"] == colour
        assert style["outlined"] == bool(core20)
    # the pixels drawn inside sampled LSOAs (zoomed until each is several pixels across)
    name = site["names"]["england"]
    for _, row in sample.head(15).iterrows():
        lat, lon, radius = _pole(row.geometry)
        page.evaluate(_SET_VIEW, [name, lat, lon, _zoom_for(lat, radius)])
        probe = page.evaluate(_PIXEL, [name, lat, lon])
        assert probe["code"] == row[schema.LSOA_CODE]
        assert probe["rgba"][3] == 255, row[schema.LSOA_CODE]
        assert _hex(probe["rgba"]) == classes.colour([row[schema.IMD_DECILE]])[0], row[schema.LSOA_CODE]


def test_pan_and_zoom_then_tooltips_and_clicks_still_work(context, site, atlas2025):
    page = _open(context, site, "england")
    name = site["names"]["england"]
    box = page.locator(".folium-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # zoom towards London with the wheel, then drag the map
    london = page.evaluate(f"{name}.latLngToContainerPoint([51.51, -0.12])")
    page.mouse.move(box["x"] + london["x"], box["y"] + london["y"])
    for _ in range(40):
        if page.evaluate(f"{name}.getZoom()") >= 11:
            break
        page.mouse.wheel(0, -120)
        page.wait_for_timeout(150)
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 150, cy - 90, steps=8)
    page.mouse.up()
    page.wait_for_timeout(600)  # zoom animation, then moveend -> redraw
    assert 11 <= page.evaluate(f"{name}.getZoom()") <= 14
    assert page.evaluate("geoCore20National.lastDrawnPolygons") < 10_000  # only what is in view is drawn
    # an LSOA near the middle of the view, hovered well inside it
    centre = page.evaluate(f"{name}.getCenter()")
    near = atlas2025[atlas2025.intersects(shapely.Point(centre["lng"], centre["lat"]).buffer(0.01))]
    poles = [(_pole(g), i) for i, g in zip(near.index, near.geometry, strict=True)]
    (lat, lon, _), best = max(poles, key=lambda p: p[0][2])
    row = atlas2025.loc[best]
    pt = page.evaluate(f"{name}.latLngToContainerPoint([{lat}, {lon}])")
    assert 0 < pt["x"] < box["width"] and 0 < pt["y"] < box["height"]
    page.evaluate("""() => geoCore20National.layer.on('click', e => {
        window.__clicked = e.layer.toGeoJSON(); })""")
    page.mouse.move(box["x"] + pt["x"] - 3, box["y"] + pt["y"])
    page.mouse.move(box["x"] + pt["x"], box["y"] + pt["y"], steps=3)
    tooltip = page.locator(".leaflet-tooltip.gc20-tooltip")
    tooltip.wait_for(state="visible", timeout=5_000)
    text = tooltip.inner_text()
    _shot(page, "england_zoomed_tooltip")
    # the tooltip opens on the side with room (direction 'auto'): it stays inside the map
    tip = tooltip.bounding_box()
    assert box["x"] <= tip["x"] and tip["x"] + tip["width"] <= box["x"] + box["width"]
    assert box["y"] <= tip["y"] and tip["y"] + tip["height"] <= box["y"] + box["height"]
    assert row[schema.LSOA_CODE] in text and row[schema.LSOA_NAME] in text
    assert f"IMD decile\t{int(row[schema.IMD_DECILE])}" in text
    assert f"{int(row[schema.IMD_RANK]):,} of 33,755" in text
    assert f"Core20 (deciles 1-2)\t{'Yes' if row[schema.CORE20] else 'No'}" in text
    page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    clicked = page.evaluate("window.__clicked")
    assert clicked["properties"]["lsoa_code"] == row[schema.LSOA_CODE]
    assert clicked["geometry"]["type"] in ("Polygon", "MultiPolygon")
    got = shapely.geometry.shape(clicked["geometry"])
    assert shapely.hausdorff_distance(got, row.geometry) < 1e-4
    # moving off England hides the tooltip
    page.evaluate(f"{name}.setView([50.0, -3.0], 10, {{animate: false}})")
    page.mouse.move(cx, cy)
    page.wait_for_timeout(200)
    assert not tooltip.is_visible()


def test_shading_change_restyles_without_downloading_geometry(context, site, atlas2025):
    page = _open(context, site, "england")
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if ".bin.gz" in r.url else None)
    src = page.evaluate("geoCore20National.layer._o.src")
    options = national.layer_options(atlas2025, "2025", "income_decile", True, None, src=src)
    name = site["names"]["england"]
    page.evaluate("""([name, options]) => new Promise(resolve => {
        const map = window[name], old = window.geoCore20National.layer, before = geoCore20National.drawCount;
        const layer = window.geoCore20National.create(options).addTo(map);
        map.removeLayer(old);
        const check = () => geoCore20National.drawCount > before ? resolve() : setTimeout(check, 10);
        check();
    })""", [name, json.loads(json.dumps(options))])
    assert fetched == []
    sample = _sample(atlas2025, 40, seed=3)
    got = _fills(page, sample)
    assert got == list(styles.classes_for("income_decile", atlas2025).colour(sample["income_decile"]))
    # a new page (a rerun that rebuilt the map) gets the asset from the browser's cache
    page2 = _open(context, site, "england_income")
    entries = page2.evaluate("""performance.getEntriesByType('resource')
        .filter(e => e.name.includes('.bin.gz')).map(e => e.transferSize)""")
    assert entries and max(entries) < 1_000  # 0 (cache) or a 304 revalidation's headers
    got2 = _fills(page2, sample)
    assert got2 == got


def test_region_draws_only_its_lsoas(context, site, atlas2025):
    page = _open(context, site, "region")
    _shot(page, "region_london")
    region = set(site["region"])
    assert page.evaluate("geoCore20National.lastDrawnPolygons") == len(region)
    inside = sorted(region)[:5]
    outside = atlas2025.loc[~atlas2025[schema.LSOA_CODE].isin(region), schema.LSOA_CODE].head(5).tolist()
    styles_in = page.evaluate("codes => codes.map(c => geoCore20National.styleOf(c).visible)", inside)
    styles_out = page.evaluate("codes => codes.map(c => geoCore20National.styleOf(c))", outside)
    assert all(styles_in)
    assert all(st is None or not st["visible"] for st in styles_out)
    # only London's asset file was fetched
    fetched = page.evaluate("""performance.getEntriesByType('resource').map(e => e.name)
        .filter(n => n.includes('.bin.gz'))""")
    assert len(fetched) == 1 and f"_{REGION}_" in fetched[0]
    # no tooltip outside the region: the hit test skips hidden LSOAs
    row = atlas2025[atlas2025[schema.LSOA_CODE] == outside[0]].iloc[0]
    lat, lon, _ = _pole(row.geometry)
    assert page.evaluate(f"geoCore20National.lsoaAt({lat}, {lon})") is None


def test_2019_vintage_on_lsoa_2011(context, site, atlas2019):
    html, name = _page(atlas2019, "2019", "imd_decile", site["static"])
    (site["pages"] / "england_2019.html").write_text(html, encoding="utf-8")
    page = _open(context, site, "england_2019")
    _shot(page, "england_2019")
    assert page.evaluate("geoCore20National.lastDrawnPolygons") == len(atlas2019) == 32_844
    sample = _sample(atlas2019, 30)
    assert _fills(page, sample) == list(styles.classes_for("imd_decile").colour(sample[schema.IMD_DECILE]))


def test_browsers_without_decompression_stream_get_the_uncompressed_twin(context, site, atlas2025):
    page = context.new_page()
    page.add_init_script("delete window.DecompressionStream;")
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/national/" in r.url else None)
    page.goto(f"{site['url']}/region.html")
    page.wait_for_function("window.geoCore20National && window.geoCore20National.paintedAt", timeout=20_000)
    assert page.evaluate("geoCore20National.errors") == []
    assert page.evaluate("geoCore20National.lastDrawnPolygons") == len(site["region"])
    assert fetched and all(u.endswith(".bin") for u in fetched)


_BROKEN_WORKER = """window.Worker = class {
    constructor() { setTimeout(() => this.onerror && this.onerror(new Event('error')), 0); }
    postMessage() {} terminate() {}
};"""


def test_the_geometry_is_decoded_off_the_main_thread(context, site, atlas2025):
    page = _open(context, site, "england")
    assert page.evaluate("geoCore20National.decodedIn") == "worker"
    assert page.evaluate("geoCore20National.workerErrors || 0") == 0
    assert page.evaluate("geoCore20National.lastDrawnPolygons") == len(atlas2025)
    sample = _sample(atlas2025, 30, seed=11)
    assert _fills(page, sample) == list(styles.classes_for("imd_decile").colour(sample[schema.IMD_DECILE]))


@pytest.mark.parametrize("setup", ["delete window.Worker;", _BROKEN_WORKER],
                         ids=["no-worker", "worker-fails"])
def test_without_a_working_worker_the_page_decodes_itself(context, site, atlas2025, setup):
    page = context.new_page()
    page.add_init_script(setup)
    page.goto(f"{site['url']}/region.html")
    page.wait_for_function("window.geoCore20National && window.geoCore20National.paintedAt", timeout=20_000)
    assert page.evaluate("geoCore20National.errors") == []
    assert page.evaluate("geoCore20National.decodedIn") == "page"
    assert page.evaluate("geoCore20National.lastDrawnPolygons") == len(site["region"])
    region = atlas2025[atlas2025[schema.LSOA_CODE].isin(site["region"])]
    sample = _sample(region, 20, seed=3)
    assert _fills(page, sample) == list(styles.classes_for("imd_decile").colour(sample[schema.IMD_DECILE]))


def test_a_missing_asset_says_so_on_the_map(context, site):
    html = (site["pages"] / "region.html").read_text(encoding="utf-8")
    (site["pages"] / "broken.html").write_text(html.replace("/app/static/national/", "/app/static/missing/"),
                                               encoding="utf-8")
    page = context.new_page()
    page.goto(f"{site['url']}/broken.html")
    alert = page.locator(".gc20-national-error[role='alert']")
    alert.wait_for(state="visible", timeout=10_000)
    assert "could not be loaded" in alert.inner_text() and "HTTP 404" in alert.inner_text()
    assert page.evaluate("geoCore20National.errors.length") >= 1
    _shot(page, "missing_asset")


# --- inside the app (the explorer's served app and its `app_page` fixture) ------------------------

IFRAME = "iframe[title='streamlit_folium.st_folium']"


def _map_frame(page, after: float = 0.0, timeout: float = 60.0):
    """The map iframe once the national layer in it has painted (after ``after``, epoch ms)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        handle = page.query_selector(IFRAME)
        frame = handle.content_frame() if handle else None
        try:
            if frame and frame.evaluate(f"() => (window.geoCore20National || {{}}).paintedAt > {after}"):
                return frame
        except Exception:  # noqa: BLE001 - the iframe was replaced while we asked
            pass
        time.sleep(0.1)
    raise TimeoutError("the national layer did not draw in the app")


def test_in_the_app_click_through_and_a_shading_change_reuse_the_geometry(app_page, atlas2025):
    page = app_page.page
    assets_fetched: list[str] = []
    page.on("request", lambda r: assets_fetched.append(r.url) if "/national/" in r.url else None)
    page.goto(f"{app_page.base_url}/?vintage=2025&level=england")
    frame = _map_frame(page)
    assert frame.evaluate("geoCore20National.lastDrawnPolygons") == len(atlas2025)
    # one file per NHS region, each downloaded once: fetched and decoded in a Web Worker (off the main
    # thread) that the Streamlit page starts beside the map before the map's iframe has loaded
    # (maps.national.page_prefetch); the map takes the decoded arrays and fetches nothing itself
    assert len([u for u in assets_fetched if u.endswith(".bin.gz")]) == 7
    assert frame.evaluate("geoCore20National.decodedIn") == "worker"
    assert frame.evaluate("geoCore20National.startedByPage") == 7
    assert frame.evaluate("geoCore20National.workerErrors || 0") == 0
    sizes = page.evaluate("""(iframe) => {
        const of = w => w.performance.getEntriesByType('resource').filter(e => e.name.endsWith('.bin.gz'));
        const w = document.querySelector(iframe).contentWindow;
        const worker = w.geoCore20National.workerFetches || [];
        return {page: of(window).length, map: of(w).length, worker: worker}; }""",
                          IFRAME)
    assert sizes["page"] == 0 and sizes["map"] == 0, sizes  # neither document fetched them itself
    assert len(sizes["worker"]) == 7 and all(size > 10_000 for _, size in sizes["worker"]), sizes
    # the page's own scripts are an element of their own that takes no room beside the legend, while the
    # legend (sanitised) is shown; the map's scripts were preloaded from it
    scripts = page.locator("[data-testid='stElementContainer']:has(.gc20-scripts)")
    assert scripts.count() == 1 and not scripts.is_visible()
    assert page.locator(".gc20-legend").is_visible()
    assert page.locator("link[rel='preload'][href$='leaflet.js']").count() == 1
    # zoom in, hover and click an LSOA: its details appear beside the map, as for an ICB
    frame.evaluate("""() => new Promise(resolve => {
        const before = geoCore20National.drawCount;
        window.map.setView([53.80, -1.55], 13, {animate: false});
        const check = () => geoCore20National.drawCount > before ? resolve() : setTimeout(check, 20);
        check(); })""")
    centre = frame.evaluate("window.map.getCenter()")
    near = atlas2025[atlas2025.intersects(shapely.Point(centre["lng"], centre["lat"]).buffer(0.008))]
    (lat, lon, _), best = max(((_pole(g), i) for i, g in zip(near.index, near.geometry, strict=True)),
                              key=lambda p: p[0][2])
    row = atlas2025.loc[best]
    pt = frame.evaluate(f"window.map.latLngToContainerPoint([{lat}, {lon}])")
    box = page.locator(IFRAME).bounding_box()
    page.mouse.move(box["x"] + pt["x"] - 2, box["y"] + pt["y"])
    page.mouse.move(box["x"] + pt["x"], box["y"] + pt["y"], steps=2)
    tip = frame.locator(".leaflet-tooltip.gc20-tooltip")
    tip.wait_for(state="visible", timeout=10_000)
    assert row[schema.LSOA_CODE] in tip.inner_text()
    page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])
    page.locator("[data-testid='stMarkdown']", has_text=row[schema.LSOA_NAME]).first.wait_for(timeout=30_000)
    app_page.snap("england-click-through")
    # a change of shading reruns the app; the map's new iframe reuses the decoded geometry
    fetched_before = list(assets_fetched)
    changed = page.evaluate("Date.now()")
    box_sel = page.locator("[data-testid='stSelectbox']", has_text="Shade LSOAs by").first
    box_sel.locator("input, [role='combobox']").first.click()
    page.get_by_role("option", name=styles.SHADINGS["income_decile"], exact=True).click()
    frame = _map_frame(page, after=changed)
    frame.wait_for_function("() => !window.map._animatingZoom")
    assert frame.evaluate("geoCore20National.layer._o.shade") == "income_decile"
    assert frame.evaluate("geoCore20National.reused") is True
    assert [u for u in assets_fetched if u.endswith(".bin.gz")] == [
        u for u in fetched_before if u.endswith(".bin.gz")]
    sample = _sample(atlas2025, 20, seed=5)
    got = _fills(frame, sample)
    assert got == list(styles.classes_for("income_decile", atlas2025).colour(sample["income_decile"]))
    app_page.snap("england-income")
    app_page.assert_offline()


def test_small_target_lsoas_are_visible_at_icb_zoom(context, tmp_path, atlas2025):
    """The four Core20 + coastal + ethnic-minority target LSOAs of Cornwall (issue 9) show in
    the target colour at the ICB's fitted zoom, under the Core20 outline, with no legend on the map."""
    icb = "E54000036"
    area = atlas2025[atlas2025["icb_code"] == icb]
    spec = plus.TargetSpec("core20", "and", (plus.Condition("coastal"),
                                             plus.Condition("indicator", "ethnic_minority", "ge", 90,
                                                            percentile=True)))
    result = plus.evaluate(spec, area)
    targets = area[result.mask.to_numpy()]
    assert len(targets) == 4
    m = plus_maps.target_map("2025", "icb", icb, result, "none", core20_on=True)
    page_path = tmp_path / "cornwall_target.html"
    page_path.write_text(assets.standalone_html(m), encoding="utf-8")
    page = context.new_page()
    page.goto(page_path.as_uri())
    name = m.get_name()
    page.wait_for_function(f"() => window.{name} && window.{name}._loaded", timeout=20_000)
    page.wait_for_timeout(800)  # canvas and outlines drawn
    assert page.locator(".gc20-legend").count() == 0
    zoom = page.evaluate(f"{name}.getZoom()")
    assert zoom <= 10, "the ICB's fitted view, where these LSOAs are a few pixels across"
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    _shot(page, "cornwall_target_icb_zoom")
    target_rgb = tuple(int(plus_maps.TARGET_COLOURS[True][i:i + 2], 16) for i in (1, 3, 5))
    box = page.locator(".folium-map").bounding_box()
    for _, row in targets.iterrows():
        lat, lon, _ = _pole(row.geometry)
        pt = page.evaluate(f"{name}.latLngToContainerPoint([{lat}, {lon}])")
        x, y = round(box["x"] + pt["x"]), round(box["y"] + pt["y"])
        # the target colour (fill, or the outline drawn in it) within a pixel of the LSOA's pole
        near = [shot.getpixel((x + dx, y + dy)) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        assert any(sum(abs(a - b) for a, b in zip(px, target_rgb, strict=True)) < 90 for px in near), (
            row[schema.LSOA_CODE], near)
    page.close()
