"""Load test: many people on one server, as at a conference (issue 13, "Many users").

One ``streamlit run app.py`` on a free 127.0.0.1 port, driven by headless Debian Chromium
(one browser, one context per person, so each is a separate Streamlit session):

1. warm-up: one visit to the ICB share link (the server's caches are filled; its time is the
   first-ever visit);
2. lone: ``--lone`` people one after another open the share link in a fresh context
   (time-to-drawn of a lone session; server CPU-seconds per new session);
3. crowd: ``--sessions`` people at once, each: open the ICB share link, wait until the map is
   drawn, change the shading, open the PLUS layers page and change its Layer, open the outreach
   planner. Time-to-drawn p50/p95 against the lone figure, server CPU-seconds per page view,
   server memory (RSS) with 1 session held and with every session held;
4. isolation: the first person uploads tests/fixtures/uploads/points_mixed.csv on PLUS ->
   Local data; every other session must still show no layer.

"Drawn" is the national canvas renderer's hook (``window.geoCore20National``: painted and
``drawnCount() > 0``) in a map iframe painted after the action began. Every wait is bounded;
the script stops by itself and exits non-zero when a page never drew or isolation failed.

    python benchmarks/load_test.py [--sessions 10] [--lone 3]      # or: make load

Results also go to benchmarks/results/load_test.json (gitignored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import time

import psutil
from _common import CHROMIUM, CHROMIUM_ARGS, ROOT, machine, serve_app

ICB = "E54000008"  # NHS Cheshire and Merseyside ICB, 1,601 LSOAs (IoD2025)
LINK = f"/?vintage=2025&level=icb&area={ICB}"
UPLOAD = ROOT / "tests" / "fixtures" / "uploads" / "points_mixed.csv"
UPLOADER = "[data-testid='stFileUploaderDropzoneInput']"
VIEWPORT = {"width": 1400, "height": 1000}
STEP_TIMEOUT_MS = 120_000
SHADE = "Income domain decile"
LAYER = "Census 2021: Disabled under the Equality Act (% of residents) - LSOA level"
ACTIONS_PER_PERSON = 5  # page views (script runs asked for by a person): link, shading, PLUS, layer, outreach

# A map iframe drawn after the action began: the national renderer painted at or after `since`
# (ms since epoch) with LSOAs on screen, or (other renderers) a Leaflet map loaded in an iframe
# that was not there before the action (`mark_maps`) or new layers drawn in a kept one (ui.map_display).
DRAWN_JS = """(since) => {
  for (const f of document.querySelectorAll("iframe[title='streamlit_folium.st_folium']")) {
    const w = f.contentWindow, api = w && w.geoCore20National;
    if (api && api.paintedAt && api.paintedAt >= since && api.drawnCount() > 0) return api.drawnCount();
    if (!api && !f.dataset.gc20old && w && w.map && w.map._loaded) return -1;
    if (!api && w && w.gc20Layer && w.gc20Layer.paintedAt >= since) return -1;  // layers redrawn in place
  }
  return false;
}"""
MARK_JS = """() => document.querySelectorAll("iframe[title='streamlit_folium.st_folium']")
  .forEach(f => { f.dataset.gc20old = '1'; })"""


def server_process(base_url: str) -> psutil.Process:
    """The process listening on the app's port (the Streamlit server)."""
    port = int(base_url.rsplit(":", 1)[1])
    for conn in psutil.net_connections(kind="tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            return psutil.Process(conn.pid)
    raise RuntimeError(f"no process listens on port {port}")


def cpu_seconds(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def rss_mb(proc: psutil.Process) -> float:
    return proc.memory_info().rss / 1e6


def connections(proc: psutil.Process) -> int:
    """Client connections open to the server (one websocket per browser session once loaded)."""
    return sum(1 for c in proc.net_connections(kind="tcp") if c.status == psutil.CONN_ESTABLISHED)


def now_ms() -> float:
    return time.time() * 1000


async def action(page, do) -> tuple[float, int]:
    """Run ``do()`` (a click, a navigation) and wait until a new map is drawn: (seconds, LSOAs)."""
    await page.evaluate(MARK_JS)
    t0 = now_ms()
    await do()
    handle = await page.wait_for_function(DRAWN_JS, arg=t0, timeout=STEP_TIMEOUT_MS, polling=50)
    return time.time() - t0 / 1000, int(await handle.json_value())


async def choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by its label (as a person does)."""
    box = page.locator("[data-testid='stSelectbox']", has_text=label).first
    await box.locator("input, [role='combobox']").first.click()
    await page.get_by_role("option", name=option, exact=True).click()


async def open_page(page, title: str) -> None:
    """Follow the sidebar navigation link (same session) and wait for the page's sidebar title."""
    await page.get_by_role("link", name=title, exact=True).first.click()
    await page.locator("[data-testid='stSidebar'] h1", has_text=title).first.wait_for(timeout=STEP_TIMEOUT_MS)


async def open_link(context, base: str) -> tuple[object, float, int]:
    """A new page on the share link: (page, seconds to drawn, LSOAs drawn)."""
    page = await context.new_page()
    took, n = await action(page, lambda: page.goto(base + LINK, timeout=STEP_TIMEOUT_MS))
    return page, took, n


async def person(context, base: str) -> dict:
    """One person's visit (see the module docstring): timings, and the page left open."""
    out: dict = {}
    try:
        page, out["link_s"], out["lsoas"] = await open_link(context, base)
        out["shade_s"], _ = await action(page, lambda: choose(page, "Shade LSOAs by", SHADE))
        out["plus_s"], _ = await action(page, lambda: open_page(page, "PLUS layers"))
        out["layer_s"], _ = await action(page, lambda: choose(page, "Layer", LAYER))
        t0 = time.monotonic()
        await open_page(page, "Outreach planner")
        out["outreach_s"] = time.monotonic() - t0
        out["page"] = page
    except Exception as exc:  # noqa: BLE001 - reported with the person's other figures
        out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return out


async def local_data(page) -> None:
    await open_page(page, "PLUS layers")
    await page.get_by_text("Local data", exact=True).first.click()
    await page.locator(UPLOADER).wait_for(state="attached", timeout=STEP_TIMEOUT_MS)


async def upload_layer(page) -> None:
    """PLUS layers -> Local data: upload the points fixture and add it as a layer."""
    await local_data(page)
    await page.locator(UPLOADER).set_input_files(str(UPLOAD))
    await page.get_by_role("button", name="Add layer").click()
    await page.get_by_text("Added layer", exact=False).first.wait_for(timeout=STEP_TIMEOUT_MS)


async def layers_seen(page) -> str:
    """What the Local data section shows in this session: 'none' or the layer names it lists."""
    await local_data(page)
    none = page.get_by_text("No layers yet", exact=False).first
    table = page.locator("[data-testid='stDataFrame']").first
    await none.or_(table).wait_for(timeout=STEP_TIMEOUT_MS)
    if await none.is_visible():
        return "none"
    text = await page.locator("[data-testid='stMain']").inner_text()
    return UPLOAD.stem if UPLOAD.stem in text else "a layer"


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of a small sample."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))]


async def run(args) -> dict:
    from playwright.async_api import async_playwright

    res: dict = {"machine": machine(), "sessions": args.sessions, "lone_runs": args.lone}
    t_start = time.monotonic()
    with serve_app(extra_args=args.server_args) as base:
        server = server_process(base)
        res["rss_started_mb"] = rss_mb(server)
        async with async_playwright() as pw:
            chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            # 1. first-ever visit (cold caches unless the server warms them)
            c0 = cpu_seconds(server)
            ctx = await chromium.new_context(viewport=VIEWPORT)
            _, res["first_visit_s"], res["lsoas"] = await open_link(ctx, base)
            res["first_visit_cpu_s"] = cpu_seconds(server) - c0
            await ctx.close()
            await asyncio.sleep(1.0)

            # 2. lone new sessions, one after another (warm server)
            lone, lone_cpu = [], []
            for _ in range(args.lone):
                ctx = await chromium.new_context(viewport=VIEWPORT)
                c0 = cpu_seconds(server)
                page, took, _ = await open_link(ctx, base)
                await page.wait_for_timeout(500)  # trailing messages (late widgets) belong to this visit
                lone_cpu.append(cpu_seconds(server) - c0)
                lone.append(took)
                await ctx.close()
            res["lone_link_s"], res["lone_cpu_per_new_session_s"] = lone, lone_cpu
            held = await chromium.new_context(viewport=VIEWPORT)
            await open_link(held, base)
            await asyncio.sleep(1.0)
            res["rss_1_session_mb"], res["connections_1"] = rss_mb(server), connections(server)

            # 3. the crowd, all at once
            contexts = [await chromium.new_context(viewport=VIEWPORT) for _ in range(args.sessions)]
            peak = [rss_mb(server)]

            async def sample() -> None:
                while True:
                    await asyncio.sleep(0.5)
                    peak.append(rss_mb(server))

            sampler = asyncio.create_task(sample())
            c0, t0 = cpu_seconds(server), time.monotonic()
            try:
                outs = await asyncio.wait_for(asyncio.gather(*(person(c, base) for c in contexts)),
                                              timeout=args.max_seconds)
            except TimeoutError:
                outs = [{"error": f"crowd phase over {args.max_seconds:.0f} s"}]
            res["crowd_wall_s"] = time.monotonic() - t0
            res["crowd_cpu_s"] = cpu_seconds(server) - c0
            await asyncio.sleep(1.0)
            res["rss_all_sessions_mb"], res["connections_all"] = rss_mb(server), connections(server)
            sampler.cancel()
            res["rss_peak_mb"] = max(peak)
            done = [o for o in outs if "outreach_s" in o]
            res["page_views"] = len(done) * ACTIONS_PER_PERSON
            res["cpu_per_page_view_s"] = res["crowd_cpu_s"] / max(1, res["page_views"])

            # 4. isolation: the first person uploads, everybody else looks
            pages = [o["page"] for o in done]
            res["isolation"] = []
            if pages:
                try:
                    await asyncio.wait_for(upload_layer(pages[0]), timeout=args.max_seconds / 2)
                    seen = await asyncio.wait_for(asyncio.gather(*(layers_seen(p) for p in pages)),
                                                  timeout=args.max_seconds / 2)
                    res["isolation"] = list(seen)
                except (TimeoutError, Exception) as exc:  # noqa: BLE001 - reported below
                    shot = ROOT / "test-artifacts" / "load_test_isolation.png"
                    shot.parent.mkdir(parents=True, exist_ok=True)
                    await pages[0].screenshot(path=str(shot), full_page=True)
                    outs.append({"error": f"isolation check: {type(exc).__name__}: {str(exc)[:200]} "
                                          f"(screenshot {shot.relative_to(ROOT)})"})
            res["crowd"] = [{k: v for k, v in o.items() if k != "page"} for o in outs]
            await asyncio.gather(*(c.close() for c in contexts), held.close())
            await chromium.close()
    res["total_s"] = time.monotonic() - t_start
    return res


def report(res: dict) -> bool:
    crowd = res["crowd"]
    errors = [o["error"] for o in crowd if "error" in o]
    links = [o["link_s"] for o in crowd if "link_s" in o]
    lone = statistics.median(res["lone_link_s"])
    m = res["machine"]
    print(f"Load test: {res['sessions']} concurrent sessions on one server; {m['nproc']} CPUs, "
          f"load {m['load_avg_at_start'][0]:.1f} at start; ICB share link {ICB} "
          f"({res['lsoas']:,} LSOAs drawn)\n")
    print(f"first-ever visit (fresh server): {res['first_visit_s']:.2f} s to drawn, "
          f"server {res['first_visit_cpu_s']:.2f} CPU-s")
    print(f"lone session (warm server, median of {len(res['lone_link_s'])}): {lone:.2f} s to drawn, "
          f"server {statistics.median(res['lone_cpu_per_new_session_s']):.2f} CPU-s per new session "
          f"({', '.join(f'{x:.2f}' for x in res['lone_cpu_per_new_session_s'])})")
    if links:
        print(f"crowd, share link to drawn: p50 {pct(links, 50):.2f} s, p95 {pct(links, 95):.2f} s "
              f"(x{pct(links, 50) / lone:.1f} and x{pct(links, 95) / lone:.1f} the lone session)")
    steps = (("shade_s", "shading change"), ("plus_s", "PLUS page"), ("layer_s", "PLUS layer change"),
             ("outreach_s", "outreach planner"))
    for key, label in steps:
        vals = [o[key] for o in crowd if key in o]
        if vals:
            print(f"crowd, {label + ':':19s} p50 {pct(vals, 50):.2f} s, p95 {pct(vals, 95):.2f} s")
    print(f"crowd: {len(links)}/{res['sessions']} sessions drew the map; {res['page_views']} page views in "
          f"{res['crowd_wall_s']:.1f} s; server {res['crowd_cpu_s']:.1f} CPU-s = "
          f"{res['cpu_per_page_view_s']:.2f} CPU-s per page view")
    print(f"server memory (RSS): started {res['rss_started_mb']:.0f} MB; 1 session held "
          f"{res['rss_1_session_mb']:.0f} MB ({res['connections_1']} connections); "
          f"{res['sessions'] + 1} sessions held {res['rss_all_sessions_mb']:.0f} MB "
          f"({res['connections_all']} connections); peak "
          f"{res['rss_peak_mb']:.0f} MB")
    iso = res["isolation"]
    isolated = bool(iso) and iso[0] == UPLOAD.stem and all(x == "none" for x in iso[1:])
    print(f"isolation: the uploader sees {iso[0] if iso else '?'!r}; {sum(x == 'none' for x in iso[1:])}/"
          f"{max(0, len(iso) - 1)} other sessions see no layer -> {'OK' if isolated else 'FAILED'}")
    for e in errors:
        print(f"error: {e}")
    print(f"total {res['total_s']:.0f} s")
    return isolated and not errors and len(links) == res["sessions"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10, help="concurrent people (default 10)")
    parser.add_argument("--lone", type=int, default=3, help="lone visits measured before the crowd")
    parser.add_argument("--max-seconds", type=float, default=200.0, help="bound on the crowd phase")
    parser.add_argument("--server-args", nargs="*", default=[], help="more `streamlit run` options")
    args = parser.parse_args(argv)
    res = asyncio.run(run(args))
    out = ROOT / "benchmarks" / "results" / "load_test.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1, default=str))
    return 0 if report(res) else 1


if __name__ == "__main__":
    raise SystemExit(main())
