"""Interactions in a real browser, from click to map drawn (issue 22, item 5).

One app server (``streamlit run app.py`` on a free 127.0.0.1 port) and headless Debian Chromium.
Each interaction is timed against the same page's first load in the same run: a fresh browser
context opens the page by its link (``first load``: navigation to map drawn), then a person's
click (``click``: the click to the new map drawn). Interactions:

- explorer shading change (ICB, IMD decile -> Income domain decile);
- explorer focus change (the Clinical focus tab, Early cancer diagnosis -> Hypertension);
- PLUS layer change (Layer: coastal Core20 -> Disabled under the Equality Act);
- PLUS hot spots (the Hot spots section: the Gi* map);
- accelerator card (Accelerator sites -> "Open <ICS>": its PLUS page; first load = that PLUS
  link opened directly);
- planner run (Outreach planner, Cornwall: "Choose sites" to the plan's map).

And the England view's own cost on top of a bare Streamlit page (``benchmarks/bare_page.py``
served by a second server): a fresh context opens each, to drawn (the bare page: its title;
England: the national renderer painted).

"Drawn": a map iframe painted after the action began: the national renderer's or the LSOA
layer's hook (``window.geoCore20National`` / ``window.gc20Layer``: ``paintedAt`` at or after the
click) or a Leaflet map loaded in an iframe that was not there before the click. Every wait is
bounded; a step that never draws is reported as an error and the script exits non-zero.

    python benchmarks/interaction_speed.py [--repeats 3] [--only plus_layer,explorer_shade]

Results go to benchmarks/results/interaction_speed.json (gitignored). Timings are seconds of wall
clock; on a busy machine they scale with the load average printed at the top, so compare ratios
(click / first load) between runs, and before/after only from runs on a similar load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from _common import ROOT, launch_chromium, machine, serve_app

ICB = "E54000008"  # NHS Cheshire and Merseyside ICB, 1,601 LSOAs (IoD2025)
CORNWALL = "E54000036"
IFRAME = "iframe[title='streamlit_folium.st_folium']"
VIEWPORT = {"width": 1400, "height": 1000}
STEP_TIMEOUT_MS = 180_000
BARE = ROOT / "benchmarks" / "bare_page.py"

DRAWN_JS = """(since) => {
  for (const f of document.querySelectorAll("iframe[title='streamlit_folium.st_folium']")) {
    const w = f.contentWindow;
    if (!w) continue;
    const api = w.geoCore20National, lyr = w.gc20Layer;
    if (api && api.paintedAt && api.paintedAt >= since && api.drawnCount() > 0) return 1;
    if (lyr && lyr.paintedAt && lyr.paintedAt >= since) return 2;
    if (!api && !lyr && !f.dataset.gc20old && w.map && w.map._loaded) return 3;
  }
  return false;
}"""
MARK_JS = """() => document.querySelectorAll("iframe[title='streamlit_folium.st_folium']")
  .forEach(f => { f.dataset.gc20old = '1'; })"""


def now_ms() -> float:
    return time.time() * 1000


def timed(page, do: Callable[[], object]) -> float:
    """Run ``do()`` and wait until a map is drawn after it began: seconds."""
    page.evaluate(MARK_JS)
    t0 = now_ms()
    do()
    page.wait_for_function(DRAWN_JS, arg=t0, timeout=STEP_TIMEOUT_MS, polling=50)
    return (now_ms() - t0) / 1000


def select(page, key: str, option: str) -> None:
    """Open the select with widget key ``key`` by clicking it and click ``option`` (as a person does)."""
    box = page.locator(f".st-key-{key}")
    box.scroll_into_view_if_needed()
    box.locator("input, [role='combobox']").first.click()
    page.get_by_role("option", name=option, exact=True).first.click()


def idle(page) -> None:
    """Let the page finish its rerun (no running indicator) before the next click."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                           timeout=STEP_TIMEOUT_MS)
    page.wait_for_timeout(700)


def _cases() -> dict:
    from geo_core20 import clinical, plus

    disability = plus.get("disability")
    acc = next(iter(clinical.ACCELERATORS.values()))
    acc_link = (f"/PLUS_layers?vintage=2025&level=icb&area={acc.icb_code}&focus={acc.focus}"
                f"&layer={acc.plus_layer}")

    def section(name: str):
        return lambda page: page.locator("[data-testid='stButtonGroup'] button", has_text=name).first.click()

    def card(page) -> None:
        page.get_by_role("link", name=f"Open {acc.ics}").click()

    def choose_sites(page) -> None:
        page.get_by_role("button", name="Choose sites").click()

    # name: (label, link opened first (the first load), how the first load is known to be done,
    #        the click)
    return {
        "explorer_shade": ("explorer shading change", f"/?vintage=2025&level=icb&area={ICB}", "map",
                           lambda page: select(page, "gc20_shade", "Income domain decile")),
        "explorer_focus": ("explorer focus change",
                           f"/?vintage=2025&level=icb&area={ICB}&tab=focus&focus=cancer", "map",
                           lambda page: select(page, "gc20_focus", clinical.FOCI["hypertension"].label)),
        "plus_layer": ("PLUS layer change", f"/PLUS_layers?vintage=2025&level=icb&area={ICB}", "map",
                       lambda page: select(page, "plus_indicator",
                                           f"{disability.group}: {disability.full_label}")),
        "plus_hotspots": ("PLUS hot spots", f"/PLUS_layers?vintage=2025&level=icb&area={ICB}", "map",
                          section("Hot spots")),
        "accelerator": ("accelerator card", acc_link, "map", card),
        "planner_run": ("planner run", f"/Outreach_planner?vintage=2025&level=icb&area={CORNWALL}", "map",
                        choose_sites),
    }


def interaction(browser, base: str, name: str, case: tuple) -> dict:
    """One repeat of one interaction in a fresh context: first load and click, seconds."""
    label, link, _, click = case
    ctx = browser.new_context(viewport=VIEWPORT)
    try:
        page = ctx.new_page()
        if name == "accelerator":
            first = timed(page, lambda: page.goto(base + link, timeout=STEP_TIMEOUT_MS))
            idle(page)
            page.goto(base + "/Accelerator_sites", timeout=STEP_TIMEOUT_MS)
            page.get_by_role("link", name="Open ").first.wait_for(timeout=STEP_TIMEOUT_MS)
            idle(page)
        else:
            first = timed(page, lambda: page.goto(base + link, timeout=STEP_TIMEOUT_MS))
            idle(page)
        took = timed(page, lambda: click(page))
        return {"first_load_s": first, "click_s": took}
    finally:
        ctx.close()


def first_visit(browser, url: str, done: Callable) -> float:
    """A fresh context opens ``url``: seconds to ``done(page, t0)``."""
    ctx = browser.new_context(viewport=VIEWPORT)
    try:
        page = ctx.new_page()
        t0 = now_ms()
        page.goto(url, timeout=STEP_TIMEOUT_MS)
        done(page, t0)
        return (now_ms() - t0) / 1000
    finally:
        ctx.close()


def england_cost(browser, base: str, bare_base: str, repeats: int) -> dict:
    """England view vs a bare Streamlit page, each opened in a fresh context (warm servers)."""
    def bare_done(page, t0):
        page.get_by_role("heading", name="Bare page").wait_for(timeout=STEP_TIMEOUT_MS)

    def map_done(page, t0):
        page.wait_for_function(DRAWN_JS, arg=t0, timeout=STEP_TIMEOUT_MS, polling=50)

    england = f"{base}/?vintage=2025&level=england"
    first_visit(browser, bare_base + "/", bare_done)  # warm both servers and the browser cache path
    first_visit(browser, england, map_done)
    bare, eng = [], []
    for _ in range(repeats):
        bare.append(first_visit(browser, bare_base + "/", bare_done))
        eng.append(first_visit(browser, england, map_done))
    return {"bare_s": bare, "england_s": eng}


def run(args) -> dict:
    from playwright.sync_api import sync_playwright

    cases = _cases()
    asked = [c for c in args.only.split(",") if c] if args.only else [*cases, "england"]
    only = [c for c in asked if c in cases]
    res: dict = {"machine": machine(), "repeats": args.repeats, "interactions": {}, "errors": []}
    t_start = time.monotonic()
    with serve_app(extra_args=args.server_args) as base, sync_playwright() as pw:
        browser = launch_chromium(pw)
        for name in only:
            runs = []
            for i in range(args.repeats + 1):  # the first repeat warms the server's caches: not counted
                try:
                    r = interaction(browser, base, name, cases[name])
                except Exception as exc:  # noqa: BLE001 - reported with the other figures
                    res["errors"].append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
                    break
                if i:
                    runs.append(r)
            res["interactions"][name] = {"label": cases[name][0], "runs": runs}
        if "england" in asked:
            with serve_app(str(BARE)) as bare_base:
                try:
                    res["england"] = england_cost(browser, base, bare_base, args.repeats)
                except Exception as exc:  # noqa: BLE001
                    res["errors"].append(f"england: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        browser.close()
    res["total_s"] = time.monotonic() - t_start
    return res


def report(res: dict) -> bool:
    m = res["machine"]
    print(f"Interaction speed: {m['nproc']} CPUs, load {m['load_avg_at_start'][0]:.1f} at start; median of "
          f"{res['repeats']} warm repeats (fresh browser context each)\n")
    print(f"| {'interaction':28s} | first load (s) | click to drawn (s) | click / first load |")
    print(f"|{'-' * 30}|----------------|--------------------|--------------------|")
    for v in res["interactions"].values():
        if not v["runs"]:
            continue
        first = statistics.median(r["first_load_s"] for r in v["runs"])
        click = statistics.median(r["click_s"] for r in v["runs"])
        print(f"| {v['label']:28s} | {first:14.2f} | {click:18.2f} | {click / first:18.2f} |")
    if "england" in res:
        bare = statistics.median(res["england"]["bare_s"])
        eng = statistics.median(res["england"]["england_s"])
        print(f"\nEngland view: {eng:.2f} s to drawn vs a bare Streamlit page {bare:.2f} s: "
              f"+{eng - bare:.2f} s on top (pass bar 0.5 s)")
    for e in res["errors"]:
        print(f"error: {e}")
    print(f"total {res['total_s']:.0f} s")
    return not res["errors"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="warm repeats per interaction (default 3)")
    parser.add_argument("--only", default="", help="comma-separated interactions (and/or 'england')")
    parser.add_argument("--server-args", nargs="*", default=[], help="more `streamlit run` options")
    parser.add_argument("--out", default="interaction_speed.json", help="file under benchmarks/results/")
    args = parser.parse_args(argv)
    res = run(args)
    out = ROOT / "benchmarks" / "results" / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1, default=str))
    return 0 if report(res) else 1


if __name__ == "__main__":
    raise SystemExit(main())
