"""Every page in a real browser, used as a person uses it: clicks, selects, typing (issues 9, 11, 12, 13).

One server for the module, with a throw-away plan store (so no plan lands in data/plans.sqlite).
Each test checks what a person would see (legend text beside the map and clear of it, metrics,
markers, tooltips), that no request left 127.0.0.1 (the app must work offline), that no script
error happened and that no dialog ever opened (no script injection). Screenshots go to
test-artifacts/<page>/; look at them.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from shapely.ops import polylabel

from geo_core20 import areas, atlas, clinical, hotspots, plans, plus, schema, siting, tables
from geo_core20.maps import assets, lsoa_layer, plus_maps

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
FIXTURES = ROOT / "tests" / "fixtures" / "uploads"
IFRAME = "iframe[title='streamlit_folium.st_folium']"
HULL = "E06000010"  # Kingston upon Hull, City of: 168 LSOAs, 134 coastal
CORNWALL = "E54000036"  # NHS Cornwall and the Isles of Scilly ICB
CHESHIRE = "E54000008"  # NHS Cheshire and Merseyside ICB
HOSTILE = ('<img src=x onerror=alert(1)>', '<script>alert(1)</script>', '"><svg onload=alert(1)>')
# Core20 AND coastal AND ethnic minority share >= 5%: four small LSOAs in Cornwall's towns
CORNWALL_TARGET = {"tb": "core20", "tc": "and", "tx": "coastal,ind:ethnic_minority:ge:5"}
WAIT = 90_000  # ms: generous for a cold cache on a shared 2-core machine, but bounded


@pytest.fixture(scope="module")
def pages_app(tmp_path_factory):
    from harness import serve_app

    if not (Path("/usr/bin/chromium").exists() and atlas.atlas_path("2025").exists()
            and assets.is_installed()):
        pytest.skip("needs /usr/bin/chromium, the built 2025 atlas and the map assets")
    store = tmp_path_factory.mktemp("plans") / "plans.sqlite"
    old = os.environ.get(plans.PATH_ENV)
    os.environ[plans.PATH_ENV] = str(store)  # inherited by the server process
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with serve_app(log_path=ARTIFACTS / "pages-streamlit.log") as base_url:
            yield base_url, store
    finally:
        if old is None:
            os.environ.pop(plans.PATH_ENV, None)
        else:
            os.environ[plans.PATH_ENV] = old


class Session:
    """One person's browser tab on the app, with what it asked of the network and any dialog."""

    def __init__(self, browser, base_url: str, folder: str, *, height: int = 1100):
        self.base_url, self.folder = base_url, ARTIFACTS / folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.context = browser.new_context(viewport={"width": 1400, "height": height}, accept_downloads=True)
        self.page = self.context.new_page()
        self.external: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        local = (base_url, "data:", "blob:", "about:", "file:")
        self.context.on("request", lambda r: None if r.url.startswith(local) else self.external.append(r.url))
        self.context.on("page", self._watch)
        self._watch(self.page)

    def _watch(self, page) -> None:
        page.on("pageerror", lambda e: self.errors.append(str(e)))

        def on_dialog(d) -> None:
            self.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.on("dialog", on_dialog)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def snap(self, name: str, element=None, full_page: bool = False) -> Path:
        out = self.folder / f"{name}.png"
        if element is not None:
            element.screenshot(path=str(out))
        else:
            self.page.screenshot(path=str(out), full_page=full_page)
        return out

    def check(self) -> None:
        """Offline, no script error, no dialog (alert/confirm/prompt) ever opened."""
        assert self.external == [], f"requests to other hosts: {self.external[:5]}"
        assert self.errors == [], f"page errors: {self.errors[:5]}"
        assert self.dialogs == [], f"a dialog fired (script injection?): {self.dialogs}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(request, pages_app, browser):
    """A fresh tab; its folder is named after the test's page (``folder`` marker-free: by test name)."""
    folder = getattr(request.module, "FOLDERS", {}).get(request.node.originalname, "pages")
    s = Session(browser, pages_app[0], folder)
    yield s
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        s.snap(f"failure-{request.node.name}", full_page=True)
    s.close()


FOLDERS = {"test_plus_layers_controls_change_the_map": "plus",
           "test_a_new_plus_layer_redraws_in_the_same_map": "plus",
           "test_plus_target_small_lsoas_visible_in_cornwall": "plus",
           "test_a_new_plus_layer_sends_no_polygons_and_its_tooltips_show_the_new_values": "plus",
           "test_a_layer_whose_geometry_cannot_be_fetched_says_so_on_the_map": "plus",
           "test_outreach_plan_chosen_saved_and_reopened": "outreach",
           "test_accelerator_presets_open_their_icb_focus_and_layer": "accelerator",
           "test_presentation_mode_from_a_share_link": "presentation",
           "test_presentation_mode_exit_button_brings_the_controls_back": "presentation",
           "test_cornwall_map_controls_leave_the_isles_of_scilly_visible": "plus",
           "test_flagged_lsoas_marked_at_icb_zoom_in_cornwall": "plus",
           "test_plus_upload_points_and_share_target": "plus",
           "test_explorer_downloads_open": "explorer_downloads",
           "test_hostile_names_never_run": "injection"}


# --- helpers ---------------------------------------------------------------------------------------

_LAYER_RUNS: dict[int, int] = {}  # id(frame) -> how many times its layers had been drawn when returned
LAYER_RUNS_JS = "() => (window.gc20Layer || {drawn: 0}).drawn || 0"  # layers drawn, geometry there


def map_frame(page, timeout: float = 90, after: object = None):
    """The (last) map iframe's Frame once its Leaflet map has loaded; ``after``: not this old frame as
    it was (a new iframe, or the same one with its layers drawn again in place: ui.map_display)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        handles = [h for h in page.query_selector_all(IFRAME) if h.is_visible()]
        frame = handles[-1].content_frame() if handles else None
        if frame is not None:
            try:
                if frame.evaluate("() => !!(window.map && window.map._loaded)"):
                    runs = frame.evaluate(LAYER_RUNS_JS)
                    if frame is not after or runs > _LAYER_RUNS.get(id(frame), 0):
                        _LAYER_RUNS[id(frame)] = runs
                        return frame
            except Exception:  # noqa: BLE001 - the iframe was replaced while we asked
                pass
        time.sleep(0.25)
    raise AssertionError("the map iframe never finished loading")


def legend(page, text: str, timeout: float = 90) -> str:
    """The text of the visible legend once it shows ``text`` (maps redraw after the page)."""
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        boxes = page.locator(".gc20-legend")
        texts = [" ".join(boxes.nth(i).inner_text().split()) for i in range(boxes.count())
                 if boxes.nth(i).is_visible()]
        hit = next((t for t in texts if text in t), None)
        if hit is not None:
            return hit
        seen = " | ".join(texts)
        time.sleep(0.25)
    raise AssertionError(f"no legend showing {text!r}; legends seen: {seen!r}")


def _overlap(a: dict, b: dict) -> bool:
    ox = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    oy = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    return ox > 0 and oy > 0


def assert_legend_clear_of_maps(page) -> None:
    """Every visible legend is beside every visible map (in the page, not overlapping); none on a map."""
    maps = [h for h in page.query_selector_all(IFRAME) if h.is_visible()]
    assert maps, "no map on screen"
    for h in maps:
        frame = h.content_frame()
        assert frame.locator(".gc20-legend").count() == 0, "a legend is drawn on the map"
    boxes = page.locator(".gc20-legend")
    shown = [boxes.nth(i) for i in range(boxes.count()) if boxes.nth(i).is_visible()]
    assert shown, "no legend on screen"
    for lg in shown:
        for h in maps:
            assert not _overlap(lg.bounding_box(), h.bounding_box()), "the legend overlaps the map"


def select(page, key: str, option: str | re.Pattern) -> None:
    """Open the select with widget key ``key`` by clicking it and click ``option``."""
    box = page.locator(f".st-key-{key}")
    box.scroll_into_view_if_needed()
    box.locator("input, [role='combobox']").first.click()
    page.get_by_role("option", name=option, exact=isinstance(option, str)).first.click()


def select_text(page, key: str) -> str:
    """What a select shows: its label and its value (held in a div or an input, by Streamlit version)."""
    return page.locator(f".st-key-{key}").evaluate(
        "e => e.innerText + ' ' + [...e.querySelectorAll('input')].map(i => i.value).join(' ')")


def metric(page, label: str, timeout: float = 90) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    box.wait_for(timeout=timeout * 1000)
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


def wait_metric(page, label: str, value: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        try:
            got = metric(page, label, timeout=5)
        except Exception:  # noqa: BLE001 - the page is rerunning
            got = None
        if got == value:
            return
        time.sleep(0.3)
    raise AssertionError(f"metric {label!r} shows {got!r}, expected {value!r}")


def section(page, name: str) -> None:
    page.locator("[data-testid='stButtonGroup'] button", has_text=name).first.click()


def settle(page, ms: int = 600) -> None:
    """Wait until Streamlit has finished the rerun (no running indicator), then a little more."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                           timeout=WAIT)
    page.wait_for_timeout(ms)


def set_number(page, label: str, value: float) -> None:
    """Type ``value`` into the number box ``label`` as a person does (select all, type, Enter)."""
    box = page.get_by_role("spinbutton", name=label)
    box.click()
    box.press("Control+a")
    box.type(f"{value:g}")
    box.press("Enter")
    settle(page, 300)

def hover_tooltip(page, frame, x: float, y: float, has_text: str | None = None,
                  timeout: float = 10_000) -> str | None:
    """Move the mouse onto page point (x, y) of the map ``frame`` as a person does and return the inner
    HTML of the tooltip that opens (with ``has_text``, if given); None if none opens. The mouse is
    then moved off the map, so the tooltip closes. Reads what Leaflet puts on screen, whether the
    layers came with the map's iframe or were drawn into it in place (ui.map_display)."""
    page.mouse.move(x - 3, y)
    page.mouse.move(x, y, steps=2)
    tips = frame.locator(".leaflet-tooltip", has_text=has_text) if has_text else frame.locator(
        ".leaflet-tooltip")
    try:
        tips.last.wait_for(state="visible", timeout=timeout)
        return tips.last.inner_html()
    except Exception:  # noqa: BLE001 - no tooltip opened there (a caller may try another point)
        return None
    finally:
        page.mouse.move(1, 1)


def map_point(page, frame, lat: float, lon: float) -> tuple[float, float] | None:
    """Where (lat, lon) is on the page, or None if it is outside the map's visible box."""
    box = page.locator(IFRAME).last.bounding_box()
    pt = frame.evaluate("([lat, lon]) => window.map.latLngToContainerPoint([lat, lon])", [lat, lon])
    size = frame.evaluate("() => [window.map.getSize().x, window.map.getSize().y]")
    if not (2 <= pt["x"] < size[0] - 2 and 2 <= pt["y"] < size[1] - 2):
        return None
    return box["x"] + pt["x"], box["y"] + pt["y"]


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def pole(geom) -> tuple[float, float]:
    """(lat, lon) of the point deepest inside an LSOA (its largest part)."""
    part = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
    p = polylabel(part, tolerance=1e-6)
    return p.y, p.x


# --- 1. PLUS layers (issue 9) ---------------------------------------------------------------------

def test_plus_layers_controls_change_the_map(session, atlas2025):
    page = session.page
    hull = atlas2025[atlas2025["lad_code"] == HULL]
    session.goto(f"/PLUS_layers?vintage=2025&level=lad&area={HULL}")
    heading = page.get_by_role("heading", name=re.compile("Kingston upon Hull, City of: PLUS groups"))
    heading.wait_for(timeout=WAIT)
    first = plus.get("coastal_core20")
    legend(page, first.label)
    frame = map_frame(page)
    assert_legend_clear_of_maps(page)
    session.snap("01-indicator-coastal-core20")

    # Layer: click the select, pick another layer; the map is redrawn with it
    new = plus.get("disability")
    select(page, "plus_indicator", f"{new.group}: {new.full_label}")
    text = legend(page, new.label)
    assert first.label not in text
    map_frame(page, after=frame)
    assert new.full_label in select_text(page, "plus_indicator"), "the select snapped back"
    settle(page)
    assert query(page).get("layer") == "disability"
    assert new.full_label in select_text(page, "plus_indicator"), "the select snapped back after the rerun"
    assert_legend_clear_of_maps(page)
    session.snap("02-indicator-disability")

    # Hot spots: change the permutations; the select keeps the new value and the result says it
    section(page, "Hot spots")
    page.locator(".st-key-plus_permutations").wait_for(timeout=WAIT)
    legend(page, "Hot spot")
    select(page, "plus_permutations", "4999")
    page.get_by_text(re.compile(r"4,?999 permutations")).first.wait_for(timeout=WAIT)
    settle(page)
    assert "4999" in select_text(page, "plus_permutations")
    assert_legend_clear_of_maps(page)
    session.snap("03-hotspots-4999")

    # Target: All LSOAs, add a Coastal condition; the count is the atlas's
    section(page, "Target")
    page.locator(".st-key-target_base").get_by_text("All LSOAs").click()
    settle(page)
    page.get_by_role("button", name="Add condition").click()
    page.get_by_role("heading", name="LSOAs where coastal (G_25_5)").wait_for(timeout=WAIT)
    wait_metric(page, "LSOAs in target", f"{int(hull['coastal'].sum()):,}")
    assert int(hull["coastal"].sum()) == 134
    legend(page, "In the target")
    map_frame(page)
    assert_legend_clear_of_maps(page)
    settle(page)
    assert query(page).get("tb") == "all" and query(page).get("tx") == "coastal"
    session.snap("04-target-all-coastal", full_page=True)
    session.check()


def test_a_new_plus_layer_redraws_in_the_same_map(session, atlas2025):
    """Issue 22: a change of layer keeps the map's iframe (Leaflet, pan and zoom) and replaces its layers
    in place: the old LSOA layer and layer control are gone, the new classes are drawn."""
    page = session.page
    session.goto(f"/PLUS_layers?vintage=2025&level=lad&area={HULL}")
    legend(page, plus.get("coastal_core20").label)
    frame = map_frame(page)
    count_js = """() => ({controls: document.querySelectorAll('.leaflet-control-layers').length,
        groups: Object.values(window.map._layers).filter(l => l.feature === undefined && l.getLayers
            && l.getLayers().length > 100).length, runs: window.gc20Layer.runs})"""
    first = frame.evaluate(count_js)
    control = frame.locator(".leaflet-control-layers").text_content()
    assert first["controls"] == 1 and first["groups"] == 1, first
    new = plus.get("disability")
    select(page, "plus_indicator", f"{new.group}: {new.full_label}")
    legend(page, new.label)
    assert map_frame(page, after=frame) is frame, "the map was rebuilt in a new iframe"
    settle(page)
    now = frame.evaluate(count_js)
    assert now["runs"] > first["runs"] and now["controls"] == 1 and now["groups"] == 1, now
    assert frame.locator(".leaflet-control-layers").text_content() != control, "the old layer control"
    session.check()


def test_a_new_plus_layer_sends_no_polygons_and_its_tooltips_show_the_new_values(session, atlas2025):
    """Issue 22, item 5: a layer change sends the new classes and values to the map in the browser. The
    Leaflet map object survives, nothing the server sends for the change holds a polygon, the polygons
    were fetched once (maps.shared_geometry), and a person hovering an LSOA reads the new layer's value."""
    page = session.page
    during: list[bytes] = []
    recording = {"on": False}

    def on_socket(sock) -> None:
        def got(payload) -> None:
            if recording["on"]:
                during.append(payload.encode() if isinstance(payload, str) else bytes(payload))

        sock.on("framereceived", got)

    page.on("websocket", on_socket)
    session.goto(f"/PLUS_layers?vintage=2025&level=lad&area={HULL}")
    legend(page, plus.get("coastal_core20").label)
    frame = map_frame(page)
    shared_js = """() => performance.getEntriesByType('resource').map(e => e.name)
        .filter(n => n.includes('/app/static/shared/'))"""
    lsoas_js = """() => Object.values(window.map._layers)
        .filter(l => l.getLayers && l.getLayers().length > 100).map(l => l.getLayers().length)"""
    fetched = frame.evaluate(shared_js)
    assert fetched and frame.evaluate(lsoas_js) == [168], frame.evaluate(lsoas_js)
    frame.evaluate("() => { window.map.gc20Kept = true; }")
    recording["on"] = True
    new = plus.get("disability")
    select(page, "plus_indicator", f"{new.group}: {new.full_label}")
    legend(page, new.label)
    assert map_frame(page, after=frame) is frame, "the map was rebuilt in a new iframe"
    settle(page)
    recording["on"] = False
    assert frame.evaluate("() => window.map.gc20Kept === true"), "a new Leaflet map"
    assert frame.evaluate(lsoas_js) == [168]
    assert during and sum(map(len, during)) > 0
    assert not [p for p in during if b'"coordinates"' in p], "the layer change re-sent polygons"
    # the LSOA polygons were not fetched again (the Core20 outline and boundary neither)
    again = frame.evaluate(shared_js)
    assert len(again) == len(set(again)) and set(fetched) <= set(again), again

    hull = atlas2025[atlas2025["lad_code"] == HULL]
    values = plus.values(hull, "disability")
    big = hull.assign(a=hull.geometry.to_crs(27700).area).sort_values("a", ascending=False)
    for _, row in big.head(8).iterrows():
        pt = map_point(page, frame, *pole(row.geometry))
        if pt is None:
            continue
        tip = hover_tooltip(page, frame, *pt, has_text=row[schema.LSOA_CODE])
        if tip is not None:
            break
    else:
        raise AssertionError("no tooltip opened on Hull's largest LSOAs")
    assert new.label in tip and plus.format_value(new, values.loc[row.name]) in tip, tip
    session.check()


def test_a_layer_whose_geometry_cannot_be_fetched_says_so_on_the_map(session):
    """A PLUS map's polygons come from files the browser fetches (maps.shared_geometry). When those
    fail (here: every one answers 404), the map says so in a note a person can read, instead of
    staying blank; a layer change that loads again takes the note away."""
    page = session.page
    refused = {"on": True}

    def shared(route) -> None:
        if refused["on"]:
            route.fulfill(status=404, body="gone")
        else:
            route.continue_()

    page.route("**/app/static/shared/**", shared)
    session.goto(f"/PLUS_layers?vintage=2025&level=lad&area={HULL}")
    note = page.frame_locator(IFRAME).locator(".gc20-layer-error[role='alert']")
    note.wait_for(state="visible", timeout=WAIT)
    text = note.inner_text()
    assert "could not be loaded" in text and "Reload the page" in text and "HTTP 404" in text, text
    session.snap("shared-geometry-missing")
    refused["on"] = False
    new = plus.get("disability")
    select(page, "plus_indicator", f"{new.group}: {new.full_label}")
    legend(page, new.label)
    frame = map_frame(page)
    frame.wait_for_function("() => (window.gc20Layer || {}).drawn > 0", timeout=WAIT)  # its polygons came
    assert frame.locator(".gc20-layer-error").count() == 0
    assert session.errors == [] and session.dialogs == []


def test_plus_target_small_lsoas_visible_in_cornwall(session, atlas2025):
    page = session.page
    area = atlas2025[atlas2025["icb_code"] == CORNWALL]
    spec = plus.TargetSpec.from_query_params(CORNWALL_TARGET)
    targets = area[plus.evaluate(spec, area).mask.to_numpy()]
    assert len(targets) == 4
    q = "&".join(f"{k}={v}" for k, v in CORNWALL_TARGET.items())
    session.goto(f"/PLUS_layers?vintage=2025&level=icb&area={CORNWALL}&{q}")
    page.get_by_role("heading", name=re.compile("Cornwall")).wait_for(timeout=WAIT)
    section(page, "Target")
    wait_metric(page, "LSOAs in target", "4")
    legend(page, "In the target")
    frame = map_frame(page)
    page.locator(IFRAME).last.scroll_into_view_if_needed()
    settle(page, 1200)  # canvas and outlines drawn
    assert_legend_clear_of_maps(page)
    iframe = page.locator(IFRAME).last
    session.snap("05-cornwall-target-page")
    session.snap("06-cornwall-target-map", iframe)
    shot = Image.open(io.BytesIO(iframe.screenshot())).convert("RGB")
    rgb = tuple(int(plus_maps.TARGET_COLOURS[True][i:i + 2], 16) for i in (1, 3, 5))
    size = frame.evaluate("() => [window.map.getSize().x, window.map.getSize().y, window.map.getZoom()]")
    seen = {}
    for _, row in targets.iterrows():
        lat, lon = pole(row.geometry)
        pt = frame.evaluate(f"() => window.map.latLngToContainerPoint([{lat}, {lon}])")
        x, y = round(pt["x"]), round(pt["y"])
        assert 0 <= x < size[0] and 0 <= y < size[1], (row[schema.LSOA_CODE], "not in view", size)
        near = [shot.getpixel((x + dx, y + dy)) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        seen[row[schema.LSOA_CODE]] = near[4]
        assert any(sum(abs(a - b) for a, b in zip(px, rgb, strict=True)) < 90 for px in near), (
            f"target LSOA {row[schema.LSOA_CODE]} not drawn in the target colour at zoom {size[2]}: {near}")
    session.check()


def flag_at_centres(frame, rows: pd.DataFrame) -> dict[str, str]:
    """For each LSOA of ``rows``: the class of the element drawn on top at its population-weighted
    centre in the map (elementFromPoint, so it is what the eye sees there), '' if it is off the map."""
    out = {}
    for _, row in rows.iterrows():
        out[row[schema.LSOA_CODE]] = frame.evaluate(
            """([lat, lon]) => {
                const r = window.map.getContainer().getBoundingClientRect();
                const p = window.map.latLngToContainerPoint([lat, lon]);
                if (p.x < 0 || p.y < 0 || p.x >= r.width || p.y >= r.height) return '';
                const e = document.elementFromPoint(r.left + p.x, r.top + p.y);
                return e ? (e.getAttribute('class') || e.tagName) : 'nothing';
            }""", [row[schema.PWC_LAT], row[schema.PWC_LON]])
    return out


def test_flagged_lsoas_marked_at_icb_zoom_in_cornwall(session, atlas2025):
    """At ICB zoom an urban LSOA is a pixel or two: each hot or cold spot and each target LSOA has
    a marker on top at its centre (issue 17: 1 hot and 7 cold spots could not be seen)."""
    page = session.page
    area = atlas2025[atlas2025["icb_code"] == CORNWALL]
    ind = plus.get("ethnic_asian")
    result = hotspots.gi_star(area, plus.values(area, ind.id).astype(float), permutations=999)
    spots = area[result.frame["hotspot"].isin([*hotspots.HOT.values(), *hotspots.COLD.values()]).to_numpy()]
    assert len(spots) == result.n_hot + result.n_cold == 8
    q = "&".join(f"{k}={v}" for k, v in CORNWALL_TARGET.items())
    session.goto(f"/PLUS_layers?vintage=2025&level=icb&area={CORNWALL}&{q}")
    page.get_by_role("heading", name=re.compile("Cornwall")).wait_for(timeout=WAIT)
    section(page, "Hot spots")
    page.locator(".st-key-plus_hot_indicator").wait_for(timeout=WAIT)
    before = map_frame(page)
    select(page, "plus_hot_indicator", f"{ind.group}: {ind.label}" + (f" ({ind.unit})" if ind.unit else ""))
    legend(page, f"Gi* hot and cold spots: {ind.label}")
    wait_metric(page, "Hot spot LSOAs", f"{result.n_hot:,}")
    frame = map_frame(page, after=before)
    settle(page, 1200)
    session.snap("07-cornwall-hotspot-markers", page.locator(IFRAME).last)
    seen = flag_at_centres(frame, spots)
    missing = {c: k for c, k in seen.items() if lsoa_layer.FLAG_CLASS not in k}
    assert not missing, f"hot/cold spots with no marker on top at their centre: {missing}"

    section(page, "Target")
    wait_metric(page, "LSOAs in target", "4")
    frame = map_frame(page, after=frame)
    settle(page, 1200)
    targets = area[plus.evaluate(plus.TargetSpec.from_query_params(CORNWALL_TARGET), area).mask.to_numpy()]
    seen = flag_at_centres(frame, targets)
    missing = {c: k for c, k in seen.items() if lsoa_layer.FLAG_CLASS not in k}
    assert len(seen) == 4 and not missing, f"target LSOAs with no marker on top at their centre: {missing}"
    session.check()


def test_cornwall_map_controls_leave_the_isles_of_scilly_visible(session, atlas2025):
    page = session.page
    scilly = atlas2025[(atlas2025["icb_code"] == CORNWALL)
                       & atlas2025[schema.LSOA_NAME].str.startswith("Isles of Scilly")]
    assert len(scilly) >= 1
    q = "&".join(f"{k}={v}" for k, v in CORNWALL_TARGET.items())
    session.goto(f"/PLUS_layers?vintage=2025&level=icb&area={CORNWALL}&{q}")
    page.get_by_role("heading", name=re.compile("Cornwall")).wait_for(timeout=WAIT)
    section(page, "Target")  # the full-width map, where the fitted view puts the islands bottom-left
    legend(page, "In the target")
    frame = map_frame(page)
    page.locator(IFRAME).last.scroll_into_view_if_needed()
    settle(page)
    points = [[y, x] for g in scilly.geometry.simplify(0.002) for part in getattr(g, "geoms", [g])
              for x, y in part.exterior.coords]
    covered = frame.evaluate("""(pts) => pts.filter(([lat, lng]) => {
        const p = window.map.latLngToContainerPoint([lat, lng]);
        const b = window.map.getContainer().getBoundingClientRect();
        const el = document.elementFromPoint(b.left + p.x, b.top + p.y);
        return !el || !!el.closest('.leaflet-control-container, .leaflet-control'); }).length""", points)
    session.snap("07-cornwall-scilly", page.locator(IFRAME).last)
    assert covered == 0, f"{covered} of {len(points)} Isles of Scilly outline points under a control"


def test_plus_upload_points_and_share_target(session, browser, atlas2025):
    """Upload a points file (postcodes, one not found), then build a target and reopen it by its link."""
    page = session.page
    hull = atlas2025[atlas2025["lad_code"] == HULL]
    coastal_core20 = f"{int((hull['core20'] & hull['coastal']).sum()):,}"
    session.goto(f"/PLUS_layers?level=lad&area={HULL}")
    page.get_by_text("Kingston upon Hull, City of: PLUS groups").wait_for(timeout=WAIT)
    section(page, "Local data")
    page.locator("input[type=file]").first.set_input_files(str(FIXTURES / "hull_venues.csv"))
    page.get_by_role("button", name="Add layer").click()
    page.get_by_text("Added layer 'hull_venues'").wait_for(timeout=WAIT)
    page.get_by_text("6 point(s) in Kingston upon Hull, City of; 5 LSOAs have at least one.").wait_for(
        timeout=WAIT)
    text = legend(page, "hull_venues: points per LSOA")
    assert "1 (4)" in text and "2-4 (1)" in text
    # the problem rows sit in a data grid that draws only the rows on screen: scroll to them first
    page.get_by_text(re.compile(r"row\(s\) not used")).first.scroll_into_view_if_needed()
    missing = page.get_by_text("postcode not found in OS Code-Point Open").first
    missing.wait_for(state="attached", timeout=WAIT)
    session.snap("08-upload-points", full_page=True)

    section(page, "Target")
    page.get_by_role("button", name="Add condition").click()
    page.get_by_role("heading", name=re.compile("Core20 LSOAs .* AND coastal")).wait_for(timeout=WAIT)
    wait_metric(page, "LSOAs in target", coastal_core20)
    link = page.locator("[data-testid=stCode]", has_text="tx=").first.inner_text().strip()
    assert "tx=coastal" in link and f"area={HULL}" in link
    legend(page, "In the target")
    session.snap("09-target", full_page=True)
    session.check()

    other = Session(browser, session.base_url, "plus")
    try:
        other.page.goto(link)
        other.page.get_by_text("Kingston upon Hull, City of: PLUS groups").wait_for(timeout=WAIT)
        section(other.page, "Target")
        wait_metric(other.page, "LSOAs in target", coastal_core20)
        legend(other.page, "In the target")
        map_frame(other.page)
        other.page.locator(IFRAME).last.scroll_into_view_if_needed()
        settle(other.page)
        assert_legend_clear_of_maps(other.page)
        other.snap("10-target-from-link")
        other.check()
    finally:
        other.close()


# --- 2. Outreach planner (issue 9) ----------------------------------------------------------------

def _site_markers(page, count: int, timeout: float = 120) -> list[dict]:
    """The chosen-site markers once there are ``count``: their boxes in page coordinates."""
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline:
        handles = [h for h in page.query_selector_all(IFRAME) if h.is_visible()]
        frame = handles[-1].content_frame() if handles else None
        if frame is not None:
            try:
                seen = frame.evaluate("() => document.querySelectorAll('.op-site').length")
            except Exception:  # noqa: BLE001
                seen = -1
            if seen == count:
                break
        time.sleep(0.3)
    else:
        raise AssertionError(f"expected {count} chosen-site markers on the map, saw {seen}")
    offset = handles[-1].bounding_box()
    boxes = frame.evaluate("""() => [...document.querySelectorAll('.op-site')].map(e => {
        const b = e.getBoundingClientRect(), x = b.left + b.width / 2, y = b.top + b.height / 2;
        const top = document.elementFromPoint(x, y);
        const mine = !!top && (e === top || e.contains(top) || top.contains(e));
        const inside = x > 0 && y > 0 && x < window.innerWidth && y < window.innerHeight;
        return {x, y, w: b.width, h: b.height, mine, inside};
    })""")
    return [{**b, "px": offset["x"] + b["x"], "py": offset["y"] + b["y"]} for b in boxes]


def test_outreach_plan_chosen_saved_and_reopened(session, browser, pages_app, atlas2025):
    page, store = session.page, pages_app[1]
    k = 3
    name = " ".join(HOSTILE)
    session.goto(f"/Outreach_planner?vintage=2025&level=icb&area={CORNWALL}")
    page.get_by_role("button", name="Choose sites").wait_for(timeout=WAIT)
    for label, value in (("Sites to choose (k)", k), ("Curve up to k", 4)):
        set_number(page, label, value)
    page.get_by_role("button", name="Choose sites").click()
    page.get_by_text(re.compile(rf"Chose {k} sites")).first.wait_for(timeout=180_000)
    sites = _site_markers(page, k)
    assert metric(page, "Sites chosen") == str(k)
    covered = metric(page, "Target residents covered")
    expected = siting.plan("2025", "icb", CORNWALL, "core20", ("gp", "pharmacy"), 3.0, k, "mclp",
                           atlas_frame=atlas2025)
    assert covered == f"{expected.siting.covered_population:,.0f}"
    assert all(s["inside"] for s in sites), f"a chosen site is outside the map's view: {sites}"
    assert all(s["mine"] for s in sites), f"something covers a chosen site: {sites}"
    assert_legend_clear_of_maps(page)
    page.locator(IFRAME).last.scroll_into_view_if_needed()
    session.snap("01-cornwall-chosen")
    session.snap("02-cornwall-chosen-map", page.locator(IFRAME).last)

    # save with a hostile name: shown literally, never run
    name_box = page.get_by_label("Plan name")
    name_box.scroll_into_view_if_needed()
    name_box.fill(name)
    page.get_by_role("button", name="Save plan").click()
    page.get_by_text("Link to this plan").wait_for(timeout=WAIT)
    saved_msg = page.locator("[data-testid='stAlert']", has_text="Saved plan").first
    assert name in saved_msg.inner_text()
    link = page.locator("[data-testid='stCode']", has_text="plan=").first.inner_text().strip()
    pid = re.search(r"plan=([a-z0-9]+)", link).group(1)
    assert plans.PlanStore(store).get(pid).name == name
    session.snap("03-saved-hostile-name", full_page=True)
    # the area profile holds the latest saved plan: its name must read as text there too
    session.goto(f"/?vintage=2025&level=icb&area={CORNWALL}")
    menu = page.get_by_role("button", name="Print and present files")  # the files' buttons are behind it
    menu.wait_for(timeout=WAIT)
    menu.scroll_into_view_if_needed()
    menu.click()
    button = page.get_by_role("button", name=re.compile(r"Area profile \(HTML\)"))
    button.wait_for(timeout=WAIT)
    profile = _download(page, button, session.folder)
    text = _open_document_offline(session, profile)
    assert name in text, "the hostile plan name is not shown literally in the area profile"
    session.check()

    # a colleague opens the link in a fresh browser session
    other = Session(browser, session.base_url, "outreach")
    try:
        other.page.goto(link if link.startswith("http") else f"{session.base_url}/Outreach_planner{link}")
        other.page.locator("[data-testid='stAlert']", has_text="Saved plan").first.wait_for(timeout=WAIT)
        assert name in other.page.locator("[data-testid='stAlert']", has_text="Saved plan").first.inner_text()
        assert len(_site_markers(other.page, k)) == k
        assert metric(other.page, "Target residents covered") == covered
        settle(other.page, 1500)
        q = query(other.page)
        assert q.get("plan") == pid, f"?plan= left the address bar after the plan opened: {other.page.url}"
        assert q.get("area") == CORNWALL
        other.snap("04-reopened-by-link", full_page=True)
        other.check()
    finally:
        other.close()


# --- 3. Accelerator sites (issue 11) --------------------------------------------------------------

def test_accelerator_presets_open_their_icb_focus_and_layer(session, atlas2025):
    page = session.page
    for i, acc in enumerate(clinical.ACCELERATORS.values(), start=1):
        session.goto("/Accelerator_sites")
        link = page.get_by_role("link", name=f"Open {acc.ics}")
        link.wait_for(timeout=WAIT)
        link.scroll_into_view_if_needed()
        link.click()
        icb_name = areas.area_name(atlas2025, "icb", acc.icb_code)
        page.get_by_role("heading", name=f"{icb_name}: PLUS groups beside Core20").wait_for(timeout=WAIT)
        layer = plus.get(acc.plus_layer)
        legend(page, layer.label)
        map_frame(page)
        settle(page)
        q = query(page)
        assert (q.get("area"), q.get("focus"), q.get("layer")) == (acc.icb_code, acc.focus, acc.plus_layer), q
        assert clinical.FOCI[acc.focus].label in select_text(page, "gc20_focus")
        assert layer.full_label in select_text(page, "plus_indicator")
        assert acc.icb_code in select_text(page, "gc20_area")
        page.locator("[data-testid='stAlert']", has_text=acc.ics).first.wait_for(timeout=WAIT)  # its banner
        assert_legend_clear_of_maps(page)
        session.snap(f"{i:02d}-{acc.id}")
    session.check()


# --- 4. Presentation mode (issue 12) and the explorer's downloads ---------------------------------

def test_presentation_mode_from_a_share_link(session, atlas2025):
    page = session.page
    name = areas.area_name(atlas2025, "icb", CHESHIRE)
    session.goto(f"/?vintage=2025&level=icb&area={CHESHIRE}&present=1")
    heading = page.get_by_role("heading", name=name).first
    heading.wait_for(timeout=WAIT)
    frame = map_frame(page)
    frame.wait_for_function("() => window.geoCore20National && window.geoCore20National.drawn", timeout=WAIT)
    legend(page, "1 (most deprived 10%)")
    settle(page, 1000)
    assert not page.locator("section[data-testid='stSidebar']").is_visible(), "the sidebar shows"
    size = float(heading.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert size >= 40, f"title {size}px"
    assert page.locator(IFRAME).first.is_visible()
    for label in ("IMD vintage", "Shade LSOAs by"):
        assert not page.get_by_text(label, exact=True).first.is_visible()
    assert_legend_clear_of_maps(page)
    assert query(page).get("present") == "1"
    session.snap("01-present-cheshire")
    page.locator(IFRAME).first.scroll_into_view_if_needed()
    session.snap("02-present-cheshire-map")
    session.check()


def test_presentation_mode_exit_button_brings_the_controls_back(session):
    page = session.page
    session.goto(f"/?vintage=2025&level=icb&area={CHESHIRE}&present=1")
    page.get_by_role("heading", name=re.compile("Cheshire and Merseyside")).first.wait_for(timeout=WAIT)
    map_frame(page)
    settle(page)
    exit_button = page.get_by_role("button", name="Exit presentation")
    assert exit_button.count() == 1, "no Exit presentation button in the page"
    assert exit_button.is_visible(), "the Exit presentation button is hidden"
    exit_button.click()
    page.locator("section[data-testid='stSidebar']").wait_for(state="visible", timeout=WAIT)
    page.locator(".st-key-gc20_present").wait_for(state="visible", timeout=WAIT)
    settle(page)
    assert "present" not in query(page)
    session.snap("03-presentation-left")
    session.check()


def _open_html_offline(session, path: Path) -> dict:
    """Open a downloaded HTML file in a new page of the same browser with every network request refused."""
    page = session.context.new_page()
    asked: list[str] = []

    def refuse(route) -> None:
        asked.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^https?://"), refuse)
    page.goto(path.as_uri())
    page.wait_for_function("() => !!document.querySelector('.leaflet-container')", timeout=30_000)
    page.wait_for_timeout(1500)
    drawn = page.evaluate("""() => ({
        paths: document.querySelectorAll('.leaflet-overlay-pane path').length,
        canvases: [...document.querySelectorAll('.leaflet-overlay-pane canvas')].filter(c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < d.length; i += 4 * 97) if (d[i] > 0) return true;
            return false; }).length,
        text: document.body.innerText})""")
    page.close()
    assert asked == [], f"the HTML map asked the network: {asked[:5]}"
    assert drawn["paths"] + drawn["canvases"] > 0, "the HTML map drew nothing"
    return drawn


def _download(page, button, folder: Path) -> Path:
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    d = info.value
    out = folder / d.suggested_filename
    d.save_as(str(out))
    return out


def _open_document_offline(session, path: Path) -> str:
    """Open a downloaded HTML document (no map) with the network refused; its visible text."""
    page = session.context.new_page()
    asked: list[str] = []
    page.route(re.compile(r"^https?://"), lambda route: (asked.append(route.request.url), route.abort()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(800)
    text = page.inner_text("body")
    images = page.evaluate("() => [...document.images].filter(i => i.complete && i.naturalWidth > 0).length")
    page.close()
    assert asked == [], f"the document asked the network: {asked[:5]}"
    assert images >= 1, "the document shows no picture"
    return text


def check_download(session, label: str, path: Path, area_name: str) -> None:
    """Open a downloaded file the way its user would and check it holds the area."""
    data = path.read_bytes()
    assert data, f"{label}: empty file"
    ext = path.suffix.lower()
    if ext == ".csv":
        table = pd.read_csv(path, comment="#")  # the documented recipe
        assert len(table) > 0
    elif ext == ".xlsx":  # the CSV's Excel twin: the table on sheet 1, notes and attribution on sheet 2
        table, notes = tables.read_xlsx(data)
        assert len(table) > 0 and any("Crown copyright" in line for line in notes)
    elif ext in (".geojson", ".json"):
        assert json.loads(data)
    elif ext == ".html" and "Interactive map" in label:
        _open_html_offline(session, path)
    elif ext == ".html":
        assert area_name in _open_document_offline(session, path)
    elif ext == ".png":
        img = Image.open(path)
        pixels = np.asarray(img.convert("RGB").resize((200, 200))).reshape(-1, 3)
        assert img.size[0] > 300 and len(np.unique(pixels, axis=0)) > 10  # not blank
        if "Map" in label:
            assert round(img.info.get("dpi", (0, 0))[0]) == 300
    elif ext == ".svg":
        assert b"<svg" in data[:5000]
        if "Map" in label:
            assert area_name.encode() in data or "&amp;".join(area_name.split("&")).encode() in data
    elif ext == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) >= 1
        assert area_name.split(",")[0] in " ".join(p.extract_text() or "" for p in reader.pages)
    elif ext == ".pptx":
        from pptx import Presentation

        deck = Presentation(io.BytesIO(data))
        text = " ".join(sh.text_frame.text for sl in deck.slides for sh in sl.shapes if sh.has_text_frame)
        assert len(deck.slides) >= 2 and area_name.split(",")[0] in text
    else:
        raise AssertionError(f"{label}: unexpected file type {path.name}")


def test_explorer_downloads_open(session, atlas2025):
    page = session.page
    hull = areas.select(atlas2025, "lad", HULL)
    name = areas.area_name(atlas2025, "lad", HULL)
    session.goto(f"/?vintage=2025&level=lad&area={HULL}")
    frame = map_frame(page)
    frame.wait_for_function(f"() => window.geoCore20National && window.geoCore20National.drawnCount() === "
                            f"{len(hull)}", timeout=WAIT)
    settle(page)
    checked, labels = {}, []
    for menu in EXPLORER_DOWNLOAD_MENUS:  # each opened as a person opens it, its buttons pressed in turn
        for label, button in _menu_buttons(page, menu):
            labels.append(label)
            _download_checked(session, page, label, button, name, hull, checked)
        page.keyboard.press("Escape")
        page.locator("[data-testid='stPopoverBody']").wait_for(state="detached", timeout=WAIT)
    assert {"LSOAs in view (CSV)", "LSOAs in view (Excel)", "LSOAs in view (GeoJSON)",
            "Interactive map (HTML)", "Map (PNG)", "Slide deck (PPTX)",
            "Area profile (PDF)"} <= set(labels), labels
    session.snap("01-explorer-downloads", full_page=True)
    print("downloads checked:", checked)
    session.check()


EXPLORER_DOWNLOAD_MENUS = ("Download the LSOAs in view", "Print and present files")


def _menu_buttons(page, menu: str) -> list[tuple[str, object]]:
    """The download buttons in the explorer's popover labelled ``menu``, opened by a click."""
    opener = page.get_by_role("button", name=menu)
    opener.scroll_into_view_if_needed()
    opener.click()
    body = page.locator("[data-testid='stPopoverBody']")
    body.locator("[data-testid='stDownloadButton'] button").first.wait_for(timeout=WAIT)
    buttons = body.locator("[data-testid='stDownloadButton'] button")
    # the visible ones (each has a hidden twin); the text is the icon's ligature name, then the label
    shown = [buttons.nth(i) for i in range(buttons.count()) if buttons.nth(i).is_visible()]
    return [(b.inner_text().strip().splitlines()[-1].strip(), b) for b in shown]


def _download_checked(session, page, label: str, button, name: str, hull, checked: dict) -> None:
    """Download one button's file and check it holds the view (the LSOAs of ``hull``)."""
    path = _download(page, button, session.folder)
    check_download(session, label, path, name)
    if path.suffix == ".csv":
        table = pd.read_csv(path, comment="#", dtype={schema.LSOA_CODE: str})
        assert len(table) == len(hull) == 168
        assert set(table[schema.LSOA_CODE]) == set(hull[schema.LSOA_CODE])
    if path.suffix == ".xlsx":
        table, _ = tables.read_xlsx(path.read_bytes())
        assert set(table[schema.LSOA_CODE]) == set(hull[schema.LSOA_CODE])
    if path.suffix == ".geojson":
        assert len(json.loads(path.read_bytes())["features"]) == len(hull)
    checked[label] = path.name


# --- 5. No script injection (issue 13) ------------------------------------------------------------

def test_hostile_names_never_run(session, atlas2025, tmp_path):
    page = session.page
    hull = atlas2025[atlas2025["lad_code"] == HULL].sort_values(schema.LSOA_CODE)
    rows = []
    for name, (_, lsoa) in zip(HOSTILE, hull.iloc[[10, 60, 120]].iterrows(), strict=True):
        lat, lon = pole(lsoa.geometry)
        rows.append({"name": name, "lon": round(lon, 6), "lat": round(lat, 6)})
    csv_path = tmp_path / "hostile_sites.csv"
    pd.DataFrame(rows).to_csv(csv_path, index=False)

    session.goto(f"/PLUS_layers?vintage=2025&level=lad&area={HULL}")
    page.get_by_role("heading", name=re.compile("Kingston upon Hull")).wait_for(timeout=WAIT)
    section(page, "Local data")
    page.locator("input[type=file]").first.set_input_files(str(csv_path))
    page.get_by_role("button", name="Add layer").click()
    page.get_by_text("Added layer 'hostile_sites'").wait_for(timeout=WAIT)
    page.get_by_text(re.compile(r"3 point\(s\) in Kingston upon Hull")).wait_for(timeout=WAIT)
    legend(page, "hostile_sites: points per LSOA")
    frame = map_frame(page)
    settle(page, 1000)
    iframe = page.locator(IFRAME).last
    iframe.scroll_into_view_if_needed()
    box = iframe.bounding_box()
    tips = []
    for row in rows:
        pt = frame.evaluate(f"() => window.map.latLngToContainerPoint([{row['lat']}, {row['lon']}])")
        x, y = box["x"] + pt["x"], box["y"] + pt["y"]
        page.mouse.move(x - 3, y)
        page.mouse.move(x, y, steps=2)
        tip = frame.locator(".leaflet-tooltip", has_text="row ").last
        tip.wait_for(state="visible", timeout=10_000)
        tips.append(tip.inner_text())
        session.snap(f"01-tooltip-{len(tips)}", iframe)
        page.mouse.click(x, y)
        page.wait_for_timeout(500)
    for name in HOSTILE:
        assert any(name in t for t in tips), (name, tips)
    # the load report (a table) holds the names as text too: nothing became markup
    assert frame.locator("img[src='x'], svg[onload]").count() == 0
    assert page.locator("img[src='x'], svg[onload]").count() == 0
    session.snap("02-upload-page", full_page=True)
    session.check()
