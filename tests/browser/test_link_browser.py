"""The shown "Link to this view", copied from one browser and opened in another, shows the same view
(clinical focus, Core20 outline off, presentation mode): the link has one owner, ui.link."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest

from geo_core20 import areas, clinical, schema

pytestmark = pytest.mark.browser

CHESHIRE = "E54000008"
VIEWPORT = {"width": 1400, "height": 1000}
WAIT = 90_000  # ms
LEGEND_CORE20 = f"Core20 LSOA ({schema.CORE20_RULE}), outlined"  # the legend row, as the map writes it


def wait_for(page, test, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if test():
            return
        page.wait_for_timeout(250)  # not time.sleep: the sync API sees URL changes only while it runs
    page.screenshot(path=str(_artifact("timed-out.png")), full_page=True)
    raise AssertionError(f"timed out waiting for {what}; the page is at {page.url}")


def query(page) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(page.url).query))


def legend_text(page) -> str:
    boxes = page.locator(".gc20-legend")
    return " | ".join(" ".join(boxes.nth(i).inner_text().split()) for i in range(boxes.count())
                      if boxes.nth(i).is_visible())


def shown_link(page) -> str:
    """The link in the sidebar's "Link to this view" popover, as a person reads it: its button clicked
    (the box is drawn only then), the code box's text read, the popover closed again."""
    button = page.locator("section[data-testid='stSidebar'] [data-testid='stPopoverButton']",
                          has_text="Link to this view")
    box = page.locator("[data-testid='stPopoverBody'] [data-testid='stCode']")
    button.click()  # a person can only press what is on screen (presentation mode hides the sidebar)
    box.wait_for(state="attached", timeout=WAIT)
    text = box.last.text_content().strip()
    page.keyboard.press("Escape")  # closed as a person closes it
    box.wait_for(state="detached", timeout=WAIT)
    return text


def test_the_shown_link_opens_the_same_view_in_a_new_browser(served_app, browser, atlas2025):
    name = areas.area_name(atlas2025, "icb", CHESHIRE)
    focus = clinical.FOCI["cancer"]
    first = browser.new_context(viewport=VIEWPORT)
    second = browser.new_context(viewport=VIEWPORT)
    try:
        page = first.new_page()
        page.goto(f"{served_app}/?vintage=2025&level=icb&area={CHESHIRE}")
        page.get_by_role("heading", name=name).first.wait_for(timeout=WAIT)
        wait_for(page, lambda: LEGEND_CORE20 in legend_text(page), "the map's legend")

        box = page.locator(".st-key-gc20_focus")
        box.locator("input, [role='combobox']").first.click()
        page.get_by_role("option", name=focus.label, exact=True).first.click()
        wait_for(page, lambda: query(page).get("focus") == "cancer", "focus=cancer in the address bar")
        page.locator(".st-key-gc20_core20 label").first.click()
        wait_for(page, lambda: query(page).get("core20") == "0", "core20=0 in the address bar")
        wait_for(page, lambda: legend_text(page) and LEGEND_CORE20 not in legend_text(page),
                 "the legend without the Core20 outline")
        # the shown link (the sidebar's "Link to this view") holds the focus and the outline switched off
        wait_for(page, lambda: "focus=cancer" in shown_link(page), "the shown link with focus=cancer")
        shown = dict(parse_qsl(urlsplit(shown_link(page)).query))
        assert (shown["focus"], shown["core20"], shown["area"]) == ("cancer", "0", CHESHIRE)
        page.locator(".st-key-gc20_present label").first.click()
        wait_for(page, lambda: query(page).get("present") == "1", "present=1 in the address bar")
        # presenting, the sidebar and its link box are hidden: a presenter copies the address bar
        page.locator("section[data-testid='stSidebar']").wait_for(state="hidden", timeout=WAIT)
        link = page.url
        copied = dict(parse_qsl(urlsplit(link).query))
        # (the address bar leaves out parameters at their defaults; the shown link writes every one)
        assert copied == {**{k: shown[k] for k in copied if k != "present"}, "present": "1"}, (copied, shown)
        assert (copied["focus"], copied["core20"], copied["area"]) == ("cancer", "0", CHESHIRE)
        before = legend_text(page)

        other = second.new_page()
        other.goto(urljoin(f"{served_app}/", link))
        other.get_by_role("heading", name=name).first.wait_for(timeout=WAIT)
        wait_for(other, lambda: bool(legend_text(other)), "the reopened map's legend")
        assert legend_text(other) == before and LEGEND_CORE20 not in legend_text(other)
        other.get_by_role("button", name="Exit presentation").wait_for(state="visible", timeout=WAIT)
        assert not other.locator("section[data-testid='stSidebar']").is_visible(), "presentation mode is off"
        assert focus.label in other.locator(".st-key-gc20_focus").evaluate(  # its value is in an input
            "e => e.textContent + ' ' + [...e.querySelectorAll('input')].map(i => i.value).join(' ')")
        assert not other.locator(".st-key-gc20_core20 input").is_checked()
        assert {k: query(other).get(k) for k in ("focus", "core20", "present")} == {
            "focus": "cancer", "core20": "0", "present": "1"}
        other.screenshot(path=str(_artifact("link-reopened.png")))
        # leaving presentation brings the sidebar back, and its link is the view's, focus included
        other.get_by_role("button", name="Exit presentation").click()
        other.locator("section[data-testid='stSidebar']").wait_for(state="visible", timeout=WAIT)
        wait_for(other, lambda: dict(parse_qsl(urlsplit(shown_link(other)).query)) == shown,
                 "the same link shown again, without presentation")
        assert legend_text(other) == before
    finally:
        first.close()
        second.close()


def _artifact(name: str) -> Path:
    out = Path(__file__).resolve().parents[2] / "test-artifacts" / "link" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    return out
