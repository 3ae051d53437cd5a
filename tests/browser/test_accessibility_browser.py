"""WCAG 2 A/AA checks of every page in a real browser with Deque's axe-core (issue 17).

axe-core is installed from the npm registry with the map assets (``geo_core20.maps.assets``,
``python -m geo_core20 assets``) and injected into the page and every frame it has (the maps
are iframes of the same server), then run with the WCAG 2.0/2.1 A and AA rule tags. A page
passes when axe finds no violation of impact *critical* or *serious*; the failure message
lists each one with the elements it found.
"""

from __future__ import annotations

import json
import re

import pytest
from test_pages_browser import IFRAME, map_frame, settle

from geo_core20.maps import assets

pytestmark = pytest.mark.browser

ICB = "E54000008"  # NHS Cheshire and Merseyside ICB
HULL = "E06000010"  # Kingston upon Hull: 168 LSOAs, a small PLUS map
WAIT = 120_000  # ms: a cold cache on a shared 2-core machine
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("critical", "serious")

# (test id, path, heading to wait for, section button to click first or "", whether a map is drawn)
PAGES = [
    ("explorer", "/", "England", "", False),
    ("explorer-icb-map", f"/?vintage=2025&level=icb&area={ICB}", "Cheshire and Merseyside", "", True),
    ("plus-layers-map", f"/PLUS_layers?vintage=2025&level=lad&area={HULL}", "Kingston upon Hull", "", True),
    ("outreach-planner", f"/Outreach_planner?vintage=2025&level=lad&area={HULL}", "Kingston upon Hull", "",
     False),
    ("outreach-access-map", f"/Outreach_planner?vintage=2025&level=lad&area={HULL}", "Kingston upon Hull",
     "Access to existing sites", True),
    ("accelerator-sites", "/Accelerator_sites", "Core20PLUS5 accelerator sites", "", False),
    ("about-the-data", "/About_the_data", "Core20: what it is", "", False),
]


def inject_axe(page) -> int:
    """Load axe-core into the page and each of its frames; the number of frames that have it."""
    script = assets.STATIC_DIR / assets.LOCAL_FILES["axe"]
    ready = 0
    for frame in page.frames:
        try:
            if not frame.evaluate("() => !!window.axe"):
                frame.add_script_tag(path=str(script))
            ready += bool(frame.evaluate("() => !!window.axe"))
        except Exception:  # noqa: BLE001 - a frame detached (a map replaced) while we injected
            pass
    return ready


def run_axe(page) -> list[dict]:
    """axe-core's WCAG 2 A/AA violations of the page, its frames included.

    axe checks only what is on screen, and Streamlit scrolls the page inside a fixed-height
    container: the window is first made as tall as the page, so every element is checked.
    """
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": page.viewport_size["width"], "height": min(int(height) + 50, 16_000)})
    page.wait_for_timeout(1000)
    inject_axe(page)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, iframes: true,"
        " resultTypes: ['violations']})", TAGS)
    return result["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} elements)")
        for node in v["nodes"][:8]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {json.dumps(node['target'])} {node['html'][:160]!r} {summary[:240]}")
    return "\n".join(lines)


@pytest.mark.parametrize(("path", "heading", "section", "has_map"), [p[1:] for p in PAGES],
                         ids=[p[0] for p in PAGES])
def test_page_has_no_serious_wcag_violation(app_page, path, heading, section, has_map):
    page = app_page.page
    page.goto(app_page.base_url + path)
    page.get_by_role("heading", name=re.compile(re.escape(heading))).first.wait_for(timeout=WAIT)
    if section:
        settle(page, 1000)
        page.locator("[data-testid='stButtonGroup'] button", has_text=section).first.click()
    if has_map:
        map_frame(page)
    settle(page, 1000)
    if has_map:  # axe runs inside the map's iframe too
        assert inject_axe(page) >= 2
    violations = run_axe(page)
    app_page.snap("axe")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    print(f"\naxe on {path}: {len(violations)} violations, {len(blocking)} critical/serious")
    if violations:
        print(describe(violations))
    assert not blocking, f"axe-core WCAG 2 A/AA violations on {path}:\n{describe(blocking)}"


def test_axe_finds_low_contrast_in_the_page_and_in_a_map_frame(app_page):
    """The check can fail: without the app's CSS, axe reports Streamlit's caption grey in the page;
    grey-on-white text added to the map's iframe is reported too."""
    page = app_page.page
    page.goto(f"{app_page.base_url}/PLUS_layers?vintage=2025&level=lad&area={HULL}")
    map_frame(page)
    settle(page, 1000)
    removed = page.evaluate("() => [...document.querySelectorAll('style')].filter("
                            "s => s.textContent.includes('gc20-contrast')).map(s => s.remove()).length")
    assert removed >= 1
    faint = ("id => { const p = document.createElement('p'); p.id = id; p.textContent = 'faint text';"
             " p.style.cssText = 'color:#aaaaaa;background:#ffffff'; document.body.appendChild(p); }")
    handle = [h for h in page.query_selector_all(IFRAME) if h.is_visible()][-1]
    handle.content_frame().evaluate(faint, "gc20-faint-map")
    contrast = [v for v in run_axe(page) if v["id"] == "color-contrast"]
    assert contrast and contrast[0]["impact"] == "serious"
    nodes = contrast[0]["nodes"]
    assert any("stCaptionContainer" in n["target"][0] for n in nodes), describe(contrast)  # the page
    assert ["iframe", "#gc20-faint-map"] in [n["target"] for n in nodes], describe(contrast)  # the map
