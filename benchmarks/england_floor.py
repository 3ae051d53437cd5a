"""What the England view's first load costs on top of a bare Streamlit page, and what sets its floor
(issue 22, item 5; ``interaction_speed.py`` times the view itself and the map alone).

Fresh browser contexts (headless Debian Chromium) open, in turn and ``--repeats`` times each (after one
warm-up visit each, not counted), pages served by their own ``streamlit run`` servers:

- ``bare``: ``benchmarks/bare_page.py`` (a title and a line), to its title;
- ``map alone``: ``benchmarks/map_only_page.py``, the explorer's England map and legend under a title
  (the map in streamlit-folium's iframe, as the app draws it), to the national renderer's paint;
- ``map in page``: ``benchmarks/map_inpage_page.py``, the same map and legend drawn in the page itself
  by a ``st.components.v2`` element (no iframe, no streamlit-folium bundle), to the same paint;
- ``explorer``: the app's England view (``/?vintage=2025&level=england``), to the same paint.

With ``--front`` each page is also opened through a front of its own (nginx with the project's
configuration, ``geo_core20.front.render_config``, before that one server): Streamlit's frontend files
from nginx instead of the Python server. Each page's figure is reported on top of the bare page served
the same way, with the browser's renderer CPU-seconds to drawn.

    python benchmarks/england_floor.py [--repeats 5] [--front]

Results go to benchmarks/results/england_floor.json (gitignored). Compare within one run only.

Measured 2026-12-07 02:15-02:50 (2 CPUs, quiet machine: load 0.5-3.7 from the runs themselves; the
prototypes of these pages, 5-7 visits each, medians):

| page | to drawn (s) | on top of bare (s) | note |
|---|---|---|---|
| bare | 0.94-0.99 | - | |
| map alone (iframe) | 1.41-1.59 | +0.47-0.65 | legend as HTML in Markdown |
| map alone, legend as st.html | 1.46 | +0.52 | renderer 1.82 -> 1.60 CPU-s |
| map in page (no iframe) | 1.67 | +0.68 | vs 1.58 for the iframe, same run: no gain |
| explorer England | 1.87-2.02 | +0.93-1.08 | |
| explorer, map sent before the sidebar | 1.85 | +0.91 | vs 1.89 same run: no gain |
| explorer, sidebar drawn after the map | 1.86 | +0.92 | vs 1.89 same run: no gain |
| through nginx: bare / map alone / explorer | 0.74 / 1.22 / 1.61 | +0.48 / +0.87 | vs +0.55 / +1.01 direct |

Chromium traces (one visit each) of the renderer's main thread: react-dom (Streamlit's frontend laying
out the page's elements) 136 ms for the bare page, 345 ms for the map alone, 596 ms for the explorer's
England view; every element type the explorer uses (select boxes, toggle, radio, metrics, tabs,
popovers, the map component, HTML) is a script of Streamlit's frontend loaded on its first use, ~50
files more than the bare page, asked for only once the page's first messages have arrived.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from _common import ROOT, launch_chromium, machine, serve_app
from interaction_speed import BARE, DRAWN_JS, MAP_ONLY, STEP_TIMEOUT_MS, beside_the_app, first_visit
from load_test import server_process

from geo_core20 import front

IN_PAGE = ROOT / "benchmarks" / "map_inpage_page.py"
RESULTS = ROOT / "benchmarks" / "results" / "england_floor.json"
IN_PAGE_DRAWN_JS = """(since) => {
  const api = window.geoCore20National;
  return !!(api && api.paintedAt && api.paintedAt >= since && api.drawnCount() > 0);
}"""


def _bare_done(page, t0) -> None:
    page.get_by_role("heading", name="Bare page").wait_for(timeout=STEP_TIMEOUT_MS)


def _map_done(page, t0) -> None:
    page.wait_for_function(DRAWN_JS, arg=t0, timeout=STEP_TIMEOUT_MS, polling=50)


def _in_page_done(page, t0) -> None:
    page.wait_for_function(IN_PAGE_DRAWN_JS, arg=t0, timeout=STEP_TIMEOUT_MS, polling=50)


@contextlib.contextmanager
def _front_before(base: str) -> Iterator[str]:
    """nginx with the project's front configuration (``geo_core20.front``) before the server at ``base``."""
    with tempfile.TemporaryDirectory(prefix="gc20_floor_") as tmp:
        run = Path(tmp)
        run.chmod(0o755)  # nginx's worker reads its cache and temp folders as another user
        port = front.free_port()
        proc = front.start_nginx(run, port, [int(base.rsplit(":", 1)[1])])
        try:
            front.wait_http(f"http://127.0.0.1:{port}/_stcore/health", 30, [proc])
            yield f"http://127.0.0.1:{port}"
        finally:
            front.stop([proc])


def run(args) -> dict:
    from playwright.sync_api import sync_playwright

    res: dict = {"machine": machine(), "repeats": args.repeats, "load_avg_at_start": os.getloadavg()[0],
                 "pages": {}}
    t_start = time.monotonic()
    with contextlib.ExitStack() as stack, sync_playwright() as pw:
        alone = stack.enter_context(beside_the_app(MAP_ONLY))
        in_page = stack.enter_context(beside_the_app(IN_PAGE))
        specs = [("bare", str(BARE), "/", _bare_done), ("map alone", alone, "/", _map_done),
                 ("map in page", in_page, "/", _in_page_done),
                 ("explorer", "app.py", "/?vintage=2025&level=england", _map_done)]
        pages = {}
        for name, script, path, done in specs:
            base = stack.enter_context(serve_app(script))
            proc = server_process(base)
            pages[name] = (base + path, proc, done)
            if args.front:
                pages[f"{name} (front)"] = (stack.enter_context(_front_before(base)) + path, proc, done)
        browser = launch_chromium(pw)
        for url, _, done in pages.values():
            first_visit(browser, url, done)  # warm the servers' caches: not counted
        runs: dict[str, list] = {name: [] for name in pages}
        for _ in range(args.repeats):
            for name, (url, proc, done) in pages.items():
                runs[name].append(first_visit(browser, url, done, proc))
        browser.close()
    for name, visits in runs.items():
        res["pages"][name] = {"s": statistics.median(v["s"] for v in visits),
                              "renderer_cpu_s": statistics.median(v["renderer_cpu_s"] for v in visits),
                              "visits": visits}
    res["load_avg_at_end"] = os.getloadavg()[0]
    res["total_s"] = time.monotonic() - t_start
    return res


def report(res: dict) -> None:
    print(f"England floor: {res['machine']['nproc']} CPUs, load {res['load_avg_at_start']:.1f} at start, "
          f"{res['load_avg_at_end']:.1f} at end; median of {res['repeats']} fresh visits per page\n")
    print("| page | to drawn (s) | on top of bare, same serving (s) | renderer CPU-s |")
    print("|---|---|---|---|")
    pages = res["pages"]
    for name, p in pages.items():
        bare = pages["bare (front)" if name.endswith("(front)") else "bare"]["s"]
        extra = "-" if name.startswith("bare") else f"{p['s'] - bare:+.2f}"
        print(f"| {name} | {p['s']:.2f} | {extra} | {p['renderer_cpu_s']:.2f} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--front", action="store_true", help="also open each page through an nginx front")
    args = ap.parse_args()
    res = run(args)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(res, indent=1, default=str), encoding="utf-8")
    report(res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
