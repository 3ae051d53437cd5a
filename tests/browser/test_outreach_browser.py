"""The outreach planner in a real browser: choose an ICB and k, run, see the k sites and the
coverage figure, save the plan and reopen it by its link (issue 5's browser test).

Runs its own server with a throw-away plan store, so no plan lands in data/plans.sqlite.
Screenshots of each step go to test-artifacts/outreach/.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from geo_core20 import plans, siting

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "outreach"
ICB = "E54000008"  # NHS Cheshire and Merseyside ICB
IFRAME = "iframe[title='streamlit_folium.st_folium']"


@pytest.fixture(scope="module")
def outreach_app(tmp_path_factory, browser):
    from geo_core20.ui.serve import serve_app

    store = tmp_path_factory.mktemp("plans") / "plans.sqlite"
    old = os.environ.get(plans.PATH_ENV)
    os.environ[plans.PATH_ENV] = str(store)  # inherited by the server process
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        with serve_app(log_path=SHOTS / "streamlit.log") as base_url:
            yield base_url, store
    finally:
        if old is None:
            os.environ.pop(plans.PATH_ENV, None)
        else:
            os.environ[plans.PATH_ENV] = old


def _new_page(browser, base_url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    external: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(
        (base_url, "data:", "blob:", "about:")) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, external, errors


def _markers(page, count: int, timeout: float = 90) -> int:
    """Wait for the map iframe to show ``count`` numbered site markers; returns the count."""
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline:
        handle = page.query_selector(IFRAME)
        frame = handle.content_frame() if handle else None
        if frame is not None:
            try:
                seen = frame.evaluate("() => document.querySelectorAll('.op-site').length")
            except Exception:  # noqa: BLE001 - the iframe was replaced while we asked
                seen = -1
            if seen == count:
                return seen
        time.sleep(0.3)
    raise AssertionError(f"expected {count} chosen-site markers on the map, saw {seen}")


def _metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


def test_choose_save_and_reopen_by_link(outreach_app, browser, atlas2025):
    base_url, store = outreach_app
    k = 4
    expected = siting.plan("2025", "icb", ICB, "core20", ("gp", "pharmacy"), 3.0, k, "mclp",
                           atlas_frame=atlas2025)
    covered = f"{expected.siting.covered_population:,.0f}"

    context, page, external, errors = _new_page(browser, base_url)
    page.goto(f"{base_url}/Outreach_planner?vintage=2025&level=icb&area={ICB}")
    page.get_by_role("button", name="Choose sites").wait_for(timeout=120_000)
    k_input = page.get_by_role("spinbutton", name="Sites to choose (k)")
    k_input.fill(str(k))
    k_input.press("Enter")
    curve = page.get_by_role("spinbutton", name="Curve up to k")
    curve.fill("6")
    curve.press("Enter")
    page.get_by_role("button", name="Choose sites").click()
    page.get_by_text(re.compile(rf"Chose {k} sites in")).wait_for(timeout=180_000)
    assert _markers(page, k) == k
    assert _metric(page, "Target residents covered") == covered
    assert _metric(page, "Sites chosen") == str(k)
    page.screenshot(path=str(SHOTS / "01-chosen.png"), full_page=True)

    page.get_by_label("Plan name").fill("Browser test plan")
    page.get_by_role("button", name="Save plan").click()
    page.get_by_text("Link to this plan").wait_for(timeout=60_000)
    link = page.locator("code").filter(has_text="plan=").first.inner_text().strip()
    pid = re.search(r"plan=([a-z0-9]+)", link).group(1)
    assert plans.PlanStore(store).get(pid).name == "Browser test plan"
    page.screenshot(path=str(SHOTS / "02-saved.png"), full_page=True)
    assert external == [] and errors == [], (external[:5], errors[:5])
    context.close()

    # a colleague opens the link in a fresh browser session
    context, page, external, errors = _new_page(browser, base_url)
    page.goto(link if link.startswith("http") else f"{base_url}/Outreach_planner{link}")
    page.get_by_text("Browser test plan").first.wait_for(timeout=120_000)
    assert _markers(page, k) == k
    assert _metric(page, "Target residents covered") == covered
    heading = page.get_by_role("heading", name=re.compile("outreach planner$"))
    assert "Cheshire and Merseyside" in heading.inner_text()  # the link brought the plan's area
    page.screenshot(path=str(SHOTS / "03-reopened.png"), full_page=True)
    assert external == [] and errors == [], (external[:5], errors[:5])
    context.close()
