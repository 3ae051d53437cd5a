"""Cold start: the first visit after the server starts, against a warm visit (issue 13).

Two ways to start the server, each on a free 127.0.0.1 port:

* ``plain``: ``streamlit run app.py`` (caches fill on the first visit);
* ``warmed``: ``python -m geo_core20.serve`` (the same app; a background thread fills the
  caches as soon as the server starts). The first visit comes when the server has gone idle
  (warm-up done, bounded), as when ``make run`` is followed by a click on a link a moment later;
  ``warmed-now`` visits the moment the server answers, while the warm-up is still running.

For each: a fresh browser (headless Debian Chromium, new context) opens the ICB share link and
waits until the map is drawn (first visit), then another fresh context does the same (warm
visit). Server CPU-seconds are read with psutil. Prints the first/warm ratios.

    python benchmarks/cold_start.py [--modes plain warmed warmed-now]

Results also go to benchmarks/results/cold_start.json (gitignored).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
from _common import CHROMIUM, CHROMIUM_ARGS, ROOT, machine
from harness import free_port, stop, wait_healthy

LINK = "/?vintage=2025&level=icb&area=E54000008"
VIEWPORT = {"width": 1400, "height": 1000}
IDLE_CPU_FRACTION = 0.05  # the warm-up is over when the server uses under 5% of a core...
IDLE_WINDOW_S = 1.0  # ...over this long
IDLE_MAX_S = 120.0
DRAWN_JS = """() => {
  for (const f of document.querySelectorAll("iframe[title='streamlit_folium.st_folium']")) {
    const api = f.contentWindow && f.contentWindow.geoCore20National;
    if (api && api.paintedAt && api.drawnCount() > 0) return api.drawnCount();
  }
  return false;
}"""
STREAMLIT_ARGS = ["--server.address", "127.0.0.1", "--server.headless", "true",
                  "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]


def server_command(launcher: bool, port: int, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """``streamlit run app.py`` or the warming launcher, with the same options."""
    opts = ["--server.port", str(port), *STREAMLIT_ARGS, *extra]
    if launcher:
        return [sys.executable, "-m", "geo_core20.serve", *opts]
    return [sys.executable, "-m", "streamlit", "run", "app.py", *opts]


@contextlib.contextmanager
def serve(launcher: bool, extra: list[str] | tuple[str, ...] = (), timeout: float = 90.0
          ) -> Iterator[tuple[str, psutil.Process, float]]:
    """Start a server; yields (base URL, its process, seconds until healthy). Stopped at the end."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    proc = subprocess.Popen(server_command(launcher, port, extra), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_healthy(base, timeout, proc)
        yield base, psutil.Process(proc.pid), time.monotonic() - t0
    finally:
        stop(proc)


def cpu_seconds(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def wait_idle(proc: psutil.Process) -> float:
    """Seconds until the server stays (nearly) idle for IDLE_WINDOW_S (at most IDLE_MAX_S)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < IDLE_MAX_S:
        c0 = cpu_seconds(proc)
        time.sleep(IDLE_WINDOW_S)
        if cpu_seconds(proc) - c0 < IDLE_CPU_FRACTION * IDLE_WINDOW_S:
            break
    return time.monotonic() - t0


async def visit(chromium, base: str, proc: psutil.Process) -> dict:
    """A fresh browser context opens the share link: seconds to drawn, server CPU-seconds meanwhile."""
    ctx = await chromium.new_context(viewport=VIEWPORT)
    page = await ctx.new_page()
    c0, t0 = cpu_seconds(proc), time.monotonic()
    await page.goto(base + LINK, timeout=180_000)
    await page.wait_for_function(DRAWN_JS, timeout=180_000, polling=50)
    out = {"drawn_s": time.monotonic() - t0}
    await page.wait_for_timeout(300)
    out["server_cpu_s"] = cpu_seconds(proc) - c0
    await ctx.close()
    return out


async def measure(mode: str, extra: list[str]) -> dict:
    from playwright.async_api import async_playwright

    with serve(launcher=mode != "plain", extra=extra) as (base, proc, healthy_s):
        res: dict = {"healthy_s": healthy_s, "idle_wait_s": wait_idle(proc) if mode == "warmed" else 0.0,
                     "start_cpu_s": cpu_seconds(proc)}
        async with async_playwright() as pw:
            chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            res["first"] = await visit(chromium, base, proc)
            if mode == "warmed-now":
                res["idle_wait_s"] = wait_idle(proc)  # the warm-up ends before the warm visit
            res["warm"] = await visit(chromium, base, proc)
            await chromium.close()
        res["rss_mb"] = proc.memory_info().rss / 1e6
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modes", nargs="+", default=["plain", "warmed", "warmed-now"],
                        choices=["plain", "warmed", "warmed-now"])
    parser.add_argument("--server-args", nargs="*", default=[], help="more `streamlit run` options")
    args = parser.parse_args(argv)
    results: dict = {"machine": machine(), "modes": {}}
    for mode in args.modes:
        results["modes"][mode] = asyncio.run(measure(mode, args.server_args))
    out = ROOT / "benchmarks" / "results" / "cold_start.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))

    m = results["machine"]
    print(f"Cold start: ICB share link, fresh browser each visit; {m['nproc']} CPUs, load "
          f"{m['load_avg_at_start'][0]:.1f} at start\n")
    head = (f"{'server':11s} {'healthy':>8s} {'warm-up':>8s} {'CPU at start':>12s} {'1st drawn':>10s} "
            f"{'1st CPU':>8s} {'warm drawn':>10s} {'warm CPU':>9s} {'1st/warm':>9s}")
    print(head)
    print("-" * len(head))
    for mode, r in results["modes"].items():
        f, w = r["first"], r["warm"]
        print(f"{mode:11s} {r['healthy_s']:7.1f}s {r['idle_wait_s']:7.1f}s {r['start_cpu_s']:11.1f}s "
              f"{f['drawn_s']:9.2f}s {f['server_cpu_s']:7.2f}s {w['drawn_s']:9.2f}s "
              f"{w['server_cpu_s']:8.2f}s "
              f"{f['drawn_s'] / w['drawn_s']:8.1f}x")
    print("\nplain = streamlit run app.py; warmed = python -m geo_core20.serve, first visit once the "
          "warm-up is over; warmed-now = the same, first visit as soon as the server answers.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
